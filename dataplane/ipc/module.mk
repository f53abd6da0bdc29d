# Versioned shared-memory formats between tg-dataplane and the control
# daemon: event and command rings (SPSC), stats region (seqlock), names.
# No DPDK: the control daemon and the console link it too.
LIBS += tgipc
tgipc_SRCS := $(wildcard dataplane/ipc/*.cpp)
tgipc_LDLIBS := -lrt

UNIT_TESTS += unit-ipc
unit-ipc_SRCS := $(wildcard tests/unit/dataplane/ipc/*_test.cpp)
unit-ipc_LIBS := tgipc
