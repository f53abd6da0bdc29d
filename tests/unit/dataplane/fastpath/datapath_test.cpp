// The per-lcore datapath on FakePorts: bursts from the LAN leave on the
// active uplink, replies leave where they came in, a full tx ring and a port
// without carrier are counted, and generated ARP/probes go out.
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
const uint32_t kLanIp = ip4(192, 0, 2, 1), kHostIp = ip4(192, 0, 2, 10);
const uint32_t kWan0Ip = ip4(198, 51, 100, 2), kGw0 = ip4(198, 51, 100, 1);
const uint32_t kWan1Ip = ip4(198, 51, 100, 18), kGw1 = ip4(198, 51, 100, 17);
const uint32_t kFar = ip4(203, 0, 113, 20);
}  // namespace

TEST_GROUP(Datapath) {
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
    c.ports[0] = Interface{true, kLanMac, kLanIp, 26, 0, false};
    c.ports[1] = Interface{true, kWan0Mac, kWan0Ip, 28, kGw0, false};
    c.ports[2] = Interface{true, kWan1Mac, kWan1Ip, 28, kGw1, false};
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
  void resolve() {
    inject(*wan0, arp_frame(2, kGw0Mac, kGw0, kWan0Mac, kWan0Ip, kWan0Mac));
    inject(*wan1, arp_frame(2, kGw1Mac, kGw1, kWan1Mac, kWan1Ip, kWan1Mac));
    inject(*lan, arp_frame(1, kHostMac, kHostIp, Mac{}, kLanIp));
    dp->poll(0, now);
    CHECK_EQUAL(1u, sent(*lan).size());  // the ARP answer
  }
};

TEST(Datapath, LanBurstLeavesOnActiveUplinkAndRepliesComeBack) {
  resolve();
  for (uint16_t i = 0; i < 40; ++i) inject(*lan, udp_frame(kLanMac, kHostMac, kHostIp, uint16_t(40000 + 2 * i), kFar, 5004));
  dp->poll(0, now);
  dp->poll(0, now);  // 40 > one burst
  auto out = sent(*wan0);
  LONGS_EQUAL(40, out.size());
  CHECK(sent(*wan1).empty());
  LONGS_EQUAL(kWan0Ip, load_be32(out[0].data() + 26));
  CHECK(checksums_valid(out[39]));
  inject(*wan0, udp_frame(kWan0Mac, kGw0Mac, kFar, 5004, kWan0Ip, 40000));
  dp->poll(0, now);
  auto back = sent(*lan);
  LONGS_EQUAL(1, back.size());
  LONGS_EQUAL(kHostIp, load_be32(back[0].data() + 30));
  LONGS_EQUAL(40, dp->forwarder().count(0, Disposition::forwarded_out));
  LONGS_EQUAL(1, dp->forwarder().count(1, Disposition::forwarded_in));
  LONGS_EQUAL(40, dp->tx_packets(1));
  LONGS_EQUAL(2, dp->tx_packets(0));  // ARP answer and the reply
  LONGS_EQUAL(0, dp->tx_packets(2));
}

TEST(Datapath, ActiveUplinkSwitchTakesEffectOnNextBurst) {
  resolve();
  inject(*lan, udp_frame(kLanMac, kHostMac, kHostIp, 40000, kFar, 5004));
  dp->poll(0, now);
  inject(*lan, udp_frame(kLanMac, kHostMac, kHostIp, 40000, kFar, 5004));
  dp->poll(1, now);
  LONGS_EQUAL(1, sent(*wan0).size());
  auto b = sent(*wan1);
  LONGS_EQUAL(1, b.size());
  LONGS_EQUAL(kWan1Ip, load_be32(b[0].data() + 26));
  LONGS_EQUAL(40000, load_be16(b[0].data() + 34));
}

TEST(Datapath, FullTxRingAndMissingCarrierAreCountedOnce) {
  resolve();
  wan0->tx_room = 2;
  for (uint16_t i = 0; i < 5; ++i) inject(*lan, udp_frame(kLanMac, kHostMac, kHostIp, uint16_t(2000 + i), kFar, 9));
  dp->poll(0, now);
  LONGS_EQUAL(2, sent(*wan0).size());
  const Forwarder& f = dp->forwarder();
  LONGS_EQUAL(2, f.count(0, Disposition::forwarded_out));
  LONGS_EQUAL(3, f.count(0, Disposition::tx_full));
  dp->set_link(1, false);
  inject(*lan, udp_frame(kLanMac, kHostMac, kHostIp, 3000, kFar, 9));
  dp->poll(0, now);
  LONGS_EQUAL(1, f.count(0, Disposition::port_down));
  LONGS_EQUAL(2, f.count(0, Disposition::forwarded_out));
}

TEST(Datapath, SendsArpRequestsAndProbes) {
  // Before resolution a probe cannot leave; it asks for the next hop.
  CHECK_FALSE(dp->send_probe(0, kFar, 1, now));
  LONGS_EQUAL(1, dp->tx_count(1, TxCounter::generated_failed));
  LONGS_EQUAL(1, dp->send_arp_requests(now));
  auto arp = sent(*wan0);
  LONGS_EQUAL(1, arp.size());
  LONGS_EQUAL(kEtherArp, load_be16(arp[0].data() + 12));
  LONGS_EQUAL(kGw0, load_be32(arp[0].data() + 38));
  LONGS_EQUAL(kWan0Ip, load_be32(arp[0].data() + 28));
  resolve();
  CHECK(dp->send_probe(0, kFar, 7, now));
  auto pr = sent(*wan0);
  LONGS_EQUAL(1, pr.size());
  CHECK(get_mac(pr[0].data()) == kGw0Mac);
  LONGS_EQUAL(kFar, load_be32(pr[0].data() + 30));
  LONGS_EQUAL(dp->forwarder().probe_id(0), load_be16(pr[0].data() + 38));
  CHECK(checksums_valid(pr[0]));
  LONGS_EQUAL(1, dp->tx_count(1, TxCounter::probes));
}

TEST(Datapath, ExceptionPathToAndFromTheKernelTap) {
  // Rebuilt with taps on the LAN and wan0.
  ForwarderConfig c;
  c.nat_capacity = 64;
  c.ports[0] = Interface{true, kLanMac, kLanIp, 26, 0, true};
  c.ports[1] = Interface{true, kWan0Mac, kWan0Ip, 28, kGw0, true};
  c.kernel_port_lo = 61000;
  c.kernel_port_hi = 65535;
  drivers::Port* ports[kMaxPorts] = {lan.get(), wan0.get(), nullptr, nullptr, nullptr};
  dp = std::make_unique<Datapath>(c, ports, test_pool());
  FakePort lan_tap("lan tap", kLanMac), wan0_tap("wan0 tap", kWan0Mac);
  dp->set_tap(0, &lan_tap);
  dp->set_tap(1, &wan0_tap);
  // An ARP reply is learned and copied; a packet for the box goes up.
  inject(*wan0, arp_frame(2, kGw0Mac, kGw0, kWan0Mac, kWan0Ip, kWan0Mac));
  inject(*wan0, udp_frame(kWan0Mac, kGw0Mac, kFar, 5060, kWan0Ip, 61000));
  inject(*lan, udp_frame(kLanMac, kHostMac, kHostIp, 1234, kLanIp, 161));
  dp->poll(0, now);
  auto up = sent(wan0_tap);
  LONGS_EQUAL(2, up.size());
  LONGS_EQUAL(kEtherArp, load_be16(up[0].data() + 12));
  LONGS_EQUAL(61000, load_be16(up[1].data() + 36));
  LONGS_EQUAL(1, sent(lan_tap).size());
  LONGS_EQUAL(2, dp->to_kernel_packets(1));
  // The kernel's frames leave on the port unchanged.
  auto k = udp_frame(kGw0Mac, kWan0Mac, kWan0Ip, 61000, kFar, 5060);
  wan0_tap.inject(mbuf_of(k.data(), k.size()));
  dp->poll(0, now);
  auto out = sent(*wan0);
  LONGS_EQUAL(1, out.size());
  CHECK(out[0] == k);
  LONGS_EQUAL(1, dp->from_kernel_packets(1));
  LONGS_EQUAL(1, dp->forwarder().count(1, Disposition::from_kernel));
  // No carrier: the kernel's frame is dropped and counted.
  dp->set_link(1, false);
  wan0_tap.inject(mbuf_of(k.data(), k.size()));
  dp->poll(0, now);
  CHECK(sent(*wan0).empty());
  LONGS_EQUAL(1, dp->tx_count(1, TxCounter::kernel_dropped));
  dp.reset();  // before the taps go
}
