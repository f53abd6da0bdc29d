// Forwarding decisions on plain frames: ARP, SNAT out, reverse NAT in, echo,
// probes, and every drop reason the LAN and uplinks can produce.
#include <CppUTest/TestHarness.h>

#include <memory>

#include "dataplane/fastpath/forwarder.hpp"
#include "tests/unit/dataplane/fastpath/frames.hpp"

using namespace tg;
using namespace tg::fastpath;
using namespace tg::fastpath::test;

namespace {

const uint32_t kLanIp = ip4(192, 0, 2, 1), kHostIp = ip4(192, 0, 2, 10);
const uint32_t kWan0Ip = ip4(198, 51, 100, 2), kGw0 = ip4(198, 51, 100, 1);
const uint32_t kWan1Ip = ip4(198, 51, 100, 18), kGw1 = ip4(198, 51, 100, 17);
const uint32_t kFar = ip4(203, 0, 113, 20);

ForwarderConfig config() {
  ForwarderConfig c;
  c.nat_capacity = 64;
  c.ports[0] = Interface{true, kLanMac, kLanIp, 26, 0, false};
  c.ports[1] = Interface{true, kWan0Mac, kWan0Ip, 28, kGw0, false};
  c.ports[2] = Interface{true, kWan1Mac, kWan1Ip, 28, kGw1, false};
  return c;
}

uint16_t u16(const std::vector<uint8_t>& f, size_t off) { return load_be16(f.data() + off); }
uint32_t u32(const std::vector<uint8_t>& f, size_t off) { return load_be32(f.data() + off); }

struct Seen {
  int calls = 0;
  bool inbound = false;
  uint8_t uplink = 0xFF;
  uint32_t src = 0, dst = 0;
};
void record(void* ctx, const uint8_t* frame, uint16_t, TimeNs, uint8_t uplink, bool inbound) {
  auto* s = static_cast<Seen*>(ctx);
  ++s->calls;
  s->inbound = inbound;
  s->uplink = uplink;
  s->src = load_be32(frame + 26);
  s->dst = load_be32(frame + 30);
}

}  // namespace

TEST_GROUP(Forwarder) {
  std::unique_ptr<Forwarder> fwd;
  TimeNs now = 1000 * kNsPerMs;
  void setup() override { fwd = std::make_unique<Forwarder>(config()); }
  Verdict rx(uint8_t port, std::vector<uint8_t>& f, uint8_t active = 0) {
    return fwd->on_rx(port, f.data(), uint16_t(f.size()), active, now);
  }
  // Next hops and the LAN host resolved, as after start-up.
  void resolve_all() {
    auto a = arp_frame(2, kGw0Mac, kGw0, kWan0Mac, kWan0Ip, kWan0Mac);
    CHECK(rx(1, a).why == Disposition::arp_learned);
    auto b = arp_frame(2, kGw1Mac, kGw1, kWan1Mac, kWan1Ip, kWan1Mac);
    CHECK(rx(2, b).why == Disposition::arp_learned);
    auto c = arp_frame(1, kHostMac, kHostIp, Mac{}, kLanIp);
    CHECK(rx(0, c).why == Disposition::arp_answered);
  }
};

TEST(Forwarder, AnswersArpForOwnAddressInPlace) {
  auto f = arp_frame(1, kHostMac, kHostIp, Mac{}, kLanIp);
  Verdict v = rx(0, f);
  CHECK(v.action == Action::reply);
  CHECK(v.why == Disposition::arp_answered);
  CHECK(get_mac(f.data()) == kHostMac);
  CHECK(get_mac(f.data() + 6) == kLanMac);
  LONGS_EQUAL(2, u16(f, 20));
  CHECK(get_mac(f.data() + 22) == kLanMac);
  LONGS_EQUAL(kLanIp, u32(f, 28));
  CHECK(get_mac(f.data() + 32) == kHostMac);
  LONGS_EQUAL(kHostIp, u32(f, 38));
  // The asker is learned: replies to it need no ARP of our own.
  CHECK(fwd->neighbors(0).lookup(kHostIp) != nullptr);
  LONGS_EQUAL(1, fwd->count(0, Disposition::arp_answered));
}

TEST(Forwarder, IgnoresArpForOtherHostsAndDoesNotLearnStrangers) {
  auto f = arp_frame(1, kHostMac, kHostIp, Mac{}, ip4(192, 0, 2, 11));
  CHECK(rx(0, f).why == Disposition::arp_ignored);
  CHECK(fwd->neighbors(0).lookup(kHostIp) == nullptr);
  auto t = arp_frame(1, kHostMac, kHostIp, Mac{}, kLanIp);
  t.resize(30);
  CHECK(rx(0, t).why == Disposition::frame_truncated);
}

TEST(Forwarder, OutboundWaitsForNextHopAndAsksArp) {
  auto f = udp_frame(kLanMac, kHostMac, kHostIp, 4000, kFar, 5060);
  Verdict v = rx(0, f);
  CHECK(v.action == Action::drop);
  CHECK(v.why == Disposition::nexthop_unresolved);
  ArpWant w[4];
  LONGS_EQUAL(1, fwd->take_arp_wants(w, 4, now));
  LONGS_EQUAL(1, w[0].port);
  LONGS_EQUAL(kGw0, w[0].ip);
  // Rate limited, then retried after arp_retry, then given up.
  LONGS_EQUAL(0, fwd->take_arp_wants(w, 4, now + kNsPerMs));
  int sent = 1;
  for (int i = 1; i < 20; ++i) sent += int(fwd->take_arp_wants(w, 4, now + TimeNs(i) * 100 * kNsPerMs));
  LONGS_EQUAL(5, sent);
  // A reply resolves it and ends the wanting.
  auto a = arp_frame(2, kGw0Mac, kGw0, kWan0Mac, kWan0Ip, kWan0Mac);
  CHECK(rx(1, a).why == Disposition::arp_learned);
  fwd->want_arp(1, kGw1, now);
  LONGS_EQUAL(1, fwd->take_arp_wants(w, 4, now + 10 * kNsPerSec));
  LONGS_EQUAL(kGw1, w[0].ip);
}

TEST(Forwarder, SnatOutKeepsPortAndFixesChecksums) {
  resolve_all();
  Seen seen;
  fwd->set_inspect_hook(record, &seen);
  auto f = udp_frame(kLanMac, kHostMac, kHostIp, 40000, kFar, 40002);
  Verdict v = rx(0, f);
  CHECK(v.action == Action::forward);
  LONGS_EQUAL(1, v.out);
  CHECK(v.why == Disposition::forwarded_out);
  CHECK(get_mac(f.data()) == kGw0Mac);
  CHECK(get_mac(f.data() + 6) == kWan0Mac);
  LONGS_EQUAL(kWan0Ip, u32(f, 26));
  LONGS_EQUAL(kFar, u32(f, 30));
  LONGS_EQUAL(40000, u16(f, 34));  // port preserved
  LONGS_EQUAL(63, f[22]);          // TTL decremented
  CHECK(checksums_valid(f));
  // The inspector saw the LAN view before the rewrite.
  LONGS_EQUAL(1, seen.calls);
  CHECK_FALSE(seen.inbound);
  LONGS_EQUAL(kHostIp, seen.src);
}

TEST(Forwarder, ReversePathRestoresLanEndpoint) {
  resolve_all();
  Seen seen;
  fwd->set_inspect_hook(record, &seen);
  auto out = udp_frame(kLanMac, kHostMac, kHostIp, 40000, kFar, 40002);
  CHECK(rx(0, out).action == Action::forward);
  auto in = udp_frame(kWan0Mac, kGw0Mac, kFar, 40002, kWan0Ip, 40000);
  Verdict v = rx(1, in);
  CHECK(v.action == Action::forward);
  LONGS_EQUAL(0, v.out);
  CHECK(v.why == Disposition::forwarded_in);
  CHECK(get_mac(in.data()) == kHostMac);
  CHECK(get_mac(in.data() + 6) == kLanMac);
  LONGS_EQUAL(kHostIp, u32(in, 30));
  LONGS_EQUAL(40000, u16(in, 36));
  CHECK(checksums_valid(in));
  LONGS_EQUAL(2, seen.calls);
  CHECK(seen.inbound);
  LONGS_EQUAL(0, seen.uplink);
  LONGS_EQUAL(kHostIp, seen.dst);
}

TEST(Forwarder, SecondHostOnSamePortGetsAnotherPortOfSameParity) {
  resolve_all();
  const uint32_t other = ip4(192, 0, 2, 11);
  auto a = arp_frame(1, Mac{2, 0, 0, 0, 0, 0x11}, other, Mac{}, kLanIp);
  rx(0, a);
  auto f1 = udp_frame(kLanMac, kHostMac, kHostIp, 40000, kFar, 5000);
  auto f2 = udp_frame(kLanMac, Mac{2, 0, 0, 0, 0, 0x11}, other, 40000, kFar, 5000);
  CHECK(rx(0, f1).action == Action::forward);
  CHECK(rx(0, f2).action == Action::forward);
  uint16_t p2 = u16(f2, 34);
  CHECK(p2 != 40000);
  LONGS_EQUAL(0, p2 % 2);
  CHECK(checksums_valid(f2));
  auto back = udp_frame(kWan0Mac, kGw0Mac, kFar, 5000, kWan0Ip, p2);
  CHECK(rx(1, back).why == Disposition::forwarded_in);
  LONGS_EQUAL(other, u32(back, 30));
  LONGS_EQUAL(40000, u16(back, 36));
}

TEST(Forwarder, SwitchKeepsExternalPortOnNewUplink) {
  resolve_all();
  auto f = udp_frame(kLanMac, kHostMac, kHostIp, 40000, kFar, 40002);
  CHECK(rx(0, f, 0).out == 1);
  auto g = udp_frame(kLanMac, kHostMac, kHostIp, 40000, kFar, 40002);
  Verdict v = rx(0, g, 1);
  LONGS_EQUAL(2, v.out);
  LONGS_EQUAL(kWan1Ip, u32(g, 26));
  CHECK(get_mac(g.data()) == kGw1Mac);
  LONGS_EQUAL(40000, u16(g, 34));
  CHECK(checksums_valid(g));
  // Late packets on the old uplink still come back in.
  auto in = udp_frame(kWan0Mac, kGw0Mac, kFar, 40002, kWan0Ip, 40000);
  CHECK(rx(1, in).why == Disposition::forwarded_in);
}

TEST(Forwarder, TcpAndIcmpEchoAreTranslated) {
  resolve_all();
  auto t = tcp_frame(kLanMac, kHostMac, kHostIp, 5061, kFar, 5061);
  CHECK(rx(0, t).why == Disposition::forwarded_out);
  CHECK(checksums_valid(t));
  auto e = icmp_echo(kLanMac, kHostMac, kHostIp, kFar, kIcmpEchoRequest, 77, 1);
  CHECK(rx(0, e).why == Disposition::forwarded_out);
  CHECK(checksums_valid(e));
  LONGS_EQUAL(77, u16(e, 38));
  auto r = icmp_echo(kWan0Mac, kGw0Mac, kFar, kWan0Ip, kIcmpEchoReply, 77, 1);
  CHECK(rx(1, r).why == Disposition::forwarded_in);
  LONGS_EQUAL(kHostIp, u32(r, 30));
  CHECK(checksums_valid(r));
}

TEST(Forwarder, UdpWithoutChecksumStaysWithout) {
  resolve_all();
  auto f = udp_frame(kLanMac, kHostMac, kHostIp, 40000, kFar, 40002);
  store_be16(f.data() + 40, 0);
  CHECK(rx(0, f).why == Disposition::forwarded_out);
  LONGS_EQUAL(0, u16(f, 40));
  CHECK(checksums_valid(f));
}

TEST(Forwarder, AnswersEchoOnLanAndUplink) {
  resolve_all();
  auto e = icmp_echo(kLanMac, kHostMac, kHostIp, kLanIp, kIcmpEchoRequest, 9, 3);
  Verdict v = rx(0, e);
  CHECK(v.action == Action::reply);
  CHECK(v.why == Disposition::echo_answered);
  LONGS_EQUAL(kLanIp, u32(e, 26));
  LONGS_EQUAL(kHostIp, u32(e, 30));
  LONGS_EQUAL(kIcmpEchoReply, e[34]);
  CHECK(get_mac(e.data()) == kHostMac);
  CHECK(checksums_valid(e));
  auto w = icmp_echo(kWan0Mac, kGw0Mac, kFar, kWan0Ip, kIcmpEchoRequest, 9, 3);
  CHECK(rx(1, w).why == Disposition::echo_answered);
  CHECK(checksums_valid(w));
}

TEST(Forwarder, ProbeRepliesAreConsumedWithTheirTimes) {
  resolve_all();
  uint8_t buf[kProbeFrameLen];
  build_icmp_probe(buf, kWan1Mac, kGw1Mac, kWan1Ip, kFar, fwd->probe_id(1), 42, 1, 5 * kNsPerMs);
  std::vector<uint8_t> f(buf, buf + kProbeFrameLen);
  CHECK(checksums_valid(f));
  // What the target sends back: addresses swapped, type echo reply.
  put_mac(f.data(), kWan1Mac);
  put_mac(f.data() + 6, kGw1Mac);
  store_be32(f.data() + 26, kFar);
  store_be32(f.data() + 30, kWan1Ip);
  f[34] = kIcmpEchoReply;
  store_be16(f.data() + 24, 0);
  store_be16(f.data() + 24, csum(f.data() + 14, 20));
  fix_l4_checksum(f);
  Verdict v = rx(2, f);
  CHECK(v.action == Action::consumed);
  CHECK(v.why == Disposition::probe_reply);
  ProbeReply r[4];
  LONGS_EQUAL(1, fwd->take_probe_replies(r, 4));
  LONGS_EQUAL(1, r[0].uplink);
  LONGS_EQUAL(42, r[0].seq);
  LONGS_EQUAL(kFar, r[0].target);
  CHECK(r[0].sent_ns == 5 * kNsPerMs);
  CHECK(r[0].recv_ns == now);
  LONGS_EQUAL(0, fwd->take_probe_replies(r, 4));
}

TEST(Forwarder, LanDropReasons) {
  resolve_all();
  auto not_ours = udp_frame(Mac{2, 9, 9, 9, 9, 9}, kHostMac, kHostIp, 1, kFar, 2);
  CHECK(rx(0, not_ours).why == Disposition::not_our_mac);
  auto local = udp_frame(kLanMac, kHostMac, kHostIp, 1, ip4(192, 0, 2, 12), 2);
  CHECK(rx(0, local).why == Disposition::lan_to_lan);
  auto bcast = udp_frame(kBroadcastMac, kHostMac, kHostIp, 68, 0xFFFFFFFF, 67);
  CHECK(rx(0, bcast).why == Disposition::lan_to_lan);
  auto martian = udp_frame(kLanMac, kHostMac, ip4(10, 0, 0, 1), 1, kFar, 2);
  CHECK(rx(0, martian).why == Disposition::martian_source);
  auto ttl = udp_frame(kLanMac, kHostMac, kHostIp, 1, kFar, 2, 8, 1);
  CHECK(rx(0, ttl).why == Disposition::ttl_expired);
  auto frag = udp_frame(kLanMac, kHostMac, kHostIp, 1, kFar, 2);
  store_be16(frag.data() + 20, 0x2000);  // MF
  store_be16(frag.data() + 24, 0);
  store_be16(frag.data() + 24, csum(frag.data() + 14, 20));
  CHECK(rx(0, frag).why == Disposition::ip_fragment);
  auto bad = udp_frame(kLanMac, kHostMac, kHostIp, 1, kFar, 2);
  bad[24] ^= 1;  // header checksum
  CHECK(rx(0, bad).why == Disposition::ipv4_malformed);
  auto longer = udp_frame(kLanMac, kHostMac, kHostIp, 1, kFar, 2);
  longer.resize(longer.size() - 10);  // total length beyond the frame
  CHECK(rx(0, longer).why == Disposition::ipv4_malformed);
  auto shortudp = ipv4_frame(kLanMac, kHostMac, kHostIp, kFar, kProtoUdp, std::vector<uint8_t>(4));
  CHECK(rx(0, shortudp).why == Disposition::l4_malformed);
  auto gre = ipv4_frame(kLanMac, kHostMac, kHostIp, kFar, 47, std::vector<uint8_t>(8));
  CHECK(rx(0, gre).why == Disposition::unsupported_proto);
  std::vector<uint8_t> v6(60, 0);
  put_mac(v6.data(), kLanMac);
  store_be16(v6.data() + 12, kEtherIpv6);
  CHECK(rx(0, v6).why == Disposition::ipv6_unsupported);
  store_be16(v6.data() + 12, kEtherVlan);
  CHECK(rx(0, v6).why == Disposition::vlan_tagged);
  store_be16(v6.data() + 12, 0x88CC);
  CHECK(rx(0, v6).why == Disposition::other_ethertype);
  std::vector<uint8_t> tiny(10, 0);
  CHECK(rx(0, tiny).why == Disposition::frame_truncated);
  auto none = udp_frame(kLanMac, kHostMac, kHostIp, 1, kFar, 2);
  CHECK(rx(0, none, kNoUplinkIndex).why == Disposition::no_active_uplink);
  CHECK(rx(0, none, 3).why == Disposition::no_active_uplink);  // port not present
  auto to_self = udp_frame(kLanMac, kHostMac, kHostIp, 1, kLanIp, 161);
  CHECK(rx(0, to_self).why == Disposition::to_self_no_tap);
  // Each packet counted exactly once.
  uint64_t total = 0;
  for (size_t d = 0; d < kDispositionCount; ++d) total += fwd->count(0, Disposition(d));
  LONGS_EQUAL(1 /*arp*/ + 17, total);
}

TEST(Forwarder, UplinkDropReasons) {
  resolve_all();
  auto other = udp_frame(kWan0Mac, kGw0Mac, kFar, 1, ip4(198, 51, 100, 3), 2);
  CHECK(rx(1, other).why == Disposition::not_our_address);
  auto unmapped = udp_frame(kWan0Mac, kGw0Mac, kFar, 1, kWan0Ip, 3333);
  CHECK(rx(1, unmapped).why == Disposition::no_nat_mapping);
  auto err = icmp_echo(kWan0Mac, kGw0Mac, kFar, kWan0Ip, 3, 0, 0);  // unreachable
  CHECK(rx(1, err).why == Disposition::unsupported_proto);
}

TEST(Forwarder, InboundToUnresolvedHostAsksArpOnLan) {
  auto gw = arp_frame(2, kGw0Mac, kGw0, kWan0Mac, kWan0Ip, kWan0Mac);
  rx(1, gw);
  auto out = udp_frame(kLanMac, kHostMac, kHostIp, 40000, kFar, 40002);
  CHECK(rx(0, out).why == Disposition::forwarded_out);
  auto in = udp_frame(kWan0Mac, kGw0Mac, kFar, 40002, kWan0Ip, 40000);
  CHECK(rx(1, in).why == Disposition::lan_host_unresolved);
  ArpWant w[4];
  LONGS_EQUAL(1, fwd->take_arp_wants(w, 4, now));
  LONGS_EQUAL(0, w[0].port);
  LONGS_EQUAL(kHostIp, w[0].ip);
}

TEST(Forwarder, StaticNextHopNeedsNoArpAndIsNotOverwritten) {
  ForwarderConfig c = config();
  c.ports[1].gateway_mac_static = true;
  c.ports[1].gateway_mac = kGw0Mac;
  c.ports[0].accept_any_mac = true;
  fwd = std::make_unique<Forwarder>(c);
  auto spoof = arp_frame(2, Mac{2, 6, 6, 6, 6, 6}, kGw0, kWan0Mac, kWan0Ip, kWan0Mac);
  rx(1, spoof);
  auto f = udp_frame(Mac{2, 7, 7, 7, 7, 7}, kHostMac, kHostIp, 40000, kFar, 40002);
  CHECK(rx(0, f).why == Disposition::forwarded_out);
  CHECK(get_mac(f.data()) == kGw0Mac);
}

TEST(Forwarder, NatTableFullIsCounted) {
  ForwarderConfig c = config();
  c.nat_capacity = 2;
  fwd = std::make_unique<Forwarder>(c);
  resolve_all();
  for (uint16_t p = 1000; p < 1002; ++p) {
    auto f = udp_frame(kLanMac, kHostMac, kHostIp, p, kFar, 2);
    CHECK(rx(0, f).why == Disposition::forwarded_out);
  }
  auto f = udp_frame(kLanMac, kHostMac, kHostIp, 1002, kFar, 2);
  CHECK(rx(0, f).why == Disposition::nat_table_full);
  LONGS_EQUAL(1, fwd->count(0, Disposition::nat_table_full));
}

TEST(Forwarder, ExceptionPathTakesTheBoxsOwnTraffic) {
  ForwarderConfig c = config();
  c.ports[0].has_tap = true;
  c.ports[1].has_tap = true;
  c.kernel_port_lo = 61000;
  c.kernel_port_hi = 65535;
  fwd = std::make_unique<Forwarder>(c);
  resolve_all();
  // To the box from the LAN (SNMP, console): the kernel's.
  auto snmp = udp_frame(kLanMac, kHostMac, kHostIp, 1234, kLanIp, 161);
  Verdict v = rx(0, snmp);
  CHECK(v.action == Action::to_kernel);
  CHECK(v.why == Disposition::to_kernel);
  // A reply to the kernel's own socket on an uplink (its ephemeral range).
  auto reply = udp_frame(kWan0Mac, kGw0Mac, kFar, 5060, kWan0Ip, 61234);
  CHECK(rx(1, reply).action == Action::to_kernel);
  // ...and to any port no LAN flow owns.
  auto stray = udp_frame(kWan0Mac, kGw0Mac, kFar, 5060, kWan0Ip, 3333);
  CHECK(rx(1, stray).action == Action::to_kernel);
  // LAN flows never get a port of the kernel's range.
  auto lan = udp_frame(kLanMac, kHostMac, kHostIp, 61234, kFar, 5060);
  CHECK(rx(0, lan).why == Disposition::forwarded_out);
  uint16_t ext = u16(lan, 34);
  CHECK(ext < 61000);
  LONGS_EQUAL(0, ext % 2);
  // An ARP reply to us is learned here and copied to the kernel (it may have
  // asked); our own answers to requests are not.
  auto arp = arp_frame(2, kGw0Mac, kGw0, kWan0Mac, kWan0Ip, kWan0Mac);
  v = rx(1, arp);
  CHECK(v.action == Action::consumed);
  CHECK(v.copy_to_kernel);
  auto req = arp_frame(1, kGw0Mac, kGw0, Mac{}, kWan0Ip);
  v = rx(1, req);
  CHECK(v.action == Action::reply);
  CHECK_FALSE(v.copy_to_kernel);
}

TEST(Forwarder, WithoutTapTheBoxsTrafficIsCountedDropped) {
  resolve_all();
  auto stray = udp_frame(kWan0Mac, kGw0Mac, kFar, 5060, kWan0Ip, 3333);
  CHECK(rx(1, stray).why == Disposition::no_nat_mapping);
  auto arp = arp_frame(2, kGw0Mac, kGw0, kWan0Mac, kWan0Ip, kWan0Mac);
  CHECK_FALSE(rx(1, arp).copy_to_kernel);
}
