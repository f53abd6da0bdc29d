// Test frames: Ethernet/IPv4/UDP/TCP/ICMP/ARP built byte by byte with valid
// checksums, and checks that a rewritten frame's checksums are still valid.
#pragma once
#include <cstdint>
#include <vector>

#include "dataplane/fastpath/checksum.hpp"
#include "dataplane/fastpath/frame.hpp"

namespace tg::fastpath::test {

inline uint32_t ip4(int a, int b, int c, int d) { return uint32_t(a) << 24 | uint32_t(b) << 16 | uint32_t(c) << 8 | uint32_t(d); }

constexpr Mac kLanMac{0x02, 0, 0, 0, 0, 0x01};
constexpr Mac kWan0Mac{0x02, 0, 0, 0, 0, 0x02};
constexpr Mac kWan1Mac{0x02, 0, 0, 0, 0, 0x03};
constexpr Mac kHostMac{0x02, 0, 0, 0, 0, 0x10};
constexpr Mac kGw0Mac{0x02, 0, 0, 0, 0, 0x20};
constexpr Mac kGw1Mac{0x02, 0, 0, 0, 0, 0x21};

// L4 checksum over the pseudo header (UDP/TCP) or the message (ICMP).
inline uint16_t l4_checksum(const uint8_t* ip) {
  uint16_t ihl = uint16_t((ip[0] & 0x0F) * 4), total = load_be16(ip + 2);
  uint16_t l4len = uint16_t(total - ihl);
  uint32_t sum = 0;
  if (ip[9] != kProtoIcmp) {
    sum = csum_partial(ip + 12, 8);
    sum += ip[9];
    sum += l4len;
  }
  return csum(ip + ihl, l4len, sum);
}

inline std::vector<uint8_t> ipv4_frame(const Mac& dst, const Mac& src, uint32_t sip, uint32_t dip, uint8_t proto,
                                       const std::vector<uint8_t>& l4, uint8_t ttl = 64) {
  std::vector<uint8_t> f(kEthHdr + 20 + l4.size());
  put_mac(f.data(), dst);
  put_mac(f.data() + 6, src);
  store_be16(f.data() + 12, kEtherIpv4);
  uint8_t* ip = f.data() + kEthHdr;
  ip[0] = 0x45;
  store_be16(ip + 2, uint16_t(20 + l4.size()));
  store_be16(ip + 4, 0x1234);
  store_be16(ip + 6, 0x4000);
  ip[8] = ttl;
  ip[9] = proto;
  store_be32(ip + 12, sip);
  store_be32(ip + 16, dip);
  store_be16(ip + 10, csum(ip, 20));
  std::copy(l4.begin(), l4.end(), ip + 20);
  return f;
}

inline void fix_l4_checksum(std::vector<uint8_t>& f) {
  uint8_t* ip = f.data() + kEthHdr;
  int off = ip[9] == kProtoUdp ? 6 : ip[9] == kProtoTcp ? 16 : 2;
  store_be16(ip + 20 + off, 0);
  uint16_t c = l4_checksum(ip);
  if (ip[9] == kProtoUdp && c == 0) c = 0xFFFF;
  store_be16(ip + 20 + off, c);
}

inline std::vector<uint8_t> udp_frame(const Mac& dst, const Mac& src, uint32_t sip, uint16_t sport, uint32_t dip,
                                      uint16_t dport, size_t payload = 32, uint8_t ttl = 64) {
  std::vector<uint8_t> l4(8 + payload);
  store_be16(l4.data(), sport);
  store_be16(l4.data() + 2, dport);
  store_be16(l4.data() + 4, uint16_t(l4.size()));
  for (size_t i = 8; i < l4.size(); ++i) l4[i] = uint8_t(i * 7);
  auto f = ipv4_frame(dst, src, sip, dip, kProtoUdp, l4, ttl);
  fix_l4_checksum(f);
  return f;
}

inline std::vector<uint8_t> tcp_frame(const Mac& dst, const Mac& src, uint32_t sip, uint16_t sport, uint32_t dip,
                                      uint16_t dport) {
  std::vector<uint8_t> l4(20);
  store_be16(l4.data(), sport);
  store_be16(l4.data() + 2, dport);
  l4[12] = 5 << 4;
  l4[13] = 0x02;  // SYN
  auto f = ipv4_frame(dst, src, sip, dip, kProtoTcp, l4);
  fix_l4_checksum(f);
  return f;
}

inline std::vector<uint8_t> icmp_echo(const Mac& dst, const Mac& src, uint32_t sip, uint32_t dip, uint8_t type,
                                      uint16_t id, uint16_t seq) {
  std::vector<uint8_t> l4(8 + 24, 0xAB);
  l4[0] = type;
  l4[1] = 0;
  store_be16(l4.data() + 4, id);
  store_be16(l4.data() + 6, seq);
  auto f = ipv4_frame(dst, src, sip, dip, kProtoIcmp, l4);
  fix_l4_checksum(f);
  return f;
}

inline std::vector<uint8_t> arp_frame(uint16_t op, const Mac& sha, uint32_t spa, const Mac& tha, uint32_t tpa,
                                      const Mac& eth_dst = kBroadcastMac) {
  std::vector<uint8_t> f(60, 0);
  put_mac(f.data(), eth_dst);
  put_mac(f.data() + 6, sha);
  store_be16(f.data() + 12, kEtherArp);
  uint8_t* a = f.data() + kEthHdr;
  store_be16(a, 1);
  store_be16(a + 2, kEtherIpv4);
  a[4] = 6;
  a[5] = 4;
  store_be16(a + 6, op);
  put_mac(a + 8, sha);
  store_be32(a + 14, spa);
  put_mac(a + 18, tha);
  store_be32(a + 24, tpa);
  return f;
}

inline bool checksums_valid(const std::vector<uint8_t>& f) {
  const uint8_t* ip = f.data() + kEthHdr;
  if (csum(ip, 20) != 0) return false;
  if (ip[9] == kProtoUdp && load_be16(ip + 26) == 0) return true;
  return l4_checksum(ip) == 0;
}

// ---- IPv6 ------------------------------------------------------------------

// 2001:db8:<net>::<host> (documentation prefix, RFC 3849).
inline Ip6 ip6(uint16_t net, uint16_t host) {
  Ip6 a{0x20, 0x01, 0x0d, 0xb8};
  a[4] = uint8_t(net >> 8);
  a[5] = uint8_t(net);
  a[14] = uint8_t(host >> 8);
  a[15] = uint8_t(host);
  return a;
}
inline Mac solicited_mac(const Ip6& a) { return ip6_multicast_mac(ip6_solicited_node(a)); }
inline Ip6 ip6_at(const std::vector<uint8_t>& f, size_t off) { return load_ip6(f.data() + off); }
// Offsets in an Ethernet + IPv6 frame without extension headers.
constexpr size_t kF6Hop = kEthHdr + 7, kF6Src = kEthHdr + 8, kF6Dst = kEthHdr + 24, kF6L4 = kEthHdr + 40;

// headers: extension header bytes between the IPv6 header and l4 (their
// next-header chain must end in `proto`, the first one's type is `first`).
inline std::vector<uint8_t> ipv6_frame(const Mac& dst, const Mac& src, const Ip6& sip, const Ip6& dip, uint8_t proto,
                                       const std::vector<uint8_t>& l4, uint8_t hop = 64,
                                       const std::vector<uint8_t>& headers = {}, uint8_t first = 0) {
  std::vector<uint8_t> f(kEthHdr + kIp6Hdr + headers.size() + l4.size());
  put_mac(f.data(), dst);
  put_mac(f.data() + 6, src);
  store_be16(f.data() + 12, kEtherIpv6);
  uint8_t* ip = f.data() + kEthHdr;
  store_be32(ip, 0x60000000);
  store_be16(ip + 4, uint16_t(headers.size() + l4.size()));
  ip[6] = headers.empty() ? proto : first;
  ip[7] = hop;
  std::memcpy(ip + 8, sip.data(), 16);
  std::memcpy(ip + 24, dip.data(), 16);
  std::copy(headers.begin(), headers.end(), ip + kIp6Hdr);
  std::copy(l4.begin(), l4.end(), ip + kIp6Hdr + headers.size());
  return f;
}

// Recomputes the L4 checksum of a frame built by ipv6_frame.
inline void fix_l4_checksum6(std::vector<uint8_t>& f, uint8_t proto, size_t ext = 0) {
  uint8_t* ip = f.data() + kEthHdr;
  uint8_t* l4 = ip + kIp6Hdr + ext;
  const uint32_t l4len = uint32_t(f.size() - kEthHdr - kIp6Hdr - ext);
  const int off = proto == kProtoUdp ? 6 : proto == kProtoTcp ? 16 : 2;
  store_be16(l4 + off, 0);
  uint16_t c = ip6_l4_checksum(ip, l4, l4len, proto);
  if (proto == kProtoUdp && c == 0) c = 0xFFFF;
  store_be16(l4 + off, c);
}

// The L4 checksum of an IPv6 frame verifies (sums to zero).
inline bool checksums_valid6(const std::vector<uint8_t>& f, size_t ext = 0) {
  const uint8_t* ip = f.data() + kEthHdr;
  uint8_t proto = ext ? ip[kIp6Hdr] : ip[6];
  const uint32_t l4len = uint32_t(kIp6Hdr + load_be16(ip + 4) - kIp6Hdr - ext);
  if (proto == kProtoUdp && load_be16(ip + kIp6Hdr + ext + 6) == 0) return false;  // mandatory in IPv6
  return ip6_l4_checksum(ip, ip + kIp6Hdr + ext, l4len, proto) == 0;
}

inline std::vector<uint8_t> udp6_frame(const Mac& dst, const Mac& src, const Ip6& sip, uint16_t sport, const Ip6& dip,
                                       uint16_t dport, size_t payload = 32, uint8_t hop = 64) {
  std::vector<uint8_t> l4(8 + payload);
  store_be16(l4.data(), sport);
  store_be16(l4.data() + 2, dport);
  store_be16(l4.data() + 4, uint16_t(l4.size()));
  for (size_t i = 8; i < l4.size(); ++i) l4[i] = uint8_t(i * 13);
  auto f = ipv6_frame(dst, src, sip, dip, kProtoUdp, l4, hop);
  fix_l4_checksum6(f, kProtoUdp);
  return f;
}

inline std::vector<uint8_t> tcp6_frame(const Mac& dst, const Mac& src, const Ip6& sip, uint16_t sport, const Ip6& dip,
                                       uint16_t dport) {
  std::vector<uint8_t> l4(20);
  store_be16(l4.data(), sport);
  store_be16(l4.data() + 2, dport);
  l4[12] = 5 << 4;
  l4[13] = 0x02;  // SYN
  auto f = ipv6_frame(dst, src, sip, dip, kProtoTcp, l4);
  fix_l4_checksum6(f, kProtoTcp);
  return f;
}

inline std::vector<uint8_t> icmp6_echo(const Mac& dst, const Mac& src, const Ip6& sip, const Ip6& dip, uint8_t type,
                                       uint16_t id, uint16_t seq) {
  std::vector<uint8_t> l4(8 + 24, 0xCD);
  l4[0] = type;
  l4[1] = 0;
  store_be16(l4.data() + 4, id);
  store_be16(l4.data() + 6, seq);
  auto f = ipv6_frame(dst, src, sip, dip, kProtoIcmp6, l4);
  fix_l4_checksum6(f, kProtoIcmp6);
  return f;
}

// Neighbor Solicitation / Advertisement. lladdr: the link-layer option
// (source for NS, target for NA) or nullptr for none.
inline std::vector<uint8_t> nd_frame(uint8_t type, const Mac& eth_dst, const Mac& eth_src, const Ip6& sip,
                                     const Ip6& dip, const Ip6& target, const Mac* lladdr, uint8_t flags = 0,
                                     uint8_t hop = 255) {
  std::vector<uint8_t> l4(kNdMsgLen + (lladdr ? 8 : 0), 0);
  l4[0] = type;
  l4[4] = flags;
  std::memcpy(l4.data() + 8, target.data(), 16);
  if (lladdr) {
    l4[24] = type == kNdNeighborSolicit ? kNdOptSourceLinkAddr : kNdOptTargetLinkAddr;
    l4[25] = 1;
    put_mac(l4.data() + 26, *lladdr);
  }
  auto f = ipv6_frame(eth_dst, eth_src, sip, dip, kProtoIcmp6, l4, hop);
  fix_l4_checksum6(f, kProtoIcmp6);
  return f;
}

}  // namespace tg::fastpath::test
