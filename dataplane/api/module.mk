# Versioned shared-memory formats between tg-dataplane and the control
# daemon: event and command rings (SPSC), stats region (seqlock), names.
# No DPDK: the control daemon and the console link it too.
LIBS += tgapi
tgapi_SRCS := $(wildcard dataplane/api/*.cpp)
tgapi_LDLIBS := -lrt

UNIT_TESTS += unit-api
unit-api_SRCS := $(wildcard tests/unit/dataplane/api/*_test.cpp)
unit-api_LIBS := tgapi tgcommon
