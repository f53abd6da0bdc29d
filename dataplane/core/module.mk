# Inspection core: no DPDK, works on byte spans. Used by tg-dataplane and tg-analyze.
LIBS += tgcore
tgcore_SRCS := $(wildcard dataplane/core/*.cpp)

UNIT_TESTS += unit-core
unit-core_SRCS := $(wildcard tests/unit/dataplane/core/*_test.cpp)
unit-core_LIBS := tgcore tgcommon
