// Zero-allocation L2-L4 parser: Ethernet, 802.1Q/QinQ, IPv4 (fragments are
// counted, not reassembled), IPv6 with extension headers, UDP, TCP.
#pragma once
#include <cstdint>

#include "common/bytes.hpp"
#include "common/frame.hpp"
#include "common/net.hpp"

namespace tg {

// Outcome of parse_packet. Declared once; enum, names and counters come from
// this list (VPP style). Everything after `ok` is a reason a packet is not
// inspected further; the *_truncated / bad_* ones are "malformed".
#define TG_PACKET_STATUS(X)                                      \
  X(ok, "parsed to L4")                                          \
  X(not_ip, "not IPv4/IPv6 (ARP, LLDP, ...)")                    \
  X(not_udp_tcp, "IP protocol other than UDP/TCP")               \
  X(ip_fragment, "IP fragment (not reassembled)")                \
  X(eth_truncated, "link header truncated (Ethernet/SLL/null)")  \
  X(vlan_truncated, "802.1Q tag truncated")                      \
  X(vlan_too_deep, "more than two VLAN tags")                    \
  X(ipv4_truncated, "IPv4 header truncated")                     \
  X(ipv4_bad_version, "IPv4 version field not 4")                \
  X(ipv4_bad_ihl, "IPv4 header length < 20")                     \
  X(ipv4_bad_length, "IPv4 total length beyond frame")           \
  X(ipv6_truncated, "IPv6 header truncated")                     \
  X(ipv6_bad_version, "IPv6 version field not 6")                \
  X(ipv6_bad_length, "IPv6 payload length beyond frame")         \
  X(ipv6_bad_ext_header, "IPv6 extension header truncated")      \
  X(udp_truncated, "UDP header truncated")                       \
  X(udp_bad_length, "UDP length field inconsistent")             \
  X(tcp_truncated, "TCP header truncated")                       \
  X(tcp_bad_offset, "TCP data offset invalid")                   \
  X(unknown_linktype, "capture link type not supported")

enum class PacketStatus : uint8_t {
#define TG_X(name, text) name,
  TG_PACKET_STATUS(TG_X)
#undef TG_X
      count_
};
constexpr size_t kPacketStatusCount = size_t(PacketStatus::count_);
const char* packet_status_name(PacketStatus);
const char* packet_status_text(PacketStatus);
inline bool packet_status_malformed(PacketStatus s) { return s >= PacketStatus::eth_truncated; }

constexpr uint8_t kIpProtoTcp = 6;
constexpr uint8_t kIpProtoUdp = 17;

struct PacketInfo {
  uint16_t vlan_ids[2] = {0, 0};
  uint8_t vlan_count = 0;
  uint16_t ethertype = 0;     // innermost
  uint8_t ip_version = 0;     // 4 or 6
  uint8_t ip_proto = 0;       // after IPv6 extension headers
  uint8_t ttl = 0;            // TTL / hop limit
  uint8_t dscp = 0;
  bool fragment = false;      // any fragment (first or later)
  IpAddr src_ip, dst_ip;
  uint16_t src_port = 0, dst_port = 0;
  uint8_t tcp_flags = 0;
  uint32_t tcp_seq = 0;
  uint16_t l3_offset = 0;     // offsets into the frame
  uint16_t l4_offset = 0;
  uint16_t payload_offset = 0;
  Bytes payload;              // L4 payload (UDP length / IP length bounded)

  Endpoint src() const { return {src_ip, src_port}; }
  Endpoint dst() const { return {dst_ip, dst_port}; }
};

PacketStatus parse_packet(Bytes frame, LinkType link, PacketInfo& out);

}  // namespace tg
