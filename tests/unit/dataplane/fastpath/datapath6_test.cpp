// The per-lcore datapath with IPv6 on FakePorts: ND answers that are longer
// than the solicitation leave with the right length, Neighbor Solicitations
// for next hops go out to the solicited-node group, a LAN flow crosses and
// comes back, and a switch moves it to the backup uplink's address.
#include "tests/unit/drivers/dpdk/test_eal.hpp"

#include <CppUTest/TestHarness.h>

#include <memory>

#include "dataplane/fastpath/datapath.hpp"
#include "drivers/dpdk/fake_port.hpp"
#include "tests/unit/dataplane/fastpath/frames.hpp"

using namespace tg;
using namespace tg::fastpath;
using namespace tg::fastpath::test;
using tg::drivers::FakePort;
using tg::drivers::test::bytes_of;
using tg::drivers::test::mbuf_of;
using tg::drivers::test::test_pool;

namespace {
const bool kEal = test_pool() != nullptr;
const Ip6 kLan6 = ip6(1, 1), kHost6 = ip6(1, 0x10);
const Ip6 kWan0Ip6 = ip6(0x100, 2), kGw0Ip6 = ip6(0x100, 1);
const Ip6 kWan1Ip6 = ip6(0x200, 2), kGw1Ip6 = ip6(0x200, 1);
const Ip6 kFar6 = ip6(0xf, 0x20);

void set_v6(Interface& i, const Ip6& a, const Ip6* gw) {
  i.has_ip6 = true;
  i.ip6 = a;
  i.prefix6_len = 64;
  if (gw) {
    i.has_gateway6 = true;
    i.gateway6 = *gw;
  }
}
}  // namespace

TEST_GROUP(Datapath6) {
  std::unique_ptr<FakePort> lan, wan0, wan1;
  std::unique_ptr<Datapath> dp;
  TimeNs now = kNsPerSec;

  void setup() override {
    CHECK(kEal);
    lan = std::make_unique<FakePort>("lan", kLanMac);
    wan0 = std::make_unique<FakePort>("wan0", kWan0Mac);
    wan1 = std::make_unique<FakePort>("wan1", kWan1Mac);
    ForwarderConfig c;
    c.nat_capacity = 64;
    c.nat6_capacity = 64;
    c.ports[0] = Interface{true, kLanMac, ip4(192, 0, 2, 1), 26, 0, false};
    c.ports[1] = Interface{true, kWan0Mac, ip4(198, 51, 100, 2), 28, ip4(198, 51, 100, 1), false};
    c.ports[2] = Interface{true, kWan1Mac, ip4(198, 51, 100, 18), 28, ip4(198, 51, 100, 17), false};
    set_v6(c.ports[0], kLan6, nullptr);
    set_v6(c.ports[1], kWan0Ip6, &kGw0Ip6);
    set_v6(c.ports[2], kWan1Ip6, &kGw1Ip6);
    drivers::Port* ports[kMaxPorts] = {lan.get(), wan0.get(), wan1.get(), nullptr, nullptr};
    dp = std::make_unique<Datapath>(c, ports, test_pool());
  }
  void teardown() override {
    dp.reset();
    lan.reset();
    wan0.reset();
    wan1.reset();
  }
  void inject(FakePort& p, const std::vector<uint8_t>& f) { p.inject(mbuf_of(f.data(), f.size())); }
  std::vector<std::vector<uint8_t>> sent(FakePort& p) {
    std::vector<std::vector<uint8_t>> out;
    for (rte_mbuf* m : p.take_sent()) {
      out.push_back(bytes_of(m));
      rte_pktmbuf_free(m);
    }
    return out;
  }
};

TEST(Datapath6, SolicitsNextHopsAndForwardsBothWaysAcrossASwitch) {
  // Start-up: both gateways wanted; the Neighbor Solicitations leave to
  // their solicited-node groups, from the uplinks' addresses, valid.
  dp->forwarder().want_nd(1, kGw0Ip6, now);
  dp->forwarder().want_nd(2, kGw1Ip6, now);
  LONGS_EQUAL(2, dp->send_arp_requests(now));
  LONGS_EQUAL(1, dp->tx_count(1, TxCounter::nd_solicits));
  auto ns = sent(*wan0);
  LONGS_EQUAL(1, ns.size());
  LONGS_EQUAL(kNdFrameLen, ns[0].size());
  CHECK(get_mac(ns[0].data()) == (Mac{0x33, 0x33, 0xff, 0, 0, 0x01}));
  CHECK(ip6_at(ns[0], kF6Dst) == ip6_solicited_node(kGw0Ip6));
  CHECK(ip6_at(ns[0], kF6Src) == kWan0Ip6);
  LONGS_EQUAL(kNdNeighborSolicit, ns[0][kF6L4]);
  CHECK(ip6_at(ns[0], kF6L4 + 8) == kGw0Ip6);
  CHECK(get_mac(ns[0].data() + kF6L4 + 26) == kWan0Mac);
  CHECK(checksums_valid6(ns[0]));
  LONGS_EQUAL(1, sent(*wan1).size());

  // The gateways answer; the LAN host asks for us (a short NS without the
  // option, unicast after a restart: the answer is longer than the question).
  inject(*wan0, nd_frame(kNdNeighborAdvert, kWan0Mac, kGw0Mac, kGw0Ip6, kWan0Ip6, kGw0Ip6, &kGw0Mac, kNaSolicited));
  inject(*wan1, nd_frame(kNdNeighborAdvert, kWan1Mac, kGw1Mac, kGw1Ip6, kWan1Ip6, kGw1Ip6, &kGw1Mac, kNaSolicited));
  inject(*lan, nd_frame(kNdNeighborSolicit, solicited_mac(kLan6), kHostMac, kHost6, ip6_solicited_node(kLan6), kLan6,
                        &kHostMac));
  inject(*lan, nd_frame(kNdNeighborSolicit, kLanMac, kHostMac, kHost6, kLan6, kLan6, nullptr));
  dp->poll(0, now);
  auto na = sent(*lan);
  LONGS_EQUAL(2, na.size());
  for (auto& f : na) {
    LONGS_EQUAL(kNdFrameLen, f.size());
    LONGS_EQUAL(kNdNeighborAdvert, f[kF6L4]);
    CHECK(get_mac(f.data()) == kHostMac);
    CHECK(checksums_valid6(f));
  }
  LONGS_EQUAL(2, dp->forwarder().count(0, Disposition::nd_answered));
  LONGS_EQUAL(0, dp->send_arp_requests(now + kNsPerSec));  // nothing left to ask

  // A LAN flow out wan0, its reply back, then the switch to wan1.
  inject(*lan, udp6_frame(kLanMac, kHostMac, kHost6, 40000, kFar6, 5004));
  dp->poll(0, now);
  auto o = sent(*wan0);
  LONGS_EQUAL(1, o.size());
  CHECK(ip6_at(o[0], kF6Src) == kWan0Ip6);
  CHECK(checksums_valid6(o[0]));
  inject(*wan0, udp6_frame(kWan0Mac, kGw0Mac, kFar6, 5004, kWan0Ip6, 40000));
  dp->poll(0, now);
  auto back = sent(*lan);
  LONGS_EQUAL(1, back.size());
  CHECK(ip6_at(back[0], kF6Dst) == kHost6);
  CHECK(checksums_valid6(back[0]));
  inject(*lan, udp6_frame(kLanMac, kHostMac, kHost6, 40000, kFar6, 5004));
  dp->poll(1, now);
  CHECK(sent(*wan0).empty());
  auto b = sent(*wan1);
  LONGS_EQUAL(1, b.size());
  CHECK(ip6_at(b[0], kF6Src) == kWan1Ip6);
  LONGS_EQUAL(40000, load_be16(b[0].data() + kF6L4));
  CHECK(get_mac(b[0].data()) == kGw1Mac);
  CHECK(checksums_valid6(b[0]));
}
