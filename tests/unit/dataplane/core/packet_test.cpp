#include "dataplane/core/packet.hpp"

#include <CppUTest/TestHarness.h>

#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

using namespace tg;

namespace {

// Builds frames byte by byte, the way they appear on the wire. Every test
// copies the finished frame into a buffer of exactly its size, so ASan flags
// any read past the end.
struct Frame {
  std::vector<uint8_t> b;
  Frame& u8(uint8_t v) { b.push_back(v); return *this; }
  Frame& u16(uint16_t v) { u8(uint8_t(v >> 8)); return u8(uint8_t(v)); }
  Frame& u32(uint32_t v) { u16(uint16_t(v >> 16)); return u16(uint16_t(v)); }
  Frame& bytes(std::initializer_list<uint8_t> l) { b.insert(b.end(), l); return *this; }
  Frame& text(const std::string& s) { b.insert(b.end(), s.begin(), s.end()); return *this; }
  Frame& zeros(size_t n) { b.insert(b.end(), n, 0); return *this; }
  size_t size() const { return b.size(); }
  void put16(size_t at, uint16_t v) { b[at] = uint8_t(v >> 8); b[at + 1] = uint8_t(v); }

  Frame& eth(uint16_t ethertype) {
    bytes({0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2});
    return u16(ethertype);
  }
  Frame& vlan(uint16_t tci, uint16_t inner) { return u16(tci).u16(inner); }
  // IPv4 header, no options; total length filled in by finish_ipv4.
  Frame& ipv4(uint8_t proto, uint32_t src = 0xC6336401, uint32_t dst = 0xCB007105, uint16_t frag = 0) {
    ip_at = size();
    u8(0x45).u8(0xB8).u16(0).u16(0x1234).u16(frag).u8(64).u8(proto).u16(0);
    return u32(src).u32(dst);
  }
  Frame& ipv6(uint8_t next) {
    ip_at = size();
    u32(0x6B800000).u16(0).u8(next).u8(63);
    bytes({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
    return bytes({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2});
  }
  Frame& udp(uint16_t sport, uint16_t dport) {
    udp_at = size();
    return u16(sport).u16(dport).u16(0).u16(0);
  }
  Frame& tcp(uint16_t sport, uint16_t dport, uint8_t doff_words = 5) {
    u16(sport).u16(dport).u32(1000).u32(0).u8(uint8_t(doff_words << 4)).u8(0x18).u16(65535).u32(0);
    return zeros(size_t(doff_words - 5) * 4);
  }
  // Fills IP and UDP length fields from the current size.
  Frame& finish() {
    if (udp_at) put16(udp_at + 4, uint16_t(size() - udp_at));
    if (b[ip_at] >> 4 == 4) put16(ip_at + 2, uint16_t(size() - ip_at));
    else put16(ip_at + 4, uint16_t(size() - ip_at - 40));
    return *this;
  }
  size_t ip_at = 0, udp_at = 0;
};

struct Parsed {
  std::vector<uint8_t> copy;
  PacketInfo info;
  PacketStatus status;
  Parsed(const Frame& f, LinkType link = LinkType::ethernet, size_t cut = SIZE_MAX)
      : copy(f.b.begin(), f.b.begin() + long(cut < f.size() ? cut : f.size())) {
    status = parse_packet(Bytes(copy.data(), copy.size()), link, info);
  }
  std::string payload() const { return std::string(as_text(info.payload)); }
};

const std::string kSip = "OPTIONS sip:a@x SIP/2.0\r\n\r\n";

}  // namespace

TEST_GROUP(Packet){};

TEST(Packet, EthernetIpv4Udp) {
  Frame f;
  f.eth(0x0800).ipv4(17).udp(5060, 5070).text(kSip).finish();
  Parsed p(f);
  STRCMP_EQUAL("ok", packet_status_name(p.status));
  LONGS_EQUAL(4, p.info.ip_version);
  LONGS_EQUAL(17, p.info.ip_proto);
  LONGS_EQUAL(64, p.info.ttl);
  LONGS_EQUAL(46, p.info.dscp);  // EF
  STRCMP_EQUAL("198.51.100.1:5060", p.info.src().str().c_str());
  STRCMP_EQUAL("203.0.113.5:5070", p.info.dst().str().c_str());
  LONGS_EQUAL(14, p.info.l3_offset);
  LONGS_EQUAL(34, p.info.l4_offset);
  LONGS_EQUAL(42, p.info.payload_offset);
  STRCMP_EQUAL(kSip.c_str(), p.payload().c_str());
  CHECK_FALSE(p.info.fragment);
  CHECK_FALSE(packet_status_malformed(p.status));
}

TEST(Packet, EthernetPaddingIsNotPayload) {
  Frame f;
  f.eth(0x0800).ipv4(17).udp(1, 2).text("ab").finish().zeros(16);  // 60-byte minimum frame
  Parsed p(f);
  LONGS_EQUAL(int(PacketStatus::ok), int(p.status));
  STRCMP_EQUAL("ab", p.payload().c_str());
}

TEST(Packet, SingleVlanTag) {
  Frame f;
  f.eth(0x8100).vlan(0x2064, 0x0800).ipv4(17).udp(4000, 5004).text("rtp").finish();
  Parsed p(f);
  LONGS_EQUAL(int(PacketStatus::ok), int(p.status));
  LONGS_EQUAL(1, p.info.vlan_count);
  LONGS_EQUAL(100, p.info.vlan_ids[0]);  // PCP bits masked off
  LONGS_EQUAL(0x0800, p.info.ethertype);
  LONGS_EQUAL(18, p.info.l3_offset);
  STRCMP_EQUAL("rtp", p.payload().c_str());
}

TEST(Packet, QinQBothTpids) {
  for (uint16_t outer : {uint16_t(0x88A8), uint16_t(0x9100), uint16_t(0x8100)}) {
    Frame f;
    f.eth(outer).vlan(10, 0x8100).vlan(20, 0x86DD).ipv6(17).udp(5060, 5060).text(kSip).finish();
    Parsed p(f);
    LONGS_EQUAL(int(PacketStatus::ok), int(p.status));
    LONGS_EQUAL(2, p.info.vlan_count);
    LONGS_EQUAL(10, p.info.vlan_ids[0]);
    LONGS_EQUAL(20, p.info.vlan_ids[1]);
    LONGS_EQUAL(22, p.info.l3_offset);
  }
}

TEST(Packet, ThreeVlanTagsAreTooDeep) {
  Frame f;
  f.eth(0x88A8).vlan(1, 0x8100).vlan(2, 0x8100).vlan(3, 0x0800).ipv4(17).udp(1, 2).finish();
  Parsed p(f);
  LONGS_EQUAL(int(PacketStatus::vlan_too_deep), int(p.status));
  CHECK_TRUE(packet_status_malformed(p.status));
}

TEST(Packet, TruncatedVlanTag) {
  Frame f;
  f.eth(0x8100).u16(5);  // TCI but no inner EtherType
  Parsed p(f);
  LONGS_EQUAL(int(PacketStatus::vlan_truncated), int(p.status));
}

TEST(Packet, NonIpIsNotIp) {
  Frame arp;
  arp.eth(0x0806).zeros(28);
  LONGS_EQUAL(int(PacketStatus::not_ip), int(Parsed(arp).status));
  Frame llc;  // 802.3 length field instead of EtherType
  llc.eth(0x0026).zeros(46);
  LONGS_EQUAL(int(PacketStatus::not_ip), int(Parsed(llc).status));
  CHECK_FALSE(packet_status_malformed(PacketStatus::not_ip));
}

TEST(Packet, EveryTruncationOfAValidFrameIsCounted) {
  Frame f;
  f.eth(0x8100).vlan(7, 0x0800).ipv4(17).udp(5060, 5060).text(kSip).finish();
  // Every prefix shorter than the full datagram fails with a malformed status
  // (never ok, never a crash) and the status names the layer that broke.
  for (size_t cut = 0; cut < f.size(); ++cut) {
    Parsed p(f, LinkType::ethernet, cut);
    CHECK_TRUE(packet_status_malformed(p.status));
    if (cut < 14) LONGS_EQUAL(int(PacketStatus::eth_truncated), int(p.status));
    else if (cut < 18) LONGS_EQUAL(int(PacketStatus::vlan_truncated), int(p.status));
    else if (cut < 38) LONGS_EQUAL(int(PacketStatus::ipv4_truncated), int(p.status));
    else LONGS_EQUAL(int(PacketStatus::ipv4_bad_length), int(p.status));
  }
}

TEST(Packet, Ipv4HeaderErrors) {
  Frame f;
  f.eth(0x0800).ipv4(17).udp(1, 2).text("x").finish();
  Frame v = f;
  v.b[14] = 0x65;  // version 6 in an IPv4 EtherType
  LONGS_EQUAL(int(PacketStatus::ipv4_bad_version), int(Parsed(v).status));
  Frame ihl = f;
  ihl.b[14] = 0x44;
  LONGS_EQUAL(int(PacketStatus::ipv4_bad_ihl), int(Parsed(ihl).status));
  Frame big_ihl = f;
  big_ihl.b[14] = 0x4F;  // 60-byte header in a shorter packet
  LONGS_EQUAL(int(PacketStatus::ipv4_truncated), int(Parsed(big_ihl).status));
  Frame short_total = f;
  short_total.put16(16, 19);  // total length below the header length
  LONGS_EQUAL(int(PacketStatus::ipv4_bad_length), int(Parsed(short_total).status));
}

TEST(Packet, Ipv4ZeroTotalLengthFromSegmentationOffload) {
  Frame f;
  f.eth(0x0800).ipv4(6).tcp(5060, 40000).text(kSip).finish();
  f.put16(16, 0);  // TSO: the NIC fills the length in later
  Parsed p(f);
  LONGS_EQUAL(int(PacketStatus::ok), int(p.status));
  STRCMP_EQUAL(kSip.c_str(), p.payload().c_str());
}

TEST(Packet, Ipv4OptionsAreSkipped) {
  Frame f;
  f.eth(0x0800).ipv4(17);
  f.b[14] = 0x46;
  f.bytes({0x94, 0x04, 0, 0}).udp(1, 2).text("opt").finish();  // router alert option
  Parsed p(f);
  LONGS_EQUAL(int(PacketStatus::ok), int(p.status));
  LONGS_EQUAL(38, p.info.l4_offset);
  STRCMP_EQUAL("opt", p.payload().c_str());
}

TEST(Packet, Ipv4FragmentsAreCountedNotParsed) {
  // First fragment (MF set, offset 0) and a later one (offset != 0).
  for (uint16_t frag : {uint16_t(0x2000), uint16_t(0x00B9), uint16_t(0x20B9)}) {
    Frame f;
    f.eth(0x0800).ipv4(17, 0xC6336401, 0xCB007105, frag).udp(5060, 5060).text(kSip).finish();
    Parsed p(f);
    LONGS_EQUAL(int(PacketStatus::ip_fragment), int(p.status));
    CHECK_TRUE(p.info.fragment);
    LONGS_EQUAL(17, p.info.ip_proto);
    STRCMP_EQUAL("198.51.100.1", p.info.src_ip.str().c_str());  // still known for counters
    LONGS_EQUAL(0, p.info.payload.size());
    CHECK_FALSE(packet_status_malformed(p.status));
  }
  // DF alone is not a fragment.
  Frame df;
  df.eth(0x0800).ipv4(17, 0xC6336401, 0xCB007105, 0x4000).udp(1, 2).finish();
  LONGS_EQUAL(int(PacketStatus::ok), int(Parsed(df).status));
}

TEST(Packet, OtherIpProtocols) {
  Frame icmp;
  icmp.eth(0x0800).ipv4(1).zeros(8).finish();
  Parsed p(icmp);
  LONGS_EQUAL(int(PacketStatus::not_udp_tcp), int(p.status));
  LONGS_EQUAL(1, p.info.ip_proto);
}

TEST(Packet, UdpErrors) {
  Frame f;
  f.eth(0x0800).ipv4(17).udp(1, 2).text("data").finish();
  Frame too_long = f;
  too_long.put16(38, 13);  // UDP length beyond the IP payload
  LONGS_EQUAL(int(PacketStatus::udp_bad_length), int(Parsed(too_long).status));
  Frame too_short = f;
  too_short.put16(38, 7);
  LONGS_EQUAL(int(PacketStatus::udp_bad_length), int(Parsed(too_short).status));
  Frame hdr;
  hdr.eth(0x0800).ipv4(17).u32(0x00010002).finish();  // 4 of 8 UDP header bytes
  LONGS_EQUAL(int(PacketStatus::udp_truncated), int(Parsed(hdr).status));
  // UDP length shorter than the IP payload: the UDP length wins.
  Frame shorter = f;
  shorter.put16(38, 10);
  Parsed p(shorter);
  LONGS_EQUAL(int(PacketStatus::ok), int(p.status));
  STRCMP_EQUAL("da", p.payload().c_str());
}

TEST(Packet, TcpSegment) {
  Frame f;
  f.eth(0x0800).ipv4(6).tcp(5060, 40000, 8).text(kSip).finish();  // 12 bytes of options
  Parsed p(f);
  LONGS_EQUAL(int(PacketStatus::ok), int(p.status));
  LONGS_EQUAL(6, p.info.ip_proto);
  LONGS_EQUAL(1000u, p.info.tcp_seq);
  LONGS_EQUAL(0x18, p.info.tcp_flags);
  LONGS_EQUAL(5060, p.info.src_port);
  LONGS_EQUAL(34 + 32, p.info.payload_offset);
  STRCMP_EQUAL(kSip.c_str(), p.payload().c_str());
}

TEST(Packet, TcpErrors) {
  Frame f;
  f.eth(0x0800).ipv4(6).tcp(1, 2).finish();
  Frame bad = f;
  bad.b[34 + 12] = 0x40;  // data offset 4 words
  LONGS_EQUAL(int(PacketStatus::tcp_bad_offset), int(Parsed(bad).status));
  Frame beyond = f;
  beyond.b[34 + 12] = 0xF0;  // 60-byte header in a 20-byte segment
  LONGS_EQUAL(int(PacketStatus::tcp_truncated), int(Parsed(beyond).status));
  Frame cut;
  cut.eth(0x0800).ipv4(6).zeros(19).finish();
  LONGS_EQUAL(int(PacketStatus::tcp_truncated), int(Parsed(cut).status));
}

TEST(Packet, Ipv6Udp) {
  Frame f;
  f.eth(0x86DD).ipv6(17).udp(5060, 5062).text(kSip).finish();
  Parsed p(f);
  LONGS_EQUAL(int(PacketStatus::ok), int(p.status));
  LONGS_EQUAL(6, p.info.ip_version);
  LONGS_EQUAL(63, p.info.ttl);
  LONGS_EQUAL(46, p.info.dscp);
  STRCMP_EQUAL("[2001:db8::1]:5060", p.info.src().str().c_str());
  STRCMP_EQUAL("[2001:db8::2]:5062", p.info.dst().str().c_str());
  LONGS_EQUAL(54, p.info.l4_offset);
  STRCMP_EQUAL(kSip.c_str(), p.payload().c_str());
}

TEST(Packet, Ipv6ExtensionHeaderChain) {
  Frame f;
  f.eth(0x86DD).ipv6(0);
  f.u8(60).u8(0).zeros(6);                                       // hop-by-hop, 8 bytes
  f.u8(43).u8(1).zeros(14);                                      // destination options, 16 bytes
  f.u8(51).u8(2).u8(0).u8(1).u32(0).zeros(16);                   // routing, 24 bytes
  f.u8(44).u8(4).u16(0).u32(1).u32(2).u32(3).zeros(8);           // AH, (4+2)*4 = 24 bytes
  f.u8(17).u8(0).u16(0).u32(0x77);                               // atomic fragment
  f.udp(5060, 5060).text(kSip).finish();
  Parsed p(f);
  STRCMP_EQUAL("ok", packet_status_name(p.status));
  LONGS_EQUAL(17, p.info.ip_proto);
  LONGS_EQUAL(54 + 8 + 16 + 24 + 24 + 8, p.info.l4_offset);
  CHECK_FALSE(p.info.fragment);
  STRCMP_EQUAL(kSip.c_str(), p.payload().c_str());
}

TEST(Packet, Ipv6Fragments) {
  for (uint16_t frag : {uint16_t(0x0001), uint16_t(0x0100), uint16_t(0x0101)}) {
    Frame f;
    f.eth(0x86DD).ipv6(44).u8(17).u8(0).u16(frag).u32(9).udp(1, 2).text("x").finish();
    Parsed p(f);
    LONGS_EQUAL(int(PacketStatus::ip_fragment), int(p.status));
    CHECK_TRUE(p.info.fragment);
    LONGS_EQUAL(17, p.info.ip_proto);
  }
}

TEST(Packet, Ipv6Errors) {
  Frame f;
  f.eth(0x86DD).ipv6(17).udp(1, 2).text("x").finish();
  Frame ver = f;
  ver.b[14] = 0x4B;
  LONGS_EQUAL(int(PacketStatus::ipv6_bad_version), int(Parsed(ver).status));
  Frame len = f;
  len.put16(18, 10);  // payload length beyond frame
  LONGS_EQUAL(int(PacketStatus::ipv6_bad_length), int(Parsed(len).status));
  for (size_t cut = 14; cut < 54; ++cut)
    LONGS_EQUAL(int(PacketStatus::ipv6_truncated), int(Parsed(f, LinkType::ethernet, cut).status));

  Frame ext;  // hop-by-hop claiming 16 bytes with only 8 in the payload
  ext.eth(0x86DD).ipv6(0).u8(17).u8(1).zeros(6).finish();
  LONGS_EQUAL(int(PacketStatus::ipv6_bad_ext_header), int(Parsed(ext).status));
  Frame ext_cut;  // extension header shorter than its minimum 8 bytes
  ext_cut.eth(0x86DD).ipv6(60).u8(17).u8(0).finish();
  LONGS_EQUAL(int(PacketStatus::ipv6_bad_ext_header), int(Parsed(ext_cut).status));

  Frame loop;  // endless chain of destination options
  loop.eth(0x86DD).ipv6(60);
  for (int i = 0; i < 40; ++i) loop.u8(60).u8(0).zeros(6);
  loop.finish();
  LONGS_EQUAL(int(PacketStatus::ipv6_bad_ext_header), int(Parsed(loop).status));

  Frame esp;
  esp.eth(0x86DD).ipv6(50).zeros(16).finish();
  LONGS_EQUAL(int(PacketStatus::not_udp_tcp), int(Parsed(esp).status));
  Frame none;
  none.eth(0x86DD).ipv6(59).finish();
  LONGS_EQUAL(int(PacketStatus::not_udp_tcp), int(Parsed(none).status));
}

TEST(Packet, RawIpLinkType) {
  Frame v4;
  v4.ipv4(17).udp(1, 2).text("r4").finish();
  Parsed p4(v4, LinkType::raw_ip);
  LONGS_EQUAL(int(PacketStatus::ok), int(p4.status));
  LONGS_EQUAL(0, p4.info.l3_offset);
  STRCMP_EQUAL("r4", p4.payload().c_str());
  Frame v6;
  v6.ipv6(17).udp(1, 2).text("r6").finish();
  Parsed p6(v6, LinkType::raw_ip);
  LONGS_EQUAL(int(PacketStatus::ok), int(p6.status));
  STRCMP_EQUAL("r6", p6.payload().c_str());
  Frame junk;
  junk.u8(0x10).zeros(30);
  LONGS_EQUAL(int(PacketStatus::not_ip), int(Parsed(junk, LinkType::raw_ip).status));
  LONGS_EQUAL(int(PacketStatus::ipv4_truncated), int(Parsed(Frame{}, LinkType::raw_ip).status));
}

TEST(Packet, NullLoopbackEitherByteOrder) {
  Frame le;
  le.bytes({2, 0, 0, 0}).ipv4(17).udp(1, 2).text("le").finish();
  Parsed a(le, LinkType::null_loopback);
  LONGS_EQUAL(int(PacketStatus::ok), int(a.status));
  STRCMP_EQUAL("le", a.payload().c_str());
  Frame be;
  be.bytes({0, 0, 0, 30}).ipv6(17).udp(1, 2).text("be").finish();  // macOS AF_INET6
  Parsed b(be, LinkType::null_loopback);
  LONGS_EQUAL(int(PacketStatus::ok), int(b.status));
  STRCMP_EQUAL("be", b.payload().c_str());
  Frame other;
  other.bytes({7, 0, 0, 0}).zeros(20);
  LONGS_EQUAL(int(PacketStatus::not_ip), int(Parsed(other, LinkType::null_loopback).status));
  Frame cut;
  cut.bytes({2, 0, 0});
  LONGS_EQUAL(int(PacketStatus::eth_truncated), int(Parsed(cut, LinkType::null_loopback).status));
}

TEST(Packet, LinuxCookedV1AndV2) {
  Frame sll;
  sll.u16(0).u16(1).u16(6).bytes({2, 0, 0, 0, 0, 1, 0, 0}).u16(0x0800);
  sll.ipv4(17).udp(1, 2).text("sll").finish();
  Parsed a(sll, LinkType::linux_sll);
  LONGS_EQUAL(int(PacketStatus::ok), int(a.status));
  LONGS_EQUAL(16, a.info.l3_offset);
  STRCMP_EQUAL("sll", a.payload().c_str());

  Frame sll2;
  sll2.u16(0x8100).u16(0).u32(3).u16(1).u8(0).u8(6).bytes({2, 0, 0, 0, 0, 1, 0, 0});
  sll2.vlan(42, 0x86DD).ipv6(17).udp(1, 2).text("sll2").finish();
  Parsed b(sll2, LinkType::linux_sll2);
  LONGS_EQUAL(int(PacketStatus::ok), int(b.status));
  LONGS_EQUAL(1, b.info.vlan_count);
  LONGS_EQUAL(42, b.info.vlan_ids[0]);
  STRCMP_EQUAL("sll2", b.payload().c_str());

  for (size_t cut = 0; cut < 16; ++cut)
    LONGS_EQUAL(int(PacketStatus::eth_truncated), int(Parsed(sll, LinkType::linux_sll, cut).status));
  for (size_t cut = 0; cut < 20; ++cut)
    LONGS_EQUAL(int(PacketStatus::eth_truncated), int(Parsed(sll2, LinkType::linux_sll2, cut).status));
}

TEST(Packet, UnknownLinkType) {
  Frame f;
  f.eth(0x0800).ipv4(17).udp(1, 2).finish();
  LONGS_EQUAL(int(PacketStatus::unknown_linktype), int(Parsed(f, LinkType(147)).status));
}

TEST(Packet, StatusNamesComeFromTheList) {
  STRCMP_EQUAL("ok", packet_status_name(PacketStatus::ok));
  STRCMP_EQUAL("ipv6_bad_ext_header", packet_status_name(PacketStatus::ipv6_bad_ext_header));
  STRCMP_EQUAL("IP fragment (not reassembled)", packet_status_text(PacketStatus::ip_fragment));
  STRCMP_EQUAL("invalid", packet_status_name(PacketStatus::count_));
  for (size_t i = 0; i < kPacketStatusCount; ++i) CHECK_TRUE(std::strlen(packet_status_name(PacketStatus(i))) > 0);
}

TEST(Packet, ResultIsResetBetweenCalls) {
  Frame v;
  v.eth(0x8100).vlan(9, 0x0800).ipv4(17).udp(1, 2).text("a").finish();
  Frame arp;
  arp.eth(0x0806).zeros(28);
  PacketInfo info;
  std::vector<uint8_t> a(v.b), b(arp.b);
  parse_packet(Bytes(a.data(), a.size()), LinkType::ethernet, info);
  LONGS_EQUAL(1, info.vlan_count);
  parse_packet(Bytes(b.data(), b.size()), LinkType::ethernet, info);
  LONGS_EQUAL(0, info.vlan_count);
  LONGS_EQUAL(0, info.payload.size());
  LONGS_EQUAL(0, info.src_port);
}
