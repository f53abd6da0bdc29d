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

// Fills v for a UDP, TCP or ICMP echo packet; false + why otherwise.
bool l4_view(uint8_t proto, uint8_t* l4, uint16_t l4_len, bool outbound, L4View& v, Disposition& why) {
  v.l4 = l4;
  switch (proto) {
    case kProtoUdp:
      if (l4_len < 8) break;
      v.proto = NatProto::udp;
      v.port_off = outbound ? 0 : 2;
      // A zero UDP checksum means "none" (RFC 768): leave it zero.
      v.csum_off = load_be16(l4 + 6) == 0 ? -1 : 6;
      return true;
    case kProtoTcp:
      if (l4_len < 20) break;
      v.proto = NatProto::tcp;
      v.port_off = outbound ? 0 : 2;
      v.csum_off = 16;
      return true;
    case kProtoIcmp:
      if (l4_len < 8) break;
      // Only echo is translated (by identifier); errors would need the
      // embedded header rewritten, which we do not do.
      if (l4[0] != (outbound ? kIcmpEchoRequest : kIcmpEchoReply)) {
        why = Disposition::unsupported_proto;
        return false;
      }
      v.proto = NatProto::icmp;
      v.port_off = 4;
      v.csum_off = 2;
      v.pseudo = false;
      return true;
    default:
      why = Disposition::unsupported_proto;
      return false;
  }
  why = Disposition::l4_malformed;
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

}  // namespace

Forwarder::Forwarder(const ForwarderConfig& cfg) : cfg_(cfg), nat_(cfg.nat_capacity, cfg.nat_timeouts) {
  // Our probes' identifiers never go to a LAN flow, so replies are ours.
  for (uint8_t u = 0; u < kMaxUplinkPorts; ++u) nat_.reserve(NatProto::icmp, probe_id(u));
  if (cfg_.kernel_port_lo != 0 && cfg_.kernel_port_hi >= cfg_.kernel_port_lo)
    nat_.reserve_range(cfg_.kernel_port_lo, cfg_.kernel_port_hi);
  for (uint8_t p = 0; p < kMaxPorts; ++p) {
    const Interface& i = cfg_.ports[p];
    if (i.present && i.gateway_mac_static && i.gateway != 0) neigh_[p].learn(i.gateway, i.gateway_mac, 0);
  }
}

bool Forwarder::is_our_address(uint32_t ip) const {
  for (const Interface& i : cfg_.ports)
    if (i.present && i.ip != 0 && i.ip == ip) return true;
  return false;
}

Verdict Forwarder::on_rx(uint8_t port, uint8_t* frame, uint16_t len, uint8_t active_uplink, TimeNs now) {
  Verdict v = classify(port, frame, len, active_uplink, now);
  ++counts_[port][size_t(v.why)];
  return v;
}

Verdict Forwarder::classify(uint8_t port, uint8_t* frame, uint16_t len, uint8_t active, TimeNs now) {
  const Interface& self = cfg_.ports[port];
  if (len < kEthHdr) return drop(Disposition::frame_truncated);
  // Unicast to someone else (a switch flooding, promiscuous capture).
  if (!(frame[0] & 1) && !self.accept_any_mac && std::memcmp(frame, self.mac.data(), 6) != 0)
    return drop(Disposition::not_our_mac);
  switch (load_be16(frame + 12)) {
    case kEtherIpv4: break;
    case kEtherArp: return on_arp(port, frame, len, now);
    case kEtherIpv6: return self.has_tap ? local(port, Disposition::ipv6_unsupported)
                                         : drop(Disposition::ipv6_unsupported);
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
  if (!l4_view(proto, ip + ihl, uint16_t(total - ihl), true, v, why)) return drop(why);

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
  if (!l4_view(proto, ip + ihl, uint16_t(total - ihl), false, v, why)) {
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
    arp_resolved(port, spa);
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

void Forwarder::arp_resolved(uint8_t port, uint32_t ip) {
  for (ArpPending& p : arp_)
    if (p.ip == ip && p.port == port) p = ArpPending{};
}

void Forwarder::want_arp(uint8_t port, uint32_t ip, TimeNs now) {
  ArpPending* slot = nullptr;
  for (ArpPending& p : arp_) {
    if (p.ip == ip && p.port == port) {
      // Asked again by traffic after giving up: start over.
      if (p.tries >= kArpTries) p.tries = 0;
      return;
    }
    if (!slot && p.ip == 0) slot = &p;
  }
  if (!slot) {
    // Full: replace the entry that has been tried the longest.
    slot = &arp_[0];
    for (ArpPending& p : arp_)
      if (p.tries > slot->tries) slot = &p;
  }
  *slot = ArpPending{port, ip, now, 0};
}

uint32_t Forwarder::take_arp_wants(ArpWant* out, uint32_t max, TimeNs now) {
  uint32_t n = 0;
  for (ArpPending& p : arp_) {
    if (n == max) break;
    if (p.ip == 0 || p.tries >= kArpTries) continue;
    if (p.tries > 0 && now - p.last_sent < cfg_.arp_retry) continue;
    out[n++] = ArpWant{p.port, p.ip};
    p.last_sent = now;
    ++p.tries;
  }
  return n;
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
