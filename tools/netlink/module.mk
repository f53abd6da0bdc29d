# tg-netlink: the netlink driver from the shell (watch link events as JSON
# lines, set links/addresses/routes/rules). Used by the integration test and
# by a technician on the box.
BINS += tg-netlink
tg-netlink_SRCS := tools/netlink/tg_netlink.cpp
tg-netlink_LIBS := tgnetlink tgcore tgcommon
