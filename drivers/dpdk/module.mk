# DPDK port boundary: DpdkPort (ethdev + kernel carrier) and FakePort.
LIBS += tgdpdk
tgdpdk_SRCS := $(wildcard drivers/dpdk/*.cpp)
tgdpdk_PKGS := libdpdk
# DPDK headers trip -Wextra in places we do not own.
tgdpdk_CXXFLAGS := -Wno-volatile

UNIT_TESTS += unit-dpdk
unit-dpdk_SRCS := $(wildcard tests/unit/drivers/dpdk/*_test.cpp)
unit-dpdk_LIBS := tgdpdk tgcommon
unit-dpdk_PKGS := libdpdk
unit-dpdk_CXXFLAGS := -Wno-volatile
