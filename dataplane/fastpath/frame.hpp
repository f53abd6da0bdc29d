// Byte-level helpers for building and rewriting Ethernet/ARP/IPv4/ICMP
// frames in place. No DPDK: the forwarder and its tests work on plain bytes.
#pragma once
#include <cstdint>
#include <cstring>

#include "dataplane/core/bytes.hpp"
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

inline uint32_t prefix_mask(uint8_t len) { return len == 0 ? 0 : len >= 32 ? ~0u : ~0u << (32 - len); }

// Ethernet + ARP request "who has target_ip, tell src_ip". Returns the
// length (42); buf must hold 60 bytes (padded to the Ethernet minimum).
uint16_t build_arp_request(uint8_t* buf, const Mac& src_mac, uint32_t src_ip, uint32_t target_ip);

// Probe payload after the ICMP echo header: magic, uplink, send time.
constexpr uint32_t kProbeMagic = 0x54475052;  // "TGPR"
constexpr uint16_t kProbePayload = 16;
constexpr uint16_t kProbeFrameLen = kEthHdr + 20 + 8 + kProbePayload;

// Ethernet + IPv4 + ICMP echo request of kProbeFrameLen bytes.
uint16_t build_icmp_probe(uint8_t* buf, const Mac& src_mac, const Mac& dst_mac, uint32_t src_ip, uint32_t dst_ip,
                          uint16_t id, uint16_t seq, uint8_t uplink, TimeNs sent);

}  // namespace tg::fastpath
