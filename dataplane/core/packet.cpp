// L2-L4 parser. One forward pass over the frame; every read is checked against
// the bytes that remain, nothing allocates, nothing throws.
#include "dataplane/core/packet.hpp"

#include <cstring>

namespace tg {

namespace {

constexpr const char* kStatusNames[] = {
#define TG_X(name, text) #name,
    TG_PACKET_STATUS(TG_X)
#undef TG_X
};
constexpr const char* kStatusTexts[] = {
#define TG_X(name, text) text,
    TG_PACKET_STATUS(TG_X)
#undef TG_X
};

constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEtherIpv6 = 0x86DD;
constexpr uint16_t kEtherVlan = 0x8100;    // 802.1Q
constexpr uint16_t kEtherQinQ = 0x88A8;    // 802.1ad S-tag
constexpr uint16_t kEtherQinQOld = 0x9100; // pre-standard S-tag, still seen on carrier gear
constexpr int kMaxVlanTags = 2;

// IPv6 extension headers we walk through (RFC 8200 4, IANA registry).
constexpr uint8_t kIp6HopByHop = 0, kIp6Routing = 43, kIp6Fragment = 44, kIp6Esp = 50, kIp6Ah = 51,
                  kIp6NoNext = 59, kIp6DestOpts = 60, kIp6Mobility = 135, kIp6Hip = 139,
                  kIp6Shim6 = 140;
// A packet with more headers than this is built to waste our time.
constexpr int kMaxIp6ExtHeaders = 16;

// Addresses are copied straight into the (already zeroed) result: building
// an IpAddr on the stack and copying it costs a store-forwarding stall per
// address, measurable at these packet rates.
void set_addr(IpAddr& a, uint8_t family, const uint8_t* p) {
  a.family = family;
  std::memcpy(a.bytes.data(), p, family == 4 ? 4 : 16);
}

bool is_vlan_tpid(uint16_t t) { return t == kEtherVlan || t == kEtherQinQ || t == kEtherQinQOld; }

// Parser state: frame and read position. `off` never exceeds frame.size().
struct Cursor {
  Bytes frame;
  size_t off = 0;
  size_t left() const { return frame.size() - off; }
  const uint8_t* at() const { return frame.data() + off; }
};

PacketStatus parse_l4(Cursor c, size_t l4_len, uint8_t proto, PacketInfo& out) {
  out.l4_offset = uint16_t(c.off);
  const uint8_t* p = c.at();
  if (proto == kIpProtoUdp) {
    if (l4_len < 8) return PacketStatus::udp_truncated;
    out.src_port = load_be16(p);
    out.dst_port = load_be16(p + 2);
    size_t udp_len = load_be16(p + 4);
    // The UDP length must cover its header and stay within the IP payload.
    if (udp_len < 8 || udp_len > l4_len) return PacketStatus::udp_bad_length;
    out.payload_offset = uint16_t(c.off + 8);
    out.payload = c.frame.subspan(c.off + 8, udp_len - 8);
    return PacketStatus::ok;
  }
  if (l4_len < 20) return PacketStatus::tcp_truncated;
  out.src_port = load_be16(p);
  out.dst_port = load_be16(p + 2);
  out.tcp_seq = load_be32(p + 4);
  out.tcp_flags = p[13];
  size_t hdr_len = size_t(p[12] >> 4) * 4;
  if (hdr_len < 20) return PacketStatus::tcp_bad_offset;
  if (hdr_len > l4_len) return PacketStatus::tcp_truncated;
  out.payload_offset = uint16_t(c.off + hdr_len);
  out.payload = c.frame.subspan(c.off + hdr_len, l4_len - hdr_len);
  return PacketStatus::ok;
}

PacketStatus parse_ipv4(Cursor c, PacketInfo& out) {
  out.l3_offset = uint16_t(c.off);
  if (c.left() < 20) return PacketStatus::ipv4_truncated;
  const uint8_t* p = c.at();
  if (p[0] >> 4 != 4) return PacketStatus::ipv4_bad_version;
  size_t ihl = size_t(p[0] & 0x0F) * 4;
  if (ihl < 20) return PacketStatus::ipv4_bad_ihl;
  if (ihl > c.left()) return PacketStatus::ipv4_truncated;
  size_t total = load_be16(p + 2);
  // Captured on the sending host with TCP segmentation offload, the length
  // is not filled in yet (0): the frame is the datagram, as Wireshark assumes.
  if (total == 0) total = c.left();
  // Ethernet pads short frames: the total length, not the frame, bounds the
  // datagram. A total beyond the frame means a truncated capture or a lie.
  if (total < ihl || total > c.left()) return PacketStatus::ipv4_bad_length;
  out.ip_version = 4;
  out.dscp = p[1] >> 2;
  out.ttl = p[8];
  out.ip_proto = p[9];
  set_addr(out.src_ip, 4, p + 12);
  set_addr(out.dst_ip, 4, p + 16);
  uint16_t frag = load_be16(p + 6);
  bool more_fragments = frag & 0x2000;
  uint16_t frag_offset = frag & 0x1FFF;
  if (more_fragments || frag_offset != 0) {
    out.fragment = true;
    return PacketStatus::ip_fragment;
  }
  if (out.ip_proto != kIpProtoUdp && out.ip_proto != kIpProtoTcp) return PacketStatus::not_udp_tcp;
  c.off += ihl;
  return parse_l4(c, total - ihl, out.ip_proto, out);
}

PacketStatus parse_ipv6(Cursor c, PacketInfo& out) {
  out.l3_offset = uint16_t(c.off);
  if (c.left() < 40) return PacketStatus::ipv6_truncated;
  const uint8_t* p = c.at();
  if (p[0] >> 4 != 6) return PacketStatus::ipv6_bad_version;
  size_t payload_len = load_be16(p + 4);
  if (payload_len > c.left() - 40) return PacketStatus::ipv6_bad_length;
  out.ip_version = 6;
  out.dscp = uint8_t((load_be16(p) >> 6) & 0x3F);
  out.ttl = p[7];
  set_addr(out.src_ip, 6, p + 8);
  set_addr(out.dst_ip, 6, p + 24);
  uint8_t next = p[6];
  c.off += 40;
  size_t remaining = payload_len;  // bytes of the IPv6 payload not yet consumed
  for (int hops = 0;; ++hops) {
    switch (next) {
      case kIpProtoUdp:
      case kIpProtoTcp:
        out.ip_proto = next;
        return parse_l4(c, remaining, next, out);
      case kIp6HopByHop:
      case kIp6Routing:
      case kIp6DestOpts:
      case kIp6Mobility:
      case kIp6Hip:
      case kIp6Shim6:
      case kIp6Fragment:
      case kIp6Ah: {
        if (hops >= kMaxIp6ExtHeaders || remaining < 8) {
          out.ip_proto = next;
          return PacketStatus::ipv6_bad_ext_header;
        }
        const uint8_t* h = c.at();
        size_t len;
        if (next == kIp6Fragment) {
          len = 8;
          uint16_t frag = load_be16(h + 2);
          // An atomic fragment (offset 0, M=0, RFC 6946) is a whole packet.
          if ((frag & 0xFFF8) != 0 || (frag & 1) != 0) {
            out.ip_proto = h[0];
            out.fragment = true;
            return PacketStatus::ip_fragment;
          }
        } else if (next == kIp6Ah) {
          len = (size_t(h[1]) + 2) * 4;  // RFC 4302: 32-bit words minus 2
        } else {
          len = (size_t(h[1]) + 1) * 8;  // RFC 8200: 8-octet units minus 1
        }
        if (len > remaining) {
          out.ip_proto = next;
          return PacketStatus::ipv6_bad_ext_header;
        }
        next = h[0];
        c.off += len;
        remaining -= len;
        break;
      }
      case kIp6Esp:
      case kIp6NoNext:
      default:
        out.ip_proto = next;
        return PacketStatus::not_udp_tcp;
    }
  }
}

PacketStatus parse_ip(Cursor c, uint16_t ethertype, PacketInfo& out) {
  out.ethertype = ethertype;
  if (ethertype == kEtherIpv4) return parse_ipv4(c, out);
  if (ethertype == kEtherIpv6) return parse_ipv6(c, out);
  return PacketStatus::not_ip;
}

// From an EtherType field at c.off - 2 on: VLAN tags, then the network layer.
PacketStatus parse_after_ethertype(Cursor c, uint16_t ethertype, PacketInfo& out) {
  while (is_vlan_tpid(ethertype)) {
    if (out.vlan_count >= kMaxVlanTags) return PacketStatus::vlan_too_deep;
    if (c.left() < 4) return PacketStatus::vlan_truncated;
    out.vlan_ids[out.vlan_count++] = load_be16(c.at()) & 0x0FFF;
    ethertype = load_be16(c.at() + 2);
    c.off += 4;
  }
  return parse_ip(c, ethertype, out);
}

// Raw IP: the version nibble says which.
PacketStatus parse_raw(Cursor c, PacketInfo& out) {
  if (c.left() < 1) return PacketStatus::ipv4_truncated;
  switch (c.at()[0] >> 4) {
    case 4: return parse_ip(c, kEtherIpv4, out);
    case 6: return parse_ip(c, kEtherIpv6, out);
    default: return PacketStatus::not_ip;
  }
}

// BSD loopback: address family in the capturing host's byte order. The
// values differ per OS for IPv6 (Linux 10, BSDs 24/28/30); accept either order.
PacketStatus parse_null(Cursor c, PacketInfo& out) {
  if (c.left() < 4) return PacketStatus::eth_truncated;
  const uint8_t* p = c.at();
  uint32_t le = uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
  uint32_t be = load_be32(p);
  uint32_t family = le < 256 ? le : be;
  c.off += 4;
  if (family == 2) return parse_ip(c, kEtherIpv4, out);
  if (family == 10 || family == 24 || family == 28 || family == 30) return parse_ip(c, kEtherIpv6, out);
  return PacketStatus::not_ip;
}

}  // namespace

const char* packet_status_name(PacketStatus s) {
  return size_t(s) < kPacketStatusCount ? kStatusNames[size_t(s)] : "invalid";
}
const char* packet_status_text(PacketStatus s) {
  return size_t(s) < kPacketStatusCount ? kStatusTexts[size_t(s)] : "invalid";
}

PacketStatus parse_packet(Bytes frame, LinkType link, PacketInfo& out) {
  out = PacketInfo{};
  // Offsets are 16-bit: a larger "frame" (TSO/GRO capture) is inspected up
  // to 64 KiB, which still holds any SIP message or RTP packet.
  if (frame.size() > UINT16_MAX) frame = frame.first(UINT16_MAX);
  Cursor c{frame, 0};
  switch (link) {
    case LinkType::ethernet:
      if (c.left() < 14) return PacketStatus::eth_truncated;
      c.off = 14;
      return parse_after_ethertype(c, load_be16(frame.data() + 12), out);
    case LinkType::linux_sll:
      // packet type, ARPHRD, address length, 8 address bytes, protocol.
      if (c.left() < 16) return PacketStatus::eth_truncated;
      c.off = 16;
      return parse_after_ethertype(c, load_be16(frame.data() + 14), out);
    case LinkType::linux_sll2:
      // protocol, reserved, ifindex, ARPHRD, packet type, address length, 8 address bytes.
      if (c.left() < 20) return PacketStatus::eth_truncated;
      c.off = 20;
      return parse_after_ethertype(c, load_be16(frame.data()), out);
    case LinkType::raw_ip:
      return parse_raw(c, out);
    case LinkType::null_loopback:
      return parse_null(c, out);
  }
  return PacketStatus::unknown_linktype;
}

}  // namespace tg
