#include "dataplane/fastpath/frame.hpp"

#include "dataplane/fastpath/checksum.hpp"

namespace tg::fastpath {

uint16_t build_arp_request(uint8_t* buf, const Mac& src_mac, uint32_t src_ip, uint32_t target_ip) {
  std::memset(buf, 0, 60);
  put_mac(buf, kBroadcastMac);
  put_mac(buf + 6, src_mac);
  store_be16(buf + 12, kEtherArp);
  uint8_t* a = buf + kEthHdr;
  store_be16(a, 1);            // Ethernet
  store_be16(a + 2, kEtherIpv4);
  a[4] = 6;
  a[5] = 4;
  store_be16(a + 6, 1);        // request
  put_mac(a + 8, src_mac);
  store_be32(a + 14, src_ip);
  store_be32(a + 24, target_ip);  // target MAC left zero
  return kEthHdr + kArpLen;
}

bool ip6_in_prefix(const uint8_t* p, const Ip6& prefix, uint8_t len) {
  if (len > 128) len = 128;
  const uint8_t whole = len / 8, bits = len % 8;
  if (std::memcmp(p, prefix.data(), whole) != 0) return false;
  if (bits == 0) return true;
  const uint8_t mask = uint8_t(0xFF << (8 - bits));
  return (p[whole] & mask) == (prefix[whole] & mask);
}

Ip6 ip6_link_local_of(const Mac& mac) {
  Ip6 a{0xfe, 0x80};
  a[8] = mac[0] ^ 0x02;  // universal/local bit inverted
  a[9] = mac[1];
  a[10] = mac[2];
  a[11] = 0xff;
  a[12] = 0xfe;
  a[13] = mac[3];
  a[14] = mac[4];
  a[15] = mac[5];
  return a;
}

Ip6 ip6_solicited_node(const Ip6& target) {
  Ip6 a{0xff, 0x02};
  a[11] = 0x01;
  a[12] = 0xff;
  a[13] = target[13];
  a[14] = target[14];
  a[15] = target[15];
  return a;
}

Mac ip6_multicast_mac(const Ip6& group) { return Mac{0x33, 0x33, group[12], group[13], group[14], group[15]}; }

uint16_t ip6_l4_checksum(const uint8_t* ip6, const uint8_t* l4, uint32_t l4_len, uint8_t next_header) {
  uint32_t sum = csum_partial(ip6 + kIp6Src, 32);
  sum += l4_len >> 16;
  sum += l4_len & 0xFFFF;
  sum += next_header;
  return csum(l4, l4_len, sum);
}

uint16_t build_neighbor_solicit(uint8_t* buf, const Mac& src_mac, const Ip6& src, const Ip6& target) {
  std::memset(buf, 0, kNdFrameLen);
  const Ip6 group = ip6_solicited_node(target);
  put_mac(buf, ip6_multicast_mac(group));
  put_mac(buf + 6, src_mac);
  store_be16(buf + 12, kEtherIpv6);
  uint8_t* ip = buf + kEthHdr;
  ip[0] = 0x60;
  store_be16(ip + kIp6PayloadLen, kNdMsgLen + 8);
  ip[kIp6NextHeader] = kProtoIcmp6;
  ip[kIp6HopLimit] = kNdHopLimit;
  std::memcpy(ip + kIp6Src, src.data(), 16);
  std::memcpy(ip + kIp6Dst, group.data(), 16);
  uint8_t* ns = ip + kIp6Hdr;
  ns[0] = kNdNeighborSolicit;
  std::memcpy(ns + 8, target.data(), 16);
  ns[24] = kNdOptSourceLinkAddr;
  ns[25] = 1;  // in units of 8 bytes
  put_mac(ns + 26, src_mac);
  store_be16(ns + 2, ip6_l4_checksum(ip, ns, kNdMsgLen + 8, kProtoIcmp6));
  return kNdFrameLen;
}

uint16_t build_icmp_probe(uint8_t* buf, const Mac& src_mac, const Mac& dst_mac, uint32_t src_ip, uint32_t dst_ip,
                          uint16_t id, uint16_t seq, uint8_t uplink, TimeNs sent) {
  put_mac(buf, dst_mac);
  put_mac(buf + 6, src_mac);
  store_be16(buf + 12, kEtherIpv4);
  uint8_t* ip = buf + kEthHdr;
  ip[0] = 0x45;
  ip[1] = 0xB8;  // DSCP EF: probes see what voice sees in carrier queues
  store_be16(ip + 2, 20 + 8 + kProbePayload);
  store_be16(ip + 4, seq);
  store_be16(ip + 6, 0x4000);  // DF
  ip[8] = 64;
  ip[9] = kProtoIcmp;
  store_be16(ip + 10, 0);
  store_be32(ip + 12, src_ip);
  store_be32(ip + 16, dst_ip);
  store_be16(ip + 10, csum(ip, 20));
  uint8_t* icmp = ip + 20;
  icmp[0] = kIcmpEchoRequest;
  icmp[1] = 0;
  store_be16(icmp + 2, 0);
  store_be16(icmp + 4, id);
  store_be16(icmp + 6, seq);
  uint8_t* pl = icmp + 8;
  store_be32(pl, kProbeMagic);
  store_be32(pl + 4, uplink);
  store_be32(pl + 8, uint32_t(sent >> 32));
  store_be32(pl + 12, uint32_t(sent));
  store_be16(icmp + 2, csum(icmp, 8 + kProbePayload));
  return kProbeFrameLen;
}

}  // namespace tg::fastpath
