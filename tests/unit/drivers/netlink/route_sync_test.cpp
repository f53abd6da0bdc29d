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
