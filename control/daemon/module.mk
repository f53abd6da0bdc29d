# tg-controld: configuration, fast-path link, management socket, logging.
LIBS += tgcontrold
tgcontrold_SRCS := control/daemon/controller.cpp control/daemon/fastpath_link.cpp control/daemon/log.cpp \
  control/daemon/stats_json.cpp control/daemon/services.cpp \
  control/daemon/qos_watch.cpp control/daemon/trunk_watch.cpp control/daemon/call_records.cpp \
  control/daemon/capture_writer.cpp control/daemon/capture_commands.cpp control/daemon/kernel_sync.cpp \
  control/daemon/trunk_probe_plan.cpp control/daemon/trunk_probing.cpp
tgcontrold_LDLIBS := -lpcap

BINS += tg-controld
tg-controld_SRCS := control/daemon/main.cpp
# tgboard: the board's port file (which kernel links and routes to keep).
tg-controld_LIBS := tgcontrold tgprobe tgalarmsvc tgmgmt tgconfig tgnetlink tgboard tgapi tgdiagnose tgcore tgstore tgnotify tgalarms tgsqlite tgcommon tgservice
tg-controld_LDLIBS := -lboost_program_options -lrt
tg-controld_PKGS := netsnmp libcurl
tg-controld_CXXFLAGS := -DTG_VERSION='"$(shell git describe --always --dirty 2>/dev/null || echo dev)"'

UNIT_TESTS += unit-controld
unit-controld_SRCS := $(wildcard tests/unit/control/daemon/*_test.cpp)
unit-controld_LIBS := tgcontrold tgprobe tgalarmsvc tgmgmt tgconfig tgnetlink tgboard tgapi tgdiagnose tgcore tgstore tgnotify tgalarms tgsqlite tgcommon
unit-controld_LDLIBS := -lboost_program_options -lrt
unit-controld_PKGS := netsnmp libcurl
