// libFuzzer target: parse_sip in datagram and stream framing, then the SDP or
// sipfrag body the way the call tracker reads them.
#include <cstddef>
#include <cstdint>

#include "dataplane/core/sdp.hpp"
#include "dataplane/core/sip.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace tg;
using tg::fuzz::require;
using tg::fuzz::require_inside;

namespace {

void check(const SipMessage& m, SipStatus st, std::string_view in) {
  require(size_t(st) < kSipStatusCount);
  for (std::string_view v :
       {m.method_text, m.request_uri, m.reason_phrase, m.call_id, m.from_uri, m.from_tag, m.from_display,
        m.to_uri, m.to_tag, m.to_display, m.via_branch, m.via_sent_by, m.contact_uri, m.content_type,
        m.reason, m.reason_protocol, m.reason_text, m.refer_to, m.event, m.event_id,
        m.subscription_state, m.subscription_reason, m.user_agent, m.body})
    require_inside(v, in);
  if (st != SipStatus::ok) return;
  require(m.is_request ? !m.method_text.empty() : (m.status_code >= 100 && m.status_code <= 699));
  require(!m.call_id.empty());
  require(m.message_length <= in.size());
  if (m.content_length >= 0) require(m.body.size() == size_t(m.content_length));
  (void)sip_uri_user(m.request_uri);
  (void)sip_uri_user(m.from_uri);
  (void)sip_uri_user(m.to_uri);
  (void)sip_uri_user(m.refer_to);
  (void)sipfrag_status(m.body);
  SdpSession sdp;
  (void)parse_sdp(m.body, sdp);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)looks_like_sip(in);
  SipMessage m;
  check(m, parse_sip(in, m, false), in);
  // A stream carries back-to-back messages: walk them as a TCP reader would.
  std::string_view rest = in;
  for (int i = 0; i < 8 && !rest.empty(); ++i) {
    SipStatus st = parse_sip(rest, m, true);
    check(m, st, rest);
    if (st != SipStatus::ok || m.message_length == 0) break;
    rest.remove_prefix(m.message_length);
  }
  return 0;
}
