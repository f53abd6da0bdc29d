#include "control/diagnose/diagnose.hpp"

#include <cstring>
#include <string>

#include "dataplane/core/call_table.hpp"

#include <CppUTest/TestHarness.h>  // last: its new/delete macros break std headers

using namespace tg;
using namespace tg::diag;

namespace {

constexpr uint64_t kMs = 1'000'000ull;
constexpr uint64_t T0 = 1000 * 1000 * kMs;  // 1000 s on the monotonic clock

template <size_t N>
void put(char (&dst)[N], const char* s) {
  std::strncpy(dst, s, N - 1);
}

// A settled outbound call (PBX -> carrier) as the fast path writes it.
api::CallRecordWire record(CallState state, uint16_t code) {
  api::CallRecordWire r{};
  r.version = api::kCallRecordVersion;
  r.state = uint8_t(state);
  r.direction = uint8_t(CallDirection::outbound);
  r.uplink = 0;
  r.trunk = 0;
  r.final_code = code;
  r.reason_cause = -1;
  r.pdd_ms = -1;
  r.srd_ms = -1;
  r.invite_ns = T0;
  r.end_ns = T0 + 3000 * kMs;
  put(r.call_id, "a84b4c76e66710@pbx.example.net");
  put(r.from_user, "+4930123456");
  put(r.to_user, "+4940999888");
  return r;
}

void media(api::CallRecordWire& r, int dir, uint32_t packets, uint16_t mos_x100, int32_t lost = 0,
           uint32_t jitter_us = 2000) {
  auto& m = r.media[dir];
  m.flags = api::kMediaAnnounced | (packets ? api::kMediaSeen : 0);
  m.packets = packets;
  m.expected = packets + uint32_t(lost > 0 ? lost : 0);
  m.lost = lost;
  m.jitter_us = jitter_us;
  m.max_jitter_us = jitter_us;
  m.mos_x100 = mos_x100;
}

// Answered at +1 s, ended at +31 s, audio both ways, good quality.
api::CallRecordWire answered() {
  api::CallRecordWire r = record(CallState::ended, 200);
  r.pdd_ms = 120;
  r.srd_ms = 120;
  r.answer_ns = T0 + 1000 * kMs;
  r.end_ns = T0 + 31000 * kMs;
  r.hangup = uint8_t(Party::caller);
  media(r, api::kMediaCallerToCallee, 1500, 440);
  media(r, api::kMediaCalleeToCaller, 1500, 438);
  return r;
}

bool mentions(const Diagnosis& d, const char* word) {
  return d.main().explanation.find(word) != std::string::npos || d.main().advice.find(word) != std::string::npos;
}

}  // namespace

TEST_GROUP(Diagnose){};

TEST(Diagnose, CompletedCallIsOk) {
  Diagnosis d = diagnose(answered());
  CHECK_EQUAL(int(Verdict::ok), int(d.verdict));
  CHECK_EQUAL(1u, d.findings.size());
  CHECK_TRUE(mentions(d, "talked 30.0 s"));
  CHECK_TRUE(mentions(d, "caller hung up"));
  CHECK_FALSE(d.live);
}

TEST(Diagnose, RingingCallIsInProgress) {
  api::CallRecordWire r = record(CallState::ringing, 0);
  r.end_ns = 0;
  r.pdd_ms = 900;
  Options o;
  o.now_ns = T0 + 5000 * kMs;
  Diagnosis d = diagnose(r, o);
  CHECK_EQUAL(int(Verdict::in_progress), int(d.verdict));
  CHECK_TRUE(d.live);
  CHECK_TRUE(mentions(d, "dialled 5.0 s ago"));
}

TEST(Diagnose, RangButNoFinalIsNoAnswer) {
  api::CallRecordWire r = record(CallState::timeout, 0);
  r.pdd_ms = 800;
  r.srd_ms = 800;
  r.end_ns = T0 + 180000 * kMs;
  Diagnosis d = diagnose(r);
  CHECK_EQUAL(int(Verdict::no_answer), int(d.verdict));
  CHECK_TRUE(mentions(d, "nobody answered within 180.0 s"));
}

TEST(Diagnose, TemporarilyUnavailableIsNoAnswer) {
  Diagnosis d = diagnose(record(CallState::rejected, 480));
  CHECK_EQUAL(int(Verdict::no_answer), int(d.verdict));
  CHECK_TRUE(mentions(d, "480 Temporarily Unavailable"));
}

TEST(Diagnose, NoResponseAtAllIsSetupTimeout) {
  api::CallRecordWire r = record(CallState::timeout, 0);
  r.retransmissions = 6;
  r.end_ns = T0 + 32000 * kMs;
  Diagnosis d = diagnose(r);
  CHECK_EQUAL(int(Verdict::setup_timeout), int(d.verdict));
  CHECK_TRUE(mentions(d, "no response at all"));
  CHECK_TRUE(mentions(d, "6 retransmissions"));
  CHECK_TRUE(mentions(d, "test trunk"));
}

TEST(Diagnose, RequestTimeout408WithoutRingingIsSetupTimeout) {
  api::CallRecordWire r = record(CallState::failed, 408);
  r.srd_ms = 30;  // a 100rel 183-less path: the network answered, the callee never rang
  Diagnosis d = diagnose(r);
  CHECK_EQUAL(int(Verdict::setup_timeout), int(d.verdict));
  CHECK_TRUE(mentions(d, "408 Request Timeout"));
}

TEST(Diagnose, CancelledByCaller) {
  api::CallRecordWire r = record(CallState::cancelled, 487);
  r.pdd_ms = 2500;
  r.end_ns = T0 + 20000 * kMs;
  Diagnosis d = diagnose(r);
  CHECK_EQUAL(int(Verdict::cancelled), int(d.verdict));
  CHECK_TRUE(mentions(d, "caller hung up after 20.0 s"));
  CHECK_TRUE(mentions(d, "2500 ms"));
}

TEST(Diagnose, BusyHere) {
  Diagnosis d = diagnose(record(CallState::busy, 486));
  CHECK_EQUAL(int(Verdict::busy), int(d.verdict));
  CHECK_TRUE(mentions(d, "486 Busy Here"));
  CHECK_EQUAL(1, verdict_severity(d.verdict));  // not a failure of the trunk
}

TEST(Diagnose, ServiceUnavailableWithRetryAfterIsBusyNotFailure) {
  // The fast path classifies 503 + Retry-After as busy, 503 alone as failed.
  Diagnosis busy = diagnose(record(CallState::busy, 503));
  CHECK_EQUAL(int(Verdict::busy), int(busy.verdict));
  CHECK_TRUE(mentions(busy, "congested"));
  Diagnosis failed = diagnose(record(CallState::failed, 503));
  CHECK_EQUAL(int(Verdict::carrier_failure), int(failed.verdict));
  CHECK_TRUE(mentions(failed, "503 Service Unavailable"));
}

TEST(Diagnose, ServerErrorsAreCarrierFailures) {
  for (uint16_t code : {500, 502, 504, 599}) {
    Diagnosis d = diagnose(record(code == 599 ? CallState::rejected : CallState::failed, code));
    CHECK_EQUAL_TEXT(int(Verdict::carrier_failure), int(d.verdict), std::to_string(code).c_str());
    CHECK_EQUAL(2, verdict_severity(d.verdict));
  }
  CHECK_TRUE(mentions(diagnose(record(CallState::rejected, 599)), "Server Error"));
}

TEST(Diagnose, DeclinedByCallee) {
  Diagnosis d = diagnose(record(CallState::rejected, 603));
  CHECK_EQUAL(int(Verdict::declined), int(d.verdict));
}

TEST(Diagnose, NotFoundWithE164NumberIsNumberFormatWithoutCountryCodeHint) {
  Diagnosis d = diagnose(record(CallState::rejected, 404));
  CHECK_EQUAL(int(Verdict::number_format), int(d.verdict));
  CHECK_TRUE(mentions(d, "404 Not Found"));
  CHECK_FALSE(mentions(d, "country code?"));
}

TEST(Diagnose, NationalNumberWithoutCountryCodeIsFlagged) {
  for (uint16_t code : {404, 484, 485, 604}) {
    api::CallRecordWire r = record(CallState::rejected, code);
    put(r.to_user, "030123456");
    Diagnosis d = diagnose(r);
    CHECK_EQUAL_TEXT(int(Verdict::number_format), int(d.verdict), std::to_string(code).c_str());
    CHECK_TRUE_TEXT(mentions(d, "missing country code?"), d.text().c_str());
    CHECK_TRUE(d.main().advice.find("'030123456'") != std::string::npos);
  }
}

TEST(Diagnose, LooksNational) {
  CHECK_TRUE(looks_national("030123456"));
  CHECK_TRUE(looks_national("2125551234"));
  CHECK_FALSE(looks_national("+4930123456"));
  CHECK_FALSE(looks_national("004930123456"));
  CHECK_FALSE(looks_national("4930123456789"));  // long enough to carry a country code
  CHECK_FALSE(looks_national("1234"));            // extension / service code
  CHECK_FALSE(looks_national("alice"));
  CHECK_FALSE(looks_national(""));
}

TEST(Diagnose, ForbiddenIsPermission) {
  api::CallRecordWire r = record(CallState::rejected, 403);
  put(r.to_user, "030123456");  // no country-code hint for a 403
  Diagnosis d = diagnose(r);
  CHECK_EQUAL(int(Verdict::permission), int(d.verdict));
  CHECK_TRUE(mentions(d, "403 Forbidden"));
  CHECK_TRUE(mentions(d, "barred destinations"));
  CHECK_FALSE(mentions(d, "country code?"));
}

TEST(Diagnose, UnansweredChallengeIsAuthentication) {
  Diagnosis d = diagnose(record(CallState::rejected, 407));
  CHECK_EQUAL(int(Verdict::authentication), int(d.verdict));
  CHECK_TRUE(mentions(d, "password"));
}

TEST(Diagnose, NotAcceptableHereIsCodecMismatch) {
  Diagnosis d = diagnose(record(CallState::rejected, 488));
  CHECK_EQUAL(int(Verdict::codec_mismatch), int(d.verdict));
}

TEST(Diagnose, OtherClientErrorsByClass) {
  Diagnosis d = diagnose(record(CallState::rejected, 499));
  CHECK_EQUAL(int(Verdict::client_error), int(d.verdict));
  CHECK_TRUE(mentions(d, "final response 499 (Client Error)"));
  Diagnosis bad = diagnose(record(CallState::rejected, 400));
  CHECK_EQUAL(int(Verdict::client_error), int(bad.verdict));
  CHECK_TRUE(mentions(bad, "400 Bad Request"));
}

TEST(Diagnose, GlobalFailureByClass) {
  Diagnosis d = diagnose(record(CallState::rejected, 699));
  CHECK_EQUAL(int(Verdict::global_failure), int(d.verdict));
}

TEST(Diagnose, AnsweredWithoutRtpIsMediaNeverArrived) {
  api::CallRecordWire r = answered();
  r.media[0] = {};
  r.media[1] = {};
  r.media[0].flags = api::kMediaAnnounced;
  Diagnosis d = diagnose(r);
  CHECK_EQUAL(int(Verdict::media_never_arrived), int(d.verdict));
  CHECK_TRUE(mentions(d, "no RTP seen in either direction although the SDP announced media"));
}

TEST(Diagnose, LiveCallJustAnsweredIsNotJudgedYet) {
  api::CallRecordWire r = answered();
  r.state = uint8_t(CallState::answered);
  r.end_ns = 0;
  r.media[0] = {};
  r.media[1] = {};
  Options o;
  o.now_ns = r.answer_ns + 500 * kMs;
  CHECK_EQUAL(int(Verdict::ok), int(diagnose(r, o).verdict));
  o.now_ns = r.answer_ns + 5000 * kMs;
  Diagnosis later = diagnose(r, o);
  CHECK_EQUAL(int(Verdict::media_never_arrived), int(later.verdict));
  CHECK_TRUE(later.live);
}

TEST(Diagnose, OneDirectionOnlyIsOneWayAudio) {
  api::CallRecordWire r = answered();
  r.media[api::kMediaCalleeToCaller] = {};
  r.media[api::kMediaCalleeToCaller].flags = api::kMediaAnnounced;
  Diagnosis d = diagnose(r);
  CHECK_EQUAL(int(Verdict::one_way_audio), int(d.verdict));
  CHECK_TRUE_TEXT(mentions(d, "RTP flowed PBX -> carrier (1500 packets) but never carrier -> PBX"), d.text().c_str());
  CHECK_TRUE(mentions(d, "the caller could not hear the callee"));
}

TEST(Diagnose, OneWayOnInboundCallNamesTheRightSide) {
  api::CallRecordWire r = answered();
  r.direction = uint8_t(CallDirection::inbound);
  r.media[api::kMediaCallerToCallee] = {};
  Diagnosis d = diagnose(r);
  CHECK_EQUAL(int(Verdict::one_way_audio), int(d.verdict));
  CHECK_TRUE_TEXT(mentions(d, "flowed PBX -> carrier"), d.text().c_str());
  CHECK_TRUE(mentions(d, "never carrier -> PBX"));
  CHECK_TRUE(mentions(d, "the callee could not hear the caller"));
}

TEST(Diagnose, HeldDirectionIsNotOneWayAudio) {
  api::CallRecordWire r = answered();
  r.media[api::kMediaCalleeToCaller] = {};
  r.media[api::kMediaCalleeToCaller].flags = api::kMediaAnnounced | api::kMediaOnHold;
  CHECK_EQUAL(int(Verdict::ok), int(diagnose(r).verdict));
}

TEST(Diagnose, LowMosLossOrJitterIsPoorQuality) {
  api::CallRecordWire low = answered();
  low.media[api::kMediaCalleeToCaller].mos_x100 = 310;
  Diagnosis d = diagnose(low);
  CHECK_EQUAL(int(Verdict::poor_quality), int(d.verdict));
  CHECK_TRUE_TEXT(mentions(d, "carrier -> PBX: MOS 3.10 < 3.6"), d.text().c_str());

  api::CallRecordWire lossy = answered();
  media(lossy, api::kMediaCallerToCallee, 1470, 400, 30);  // 2 %
  Diagnosis l = diagnose(lossy);
  CHECK_EQUAL(int(Verdict::poor_quality), int(l.verdict));
  CHECK_TRUE_TEXT(mentions(l, "loss 2.0 % > 1.0 %"), l.text().c_str());

  api::CallRecordWire jittery = answered();
  media(jittery, api::kMediaCalleeToCaller, 1500, 400, 0, 45000);
  Diagnosis j = diagnose(jittery);
  CHECK_EQUAL(int(Verdict::poor_quality), int(j.verdict));
  CHECK_TRUE_TEXT(mentions(j, "jitter 45 ms > 30 ms (peak 45 ms)"), j.text().c_str());
  api::CallRecordWire spike = answered();
  spike.media[api::kMediaCalleeToCaller].max_jitter_us = 130000;  // one stall, jitter estimate back to 2 ms
  CHECK_EQUAL(int(Verdict::ok), int(diagnose(spike).verdict));

  Options lenient;
  lenient.mos_min = 3.0;
  CHECK_EQUAL(int(Verdict::ok), int(diagnose(low, lenient).verdict));
}

TEST(Diagnose, ReferRefusedIsTransferFailed) {
  api::CallRecordWire r = answered();
  r.transfer_kind = uint8_t(TransferKind::refer);
  r.transfer_result = uint8_t(TransferResult::failed);
  r.transfer_code = 403;
  put(r.transfer_target, "sip:+4940111222@carrier.example.net");
  Diagnosis d = diagnose(r);
  CHECK_EQUAL(int(Verdict::transfer_failed), int(d.verdict));
  CHECK_TRUE(mentions(d, "REFER refused"));
  CHECK_TRUE(mentions(d, "sip:+4940111222@carrier.example.net"));
}

TEST(Diagnose, SipfragFailureIsTransferFailed) {
  api::CallRecordWire r = answered();
  r.transfer_kind = uint8_t(TransferKind::refer);
  r.transfer_result = uint8_t(TransferResult::failed);
  r.transfer_code = 486;
  Diagnosis d = diagnose(r);
  CHECK_EQUAL(int(Verdict::transfer_failed), int(d.verdict));
  CHECK_TRUE(mentions(d, "486 Busy Here"));
  CHECK_TRUE(mentions(d, "NOTIFY sipfrag"));
}

TEST(Diagnose, RedirectNotAnsweredIsTransferFailed) {
  api::CallRecordWire r = record(CallState::redirected, 302);
  r.transfer_kind = uint8_t(TransferKind::redirect);
  r.transfer_result = uint8_t(TransferResult::failed);
  r.transfer_code = 480;
  put(r.transfer_target, "sip:+4989777@carrier.example.net");
  Diagnosis d = diagnose(r);
  CHECK_EQUAL(int(Verdict::transfer_failed), int(d.verdict));
  CHECK_TRUE_TEXT(mentions(d, "302 Moved Temporarily to sip:+4989777"), d.text().c_str());
  CHECK_TRUE(mentions(d, "480 Temporarily Unavailable"));

  r.transfer_result = uint8_t(TransferResult::pending);
  CHECK_TRUE(mentions(diagnose(r), "did not follow"));
  r.transfer_result = uint8_t(TransferResult::succeeded);
  CHECK_EQUAL(int(Verdict::ok), int(diagnose(r).verdict));
}

TEST(Diagnose, NoByeIsEndedByTimer) {
  api::CallRecordWire r = answered();
  r.ended_by_timer = 1;
  r.hangup = uint8_t(Party::none);
  Diagnosis d = diagnose(r);
  CHECK_EQUAL(int(Verdict::ended_by_timer), int(d.verdict));
}

TEST(Diagnose, SeveralFindingsWorstFirst) {
  api::CallRecordWire r = answered();
  r.media[api::kMediaCallerToCallee].mos_x100 = 300;  // poor (severity 1)
  r.transfer_kind = uint8_t(TransferKind::refer);
  r.transfer_result = uint8_t(TransferResult::failed);
  r.transfer_code = 404;  // failed transfer (severity 2)
  Diagnosis d = diagnose(r);
  CHECK_EQUAL(2u, d.findings.size());
  CHECK_EQUAL(int(Verdict::transfer_failed), int(d.verdict));
  CHECK_EQUAL(int(Verdict::poor_quality), int(d.findings[1].verdict));
}

TEST(Diagnose, EarlierAttemptsAreListedAfterTheLast) {
  api::CallRecordWire first = record(CallState::rejected, 404);
  api::CallRecordWire second = answered();
  api::CallRecordWire both[] = {first, second};
  Diagnosis d = diagnose(both);
  CHECK_EQUAL(int(Verdict::ok), int(d.verdict));
  CHECK_EQUAL(2u, d.findings.size());
  CHECK_EQUAL(int(Verdict::number_format), int(d.findings[1].verdict));
  CHECK_TRUE(d.findings[1].explanation.rfind("earlier attempt 1: ", 0) == 0);
}

TEST(Diagnose, UnknownVersionOrNothingIsUnknown) {
  api::CallRecordWire r = answered();
  r.version = 99;
  CHECK_EQUAL(int(Verdict::unknown), int(diagnose(r).verdict));
  CHECK_EQUAL(int(Verdict::unknown), int(diagnose(std::span<const api::CallRecordWire>()).verdict));
}

TEST(Diagnose, CodeTableCoversClasses) {
  CHECK_TRUE(code_info(100) == nullptr);
  STRCMP_EQUAL("Busy Here", code_info(486)->phrase);
  STRCMP_EQUAL("Server Error", code_info(555)->phrase);
  for (size_t v = 0; v < size_t(Verdict::count_); ++v) {
    CHECK_TRUE(std::strlen(verdict_summary(Verdict(v))) > 0);
    CHECK_TRUE(std::strlen(verdict_advice(Verdict(v))) > 0);
  }
}

TEST(Diagnose, ByeAnsweredNotFoundIsAFailedHangUp) {
  api::CallRecordWire r = answered();
  r.ack_ns = r.answer_ns + 10 * kMs;
  r.bye_code = 404;
  Diagnosis d = diagnose(r);
  STRCMP_EQUAL("bye_failed", verdict_name(d.verdict));
  CHECK(mentions(d, "404 Not Found"));
  CHECK(mentions(d, "no longer knew the dialog"));
  CHECK(mentions(d, "billed"));
}

TEST(Diagnose, ByeAnswered200IsFine) {
  api::CallRecordWire r = answered();
  r.ack_ns = r.answer_ns + 10 * kMs;
  r.bye_code = 200;
  STRCMP_EQUAL("ok", verdict_name(diagnose(r).verdict));
}

TEST(Diagnose, AnswerResentBecauseTheAckNeverArrived) {
  api::CallRecordWire r = answered();
  r.ok_retransmissions = 6;
  Diagnosis d = diagnose(r);
  STRCMP_EQUAL("ack_missing", verdict_name(d.verdict));
  CHECK(mentions(d, "resent its 200 OK 6 times"));
  CHECK(mentions(d, "no ACK was seen"));
  // The ACK passed the box but got lost beyond it.
  r.ack_ns = r.answer_ns + 40 * kMs;
  d = diagnose(r);
  STRCMP_EQUAL("ack_missing", verdict_name(d.verdict));
  CHECK(mentions(d, "passed the box 40 ms after the answer"));
  // One resend crossing a prompt ACK is normal.
  r.ok_retransmissions = 1;
  STRCMP_EQUAL("ok", verdict_name(diagnose(r).verdict));
}

TEST(Diagnose, HungDialogAndRefusedByeBothReported) {
  api::CallRecordWire r = answered();
  r.ok_retransmissions = 10;
  r.bye_code = 481;
  Diagnosis d = diagnose(r);
  STRCMP_EQUAL("ack_missing", verdict_name(d.verdict));
  LONGS_EQUAL(2, d.findings.size());
  STRCMP_EQUAL("bye_failed", verdict_name(d.findings[1].verdict));
}
