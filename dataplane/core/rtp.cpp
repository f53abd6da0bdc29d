// RTP (RFC 3550 5.1) and compound RTCP (RFC 3550 6.4, RFC 3611 4.7) parsers.
// Every length is checked against the span before a load; nothing allocates.
#include "dataplane/core/rtp.hpp"

namespace tg {

namespace {

constexpr uint8_t kRtcpSr = 200;
constexpr uint8_t kRtcpRr = 201;
constexpr uint8_t kRtcpBye = 203;
constexpr uint8_t kRtcpXr = 207;
constexpr uint8_t kXrVoipMetrics = 7;     // RFC 3611 4.7 block type
constexpr size_t kXrVoipBytes = 36;       // block incl. its 4-byte header
constexpr size_t kReportBlockBytes = 24;  // RFC 3550 6.4.1
constexpr size_t kSrSenderInfoBytes = 20; // NTP(8) RTP ts(4) packets(4) octets(4)

const char* const kRtpStatusNames[] = {
#define TG_X(name, text) #name,
    TG_RTP_STATUS(TG_X)
#undef TG_X
};

void parse_report_block(const uint8_t* p, RtcpReportBlock& b) {
  b.ssrc = load_be32(p);
  b.fraction_lost = p[4];
  // Cumulative lost is a signed 24-bit two's-complement number.
  uint32_t raw = load_be24(p + 5);
  b.cumulative_lost = (raw & 0x800000u) ? int32_t(raw | 0xFF000000u) : int32_t(raw);
  b.highest_seq = load_be32(p + 8);
  b.jitter = load_be32(p + 12);
  b.lsr = load_be32(p + 16);
  b.dlsr = load_be32(p + 20);
}

void parse_xr_voip(const uint8_t* p, RtcpXrVoip& x) {
  x.present = true;
  x.ssrc = load_be32(p + 4);
  x.loss_rate = p[8];
  x.discard_rate = p[9];
  x.burst_density = p[10];
  x.gap_density = p[11];
  x.burst_duration_ms = load_be16(p + 12);
  x.gap_duration_ms = load_be16(p + 14);
  x.round_trip_delay_ms = load_be16(p + 16);
  x.end_system_delay_ms = load_be16(p + 18);
  x.signal_level = int8_t(p[20]);
  x.noise_level = int8_t(p[21]);
  x.rerl = p[22];
  x.gmin = p[23];
  x.r_factor = p[24];
  x.ext_r_factor = p[25];
  x.mos_lq = p[26];
  x.mos_cq = p[27];
  x.rx_config = p[28];
  // p[29] reserved
  x.jb_nominal = load_be16(p + 30);
  x.jb_maximum = load_be16(p + 32);
  x.jb_abs_max = load_be16(p + 34);
}

// Report blocks of an SR/RR body; appends to out (a compound may carry an
// RR continuation after the first SR/RR when more than 31 sources report).
RtpStatus parse_report_blocks(const uint8_t* p, size_t len, uint8_t count, RtcpPacket& out) {
  if (size_t(count) * kReportBlockBytes > len) return RtpStatus::rtcp_bad_block;
  for (uint8_t i = 0; i < count && out.block_count < kRtcpMaxBlocks; ++i)
    parse_report_block(p + size_t(i) * kReportBlockBytes, out.blocks[out.block_count++]);
  return RtpStatus::ok;
}

// XR body after the sender SSRC: a sequence of blocks, each with a length
// word; unknown types are skipped, VoIP Metrics is taken.
RtpStatus parse_xr_blocks(const uint8_t* p, size_t len, RtcpPacket& out) {
  size_t off = 0;
  while (off < len) {
    if (len - off < 4) return RtpStatus::rtcp_bad_block;
    uint8_t type = p[off];
    size_t block = (size_t(load_be16(p + off + 2)) + 1) * 4;
    if (block > len - off) return RtpStatus::rtcp_bad_block;
    if (type == kXrVoipMetrics) {
      if (block < kXrVoipBytes) return RtpStatus::rtcp_bad_block;
      parse_xr_voip(p + off, out.xr_voip);
    }
    off += block;
  }
  return RtpStatus::ok;
}

}  // namespace

const char* rtp_status_name(RtpStatus s) {
  size_t i = size_t(s);
  return i < size_t(RtpStatus::count_) ? kRtpStatusNames[i] : "invalid";
}

RtpStatus parse_rtp(Bytes data, RtpHeader& out) {
  if (data.size() < 12) return RtpStatus::truncated;
  const uint8_t* p = data.data();
  if ((p[0] >> 6) != 2) return RtpStatus::bad_version;
  out.padding = p[0] & 0x20;
  out.extension = p[0] & 0x10;
  out.csrc_count = p[0] & 0x0F;
  out.marker = p[1] & 0x80;
  out.payload_type = p[1] & 0x7F;
  out.seq = load_be16(p + 2);
  out.timestamp = load_be32(p + 4);
  out.ssrc = load_be32(p + 8);

  size_t off = 12 + size_t(out.csrc_count) * 4;
  if (off > data.size()) return RtpStatus::bad_csrc;
  if (out.extension) {
    // RFC 3550 5.3.1: 16-bit profile word, 16-bit length in 32-bit words.
    if (data.size() - off < 4) return RtpStatus::bad_extension;
    size_t ext = size_t(load_be16(p + off + 2)) * 4;
    off += 4;
    if (ext > data.size() - off) return RtpStatus::bad_extension;
    off += ext;
  }
  size_t end = data.size();
  if (out.padding) {
    // The last octet counts the padding including itself: 0 is invalid.
    uint8_t pad = p[end - 1];
    if (pad == 0 || pad > end - off) return RtpStatus::bad_padding;
    end -= pad;
  }
  out.payload = data.subspan(off, end - off);
  return RtpStatus::ok;
}

bool looks_like_rtcp(Bytes data) {
  return data.size() >= 8 && (data[0] >> 6) == 2 && data[1] >= 192 && data[1] <= 223;
}

RtpStatus parse_rtcp(Bytes data, RtcpPacket& out) {
  out = RtcpPacket{};
  const uint8_t* p = data.data();
  size_t len = data.size();
  size_t off = 0;
  bool first = true;
  while (off < len) {
    if (len - off < 4) return first ? RtpStatus::truncated : RtpStatus::rtcp_bad_length;
    const uint8_t* h = p + off;
    if ((h[0] >> 6) != 2) return RtpStatus::bad_version;
    uint8_t count = h[0] & 0x1F;
    uint8_t type = h[1];
    size_t size = (size_t(load_be16(h + 2)) + 1) * 4;
    if (size > len - off) return RtpStatus::rtcp_bad_length;
    // RFC 3550 6.1: a compound packet starts with SR or RR.
    if (first && type != kRtcpSr && type != kRtcpRr) return RtpStatus::rtcp_bad_type;
    // Body bounded by this packet's length minus its padding (P bit: the
    // last octet counts padding octets, itself included).
    const uint8_t* body = h + 4;
    size_t body_len = size - 4;
    if (h[0] & 0x20) {
      uint8_t pad = h[size - 1];
      if (pad == 0 || pad > body_len) return RtpStatus::rtcp_bad_length;
      body_len -= pad;
    }
    RtpStatus st = RtpStatus::ok;
    switch (type) {
      case kRtcpSr:
        if (body_len < 4 + kSrSenderInfoBytes) return RtpStatus::rtcp_bad_length;
        if (first) {
          out.is_sr = true;
          out.sender_ssrc = load_be32(body);
          out.ntp_timestamp = load_be64(body + 4);
          out.rtp_timestamp = load_be32(body + 12);
          out.sender_packets = load_be32(body + 16);
          out.sender_octets = load_be32(body + 20);
        }
        st = parse_report_blocks(body + 24, body_len - 24, count, out);
        break;
      case kRtcpRr:
        if (body_len < 4) return RtpStatus::rtcp_bad_length;
        if (first) out.sender_ssrc = load_be32(body);
        st = parse_report_blocks(body + 4, body_len - 4, count, out);
        break;
      case kRtcpBye:
        out.has_bye = true;
        break;
      case kRtcpXr:
        if (body_len < 4) return RtpStatus::rtcp_bad_length;
        st = parse_xr_blocks(body + 4, body_len - 4, out);
        break;
      default:  // SDES, APP, feedback: skipped by length
        break;
    }
    if (st != RtpStatus::ok) return st;
    first = false;
    off += size;
  }
  return first ? RtpStatus::truncated : RtpStatus::ok;
}

}  // namespace tg
