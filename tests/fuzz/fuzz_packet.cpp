// libFuzzer target: the whole inspection path of one frame. The first input
// byte picks the link type; the rest is the frame. Parsed payloads go on to
// the SIP (and SDP) or RTP/RTCP parsers as the inspector would send them.
#include <cstddef>
#include <cstdint>

#include "dataplane/core/packet.hpp"
#include "dataplane/core/rtp.hpp"
#include "dataplane/core/sdp.hpp"
#include "dataplane/core/sip.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace tg;
using tg::fuzz::require;
using tg::fuzz::require_inside;

namespace {

// Order matters: tests/fuzz/make-corpus writes seeds with these indices.
constexpr LinkType kLinkTypes[] = {LinkType::ethernet, LinkType::raw_ip, LinkType::linux_sll,
                                   LinkType::linux_sll2, LinkType::null_loopback};
constexpr size_t kLinkCount = sizeof kLinkTypes / sizeof kLinkTypes[0];

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  LinkType link = data[0] < kLinkCount ? kLinkTypes[data[0]] : LinkType(data[0]);
  Bytes frame(data + 1, size - 1);
  PacketInfo p;
  PacketStatus st = parse_packet(frame, link, p);
  require(size_t(st) < kPacketStatusCount);
  require(p.vlan_count <= 2);
  if (st != PacketStatus::ok) {
    require(p.payload.empty());
    return 0;
  }
  require(p.ip_version == 4 || p.ip_version == 6);
  require(p.ip_proto == kIpProtoUdp || p.ip_proto == kIpProtoTcp);
  require(!p.fragment);
  require(p.l3_offset < p.l4_offset && p.l4_offset < p.payload_offset);
  require(p.payload_offset <= frame.size());
  require_inside(p.payload, frame);
  if (!p.payload.empty()) require(p.payload.data() == frame.data() + p.payload_offset);

  std::string_view text = as_text(p.payload);
  if (looks_like_sip(text)) {
    SipMessage m;
    if (parse_sip(text, m, p.ip_proto == kIpProtoTcp) == SipStatus::ok && !m.body.empty()) {
      SdpSession s;
      (void)parse_sdp(m.body, s);
    }
  } else if (p.ip_proto == kIpProtoUdp) {
    RtpHeader h;
    RtcpPacket r;
    if (looks_like_rtcp(p.payload)) (void)parse_rtcp(p.payload, r);
    else (void)parse_rtp(p.payload, h);
  }
  return 0;
}
