// SDP parser (RFC 8866, RTP/AVP of RFC 3551): one pass over the lines,
// media beyond kSdpMaxMedia counted, nothing allocates.
#include "dataplane/core/sdp.hpp"

#include "dataplane/core/text.hpp"

namespace tg {

using namespace tg::text;

namespace {

constexpr const char* kStatusNames[] = {
#define TG_X(name, text) #name,
    TG_SDP_STATUS(TG_X)
#undef TG_X
};
constexpr const char* kStatusTexts[] = {
#define TG_X(name, text) text,
    TG_SDP_STATUS(TG_X)
#undef TG_X
};

// RFC 3551 tables 4 and 5. G722's RTP clock is 8000 although it samples at
// 16 kHz (RFC 3551 4.5.2, an historical error kept for compatibility).
constexpr RtpMap kStatic[] = {
    {0, "PCMU", 8000, 1},   {3, "GSM", 8000, 1},    {4, "G723", 8000, 1},   {5, "DVI4", 8000, 1},
    {6, "DVI4", 16000, 1},  {7, "LPC", 8000, 1},    {8, "PCMA", 8000, 1},   {9, "G722", 8000, 1},
    {10, "L16", 44100, 2},  {11, "L16", 44100, 1},  {12, "QCELP", 8000, 1}, {13, "CN", 8000, 1},
    {14, "MPA", 90000, 1},  {15, "G728", 8000, 1},  {16, "DVI4", 11025, 1}, {17, "DVI4", 22050, 1},
    {18, "G729", 8000, 1},  {25, "CelB", 90000, 1}, {26, "JPEG", 90000, 1}, {28, "nv", 90000, 1},
    {31, "H261", 90000, 1}, {32, "MPV", 90000, 1},  {33, "MP2T", 90000, 1}, {34, "H263", 90000, 1},
};

bool direction_from(std::string_view attr, MediaDirection& d) {
  if (attr == "sendrecv") d = MediaDirection::sendrecv;
  else if (attr == "sendonly") d = MediaDirection::sendonly;
  else if (attr == "recvonly") d = MediaDirection::recvonly;
  else if (attr == "inactive") d = MediaDirection::inactive;
  else return false;
  return true;
}

// c=IN IP4 198.51.100.1[/ttl[/count]] or c=IN IP6 2001:db8::1[/count].
SdpStatus parse_connection(std::string_view v, IpAddr& out) {
  std::string_view nettype = next_word(v);
  std::string_view addrtype = next_word(v);
  std::string_view addr = next_word(v);
  if (nettype != "IN" || addr.empty() || !trim(v).empty()) return SdpStatus::bad_connection;
  addr = addr.substr(0, addr.find('/'));
  bool v4 = addrtype == "IP4";
  if (!v4 && addrtype != "IP6") return SdpStatus::bad_connection;
  // An FQDN is legal (RFC 8866 5.7) but gives no address to match RTP on:
  // leave the connection empty rather than reject the whole description.
  bool literal = true;
  for (char c : addr) {
    bool ok = v4 ? (is_digit(c) || c == '.')
                 : (is_digit(c) || c == ':' || c == '.' || (lower(c) >= 'a' && lower(c) <= 'f'));
    if (!ok) literal = false;
  }
  if (!literal) {
    for (char c : addr)
      if (!is_token_char(c)) return SdpStatus::bad_connection;
    out = IpAddr{};
    return SdpStatus::ok;
  }
  IpAddr a;
  if (!a.parse(addr) || a.family != (v4 ? 4 : 6)) return SdpStatus::bad_connection;
  out = a;
  return SdpStatus::ok;
}

// m=audio 49170[/2] RTP/AVP 0 8 97
SdpStatus parse_media(std::string_view v, SdpMedia& m) {
  m.type = next_word(v);
  std::string_view port = next_word(v);
  m.proto = next_word(v);
  if (!is_token(m.type) || m.proto.empty()) return SdpStatus::bad_media;
  std::string_view count;
  port = split_first(port, '/', count);
  uint64_t n = 0, c = 0;
  if (!parse_uint(port, 65535, n)) return SdpStatus::bad_media;
  if (!count.empty() && !parse_uint(count, 65535, c)) return SdpStatus::bad_media;
  m.port = uint16_t(n);
  // Formats are payload types only for RTP profiles; "udptl t38" or "TCP/BFCP *" carry names.
  bool rtp = m.proto.find("RTP") != std::string_view::npos;
  for (std::string_view f = next_word(v); !f.empty(); f = next_word(v)) {
    uint64_t pt = 0;
    if (!parse_uint(f, 127, pt)) {
      if (rtp) return SdpStatus::bad_media;
      continue;
    }
    if (m.format_count < kSdpMaxFormats) m.formats[m.format_count++] = uint8_t(pt);
  }
  return SdpStatus::ok;
}

// a=rtpmap:97 opus/48000/2
SdpStatus parse_rtpmap(std::string_view v, SdpMedia& m) {
  std::string_view pt_text = next_word(v);
  std::string_view spec = next_word(v);
  uint64_t pt = 0, clock = 0, channels = 1;
  if (!parse_uint(pt_text, 127, pt) || spec.empty() || !trim(v).empty()) return SdpStatus::bad_rtpmap;
  std::string_view rest;
  std::string_view enc = split_first(spec, '/', rest);
  std::string_view chan;
  std::string_view clk = split_first(rest, '/', chan);
  if (enc.empty() || !parse_uint(clk, 10'000'000, clock) || clock == 0) return SdpStatus::bad_rtpmap;
  if (!chan.empty() && (!parse_uint(chan, 255, channels) || channels == 0)) return SdpStatus::bad_rtpmap;
  // A repeated payload type replaces the earlier mapping.
  RtpMap* slot = nullptr;
  for (uint8_t i = 0; i < m.rtpmap_count; ++i)
    if (m.rtpmaps[i].payload_type == pt) slot = &m.rtpmaps[i];
  if (!slot) {
    if (m.rtpmap_count >= kSdpMaxFormats) return SdpStatus::ok;  // more maps than we keep
    slot = &m.rtpmaps[m.rtpmap_count++];
  }
  *slot = RtpMap{uint8_t(pt), enc, uint32_t(clock), uint8_t(channels)};
  return SdpStatus::ok;
}

bool is_unspecified_v4(const IpAddr& a) { return a.family == 4 && a.v4_host_order() == 0; }

bool held(MediaDirection d) { return d == MediaDirection::sendonly || d == MediaDirection::inactive; }

}  // namespace

const char* media_direction_name(MediaDirection d) {
  switch (d) {
    case MediaDirection::sendrecv: return "sendrecv";
    case MediaDirection::sendonly: return "sendonly";
    case MediaDirection::recvonly: return "recvonly";
    case MediaDirection::inactive: return "inactive";
  }
  return "invalid";
}

const char* sdp_status_name(SdpStatus s) {
  return size_t(s) < kSdpStatusCount ? kStatusNames[size_t(s)] : "invalid";
}
const char* sdp_status_text(SdpStatus s) {
  return size_t(s) < kSdpStatusCount ? kStatusTexts[size_t(s)] : "invalid";
}

const RtpMap* static_rtpmap(uint8_t pt) {
  for (const RtpMap& m : kStatic)
    if (m.payload_type == pt) return &m;
  return nullptr;
}

const RtpMap* SdpMedia::find_rtpmap(uint8_t pt) const {
  for (uint8_t i = 0; i < rtpmap_count && i < kSdpMaxFormats; ++i)
    if (rtpmaps[i].payload_type == pt) return &rtpmaps[i];
  // Dynamic types need an rtpmap; static ones may omit it (RFC 3551 6).
  return pt < 96 ? static_rtpmap(pt) : nullptr;
}

bool SdpSession::on_hold() const {
  bool any_active = false;
  for (uint8_t i = 0; i < media_count && i < kSdpMaxMedia; ++i) {
    const SdpMedia& m = media[i];
    if (m.port == 0) continue;  // rejected/disabled stream says nothing about hold
    any_active = true;
    if (held(m.direction) || is_unspecified_v4(m.connection)) return true;
  }
  if (!any_active) return held(direction) || is_unspecified_v4(connection);
  return false;
}

SdpStatus parse_sdp(std::string_view body, SdpSession& out) {
  out = SdpSession{};
  if (trim(body).empty()) return SdpStatus::empty;

  bool explicit_dir[kSdpMaxMedia] = {};
  bool seen_version = false;
  SdpMedia* media = nullptr;   // current m= section, nullptr at session level
  bool in_dropped = false;     // inside an m= section beyond kSdpMaxMedia
  SdpStatus status = SdpStatus::ok;

  while (!body.empty() && status == SdpStatus::ok) {
    std::string_view line = split_first(body, '\n', body);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (trim(line).empty()) continue;  // stray blank lines, e.g. a trailing CRLF pair
    if (line.size() < 2 || line[1] != '=' || !is_alpha(line[0])) return SdpStatus::bad_line;
    char type = line[0];
    std::string_view v = line.substr(2);
    if (!seen_version) {
      uint64_t ver = 1;
      if (type != 'v' || !parse_uint(trim(v), 0, ver)) return SdpStatus::bad_version;
      seen_version = true;
      continue;
    }
    switch (type) {
      case 'o': {  // o=user sess-id sess-version IN IP4 addr
        if (media || in_dropped) break;
        out.origin_user = next_word(v);
        out.session_id = next_word(v);
        out.session_version = next_word(v);
        break;
      }
      case 'c':
        if (in_dropped) break;
        status = parse_connection(v, media ? media->connection : out.connection);
        break;
      case 'm':
        if (out.media_count >= kSdpMaxMedia) {
          if (out.media_dropped < UINT8_MAX) ++out.media_dropped;
          media = nullptr;
          in_dropped = true;
          break;
        }
        in_dropped = false;
        media = &out.media[out.media_count++];
        status = parse_media(v, *media);
        break;
      case 'a': {
        if (in_dropped) break;
        std::string_view value;
        std::string_view name = split_first(v, ':', value);
        MediaDirection d;
        if (direction_from(name, d)) {
          if (media) {
            media->direction = d;
            explicit_dir[media - out.media] = true;
          } else {
            out.direction = d;
          }
        } else if (!media) {
          break;  // other session-level attributes are not needed
        } else if (name == "rtpmap") {
          status = parse_rtpmap(value, *media);
        } else if (name == "ptime") {
          // Some stacks send "20.0": the integer part is what matters.
          uint64_t ms = 0;
          size_t used = 0;
          if (parse_uint_prefix(trim(value), 65535, ms, used)) media->ptime_ms = uint16_t(ms);
        } else if (name == "rtcp-mux") {
          media->rtcp_mux = true;
        } else if (name == "rtcp") {  // a=rtcp:53020 [IN IP4 198.51.100.1] (RFC 3605)
          uint64_t port = 0;
          std::string_view rest = trim(value);
          if (parse_uint(next_word(rest), 65535, port)) media->rtcp_port = uint16_t(port);
        }
        break;
      }
      default:
        break;  // s= i= u= e= p= b= t= r= z= k=: nothing to learn for RTP
    }
  }
  if (!seen_version) return SdpStatus::bad_version;

  // Session-level defaults apply where the media section is silent.
  for (uint8_t i = 0; i < out.media_count; ++i) {
    if (out.media[i].connection.empty()) out.media[i].connection = out.connection;
    if (!explicit_dir[i]) out.media[i].direction = out.direction;
  }
  return status;
}

}  // namespace tg
