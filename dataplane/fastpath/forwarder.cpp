#include "dataplane/fastpath/forwarder.hpp"

#include "dataplane/fastpath/checksum.hpp"
#include "dataplane/fastpath/frame.hpp"

namespace tg::fastpath {

namespace {

constexpr uint16_t kIpMin = 20;

// Offsets inside the IPv4 header.
constexpr int kIpTtl = 8;
constexpr int kIpCsum = 10;
constexpr int kIpSrc = 12;
constexpr int kIpDst = 16;

bool is_broadcast_or_multicast(uint32_t ip) { return ip == 0xFFFFFFFFu || (ip >> 28) == 0xE; }

Verdict drop(Disposition why) { return Verdict{Action::drop, 0, why, false}; }

// Where the L4 checksum and the port/identifier being translated live.
struct L4View {
  NatProto proto = NatProto::udp;
  uint8_t* l4 = nullptr;
  int port_off = 0;   // source port on the way out, destination on the way in
  int csum_off = -1;  // -1: no checksum to update (UDP checksum 0)
  bool pseudo = true; // checksum covers the addresses (UDP/TCP, not ICMP)
};

// Fills v for a UDP, TCP or ICMP(v6) echo packet; false + why otherwise.
// The families differ in three places: a zero UDP checksum means "none" in
// IPv4 (RFC 768) but is invalid in IPv6 (RFC 8200 8.1); ICMP's protocol and
// echo types; and only ICMPv6's checksum covers the pseudo header. Only echo
// is translated (by identifier): errors would need the embedded header
// rewritten, which we do not do.
bool l4_view(bool ipv6, uint8_t proto, uint8_t* l4, uint16_t l4_len, bool outbound, L4View& v, Disposition& why) {
  v.l4 = l4;
  v.pseudo = true;
  if (proto == kProtoUdp) {
    if (l4_len < 8) return why = Disposition::l4_malformed, false;
    const bool no_checksum = load_be16(l4 + 6) == 0;
    if (no_checksum && ipv6) return why = Disposition::udp6_no_checksum, false;
    v.proto = NatProto::udp;
    v.port_off = outbound ? 0 : 2;
    v.csum_off = no_checksum ? -1 : 6;  // IPv4 "none": leave it zero
    return true;
  }
  if (proto == kProtoTcp) {
    if (l4_len < 20) return why = Disposition::l4_malformed, false;
    v.proto = NatProto::tcp;
    v.port_off = outbound ? 0 : 2;
    v.csum_off = 16;
    return true;
  }
  if (proto == (ipv6 ? kProtoIcmp6 : kProtoIcmp)) {
    if (l4_len < 8) return why = Disposition::l4_malformed, false;
    const uint8_t echo = ipv6 ? (outbound ? kIcmp6EchoRequest : kIcmp6EchoReply)
                              : (outbound ? kIcmpEchoRequest : kIcmpEchoReply);
    if (l4[0] != echo) return why = Disposition::unsupported_proto, false;
    v.proto = NatProto::icmp;
    v.port_off = 4;
    v.csum_off = 2;
    v.pseudo = ipv6;
    return true;
  }
  why = Disposition::unsupported_proto;
  return false;
}

// Rewrites one address (at ip+addr_off) and the translated port, fixing the
// IP and L4 checksums incrementally, and decrements the TTL.
void translate(uint8_t* ip, int addr_off, uint32_t new_addr, const L4View& v, uint16_t new_port) {
  uint32_t old_addr = load_be32(ip + addr_off);
  uint16_t ipsum = load_be16(ip + kIpCsum);
  ipsum = csum_update32(ipsum, old_addr, new_addr);
  // TTL shares its 16-bit word with the protocol.
  uint16_t ttl_word = load_be16(ip + kIpTtl);
  uint16_t new_ttl_word = uint16_t(ttl_word - 0x100);
  ipsum = csum_update16(ipsum, ttl_word, new_ttl_word);
  store_be16(ip + kIpTtl, new_ttl_word);
  store_be32(ip + addr_off, new_addr);
  store_be16(ip + kIpCsum, ipsum);

  uint16_t old_port = load_be16(v.l4 + v.port_off);
  store_be16(v.l4 + v.port_off, new_port);
  if (v.csum_off < 0) return;
  uint16_t l4sum = load_be16(v.l4 + v.csum_off);
  if (v.pseudo) l4sum = csum_update32(l4sum, old_addr, new_addr);
  l4sum = csum_update16(l4sum, old_port, new_port);
  // UDP transmits a computed 0 as 0xFFFF (0 means "no checksum").
  if (v.proto == NatProto::udp && l4sum == 0) l4sum = 0xFFFF;
  store_be16(v.l4 + v.csum_off, l4sum);
}

// Rewrites one IPv6 address (source on the way out, destination on the way
// in) and the translated port, fixes the L4 checksum incrementally (the
// address is in its pseudo header) and decrements the hop limit (IPv6 has
// no header checksum).
void translate6(uint8_t* ip, int addr_off, const Ip6& new_addr, const L4View& v, uint16_t new_port) {
  uint8_t old_addr[16];
  std::memcpy(old_addr, ip + addr_off, 16);
  std::memcpy(ip + addr_off, new_addr.data(), 16);
  --ip[kIp6HopLimit];
  uint16_t old_port = load_be16(v.l4 + v.port_off);
  store_be16(v.l4 + v.port_off, new_port);
  uint16_t l4sum = load_be16(v.l4 + v.csum_off);
  l4sum = csum_update_bytes(l4sum, old_addr, new_addr.data(), 16);
  l4sum = csum_update16(l4sum, old_port, new_port);
  if (v.proto == NatProto::udp && l4sum == 0) l4sum = 0xFFFF;
  store_be16(v.l4 + v.csum_off, l4sum);
}

}  // namespace

Forwarder::Forwarder(const ForwarderConfig& cfg)
    : cfg_(cfg), nat_(cfg.nat_capacity, cfg.nat_timeouts), nat6_(cfg.nat6_capacity, cfg.nat_timeouts) {
  // Our probes' identifiers never go to a LAN flow, so replies are ours.
  for (uint8_t u = 0; u < kMaxUplinkPorts; ++u) {
    nat_.reserve(NatProto::icmp, probe_id(u));
    nat6_.reserve(NatProto::icmp, probe_id(u));
  }
  if (cfg_.kernel_port_lo != 0 && cfg_.kernel_port_hi >= cfg_.kernel_port_lo) {
    nat_.reserve_range(cfg_.kernel_port_lo, cfg_.kernel_port_hi);
    nat6_.reserve_range(cfg_.kernel_port_lo, cfg_.kernel_port_hi);
  }
  for (uint8_t p = 0; p < kMaxPorts; ++p) {
    const Interface& i = cfg_.ports[p];
    if (i.present && i.gateway_mac_static && i.gateway != 0) neigh_[p].learn(i.gateway, i.gateway_mac, 0);
    link_local_[p] = ip6_link_local_of(i.mac);
  }
}

bool Forwarder::is_our_address(uint32_t ip) const {
  for (const Interface& i : cfg_.ports)
    if (i.present && i.ip != 0 && i.ip == ip) return true;
  return false;
}

Verdict Forwarder::on_rx(uint8_t port, uint8_t* frame, uint16_t len, uint8_t active_uplink, TimeNs now,
                         uint16_t room) {
  Verdict v = classify(port, frame, len, room < len ? len : room, active_uplink, now);
  ++counts_[port][size_t(v.why)];
  return v;
}

Verdict Forwarder::classify(uint8_t port, uint8_t* frame, uint16_t len, uint16_t room, uint8_t active, TimeNs now) {
  const Interface& self = cfg_.ports[port];
  if (len < kEthHdr) return drop(Disposition::frame_truncated);
  // Unicast to someone else (a switch flooding, promiscuous capture).
  if (!(frame[0] & 1) && !self.accept_any_mac && std::memcmp(frame, self.mac.data(), 6) != 0)
    return drop(Disposition::not_our_mac);
  switch (load_be16(frame + 12)) {
    case kEtherIpv4: break;
    case kEtherArp: return on_arp(port, frame, len, now);
    case kEtherIpv6: return on_ipv6(port, frame, len, room, active, now);
    case kEtherVlan:
    case kEtherQinQ: return drop(Disposition::vlan_tagged);
    default: return drop(Disposition::other_ethertype);
  }
  uint8_t* ip = frame + kEthHdr;
  uint16_t avail = uint16_t(len - kEthHdr);
  if (avail < kIpMin) return drop(Disposition::frame_truncated);
  uint16_t ihl = uint16_t((ip[0] & 0x0F) * 4);
  uint16_t total = load_be16(ip + 2);
  // Ethernet may pad short frames, so total <= avail, not ==.
  if ((ip[0] >> 4) != 4 || ihl < kIpMin || total < ihl || total > avail || csum(ip, ihl) != 0)
    return drop(Disposition::ipv4_malformed);
  return port == kLanPort ? from_lan(frame, len, active, now) : from_uplink(uint8_t(port - 1), frame, len, now);
}

Verdict Forwarder::local(uint8_t port, Disposition no_tap_reason) const {
  if (cfg_.ports[port].has_tap) return Verdict{Action::to_kernel, port, Disposition::to_kernel, false};
  return drop(no_tap_reason);
}

Verdict Forwarder::answer_echo(uint8_t port, uint8_t* frame, uint16_t len) {
  uint8_t* ip = frame + kEthHdr;
  uint16_t ihl = uint16_t((ip[0] & 0x0F) * 4);
  uint16_t total = load_be16(ip + 2);
  if (total < ihl + 8 || kEthHdr + total > len) return drop(Disposition::l4_malformed);
  uint8_t* icmp = ip + ihl;
  std::memcpy(frame, frame + 6, 6);
  put_mac(frame + 6, cfg_.ports[port].mac);
  uint8_t src[4];
  std::memcpy(src, ip + kIpSrc, 4);
  std::memcpy(ip + kIpSrc, ip + kIpDst, 4);
  std::memcpy(ip + kIpDst, src, 4);
  ip[kIpTtl] = 64;
  store_be16(ip + kIpCsum, 0);
  store_be16(ip + kIpCsum, csum(ip, ihl));
  uint16_t old_word = load_be16(icmp);
  icmp[0] = kIcmpEchoReply;
  store_be16(icmp + 2, csum_update16(load_be16(icmp + 2), old_word, load_be16(icmp)));
  return Verdict{Action::reply, port, Disposition::echo_answered, false};
}

Verdict Forwarder::from_lan(uint8_t* frame, uint16_t len, uint8_t active, TimeNs now) {
  const Interface& lan = cfg_.ports[kLanPort];
  uint8_t* ip = frame + kEthHdr;
  uint16_t ihl = uint16_t((ip[0] & 0x0F) * 4);
  uint16_t total = load_be16(ip + 2);
  uint32_t src = load_be32(ip + kIpSrc), dst = load_be32(ip + kIpDst);
  uint8_t proto = ip[9];

  if (is_our_address(dst)) {
    if (proto == kProtoIcmp && total >= ihl + 8 && ip[ihl] == kIcmpEchoRequest) return answer_echo(kLanPort, frame, len);
    return local(kLanPort, Disposition::to_self_no_tap);
  }
  uint32_t mask = prefix_mask(lan.prefix_len);
  if ((dst & mask) == (lan.ip & mask) || is_broadcast_or_multicast(dst)) return drop(Disposition::lan_to_lan);
  if ((src & mask) != (lan.ip & mask)) return drop(Disposition::martian_source);
  if (load_be16(ip + 6) & 0x3FFF) return drop(Disposition::ip_fragment);
  if (ip[kIpTtl] <= 1) return drop(Disposition::ttl_expired);

  L4View v;
  Disposition why{};
  if (!l4_view(false, proto, ip + ihl, uint16_t(total - ihl), true, v, why)) return drop(why);

  if (active >= kMaxUplinkPorts || !cfg_.ports[uplink_port(active)].present)
    return drop(Disposition::no_active_uplink);
  const uint8_t out = uplink_port(active);
  const Interface& up = cfg_.ports[out];
  if (up.ip == 0 || up.gateway == 0) return drop(Disposition::uplink_unconfigured);
  const Neighbor* gw = neigh_[out].lookup(up.gateway);
  if (!gw) {
    want_arp(out, up.gateway, now);
    return drop(Disposition::nexthop_unresolved);
  }
  NatResult r;
  const NatEntry* e = nat_.outbound(v.proto, src, load_be16(v.l4 + v.port_off), now, r);
  if (!e) return drop(r == NatResult::table_full ? Disposition::nat_table_full : Disposition::nat_ports_exhausted);

  // The inspector sees LAN addresses, so a call keeps its key across a switch.
  if (inspect_) inspect_(inspect_ctx_, frame, len, now, active, false);

  translate(ip, kIpSrc, up.ip, v, e->ext_port);
  put_mac(frame, gw->mac);
  put_mac(frame + 6, up.mac);
  return Verdict{Action::forward, out, Disposition::forwarded_out, false};
}

Verdict Forwarder::from_uplink(uint8_t uplink, uint8_t* frame, uint16_t len, TimeNs now) {
  const uint8_t port = uplink_port(uplink);
  const Interface& up = cfg_.ports[port];
  uint8_t* ip = frame + kEthHdr;
  uint16_t ihl = uint16_t((ip[0] & 0x0F) * 4);
  uint16_t total = load_be16(ip + 2);
  uint32_t dst = load_be32(ip + kIpDst);
  uint8_t proto = ip[9];

  if (up.ip == 0 || dst != up.ip) return drop(Disposition::not_our_address);
  if (load_be16(ip + 6) & 0x3FFF) return drop(Disposition::ip_fragment);

  if (proto == kProtoIcmp) {
    if (total < ihl + 8) return drop(Disposition::l4_malformed);
    uint8_t* icmp = ip + ihl;
    if (icmp[0] == kIcmpEchoRequest) return answer_echo(port, frame, len);
    if (icmp[0] == kIcmpEchoReply) {
      uint16_t id = load_be16(icmp + 4);
      if (id >= cfg_.probe_id_base && id < cfg_.probe_id_base + kMaxUplinkPorts) {
        const uint8_t* pl = icmp + 8;
        if (total < ihl + 8 + kProbePayload || load_be32(pl) != kProbeMagic)
          return local(port, Disposition::no_nat_mapping);
        if (reply_count_ < kMaxProbeReplies) {
          ProbeReply& r = replies_[reply_count_++];
          r.uplink = uint8_t(id - cfg_.probe_id_base);
          r.target = load_be32(ip + kIpSrc);
          r.seq = load_be16(icmp + 6);
          r.sent_ns = TimeNs(load_be32(pl + 8)) << 32 | load_be32(pl + 12);
          r.recv_ns = now;
        }
        return Verdict{Action::consumed, port, Disposition::probe_reply, false};
      }
    }
  }

  L4View v;
  Disposition why{};
  if (!l4_view(false, proto, ip + ihl, uint16_t(total - ihl), false, v, why)) {
    // ICMP errors and other protocols may be for the box's own sockets.
    return why == Disposition::unsupported_proto ? local(port, why) : drop(why);
  }
  // The box's own sockets (reserved range, or any port no LAN flow owns)
  // get the packet through the exception path.
  const NatEntry* e = nat_.inbound(v.proto, load_be16(v.l4 + v.port_off), now);
  if (!e) return local(port, Disposition::no_nat_mapping);
  if (ip[kIpTtl] <= 1) return drop(Disposition::ttl_expired);
  const Interface& lan = cfg_.ports[kLanPort];
  const Neighbor* host = neigh_[kLanPort].lookup(e->lan_ip);
  if (!host) {
    want_arp(kLanPort, e->lan_ip, now);
    return drop(Disposition::lan_host_unresolved);
  }
  translate(ip, kIpDst, e->lan_ip, v, e->lan_port);
  put_mac(frame, host->mac);
  put_mac(frame + 6, lan.mac);
  if (inspect_) inspect_(inspect_ctx_, frame, len, now, uplink, true);
  return Verdict{Action::forward, kLanPort, Disposition::forwarded_in, false};
}

Verdict Forwarder::on_arp(uint8_t port, uint8_t* frame, uint16_t len, TimeNs now) {
  if (len < kEthHdr + kArpLen) return drop(Disposition::frame_truncated);
  uint8_t* a = frame + kEthHdr;
  if (load_be16(a) != 1 || load_be16(a + 2) != kEtherIpv4 || a[4] != 6 || a[5] != 4)
    return drop(Disposition::arp_ignored);
  const Interface& self = cfg_.ports[port];
  const uint16_t op = load_be16(a + 6);
  const Mac sha = get_mac(a + 8);
  const uint32_t spa = load_be32(a + 14), tpa = load_be32(a + 24);
  const bool for_us = self.ip != 0 && tpa == self.ip;

  // RFC 826: refresh a sender we know; add it if the packet is for us.
  // Never learn a static next hop from the wire.
  const bool static_gw = self.gateway_mac_static && spa == self.gateway;
  bool learned = false;
  if (!static_gw && spa != 0 && !(sha[0] & 1) && (for_us || neigh_[port].lookup(spa))) {
    neigh_[port].learn(spa, sha, now);
    arp_.resolved(port, spa);
    learned = true;
  }
  if (op == 1 && for_us) {
    store_be16(a + 6, 2);
    put_mac(a + 18, sha);
    store_be32(a + 24, spa);
    put_mac(a + 8, self.mac);
    store_be32(a + 14, self.ip);
    put_mac(frame, sha);
    put_mac(frame + 6, self.mac);
    // The kernel behind the tap has the same address; it need not answer.
    return Verdict{Action::reply, port, Disposition::arp_answered, false};
  }
  // A reply may answer the kernel's own request: let it learn too.
  if (learned) return Verdict{Action::consumed, port, Disposition::arp_learned, self.has_tap && op == 2};
  return drop(Disposition::arp_ignored);
}

void Forwarder::want_arp(uint8_t port, uint32_t ip, TimeNs now) {
  if (ip != 0) arp_.want(port, ip, now);
}

uint32_t Forwarder::take_arp_wants(ArpWant* out, uint32_t max, TimeNs now) {
  return arp_.take(out, max, now, cfg_.arp_retry);
}

void Forwarder::want_nd(uint8_t port, const Ip6& ip, TimeNs now) {
  if (!addr_is_zero(ip)) nd_.want(port, ip, now);
}

uint32_t Forwarder::take_nd_wants(NdWant* out, uint32_t max, TimeNs now) {
  return nd_.take(out, max, now, cfg_.arp_retry);
}

// ---- IPv6 -----------------------------------------------------------------

bool Forwarder::is_our_ip6(uint8_t port, const uint8_t* a) const {
  const Interface& i = cfg_.ports[port];
  return (i.has_ip6 && ip6_equal(a, i.ip6)) || ip6_equal(a, link_local_[port]);
}

bool Forwarder::is_any_global_ip6(const uint8_t* a) const {
  for (const Interface& i : cfg_.ports)
    if (i.present && i.has_ip6 && ip6_equal(a, i.ip6)) return true;
  return false;
}

Verdict Forwarder::on_ipv6(uint8_t port, uint8_t* frame, uint16_t len, uint16_t room, uint8_t active, TimeNs now) {
  // A port without an IPv6 address keeps the old behaviour: IPv6 is the
  // kernel's business (tap) or dropped, counted.
  if (!cfg_.ports[port].has_ip6) return local(port, Disposition::ipv6_unsupported);
  Ip6Packet p;
  p.ip = frame + kEthHdr;
  const uint16_t avail = uint16_t(len - kEthHdr);
  if (avail < kIp6Hdr) return drop(Disposition::frame_truncated);
  p.total = uint16_t(kIp6Hdr + load_be16(p.ip + kIp6PayloadLen));
  // Ethernet may pad short frames, so total <= avail, not ==.
  if ((p.ip[0] >> 4) != 6 || p.total > avail || p.total < kIp6Hdr) return drop(Disposition::ipv6_malformed);
  // Skip the extension headers NAT can pass through; stop at a fragment
  // header (later fragments carry no L4 header). Bounded: a chain longer
  // than this is an attack, not a phone.
  p.proto = p.ip[kIp6NextHeader];
  p.l4_off = kIp6Hdr;
  for (int i = 0;; ++i) {
    if (p.proto != kProtoHopByHop && p.proto != kProtoRouting && p.proto != kProtoDestOpts &&
        p.proto != kProtoFragment)
      break;
    if (i == 8 || p.l4_off + 8 > p.total) return drop(Disposition::ipv6_malformed);
    const uint8_t* h = p.ip + p.l4_off;
    if (p.proto == kProtoFragment) {
      p.fragment = true;
      break;
    }
    p.proto = h[0];
    p.l4_off = uint16_t(p.l4_off + (h[1] + 1) * 8);
    if (p.l4_off > p.total) return drop(Disposition::ipv6_malformed);
  }
  if (p.proto == kProtoIcmp6 && !p.fragment && p.l4_off + 4 <= p.total) {
    const uint8_t type = p.ip[p.l4_off];
    if (type >= kNdRouterSolicit && type <= kNdRedirect) return on_nd(port, frame, p, room, now);
  }
  return port == kLanPort ? from_lan6(frame, p, active, now) : from_uplink6(uint8_t(port - 1), frame, p, now);
}

Verdict Forwarder::on_nd(uint8_t port, uint8_t* frame, const Ip6Packet& p, uint16_t room, TimeNs now) {
  const Interface& self = cfg_.ports[port];
  uint8_t* ip = p.ip;
  uint8_t* m = ip + p.l4_off;
  const uint16_t mlen = uint16_t(p.total - p.l4_off);
  const uint8_t type = m[0];
  // Router discovery and redirects: the LAN hosts route to us statically
  // (no RA from the fast path); a kernel behind the tap may want them.
  if (type != kNdNeighborSolicit && type != kNdNeighborAdvert) return local(port, Disposition::nd_ignored);
  // RFC 4861 7.1: hop limit 255 (not from beyond a router), code 0, long
  // enough, valid checksum, target not multicast; these change our tables.
  if (p.l4_off != kIp6Hdr || ip[kIp6HopLimit] != kNdHopLimit || m[1] != 0 || mlen < kNdMsgLen ||
      ip6_l4_checksum(ip, m, mlen, kProtoIcmp6) != 0 || ip6_is_multicast(m + 8))
    return drop(Disposition::nd_invalid);
  const uint8_t want_opt = type == kNdNeighborSolicit ? kNdOptSourceLinkAddr : kNdOptTargetLinkAddr;
  const uint8_t* lladdr = nullptr;
  for (uint16_t o = kNdMsgLen; o < mlen;) {
    if (o + 2 > mlen || m[o + 1] == 0) return drop(Disposition::nd_invalid);
    const uint16_t olen = uint16_t(m[o + 1] * 8);
    if (o + olen > mlen) return drop(Disposition::nd_invalid);
    if (m[o] == want_opt && olen == 8) lladdr = m + o + 2;
    o = uint16_t(o + olen);
  }
  if (lladdr && (lladdr[0] & 1)) lladdr = nullptr;  // a multicast MAC is nobody's
  const bool target_ours = is_our_ip6(port, m + 8);
  Neighbor6Table& table = neigh6_[port];

  if (type == kNdNeighborSolicit) {
    const bool dad = ip6_is_unspecified(ip + kIp6Src);
    if (dad && (lladdr || !ip6_is_multicast(ip + kIp6Dst))) return drop(Disposition::nd_invalid);
    // Like ARP: learn the asker if it asks us, refresh it if known.
    bool learned = false;
    const Ip6 src = load_ip6(ip + kIp6Src);
    if (!dad && lladdr && (target_ours || table.lookup(src))) {
      table.learn(src, get_mac(lladdr), now);
      nd_.resolved(port, src);
      learned = true;
    }
    if (!target_ours) return learned ? Verdict{Action::consumed, port, Disposition::nd_learned, false} : drop(Disposition::nd_ignored);
    if (room < kNdFrameLen) return drop(Disposition::frame_truncated);
    // Answer in place: to the asker, or to all nodes for a duplicate
    // address check (defending our address).
    const Ip6 dst = dad ? kIp6AllNodes : src;
    const Mac dst_mac = dad ? ip6_multicast_mac(kIp6AllNodes) : lladdr ? get_mac(lladdr) : get_mac(frame + 6);
    const Ip6 target = load_ip6(m + 8);
    put_mac(frame, dst_mac);
    put_mac(frame + 6, self.mac);
    store_be32(ip, 0x60000000);
    store_be16(ip + kIp6PayloadLen, kNdMsgLen + 8);
    ip[kIp6NextHeader] = kProtoIcmp6;
    ip[kIp6HopLimit] = kNdHopLimit;
    std::memcpy(ip + kIp6Src, target.data(), 16);
    std::memcpy(ip + kIp6Dst, dst.data(), 16);
    m[0] = kNdNeighborAdvert;
    m[1] = 0;
    store_be16(m + 2, 0);
    // The LAN hosts use us as their router; to a carrier we are a host.
    m[4] = uint8_t((port == kLanPort ? kNaRouter : 0) | (dad ? 0 : kNaSolicited) | kNaOverride);
    m[5] = m[6] = m[7] = 0;
    m[24] = kNdOptTargetLinkAddr;
    m[25] = 1;
    put_mac(m + 26, self.mac);
    store_be16(m + 2, ip6_l4_checksum(ip, m, kNdMsgLen + 8, kProtoIcmp6));
    return Verdict{Action::reply, port, Disposition::nd_answered, false, kNdFrameLen};
  }

  // Neighbor Advertisement. A solicited one to a multicast group is bogus
  // (RFC 4861 7.1.2); one claiming our own address is a duplicate, not a
  // neighbour.
  if ((m[4] & kNaSolicited) && ip6_is_multicast(ip + kIp6Dst)) return drop(Disposition::nd_invalid);
  if (target_ours) return drop(Disposition::nd_ignored);
  const Ip6 target = load_ip6(m + 8);
  // Unicast to our address: an answer to our solicitation, or to the
  // kernel's (behind the tap, same address), which must see it too.
  const bool to_us = !ip6_is_multicast(ip + kIp6Dst) && is_our_ip6(port, ip + kIp6Dst);
  const bool copy = self.has_tap && to_us;
  if (lladdr && (to_us || nd_.pending(port, target) || table.lookup(target))) {
    table.learn(target, get_mac(lladdr), now);
    nd_.resolved(port, target);
    return Verdict{Action::consumed, port, Disposition::nd_learned, copy};
  }
  return copy ? Verdict{Action::to_kernel, port, Disposition::to_kernel, false} : drop(Disposition::nd_ignored);
}

Verdict Forwarder::answer_echo6(uint8_t port, uint8_t* frame, const Ip6Packet& p) {
  // With extension headers (a routing header...) the kernel knows better.
  if (p.l4_off != kIp6Hdr) return local(port, Disposition::to_self_no_tap);
  if (p.l4_off + 8 > p.total) return drop(Disposition::l4_malformed);
  uint8_t* ip = p.ip;
  uint8_t* icmp = ip + p.l4_off;
  std::memcpy(frame, frame + 6, 6);
  put_mac(frame + 6, cfg_.ports[port].mac);
  // Swapping the addresses leaves the pseudo-header sum unchanged.
  uint8_t src[16];
  std::memcpy(src, ip + kIp6Src, 16);
  std::memcpy(ip + kIp6Src, ip + kIp6Dst, 16);
  std::memcpy(ip + kIp6Dst, src, 16);
  ip[kIp6HopLimit] = 64;
  const uint16_t old_word = load_be16(icmp);
  icmp[0] = kIcmp6EchoReply;
  store_be16(icmp + 2, csum_update16(load_be16(icmp + 2), old_word, load_be16(icmp)));
  return Verdict{Action::reply, port, Disposition::echo_answered, false};
}

Verdict Forwarder::from_lan6(uint8_t* frame, const Ip6Packet& p, uint8_t active, TimeNs now) {
  const Interface& lan = cfg_.ports[kLanPort];
  uint8_t* ip = p.ip;
  const uint8_t* src = ip + kIp6Src;
  const uint8_t* dst = ip + kIp6Dst;
  if (is_any_global_ip6(dst) || ip6_equal(dst, link_local_[kLanPort])) {
    if (p.proto == kProtoIcmp6 && !p.fragment && p.l4_off + 8 <= p.total && ip[p.l4_off] == kIcmp6EchoRequest)
      return answer_echo6(kLanPort, frame, p);
    return local(kLanPort, Disposition::to_self_no_tap);
  }
  if (ip6_is_multicast(dst) || ip6_is_link_local(dst) || ip6_in_prefix(dst, lan.ip6, lan.prefix6_len))
    return drop(Disposition::lan_to_lan);
  if (!ip6_in_prefix(src, lan.ip6, lan.prefix6_len)) return drop(Disposition::martian_source);
  if (p.fragment) return drop(Disposition::ip_fragment);
  if (ip[kIp6HopLimit] <= 1) return drop(Disposition::ttl_expired);

  L4View v;
  Disposition why{};
  if (!l4_view(true, p.proto, ip + p.l4_off, uint16_t(p.total - p.l4_off), true, v, why)) return drop(why);

  if (active >= kMaxUplinkPorts || !cfg_.ports[uplink_port(active)].present)
    return drop(Disposition::no_active_uplink);
  const uint8_t out = uplink_port(active);
  const Interface& up = cfg_.ports[out];
  if (!up.has_ip6 || !up.has_gateway6) return drop(Disposition::ipv6_uplink_unconfigured);
  const Neighbor6* gw = neigh6_[out].lookup(up.gateway6);
  if (!gw) {
    want_nd(out, up.gateway6, now);
    return drop(Disposition::nexthop_unresolved);
  }
  NatResult r;
  const Nat6Entry* e = nat6_.outbound(v.proto, load_ip6(src), load_be16(v.l4 + v.port_off), now, r);
  if (!e) return drop(r == NatResult::table_full ? Disposition::nat_table_full : Disposition::nat_ports_exhausted);

  if (inspect_) inspect_(inspect_ctx_, frame, uint16_t(kEthHdr + p.total), now, active, false);

  translate6(ip, kIp6Src, up.ip6, v, e->ext_port);
  put_mac(frame, gw->mac);
  put_mac(frame + 6, up.mac);
  return Verdict{Action::forward, out, Disposition::forwarded_out, false};
}

Verdict Forwarder::from_uplink6(uint8_t uplink, uint8_t* frame, const Ip6Packet& p, TimeNs now) {
  const uint8_t port = uplink_port(uplink);
  const Interface& up = cfg_.ports[port];
  uint8_t* ip = p.ip;
  const uint8_t* dst = ip + kIp6Dst;
  const bool to_link_local = ip6_equal(dst, link_local_[port]);
  if (!to_link_local && !ip6_equal(dst, up.ip6)) return drop(Disposition::not_our_address);
  if (p.fragment) return drop(Disposition::ip_fragment);
  if (p.proto == kProtoIcmp6) {
    if (p.l4_off + 8 > p.total) return drop(Disposition::l4_malformed);
    const uint8_t type = ip[p.l4_off];
    if (type == kIcmp6EchoRequest) return answer_echo6(port, frame, p);
    // Errors (types < 128) would need the embedded header translated: they
    // go to the box's own sockets, as for IPv4.
    if (type < 128) return local(port, Disposition::unsupported_proto);
  }
  if (to_link_local) return local(port, Disposition::to_self_no_tap);

  L4View v;
  Disposition why{};
  if (!l4_view(true, p.proto, ip + p.l4_off, uint16_t(p.total - p.l4_off), false, v, why))
    return why == Disposition::unsupported_proto ? local(port, why) : drop(why);
  const Nat6Entry* e = nat6_.inbound(v.proto, load_be16(v.l4 + v.port_off), now);
  if (!e) return local(port, Disposition::no_nat_mapping);
  if (ip[kIp6HopLimit] <= 1) return drop(Disposition::ttl_expired);
  const Neighbor6* host = neigh6_[kLanPort].lookup(e->lan_ip);
  if (!host) {
    want_nd(kLanPort, e->lan_ip, now);
    return drop(Disposition::lan_host_unresolved);
  }
  translate6(ip, kIp6Dst, e->lan_ip, v, e->lan_port);
  put_mac(frame, host->mac);
  put_mac(frame + 6, cfg_.ports[kLanPort].mac);
  if (inspect_) inspect_(inspect_ctx_, frame, uint16_t(kEthHdr + p.total), now, uplink, true);
  return Verdict{Action::forward, kLanPort, Disposition::forwarded_in, false};
}

uint32_t Forwarder::take_probe_replies(ProbeReply* out, uint32_t max) {
  uint32_t n = reply_count_ < max ? reply_count_ : max;
  for (uint32_t i = 0; i < n; ++i) out[i] = replies_[i];
  // Keep what did not fit for the next call.
  for (uint32_t i = n; i < reply_count_; ++i) replies_[i - n] = replies_[i];
  reply_count_ -= n;
  return n;
}

}  // namespace tg::fastpath
