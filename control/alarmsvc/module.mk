# Alarm service of tg-controld: alarm manager + event store + durable notification
# queue with its delivery thread; the daemon wires its hooks to it.
LIBS += tgalarmsvc
tgalarmsvc_SRCS := $(wildcard control/alarmsvc/*.cpp)
tgalarmsvc_LDLIBS := -lpthread

UNIT_TESTS += unit-alarmsvc
unit-alarmsvc_SRCS := $(wildcard tests/unit/control/alarmsvc/*_test.cpp)
unit-alarmsvc_LIBS := tgalarmsvc tgnotify tgstore tgalarms tgsqlite tgconfig tgapi tgcommon
