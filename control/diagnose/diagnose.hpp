// Why did a call (or its transfer) fail? A pure function from the fast
// path's per-call record (dataplane/api/calls.hpp) to a verdict, an
// explanation a technician can read out to the customer, and advice on what
// to check. Used by `diagnose call CALL-ID` (controld, and tg-cli when the
// daemon is down) and stored with every CDR so exports say why.
//
// Table-driven: the verdicts (with their advice) are one X-macro list, the
// SIP response codes (with their meaning and verdict) one table. The rules
// that pick a verdict run in a fixed order: setup outcome first (what the
// network or the callee answered), then, for answered calls, media (never
// arrived, one way, quality), the transfer, then the dialog itself (ACK of
// the answer, the BYE's response).
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/api/calls.hpp"

namespace tg::diag {

//  name, severity (0 fine, 1 worth a look, 2 the call failed), summary, advice
#define TG_CALL_VERDICTS(X)                                                                                       \
  X(ok, 0, "call completed normally", "nothing to do")                                                            \
  X(in_progress, 0, "call still being set up", "wait for the outcome, then diagnose again")                       \
  X(no_answer, 2, "nobody answered",                                                                              \
    "the callee did not pick up or is unreachable; try again later or check the callee's phone")                  \
  X(setup_timeout, 2, "setup timed out: no final answer from the network",                                        \
    "check that the trunk's SBC is reachable over the uplink (show trunks, test trunk NAME) and that SIP "        \
    "is not blocked or NATed away")                                                                               \
  X(cancelled, 1, "cancelled by the caller before the answer",                                                    \
    "the caller hung up while it rang; a long post-dial delay makes callers give up: compare with show trunks "   \
    "PDD")                                                                                                        \
  X(busy, 1, "callee or carrier busy", "the callee was busy or the carrier had no capacity (with Retry-After); " \
    "a high busy ratio on one trunk means congestion, not an outage")                                             \
  X(declined, 1, "callee declined the call", "the called party rejected it; nothing wrong on the trunk")         \
  X(number_format, 2, "number unknown or badly formatted",                                                        \
    "check the dialled number; send it in E.164 form (+country code, number) or fix the PBX's number "            \
    "normalisation for this trunk")                                                                               \
  X(permission, 2, "the carrier refused the call (403 Forbidden)",                                                \
    "the trunk account may not call this destination or from this calling number: check the carrier "           \
    "contract (barred destinations, premium/international), the From/P-Asserted-Identity number and the "        \
    "trunk's credentials")                                                                                        \
  X(authentication, 2, "authentication failed",                                                                   \
    "the carrier challenged the call and the PBX did not answer it with valid credentials: check the trunk "     \
    "user name and password on the PBX")                                                                          \
  X(codec_mismatch, 2, "no common codec or media format",                                                         \
    "the two sides share no codec or SDP the other accepts: compare the PBX's codec list with the carrier's")     \
  X(client_error, 2, "the request was refused (4xx)",                                                             \
    "the carrier found something wrong with the call request: see the code's meaning, check the PBX's trunk "    \
    "settings")                                                                                                   \
  X(carrier_failure, 2, "carrier or network failure (5xx)",                                                       \
    "the carrier's side failed, not the callee: if it repeats, check show trunks (ISA) and report it to the "    \
    "carrier with the Call-ID and time")                                                                          \
  X(global_failure, 2, "the call cannot succeed anywhere (6xx)",                                                  \
    "the callee's side said the call cannot be completed anywhere; check the number")                            \
  X(media_never_arrived, 2, "answered, but no audio in either direction",                                        \
    "signalling worked but RTP did not: check firewall/NAT for the RTP port range on the uplink, and the SDP "   \
    "addresses (private address sent to the carrier?)")                                                           \
  X(one_way_audio, 2, "one-way audio",                                                                            \
    "audio flowed only one way: the silent side's RTP is blocked or sent to a wrong address (NAT, SDP c= "       \
    "address, symmetric RTP); check the firewall for that direction")                                             \
  X(poor_quality, 1, "poor voice quality",                                                                        \
    "loss or jitter on the path: check show uplinks (loss, jitter, RTT) for the call's uplink; if the uplink is " \
    "clean, the problem is beyond it (carrier or far end)")                                                       \
  X(transfer_failed, 2, "the transfer failed",                                                                    \
    "the transfer target refused or could not be reached: check the target number and the carrier's support "    \
    "for REFER / redirects")                                                                                      \
  X(bye_failed, 2, "the hang-up (BYE) was refused",                                                              \
    "the far end answered the BYE with an error (404/481: it no longer knew the call): the call may still be "   \
    "up, and billed, at the carrier; report the Call-ID and time to the carrier and check for a dialog left "    \
    "open there")                                                                                                 \
  X(ack_missing, 2, "the answer was never acknowledged (ACK lost)",                                               \
    "the far end kept resending its 200 OK because the ACK never reached it: its dialog hangs until its timer "  \
    "gives up; check the PBX's ACK routing (Record-Route/Contact) and NAT for SIP on the uplink")                 \
  X(ended_by_timer, 1, "call ended without a BYE",                                                                \
    "no BYE was seen: the box ended the call on its idle timer; a BYE lost on the path or an endpoint that "      \
    "vanished (power, network) looks like this")                                                                  \
  X(unknown, 1, "no verdict", "the record does not say enough; look at a capture of the call")

enum class Verdict : uint8_t {
#define TG_X(name, sev, summary, advice) name,
  TG_CALL_VERDICTS(TG_X)
#undef TG_X
      count_
};
const char* verdict_name(Verdict);
const char* verdict_summary(Verdict);
const char* verdict_advice(Verdict);
int verdict_severity(Verdict);  // 0 fine, 1 worth a look, 2 failed

// One SIP final response code: its reason phrase and what it means for the call.
struct CodeInfo {
  uint16_t code;
  const char* phrase;   // RFC 3261 and extensions
  const char* meaning;  // one line for a technician
  Verdict verdict;
};
// The table entry for `code`, or one for its class (4xx, 5xx, 6xx, 3xx);
// nullptr below 300.
const CodeInfo* code_info(uint16_t code);

struct Options {
  double mos_min = 3.6;         // below: poor quality (G.107 "many users dissatisfied")
  double loss_max_pct = 1.0;    // above: poor quality
  double jitter_max_ms = 30.0;  // above: poor quality
  // Media is judged once the call has been up this long (a live call just
  // answered has not had time to send RTP).
  uint32_t media_grace_ms = 2000;
  // The far end resending its 200 OK this often means the ACK did not reach
  // it (once can be an ACK crossing a resend; once without any ACK seen too).
  uint16_t ok_resends_max = 1;
  // Digits of an international number (country code + national number) are
  // at least this many; a shorter digit string without + or 00 looks national.
  int international_min_digits = 11;
  // Now on the fast path's clock, for live calls (0: unknown).
  uint64_t now_ns = 0;
};

struct Finding {
  Verdict verdict = Verdict::unknown;
  std::string explanation;  // what happened, with this call's figures
  std::string advice;       // what to check
};

struct Diagnosis {
  Verdict verdict = Verdict::unknown;   // the main finding's
  std::vector<Finding> findings;        // main first; others (e.g. quality and transfer) after
  bool live = false;
  std::string call_id;
  const Finding& main() const { return findings.front(); }
  // "one_way_audio: audio from carrier ... | advice"; several lines, for logs and tests.
  std::string text() const;
};

// Attempts of one call in time order (several when the Call-ID was reused,
// e.g. a 3xx record then its redirected attempt): each is diagnosed, the
// verdict is the last one's; earlier attempts add a finding each. An empty
// span gives Verdict::unknown.
Diagnosis diagnose(std::span<const api::CallRecordWire> attempts, const Options& o = {});
inline Diagnosis diagnose(const api::CallRecordWire& r, const Options& o = {}) { return diagnose({&r, 1}, o); }

// The dialled number without a country code? "0301234567" yes, "+4930..." /
// "0049..." no; short numbers (<= 6 digits: extensions, service codes) no.
bool looks_national(std::string_view dialled, int international_min_digits = 11);

// Figures from the record, for explanations and tables.
double media_loss_pct(const api::CallMediaWire& m);  // 0 when nothing expected
std::string direction_label(const api::CallRecordWire& r, int media_index);  // "PBX -> carrier" or "carrier -> PBX"

}  // namespace tg::diag
