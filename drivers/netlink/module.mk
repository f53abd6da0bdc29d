# Kernel links, addresses, routes and policy rules over rtnetlink: the
# Netlink interface, its libnl-route-3 implementation and a fake, plus the
# logic built on it (carrier watch per uplink, route/rule sync).
LIBS += tgnetlink
tgnetlink_SRCS := $(wildcard drivers/netlink/*.cpp)
tgnetlink_PKGS := libnl-route-3.0
tgnetlink_LDLIBS := $(shell pkg-config --libs libnl-route-3.0)

UNIT_TESTS += unit-netlink
unit-netlink_SRCS := $(wildcard tests/unit/drivers/netlink/*_test.cpp)
unit-netlink_LIBS := tgnetlink tgcore tgcommon
