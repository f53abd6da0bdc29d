# The DPDK fast path: forwarding logic (no DPDK), the per-lcore datapath over
# drivers/dpdk ports, and the tg-dataplane binary.
LIBS += tgfastpath
tgfastpath_SRCS := $(filter-out dataplane/fastpath/main.cpp,$(wildcard dataplane/fastpath/*.cpp))
tgfastpath_PKGS := libdpdk
tgfastpath_CXXFLAGS := -Wno-volatile

BINS += tg-dataplane
tg-dataplane_SRCS := dataplane/fastpath/main.cpp
tg-dataplane_LIBS := tgfastpath tgboard tgfailover tgapi tgdpdk tgcore tgcommon tgservice
tg-dataplane_PKGS := libdpdk

tg-dataplane_CXXFLAGS := -Wno-volatile

UNIT_TESTS += unit-fastpath
unit-fastpath_SRCS := $(wildcard tests/unit/dataplane/fastpath/*_test.cpp)
unit-fastpath_LIBS := tgfastpath tgboard tgfailover tgapi tgdpdk tgcore tgcommon
unit-fastpath_PKGS := libdpdk
unit-fastpath_CXXFLAGS := -Wno-volatile
