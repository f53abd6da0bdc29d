#include "control/diagnose/diagnose.hpp"

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "dataplane/core/call_table.hpp"
#include "common/names.hpp"

namespace tg::diag {

namespace {

struct VerdictRow {
  const char* name;
  int severity;
  const char* summary;
  const char* advice;
};
constexpr VerdictRow kVerdicts[] = {
#define TG_X(name, sev, summary, advice) {#name, sev, summary, advice},
    TG_CALL_VERDICTS(TG_X)
#undef TG_X
};
static_assert(sizeof kVerdicts / sizeof *kVerdicts == size_t(Verdict::count_));

// Final responses a trunk gives, with what they mean for the call. Class
// rows (x00 with phrase nullptr ... ) come last and catch the rest.
constexpr CodeInfo kCodes[] = {
    {300, "Multiple Choices", "the callee can be reached at several addresses (redirect)", Verdict::transfer_failed},
    {301, "Moved Permanently", "the number moved for good (redirect)", Verdict::transfer_failed},
    {302, "Moved Temporarily", "the call was redirected (call forwarding)", Verdict::transfer_failed},
    {305, "Use Proxy", "the call must go through another proxy (redirect)", Verdict::transfer_failed},
    {380, "Alternative Service", "the call should use another service (redirect)", Verdict::transfer_failed},
    {400, "Bad Request", "the carrier could not parse the INVITE", Verdict::client_error},
    {401, "Unauthorized", "the carrier wants credentials and got none that work", Verdict::authentication},
    {402, "Payment Required", "the trunk account has no credit", Verdict::permission},
    {403, "Forbidden", "the carrier will not place this call for this account", Verdict::permission},
    {404, "Not Found", "the carrier does not know the dialled number", Verdict::number_format},
    {405, "Method Not Allowed", "the carrier does not accept this request", Verdict::client_error},
    {406, "Not Acceptable", "the carrier cannot produce an acceptable answer", Verdict::codec_mismatch},
    {407, "Proxy Authentication Required", "the carrier's proxy wants credentials", Verdict::authentication},
    {408, "Request Timeout", "no answer in time", Verdict::setup_timeout},
    {410, "Gone", "the number is no longer in service", Verdict::number_format},
    {413, "Request Entity Too Large", "the INVITE was too large for the carrier", Verdict::client_error},
    {414, "Request-URI Too Long", "the dialled address is too long", Verdict::number_format},
    {415, "Unsupported Media Type", "the carrier does not accept the body (SDP) format", Verdict::codec_mismatch},
    {416, "Unsupported URI Scheme", "the carrier does not accept this kind of address (sip:/tel:)", Verdict::number_format},
    {420, "Bad Extension", "the carrier does not support a required SIP extension", Verdict::client_error},
    {421, "Extension Required", "the carrier needs a SIP extension the PBX did not offer", Verdict::client_error},
    {423, "Interval Too Brief", "a session timer was too short for the carrier", Verdict::client_error},
    {480, "Temporarily Unavailable", "the callee is not reachable now (phone off, not registered)", Verdict::no_answer},
    {481, "Call/Transaction Does Not Exist", "the carrier lost track of the call", Verdict::client_error},
    {482, "Loop Detected", "the call looped between servers", Verdict::client_error},
    {483, "Too Many Hops", "the call went through too many servers (routing loop)", Verdict::client_error},
    {484, "Address Incomplete", "the dialled number is incomplete", Verdict::number_format},
    {485, "Ambiguous", "the dialled number is ambiguous", Verdict::number_format},
    {486, "Busy Here", "the callee is busy", Verdict::busy},
    {487, "Request Terminated", "the call was cancelled before the answer", Verdict::cancelled},
    {488, "Not Acceptable Here", "the callee's side accepts none of the offered codecs/media", Verdict::codec_mismatch},
    {491, "Request Pending", "two offers crossed (glare)", Verdict::client_error},
    {493, "Undecipherable", "the carrier could not decrypt the body", Verdict::client_error},
    {500, "Server Internal Error", "the carrier's server failed", Verdict::carrier_failure},
    {501, "Not Implemented", "the carrier does not implement this request", Verdict::carrier_failure},
    {502, "Bad Gateway", "a server behind the carrier failed", Verdict::carrier_failure},
    {503, "Service Unavailable", "the carrier is overloaded or down", Verdict::carrier_failure},
    {504, "Server Time-out", "a server behind the carrier did not answer in time", Verdict::carrier_failure},
    {505, "Version Not Supported", "the carrier does not speak this SIP version", Verdict::carrier_failure},
    {513, "Message Too Large", "the INVITE was too large for the carrier", Verdict::carrier_failure},
    {580, "Precondition Failure", "media preconditions (QoS) could not be met", Verdict::carrier_failure},
    {600, "Busy Everywhere", "the callee is busy on every device", Verdict::busy},
    {603, "Decline", "the callee declined the call", Verdict::declined},
    {604, "Does Not Exist Anywhere", "the dialled number does not exist", Verdict::number_format},
    {606, "Not Acceptable", "the callee accepts none of the offered media", Verdict::codec_mismatch},
    {607, "Unwanted", "the callee marked the call as unwanted", Verdict::declined},
};
constexpr CodeInfo kClasses[] = {
    {300, "Redirection", "the call was redirected elsewhere", Verdict::transfer_failed},
    {400, "Client Error", "the carrier refused the request", Verdict::client_error},
    {500, "Server Error", "the carrier's side failed", Verdict::carrier_failure},
    {600, "Global Failure", "the call cannot succeed anywhere", Verdict::global_failure},
};

std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char* f, ...) {
  char b[512];
  va_list ap;
  va_start(ap, f);
  vsnprintf(b, sizeof b, f, ap);
  va_end(ap);
  return b;
}

template <size_t N>
std::string field(const char (&a)[N]) {
  return std::string(a, strnlen(a, N));
}

std::string code_text(uint16_t code) {
  const CodeInfo* c = code_info(code);
  if (!c) return std::to_string(code);
  bool exact = c->code == code;
  return std::to_string(code) + " " + (exact ? c->phrase : std::string("(") + c->phrase + ")");
}

std::string seconds(uint64_t ns) { return fmt("%.1f s", double(ns) / 1e9); }

Finding make(Verdict v, std::string explanation) {
  return {v, std::move(explanation), verdict_advice(v)};
}

bool media_seen(const api::CallMediaWire& m) { return (m.flags & api::kMediaSeen) || m.packets > 0; }

// The setup outcome of a call that did not get answered.
Finding setup_finding(const api::CallRecordWire& r, const Options& o) {
  const auto state = CallState(r.state);
  const uint16_t code = r.final_code;
  const std::string to = field(r.to_user);
  const uint64_t setup_ns = r.end_ns > r.invite_ns ? r.end_ns - r.invite_ns : 0;
  const bool rang = r.pdd_ms >= 0;
  switch (state) {
    case CallState::cancelled:
      return make(Verdict::cancelled,
                  rang ? fmt("the caller hung up after %s; it had been ringing since %d ms after dialling (PDD)",
                             seconds(setup_ns).c_str(), r.pdd_ms)
                       : fmt("the caller hung up after %s, before the callee's side even rang (no 18x)",
                             seconds(setup_ns).c_str()));
    case CallState::timeout:
    case CallState::failed:
      if (state == CallState::timeout || code == 408) {
        std::string what = state == CallState::timeout ? "no final response before the setup timer"
                                                       : "408 Request Timeout";
        if (rang)
          return make(Verdict::no_answer, fmt("%s: it rang (first 18x after %d ms) but nobody answered within %s",
                                              what.c_str(), r.pdd_ms, seconds(setup_ns).c_str()));
        if (r.srd_ms >= 0)
          return make(Verdict::setup_timeout,
                      fmt("%s after %s; the network answered (after %d ms) but the callee never rang",
                          what.c_str(), seconds(setup_ns).c_str(), r.srd_ms));
        return make(Verdict::setup_timeout,
                    fmt("%s: no response at all to the INVITE within %s (%u retransmissions)", what.c_str(),
                        seconds(setup_ns).c_str(), unsigned(r.retransmissions)));
      }
      break;
    case CallState::busy:
      if (code == 503)
        return make(Verdict::busy,
                    "503 Service Unavailable with Retry-After: the carrier is congested and asked to retry later "
                    "(overload, not an outage)");
      break;
    case CallState::redirected: {
      std::string target = r.transfer_target[0] ? field(r.transfer_target) : std::string("an unknown target");
      auto result = TransferResult(r.transfer_result);
      if (result == TransferResult::succeeded)
        return make(Verdict::ok, "redirected by " + code_text(code) + " to " + target + "; the new call was answered");
      if (result == TransferResult::failed)
        return make(Verdict::transfer_failed,
                    "redirected by " + code_text(code) + " to " + target + "; the redirected call was not answered" +
                        (r.transfer_code >= 300 ? " (" + code_text(r.transfer_code) + ")" : std::string()));
      return make(Verdict::transfer_failed, "redirected by " + code_text(code) + " to " + target +
                                                "; no call to the new target followed (the PBX did not follow the "
                                                "redirect)");
    }
    default:
      break;
  }
  const CodeInfo* ci = code_info(code);
  if (!ci) return make(Verdict::unknown, "call ended as " + std::string(call_state_name(state)) + " without a final code");
  Finding f = make(ci->verdict, code_text(code) + ": " + ci->meaning);
  if (ci->code != code) f.explanation = "final response " + f.explanation;
  if (r.reason_cause >= 0) f.explanation += fmt(" (Q.850 cause %d)", r.reason_cause);
  if (f.verdict == Verdict::number_format && looks_national(to, o.international_min_digits)) {
    f.explanation += "; the dialled number '" + to +
                     "' has no + or 00 and is shorter than an international number: missing country code?";
    f.advice = "dial '" + to +
               "' with its country code (+CC...) or make the PBX rewrite national numbers to E.164 for this trunk";
  }
  if (rang && f.verdict != Verdict::number_format) f.explanation += fmt("; it had rung after %d ms", r.pdd_ms);
  return f;
}

// Media of an answered call: never arrived, one way, quality.
void media_findings(const api::CallRecordWire& r, const Options& o, std::vector<Finding>& out) {
  uint64_t until = r.end_ns ? r.end_ns : o.now_ns;
  if (!r.answer_ns || until <= r.answer_ns) return;
  uint64_t up_ns = until - r.answer_ns;
  if (up_ns < uint64_t(o.media_grace_ms) * 1'000'000ull) return;
  const auto& a = r.media[api::kMediaCallerToCallee];
  const auto& b = r.media[api::kMediaCalleeToCaller];
  bool seen_a = media_seen(a), seen_b = media_seen(b);
  bool hold_a = a.flags & api::kMediaOnHold, hold_b = b.flags & api::kMediaOnHold;
  if (!seen_a && !seen_b) {
    if (hold_a && hold_b) return;
    bool announced = (a.flags | b.flags) & api::kMediaAnnounced;
    out.push_back(make(Verdict::media_never_arrived,
                       fmt("answered, up %s, but no RTP seen in either direction%s", seconds(up_ns).c_str(),
                           announced ? " although the SDP announced media"
                                     : "; no SDP media address was seen either (media may bypass the box)")));
    return;
  }
  if (seen_a != seen_b) {
    int silent = seen_a ? api::kMediaCalleeToCaller : api::kMediaCallerToCallee;
    int heard = 1 - silent;
    if (!(r.media[silent].flags & api::kMediaOnHold)) {
      out.push_back(make(Verdict::one_way_audio,
                         fmt("RTP flowed %s (%u packets) but never %s: the %s could not hear the %s",
                             direction_label(r, heard).c_str(), r.media[heard].packets,
                             direction_label(r, silent).c_str(), silent == api::kMediaCalleeToCaller ? "caller" : "callee",
                             silent == api::kMediaCalleeToCaller ? "callee" : "caller")));
    }
  }
  std::string bad;
  for (int i : {api::kMediaCallerToCallee, api::kMediaCalleeToCaller}) {
    const auto& m = r.media[i];
    if (!media_seen(m)) continue;
    double mos = m.mos_x100 / 100.0, loss = media_loss_pct(m), jitter = m.jitter_us / 1000.0,
           max_jitter = m.max_jitter_us / 1000.0;
    std::string why;
    if (m.mos_x100 && mos < o.mos_min) why += fmt("MOS %.2f < %.1f", mos, o.mos_min);
    if (loss > o.loss_max_pct) why += fmt("%sloss %.1f %% > %.1f %%", why.empty() ? "" : ", ", loss, o.loss_max_pct);
    // The running RFC 3550 estimate, not the worst instant: one scheduling
    // hiccup spikes the maximum without the call sounding bad.
    if (jitter > o.jitter_max_ms)
      why += fmt("%sjitter %.0f ms > %.0f ms (peak %.0f ms)", why.empty() ? "" : ", ", jitter, o.jitter_max_ms,
                 std::max(jitter, max_jitter));
    if (!why.empty()) bad += (bad.empty() ? "" : "; ") + direction_label(r, i) + ": " + why;
  }
  if (!bad.empty()) out.push_back(make(Verdict::poor_quality, bad));
}

void transfer_findings(const api::CallRecordWire& r, std::vector<Finding>& out) {
  auto kind = TransferKind(r.transfer_kind);
  if (kind != TransferKind::refer || TransferResult(r.transfer_result) != TransferResult::failed) return;
  std::string target = r.transfer_target[0] ? field(r.transfer_target) : std::string("the target");
  if (r.transfer_code >= 300)
    out.push_back(make(Verdict::transfer_failed,
                       "transfer (REFER) to " + target + " failed with " + code_text(r.transfer_code) + ": " +
                           code_info(r.transfer_code)->meaning +
                           (r.transfer_code == 403 || r.transfer_code == 405 || r.transfer_code == 501
                                ? " (REFER refused: the carrier may not allow transfers on this trunk)"
                                : " (the REFER's answer or the target's, from NOTIFY sipfrag)")));
  else
    out.push_back(make(Verdict::transfer_failed, "transfer (REFER) to " + target + " failed without a final code"));
}

// The dialog: the answer's ACK and the BYE's response.
void dialog_findings(const api::CallRecordWire& r, const Options& o, std::vector<Finding>& out) {
  if (r.ok_retransmissions > o.ok_resends_max || (r.ok_retransmissions && !r.ack_ns))
    out.push_back(make(Verdict::ack_missing,
                       fmt("the far end resent its %s %u times after the answer; %s",
                           r.final_code == 200 ? "200 OK" : std::to_string(r.final_code).c_str(),
                           r.ok_retransmissions,
                           r.ack_ns ? fmt("the PBX's ACK passed the box %.0f ms after the answer but did not reach it",
                                          double(r.ack_ns - r.answer_ns) / 1e6)
                                          .c_str()
                                    : "no ACK was seen at all")));
  if (r.bye_code >= 300) {
    const CodeInfo* ci = code_info(r.bye_code);
    out.push_back(make(Verdict::bye_failed,
                       fmt("the %s's BYE was answered %s%s", party_name(Party(r.hangup)), code_text(r.bye_code).c_str(),
                           r.bye_code == 404 || r.bye_code == 481
                               ? ": the far end no longer knew the dialog"
                               : (ci ? std::string(": ") + ci->meaning : std::string()).c_str())));
  }
}

std::vector<Finding> diagnose_one(const api::CallRecordWire& r, const Options& o) {
  std::vector<Finding> out;
  if (r.version != api::kCallRecordVersion) {
    out.push_back(make(Verdict::unknown, fmt("record version %u, this software reads %u", r.version,
                                             api::kCallRecordVersion)));
    return out;
  }
  const auto state = CallState(r.state);
  if (state == CallState::calling || state == CallState::ringing) {
    uint64_t age = o.now_ns > r.invite_ns ? o.now_ns - r.invite_ns : 0;
    std::string since = age ? ", dialled " + seconds(age) + " ago" : std::string();
    out.push_back(make(Verdict::in_progress, state == CallState::ringing
                                                 ? fmt("ringing (first 18x after %d ms)%s", r.pdd_ms, since.c_str())
                                                 : "INVITE sent, no ringing yet" + since));
    return out;
  }
  if (state != CallState::answered && state != CallState::ended) {
    out.push_back(setup_finding(r, o));
    return out;
  }
  media_findings(r, o, out);
  transfer_findings(r, out);
  dialog_findings(r, o, out);
  if (r.ended_by_timer) out.push_back(make(Verdict::ended_by_timer, "answered, then no BYE: ended by the idle timer"));
  if (out.empty()) {
    uint64_t until = r.end_ns ? r.end_ns : o.now_ns;
    std::string talk = until > r.answer_ns ? seconds(until - r.answer_ns) : std::string("?");
    std::string how = state == CallState::answered
                          ? "up for " + talk + " so far"
                          : "talked " + talk + ", " + party_name(Party(r.hangup)) + " hung up";
    std::string xfer;
    if (TransferKind(r.transfer_kind) == TransferKind::refer &&
        TransferResult(r.transfer_result) == TransferResult::succeeded)
      xfer = ", transferred to " + (r.transfer_target[0] ? field(r.transfer_target) : std::string("the target"));
    out.push_back(make(Verdict::ok, "answered (" + code_text(r.final_code) + ")" +
                                        (r.pdd_ms >= 0 ? fmt(", rang after %d ms", r.pdd_ms) : std::string()) + ", " +
                                        how + xfer));
  }
  // Worst first; rules above already run in the order that matters.
  std::stable_sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) {
    return verdict_severity(a.verdict) > verdict_severity(b.verdict);
  });
  return out;
}

}  // namespace

const char* verdict_name(Verdict v) { return size_t(v) < size_t(Verdict::count_) ? kVerdicts[size_t(v)].name : "?"; }
const char* verdict_summary(Verdict v) {
  return size_t(v) < size_t(Verdict::count_) ? kVerdicts[size_t(v)].summary : "?";
}
const char* verdict_advice(Verdict v) {
  return size_t(v) < size_t(Verdict::count_) ? kVerdicts[size_t(v)].advice : "";
}
int verdict_severity(Verdict v) { return size_t(v) < size_t(Verdict::count_) ? kVerdicts[size_t(v)].severity : 1; }

const CodeInfo* code_info(uint16_t code) {
  for (const CodeInfo& c : kCodes)
    if (c.code == code) return &c;
  for (const CodeInfo& c : kClasses)
    if (code >= c.code && code < c.code + 100) return &c;
  return nullptr;
}

bool looks_national(std::string_view d, int international_min_digits) {
  if (d.empty() || d.front() == '+' || d.substr(0, 2) == "00") return false;
  size_t digits = 0;
  for (char c : d) {
    if (c >= '0' && c <= '9') ++digits;
    else if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')') return false;  // not a phone number
  }
  return digits > 6 && int(digits) < international_min_digits;
}

double media_loss_pct(const api::CallMediaWire& m) {
  if (m.expected == 0 || m.lost <= 0) return 0;
  return 100.0 * double(m.lost) / double(m.expected);
}

std::string direction_label(const api::CallRecordWire& r, int i) {
  bool outbound = CallDirection(r.direction) == CallDirection::outbound;
  // Outbound: the caller is on the LAN (PBX), the callee behind the trunk.
  bool from_pbx = (i == api::kMediaCallerToCallee) == outbound;
  return from_pbx ? "PBX -> carrier" : "carrier -> PBX";
}

std::string Diagnosis::text() const {
  std::string s;
  for (const Finding& f : findings)
    s += std::string(verdict_name(f.verdict)) + ": " + f.explanation + " | " + f.advice + "\n";
  return s;
}

Diagnosis diagnose(std::span<const api::CallRecordWire> attempts, const Options& o) {
  Diagnosis d;
  if (attempts.empty()) {
    d.findings.push_back(make(Verdict::unknown, "no record of this call"));
    return d;
  }
  const api::CallRecordWire& last = attempts.back();
  d.call_id = field(last.call_id);
  d.live = last.end_ns == 0 && call_state_live(CallState(last.state));
  d.findings = diagnose_one(last, o);
  for (size_t i = 0; i + 1 < attempts.size(); ++i) {
    std::vector<Finding> earlier = diagnose_one(attempts[i], o);
    Finding f = earlier.front();
    f.explanation = fmt("earlier attempt %zu: ", i + 1) + f.explanation;
    d.findings.push_back(std::move(f));
  }
  d.verdict = d.findings.front().verdict;
  return d;
}

}  // namespace tg::diag
