// The little SIP/SDP text handling tg-callgen needs as a UA: find headers
// (long and compact names), the body, the start line, a tag parameter, and the
// audio address in an SDP. Independent of the inspection core on purpose: the
// generator must not share bugs with the analyzer it is used to check.
#pragma once
#include "dataplane/core/text.hpp"
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tg::callgen {

using tg::text::iequals;  // dataplane/core/text.hpp

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Calls fn(name, value) for each header line until the blank line.
template <class Fn>
void for_each_header(std::string_view msg, Fn fn) {
  size_t pos = msg.find('\n');
  while (pos != std::string_view::npos && pos + 1 < msg.size()) {
    size_t start = pos + 1;
    size_t end = msg.find('\n', start);
    std::string_view line = msg.substr(start, end == std::string_view::npos ? msg.npos : end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) return;
    size_t colon = line.find(':');
    if (colon != std::string_view::npos) fn(trim(line.substr(0, colon)), trim(line.substr(colon + 1)));
    pos = end;
  }
}

inline bool header_is(std::string_view name, std::string_view full, char compact) {
  return iequals(name, full) || (compact && name.size() == 1 && (name[0] | 0x20) == compact);
}

inline std::string_view sip_header(std::string_view msg, std::string_view full, char compact = 0) {
  std::string_view found;
  bool done = false;
  for_each_header(msg, [&](std::string_view n, std::string_view v) {
    if (!done && header_is(n, full, compact)) {
      found = v;
      done = true;
    }
  });
  return found;
}

inline std::vector<std::string_view> sip_headers(std::string_view msg, std::string_view full, char compact = 0) {
  std::vector<std::string_view> out;
  for_each_header(msg, [&](std::string_view n, std::string_view v) {
    if (header_is(n, full, compact)) out.push_back(v);
  });
  return out;
}

inline std::string_view sip_body(std::string_view msg) {
  size_t p = msg.find("\r\n\r\n");
  if (p != std::string_view::npos) return msg.substr(p + 4);
  p = msg.find("\n\n");
  return p == std::string_view::npos ? std::string_view() : msg.substr(p + 2);
}

// "SIP/2.0 180 Ringing" -> 180; requests -> 0.
inline int sip_status_code(std::string_view msg) {
  if (msg.substr(0, 8) != "SIP/2.0 " || msg.size() < 11) return 0;
  int code = 0;
  auto r = std::from_chars(msg.data() + 8, msg.data() + 11, code);
  return r.ec == std::errc() ? code : 0;
}

// Request method ("INVITE"), empty for responses.
inline std::string_view sip_method(std::string_view msg) {
  if (msg.substr(0, 4) == "SIP/") return {};
  size_t sp = msg.find(' ');
  return sp == std::string_view::npos ? std::string_view() : msg.substr(0, sp);
}

// CSeq "2 BYE" -> method "BYE".
inline std::string_view cseq_method(std::string_view cseq) {
  size_t sp = cseq.find(' ');
  return sp == std::string_view::npos ? std::string_view() : trim(cseq.substr(sp + 1));
}

// CSeq "2 BYE" -> 2 (0 if malformed).
inline uint32_t cseq_number(std::string_view cseq) {
  uint32_t n = 0;
  cseq = trim(cseq);
  auto r = std::from_chars(cseq.data(), cseq.data() + cseq.size(), n);
  return r.ec == std::errc() ? n : 0;
}

// Media direction attribute of an SDP (RFC 4566 6, RFC 3264 5.1): the last
// sendrecv/sendonly/recvonly/inactive seen; "sendrecv" when absent.
inline std::string_view sdp_direction(std::string_view body) {
  std::string_view dir = "sendrecv";
  size_t pos = 0;
  while (pos < body.size()) {
    size_t end = body.find('\n', pos);
    std::string_view line = trim(body.substr(pos, end == std::string_view::npos ? body.npos : end - pos));
    pos = end == std::string_view::npos ? body.size() : end + 1;
    for (std::string_view d : {"sendonly", "recvonly", "inactive", "sendrecv"})
      if (line.size() == d.size() + 2 && line.substr(0, 2) == "a=" && line.substr(2) == d) dir = d;
  }
  return dir;
}

// The direction to answer an offered one with (RFC 3264 6.1).
inline std::string_view sdp_answer_direction(std::string_view offered) {
  if (offered == "sendonly") return "recvonly";
  if (offered == "recvonly") return "sendonly";
  if (offered == "inactive") return "inactive";
  return "sendrecv";
}

// Status code of a message/sipfrag body: "SIP/2.0 200 OK" -> 200 (0 if none).
inline int sipfrag_code(std::string_view body) { return body.substr(0, 8) == "SIP/2.0 " ? sip_status_code(body) : 0; }

// ";tag=abc" parameter of a From/To value.
inline std::string_view tag_param(std::string_view v) {
  size_t gt = v.rfind('>');
  size_t p = v.find(";tag=", gt == std::string_view::npos ? 0 : gt);
  if (p == std::string_view::npos) return {};
  std::string_view t = v.substr(p + 5);
  size_t end = t.find_first_of(";, ");
  return end == std::string_view::npos ? t : t.substr(0, end);
}

// "<sip:a@b;lr>" -> "sip:a@b;lr" (or the value itself without brackets).
inline std::string_view uri_in(std::string_view v) {
  size_t lt = v.find('<');
  size_t gt = v.find('>');
  if (lt != std::string_view::npos && gt != std::string_view::npos && gt > lt) return v.substr(lt + 1, gt - lt - 1);
  size_t semi = v.find(';');
  return trim(semi == std::string_view::npos ? v : v.substr(0, semi));
}

// Audio address from an SDP: media-level c= wins over session-level.
inline bool sdp_audio(std::string_view body, std::string& addr, uint16_t& port) {
  std::string_view session_c, media_c;
  bool in_audio = false, found = false;
  int audio_port = -1;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t end = body.find('\n', pos);
    std::string_view line = body.substr(pos, end == std::string_view::npos ? body.npos : end - pos);
    pos = end == std::string_view::npos ? body.size() : end + 1;
    line = trim(line);
    if (line.size() < 2 || line[1] != '=') continue;
    std::string_view v = line.substr(2);
    if (line[0] == 'm') {
      in_audio = !found && v.substr(0, 6) == "audio ";
      if (in_audio) {
        found = true;
        int p = 0;
        auto r = std::from_chars(v.data() + 6, v.data() + v.size(), p);
        if (r.ec == std::errc() && p > 0 && p < 65536) audio_port = p;
      }
    } else if (line[0] == 'c') {
      size_t sp = v.rfind(' ');
      std::string_view a = sp == std::string_view::npos ? v : v.substr(sp + 1);
      size_t slash = a.find('/');
      if (slash != std::string_view::npos) a = a.substr(0, slash);
      if (!found) session_c = a;
      else if (in_audio) media_c = a;
    }
  }
  std::string_view a = media_c.empty() ? session_c : media_c;
  if (audio_port < 0 || a.empty()) return false;
  addr.assign(a);
  port = uint16_t(audio_port);
  return true;
}

}  // namespace tg::callgen
