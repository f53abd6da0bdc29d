#include "control/daemon/kernel_sync.hpp"

#include <cstdlib>
#include <cstring>

#include "control/config/atomic_file.hpp"
#include "control/daemon/services.hpp"
#include "drivers/netlink/fake_netlink.hpp"
#include "tests/unit/control/daemon/fake_fastpath.hpp"

// CppUTest last: its leak detector redefines new.
#include <CppUTest/TestHarness.h>

using namespace tg;
using namespace tg::controld;
using netlink::FakeNetlink;
using netlink::kMainTable;

namespace {

// The virtual board's shape: port netdevs with carrier, taps with addresses.
const char* kPorts =
    "lan  dev=net_af_packet0,iface=lan  addr=192.0.2.1/26 tap=tap-lan\n"
    "wan0 dev=net_af_packet1,iface=wan0 addr=198.51.100.2/28 gw=198.51.100.1 carrier=wan0 tap=tap-wan0\n"
    "wan1 dev=net_af_packet2,iface=wan1 addr=198.51.100.18/28 gw=198.51.100.17 carrier=wan1 tap=tap-wan1\n"
    "lte  dev=net_af_packet3,iface=lte  addr=198.51.100.34/28 gw=198.51.100.33 carrier=lte tap=tap-lte\n";

// As board/virtual/ports: IPv6 on the wired uplinks, none on LTE.
const char* kPorts6 =
    "lan  dev=net_af_packet0,iface=lan  addr=192.0.2.1/26 tap=tap-lan addr6=2001:db8:1::1/64\n"
    "wan0 dev=net_af_packet1,iface=wan0 addr=198.51.100.2/28 gw=198.51.100.1 carrier=wan0 tap=tap-wan0"
    " addr6=2001:db8:100::2/64 gw6=2001:db8:100::1\n"
    "wan1 dev=net_af_packet2,iface=wan1 addr=198.51.100.18/28 gw=198.51.100.17 carrier=wan1 tap=tap-wan1"
    " addr6=2001:db8:101::2/64 gw6=2001:db8:101::1\n"
    "lte  dev=net_af_packet3,iface=lte  addr=198.51.100.34/28 gw=198.51.100.33 carrier=lte tap=tap-lte\n";

board::Board board_of(const char* ports = kPorts) {
  board::Board b;
  std::string why;
  CHECK_TEXT(board::parse_board(ports, "ports", b, why), why.c_str());
  return b;
}

config::UplinkConfig uplink(const char* name, const char* role, const char* device, const char* carrier) {
  config::UplinkConfig u;
  u.name = name;
  u.role = role;
  u.device = device;
  u.carrier = carrier;
  return u;
}

config::Config cfg() {
  config::Config c;
  c.uplinks = {uplink("wan0", "wan", "wan0", "Carrier A"), uplink("wan1", "wan", "wan1", "Carrier B"),
               uplink("lte", "lte", "wwan0", "LTE")};
  return c;
}

const FakeNetlink::Route* main_route(FakeNetlink& nl, int family = 4) {
  auto it = nl.routes.find({family, kMainTable});
  return it == nl.routes.end() ? nullptr : &it->second;
}
std::string main6_dev(FakeNetlink& nl) {
  const FakeNetlink::Route* r = main_route(nl, 6);
  return r ? r->ifname : "none";
}

bool has_log(const std::vector<std::string>& logs, const char* text) {
  for (const auto& l : logs)
    if (l.find(text) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_GROUP(KernelSyncConfig){};

TEST(KernelSyncConfig, LinksRoutesAndLteFromBoardAndConfig) {
  KernelSyncConfig k;
  std::string why;
  CHECK_TEXT(kernel_sync_config(board_of(), cfg(), k, why), why.c_str());
  // Every port's netdev and tap, then the LTE modem's netdev from the config.
  LONGS_EQUAL(8, k.links.size());
  CHECK(k.links[0] == (WatchedLink{"tap-lan", "lan", "tap"}));
  CHECK(k.links[1] == (WatchedLink{"wan0", "wan0", "port"}));
  CHECK(k.links[2] == (WatchedLink{"tap-wan0", "wan0", "tap"}));
  CHECK(k.links[7] == (WatchedLink{"wwan0", "lte", "port"}));
  // One table per uplink tap, numbered by port (as ap_uplink_routes did).
  LONGS_EQUAL(3, k.routes.uplinks.size());
  STRCMP_EQUAL("tap-wan1", k.routes.uplinks[1].ifname.c_str());
  STRCMP_EQUAL("198.51.100.18/28", k.routes.uplinks[1].address.str().c_str());
  STRCMP_EQUAL("198.51.100.17", k.routes.uplinks[1].gateway.str().c_str());
  LONGS_EQUAL(102, k.routes.uplinks[1].table);
  LONGS_EQUAL(102, k.routes.uplinks[1].rule_priority);
  STRCMP_EQUAL("lte", k.route_uplinks[2].c_str());
  LONGS_EQUAL(1, k.routes.bring_up.size());
  STRCMP_EQUAL("wwan0", k.routes.bring_up[0].c_str());
  STRCMP_EQUAL("Carrier B", k.labels.at("wan1").c_str());
}

TEST(KernelSyncConfig, DisabledLteIsNotBroughtUpAndTaplessPortsHaveNoTable) {
  config::Config c = cfg();
  c.uplinks[2].enabled = false;
  board::Board b = board_of();
  b.ports[2].tap_iface.clear();  // wan1 without exception path
  KernelSyncConfig k;
  std::string why;
  CHECK_TEXT(kernel_sync_config(b, c, k, why), why.c_str());
  LONGS_EQUAL(0, k.routes.bring_up.size());
  LONGS_EQUAL(2, k.routes.uplinks.size());
  STRCMP_EQUAL("lte", k.route_uplinks[1].c_str());
}

TEST(KernelSyncConfig, TooManyLinksIsRefused) {
  config::Config c = cfg();
  for (int i = 0; i < 10; ++i) c.uplinks.push_back(uplink("x", "wan", ("eth" + std::to_string(i)).c_str(), ""));
  KernelSyncConfig k;
  std::string why;
  CHECK_FALSE(kernel_sync_config(board_of(), c, k, why));
  STRCMP_CONTAINS("links to watch", why.c_str());
}

TEST_GROUP(KernelSync) {
  FakeNetlink nl;
  FakeFastPath fp;
  uint64_t mono = 10'000'000'000;
  int64_t wall_us = 1'700'000'000'000'000;
  std::vector<std::string> logs;
  std::vector<LinkEvent> events;
  KernelSync* ks = nullptr;
  std::string why;

  void setup() override {
    int i = 1;
    for (const char* l : {"tap-lan", "wan0", "tap-wan0", "wan1", "tap-wan1", "lte", "tap-lte"})
      nl.add_link(i++, l, true, true);
    nl.add_link(20, "wwan0", false, false);  // modem netdev: comes up down
    fp.body.uplink_count = 3;
    std::strcpy(fp.body.uplinks[0].name, "wan0");
    std::strcpy(fp.body.uplinks[1].name, "wan1");
    std::strcpy(fp.body.uplinks[2].name, "lte");
    fp.body.active_uplink = 0;
    ks = new KernelSync(nl, fp, {[this] { return mono; }, [this] { return wall_us; }},
                        [this](int, const std::string& m) { logs.push_back(m); });
    ks->on_link_event = [this](const LinkEvent& e) { events.push_back(e); };
  }
  void teardown() override { delete ks; }
  void advance_ms(uint64_t ms) {
    mono += ms * 1'000'000;
    wall_us += int64_t(ms) * 1000;
  }
  void open() { CHECK_TEXT(ks->open(board_of(), cfg()), ks->error().c_str()); }
};

TEST(KernelSync, NetlinkThatCannotOpenLeavesItOff) {
  nl.fail_next("Permission denied");
  CHECK_FALSE(ks->open(board_of(), cfg()));
  CHECK_FALSE(ks->enabled());
  STRCMP_CONTAINS("Permission denied", ks->error().c_str());
  CHECK(has_log(logs, "not managed"));
  LONGS_EQUAL(-1, ks->event_fd());
  ks->tick();
  ks->on_readable();
  CHECK_TRUE(nl.routes.empty());
}

TEST(KernelSync, OpenBringsLteUpAndBuildsTablesAndRulesThenMainRouteFromStats) {
  open();
  CHECK_TRUE(nl.opened);
  STRCMP_EQUAL("set_link_up wwan0 1", nl.calls.at(0).c_str());
  LONGS_EQUAL(1, nl.addresses["tap-wan0"].count("198.51.100.2/28"));
  CHECK(nl.routes.at({4, 101}) == (FakeNetlink::Route{"tap-wan0", IpAddr::v4(0xC6336401)}));
  CHECK(nl.routes.at({4, 103}).ifname == "tap-lte");
  LONGS_EQUAL(1, nl.rules.count({102, "198.51.100.18/32", 102}));
  LONGS_EQUAL(3, nl.rules.size());
  // The active uplink is not known before the fast path is read.
  CHECK(main_route(nl) == nullptr);
  CHECK_FALSE(ks->routes_done() && ks->active() != "none");
  // Initial states are logged, not reported as events.
  LONGS_EQUAL(0, events.size());
  LONGS_EQUAL(0, ks->link_events());
  CHECK(has_log(logs, "link wwan0 (lte port) down"));
  ks->tick();
  STRCMP_EQUAL("wan0", ks->active().c_str());
  CHECK(main_route(nl) != nullptr);
  STRCMP_EQUAL("tap-wan0", main_route(nl)->ifname.c_str());
  CHECK_TRUE(ks->routes_done());
  CHECK(has_log(logs, "main default route via tap-wan0"));
}

TEST(KernelSync, SwitchMovesOnlyTheMainRoute) {
  open();
  ks->tick();
  nl.calls.clear();
  ks->set_active("wan1");
  LONGS_EQUAL(1, nl.calls.size());
  STRCMP_EQUAL("set_default_route tap-wan1 via 198.51.100.17 table 254", nl.calls[0].c_str());
  // Same uplink again, "none" (all down) and unknown names: the route stays.
  ks->set_active("wan1");
  ks->set_active("none");
  ks->set_active("nosuch");
  LONGS_EQUAL(1, nl.calls.size());
  STRCMP_EQUAL("tap-wan1", main_route(nl)->ifname.c_str());
}

TEST(KernelSync, StatsBackstopIsPolledAtItsInterval) {
  open();
  ks->tick();
  fp.body.active_uplink = 2;  // a switch whose event was lost
  advance_ms(KernelSync::kActivePollNs / 1'000'000 - 1);
  ks->tick();
  STRCMP_EQUAL("tap-wan0", main_route(nl)->ifname.c_str());
  advance_ms(1);
  ks->tick();
  STRCMP_EQUAL("tap-lte", main_route(nl)->ifname.c_str());
  // No uplink active / fast path gone: the last route stays.
  fp.body.active_uplink = api::kNoUplink;
  advance_ms(KernelSync::kActivePollNs / 1'000'000);
  ks->tick();
  fp.present = false;
  advance_ms(KernelSync::kActivePollNs / 1'000'000);
  ks->tick();
  STRCMP_EQUAL("tap-lte", main_route(nl)->ifname.c_str());
  STRCMP_EQUAL("lte", ks->active().c_str());
}

TEST(KernelSync, CarrierChangesAreReportedOnceWithTheirTime) {
  open();
  ks->tick();
  const uint64_t seen = mono + 300'000;  // read 0.3 ms before the daemon looks
  nl.set_carrier("wan1", false, seen);
  advance_ms(2);
  ks->on_readable();
  LONGS_EQUAL(1, events.size());
  STRCMP_EQUAL("wan1", events[0].link.ifname.c_str());
  STRCMP_EQUAL("port", events[0].link.kind.c_str());
  CHECK_FALSE(events[0].up);
  LONGS_EQUAL(seen, events[0].mono_ns);
  // Wall time of the message: now minus how long ago it was read.
  LONGS_EQUAL(wall_us - 1700, events[0].wall_us);
  CHECK(has_log(logs, "link wan1 (wan1 port) down"));
  // The kernel repeats RTM_NEWLINK (stats, MTU): not a change.
  nl.set_carrier("wan1", false, mono);
  ks->on_readable();
  LONGS_EQUAL(1, events.size());
  nl.set_carrier("wan1", true, mono);
  ks->on_readable();
  LONGS_EQUAL(2, events.size());
  CHECK_TRUE(events[1].up);
  LONGS_EQUAL(2, ks->link_events());
  Json j = ks->links_json();
  for (const auto& l : j["links"])
    if (l["name"] == "wan1") {
      LONGS_EQUAL(2, l["changes"].get<int>());
      CHECK_TRUE(l["up"].get<bool>());
      LONGS_EQUAL(wall_us, l["last_change_wall_us"].get<int64_t>());
    }
  // Links of no port are ignored.
  nl.appear(40, "veth-other", true, true, mono);
  ks->on_readable();
  LONGS_EQUAL(2, events.size());
}

TEST(KernelSync, TapRecreatedGetsItsRoutesAgain) {
  open();
  ks->tick();
  ks->set_active("wan1");
  // tg-dataplane restarts: its tap goes away (routes with it) and comes back.
  nl.remove_link("tap-wan1", mono);
  ks->on_readable();
  CHECK(nl.routes.count({4, 102}) == 0);
  CHECK(main_route(nl) == nullptr);
  LONGS_EQUAL(1, events.size());
  CHECK_FALSE(events[0].up);
  nl.calls.clear();
  nl.appear(30, "tap-wan1", true, true, mono);
  ks->on_readable();
  LONGS_EQUAL(2, events.size());
  CHECK_TRUE(events[1].up);
  CHECK(nl.routes.at({4, 102}).ifname == "tap-wan1");
  STRCMP_EQUAL("tap-wan1", main_route(nl)->ifname.c_str());
  LONGS_EQUAL(1, nl.addresses["tap-wan1"].count("198.51.100.18/28"));
  // Only what the kernel lost was sent: address, table, rule, main route.
  LONGS_EQUAL(4, nl.calls.size());
  CHECK_TRUE(ks->routes_done());
}

TEST(KernelSync, TapSetDownAndUpGetsItsRoutesAgain) {
  open();
  ks->tick();
  nl.set_admin("tap-wan0", false, mono);
  ks->on_readable();
  CHECK(main_route(nl) == nullptr);
  CHECK(nl.routes.count({4, 101}) == 0);
  nl.set_admin("tap-wan0", true, mono);
  ks->on_readable();
  CHECK(nl.routes.at({4, 101}).ifname == "tap-wan0");
  STRCMP_EQUAL("tap-wan0", main_route(nl)->ifname.c_str());
}

TEST(KernelSync, ModemReenumeratedIsBroughtUpAgain) {
  open();
  ks->tick();
  nl.remove_link("wwan0", mono);
  ks->on_readable();
  nl.calls.clear();
  nl.appear(50, "wwan0", false, false, mono);
  ks->on_readable();
  STRCMP_EQUAL("set_link_up wwan0 1", nl.calls.at(0).c_str());
  // Set down by a technician (same link): left alone.
  ks->on_readable();
  nl.calls.clear();
  nl.set_admin("wwan0", false, mono);
  ks->on_readable();
  LONGS_EQUAL(0, nl.calls.size());
}

TEST(KernelSync, MissingTapIsRetriedEverySecondAndLoggedOnce) {
  nl.remove_link("tap-lte", mono);  // no tap yet: tg-dataplane not started
  open();
  ks->tick();
  // The other uplinks are in place; lte's table is missing.
  STRCMP_EQUAL("tap-wan0", main_route(nl)->ifname.c_str());
  CHECK(nl.routes.count({4, 103}) == 0);
  CHECK_FALSE(ks->routes_done());
  CHECK(has_log(logs, "no such link: tap-lte"));
  const size_t logged = logs.size();
  advance_ms(500);
  ks->tick();
  LONGS_EQUAL(logged, logs.size());  // the same error is not logged again
  // The tap appears without a message reaching us: the timer finds it.
  nl.add_link(60, "tap-lte", true, true);
  advance_ms(499);
  ks->tick();
  CHECK(nl.routes.count({4, 103}) == 0);  // not before the retry interval
  advance_ms(1);
  ks->tick();
  CHECK(nl.routes.at({4, 103}).ifname == "tap-lte");
  CHECK_TRUE(ks->routes_done());
  CHECK(has_log(logs, "in place again"));
}

TEST(KernelSync, TheTapAppearingTriggersTheRetryAtOnce) {
  nl.remove_link("tap-lte", mono);
  open();
  ks->tick();
  CHECK_FALSE(ks->routes_done());
  nl.appear(60, "tap-lte", true, true, mono);
  ks->on_readable();  // no waiting for the retry timer
  CHECK(nl.routes.at({4, 103}).ifname == "tap-lte");
  CHECK_TRUE(ks->routes_done());
}

TEST(KernelSync, LostMessagesMeanADumpAndTheDifferencesReported) {
  open();
  ks->tick();
  nl.set_carrier("lte", false, mono);  // this message is lost in the overrun
  nl.fail_next("No buffer space available");
  ks->on_readable();
  CHECK(has_log(logs, "re-reading the links"));
  LONGS_EQUAL(1, events.size());
  STRCMP_EQUAL("lte", events[0].link.ifname.c_str());
  CHECK_FALSE(events[0].up);
}

TEST(KernelSync, PeriodicResyncRepairsDrift) {
  open();
  ks->tick();
  const int64_t changed_at = wall_us;
  nl.routes.erase({4, 102});  // someone deleted it behind our back
  nl.rules.clear();
  advance_ms(KernelSync::kResyncNs / 1'000'000 - 1);
  ks->tick();
  CHECK(nl.routes.count({4, 102}) == 0);
  advance_ms(1);
  ks->tick();
  CHECK(nl.routes.at({4, 102}).ifname == "tap-wan1");
  LONGS_EQUAL(3, nl.rules.size());
  STRCMP_EQUAL("tap-wan0", main_route(nl)->ifname.c_str());
  LONGS_EQUAL(1, ks->resyncs());
  LONGS_EQUAL(0, events.size());  // nothing changed on the links
  // The main route was re-sent, not moved: no log line, no new time.
  int moved = 0;
  for (const auto& l : logs) moved += l.find("main default route via") != std::string::npos;
  LONGS_EQUAL(1, moved);
  LONGS_EQUAL(changed_at, ks->links_json()["main_route_changed_wall_us"].get<int64_t>());
}

TEST(KernelSyncConfig, Ipv6OfTheUplinksFromTheBoard) {
  KernelSyncConfig k;
  std::string why;
  CHECK_TEXT(kernel_sync_config(board_of(kPorts6), cfg(), k, why), why.c_str());
  LONGS_EQUAL(3, k.routes.uplinks.size());
  STRCMP_EQUAL("2001:db8:100::2/64", k.routes.uplinks[0].address6.str().c_str());
  STRCMP_EQUAL("2001:db8:100::1", k.routes.uplinks[0].gateway6.str().c_str());
  STRCMP_EQUAL("2001:db8:101::2/64", k.routes.uplinks[1].address6.str().c_str());
  CHECK_FALSE(k.routes.uplinks[2].has_ipv6());
  // The IPv4-only board: no IPv6 anywhere.
  CHECK_TEXT(kernel_sync_config(board_of(), cfg(), k, why), why.c_str());
  for (const auto& u : k.routes.uplinks) CHECK_FALSE(u.has_ipv6());
}

TEST(KernelSync, Ipv6UplinksGetTablesRulesAndTheMainRouteFollowsTheActiveOne) {
  CHECK_TEXT(ks->open(board_of(kPorts6), cfg()), ks->error().c_str());
  LONGS_EQUAL(1, nl.addresses["tap-wan0"].count("2001:db8:100::2/64"));
  LONGS_EQUAL(1, nl.addresses["tap-wan1"].count("2001:db8:101::2/64"));
  STRCMP_EQUAL("2001:db8:100::1", nl.routes.at({6, 101}).gateway.str().c_str());
  STRCMP_EQUAL("tap-wan1", nl.routes.at({6, 102}).ifname.c_str());
  CHECK(nl.routes.count({6, 103}) == 0);  // lte has no IPv6
  LONGS_EQUAL(1, nl.rules.count({101, "2001:db8:100::2/128", 101}));
  LONGS_EQUAL(1, nl.rules.count({102, "2001:db8:101::2/128", 102}));
  LONGS_EQUAL(5, nl.rules.size());
  STRCMP_EQUAL("none", main6_dev(nl).c_str());  // active uplink not read yet
  ks->tick();
  STRCMP_EQUAL("tap-wan0", main6_dev(nl).c_str());
  CHECK_TRUE(ks->routes_done());
  CHECK(has_log(logs, "main IPv6 default route via tap-wan0 (wan0, the active uplink)"));
  Json j = ks->links_json();
  STRCMP_EQUAL("tap-wan0", j["main_default_route6"].get<std::string>().c_str());
  STRCMP_EQUAL("2001:db8:100::2/64", j["uplink_routes"][0]["address6"].get<std::string>().c_str());
  CHECK_TRUE(j["uplink_routes"][2]["address6"].is_null());

  nl.calls.clear();
  ks->set_active("wan1");
  LONGS_EQUAL(2, nl.calls.size());
  STRCMP_EQUAL("set_default_route tap-wan1 via 2001:db8:101::1 table 254", nl.calls[1].c_str());
  STRCMP_EQUAL("tap-wan1", main6_dev(nl).c_str());
  STRCMP_EQUAL("tap-wan1", main_route(nl)->ifname.c_str());
  // Failover to LTE: IPv4 follows, the IPv6 default route goes.
  ks->set_active("lte");
  STRCMP_EQUAL("tap-lte", main_route(nl)->ifname.c_str());
  STRCMP_EQUAL("none", main6_dev(nl).c_str());
  CHECK(has_log(logs, "no main IPv6 default route: the active uplink lte has no IPv6"));
  CHECK_TRUE(ks->links_json()["main_default_route6"].is_null());
  CHECK_TRUE(ks->routes_done());
  ks->set_active("wan0");
  STRCMP_EQUAL("tap-wan0", main6_dev(nl).c_str());
  STRCMP_EQUAL("2001:db8:100::1", main_route(nl, 6)->gateway.str().c_str());
}

TEST(KernelSync, Ipv6ComesBackAfterTheTapWentDownAndUp) {
  CHECK_TEXT(ks->open(board_of(kPorts6), cfg()), ks->error().c_str());
  ks->tick();
  nl.set_admin("tap-wan0", false, mono);
  ks->on_readable();
  CHECK(nl.routes.count({6, 101}) == 0);
  STRCMP_EQUAL("none", main6_dev(nl).c_str());
  LONGS_EQUAL(0, nl.addresses["tap-wan0"].count("2001:db8:100::2/64"));
  nl.set_admin("tap-wan0", true, mono);
  ks->on_readable();
  LONGS_EQUAL(1, nl.addresses["tap-wan0"].count("2001:db8:100::2/64"));
  CHECK(nl.routes.at({6, 101}).ifname == "tap-wan0");
  STRCMP_EQUAL("tap-wan0", main6_dev(nl).c_str());
  CHECK_TRUE(ks->routes_done());
}

TEST(KernelSync, Ipv6DriftIsRepairedByThePeriodicResync) {
  CHECK_TEXT(ks->open(board_of(kPorts6), cfg()), ks->error().c_str());
  ks->tick();
  nl.routes.erase({6, 102});
  nl.routes.erase({6, kMainTable});
  nl.rules.erase({101, "2001:db8:100::2/128", 101});
  advance_ms(KernelSync::kResyncNs / 1'000'000);
  ks->tick();
  CHECK(nl.routes.at({6, 102}).ifname == "tap-wan1");
  STRCMP_EQUAL("tap-wan0", main6_dev(nl).c_str());
  LONGS_EQUAL(5, nl.rules.size());
  LONGS_EQUAL(1, ks->resyncs());
}

TEST(KernelSync, KernelRefusingIpv6KeepsIpv4AndRetries) {
  nl.ipv6_disabled = true;
  CHECK_TEXT(ks->open(board_of(kPorts6), cfg()), ks->error().c_str());
  ks->tick();
  STRCMP_EQUAL("tap-wan0", main_route(nl)->ifname.c_str());
  LONGS_EQUAL(3, nl.rules.size());
  CHECK_FALSE(ks->routes_done());
  CHECK(has_log(logs, "Permission denied"));
  nl.ipv6_disabled = false;
  advance_ms(KernelSync::kRetryNs / 1'000'000);
  ks->tick();
  CHECK_TRUE(ks->routes_done());
  STRCMP_EQUAL("tap-wan0", main6_dev(nl).c_str());
}

TEST(KernelSync, Ipv4OnlyBoardLeavesIpv6Alone) {
  open();
  ks->tick();
  ks->set_active("lte");
  ks->set_active("wan1");
  for (const auto& c : nl.calls) CHECK_TEXT(c.find(" 6 ") == std::string::npos && c.find("::") == std::string::npos, c.c_str());
  CHECK(main_route(nl, 6) == nullptr);
  CHECK_TRUE(ks->links_json()["main_default_route6"].is_null());
}

TEST(KernelSync, LinksJsonSaysWhatIsManaged) {
  open();
  ks->tick();
  Json j = ks->links_json();
  CHECK_TRUE(j["enabled"].get<bool>());
  LONGS_EQUAL(8, j["links"].size());
  STRCMP_EQUAL("tap-wan0", j["main_default_route"].get<std::string>().c_str());
  STRCMP_EQUAL("wan0", j["active_uplink"].get<std::string>().c_str());
  CHECK_TRUE(j["in_step"].get<bool>());
  LONGS_EQUAL(101, j["uplink_routes"][0]["table"].get<int>());
  for (const auto& l : j["links"])
    if (l["name"] == "wwan0") {
      CHECK_FALSE(l["up"].get<bool>());  // admin up now, no carrier: not operational
      CHECK_TRUE(l["present"].get<bool>());
      CHECK_TRUE(l["last_change_wall_us"].is_number());
    }
}

// Wired into the daemon: switch events and configuration changes through
// the controller's hooks, link events into the event store and alarms.
namespace {
std::string conf(const std::string& dir, const char* lte_device) {
  return "[box]\nname = edge-1\nstate_dir = " + dir +
         "/state\n"
         "[uplink.wan0]\nrole = wan\ndevice = wan0\ncarrier = Carrier A\naddress = 198.51.100.2/28\n"
         "gateway = 198.51.100.1\nprobe_targets = 203.0.113.10\npriority = 1\n"
         "[uplink.wan1]\nrole = wan\ndevice = wan1\ncarrier = Carrier B\naddress = 198.51.100.18/28\n"
         "gateway = 198.51.100.17\nprobe_targets = 203.0.113.10\npriority = 2\n"
         "[uplink.lte]\nrole = lte\ndevice = " + std::string(lte_device) +
         "\ncarrier = LTE\naddress = 198.51.100.34/28\n"
         "gateway = 198.51.100.33\nprobe_targets = 203.0.113.10\npriority = 3\n"
         "[alarm.syslog]\nenabled = false\n"
         "[store]\npath = " + dir + "/state/store.db\n";
}
}  // namespace

TEST_GROUP(KernelSyncInDaemon) {
  std::string dir;
  config::ConfigStore* store = nullptr;
  FakeFastPath fp;
  FakeNetlink nl;
  Controller* ctl = nullptr;
  Services* svc = nullptr;
  KernelSync* ks = nullptr;
  uint64_t now_ns = 5'000'000'000;
  int64_t wall_ms = 1'700'000'000'000;
  std::vector<std::string> logs;
  mgmt::Peer root{1, 0, 0, {}, "root"};

  void setup() override {
    char tmpl[] = "/tmp/tg-kernel-sync-test.XXXXXX";
    dir = mkdtemp(tmpl);
    std::string why;
    CHECK(config::write_file_atomically(dir + "/c.conf", conf(dir, "wwan0"), why));
    store = new config::ConfigStore;
    auto r = store->open({dir + "/c.conf", "", {}});
    CHECK_TRUE_TEXT(r.ok(), r.error_text().c_str());
    Clock clock{[this] { return now_ns; }, [this] { return wall_ms; },
                [this](int ms) { now_ns += uint64_t(ms) * 1000000; }};
    auto log = [this](int, const std::string& m) { logs.push_back(m); };
    ctl = new Controller(*store, fp, clock, log);
    svc = new Services(fp, [this] { return wall_ms; }, log);
    CHECK_TRUE(svc->open(store->running()));
    svc->install(*ctl);
    int i = 1;
    for (const char* l : {"tap-lan", "wan0", "tap-wan0", "wan1", "tap-wan1", "lte", "tap-lte", "wwan0", "wwan1"})
      nl.add_link(i++, l, true, true);
    fp.body.uplink_count = 3;
    std::strcpy(fp.body.uplinks[0].name, "wan0");
    std::strcpy(fp.body.uplinks[1].name, "wan1");
    std::strcpy(fp.body.uplinks[2].name, "lte");
    ks = new KernelSync(nl, fp, {[this] { return now_ns; }, [this] { return wall_ms * 1000; }}, log);
    CHECK_TRUE(ks->open(board_of(), store->running()));
    ks->install(*ctl, svc->alarm_service());
    ctl->tick();
    ks->tick();
  }
  void teardown() override {
    delete ks;
    delete svc;
    delete ctl;
    delete store;
    std::system(("rm -rf " + dir).c_str());
  }
  Json request(const std::string& line) { return Json::parse(ctl->handle(root, mgmt::Role::admin, line)); }
  const alarm::Alarm* link_down(const char* uplink) {
    return svc->alarm_service()->alarms().find_active(alarm::AlarmType::uplink_link_down, uplink);
  }
};

TEST(KernelSyncInDaemon, SwitchEventMovesTheMainRouteAtOnce) {
  STRCMP_EQUAL("tap-wan0", main_route(nl)->ifname.c_str());
  fp.add_switch(0, 1, api::SwitchReason::link_down, now_ns, now_ns, now_ns, 0);
  ctl->tick();  // the controller consumes the event; no stats poll needed
  STRCMP_EQUAL("tap-wan1", main_route(nl)->ifname.c_str());
  LONGS_EQUAL(1, ctl->switches().size());  // the earlier on_switch hooks still ran
}

TEST(KernelSyncInDaemon, ShowInterfacesHasTheLinks) {
  Json r = request(R"({"v":1,"id":1,"cmd":"show.interfaces"})");
  CHECK_TRUE(r["ok"].get<bool>());
  const Json& n = r["result"]["netlink"];
  LONGS_EQUAL(8, n["links"].size());
  STRCMP_EQUAL("tap-wan0", n["main_default_route"].get<std::string>().c_str());
}

TEST(KernelSyncInDaemon, BackupCarrierLossRaisesLinkDownAndItsReturnClears) {
  nl.set_carrier("wan1", false, now_ns);
  ks->on_readable();
  const alarm::Alarm* a = link_down("wan1");
  CHECK(a != nullptr);
  // The active uplink's carrier loss is the failover's to raise (with the
  // action it took), not raised twice.
  nl.set_carrier("wan0", false, now_ns);
  ks->on_readable();
  CHECK(link_down("wan0") == nullptr);
  nl.set_carrier("wan1", true, now_ns);
  ks->on_readable();
  CHECK(link_down("wan1") == nullptr);
  // Tap and lan links are events, not alarms.
  nl.set_carrier("tap-wan1", false, now_ns);
  ks->on_readable();
  CHECK(link_down("wan1") == nullptr);
  // Every change is in the event store.
  int links = 0;
  for (const auto& e : svc->alarm_service()->event_store().events())
    if (e.kind == "link") ++links;
  LONGS_EQUAL(4, links);
}

TEST(KernelSyncInDaemon, ConfigCommitFollowsTheLteDevice) {
  CHECK_TRUE(request(R"({"v":1,"id":1,"cmd":"config.set","args":{"section":"uplink.lte","key":"device","value":"wwan1"}})")["ok"]
                 .get<bool>());
  nl.calls.clear();
  Json r = request(R"({"v":1,"id":2,"cmd":"config.commit"})");
  CHECK_TEXT(r["ok"].get<bool>(), r.dump().c_str());
  bool brought_up = false;
  for (const auto& c : nl.calls) brought_up |= c == "set_link_up wwan1 1";
  CHECK_TRUE(brought_up);
  bool watched = false;
  const Json j = ks->links_json();
  for (const auto& l : j["links"]) watched |= l["name"] == "wwan1";
  CHECK_TRUE(watched);
}
