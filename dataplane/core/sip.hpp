// Zero-allocation SIP message parser (RFC 3261): start line and the headers
// TrunkGuard needs. All string_views point into the caller's buffer.
#pragma once
#include <cstdint>
#include <string_view>

namespace tg {

#define TG_SIP_METHODS(X) \
  X(unknown, "")          \
  X(invite, "INVITE")     \
  X(ack, "ACK")           \
  X(bye, "BYE")           \
  X(cancel, "CANCEL")     \
  X(options, "OPTIONS")   \
  X(register_, "REGISTER")\
  X(refer, "REFER")       \
  X(notify, "NOTIFY")     \
  X(subscribe, "SUBSCRIBE")\
  X(prack, "PRACK")       \
  X(update, "UPDATE")     \
  X(info, "INFO")         \
  X(message, "MESSAGE")

enum class SipMethod : uint8_t {
#define TG_X(name, text) name,
  TG_SIP_METHODS(TG_X)
#undef TG_X
};
const char* sip_method_name(SipMethod);
SipMethod sip_method_from(std::string_view token);

#define TG_SIP_STATUS(X)                                   \
  X(ok, "parsed")                                          \
  X(not_sip, "not a SIP message")                          \
  X(incomplete, "headers not terminated (need more data)") \
  X(bad_start_line, "malformed request/status line")       \
  X(bad_header, "malformed header line")                   \
  X(missing_call_id, "no Call-ID header")                  \
  X(missing_cseq, "no or malformed CSeq header")           \
  X(bad_content_length, "Content-Length malformed")        \
  X(body_truncated, "body shorter than Content-Length")

enum class SipStatus : uint8_t {
#define TG_X(name, text) name,
  TG_SIP_STATUS(TG_X)
#undef TG_X
      count_
};
const char* sip_status_name(SipStatus);
const char* sip_status_text(SipStatus);
constexpr size_t kSipStatusCount = size_t(SipStatus::count_);

struct SipMessage {
  bool is_request = false;
  SipMethod method = SipMethod::unknown;  // requests
  std::string_view method_text;
  std::string_view request_uri;
  uint16_t status_code = 0;               // responses
  std::string_view reason_phrase;

  std::string_view call_id;
  uint32_t cseq = 0;
  SipMethod cseq_method = SipMethod::unknown;
  std::string_view from_uri, from_tag, from_display;
  std::string_view to_uri, to_tag, to_display;
  std::string_view via_branch;            // topmost Via
  std::string_view via_sent_by;           // topmost Via host[:port]
  std::string_view contact_uri;
  std::string_view content_type;
  int32_t content_length = -1;            // -1: header absent
  std::string_view reason;                // Reason header value (RFC 3326)
  std::string_view reason_protocol;       // first Reason value: "SIP", "Q.850"
  int32_t reason_cause = -1;              // its cause= parameter, -1: absent
  std::string_view reason_text;           // its text= parameter, quotes removed
  int32_t retry_after = -1;               // seconds, -1: absent
  std::string_view refer_to;              // Refer-To URI
  std::string_view event;                 // Event package without params (NOTIFY "refer")
  std::string_view event_id;              // Event id= parameter
  std::string_view subscription_state;    // state token: "active", "terminated", ...
  std::string_view subscription_reason;   // Subscription-State reason= parameter
  std::string_view user_agent;            // User-Agent or Server
  std::string_view body;                  // bounded by Content-Length if present
  uint16_t header_count = 0;
  uint32_t message_length = 0;            // start line to end of body, bytes
};

// Parses one SIP message at the start of `text` (UDP datagram or TCP
// segment). For TCP the message may be followed by another: message_length
// tells where it ends.
SipStatus parse_sip(std::string_view text, SipMessage& out);
// Same, with the framing rule of the transport: over a stream (TCP, TLS) a
// message without Content-Length has an empty body (RFC 3261 18.3), over a
// datagram the body is the rest of the datagram.
SipStatus parse_sip(std::string_view text, SipMessage& out, bool stream);

// Cheap pre-check used before parse_sip on arbitrary UDP/TCP payloads.
bool looks_like_sip(std::string_view text);

// User part of a SIP/TEL URI: "sip:+4930123@host;x" -> "+4930123".
std::string_view sip_uri_user(std::string_view uri);
// Status code from a message/sipfrag body: "SIP/2.0 200 OK" -> 200, else 0.
uint16_t sipfrag_status(std::string_view body);

}  // namespace tg
