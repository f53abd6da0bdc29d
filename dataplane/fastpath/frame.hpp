// Byte-level helpers for building and rewriting Ethernet/ARP/IPv4/ICMP and
// IPv6/ICMPv6/Neighbor Discovery frames in place. No DPDK: the forwarder and its tests work on plain bytes.
#pragma once
#include <cstdint>
#include <cstring>

#include "common/bytes.hpp"
#include "dataplane/fastpath/neighbor.hpp"

namespace tg::fastpath {

constexpr uint16_t kEthHdr = 14;
constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEtherArp = 0x0806;
constexpr uint16_t kEtherIpv6 = 0x86DD;
constexpr uint16_t kEtherVlan = 0x8100;
constexpr uint16_t kEtherQinQ = 0x88A8;
constexpr uint16_t kArpLen = 28;
constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;
constexpr uint8_t kIcmpEchoReply = 0;
constexpr uint8_t kIcmpEchoRequest = 8;

// IPv6 (RFC 8200), ICMPv6 (RFC 4443), Neighbor Discovery (RFC 4861).
constexpr uint16_t kIp6Hdr = 40;
constexpr int kIp6PayloadLen = 4;
constexpr int kIp6NextHeader = 6;
constexpr int kIp6HopLimit = 7;
constexpr int kIp6Src = 8;
constexpr int kIp6Dst = 24;
constexpr uint8_t kProtoHopByHop = 0;
constexpr uint8_t kProtoRouting = 43;
constexpr uint8_t kProtoFragment = 44;
constexpr uint8_t kProtoDestOpts = 60;
constexpr uint8_t kProtoIcmp6 = 58;
constexpr uint8_t kIcmp6EchoRequest = 128;
constexpr uint8_t kIcmp6EchoReply = 129;
constexpr uint8_t kNdRouterSolicit = 133;
constexpr uint8_t kNdRouterAdvert = 134;
constexpr uint8_t kNdNeighborSolicit = 135;
constexpr uint8_t kNdNeighborAdvert = 136;
constexpr uint8_t kNdRedirect = 137;
constexpr uint8_t kNdOptSourceLinkAddr = 1;
constexpr uint8_t kNdOptTargetLinkAddr = 2;
constexpr uint8_t kNdHopLimit = 255;  // ND packets that crossed a router are forged
constexpr uint16_t kNdMsgLen = 24;    // NS/NA without options
constexpr uint16_t kNdFrameLen = kEthHdr + kIp6Hdr + kNdMsgLen + 8;  // with one link-layer option
constexpr uint8_t kNaRouter = 0x80, kNaSolicited = 0x40, kNaOverride = 0x20;

inline void store_be16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}
inline void store_be32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 24);
  p[1] = uint8_t(v >> 16);
  p[2] = uint8_t(v >> 8);
  p[3] = uint8_t(v);
}
inline void put_mac(uint8_t* p, const Mac& m) { std::memcpy(p, m.data(), 6); }
inline Mac get_mac(const uint8_t* p) {
  Mac m;
  std::memcpy(m.data(), p, 6);
  return m;
}

inline Ip6 load_ip6(const uint8_t* p) {
  Ip6 a;
  std::memcpy(a.data(), p, 16);
  return a;
}
inline bool ip6_equal(const uint8_t* p, const Ip6& a) { return std::memcmp(p, a.data(), 16) == 0; }
inline bool ip6_is_multicast(const uint8_t* p) { return p[0] == 0xff; }
inline bool ip6_is_link_local(const uint8_t* p) { return p[0] == 0xfe && (p[1] & 0xc0) == 0x80; }
inline bool ip6_is_unspecified(const uint8_t* p) {
  uint64_t w[2];
  std::memcpy(w, p, 16);
  return (w[0] | w[1]) == 0;
}
// Whether the first `len` bits of p and prefix are equal.
bool ip6_in_prefix(const uint8_t* p, const Ip6& prefix, uint8_t len);
// fe80::/64 with the modified EUI-64 interface identifier of mac (RFC 4291 A).
Ip6 ip6_link_local_of(const Mac& mac);
// ff02::1:ffXX:XXXX for a target (RFC 4291 2.7.1) and its MAC 33:33:ff:XX:XX:XX.
Ip6 ip6_solicited_node(const Ip6& target);
Mac ip6_multicast_mac(const Ip6& group);
constexpr Ip6 kIp6AllNodes{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

// ICMPv6/UDP/TCP checksum over an IPv6 pseudo header and l4_len bytes at l4.
uint16_t ip6_l4_checksum(const uint8_t* ip6, const uint8_t* l4, uint32_t l4_len, uint8_t next_header);

inline uint32_t prefix_mask(uint8_t len) { return len == 0 ? 0 : len >= 32 ? ~0u : ~0u << (32 - len); }

// Ethernet + ARP request "who has target_ip, tell src_ip". Returns the
// length (42); buf must hold 60 bytes (padded to the Ethernet minimum).
uint16_t build_arp_request(uint8_t* buf, const Mac& src_mac, uint32_t src_ip, uint32_t target_ip);

// Ethernet + IPv6 + Neighbor Solicitation for target, from src (with the
// source link-layer address option), to the target's solicited-node group.
// Returns kNdFrameLen; buf must hold that many bytes.
uint16_t build_neighbor_solicit(uint8_t* buf, const Mac& src_mac, const Ip6& src, const Ip6& target);

// Probe payload after the ICMP echo header: magic, uplink, send time.
constexpr uint32_t kProbeMagic = 0x54475052;  // "TGPR"
constexpr uint16_t kProbePayload = 16;
constexpr uint16_t kProbeFrameLen = kEthHdr + 20 + 8 + kProbePayload;

// Ethernet + IPv4 + ICMP echo request of kProbeFrameLen bytes.
uint16_t build_icmp_probe(uint8_t* buf, const Mac& src_mac, const Mac& dst_mac, uint32_t src_ip, uint32_t dst_ip,
                          uint16_t id, uint16_t seq, uint8_t uplink, TimeNs sent);

}  // namespace tg::fastpath
