# Durable notification queue (SQLite) and its senders: SNMP (net-snmp), SMTP (libcurl), syslog.
LIBS += tgnotify
tgnotify_SRCS := $(wildcard control/notify/*.cpp)
tgnotify_PKGS := netsnmp libcurl
tgnotify_LDLIBS := -lnetsnmp -lcurl

UNIT_TESTS += unit-notify
unit-notify_SRCS := $(wildcard tests/unit/control/notify/*_test.cpp)
unit-notify_LIBS := tgnotify tgalarms tgsqlite tgcommon

BENCHES += bench-notify
bench-notify_SRCS := tests/bench/bench_notify.cpp
bench-notify_LIBS := tgnotify tgalarms tgsqlite tgcommon
