// Call tracking fed with real SIP text through parse_sip/parse_sdp.
#include "dataplane/core/call_table.hpp"

#include <cmath>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

// After the standard headers: CppUTest redefines new for leak checks.
#include <CppUTest/TestHarness.h>

using namespace tg;

namespace {

Endpoint ep(const char* ip, uint16_t port) {
  Endpoint e;
  e.addr.parse(ip);
  e.port = port;
  return e;
}

const Endpoint kPbx = ep("198.51.100.10", 5060);
const Endpoint kSbc = ep("203.0.113.5", 5060);

std::string sdp(const char* ip, int port, const char* direction = "sendrecv") {
  return std::string("v=0\r\no=- 1 1 IN IP4 ") + ip + "\r\ns=-\r\nc=IN IP4 " + ip +
         "\r\nt=0 0\r\nm=audio " + std::to_string(port) +
         " RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=ptime:20\r\na=" + direction + "\r\n";
}

// One dialog's identifiers; builders write messages as a UA would.
struct Dialog {
  std::string call_id = "a84b4c76e66710@198.51.100.10";
  std::string caller_tag = "1928301774";
  std::string callee_tag = "a6c85cf";
  std::string target = "sip:+4930123456@203.0.113.5";
};

std::string with_body(std::string head, const std::string& body, const char* type) {
  if (!body.empty()) head += std::string("Content-Type: ") + type + "\r\n";
  head += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return head;
}

// A request; from_caller selects the direction (From/To swap for the callee).
std::string request(const Dialog& d, const char* method, uint32_t cseq, bool from_caller = true,
                    bool in_dialog = true, const std::string& extra = "", const std::string& body = "",
                    const char* type = "application/sdp", const std::string& branch = "") {
  std::string caller = "<sip:+4989111@198.51.100.10>;tag=" + d.caller_tag;
  std::string callee = "<" + d.target + ">" + (in_dialog ? ";tag=" + d.callee_tag : "");
  std::string br = branch.empty() ? "z9hG4bK" + std::to_string(cseq) + method : branch;
  std::string s = std::string(method) + " " + (from_caller ? d.target : "sip:+4989111@198.51.100.10") +
                  " SIP/2.0\r\n"
                  "Via: SIP/2.0/UDP " + (from_caller ? "198.51.100.10:5060" : "203.0.113.5:5060") +
                  ";branch=" + br + "\r\n"
                  "Max-Forwards: 70\r\n"
                  "From: " + (from_caller ? caller : callee) + "\r\n"
                  "To: " + (from_caller ? callee : caller) + "\r\n"
                  "Call-ID: " + d.call_id + "\r\n"
                  "CSeq: " + std::to_string(cseq) + " " + method + "\r\n"
                  "Contact: <sip:pbx@198.51.100.10>\r\n" + extra;
  return with_body(s, body, type);
}

// A response to a request of `from_caller` direction; to_tag "" for none.
std::string response(const Dialog& d, int code, const char* reason, const char* method, uint32_t cseq,
                     const std::string& to_tag, bool from_caller = true, const std::string& extra = "",
                     const std::string& body = "") {
  std::string caller = "<sip:+4989111@198.51.100.10>;tag=" + d.caller_tag;
  std::string callee = "<" + d.target + ">" + (to_tag.empty() ? "" : ";tag=" + to_tag);
  std::string s = "SIP/2.0 " + std::to_string(code) + " " + reason + "\r\n"
                  "Via: SIP/2.0/UDP 198.51.100.10:5060;branch=z9hG4bK" + std::to_string(cseq) + method + "\r\n"
                  "From: " + (from_caller ? caller : callee) + "\r\n"
                  "To: " + (from_caller ? callee : caller) + "\r\n"
                  "Call-ID: " + d.call_id + "\r\n"
                  "CSeq: " + std::to_string(cseq) + " " + method + "\r\n" + extra;
  return with_body(s, body, "application/sdp");
}

std::string invite(const Dialog& d, uint32_t cseq = 1, const std::string& body = sdp("198.51.100.10", 40000)) {
  return request(d, "INVITE", cseq, true, false, "", body);
}

struct Recorder : CallObserver {
  struct Media {
    Party owner;
    bool answer;
    std::string rtp, rtcp;
    MediaDirection direction;
  };
  std::vector<Media> media;
  std::vector<Call> removed;
  void on_media(const MediaAnnouncement& a) override {
    media.push_back({a.owner, a.answer, a.rtp.str(), a.rtcp.str(), a.direction});
  }
  void on_call_removed(const Call& c) override { removed.push_back(c); }
};

constexpr TimeNs ms(uint64_t v) { return v * kNsPerMs; }

struct Fixture {
  Recorder rec;
  CallTable table;
  uint8_t trunk;
  explicit Fixture(CallTableConfig cfg = {}) : table(cfg, &rec) { trunk = table.add_trunk("carrierA", kSbc); }

  // Parses like the inspector does (heap copy of exactly the text: ASan
  // catches any read beyond it) and feeds the table.
  CallRef feed(const std::string& text, TimeNs t, bool to_sbc = true) {
    std::unique_ptr<char[]> buf(new char[text.size()]);
    text.copy(buf.get(), text.size());
    SipMessage m;
    SipStatus st = parse_sip(std::string_view(buf.get(), text.size()), m);
    LONGS_EQUAL_TEXT(int(SipStatus::ok), int(st), text.c_str());
    SdpSession s;
    bool has_sdp = !m.body.empty() && m.content_type.find("sdp") != std::string_view::npos &&
                   parse_sdp(m.body, s) == SdpStatus::ok;
    return table.on_sip(m, has_sdp ? &s : nullptr, to_sbc ? kPbx : kSbc, to_sbc ? kSbc : kPbx, t);
  }
  // A message travelling from the SBC side to the PBX.
  CallRef back(const std::string& text, TimeNs t) { return feed(text, t, false); }

  const Call& call(const Dialog& d = {}) {
    const Call* c = table.find(d.call_id);
    CHECK_TRUE(c != nullptr);
    return *c;
  }
  const TrunkCounters& tc() { return table.trunk(trunk).counters; }
  uint64_t n(TrunkCounter c) { return tc()[c]; }
};

}  // namespace

TEST_GROUP(CallTable){};

TEST(CallTable, AnsweredCallHungUpByCallee) {
  Fixture f;
  Dialog d;
  CallRef ref = f.feed(invite(d), ms(0));
  CHECK_TRUE(ref.valid());
  f.back(response(d, 100, "Trying", "INVITE", 1, ""), ms(20));
  f.back(response(d, 180, "Ringing", "INVITE", 1, d.callee_tag), ms(812));
  f.back(response(d, 200, "OK", "INVITE", 1, d.callee_tag, true, "", sdp("203.0.113.20", 30000)), ms(5000));
  f.feed(request(d, "ACK", 1), ms(5010));
  const Call& c = f.call();
  STRCMP_EQUAL("answered", call_state_name(c.state));
  f.back(request(d, "BYE", 1, false, true, "Reason: Q.850;cause=16;text=\"Normal call clearing\"\r\n"), ms(35000));
  f.feed(response(d, 200, "OK", "BYE", 1, d.caller_tag, false), ms(35020));

  STRCMP_EQUAL("ended", call_state_name(c.state));
  LONGS_EQUAL(200, c.final_code);
  LONGS_EQUAL(812, c.pdd_ms());
  LONGS_EQUAL(812, c.srd_ms());
  LONGS_EQUAL(30000, c.duration_ms());
  STRCMP_EQUAL("callee", party_name(c.hangup));
  LONGS_EQUAL(16, c.reason_cause);
  CHECK_TRUE(c.t_ack == ms(5010));
  STRCMP_EQUAL("+4989111", std::string(c.from_text()).c_str());
  STRCMP_EQUAL("+4930123456", std::string(c.to_text()).c_str());
  STRCMP_EQUAL(d.call_id.c_str(), std::string(c.call_id_text()).c_str());
  STRCMP_EQUAL("198.51.100.10:40000", c.caller_media.str().c_str());
  STRCMP_EQUAL("203.0.113.20:30000", c.callee_media.str().c_str());

  // Offer from the caller, answer from the callee, RTCP on port + 1.
  LONGS_EQUAL(2, f.rec.media.size());
  CHECK_TRUE(f.rec.media[0].owner == Party::caller && !f.rec.media[0].answer);
  STRCMP_EQUAL("198.51.100.10:40001", f.rec.media[0].rtcp.c_str());
  CHECK_TRUE(f.rec.media[1].owner == Party::callee && f.rec.media[1].answer);
  STRCMP_EQUAL("203.0.113.20:30000", f.rec.media[1].rtp.c_str());

  LONGS_EQUAL(1, f.n(TrunkCounter::attempts));
  LONGS_EQUAL(1, f.n(TrunkCounter::answered));
  LONGS_EQUAL(1, f.n(TrunkCounter::completed));
  LONGS_EQUAL(1, f.n(TrunkCounter::hangup_callee));
  LONGS_EQUAL(0, f.n(TrunkCounter::hangup_caller));
  LONGS_EQUAL(30000, f.n(TrunkCounter::duration_sum_ms));
  LONGS_EQUAL(812, f.tc().pdd_max_ms);
  CHECK_TRUE(c.direction == CallDirection::outbound);

  // Lingers for retransmissions, then is reported and freed.
  f.table.expire(ms(35000) + 31 * kNsPerSec);
  LONGS_EQUAL(1, f.table.active());
  f.table.expire(ms(35000) + 33 * kNsPerSec);
  LONGS_EQUAL(0, f.table.active());
  LONGS_EQUAL(1, f.rec.removed.size());
  STRCMP_EQUAL("ended", call_state_name(f.rec.removed[0].state));
  CHECK_TRUE(f.table.get(ref) == nullptr);
}

TEST(CallTable, CallerHangsUpAndInboundDirection) {
  Fixture f;
  Dialog d;
  // The INVITE comes from the SBC: an inbound call on the trunk.
  f.back(invite(d), ms(0));
  f.feed(response(d, 200, "OK", "INVITE", 1, d.callee_tag), ms(100));
  f.back(request(d, "BYE", 2), ms(10100));
  const Call& c = f.call();
  CHECK_TRUE(c.direction == CallDirection::inbound);
  STRCMP_EQUAL("caller", party_name(c.hangup));
  LONGS_EQUAL(1, f.n(TrunkCounter::hangup_caller));
  LONGS_EQUAL(-1, c.pdd_ms());   // no 18x
  LONGS_EQUAL(100, c.srd_ms());  // SRD ends at the 200 when no provisional came
  // Counted in the trunk's inbound figures only (and the total).
  const TrunkInfo& t = f.table.trunk(f.trunk);
  LONGS_EQUAL(1, t.inbound()[TrunkCounter::answered]);
  LONGS_EQUAL(0, t.outbound()[TrunkCounter::attempts]);
  LONGS_EQUAL(1, t.counters[TrunkCounter::attempts]);

  // An outbound call on the same trunk lands in the other half.
  Dialog o;
  o.call_id = "outbound@198.51.100.10";
  f.feed(invite(o), ms(20000));
  f.back(response(o, 486, "Busy Here", "INVITE", 1, "x"), ms(20100));
  LONGS_EQUAL(1, t.outbound()[TrunkCounter::busy]);
  LONGS_EQUAL(0, t.inbound()[TrunkCounter::busy]);
  LONGS_EQUAL(2, t.counters[TrunkCounter::settled]);
  DOUBLES_EQUAL(100.0, trunk_ratios(t.inbound()).asr, 1e-9);
  DOUBLES_EQUAL(0.0, trunk_ratios(t.outbound()).asr, 1e-9);
}

TEST(CallTable, ByeAnsweredWithAnErrorIsKept) {
  Fixture f;
  Dialog d;
  f.feed(invite(d), ms(0));
  f.back(response(d, 200, "OK", "INVITE", 1, d.callee_tag), ms(100));
  f.feed(request(d, "ACK", 1), ms(110));
  f.feed(request(d, "BYE", 2), ms(10100));
  f.back(response(d, 404, "Not Found", "BYE", 2, d.callee_tag), ms(10120));
  const Call& c = f.call();
  STRCMP_EQUAL("ended", call_state_name(c.state));
  LONGS_EQUAL(404, c.bye_code);
  LONGS_EQUAL(0, c.ok_retransmissions);
  // A response to another request is not the BYE's.
  f.back(response(d, 200, "OK", "BYE", 7, d.callee_tag), ms(10130));
  LONGS_EQUAL(404, c.bye_code);
}

TEST(CallTable, AnswerResentWithoutAckIsCounted) {
  Fixture f;
  Dialog d;
  f.feed(invite(d), ms(0));
  f.back(response(d, 200, "OK", "INVITE", 1, d.callee_tag), ms(100));
  // No ACK: the far end resends at 0.5, 1, 2 s ... (RFC 3261 Timer G).
  f.back(response(d, 200, "OK", "INVITE", 1, d.callee_tag), ms(600));
  f.back(response(d, 200, "OK", "INVITE", 1, d.callee_tag), ms(1600));
  f.back(response(d, 200, "OK", "INVITE", 1, d.callee_tag), ms(3600));
  const Call& c = f.call();
  LONGS_EQUAL(3, c.ok_retransmissions);
  CHECK_TRUE(c.t_ack == 0);
  f.feed(request(d, "BYE", 2), ms(10100));
  f.back(response(d, 481, "Call/Transaction Does Not Exist", "BYE", 2, d.callee_tag), ms(10120));
  LONGS_EQUAL(481, c.bye_code);
  LONGS_EQUAL(3, c.ok_retransmissions);
}

TEST(CallTable, BusyHere) {
  Fixture f;
  Dialog d;
  f.feed(invite(d), ms(0));
  f.back(response(d, 486, "Busy Here", "INVITE", 1, d.callee_tag), ms(300));
  f.feed(request(d, "ACK", 1), ms(301));
  const Call& c = f.call();
  STRCMP_EQUAL("busy", call_state_name(c.state));
  LONGS_EQUAL(486, c.final_code);
  LONGS_EQUAL(300, c.srd_ms());
  LONGS_EQUAL(1, f.n(TrunkCounter::busy));
  LONGS_EQUAL(0, f.n(TrunkCounter::failed));
  LONGS_EQUAL(1, f.n(TrunkCounter::seer_effective));
  LONGS_EQUAL(0, f.n(TrunkCounter::isa_ineffective));
}

TEST(CallTable, ServiceUnavailableWithRetryAfterIsBusyWithoutIsFailure) {
  Fixture f;
  Dialog a, b;
  b.call_id = "second@198.51.100.10";
  f.feed(invite(a), ms(0));
  f.back(response(a, 503, "Service Unavailable", "INVITE", 1, "x1", true, "Retry-After: 30\r\n"), ms(50));
  f.feed(invite(b), ms(100));
  f.back(response(b, 503, "Service Unavailable", "INVITE", 1, "x2"), ms(150));
  STRCMP_EQUAL("busy", call_state_name(f.call(a).state));
  STRCMP_EQUAL("failed", call_state_name(f.call(b).state));
  LONGS_EQUAL(1, f.n(TrunkCounter::busy));
  LONGS_EQUAL(1, f.n(TrunkCounter::failed));
  // RFC 6076 4.8 counts every 503 as ineffective, Retry-After or not.
  LONGS_EQUAL(2, f.n(TrunkCounter::isa_ineffective));
  TrunkRatios r = trunk_ratios(f.tc());
  DOUBLES_EQUAL(100.0, r.isa, 1e-9);
  DOUBLES_EQUAL(50.0, r.busy_pct, 1e-9);
  DOUBLES_EQUAL(50.0, r.failure_pct, 1e-9);
}

TEST(CallTable, CancelBeforeAnswer) {
  Fixture f;
  Dialog d;
  f.feed(invite(d), ms(0));
  f.back(response(d, 180, "Ringing", "INVITE", 1, d.callee_tag), ms(400));
  f.feed(request(d, "CANCEL", 1, true, false, "Reason: Q.850;cause=16\r\n"), ms(9000));
  f.feed(request(d, "CANCEL", 1, true, false), ms(9500));  // retransmission
  STRCMP_EQUAL("ringing", call_state_name(f.call().state));
  f.back(response(d, 200, "OK", "CANCEL", 1, d.callee_tag), ms(9010));
  f.back(response(d, 487, "Request Terminated", "INVITE", 1, d.callee_tag), ms(9020));
  const Call& c = f.call();
  STRCMP_EQUAL("cancelled", call_state_name(c.state));
  LONGS_EQUAL(487, c.final_code);
  CHECK_TRUE(c.hangup == Party::none);
  LONGS_EQUAL(1, f.n(TrunkCounter::cancelled));
  LONGS_EQUAL(0, f.n(TrunkCounter::answered));
  LONGS_EQUAL(1, f.table.counter(CallTableCounter::retransmissions));
}

TEST(CallTable, CancelWithoutFinalResponseSettlesByTimer) {
  Fixture f;
  Dialog d;
  f.feed(invite(d), ms(0));
  f.back(response(d, 180, "Ringing", "INVITE", 1, d.callee_tag), ms(400));
  f.feed(request(d, "CANCEL", 1, true, false), ms(2000));
  f.table.expire(ms(2000) + 33 * kNsPerSec);
  STRCMP_EQUAL("cancelled", call_state_name(f.call().state));
  LONGS_EQUAL(1, f.n(TrunkCounter::cancelled));
}

TEST(CallTable, NoResponseTimesOutAtTimerB) {
  Fixture f;
  Dialog d;
  f.feed(invite(d), ms(0));
  f.feed(invite(d), ms(500));   // Timer A retransmissions
  f.feed(invite(d), ms(1500));
  f.table.expire(ms(31999));
  STRCMP_EQUAL("calling", call_state_name(f.call().state));
  f.table.expire(ms(32000));
  const Call& c = f.call();
  STRCMP_EQUAL("timeout", call_state_name(c.state));
  LONGS_EQUAL(0, c.final_code);
  LONGS_EQUAL(1, f.n(TrunkCounter::attempts));
  LONGS_EQUAL(1, f.n(TrunkCounter::timeouts));
  LONGS_EQUAL(1, f.n(TrunkCounter::isa_ineffective));  // a timeout is a 408 (RFC 3261 8.1.3.1)
  LONGS_EQUAL(2, f.table.counter(CallTableCounter::retransmissions));
}

TEST(CallTable, RingingWithoutAnswerTimesOutAtRingingTimer) {
  CallTableConfig cfg;
  cfg.ringing_timeout = 60 * kNsPerSec;
  Fixture f(cfg);
  Dialog d;
  f.feed(invite(d), ms(0));
  f.back(response(d, 100, "Trying", "INVITE", 1, ""), ms(10));
  f.table.expire(ms(40000));  // past Timer B: the 100 stopped it
  STRCMP_EQUAL("calling", call_state_name(f.call().state));
  f.back(response(d, 180, "Ringing", "INVITE", 1, d.callee_tag), ms(1000));
  f.table.expire(ms(60999));
  STRCMP_EQUAL("ringing", call_state_name(f.call().state));
  f.table.expire(ms(61000));
  STRCMP_EQUAL("timeout", call_state_name(f.call().state));
}

namespace {
void answer(Fixture& f, const Dialog& d, TimeNs t) {
  f.feed(invite(d), t);
  f.back(response(d, 180, "Ringing", "INVITE", 1, d.callee_tag), t + ms(100));
  f.back(response(d, 200, "OK", "INVITE", 1, d.callee_tag, true, "", sdp("203.0.113.20", 30000)), t + ms(200));
  f.feed(request(d, "ACK", 1), t + ms(210));
}
std::string sipfrag_notify(const Dialog& d, uint32_t cseq, const char* frag, const char* state) {
  return request(d, "NOTIFY", cseq, false, true,
                 std::string("Event: refer\r\nSubscription-State: ") + state + "\r\n",
                 std::string(frag) + "\r\n", "message/sipfrag;version=2.0");
}
}  // namespace

TEST(CallTable, ReferTransferSucceedsOnSipfrag200) {
  Fixture f;
  Dialog d;
  answer(f, d, 0);
  f.feed(request(d, "REFER", 2, true, true, "Refer-To: <sip:+4940555@203.0.113.5>\r\n"), ms(10000));
  f.back(response(d, 202, "Accepted", "REFER", 2, d.callee_tag), ms(10050));
  const Call& c = f.call();
  STRCMP_EQUAL("accepted", transfer_result_name(c.transfer.result));
  f.back(sipfrag_notify(d, 1, "SIP/2.0 100 Trying", "active;expires=60"), ms(10100));
  STRCMP_EQUAL("trying", transfer_result_name(c.transfer.result));
  f.back(sipfrag_notify(d, 2, "SIP/2.0 200 OK", "terminated;reason=noresource"), ms(14000));
  f.back(sipfrag_notify(d, 2, "SIP/2.0 200 OK", "terminated;reason=noresource"), ms(14500));  // retransmitted
  STRCMP_EQUAL("refer", transfer_kind_name(c.transfer.kind));
  STRCMP_EQUAL("succeeded", transfer_result_name(c.transfer.result));
  LONGS_EQUAL(200, c.transfer.code);
  STRCMP_EQUAL("caller", party_name(c.transfer.by));
  STRCMP_EQUAL("sip:+4940555@203.0.113.5", std::string(c.transfer.target_text()).c_str());
  LONGS_EQUAL(1, f.n(TrunkCounter::transfers));
  LONGS_EQUAL(1, f.n(TrunkCounter::transfers_ok));
  LONGS_EQUAL(0, f.n(TrunkCounter::transfers_failed));
}

TEST(CallTable, ReferTransferFailsOnSipfragBusy) {
  Fixture f;
  Dialog d;
  answer(f, d, 0);
  f.feed(request(d, "REFER", 2, true, true, "Refer-To: <sip:+4940555@203.0.113.5>\r\n"), ms(10000));
  f.back(response(d, 202, "Accepted", "REFER", 2, d.callee_tag), ms(10050));
  f.back(sipfrag_notify(d, 1, "SIP/2.0 486 Busy Here", "terminated;reason=noresource"), ms(12000));
  const Call& c = f.call();
  STRCMP_EQUAL("failed", transfer_result_name(c.transfer.result));
  LONGS_EQUAL(486, c.transfer.code);
  LONGS_EQUAL(1, f.n(TrunkCounter::transfers_failed));
  LONGS_EQUAL(0, f.n(TrunkCounter::transfers_ok));
}

TEST(CallTable, ReferRefusedFails) {
  Fixture f;
  Dialog d;
  answer(f, d, 0);
  f.feed(request(d, "REFER", 2, true, true, "Refer-To: <sip:+4940555@203.0.113.5>\r\n"), ms(10000));
  f.back(response(d, 603, "Decline", "REFER", 2, d.callee_tag), ms(10050));
  STRCMP_EQUAL("failed", transfer_result_name(f.call().transfer.result));
  LONGS_EQUAL(603, f.call().transfer.code);
  LONGS_EQUAL(1, f.n(TrunkCounter::transfers_failed));
}

TEST(CallTable, RedirectFollowedOnSameCallIdSucceeds) {
  Fixture f;
  Dialog d;
  f.feed(invite(d), ms(0));
  f.back(response(d, 302, "Moved Temporarily", "INVITE", 1, "r1", true,
                  "Contact: <sip:+4940999@203.0.113.9>\r\n"), ms(80));
  f.feed(request(d, "ACK", 1, true, false), ms(81));
  const Call& c = f.call();
  STRCMP_EQUAL("redirected", call_state_name(c.state));
  STRCMP_EQUAL("redirect", transfer_kind_name(c.transfer.kind));
  STRCMP_EQUAL("sip:+4940999@203.0.113.9", std::string(c.transfer.target_text()).c_str());
  LONGS_EQUAL(-1, c.srd_ms());  // a 3xx does not end SRD (RFC 6076 4.3)
  Dialog d2 = d;
  d2.target = "sip:+4940999@203.0.113.9";
  f.feed(invite(d2, 2), ms(100));
  STRCMP_EQUAL("calling", call_state_name(c.state));
  f.back(response(d2, 200, "OK", "INVITE", 2, d.callee_tag), ms(900));
  STRCMP_EQUAL("answered", call_state_name(c.state));
  STRCMP_EQUAL("succeeded", transfer_result_name(c.transfer.result));
  LONGS_EQUAL(800, c.srd_ms());  // of the redirected attempt
  LONGS_EQUAL(2, f.n(TrunkCounter::attempts));
  LONGS_EQUAL(1, f.n(TrunkCounter::redirected));
  LONGS_EQUAL(1, f.n(TrunkCounter::transfers_ok));
  TrunkRatios r = trunk_ratios(f.tc());
  DOUBLES_EQUAL(100.0, r.ser, 1e-9);  // 3xx leaves the denominator
  DOUBLES_EQUAL(50.0, r.asr, 1e-9);
}

TEST(CallTable, RedirectFollowedWithNewCallIdFails) {
  Fixture f;
  Dialog d;
  f.feed(invite(d), ms(0));
  f.back(response(d, 302, "Moved Temporarily", "INVITE", 1, "r1", true,
                  "Contact: <sip:+4940999@203.0.113.9;user=phone>\r\n"), ms(80));
  Dialog n;
  n.call_id = "followup-77@198.51.100.10";
  n.target = "sip:+4940999@203.0.113.9";
  f.feed(invite(n), ms(200));
  f.back(response(n, 486, "Busy Here", "INVITE", 1, "b1"), ms(700));
  STRCMP_EQUAL("failed", transfer_result_name(f.call(d).transfer.result));
  LONGS_EQUAL(486, f.call(d).transfer.code);
  LONGS_EQUAL(1, f.n(TrunkCounter::transfers_failed));
}

TEST(CallTable, RedirectNeverFollowedFailsWhenItExpires) {
  Fixture f;
  Dialog d;
  f.feed(invite(d), ms(0));
  f.back(response(d, 301, "Moved Permanently", "INVITE", 1, "r1", true,
                  "Contact: <sip:+4940999@203.0.113.9>\r\n"), ms(80));
  f.table.expire(ms(80) + 33 * kNsPerSec);
  LONGS_EQUAL(1, f.rec.removed.size());
  STRCMP_EQUAL("failed", transfer_result_name(f.rec.removed[0].transfer.result));
  LONGS_EQUAL(1, f.n(TrunkCounter::transfers_failed));
}

TEST(CallTable, ReinviteHoldAndResume) {
  Fixture f;
  Dialog d;
  answer(f, d, 0);
  size_t before = f.rec.media.size();
  f.feed(request(d, "INVITE", 2, true, true, "", sdp("198.51.100.10", 40000, "sendonly")), ms(5000));
  f.back(response(d, 200, "OK", "INVITE", 2, d.callee_tag, true, "", sdp("203.0.113.20", 30000, "recvonly")),
         ms(5050));
  const Call& c = f.call();
  CHECK_TRUE(c.on_hold);
  STRCMP_EQUAL("caller", party_name(c.held_by));
  LONGS_EQUAL(1, c.hold_count);
  LONGS_EQUAL(1, f.n(TrunkCounter::holds));
  LONGS_EQUAL(before + 2, f.rec.media.size());
  CHECK_TRUE(f.rec.media[before].direction == MediaDirection::sendonly);
  CHECK_TRUE(f.rec.media[before + 1].direction == MediaDirection::recvonly);
  // A retransmitted re-INVITE changes nothing.
  f.feed(request(d, "INVITE", 2, true, true, "", sdp("198.51.100.10", 40000, "sendonly")), ms(5500));
  LONGS_EQUAL(1, c.hold_count);
  f.feed(request(d, "INVITE", 3, true, true, "", sdp("198.51.100.10", 40000)), ms(20000));
  CHECK_FALSE(c.on_hold);
  STRCMP_EQUAL("answered", call_state_name(c.state));
  LONGS_EQUAL(1, f.n(TrunkCounter::attempts));  // re-INVITEs are not attempts
  LONGS_EQUAL(2, f.table.counter(CallTableCounter::reinvites));
}

TEST(CallTable, RetransmissionsAreNotCountedTwice) {
  Fixture f;
  Dialog d;
  f.feed(invite(d), ms(0));
  f.feed(invite(d), ms(500));
  f.back(response(d, 180, "Ringing", "INVITE", 1, d.callee_tag), ms(700));
  f.back(response(d, 180, "Ringing", "INVITE", 1, d.callee_tag), ms(900));
  f.back(response(d, 200, "OK", "INVITE", 1, d.callee_tag), ms(2000));
  f.back(response(d, 200, "OK", "INVITE", 1, d.callee_tag), ms(2500));
  f.feed(request(d, "ACK", 1), ms(2510));
  f.feed(request(d, "BYE", 2), ms(6000));
  f.feed(request(d, "BYE", 2), ms(6500));
  const Call& c = f.call();
  LONGS_EQUAL(700, c.pdd_ms());
  LONGS_EQUAL(4000, c.duration_ms());
  LONGS_EQUAL(1, c.fork_count);
  LONGS_EQUAL(1, f.n(TrunkCounter::attempts));
  LONGS_EQUAL(1, f.n(TrunkCounter::answered));
  LONGS_EQUAL(1, f.n(TrunkCounter::settled));
  LONGS_EQUAL(1, f.n(TrunkCounter::pdd_count));
  LONGS_EQUAL(1, f.n(TrunkCounter::completed));
  LONGS_EQUAL(4000, f.n(TrunkCounter::duration_sum_ms));
  LONGS_EQUAL(3, f.table.counter(CallTableCounter::retransmissions));  // INVITE, 200, BYE
  LONGS_EQUAL(3, c.retransmissions);
}

TEST(CallTable, ForkedEarlyDialogsOneAnswers) {
  Fixture f;
  Dialog d;
  f.feed(invite(d), ms(0));
  f.back(response(d, 180, "Ringing", "INVITE", 1, "forkA"), ms(500));
  f.back(response(d, 183, "Session Progress", "INVITE", 1, "forkB", true, "", sdp("203.0.113.30", 31000)),
         ms(700));
  f.back(response(d, 200, "OK", "INVITE", 1, "forkB", true, "", sdp("203.0.113.30", 31000)), ms(3000));
  f.back(response(d, 200, "OK", "INVITE", 1, "forkA"), ms(3100));  // second fork answers too
  const Call& c = f.call();
  LONGS_EQUAL(2, c.fork_count);
  LONGS_EQUAL(500, c.pdd_ms());
  LONGS_EQUAL(1, f.table.counter(CallTableCounter::stray_dialog));
  LONGS_EQUAL(1, f.n(TrunkCounter::answered));
  // The caller's BYE to fork A's dialog does not end the call; to fork B it does.
  Dialog a = d, b = d;
  a.callee_tag = "forkA";
  b.callee_tag = "forkB";
  f.feed(request(a, "BYE", 2), ms(3200));
  STRCMP_EQUAL("answered", call_state_name(c.state));
  f.feed(request(b, "BYE", 3), ms(9000));
  STRCMP_EQUAL("ended", call_state_name(c.state));
  LONGS_EQUAL(6000, c.duration_ms());
  STRCMP_EQUAL("203.0.113.30:31000", c.callee_media.str().c_str());
}

TEST(CallTable, AuthChallengeIsOneAttempt) {
  Fixture f;
  Dialog d;
  f.feed(invite(d), ms(0));
  f.back(response(d, 407, "Proxy Authentication Required", "INVITE", 1, "p1"), ms(30));
  f.feed(request(d, "ACK", 1, true, false), ms(31));
  f.feed(invite(d, 2), ms(40));
  f.back(response(d, 180, "Ringing", "INVITE", 2, d.callee_tag), ms(640));
  f.back(response(d, 200, "OK", "INVITE", 2, d.callee_tag), ms(2000));
  const Call& c = f.call();
  STRCMP_EQUAL("answered", call_state_name(c.state));
  LONGS_EQUAL(640, c.pdd_ms());
  LONGS_EQUAL(1, f.n(TrunkCounter::attempts));
  LONGS_EQUAL(1, f.table.counter(CallTableCounter::auth_retries));
}

TEST(CallTable, TableFullDropsNewCallsUntilOneIsFreed) {
  CallTableConfig cfg;
  cfg.capacity = 2;
  Fixture f(cfg);
  Dialog a, b, c;
  a.call_id = "a@x";
  b.call_id = "b@x";
  c.call_id = "c@x";
  CHECK_TRUE(f.feed(invite(a), ms(0)).valid());
  CHECK_TRUE(f.feed(invite(b), ms(1)).valid());
  CHECK_FALSE(f.feed(invite(c), ms(2)).valid());
  LONGS_EQUAL(1, f.table.counter(CallTableCounter::table_full));
  LONGS_EQUAL(2, f.n(TrunkCounter::attempts));  // the dropped call is not an attempt we can follow
  f.back(response(c, 180, "Ringing", "INVITE", 1, "t"), ms(3));
  LONGS_EQUAL(1, f.table.counter(CallTableCounter::no_call));
  f.back(response(a, 404, "Not Found", "INVITE", 1, "t"), ms(10));
  f.table.expire(ms(10) + 33 * kNsPerSec);
  LONGS_EQUAL(1, f.table.active());  // b timed out at 32 s but still lingers
  CHECK_TRUE(f.feed(invite(c), ms(40000)).valid());
  STRCMP_EQUAL("rejected", call_state_name(f.rec.removed[0].state));
}

TEST(CallTable, RatiosPerRfc6076) {
  Fixture f;
  struct Outcome {
    int code;
    const char* reason;
  } outcomes[] = {{200, "OK"}, {200, "OK"}, {200, "OK"}, {200, "OK"}, {486, "Busy Here"}, {486, "Busy Here"},
                  {480, "Temporarily Unavailable"}, {503, "Service Unavailable"}, {302, "Moved"}, {404, "Not Found"}};
  int i = 0;
  for (const Outcome& o : outcomes) {
    Dialog d;
    d.call_id = "ratio-" + std::to_string(i) + "@198.51.100.10";
    f.feed(invite(d), ms(i * 1000));
    f.back(response(d, o.code, o.reason, "INVITE", 1, "t" + std::to_string(i), true,
                    o.code == 302 ? "Contact: <sip:+4940999@203.0.113.9>\r\n" : ""),
           ms(i * 1000 + 100 + i));
    ++i;
  }
  // One more attempt still ringing: not settled, so not in the ratios yet.
  Dialog ringing;
  ringing.call_id = "ringing@198.51.100.10";
  f.feed(invite(ringing), ms(20000));
  f.back(response(ringing, 180, "Ringing", "INVITE", 1, "r"), ms(20100));

  LONGS_EQUAL(11, f.n(TrunkCounter::attempts));
  LONGS_EQUAL(10, f.n(TrunkCounter::settled));
  TrunkRatios r = trunk_ratios(f.tc());
  DOUBLES_EQUAL(40.0, r.asr, 1e-9);               // 4 answered / 10
  DOUBLES_EQUAL(100.0 * 4 / 9, r.ser, 1e-9);      // 4 / (10 - 1 redirect)
  DOUBLES_EQUAL(100.0 * 7 / 9, r.seer, 1e-9);     // (4x200 + 2x486 + 480) / 9
  DOUBLES_EQUAL(10.0, r.isa, 1e-9);               // 503 / 10
  DOUBLES_EQUAL(20.0, r.busy_pct, 1e-9);
  DOUBLES_EQUAL(10.0, r.failure_pct, 1e-9);
  // SRD over the 9 non-3xx settled calls and the ringing one: 100+i ms each.
  LONGS_EQUAL(10, f.n(TrunkCounter::srd_count));
  DOUBLES_EQUAL((100 + 101 + 102 + 103 + 104 + 105 + 106 + 107 + 109 + 100) / 10.0, r.srd_mean_ms, 1e-9);
  LONGS_EQUAL(109, f.tc().srd_max_ms);
  CHECK_TRUE(std::isnan(trunk_ratios(TrunkCounters{}).asr));
}

TEST(CallTable, OptionsRoundTripAndTimeout) {
  Fixture f;
  Dialog o;
  o.call_id = "opt-1@198.51.100.10";
  f.feed(request(o, "OPTIONS", 1, true, false), ms(1000));
  f.back(response(o, 200, "OK", "OPTIONS", 1, "s1"), ms(1035));
  Dialog o2;
  o2.call_id = "opt-2@198.51.100.10";
  f.feed(request(o2, "OPTIONS", 1, true, false), ms(2000));
  f.feed(request(o2, "OPTIONS", 1, true, false), ms(2500));  // retransmission: RTT from the first
  f.back(response(o2, 503, "Service Unavailable", "OPTIONS", 1, "s2"), ms(2090));
  Dialog o3;
  o3.call_id = "opt-3@198.51.100.10";
  f.feed(request(o3, "OPTIONS", 1, true, false), ms(3000));
  f.table.expire(ms(7999));
  LONGS_EQUAL(0, f.n(TrunkCounter::options_timeouts));
  f.table.expire(ms(8000));
  LONGS_EQUAL(3, f.n(TrunkCounter::options_sent));
  LONGS_EQUAL(2, f.n(TrunkCounter::options_answered));
  LONGS_EQUAL(1, f.n(TrunkCounter::options_ok));
  LONGS_EQUAL(1, f.n(TrunkCounter::options_timeouts));
  LONGS_EQUAL(90000, f.tc().options_rtt_last_us);
  LONGS_EQUAL(3, f.table.trunk(f.trunk).outbound()[TrunkCounter::options_sent]);
  LONGS_EQUAL(90000, f.table.trunk(f.trunk).outbound().options_rtt_max_us);
  LONGS_EQUAL(90000, f.tc().options_rtt_max_us);
  DOUBLES_EQUAL(62.5, trunk_ratios(f.tc()).options_rtt_mean_ms, 1e-9);
  f.back(response(o3, 200, "OK", "OPTIONS", 1, "s3"), ms(9000));
  LONGS_EQUAL(1, f.table.counter(CallTableCounter::options_unmatched));
  LONGS_EQUAL(0, f.table.active());  // OPTIONS never take a call record
}

TEST(CallTable, AutoTrunkByDestinationWhenNotConfigured) {
  CallTable table;
  Dialog d;
  std::string text = invite(d);
  SipMessage m;
  CHECK_TRUE(parse_sip(text, m) == SipStatus::ok);
  table.on_sip(m, nullptr, kPbx, ep("192.0.2.77", 5080), 0);
  LONGS_EQUAL(1, table.trunk_count());
  STRCMP_EQUAL("192.0.2.77", table.trunk(0).name);
  CHECK_FALSE(table.trunk(0).configured);
  LONGS_EQUAL(1, table.trunk(0).counters[TrunkCounter::attempts]);
}

// A trunk table swapped in whole: the same name keeps its slot and counters
// (new SBC), an address-named trunk is adopted, a dropped one is retired
// (kept, never matched again), a new one gets a slot.
TEST(CallTable, SetTrunksKeepsAdoptsRetiresAndAdds) {
  CallTable table;
  auto call_to = [&](const char* id, const char* sbc, uint16_t port) {
    Dialog d;
    d.call_id = id;
    std::string text = invite(d);
    SipMessage m;
    CHECK_TRUE(parse_sip(text, m) == SipStatus::ok);
    table.on_sip(m, nullptr, kPbx, ep(sbc, port), 0);
  };
  const CallTable::TrunkSpec first[] = {{"carrierA", ep("203.0.113.10", 5060)}, {"carrierB", ep("203.0.113.11", 0)}};
  CHECK_TRUE(table.set_trunks(first, 2));
  call_to("a1@x", "203.0.113.10", 5060);
  call_to("auto@x", "192.0.2.77", 5080);  // no trunk: named by address
  LONGS_EQUAL(3, table.trunk_count());
  STRCMP_EQUAL("192.0.2.77", table.trunk(2).name);

  const CallTable::TrunkSpec second[] = {{"carrierA", ep("203.0.113.20", 0)}, {"carrierC", ep("192.0.2.77", 5080)},
                                         {"carrierD", ep("198.51.100.9", 0)}};
  CHECK_TRUE(table.set_trunks(second, 3));
  LONGS_EQUAL(4, table.trunk_count());
  STRCMP_EQUAL("carrierA", table.trunk(0).name);  // same slot, counters kept, new SBC
  LONGS_EQUAL(1, table.trunk(0).counters[TrunkCounter::attempts]);
  CHECK_TRUE(table.trunk(0).configured);
  STRCMP_EQUAL("carrierB", table.trunk(1).name);  // retired: kept for its figures
  CHECK_TRUE(table.trunk(1).retired);
  CHECK_FALSE(table.trunk(1).configured);
  STRCMP_EQUAL("carrierC", table.trunk(2).name);  // adopted with its call
  LONGS_EQUAL(1, table.trunk(2).counters[TrunkCounter::attempts]);
  STRCMP_EQUAL("carrierD", table.trunk(3).name);
  LONGS_EQUAL(0, table.trunk(3).counters[TrunkCounter::attempts]);

  call_to("a2@x", "203.0.113.20", 5062);  // carrierA's new SBC, any port
  LONGS_EQUAL(2, table.trunk(0).counters[TrunkCounter::attempts]);
  call_to("b@x", "203.0.113.11", 5060);   // the retired trunk's SBC: a new address trunk
  LONGS_EQUAL(0, table.trunk(1).counters[TrunkCounter::attempts]);
  LONGS_EQUAL(5, table.trunk_count());
  STRCMP_EQUAL("203.0.113.11", table.trunk(4).name);
}

TEST(CallTable, SetTrunksThatDoNotFitChangeNothing) {
  CallTable table;
  std::vector<std::string> names;
  std::vector<CallTable::TrunkSpec> specs;
  for (int i = 0; i < kMaxTrunks; ++i) names.push_back("t" + std::to_string(i));
  for (int i = 0; i < kMaxTrunks; ++i) specs.push_back({names[size_t(i)], ep(("198.51.100." + std::to_string(i + 1)).c_str(), 0)});
  CHECK_TRUE(table.set_trunks(specs.data(), specs.size()));
  LONGS_EQUAL(kMaxTrunks, table.trunk_count());
  // A whole new table of the same size: every old trunk retires, and the
  // new ones reuse their slots (counters start from zero).
  std::vector<std::string> other;
  for (int i = 0; i < kMaxTrunks; ++i) other.push_back("n" + std::to_string(i));
  std::vector<CallTable::TrunkSpec> next;
  for (int i = 0; i < kMaxTrunks; ++i) next.push_back({other[size_t(i)], ep("203.0.113.1", uint16_t(5000 + i))});
  CHECK_TRUE(table.set_trunks(next.data(), next.size()));
  STRCMP_EQUAL("n0", table.trunk(0).name);
  CHECK_TRUE(table.trunk(0).configured);
  // One more than the table holds: refused, the table as it was.
  next.push_back({"extra", ep("203.0.113.2", 0)});
  CHECK_FALSE(table.set_trunks(next.data(), next.size()));
  STRCMP_EQUAL("n0", table.trunk(0).name);
  LONGS_EQUAL(kMaxTrunks, table.trunk_count());
}

TEST(CallTable, SsrcListAndStaleHandles) {
  CallTableConfig cfg;
  cfg.capacity = 1;
  Fixture f(cfg);
  Dialog d;
  CallRef ref = f.feed(invite(d), 0);
  CHECK_TRUE(f.table.add_ssrc(ref, 0x1234abcd));
  CHECK_TRUE(f.table.add_ssrc(ref, 0x1234abcd));
  for (uint32_t i = 1; i < kCallMaxSsrcs; ++i) CHECK_TRUE(f.table.add_ssrc(ref, i));
  CHECK_FALSE(f.table.add_ssrc(ref, 0xdead));
  LONGS_EQUAL(kCallMaxSsrcs, f.call().ssrc_count);
  LONGS_EQUAL(1, f.table.counter(CallTableCounter::ssrc_list_full));
  f.table.flush();
  LONGS_EQUAL(1, f.rec.removed.size());
  LONGS_EQUAL(0x1234abcd, f.rec.removed[0].ssrcs[0]);
  Dialog e;
  e.call_id = "other@x";
  CallRef ref2 = f.feed(invite(e), 0);
  LONGS_EQUAL(ref.slot, ref2.slot);  // same record reused ...
  CHECK_FALSE(f.table.add_ssrc(ref, 7));  // ... the old handle no longer reaches it
  CHECK_TRUE(f.table.get(ref) == nullptr);
}

TEST(CallTable, AnsweredCallWithoutByeEndsAtIdleTimer) {
  CallTableConfig cfg;
  cfg.idle_timeout = 600 * kNsPerSec;
  Fixture f(cfg);
  Dialog d;
  answer(f, d, 0);
  CallRef ref = f.table.ref_of(f.call());
  f.table.touch(ref, 500 * kNsPerSec);  // media still flowing
  f.table.expire(1000 * kNsPerSec);
  STRCMP_EQUAL("answered", call_state_name(f.call().state));
  f.table.expire(1100 * kNsPerSec);
  STRCMP_EQUAL("ended", call_state_name(f.call().state));
  CHECK_TRUE(f.call().ended_by_timer);
  LONGS_EQUAL(1, f.n(TrunkCounter::expired));
}

// The index (linear probing with backward-shift deletion) against a map,
// under random inserts and removals at a high load.
TEST(CallTable, IndexStaysConsistentUnderChurn) {
  CallTableConfig cfg;
  cfg.capacity = 64;
  cfg.linger = 0;
  cfg.auto_trunks = false;
  CallTable table(cfg);
  std::mt19937 rng(7);
  std::map<std::string, bool> live;
  std::vector<std::string> texts;
  TimeNs now = 0;
  for (int step = 0; step < 4000; ++step) {
    std::string id = "churn-" + std::to_string(rng() % 200);
    Dialog d;
    d.call_id = id;
    std::string text = live.count(id) ? response(d, 404, "Not Found", "INVITE", 1, "t") : invite(d, 1, "");
    SipMessage m;
    CHECK_TRUE(parse_sip(text, m) == SipStatus::ok);
    bool was_live = live.count(id) > 0;
    CallRef r = table.on_sip(m, nullptr, kPbx, kSbc, ++now);
    if (!was_live && r.valid()) live[id] = true;
    if (was_live) {
      table.expire(++now);  // linger 0: settled calls go at once
      live.erase(id);
    }
    LONGS_EQUAL(live.size(), table.active());
    for (auto& [k, v] : live) CHECK_TRUE(table.find(k) != nullptr);
    CHECK_TRUE(table.find("absent@x") == nullptr);
  }
}

// Tags missing everywhere (RFC 2543 style): tracked without crashing; the
// BYE is taken from the caller since nothing tells the sides apart.
TEST(CallTable, MissingTagsStillTracked) {
  Fixture f;
  Dialog d;
  d.caller_tag = "";
  std::string inv = invite(d);
  size_t at = inv.find(";tag=\r\n");
  CHECK_TRUE(at != std::string::npos);
  inv.erase(at, 5);  // From without any tag parameter
  f.feed(inv, ms(0));
  f.back(response(d, 200, "OK", "INVITE", 1, ""), ms(50));
  STRCMP_EQUAL("answered", call_state_name(f.call().state));
  f.feed(request(d, "BYE", 2, true, false), ms(1050));
  STRCMP_EQUAL("ended", call_state_name(f.call().state));
  STRCMP_EQUAL("caller", party_name(f.call().hangup));
  LONGS_EQUAL(1000, f.call().duration_ms());
}

TEST(CallTable, RefAtFollowsTheSlot) {
  Fixture f;
  Dialog d;
  CallRef ref = f.feed(invite(d), 0);
  CallRef again = f.table.ref_at(ref.slot);
  LONGS_EQUAL(ref.slot, again.slot);
  LONGS_EQUAL(ref.generation, again.generation);
  CHECK_FALSE(f.table.ref_at(ref.slot + 1).valid());
  CHECK_FALSE(f.table.ref_at(kNoCall).valid());
}
