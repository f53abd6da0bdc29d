# Failover decision logic of the fast path: uplink health, selection, media
# blackout, probe scheduling. No DPDK: unit-tested with an injected clock.
LIBS += tgfailover
tgfailover_SRCS := $(wildcard dataplane/failover/*.cpp)

UNIT_TESTS += unit-failover
unit-failover_SRCS := $(wildcard tests/unit/dataplane/failover/*_test.cpp)
unit-failover_LIBS := tgfailover tgapi tgcore tgcommon
