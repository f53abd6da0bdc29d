// Zero-allocation SDP parser (RFC 4566/8866): what is needed to learn RTP
// streams and their codecs from offers and answers.
#pragma once
#include <cstdint>
#include <string_view>

#include "common/net.hpp"

namespace tg {

enum class MediaDirection : uint8_t { sendrecv, sendonly, recvonly, inactive };
const char* media_direction_name(MediaDirection);

struct RtpMap {
  uint8_t payload_type = 0;
  std::string_view encoding;   // "PCMU", "opus", "telephone-event"
  uint32_t clock_rate = 0;
  uint8_t channels = 1;
};

constexpr int kSdpMaxMedia = 4;
constexpr int kSdpMaxFormats = 16;

struct SdpMedia {
  std::string_view type;       // "audio", "video", ...
  std::string_view proto;      // "RTP/AVP", "RTP/SAVP", ...
  uint16_t port = 0;           // 0: stream disabled
  IpAddr connection;           // media-level c= or inherited session-level
  uint8_t formats[kSdpMaxFormats] = {};
  uint8_t format_count = 0;
  RtpMap rtpmaps[kSdpMaxFormats];
  uint8_t rtpmap_count = 0;
  uint16_t ptime_ms = 0;       // 0: absent
  MediaDirection direction = MediaDirection::sendrecv;  // after session default
  bool rtcp_mux = false;
  uint16_t rtcp_port = 0;      // a=rtcp:, 0: port+1

  // rtpmap for `pt`, or the static RFC 3551 assignment; nullptr if unknown.
  const RtpMap* find_rtpmap(uint8_t pt) const;
};

struct SdpSession {
  IpAddr connection;           // session-level c=
  std::string_view origin_user, session_id, session_version;
  MediaDirection direction = MediaDirection::sendrecv;
  SdpMedia media[kSdpMaxMedia];
  uint8_t media_count = 0;
  uint8_t media_dropped = 0;   // m= lines beyond kSdpMaxMedia
  // Direction holds: c=0.0.0.0 (RFC 2543 hold) counts as inactive media.
  bool on_hold() const;
};

#define TG_SDP_STATUS(X)                          \
  X(ok, "parsed")                                 \
  X(empty, "empty body")                          \
  X(bad_line, "line not of form x=value")         \
  X(bad_version, "v= missing or not 0")           \
  X(bad_connection, "c= malformed")               \
  X(bad_media, "m= malformed")                    \
  X(bad_rtpmap, "a=rtpmap malformed")

enum class SdpStatus : uint8_t {
#define TG_X(name, text) name,
  TG_SDP_STATUS(TG_X)
#undef TG_X
      count_
};
const char* sdp_status_name(SdpStatus);
const char* sdp_status_text(SdpStatus);
constexpr size_t kSdpStatusCount = size_t(SdpStatus::count_);

SdpStatus parse_sdp(std::string_view body, SdpSession& out);

// Static RTP payload types of RFC 3551 (PCMU 0, GSM 3, G723 4, PCMA 8,
// G722 9, CN 13, G729 18, ...); nullptr for dynamic or unassigned.
const RtpMap* static_rtpmap(uint8_t pt);

}  // namespace tg
