// IPv6 forwarding decisions on plain frames: Neighbor Discovery (answer,
// learn, resolve), SNAT out / reverse NAT in for UDP, TCP and ICMPv6 echo with
// checksums verified from scratch, hop limit, extension headers, failover to
// the backup uplink's address, and every IPv6 drop reason.
#include <CppUTest/TestHarness.h>

#include <memory>

#include "dataplane/fastpath/forwarder.hpp"
#include "tests/unit/dataplane/fastpath/frames.hpp"

using namespace tg;
using namespace tg::fastpath;
using namespace tg::fastpath::test;

namespace {

const Ip6 kLan6 = ip6(1, 1), kHost6 = ip6(1, 0x10), kHost6b = ip6(1, 0x11);
const Ip6 kWan0Ip6 = ip6(0x100, 2), kGw0Ip6 = ip6(0x100, 1);
const Ip6 kWan1Ip6 = ip6(0x200, 2);
const Ip6 kFar6 = ip6(0xf, 0x20);
constexpr Mac kLteMac{0x02, 0, 0, 0, 0, 0x04};
// Carrier B's router is known by its link-local address only (common).
const Ip6 kGw1Ll = ip6_link_local_of(kGw1Mac);

ForwarderConfig config() {
  ForwarderConfig c;
  c.nat_capacity = 64;
  c.nat6_capacity = 64;
  c.ports[0] = Interface{true, kLanMac, ip4(192, 0, 2, 1), 26, 0, false};
  c.ports[1] = Interface{true, kWan0Mac, ip4(198, 51, 100, 2), 28, ip4(198, 51, 100, 1), false};
  c.ports[2] = Interface{true, kWan1Mac, ip4(198, 51, 100, 18), 28, ip4(198, 51, 100, 17), false};
  c.ports[3] = Interface{true, kLteMac, ip4(198, 51, 100, 34), 28, ip4(198, 51, 100, 33), false};  // no IPv6
  c.ports[0].has_ip6 = true;
  c.ports[0].ip6 = kLan6;
  c.ports[0].prefix6_len = 64;
  c.ports[1].has_ip6 = c.ports[1].has_gateway6 = true;
  c.ports[1].ip6 = kWan0Ip6;
  c.ports[1].prefix6_len = 64;
  c.ports[1].gateway6 = kGw0Ip6;
  c.ports[2].has_ip6 = c.ports[2].has_gateway6 = true;
  c.ports[2].ip6 = kWan1Ip6;
  c.ports[2].prefix6_len = 64;
  c.ports[2].gateway6 = kGw1Ll;
  c.kernel_port_lo = 61000;
  c.kernel_port_hi = 65535;
  return c;
}

uint16_t u16(const std::vector<uint8_t>& f, size_t off) { return load_be16(f.data() + off); }

struct Seen {
  int calls = 0;
  bool inbound = false;
  Ip6 src{}, dst{};
};
void record(void* ctx, const uint8_t* frame, uint16_t, TimeNs, uint8_t, bool inbound) {
  auto* s = static_cast<Seen*>(ctx);
  ++s->calls;
  s->inbound = inbound;
  s->src = load_ip6(frame + kF6Src);
  s->dst = load_ip6(frame + kF6Dst);
}

}  // namespace

TEST_GROUP(Forwarder6) {
  std::unique_ptr<Forwarder> fwd;
  TimeNs now = 1000 * kNsPerMs;
  void setup() override { fwd = std::make_unique<Forwarder>(config()); }
  // Frames get room to grow, as an mbuf has (an NA answering a short NS).
  Verdict rx(uint8_t port, std::vector<uint8_t>& f, uint8_t active = 0) {
    const uint16_t len = uint16_t(f.size());
    f.resize(f.size() + 64, 0xEE);
    Verdict v = fwd->on_rx(port, f.data(), len, active, now, uint16_t(f.size()));
    f.resize(v.len ? v.len : len);
    return v;
  }
  // Both gateways and the LAN host resolved through ND, as after start-up.
  void resolve_all() {
    auto a = nd_frame(kNdNeighborAdvert, kWan0Mac, kGw0Mac, kGw0Ip6, kWan0Ip6, kGw0Ip6, &kGw0Mac, kNaSolicited);
    CHECK(rx(1, a).why == Disposition::nd_learned);
    auto b = nd_frame(kNdNeighborAdvert, kWan1Mac, kGw1Mac, kGw1Ll, kWan1Ip6, kGw1Ll, &kGw1Mac, kNaSolicited);
    CHECK(rx(2, b).why == Disposition::nd_learned);
    auto c = nd_frame(kNdNeighborSolicit, solicited_mac(kLan6), kHostMac, kHost6, ip6_solicited_node(kLan6), kLan6,
                      &kHostMac);
    CHECK(rx(0, c).why == Disposition::nd_answered);
  }
  std::vector<uint8_t> out_udp(uint16_t sport = 40000, uint16_t dport = 5004) {
    return udp6_frame(kLanMac, kHostMac, kHost6, sport, kFar6, dport);
  }
};

TEST(Forwarder6, AnswersNeighborSolicitationWithRouterFlagOnLan) {
  auto f = nd_frame(kNdNeighborSolicit, solicited_mac(kLan6), kHostMac, kHost6, ip6_solicited_node(kLan6), kLan6,
                    &kHostMac);
  Verdict v = rx(0, f);
  CHECK(v.action == Action::reply);
  CHECK(v.why == Disposition::nd_answered);
  LONGS_EQUAL(kNdFrameLen, f.size());
  CHECK(get_mac(f.data()) == kHostMac);
  CHECK(get_mac(f.data() + 6) == kLanMac);
  LONGS_EQUAL(255, f[kF6Hop]);
  CHECK(ip6_at(f, kF6Src) == kLan6);
  CHECK(ip6_at(f, kF6Dst) == kHost6);
  LONGS_EQUAL(kNdNeighborAdvert, f[kF6L4]);
  LONGS_EQUAL(kNaRouter | kNaSolicited | kNaOverride, f[kF6L4 + 4]);
  CHECK(ip6_at(f, kF6L4 + 8) == kLan6);
  LONGS_EQUAL(kNdOptTargetLinkAddr, f[kF6L4 + 24]);
  CHECK(get_mac(f.data() + kF6L4 + 26) == kLanMac);
  CHECK(checksums_valid6(f));
  // The asker is learned: replies to it need no solicitation of our own.
  const Neighbor6* n = fwd->neighbors6(0).lookup(kHost6);
  CHECK(n != nullptr);
  CHECK(n->mac == kHostMac);
}

TEST(Forwarder6, AnswersForLinkLocalOnUplinkAsHostAndDefendsAgainstDad) {
  const Ip6 ll = fwd->link_local(1);
  CHECK(ll == ip6_link_local_of(kWan0Mac));
  auto f = nd_frame(kNdNeighborSolicit, solicited_mac(ll), kGw0Mac, kGw0Ip6, ip6_solicited_node(ll), ll, &kGw0Mac);
  CHECK(rx(1, f).why == Disposition::nd_answered);
  LONGS_EQUAL(kNaSolicited | kNaOverride, f[kF6L4 + 4]);  // no Router flag towards a carrier
  CHECK(ip6_at(f, kF6Src) == ll);
  CHECK(checksums_valid6(f));
  // Duplicate address detection (source ::, no option, 78 bytes): the
  // answer grows to 86 and goes to all nodes, unsolicited.
  auto d = nd_frame(kNdNeighborSolicit, solicited_mac(kWan0Ip6), kGw0Mac, Ip6{}, ip6_solicited_node(kWan0Ip6),
                    kWan0Ip6, nullptr);
  LONGS_EQUAL(kEthHdr + kIp6Hdr + kNdMsgLen, d.size());
  Verdict v = rx(1, d);
  CHECK(v.why == Disposition::nd_answered);
  LONGS_EQUAL(kNdFrameLen, v.len);
  CHECK(ip6_at(d, kF6Dst) == kIp6AllNodes);
  CHECK(get_mac(d.data()) == ip6_multicast_mac(kIp6AllNodes));
  LONGS_EQUAL(kNaOverride, d[kF6L4 + 4]);
  CHECK(checksums_valid6(d));
  // Without room to grow, no answer is written past the frame.
  auto e = nd_frame(kNdNeighborSolicit, solicited_mac(kWan0Ip6), kGw0Mac, Ip6{}, ip6_solicited_node(kWan0Ip6),
                    kWan0Ip6, nullptr);
  CHECK(fwd->on_rx(1, e.data(), uint16_t(e.size()), 0, now).why == Disposition::frame_truncated);
}

TEST(Forwarder6, RejectsForgedOrMalformedNdAndIgnoresOthers) {
  // From beyond a router (hop limit < 255).
  auto a = nd_frame(kNdNeighborSolicit, solicited_mac(kLan6), kHostMac, kHost6, ip6_solicited_node(kLan6), kLan6,
                    &kHostMac, 0, 64);
  CHECK(rx(0, a).why == Disposition::nd_invalid);
  // Bad checksum.
  auto b = nd_frame(kNdNeighborSolicit, solicited_mac(kLan6), kHostMac, kHost6, ip6_solicited_node(kLan6), kLan6,
                    &kHostMac);
  b[kF6L4 + 3] ^= 1;
  CHECK(rx(0, b).why == Disposition::nd_invalid);
  // Zero-length option (would loop forever).
  auto c = nd_frame(kNdNeighborSolicit, solicited_mac(kLan6), kHostMac, kHost6, ip6_solicited_node(kLan6), kLan6,
                    &kHostMac);
  c[kF6L4 + 25] = 0;
  fix_l4_checksum6(c, kProtoIcmp6);
  CHECK(rx(0, c).why == Disposition::nd_invalid);
  // Solicited advertisement to a multicast group.
  auto d = nd_frame(kNdNeighborAdvert, ip6_multicast_mac(kIp6AllNodes), kHostMac, kHost6, kIp6AllNodes, kHost6,
                    &kHostMac, kNaSolicited);
  CHECK(rx(0, d).why == Disposition::nd_invalid);
  // For another host: ignored, and a stranger is not learned.
  auto e = nd_frame(kNdNeighborSolicit, solicited_mac(kHost6b), kHostMac, kHost6, ip6_solicited_node(kHost6b),
                    kHost6b, &kHostMac);
  CHECK(rx(0, e).why == Disposition::nd_ignored);
  CHECK(fwd->neighbors6(0).lookup(kHost6) == nullptr);
  // An unsolicited advertisement from someone we never asked about.
  auto g = nd_frame(kNdNeighborAdvert, ip6_multicast_mac(kIp6AllNodes), kHostMac, kHost6b, kIp6AllNodes, kHost6b,
                    &kHostMac, kNaOverride);
  CHECK(rx(0, g).why == Disposition::nd_ignored);
  CHECK(fwd->neighbors6(0).lookup(kHost6b) == nullptr);
  // Someone advertising our own address is not our neighbour.
  auto h = nd_frame(kNdNeighborAdvert, ip6_multicast_mac(kIp6AllNodes), kHostMac, kHost6b, kIp6AllNodes, kLan6,
                    &kHostMac, kNaOverride);
  CHECK(rx(0, h).why == Disposition::nd_ignored);
  // Router solicitations: no RA from the fast path, no tap here.
  std::vector<uint8_t> rs(8, 0);
  rs[0] = kNdRouterSolicit;
  auto r = ipv6_frame(ip6_multicast_mac(kIp6AllNodes), kHostMac, kHost6, kIp6AllNodes, kProtoIcmp6, rs, 255);
  fix_l4_checksum6(r, kProtoIcmp6);
  CHECK(rx(0, r).why == Disposition::nd_ignored);
}

TEST(Forwarder6, OutboundWaitsForGatewayAndSolicitsIt) {
  auto f = out_udp();
  CHECK(rx(0, f).why == Disposition::nexthop_unresolved);
  NdWant w[4];
  LONGS_EQUAL(1, fwd->take_nd_wants(w, 4, now));
  LONGS_EQUAL(1, w[0].port);
  CHECK(w[0].ip == kGw0Ip6);
  CHECK(fwd->nd_source(1) == kWan0Ip6);
  // Rate limited like ARP, then given up after kResolveTries.
  LONGS_EQUAL(0, fwd->take_nd_wants(w, 4, now + kNsPerMs));
  int sent = 1;
  for (int i = 1; i < 20; ++i) sent += int(fwd->take_nd_wants(w, 4, now + TimeNs(i) * 100 * kNsPerMs));
  LONGS_EQUAL(kResolveTries, sent);
  // The answer (unicast to us, solicited) resolves it; the next packet goes.
  auto a = nd_frame(kNdNeighborAdvert, kWan0Mac, kGw0Mac, kGw0Ip6, kWan0Ip6, kGw0Ip6, &kGw0Mac, kNaSolicited);
  CHECK(rx(1, a).why == Disposition::nd_learned);
  LONGS_EQUAL(0, fwd->take_nd_wants(w, 4, now + 10 * kNsPerSec));
  auto c = nd_frame(kNdNeighborSolicit, solicited_mac(kLan6), kHostMac, kHost6, ip6_solicited_node(kLan6), kLan6,
                    &kHostMac);
  CHECK(rx(0, c).why == Disposition::nd_answered);
  auto g = out_udp();
  CHECK(rx(0, g).why == Disposition::forwarded_out);
}

TEST(Forwarder6, SnatOutKeepsPortDecrementsHopLimitAndFixesChecksum) {
  resolve_all();
  Seen seen;
  fwd->set_inspect_hook(record, &seen);
  auto f = out_udp(40000, 40002);
  Verdict v = rx(0, f);
  CHECK(v.action == Action::forward);
  LONGS_EQUAL(1, v.out);
  CHECK(v.why == Disposition::forwarded_out);
  CHECK(get_mac(f.data()) == kGw0Mac);
  CHECK(get_mac(f.data() + 6) == kWan0Mac);
  CHECK(ip6_at(f, kF6Src) == kWan0Ip6);
  CHECK(ip6_at(f, kF6Dst) == kFar6);
  LONGS_EQUAL(40000, u16(f, kF6L4));  // port preserved
  LONGS_EQUAL(63, f[kF6Hop]);
  CHECK(checksums_valid6(f));
  LONGS_EQUAL(1, fwd->nat6().size());
  LONGS_EQUAL(0, fwd->nat().size());
  // The inspector saw the LAN view before the rewrite.
  LONGS_EQUAL(1, seen.calls);
  CHECK_FALSE(seen.inbound);
  CHECK(seen.src == kHost6);
}

TEST(Forwarder6, ReversePathRestoresLanEndpoint) {
  resolve_all();
  Seen seen;
  fwd->set_inspect_hook(record, &seen);
  auto o = out_udp(40000, 5004);
  CHECK(rx(0, o).why == Disposition::forwarded_out);
  auto in = udp6_frame(kWan0Mac, kGw0Mac, kFar6, 5004, kWan0Ip6, 40000);
  Verdict v = rx(1, in);
  CHECK(v.action == Action::forward);
  LONGS_EQUAL(0, v.out);
  CHECK(v.why == Disposition::forwarded_in);
  CHECK(get_mac(in.data()) == kHostMac);
  CHECK(get_mac(in.data() + 6) == kLanMac);
  CHECK(ip6_at(in, kF6Dst) == kHost6);
  CHECK(ip6_at(in, kF6Src) == kFar6);
  LONGS_EQUAL(40000, u16(in, kF6L4 + 2));
  LONGS_EQUAL(63, in[kF6Hop]);
  CHECK(checksums_valid6(in));
  CHECK(seen.inbound);
  CHECK(seen.dst == kHost6);
}

TEST(Forwarder6, TranslatesTcpAndIcmpv6EchoBothWays) {
  resolve_all();
  auto t = tcp6_frame(kLanMac, kHostMac, kHost6, 33000, kFar6, 443);
  CHECK(rx(0, t).why == Disposition::forwarded_out);
  CHECK(ip6_at(t, kF6Src) == kWan0Ip6);
  CHECK(checksums_valid6(t));
  auto tr = tcp6_frame(kWan0Mac, kGw0Mac, kFar6, 443, kWan0Ip6, 33000);
  CHECK(rx(1, tr).why == Disposition::forwarded_in);
  CHECK(ip6_at(tr, kF6Dst) == kHost6);
  CHECK(checksums_valid6(tr));

  auto e = icmp6_echo(kLanMac, kHostMac, kHost6, kFar6, kIcmp6EchoRequest, 0x0777, 1);
  CHECK(rx(0, e).why == Disposition::forwarded_out);
  CHECK(ip6_at(e, kF6Src) == kWan0Ip6);
  LONGS_EQUAL(0x0777, u16(e, kF6L4 + 4));
  CHECK(checksums_valid6(e));
  auto er = icmp6_echo(kWan0Mac, kGw0Mac, kFar6, kWan0Ip6, kIcmp6EchoReply, 0x0777, 1);
  CHECK(rx(1, er).why == Disposition::forwarded_in);
  CHECK(ip6_at(er, kF6Dst) == kHost6);
  CHECK(checksums_valid6(er));
}

TEST(Forwarder6, TwoHostsOnOnePortGetDistinctExternalPorts) {
  resolve_all();
  auto a = out_udp(40000);
  auto b = udp6_frame(kLanMac, kHostMac, kHost6b, 40000, kFar6, 5004);
  CHECK(rx(0, a).why == Disposition::forwarded_out);
  CHECK(rx(0, b).why == Disposition::forwarded_out);
  LONGS_EQUAL(40000, u16(a, kF6L4));
  const uint16_t pb = u16(b, kF6L4);
  CHECK(pb != 40000);
  LONGS_EQUAL(0, pb & 1);  // RTP parity kept
  CHECK(checksums_valid6(b));
  // The second host's reply needs its MAC: solicited on the LAN first.
  auto r = udp6_frame(kWan0Mac, kGw0Mac, kFar6, 5004, kWan0Ip6, pb);
  CHECK(rx(1, r).why == Disposition::lan_host_unresolved);
  NdWant w[4];
  LONGS_EQUAL(1, fwd->take_nd_wants(w, 4, now));
  LONGS_EQUAL(0, w[0].port);
  CHECK(w[0].ip == kHost6b);
  CHECK(fwd->nd_source(0) == kLan6);
  auto na = nd_frame(kNdNeighborAdvert, kLanMac, kHostMac, kHost6b, kLan6, kHost6b, &kHostMac, kNaSolicited);
  CHECK(rx(0, na).why == Disposition::nd_learned);
  auto r2 = udp6_frame(kWan0Mac, kGw0Mac, kFar6, 5004, kWan0Ip6, pb);
  CHECK(rx(1, r2).why == Disposition::forwarded_in);
  CHECK(ip6_at(r2, kF6Dst) == kHost6b);
  LONGS_EQUAL(40000, u16(r2, kF6L4 + 2));
}

TEST(Forwarder6, FailoverMovesFlowToBackupAddressSamePort) {
  resolve_all();
  auto a = out_udp(40000);
  CHECK(rx(0, a, 0).why == Disposition::forwarded_out);
  CHECK(ip6_at(a, kF6Src) == kWan0Ip6);
  // Switch to wan1: same external port (far-end latching survives), wan1's
  // address, and the link-local next hop's MAC.
  auto b = out_udp(40000);
  Verdict v = rx(0, b, 1);
  CHECK(v.why == Disposition::forwarded_out);
  LONGS_EQUAL(2, v.out);
  CHECK(ip6_at(b, kF6Src) == kWan1Ip6);
  LONGS_EQUAL(40000, u16(b, kF6L4));
  CHECK(get_mac(b.data()) == kGw1Mac);
  CHECK(get_mac(b.data() + 6) == kWan1Mac);
  CHECK(checksums_valid6(b));
  auto r = udp6_frame(kWan1Mac, kGw1Mac, kFar6, 5004, kWan1Ip6, 40000);
  CHECK(rx(2, r).why == Disposition::forwarded_in);
  CHECK(ip6_at(r, kF6Dst) == kHost6);
  CHECK(checksums_valid6(r));
  LONGS_EQUAL(1, fwd->nat6().size());
}

TEST(Forwarder6, UplinkWithoutIpv6DropsCounted) {
  resolve_all();
  auto f = out_udp();
  CHECK(rx(0, f, 2).why == Disposition::ipv6_uplink_unconfigured);  // active: lte
  LONGS_EQUAL(1, fwd->count(0, Disposition::ipv6_uplink_unconfigured));
  // IPv6 arriving on the port without an address: not ours to take.
  auto g = udp6_frame(kLteMac, kGw0Mac, kFar6, 5004, kWan0Ip6, 40000);
  CHECK(rx(3, g).why == Disposition::ipv6_unsupported);
  // IPv4 on that uplink is unaffected.
  auto a = arp_frame(2, kGw0Mac, ip4(198, 51, 100, 33), kLteMac, ip4(198, 51, 100, 34), kLteMac);
  CHECK(rx(3, a).why == Disposition::arp_learned);
}

TEST(Forwarder6, HopLimitAndLanSideDrops) {
  resolve_all();
  auto h = udp6_frame(kLanMac, kHostMac, kHost6, 40000, kFar6, 5004, 32, 1);
  CHECK(rx(0, h).why == Disposition::ttl_expired);
  auto m = udp6_frame(kLanMac, kHostMac, ip6(9, 9), 40000, kFar6, 5004);
  CHECK(rx(0, m).why == Disposition::martian_source);
  auto l = udp6_frame(kLanMac, kHostMac, kHost6, 40000, kHost6b, 5004);
  CHECK(rx(0, l).why == Disposition::lan_to_lan);
  auto mc = udp6_frame(ip6_multicast_mac(kIp6AllNodes), kHostMac, kHost6, 40000, kIp6AllNodes, 5004);
  CHECK(rx(0, mc).why == Disposition::lan_to_lan);
  auto ll = udp6_frame(kLanMac, kHostMac, kHost6, 40000, ip6_link_local_of(kGw0Mac), 5004);
  CHECK(rx(0, ll).why == Disposition::lan_to_lan);
  // UDP without checksum is invalid in IPv6.
  auto z = out_udp();
  store_be16(z.data() + kF6L4 + 6, 0);
  CHECK(rx(0, z).why == Disposition::udp6_no_checksum);
  // Truncated or lying headers.
  auto t = out_udp();
  store_be16(t.data() + kEthHdr + 4, 2000);
  CHECK(rx(0, t).why == Disposition::ipv6_malformed);
  auto v = out_udp();
  v[kEthHdr] = 0x40;
  CHECK(rx(0, v).why == Disposition::ipv6_malformed);
  auto s = out_udp();
  s.resize(kEthHdr + 30);
  CHECK(rx(0, s).why == Disposition::frame_truncated);
  // Only echo requests are translated out.
  auto u = icmp6_echo(kLanMac, kHostMac, kHost6, kFar6, kIcmp6EchoReply, 1, 1);
  CHECK(rx(0, u).why == Disposition::unsupported_proto);
  LONGS_EQUAL(0, fwd->nat6().size());
}

TEST(Forwarder6, PassesExtensionHeadersAndDropsFragments) {
  resolve_all();
  // Hop-by-hop options (8 bytes, PadN) before UDP.
  std::vector<uint8_t> hbh{kProtoUdp, 0, 1, 4, 0, 0, 0, 0};
  std::vector<uint8_t> udp(8 + 16, 0x5A);
  store_be16(udp.data(), 40000);
  store_be16(udp.data() + 2, 5004);
  store_be16(udp.data() + 4, uint16_t(udp.size()));
  auto f = ipv6_frame(kLanMac, kHostMac, kHost6, kFar6, kProtoUdp, udp, 64, hbh, kProtoHopByHop);
  fix_l4_checksum6(f, kProtoUdp, hbh.size());
  CHECK(checksums_valid6(f, hbh.size()));
  CHECK(rx(0, f).why == Disposition::forwarded_out);
  CHECK(ip6_at(f, kF6Src) == kWan0Ip6);
  LONGS_EQUAL(40000, u16(f, kF6L4 + 8));
  CHECK(checksums_valid6(f, hbh.size()));
  // A fragment header: NAT needs the L4 header.
  std::vector<uint8_t> frag{kProtoUdp, 0, 0, 1, 0, 0, 0, 7};
  auto g = ipv6_frame(kLanMac, kHostMac, kHost6, kFar6, kProtoUdp, udp, 64, frag, kProtoFragment);
  CHECK(rx(0, g).why == Disposition::ip_fragment);
  // An extension header running past the packet.
  std::vector<uint8_t> bad{kProtoUdp, 9, 0, 0, 0, 0, 0, 0};
  auto b = ipv6_frame(kLanMac, kHostMac, kHost6, kFar6, kProtoUdp, udp, 64, bad, kProtoDestOpts);
  CHECK(rx(0, b).why == Disposition::ipv6_malformed);
}

TEST(Forwarder6, AnswersEchoForOwnAddressesAndSendsTheRestToTheBox) {
  resolve_all();
  auto e = icmp6_echo(kLanMac, kHostMac, kHost6, kLan6, kIcmp6EchoRequest, 9, 3);
  Verdict v = rx(0, e);
  CHECK(v.action == Action::reply);
  CHECK(v.why == Disposition::echo_answered);
  LONGS_EQUAL(kIcmp6EchoReply, e[kF6L4]);
  CHECK(ip6_at(e, kF6Src) == kLan6);
  CHECK(ip6_at(e, kF6Dst) == kHost6);
  CHECK(get_mac(e.data()) == kHostMac);
  CHECK(checksums_valid6(e));
  // From a carrier, to the uplink's address.
  auto w = icmp6_echo(kWan0Mac, kGw0Mac, kFar6, kWan0Ip6, kIcmp6EchoRequest, 9, 4);
  CHECK(rx(1, w).why == Disposition::echo_answered);
  CHECK(checksums_valid6(w));
  // UDP to the box without a tap: counted.
  auto u = udp6_frame(kLanMac, kHostMac, kHost6, 40000, kLan6, 161);
  CHECK(rx(0, u).why == Disposition::to_self_no_tap);
  // Inbound to a port no LAN flow owns, or to someone else's address.
  auto n = udp6_frame(kWan0Mac, kGw0Mac, kFar6, 5060, kWan0Ip6, 5060);
  CHECK(rx(1, n).why == Disposition::no_nat_mapping);
  auto o = udp6_frame(kWan0Mac, kGw0Mac, kFar6, 5060, ip6(0x100, 9), 5060);
  CHECK(rx(1, o).why == Disposition::not_our_address);
}

TEST(Forwarder6, WithTapBoxTrafficAndNaForTheKernelGoUp) {
  ForwarderConfig c = config();
  c.ports[0].has_tap = c.ports[1].has_tap = true;
  fwd = std::make_unique<Forwarder>(c);
  auto u = udp6_frame(kLanMac, kHostMac, kHost6, 40000, kLan6, 161);
  CHECK(rx(0, u).action == Action::to_kernel);
  auto k = udp6_frame(kWan0Mac, kGw0Mac, kFar6, 5060, kWan0Ip6, 62000);  // the kernel's port range
  CHECK(rx(1, k).action == Action::to_kernel);
  // An NA answering the kernel's own solicitation: learned and copied up.
  auto a = nd_frame(kNdNeighborAdvert, kWan0Mac, kGw0Mac, kGw0Ip6, kWan0Ip6, kGw0Ip6, &kGw0Mac, kNaSolicited);
  Verdict v = rx(1, a);
  CHECK(v.why == Disposition::nd_learned);
  CHECK(v.copy_to_kernel);
  // Router discovery is the kernel's.
  std::vector<uint8_t> ra(16, 0);
  ra[0] = kNdRouterAdvert;
  auto r = ipv6_frame(ip6_multicast_mac(kIp6AllNodes), kGw0Mac, ip6_link_local_of(kGw0Mac), kIp6AllNodes,
                      kProtoIcmp6, ra, 255);
  fix_l4_checksum6(r, kProtoIcmp6);
  CHECK(rx(1, r).action == Action::to_kernel);
}
