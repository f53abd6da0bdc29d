// SIP message parser (RFC 3261 7, 20, 25). Single pass over the header block,
// every field a string_view into the caller's buffer; nothing allocates.
#include "dataplane/core/sip.hpp"

#include <algorithm>
#include <array>

#include "dataplane/core/text.hpp"

namespace tg {

using namespace tg::text;

namespace {

constexpr std::string_view kMethodNames[] = {
#define TG_X(name, text) text,
    TG_SIP_METHODS(TG_X)
#undef TG_X
};
constexpr size_t kMethodCount = sizeof kMethodNames / sizeof kMethodNames[0];

constexpr const char* kStatusNames[] = {
#define TG_X(name, text) #name,
    TG_SIP_STATUS(TG_X)
#undef TG_X
};
constexpr const char* kStatusTexts[] = {
#define TG_X(name, text) text,
    TG_SIP_STATUS(TG_X)
#undef TG_X
};

enum class Hdr : uint8_t {
  other, call_id, cseq, from, to, via, contact, content_type, content_length, reason, retry_after,
  refer_to, event, subscription_state, user_agent, server
};

// Full names and RFC 3261 7.3.3 / IANA compact forms of the headers we read.
Hdr classify(std::string_view name) {
  if (name.size() == 1) {
    switch (lower(name[0])) {
      case 'i': return Hdr::call_id;
      case 'f': return Hdr::from;
      case 't': return Hdr::to;
      case 'v': return Hdr::via;
      case 'm': return Hdr::contact;
      case 'c': return Hdr::content_type;
      case 'l': return Hdr::content_length;
      case 'r': return Hdr::refer_to;         // RFC 3515
      case 'o': return Hdr::event;            // RFC 6665
      default: return Hdr::other;             // k s e u b x a j d y n ...: not read
    }
  }
  // Dispatch on length first: one case-insensitive compare per header line
  // instead of a walk over the whole table.
  auto is = [&](std::string_view full) { return iequals(name, full); };
  switch (name.size()) {
    case 2: if (is("to")) return Hdr::to; break;
    case 3: if (is("via")) return Hdr::via; break;
    case 4:
      if (is("cseq")) return Hdr::cseq;
      if (is("from")) return Hdr::from;
      break;
    case 5: if (is("event")) return Hdr::event; break;
    case 6:
      if (is("reason")) return Hdr::reason;
      if (is("server")) return Hdr::server;
      break;
    case 7:
      if (is("call-id")) return Hdr::call_id;
      if (is("contact")) return Hdr::contact;
      break;
    case 8: if (is("refer-to")) return Hdr::refer_to; break;
    case 10: if (is("user-agent")) return Hdr::user_agent; break;
    case 11: if (is("retry-after")) return Hdr::retry_after; break;
    case 12: if (is("content-type")) return Hdr::content_type; break;
    case 14: if (is("content-length")) return Hdr::content_length; break;
    case 18: if (is("subscription-state")) return Hdr::subscription_state; break;
    default: break;
  }
  return Hdr::other;
}

// First element of a comma-separated header value; commas inside quoted
// strings and <...> belong to the element (display names, URI headers).
std::string_view first_value(std::string_view v) {
  // Most bytes are ordinary: skip them with one table load each.
  static constexpr auto kSpecial = [] {
    std::array<bool, 256> t{};
    for (char c : {'"', '\\', '<', '>', ','}) t[uint8_t(c)] = true;
    return t;
  }();
  bool quoted = false, angle = false;
  for (size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (!kSpecial[uint8_t(c)]) continue;
    if (quoted) {
      if (c == '\\') ++i;
      else if (c == '"') quoted = false;
    } else if (c == '"') {
      quoted = true;
    } else if (c == '<') {
      angle = true;
    } else if (c == '>') {
      angle = false;
    } else if (c == ',' && !angle) {
      return trim(v.substr(0, i));
    }
  }
  return trim(v);
}

// Value of parameter `name` in ";a=1;tag=x;b" (case-insensitive name, quotes
// stripped). `found` tells a valueless parameter from an absent one.
std::string_view find_param(std::string_view params, std::string_view name, bool* found = nullptr) {
  while (!params.empty()) {
    size_t semi = params.find(';');
    if (semi == std::string_view::npos) break;
    params = params.substr(semi + 1);
    // End of this parameter: next ';' outside a quoted string.
    size_t end = 0;
    bool quoted = false;
    for (; end < params.size(); ++end) {
      char c = params[end];
      if (quoted) {
        if (c == '\\') ++end;
        else if (c == '"') quoted = false;
      } else if (c == '"') {
        quoted = true;
      } else if (c == ';') {
        break;
      }
    }
    if (end > params.size()) end = params.size();
    std::string_view param = params.substr(0, end);
    std::string_view value;
    std::string_view key = trim(split_first(param, '=', value));
    if (iequals(key, name)) {
      if (found) *found = true;
      value = trim(value);
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
        value = value.substr(1, value.size() - 2);
      return value;
    }
    params = params.substr(end);
  }
  if (found) *found = false;
  return {};
}

struct NameAddr {
  std::string_view display, uri, params;
};

// name-addr ("Alice" <sip:a@x>;tag=1) or addr-spec (sip:a@x;tag=1): in the
// latter, parameters after the URI are header parameters (RFC 3261 20.10).
bool parse_name_addr(std::string_view v, NameAddr& out) {
  v = trim(v);
  if (v.empty()) return false;
  size_t lt = std::string_view::npos;
  if (v.front() == '"') {
    size_t i = 1;
    for (; i < v.size(); ++i) {
      if (v[i] == '\\') ++i;
      else if (v[i] == '"') break;
    }
    if (i >= v.size()) return false;  // unterminated display name
    out.display = v.substr(1, i - 1);
    lt = v.find('<', i + 1);
    if (lt == std::string_view::npos || !trim(v.substr(i + 1, lt - i - 1)).empty()) return false;
  } else {
    size_t semi = v.find(';');
    lt = v.find('<');
    if (lt != std::string_view::npos && semi != std::string_view::npos && semi < lt)
      lt = std::string_view::npos;  // '<' inside a parameter, not a name-addr
    if (lt != std::string_view::npos) out.display = trim(v.substr(0, lt));
  }
  if (lt != std::string_view::npos) {
    size_t gt = v.find('>', lt + 1);
    if (gt == std::string_view::npos) return false;
    out.uri = trim(v.substr(lt + 1, gt - lt - 1));
    out.params = v.substr(gt + 1);
  } else {
    size_t semi = v.find(';');
    out.uri = trim(v.substr(0, semi));
    out.params = semi == std::string_view::npos ? std::string_view{} : v.substr(semi);
  }
  return !out.uri.empty();
}

void read_from_to(std::string_view v, std::string_view& uri, std::string_view& tag,
                  std::string_view& display) {
  NameAddr na;
  if (!parse_name_addr(v, na)) return;
  uri = na.uri;
  display = na.display;
  tag = find_param(na.params, "tag");
}

// "SIP / 2.0 / UDP host:port;branch=..." (LWS allowed around the slashes).
void read_via(std::string_view v, SipMessage& m) {
  v = first_value(v);
  // Skip protocol-name "/" version "/" transport.
  for (int slash = 0; slash < 2; ++slash) {
    size_t p = v.find('/');
    if (p == std::string_view::npos) return;
    v = v.substr(p + 1);
  }
  v = trim_left(v);
  size_t i = 0;
  while (i < v.size() && is_token_char(v[i])) ++i;  // transport
  v = trim_left(v.substr(i));
  size_t end = 0;
  while (end < v.size() && v[end] != ';' && !is_lws(v[end])) ++end;
  m.via_sent_by = v.substr(0, end);
  size_t semi = v.find(';', end);
  if (semi != std::string_view::npos) m.via_branch = find_param(v.substr(semi), "branch");
}

bool read_cseq(std::string_view v, SipMessage& m) {
  std::string_view rest = v;
  std::string_view num = next_word(rest);
  std::string_view method = next_word(rest);
  uint64_t n = 0;
  if (!parse_uint(num, 0x7fffffffu, n) || !is_token(method) || !trim(rest).empty()) return false;
  m.cseq = uint32_t(n);
  m.cseq_method = sip_method_from(method);
  return true;
}

// RFC 3326: "SIP ;cause=200 ;text="Call completed elsewhere", Q.850;cause=16".
void read_reason(std::string_view v, SipMessage& m) {
  m.reason = v;
  std::string_view first = first_value(v);
  size_t semi = first.find(';');
  m.reason_protocol = trim(first.substr(0, semi));
  if (semi == std::string_view::npos) return;
  std::string_view params = first.substr(semi);
  uint64_t cause = 0;
  if (parse_uint(find_param(params, "cause"), 0x7fffffffu, cause)) m.reason_cause = int32_t(cause);
  m.reason_text = find_param(params, "text");
}

// RFC 3261 20.33: delta-seconds [ comment ] *( ";" retry-param ).
void read_retry_after(std::string_view v, SipMessage& m) {
  uint64_t secs = 0;
  size_t used = 0;
  // Clamp absurd values rather than drop them: the header is still present.
  if (!parse_uint_prefix(v, 9999999999ull, secs, used)) return;
  if (used < v.size() && !is_lws(v[used]) && v[used] != '(' && v[used] != ';') return;
  m.retry_after = secs > 0x7fffffff ? 0x7fffffff : int32_t(secs);
}

// RFC 3515: Refer-To is a name-addr or a bare addr-spec.
void read_refer_to(std::string_view v, SipMessage& m) {
  NameAddr na;
  if (parse_name_addr(v, na)) m.refer_to = na.uri;
}

void read_contact(std::string_view v, SipMessage& m) {
  v = first_value(v);
  if (v == "*") {
    m.contact_uri = v;
    return;
  }
  NameAddr na;
  if (parse_name_addr(v, na)) m.contact_uri = na.uri;
}

// Token before the parameters: "refer;id=93" -> "refer".
std::string_view value_token(std::string_view v) { return trim(v.substr(0, v.find(';'))); }

struct Seen {
  bool cseq = false, user_agent = false;
};

// First occurrence of each header wins (later ones are repeats or forged).
// Returns the error that makes the message unusable, or ok.
SipStatus apply_header(Hdr id, std::string_view v, SipMessage& m, Seen& seen) {
  switch (id) {
    case Hdr::other:
      break;
    case Hdr::call_id:
      if (m.call_id.empty()) m.call_id = v;
      break;
    case Hdr::cseq:
      if (!seen.cseq) {
        if (!read_cseq(v, m)) return SipStatus::missing_cseq;
        seen.cseq = true;
      }
      break;
    case Hdr::from:
      if (m.from_uri.empty()) read_from_to(v, m.from_uri, m.from_tag, m.from_display);
      break;
    case Hdr::to:
      if (m.to_uri.empty()) read_from_to(v, m.to_uri, m.to_tag, m.to_display);
      break;
    case Hdr::via:
      if (m.via_sent_by.empty()) read_via(v, m);
      break;
    case Hdr::contact:
      if (m.contact_uri.empty()) read_contact(v, m);
      break;
    case Hdr::content_type:
      if (m.content_type.empty()) m.content_type = value_token(v);
      break;
    case Hdr::content_length: {
      uint64_t n = 0;
      if (!parse_uint(v, 0x7fffffffu, n)) return SipStatus::bad_content_length;
      // Two different lengths: framing is ambiguous (request smuggling).
      if (m.content_length >= 0 && m.content_length != int32_t(n)) return SipStatus::bad_content_length;
      m.content_length = int32_t(n);
      break;
    }
    case Hdr::reason:
      if (m.reason.empty()) read_reason(v, m);
      break;
    case Hdr::retry_after:
      if (m.retry_after < 0) read_retry_after(v, m);
      break;
    case Hdr::refer_to:
      if (m.refer_to.empty()) read_refer_to(v, m);
      break;
    case Hdr::event:
      if (m.event.empty()) {
        m.event = value_token(v);
        m.event_id = find_param(v, "id");
      }
      break;
    case Hdr::subscription_state:
      if (m.subscription_state.empty()) {
        m.subscription_state = value_token(v);
        m.subscription_reason = find_param(v, "reason");
      }
      break;
    case Hdr::user_agent:
      if (!seen.user_agent) m.user_agent = v;
      seen.user_agent = true;
      break;
    case Hdr::server:
      if (!seen.user_agent && m.user_agent.empty()) m.user_agent = v;
      break;
  }
  return SipStatus::ok;
}

bool is_sip_version(std::string_view s) { return iequals(s, "SIP/2.0"); }

SipStatus parse_start_line(std::string_view line, SipMessage& m) {
  if (istarts_with(line, "SIP/")) {
    std::string_view rest = line;
    std::string_view version = next_word(rest);
    std::string_view code = next_word(rest);
    uint64_t n = 0;
    if (!is_sip_version(version) || code.size() != 3 || !parse_uint(code, 699, n) || n < 100)
      return SipStatus::bad_start_line;
    m.is_request = false;
    m.status_code = uint16_t(n);
    m.reason_phrase = trim(rest);
    return SipStatus::ok;
  }
  std::string_view rest = line;
  std::string_view method = next_word(rest);
  std::string_view uri = next_word(rest);
  std::string_view version = next_word(rest);
  bool well_formed = is_token(method) && !uri.empty() && is_sip_version(version) && trim(rest).empty();
  if (!well_formed) {
    // Only call it SIP gone wrong if it claims to be SIP; HTTP etc. is not_sip.
    std::string_view t = trim_right(line);
    bool claims_sip = sip_method_from(method) != SipMethod::unknown ||
                      (t.size() >= 7 && is_sip_version(t.substr(t.size() - 7)));
    return claims_sip ? SipStatus::bad_start_line : SipStatus::not_sip;
  }
  m.is_request = true;
  m.method_text = method;
  m.method = sip_method_from(method);
  m.request_uri = uri;
  return SipStatus::ok;
}

}  // namespace

const char* sip_method_name(SipMethod m) {
  size_t i = size_t(m);
  return i < kMethodCount ? kMethodNames[i].data() : "";
}

SipMethod sip_method_from(std::string_view token) {
  // Methods are case-sensitive (RFC 3261 7.1).
  for (size_t i = 1; i < kMethodCount; ++i)
    if (token == kMethodNames[i]) return SipMethod(i);
  return SipMethod::unknown;
}

const char* sip_status_name(SipStatus s) {
  return size_t(s) < kSipStatusCount ? kStatusNames[size_t(s)] : "invalid";
}
const char* sip_status_text(SipStatus s) {
  return size_t(s) < kSipStatusCount ? kStatusTexts[size_t(s)] : "invalid";
}

bool looks_like_sip(std::string_view t) {
  if (t.size() < 4) return false;
  if (t.size() >= 8 && t.substr(0, 8) == "SIP/2.0 ") return true;
  // Dispatch on the first byte so RTP (first byte 0x80..0xBF) costs one compare.
  char c = t[0];
  if (c < 'A' || c > 'U') return false;
  size_t sp = t.find(' ', 0);
  if (sp == std::string_view::npos || sp < 3 || sp > 9) return false;
  return sip_method_from(t.substr(0, sp)) != SipMethod::unknown;
}

SipStatus parse_sip(std::string_view text, SipMessage& out) { return parse_sip(text, out, false); }

SipStatus parse_sip(std::string_view text, SipMessage& out, bool stream) {
  out = SipMessage{};
  const size_t n = text.size();
  // Empty lines before the start line are ignored (RFC 3261 7.5): CRLF
  // keep-alives (RFC 5626 4.4.1) precede messages on TCP. They count in
  // message_length, which is measured from the start of `text`.
  size_t start = 0;
  while (start < n && (text[start] == '\r' || text[start] == '\n')) ++start;
  if (start == n) return SipStatus::not_sip;

  size_t eol = text.find('\n', start);
  if (eol == std::string_view::npos)
    return looks_like_sip(text.substr(start)) ? SipStatus::incomplete : SipStatus::not_sip;
  if (SipStatus s = parse_start_line(trim_right(text.substr(start, eol - start)), out); s != SipStatus::ok)
    return s;

  Seen seen;
  SipStatus deferred = SipStatus::ok;  // keep reading headers so tracking gets Call-ID even then
  size_t pos = eol + 1;
  size_t body_start = 0;
  for (;;) {
    if (pos >= n) return SipStatus::incomplete;
    eol = text.find('\n', pos);
    if (eol == std::string_view::npos) return SipStatus::incomplete;
    std::string_view line = text.substr(pos, eol - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      body_start = eol + 1;
      break;
    }
    // A folded line with no header to continue.
    if (line[0] == ' ' || line[0] == '\t') return SipStatus::bad_header;
    // Continuation lines (RFC 3261 7.3.1) join the value, CRLFs included;
    // the field readers treat CR/LF as whitespace.
    size_t end = eol;
    size_t next = eol + 1;
    while (next < n && (text[next] == ' ' || text[next] == '\t')) {
      size_t e = text.find('\n', next);
      if (e == std::string_view::npos) return SipStatus::incomplete;
      end = e;
      next = e + 1;
    }
    std::string_view field = text.substr(pos, end - pos);
    size_t colon = field.find(':');
    if (colon == std::string_view::npos) return SipStatus::bad_header;
    std::string_view name = trim_right(field.substr(0, colon));
    if (!is_token(name)) return SipStatus::bad_header;
    std::string_view value = trim(field.substr(colon + 1));
    if (out.header_count < UINT16_MAX) ++out.header_count;
    SipStatus s = apply_header(classify(name), value, out, seen);
    if (s != SipStatus::ok && deferred == SipStatus::ok) deferred = s;
    pos = next;
  }

  const size_t available = n - body_start;
  if (out.content_length >= 0) {
    size_t want = size_t(out.content_length);
    uint64_t total = uint64_t(body_start) + want;
    out.message_length = total > UINT32_MAX ? UINT32_MAX : uint32_t(total);
    out.body = text.substr(body_start, want);  // substr clamps to what is there
  } else if (stream) {
    out.message_length = uint32_t(body_start);
  } else {
    out.body = text.substr(body_start);
    out.message_length = n > UINT32_MAX ? UINT32_MAX : uint32_t(n);
  }
  if (deferred != SipStatus::ok) return deferred;
  if (out.call_id.empty()) return SipStatus::missing_call_id;
  if (!seen.cseq) return SipStatus::missing_cseq;
  if (out.content_length >= 0 && available < size_t(out.content_length)) return SipStatus::body_truncated;
  return SipStatus::ok;
}

std::string_view sip_uri_user(std::string_view uri) {
  uri = trim(uri);
  if (!uri.empty() && uri.front() == '<') {
    uri.remove_prefix(1);
    uri = uri.substr(0, uri.find('>'));
  }
  if (istarts_with(uri, "tel:")) {
    uri.remove_prefix(4);
    return uri.substr(0, uri.find(';'));
  }
  if (istarts_with(uri, "sip:")) uri.remove_prefix(4);
  else if (istarts_with(uri, "sips:")) uri.remove_prefix(5);
  else return {};
  // The user part ends at '@'; without one the URI has only a host.
  size_t at = uri.find('@');
  size_t stop = uri.find_first_of(";?>");
  if (at == std::string_view::npos) return {};
  if (stop != std::string_view::npos && stop < at) {
    // ';' before '@' is a user parameter (e.g. ";npdi"): not part of the number.
    if (uri[stop] != ';') return {};
  }
  std::string_view user = uri.substr(0, at);
  user = user.substr(0, user.find(';'));
  return user.substr(0, user.find(':'));  // drop ":password"
}

uint16_t sipfrag_status(std::string_view body) {
  body = trim_left(body);
  if (!istarts_with(body, "SIP/2.0") || body.size() < 11) return 0;
  if (body[7] != ' ' && body[7] != '\t') return 0;
  std::string_view rest = body.substr(7);
  std::string_view code = next_word(rest);
  uint64_t n = 0;
  if (code.size() != 3 || !parse_uint(code, 699, n) || n < 100) return 0;
  return uint16_t(n);
}

}  // namespace tg
