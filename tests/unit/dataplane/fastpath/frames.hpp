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

}  // namespace tg::fastpath::test
