#include "drivers/netlink/fake_netlink.hpp"
#include "drivers/netlink/link_watch.hpp"

// After the std headers: CppUTest redefines new for leak detection.
#include <CppUTest/TestHarness.h>

using namespace tg::netlink;

TEST_GROUP(LinkWatch) {
  FakeNetlink nl;
  std::string err;
  std::vector<LinkState> msgs;
  std::vector<CarrierChange> changes;
  void setup() override {
    nl.add_link(1, "lo", true, true);
    nl.add_link(5, "tap-wan0", true, true);
    nl.add_link(6, "tap-wan1", true, false);
  }
  void pump() {
    msgs.clear();
    CHECK_TRUE(nl.read_events(msgs, err));
    changes.clear();
  }
};

TEST(LinkWatch, LoadReportsEveryWatchedLinkIncludingMissingOnes) {
  LinkWatch w({"tap-wan0", "tap-wan1", "wwan0"});
  CHECK_TRUE(nl.dump_links(msgs, err));
  w.load(msgs, changes);
  LONGS_EQUAL(3, changes.size());
  CHECK_TRUE(changes[0].up);
  LONGS_EQUAL(0, changes[0].uplink);
  CHECK_FALSE(changes[1].up);  // no carrier
  LONGS_EQUAL(2, changes[2].uplink);
  CHECK_FALSE(changes[2].up);  // LTE netdev absent
  CHECK_TRUE(w.known(2));
}

TEST(LinkWatch, ReportsOnlyRealChangesWithTheirTime) {
  LinkWatch w({"tap-wan0", "tap-wan1"});
  CHECK_TRUE(nl.dump_links(msgs, err));
  w.load(msgs, changes);
  nl.set_carrier("tap-wan0", false, 1000);
  nl.set_carrier("tap-wan0", false, 1001);  // repeated RTM_NEWLINK, same state
  nl.set_carrier("lo", false, 1002);        // not ours
  pump();
  w.feed(msgs, changes);
  LONGS_EQUAL(1, changes.size());
  LONGS_EQUAL(0, changes[0].uplink);
  CHECK_FALSE(changes[0].up);
  LONGS_EQUAL(1000, changes[0].mono_ns);
  LONGS_EQUAL(3, w.messages());
  LONGS_EQUAL(1, w.ignored());
  nl.set_carrier("tap-wan1", true, 2000);
  pump();
  w.feed(msgs, changes);
  LONGS_EQUAL(1, changes.size());
  CHECK_TRUE(changes[0].up);
  CHECK_TRUE(w.up(1));
}

TEST(LinkWatch, AdminDownAndRemovalAreDown) {
  LinkWatch w({"tap-wan0", "tap-wan1"});
  CHECK_TRUE(nl.dump_links(msgs, err));
  w.load(msgs, changes);
  CHECK_TRUE(nl.set_link_up("tap-wan0", false, err));
  pump();
  w.feed(msgs, changes);
  LONGS_EQUAL(1, changes.size());
  CHECK_FALSE(changes[0].up);
  CHECK_TRUE(nl.set_link_up("tap-wan0", true, err));
  pump();
  w.feed(msgs, changes);
  CHECK_TRUE(changes.at(0).up);
  nl.remove_link("tap-wan0", 3000);
  pump();
  w.feed(msgs, changes);
  LONGS_EQUAL(1, changes.size());
  CHECK_FALSE(changes[0].up);
  LONGS_EQUAL(3000, changes[0].mono_ns);
  // Re-created with another ifindex: found by name again.
  nl.add_link(9, "tap-wan0", true, true);
  nl.set_carrier("tap-wan0", true, 4000);
  pump();
  w.feed(msgs, changes);
  LONGS_EQUAL(1, changes.size());
  CHECK_TRUE(changes[0].up);
}

TEST(LinkWatch, PrefixParse) {
  Prefix p;
  CHECK_TRUE(p.parse("192.0.2.10/24"));
  STRCMP_EQUAL("192.0.2.10/24", p.str().c_str());
  CHECK_TRUE(p.parse("2001:db8::1"));
  LONGS_EQUAL(128, p.len);
  CHECK_TRUE(p.parse("198.51.100.1"));
  LONGS_EQUAL(32, p.len);
  CHECK_FALSE(p.parse("192.0.2.1/33"));
  CHECK_FALSE(p.parse("192.0.2.1/"));
  CHECK_FALSE(p.parse("192.0.2.1/2x"));
  CHECK_FALSE(p.parse("nonsense/8"));
  LONGS_EQUAL(32, p.len);  // untouched on failure
}
