// Zero-allocation RTP (RFC 3550 5.1) and RTCP parsers: SR, RR, SDES/BYE
// skipped, XR VoIP Metrics (RFC 3611 4.7) if present. Compound packets.
#pragma once
#include <cstdint>

#include "common/bytes.hpp"

namespace tg {

#define TG_RTP_STATUS(X)                                  \
  X(ok, "parsed")                                         \
  X(truncated, "shorter than the fixed header")           \
  X(bad_version, "version not 2")                         \
  X(bad_csrc, "CSRC list beyond packet")                  \
  X(bad_extension, "header extension beyond packet")      \
  X(bad_padding, "padding count beyond payload")          \
  X(rtcp_bad_length, "RTCP length word beyond packet")    \
  X(rtcp_bad_type, "first RTCP packet not SR/RR")         \
  X(rtcp_bad_block, "report block or XR block truncated")

enum class RtpStatus : uint8_t {
#define TG_X(name, text) name,
  TG_RTP_STATUS(TG_X)
#undef TG_X
      count_
};
const char* rtp_status_name(RtpStatus);

struct RtpHeader {
  uint8_t payload_type = 0;
  bool marker = false;
  bool padding = false;
  bool extension = false;
  uint8_t csrc_count = 0;
  uint16_t seq = 0;
  uint32_t timestamp = 0;
  uint32_t ssrc = 0;
  Bytes payload;  // after CSRCs, extension; padding removed
};

RtpStatus parse_rtp(Bytes data, RtpHeader& out);

// RTP vs RTCP on one port (RFC 5761 4): second byte 192..223 is RTCP.
bool looks_like_rtcp(Bytes data);

struct RtcpReportBlock {
  uint32_t ssrc = 0;            // source this block reports on
  uint8_t fraction_lost = 0;    // /256
  int32_t cumulative_lost = 0;  // signed 24-bit
  uint32_t highest_seq = 0;     // extended
  uint32_t jitter = 0;          // timestamp units
  uint32_t lsr = 0;             // middle 32 bits of NTP of last SR
  uint32_t dlsr = 0;            // 1/65536 s
};

// RFC 3611 4.7 VoIP Metrics Report Block.
struct RtcpXrVoip {
  bool present = false;
  uint32_t ssrc = 0;
  uint8_t loss_rate = 0, discard_rate = 0, burst_density = 0, gap_density = 0;
  uint16_t burst_duration_ms = 0, gap_duration_ms = 0;
  uint16_t round_trip_delay_ms = 0, end_system_delay_ms = 0;
  int8_t signal_level = 0, noise_level = 0;
  uint8_t rerl = 0, gmin = 0, r_factor = 0, ext_r_factor = 0;
  uint8_t mos_lq = 0, mos_cq = 0;  // x10, 127 = unavailable
  uint8_t rx_config = 0;
  uint16_t jb_nominal = 0, jb_maximum = 0, jb_abs_max = 0;
};

constexpr int kRtcpMaxBlocks = 31;

struct RtcpPacket {
  uint32_t sender_ssrc = 0;
  bool is_sr = false;
  uint64_t ntp_timestamp = 0;   // SR only
  uint32_t rtp_timestamp = 0;
  uint32_t sender_packets = 0, sender_octets = 0;
  RtcpReportBlock blocks[kRtcpMaxBlocks];
  uint8_t block_count = 0;
  RtcpXrVoip xr_voip;
  bool has_bye = false;
};

// Parses a compound RTCP packet (first must be SR or RR, RFC 3550 6.1).
RtpStatus parse_rtcp(Bytes data, RtcpPacket& out);

// Middle 32 bits of a 64-bit NTP timestamp, as carried in LSR.
inline uint32_t ntp_middle32(uint64_t ntp) { return uint32_t(ntp >> 16); }

}  // namespace tg
