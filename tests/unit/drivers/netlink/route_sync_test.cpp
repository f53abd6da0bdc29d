#include "drivers/netlink/fake_netlink.hpp"
#include "drivers/netlink/route_sync.hpp"

// After the std headers: CppUTest redefines new for leak detection.
#include <CppUTest/TestHarness.h>

using namespace tg;
using namespace tg::netlink;

namespace {
UplinkRoute uplink(const char* ifname, const char* addr, const char* gw, uint32_t table, uint32_t prio) {
  UplinkRoute r;
  r.ifname = ifname;
  CHECK_TRUE(r.address.parse(addr));
  if (*gw) CHECK_TRUE(r.gateway.parse(gw));
  r.table = table;
  r.rule_priority = prio;
  return r;
}
RouteSyncConfig board() {
  RouteSyncConfig c;
  c.uplinks = {uplink("tap-wan0", "192.0.2.2/24", "192.0.2.1", 100, 1000),
               uplink("tap-wan1", "198.51.100.2/24", "198.51.100.1", 101, 1001),
               uplink("wwan0", "203.0.113.2/30", "", 102, 1002)};
  c.bring_up = {"wwan0", "tap-wan0", "tap-wan1"};
  return c;
}
}  // namespace

TEST_GROUP(RouteSync) {
  FakeNetlink nl;
  std::string err;
  void setup() override {
    nl.add_link(5, "tap-wan0", false, true);
    nl.add_link(6, "tap-wan1", false, true);
    nl.add_link(7, "wwan0", false, false);
  }
};

TEST(RouteSync, FirstApplyBuildsEverything) {
  RouteSync s(nl, board());
  CHECK_TEXT(s.apply(0, err), err.c_str());
  STRCMP_EQUAL("set_link_up wwan0 1", nl.calls.at(0).c_str());
  LONGS_EQUAL(1, nl.addresses["tap-wan0"].count("192.0.2.2/24"));
  LONGS_EQUAL(1, nl.addresses["wwan0"].count("203.0.113.2/30"));
  CHECK(nl.routes.at({4, 100}) == (FakeNetlink::Route{"tap-wan0", IpAddr::v4(0xC0000201)}));
  CHECK(nl.routes.at({4, 102}).gateway.empty());
  CHECK(nl.routes.at({4, kMainTable}).ifname == "tap-wan0");
  LONGS_EQUAL(1, nl.rules.count({1001, "198.51.100.2/32", 101}));
  LONGS_EQUAL(3, nl.rules.size());
  LONGS_EQUAL(3 + 9 + 1, s.operations());
}

TEST(RouteSync, SwitchChangesOnlyTheMainDefaultRoute) {
  RouteSync s(nl, board());
  CHECK_TRUE(s.apply(0, err));
  nl.calls.clear();
  CHECK_TRUE(s.apply(0, err));
  LONGS_EQUAL(0, nl.calls.size());  // nothing to do
  CHECK_TRUE(s.apply(2, err));
  LONGS_EQUAL(1, nl.calls.size());
  STRCMP_EQUAL("set_default_route wwan0 via - table 254", nl.calls[0].c_str());
  LONGS_EQUAL(2, s.applied_active());
  CHECK_TRUE(s.apply(0xFF, err));  // no active uplink: leave the route alone
  LONGS_EQUAL(1, nl.calls.size());
}

TEST(RouteSync, FailedStepIsRetriedNextTime) {
  RouteSync s(nl, board());
  nl.fail_next("Operation not permitted");
  CHECK_FALSE(s.apply(1, err));
  STRCMP_EQUAL("Operation not permitted", err.c_str());
  CHECK_TRUE(s.apply(1, err));
  CHECK(nl.routes.at({4, kMainTable}).ifname == "tap-wan1");
  LONGS_EQUAL(3, nl.rules.size());
  // After invalidate() (netlink resync) everything is sent again.
  nl.calls.clear();
  s.invalidate();
  CHECK_TRUE(s.apply(1, err));
  LONGS_EQUAL(13, nl.calls.size());
}

TEST(RouteSync, MissingLinkIsAnError) {
  RouteSyncConfig c = board();
  c.uplinks[1].ifname = "tap-nope";
  RouteSync s(nl, c);
  CHECK_FALSE(s.apply(0, err));
  STRCMP_CONTAINS("tap-nope", err.c_str());
}

TEST(RouteSync, Validate) {
  CHECK_TEXT(validate(board(), err), err.c_str());
  RouteSyncConfig c = board();
  c.uplinks[1].table = 100;
  CHECK_FALSE(validate(c, err));
  STRCMP_CONTAINS("uplink 1: table 100 used twice", err.c_str());
  c = board();
  c.uplinks[0].table = kMainTable;
  CHECK_FALSE(validate(c, err));
  c = board();
  c.uplinks[2].rule_priority = 1001;
  CHECK_FALSE(validate(c, err));
  STRCMP_CONTAINS("priority", err.c_str());
  c = board();
  c.uplinks[0].gateway.parse("2001:db8::1");
  CHECK_FALSE(validate(c, err));
  STRCMP_CONTAINS("families", err.c_str());
  c = board();
  c.uplinks[0].ifname = "a-very-long-interface-name";
  CHECK_FALSE(validate(c, err));
}

// IPv6 on the wired uplinks (as board/virtual/ports: addr6= gw6=), none on
// the LTE one.
namespace {
RouteSyncConfig board6() {
  RouteSyncConfig c = board();
  CHECK_TRUE(c.uplinks[0].address6.parse("2001:db8:100::2/64"));
  CHECK_TRUE(c.uplinks[0].gateway6.parse("2001:db8:100::1"));
  CHECK_TRUE(c.uplinks[1].address6.parse("2001:db8:101::2/64"));
  CHECK_TRUE(c.uplinks[1].gateway6.parse("fe80::1"));  // link-local next hop
  return c;
}
}  // namespace

TEST(RouteSync, Ipv6UplinksGetAddressTableRuleAndTheMainRoute) {
  RouteSync s(nl, board6());
  CHECK_TEXT(s.apply(0, err), err.c_str());
  LONGS_EQUAL(1, nl.addresses["tap-wan0"].count("2001:db8:100::2/64"));
  LONGS_EQUAL(1, nl.addresses["tap-wan0"].count("192.0.2.2/24"));
  LONGS_EQUAL(1, nl.addresses["tap-wan1"].count("2001:db8:101::2/64"));
  LONGS_EQUAL(1, nl.addresses["wwan0"].size());  // no IPv6 there
  FakeNetlink::Route v6_100{"tap-wan0", {}};
  CHECK_TRUE(v6_100.gateway.parse("2001:db8:100::1"));
  CHECK(nl.routes.at({6, 100}) == v6_100);
  STRCMP_EQUAL("fe80::1", nl.routes.at({6, 101}).gateway.str().c_str());
  CHECK(nl.routes.count({6, 102}) == 0);
  // Same priority and table as the IPv4 rule: the kernel keeps them apart.
  LONGS_EQUAL(1, nl.rules.count({1000, "2001:db8:100::2/128", 100}));
  LONGS_EQUAL(1, nl.rules.count({1001, "2001:db8:101::2/128", 101}));
  LONGS_EQUAL(1, nl.rules.count({1000, "192.0.2.2/32", 100}));
  LONGS_EQUAL(5, nl.rules.size());
  STRCMP_EQUAL("tap-wan0", nl.routes.at({6, kMainTable}).ifname.c_str());
  STRCMP_EQUAL("2001:db8:100::1", nl.routes.at({6, kMainTable}).gateway.str().c_str());
  LONGS_EQUAL(0, s.applied_active6());
  CHECK_TRUE(s.done());
  LONGS_EQUAL(3 + 9 + 6 + 2, s.operations());
}

TEST(RouteSync, MainIpv6RouteFollowsTheActiveUplinkAndGoesWithoutIpv6) {
  RouteSync s(nl, board6());
  CHECK_TRUE(s.apply(0, err));
  nl.calls.clear();
  CHECK_TRUE(s.apply(1, err));
  LONGS_EQUAL(2, nl.calls.size());
  STRCMP_EQUAL("set_default_route tap-wan1 via 198.51.100.1 table 254", nl.calls[0].c_str());
  STRCMP_EQUAL("set_default_route tap-wan1 via fe80::1 table 254", nl.calls[1].c_str());
  // LTE has no IPv6: no IPv6 default route while it carries the traffic.
  CHECK_TRUE(s.apply(2, err));
  STRCMP_EQUAL("del_default_route 6 table 254", nl.calls.back().c_str());
  CHECK(nl.routes.count({6, kMainTable}) == 0);
  STRCMP_EQUAL("wwan0", nl.routes.at({4, kMainTable}).ifname.c_str());
  LONGS_EQUAL(2, s.applied_active6());
  nl.calls.clear();
  CHECK_TRUE(s.apply(2, err));  // nothing to do
  CHECK_TRUE(s.apply(0xFF, err));
  LONGS_EQUAL(0, nl.calls.size());
  CHECK_TRUE(s.apply(0, err));
  STRCMP_EQUAL("tap-wan0", nl.routes.at({6, kMainTable}).ifname.c_str());
}

TEST(RouteSync, Ipv6FlushedWithTheLinkIsSentAgain) {
  RouteSync s(nl, board6());
  CHECK_TRUE(s.apply(0, err));
  // tap-wan0 set down and up: the kernel drops its routes and its IPv6
  // address (keep_addr_on_down = 0), the IPv4 address stays.
  nl.set_admin("tap-wan0", false, 1);
  nl.set_admin("tap-wan0", true, 2);
  CHECK(nl.routes.count({6, 100}) == 0);
  CHECK(nl.routes.count({6, kMainTable}) == 0);
  LONGS_EQUAL(0, nl.addresses["tap-wan0"].count("2001:db8:100::2/64"));
  LONGS_EQUAL(1, nl.addresses["tap-wan0"].count("192.0.2.2/24"));
  s.invalidate_uplink(0);
  LONGS_EQUAL(0xFF, s.applied_active6());
  nl.calls.clear();
  CHECK_TRUE(s.apply(0, err));
  LONGS_EQUAL(1, nl.addresses["tap-wan0"].count("2001:db8:100::2/64"));
  CHECK(nl.routes.at({6, 100}).ifname == "tap-wan0");
  STRCMP_EQUAL("tap-wan0", nl.routes.at({6, kMainTable}).ifname.c_str());
  // Uplink 0 only, both families: 3 + 3 + the two main routes.
  LONGS_EQUAL(8, nl.calls.size());
}

TEST(RouteSync, KernelWithoutIpv6KeepsTheIpv4RoutesAndRetries) {
  nl.ipv6_disabled = true;
  RouteSync s(nl, board6());
  CHECK_FALSE(s.apply(0, err));
  STRCMP_CONTAINS("2001:db8:100::2/64", err.c_str());
  STRCMP_EQUAL("tap-wan0", nl.routes.at({4, kMainTable}).ifname.c_str());
  CHECK(nl.routes.at({4, 101}).ifname == "tap-wan1");
  LONGS_EQUAL(3, nl.rules.size());
  LONGS_EQUAL(0, s.applied_active());
  CHECK_FALSE(s.done());
  nl.ipv6_disabled = false;
  CHECK_TEXT(s.apply(0, err), err.c_str());
  CHECK_TRUE(s.done());
  STRCMP_EQUAL("tap-wan0", nl.routes.at({6, kMainTable}).ifname.c_str());
  LONGS_EQUAL(5, nl.rules.size());
}

TEST(RouteSync, ValidateIpv6) {
  CHECK_TEXT(validate(board6(), err), err.c_str());
  RouteSyncConfig c = board6();
  c.uplinks[0].gateway6 = IpAddr{};
  CHECK_FALSE(validate(c, err));
  STRCMP_CONTAINS("uplink 0: IPv6 needs address6 and an IPv6 gateway6", err.c_str());
  c = board6();
  c.uplinks[2].gateway6.parse("2001:db8::1");  // gateway without an address
  CHECK_FALSE(validate(c, err));
  c = board6();
  c.uplinks[1].gateway6.parse("198.51.100.1");
  CHECK_FALSE(validate(c, err));
  c = board6();
  c.uplinks[1].address6.parse("198.51.100.9/24");
  CHECK_FALSE(validate(c, err));
  STRCMP_CONTAINS("uplink 1: address6 is not an IPv6 address", err.c_str());
}
