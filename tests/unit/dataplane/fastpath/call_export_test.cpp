// Call export of the fast path: the CDR record built from a call and its
// main stream per direction (figures, times, uplink at setup, realtime
// offset), snapshots that outlive an idled-out stream, the live table
// republished once per period in bounded steps, a full CDR ring counted.
// Injected clock, the inspector fed with hand-made frames.
#include "dataplane/fastpath/call_export.hpp"

#include <cstring>
#include <memory>
#include <string>
#include <vector>

// After the standard headers: CppUTest's leak detector redefines new.
#include <CppUTest/TestHarness.h>

#include "tests/unit/dataplane/core/frame_builder.hpp"

using namespace tg;
using namespace tg::fastpath;

namespace {

// 192.0.2.1 caller (LAN, RTP 20000), 198.51.100.7 callee (far side, RTP 30000).
constexpr uint32_t kCaller = 0xC0000201, kCallee = 0xC6336407;
constexpr uint16_t kCallerRtp = 20000, kCalleeRtp = 30000;

std::vector<uint8_t> udp(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport, const std::vector<uint8_t>& payload) {
  return test::frame(kIpProtoUdp, src, sport, dst, dport, payload);
}
std::vector<uint8_t> rtp(uint16_t seq, uint32_t ssrc) { return test::rtp(seq, seq * 160u, ssrc); }

std::string sdp(const char* ip, uint16_t port) {
  return std::string("v=0\r\no=- 1 1 IN IP4 ") + ip + "\r\ns=-\r\nc=IN IP4 " + ip + "\r\nt=0 0\r\nm=audio " +
         std::to_string(port) + " RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n";
}

std::string sip(const std::string& start, const std::string& call_id, const char* cseq, const std::string& body = "",
                bool to_tag = true) {
  std::string m = start + "\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-" + call_id + cseq[0] +
                  "\r\nFrom: <sip:+4930123@192.0.2.1>;tag=f1\r\nTo: <sip:+4940999@198.51.100.7>" +
                  (to_tag ? ";tag=t1" : "") + "\r\nCall-ID: " + call_id + "\r\nCSeq: " + cseq +
                  "\r\nContact: <sip:x@192.0.2.1>\r\n";
  if (!body.empty()) m += "Content-Type: application/sdp\r\n";
  return m + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// Shared-memory layouts on the heap: the same code the fast path runs on the mapping.
struct Mem {
  explicit Mem(size_t bytes) : words(bytes / 8 + 1, 0) {}
  void* data() { return words.data(); }
  std::vector<uint64_t> words;
};

struct Lab {
  InspectorConfig cfg;
  std::unique_ptr<Inspector> in;
  Mem cdr_mem, live_mem;
  api::CdrProducer cdr_out;
  api::CdrConsumer cdr_in;
  api::LiveCallsWriter live_out;
  api::LiveCallsReader live_in;
  std::unique_ptr<CallExporter> ex;
  TimeNs now = 5'000 * kNsPerSec;

  explicit Lab(uint32_t cdr_capacity = 16, TimeNs stream_idle = 60 * kNsPerSec, CallExportConfig ec = {},
               uint32_t stream_capacity = 64)
      : cdr_mem(api::RingLayout<api::CallRecordWire>::bytes_for(cdr_capacity)), live_mem(api::kCallsRegionSize) {
    cfg.streams.capacity = stream_capacity;
    cfg.streams.expect_capacity = stream_capacity;
    cfg.streams.stream_idle = stream_idle;
    cfg.calls.capacity = 16;
    cfg.calls.linger = 2 * kNsPerSec;
    in = std::make_unique<Inspector>(cfg);
    auto* h = api::RingLayout<api::CallRecordWire>::init(cdr_mem.data(), cdr_capacity, api::kCallRecordVersion, 1, 0);
    cdr_out.bind(h);
    cdr_in.bind(h);
    live_out.init(live_mem.data(), 1, 0);
    std::string err;
    CHECK_TEXT(live_in.attach(live_mem.data(), api::kCallsRegionSize, err), err.c_str());
    ex = std::make_unique<CallExporter>(*in, &cdr_out, &live_out, now, ec, api::kUplinkWan0);
  }
  void send(const std::vector<uint8_t>& f, uint8_t ingress) {
    std::vector<uint8_t> copy(f);
    in->inspect(Bytes(copy.data(), copy.size()), LinkType::ethernet, now, ingress);
  }
  void caller(const std::string& m) { send(udp(kCaller, 5060, kCallee, 5060, {m.begin(), m.end()}), 0x10); }
  void callee(const std::string& m) { send(udp(kCallee, 5060, kCaller, 5060, {m.begin(), m.end()}), 0); }
  // Advances the clock in 10 ms steps doing what the fast path's loop does.
  void run_for(TimeNs d) {
    for (TimeNs end = now + d; now < end;) {
      now += 10 * kNsPerMs;
      ex->tick(now);
      in->tick(now, 256);
    }
  }
  void answer(const std::string& id, uint16_t port_offset = 0) {
    caller(sip("INVITE sip:+4940999@198.51.100.7 SIP/2.0", id, "1 INVITE", sdp("192.0.2.1", uint16_t(kCallerRtp + port_offset)), false));
    run_for(100 * kNsPerMs);
    callee(sip("SIP/2.0 180 Ringing", id, "1 INVITE"));
    run_for(400 * kNsPerMs);
    callee(sip("SIP/2.0 200 OK", id, "1 INVITE", sdp("198.51.100.7", uint16_t(kCalleeRtp + port_offset))));
    caller(sip("ACK sip:+4940999@198.51.100.7 SIP/2.0", id, "1 ACK"));
  }
  // n packets each way, 20 ms apart; caller->callee skips every `gap`-th seq.
  void media(int n, int gap = 0, uint16_t first = 1000, uint16_t port_offset = 0) {
    const uint16_t a = uint16_t(kCallerRtp + port_offset), b = uint16_t(kCalleeRtp + port_offset);
    for (int i = 0; i < n; ++i) {
      const uint16_t seq = uint16_t(first + i);
      if (!(gap && i % gap == gap - 1)) send(udp(kCaller, a, kCallee, b, rtp(seq, 0xA1 + port_offset)), 0x10);
      send(udp(kCallee, b, kCaller, a, rtp(seq, 0xB2 + port_offset)), 0);
      run_for(20 * kNsPerMs);
    }
  }
  void hangup(const std::string& id) {
    caller(sip("BYE sip:+4940999@198.51.100.7 SIP/2.0", id, "2 BYE"));
    callee(sip("SIP/2.0 200 OK", id, "2 BYE"));
  }
  std::vector<api::CallRecordWire> cdrs() {
    std::vector<api::CallRecordWire> out;
    api::CallRecordWire r;
    while (cdr_in.pop(r)) out.push_back(r);
    return out;
  }
  std::vector<api::CallRecordWire> live(api::LiveCallsInfo* info = nullptr) {
    std::vector<api::CallRecordWire> out;
    CHECK_TRUE(live_in.read(out, info));
    return out;
  }
};

}  // namespace

TEST_GROUP(CallExport){};

TEST(CallExport, PerCallMemoryIsTheStatedFigure) { LONGS_EQUAL(264, sizeof(CallMediaSlot)); }

TEST(CallExport, AnsweredCallGivesOneCdrWithBothDirections) {
  Lab lab;
  lab.ex->note_realtime_offset(lab.now, 1'700'000'000ull * kNsPerSec);
  const TimeNs t0 = lab.now;
  lab.answer("cdr-1@test");
  const TimeNs answered = lab.now;
  lab.media(600, 50);  // 12 s: 12 caller packets missing (the last one unseen), a 10 s window closes
  lab.hangup("cdr-1@test");
  const TimeNs ended = lab.now;
  CHECK_EQUAL(0u, lab.cdrs().size());  // lingering: not yet
  lab.run_for(3 * kNsPerSec);
  auto got = lab.cdrs();
  LONGS_EQUAL(1, got.size());
  const api::CallRecordWire& r = got[0];
  LONGS_EQUAL(api::kCallRecordVersion, r.version);
  LONGS_EQUAL(uint8_t(CallState::ended), r.state);
  LONGS_EQUAL(200, r.final_code);
  LONGS_EQUAL(uint8_t(Party::caller), r.hangup);
  LONGS_EQUAL(api::kUplinkWan0, r.uplink);
  STRCMP_EQUAL("cdr-1@test", r.call_id);
  STRCMP_EQUAL("+4930123", r.from_user);
  STRCMP_EQUAL("+4940999", r.to_user);
  CHECK_EQUAL(t0, r.invite_ns);
  CHECK_EQUAL(answered, r.answer_ns);
  CHECK_EQUAL(ended, r.end_ns);
  LONGS_EQUAL(100, r.pdd_ms);
  CHECK_EQUAL(1'700'000'000ull * kNsPerSec, r.realtime_offset_ns);

  const api::CallMediaWire& up = r.media[api::kMediaCallerToCallee];
  LONGS_EQUAL(0xA1, up.ssrc);
  LONGS_EQUAL(588, up.packets);
  LONGS_EQUAL(599, up.expected);  // seq 1000..1598: the 12th gap is after the last packet seen
  LONGS_EQUAL(11, up.lost);
  LONGS_EQUAL(api::kMediaAnnounced | api::kMediaSeen, up.flags);
  LONGS_EQUAL(40, up.max_gap_ms);  // one packet missing: a 40 ms gap
  CHECK(up.mos_x100 > 100 && up.mos_x100 < 441);
  CHECK(up.r_x10 > 0);
  const api::CallMediaWire& down = r.media[api::kMediaCalleeToCaller];
  LONGS_EQUAL(0xB2, down.ssrc);
  LONGS_EQUAL(600, down.packets);
  LONGS_EQUAL(0, down.lost);
  CHECK(down.mos_x100 > up.mos_x100);  // lossless beats 2 % loss
  CHECK(down.mos_x100 >= 420);
  LONGS_EQUAL(1, lab.ex->cdr_records());
  LONGS_EQUAL(0, lab.ex->cdr_dropped());
}

TEST(CallExport, FailedCallWithoutMediaIsRecorded) {
  Lab lab;
  lab.caller(sip("INVITE sip:+4940999@198.51.100.7 SIP/2.0", "busy@test", "1 INVITE", sdp("192.0.2.1", kCallerRtp), false));
  lab.run_for(50 * kNsPerMs);
  lab.callee(sip("SIP/2.0 486 Busy Here", "busy@test", "1 INVITE"));
  lab.run_for(3 * kNsPerSec);
  auto got = lab.cdrs();
  LONGS_EQUAL(1, got.size());
  LONGS_EQUAL(486, got[0].final_code);
  LONGS_EQUAL(uint8_t(CallState::busy), got[0].state);
  CHECK_EQUAL(0u, got[0].answer_ns);
  LONGS_EQUAL(0, got[0].media[api::kMediaCallerToCallee].packets);
  LONGS_EQUAL(0, got[0].media[api::kMediaCallerToCallee].flags);  // the callee never gave SDP
  LONGS_EQUAL(api::kMediaAnnounced, got[0].media[api::kMediaCalleeToCaller].flags);
  LONGS_EQUAL(0, got[0].media[api::kMediaCalleeToCaller].mos_x100);
}

TEST(CallExport, SnapshotOutlivesAStreamThatIdledOut) {
  // Streams expire 1 s after their last packet, the call record 2 s after the BYE.
  Lab lab(16, 1 * kNsPerSec);
  lab.answer("idle@test");
  lab.media(100);
  lab.run_for(1500 * kNsPerMs);  // silence: the streams go
  LONGS_EQUAL(0, lab.in->streams().size());
  lab.hangup("idle@test");
  lab.run_for(3 * kNsPerSec);
  auto got = lab.cdrs();
  LONGS_EQUAL(1, got.size());
  // Figures as of the last sweep before the stream went (one sweep per second).
  CHECK(got[0].media[api::kMediaCallerToCallee].packets >= 50);
  CHECK(got[0].media[api::kMediaCallerToCallee].packets <= 100);
  LONGS_EQUAL(0xB2, got[0].media[api::kMediaCalleeToCaller].ssrc);
}

TEST(CallExport, LiveTableShowsCallsWhileUpAndDropsThemAfter) {
  Lab lab;
  api::LiveCallsInfo info;
  lab.answer("live-1@test");
  lab.media(150);  // 3 s: at least two publishes with the call answered
  auto live = lab.live(&info);
  LONGS_EQUAL(1, live.size());
  LONGS_EQUAL(1, info.live_total);
  CHECK(info.publish_count >= 3);
  STRCMP_EQUAL("live-1@test", live[0].call_id);
  LONGS_EQUAL(uint8_t(CallState::answered), live[0].state);
  CHECK_EQUAL(0u, live[0].end_ns);
  // Published within the last second: most of the packets so far.
  CHECK(live[0].media[api::kMediaCalleeToCaller].packets >= 100);
  CHECK(live[0].media[api::kMediaCallerToCallee].mos_x100 >= 400);

  lab.caller(sip("INVITE sip:+4940999@198.51.100.7 SIP/2.0", "live-2@test", "1 INVITE", sdp("192.0.2.1", 20002), false));
  lab.run_for(1100 * kNsPerMs);
  live = lab.live(&info);
  LONGS_EQUAL(2, live.size());
  lab.hangup("live-1@test");
  lab.run_for(1100 * kNsPerMs);
  live = lab.live(&info);
  LONGS_EQUAL(1, live.size());  // ended calls leave the live table at once (they linger only in the call table)
  STRCMP_EQUAL("live-2@test", live[0].call_id);
  LONGS_EQUAL(uint8_t(CallState::calling), live[0].state);
}

TEST(CallExport, SweepIsSpreadOverTicksAndKeepsItsPeriod) {
  CallExportConfig ec;
  ec.stream_budget = 16;  // 64 stream slots: 4 ticks
  ec.call_budget = 4;     // 16 call slots: 4 ticks
  Lab lab(16, 60 * kNsPerSec, ec);
  const uint64_t before = lab.ex->live_publishes();
  // The constructor set the first sweep for "now": 4 + 4 ticks to publish.
  for (int i = 0; i < 7; ++i) lab.ex->tick(lab.now);
  LONGS_EQUAL(before, lab.ex->live_publishes());
  lab.ex->tick(lab.now);
  LONGS_EQUAL(before + 1, lab.ex->live_publishes());
  for (int i = 0; i < 20; ++i) lab.ex->tick(lab.now + kNsPerSec - 1);  // not yet due
  LONGS_EQUAL(before + 1, lab.ex->live_publishes());
  for (int i = 0; i < 8; ++i) lab.ex->tick(lab.now + kNsPerSec);
  LONGS_EQUAL(before + 2, lab.ex->live_publishes());
}

TEST(CallExport, FullCdrRingCountsDropsAndNeverBlocks) {
  Lab lab(2);
  for (int i = 0; i < 3; ++i) {
    const std::string id = "full-" + std::to_string(i) + "@test";
    lab.caller(sip("INVITE sip:+4940999@198.51.100.7 SIP/2.0", id, "1 INVITE", "", false));
    lab.callee(sip("SIP/2.0 404 Not Found", id, "1 INVITE"));
  }
  lab.run_for(3 * kNsPerSec);
  LONGS_EQUAL(3, lab.ex->cdr_records());
  LONGS_EQUAL(1, lab.ex->cdr_dropped());
  LONGS_EQUAL(1, lab.cdr_in.drops());
  auto got = lab.cdrs();
  LONGS_EQUAL(2, got.size());
  LONGS_EQUAL(404, got[0].final_code);
}

TEST(CallExport, UplinkAtSetupFollowsTheSwitchHistory) {
  Lab lab;
  LONGS_EQUAL(api::kUplinkWan0, lab.ex->uplink_at(0));  // nothing noted: the initial one
  lab.ex->note_switch(100, api::kUplinkWan0, api::kUplinkWan1);
  lab.ex->note_switch(200, api::kUplinkWan1, api::kUplinkLte);
  LONGS_EQUAL(api::kUplinkWan0, lab.ex->uplink_at(99));
  LONGS_EQUAL(api::kUplinkWan1, lab.ex->uplink_at(100));
  LONGS_EQUAL(api::kUplinkWan1, lab.ex->uplink_at(199));
  LONGS_EQUAL(api::kUplinkLte, lab.ex->uplink_at(5000));
  for (TimeNs t = 300; t < 300 + 40 * 10; t += 10) lab.ex->note_switch(t, api::kUplinkLte, api::kUplinkWan0);
  // Older than the history kept: the "from" of the oldest kept switch.
  LONGS_EQUAL(api::kUplinkLte, lab.ex->uplink_at(150));

  // A call set up after a switch records the uplink of its INVITE time.
  lab.ex->note_switch(lab.now, api::kUplinkWan0, api::kUplinkWan1);
  lab.answer("sw@test");
  lab.ex->note_switch(lab.now, api::kUplinkWan1, api::kUplinkLte);
  lab.hangup("sw@test");
  lab.run_for(3 * kNsPerSec);
  auto got = lab.cdrs();
  LONGS_EQUAL(1, got.size());
  LONGS_EQUAL(api::kUplinkWan1, got[0].uplink);
}

TEST(CallExport, RecordListsEveryUplinkTheCallUsedWithSwitchTimes) {
  Lab lab;
  lab.answer("ups@test");
  lab.media(100);
  const TimeNs first_switch = lab.now;
  lab.ex->note_switch(first_switch, api::kUplinkWan0, api::kUplinkWan1);
  lab.media(100);
  const TimeNs second_switch = lab.now;
  lab.ex->note_switch(second_switch, api::kUplinkWan1, api::kUplinkLte);
  lab.media(50);
  lab.hangup("ups@test");
  lab.ex->note_switch(lab.now + kNsPerSec, api::kUplinkLte, api::kUplinkWan0);  // after the call: not its
  lab.run_for(3 * kNsPerSec);
  auto got = lab.cdrs();
  LONGS_EQUAL(1, got.size());
  const api::CallRecordWire& r = got[0];
  LONGS_EQUAL(api::kUplinkWan0, r.uplink);
  LONGS_EQUAL(3, r.uplink_count);
  LONGS_EQUAL(2, r.uplink_switches);
  LONGS_EQUAL(api::kUplinkWan0, r.uplinks[0].uplink);
  CHECK_EQUAL(r.invite_ns, r.uplinks[0].since_ns);
  LONGS_EQUAL(api::kUplinkWan1, r.uplinks[1].uplink);
  CHECK_EQUAL(first_switch, r.uplinks[1].since_ns);
  LONGS_EQUAL(api::kUplinkLte, r.uplinks[2].uplink);
  CHECK_EQUAL(second_switch, r.uplinks[2].since_ns);
}

TEST(CallExport, ManySwitchesKeepTheFirstUplinkAndTheLastOnes) {
  Lab lab;
  lab.answer("flap@test");
  const uint8_t seq[] = {api::kUplinkWan1, api::kUplinkLte, api::kUplinkWan0, api::kUplinkWan1, api::kUplinkLte};
  uint8_t from = api::kUplinkWan0;
  TimeNs last = 0;
  for (uint8_t to : seq) {
    lab.run_for(100 * kNsPerMs);
    lab.ex->note_switch(last = lab.now, from, to);
    from = to;
  }
  lab.hangup("flap@test");
  lab.run_for(3 * kNsPerSec);
  auto got = lab.cdrs();
  LONGS_EQUAL(1, got.size());
  LONGS_EQUAL(api::kMaxCallUplinks, got[0].uplink_count);
  LONGS_EQUAL(5, got[0].uplink_switches);
  LONGS_EQUAL(api::kUplinkWan0, got[0].uplinks[0].uplink);
  LONGS_EQUAL(api::kUplinkWan0, got[0].uplinks[1].uplink);  // the 3rd switch
  LONGS_EQUAL(api::kUplinkWan1, got[0].uplinks[2].uplink);
  LONGS_EQUAL(api::kUplinkLte, got[0].uplinks[3].uplink);
  CHECK_EQUAL(last, got[0].uplinks[3].since_ns);
}

TEST(CallExport, StampsConvertWithTheRealtimeOffsetOfTheirOwnTime) {
  Lab lab;
  const uint64_t before = 1'700'000'000ull * kNsPerSec;
  lab.ex->note_realtime_offset(lab.now, before);
  lab.answer("wall@test");
  lab.media(50);
  lab.ex->note_realtime_offset(lab.now, before + 50);  // jitter of the sampling: not a change
  lab.hangup("wall@test");
  lab.run_for(200 * kNsPerMs);
  // Wall time stepped (NTP) after the call ended, before its record is built.
  lab.ex->note_realtime_offset(lab.now, before + 60 * kNsPerMs);
  lab.run_for(3 * kNsPerSec);
  auto got = lab.cdrs();
  LONGS_EQUAL(1, got.size());
  CHECK_EQUAL(before, got[0].realtime_offset_ns);
  CHECK_EQUAL(before + 60 * kNsPerMs, lab.ex->realtime_offset_at(lab.now));
  CHECK_EQUAL(before, lab.ex->realtime_offset_at(0));  // before the first note: the oldest known
}

TEST(CallExport, EveryRtpStreamAndDtmfOnItsOwnSsrcAreCounted) {
  Lab lab;
  lab.answer("dtmf@test");
  lab.media(100);
  // Two digits as RFC 4733 events on another SSRC, PT 101 (no rtpmap in the SDP).
  uint16_t seq = 1;
  for (int digit = 0; digit < 2; ++digit) {
    const uint32_t ts = 8000u * uint32_t(digit + 1);
    for (int p = 0; p < 9; ++p) {
      lab.send(udp(kCaller, kCallerRtp, kCallee, kCalleeRtp, test::rtp(seq++, ts, 0xD7, 101, p == 0)), 0x10);
      lab.run_for(20 * kNsPerMs);
    }
  }
  lab.media(100, 0, 1100);
  lab.hangup("dtmf@test");
  lab.run_for(3 * kNsPerSec);
  auto got = lab.cdrs();
  LONGS_EQUAL(1, got.size());
  const api::CallMediaWire& up = got[0].media[api::kMediaCallerToCallee];
  LONGS_EQUAL(0xA1, up.ssrc);  // the voice stream stays the main one
  LONGS_EQUAL(200, up.packets);
  LONGS_EQUAL(2, up.streams);
  LONGS_EQUAL(218, up.rtp_packets);
  LONGS_EQUAL(18, up.dtmf_packets);
  LONGS_EQUAL(2, up.dtmf_events);
  LONGS_EQUAL(101, up.dtmf_payload_type);
  const api::CallMediaWire& down = got[0].media[api::kMediaCalleeToCaller];
  LONGS_EQUAL(1, down.streams);
  LONGS_EQUAL(200, down.rtp_packets);
  LONGS_EQUAL(0, down.dtmf_packets);
}

TEST(CallExport, ByeResponseAndUnacknowledgedAnswerReachTheRecord) {
  Lab lab;
  lab.caller(sip("INVITE sip:+4940999@198.51.100.7 SIP/2.0", "hung@test", "1 INVITE", sdp("192.0.2.1", kCallerRtp), false));
  lab.run_for(100 * kNsPerMs);
  lab.callee(sip("SIP/2.0 200 OK", "hung@test", "1 INVITE", sdp("198.51.100.7", kCalleeRtp)));
  for (int i = 0; i < 4; ++i) {  // no ACK: the far end resends its 200
    lab.run_for(500 * kNsPerMs);
    lab.callee(sip("SIP/2.0 200 OK", "hung@test", "1 INVITE", sdp("198.51.100.7", kCalleeRtp)));
  }
  lab.caller(sip("BYE sip:+4940999@198.51.100.7 SIP/2.0", "hung@test", "2 BYE"));
  lab.callee(sip("SIP/2.0 404 Not Found", "hung@test", "2 BYE"));
  lab.run_for(3 * kNsPerSec);
  auto got = lab.cdrs();
  LONGS_EQUAL(1, got.size());
  LONGS_EQUAL(404, got[0].bye_code);
  LONGS_EQUAL(4, got[0].ok_retransmissions);
  CHECK_EQUAL(0u, got[0].ack_ns);
}

TEST(CallExport, TrunkSumsFollowLiveCallsAndKeepFreedOnes) {
  Lab lab;
  lab.answer("trunk@test");
  lab.media(600, 50);
  lab.run_for(1100 * kNsPerMs);  // one more sweep with the call still up
  LONGS_EQUAL(1, lab.in->calls().trunk_count());  // auto trunk: the callee's address
  STRCMP_EQUAL("198.51.100.7", lab.in->calls().trunk(0).name);
  TrunkMedia m = lab.ex->trunk_media(0);
  LONGS_EQUAL(1, m.active_calls);
  LONGS_EQUAL(2, m.active_streams);
  LONGS_EQUAL(588 + 600, m.rtp_packets);
  LONGS_EQUAL(11, m.rtp_lost);
  CHECK(m.mos_x100 >= 400 && m.mos_x100 <= 441);
  lab.hangup("trunk@test");
  lab.run_for(4 * kNsPerSec);  // freed, then swept again
  LONGS_EQUAL(1, lab.cdrs().size());
  m = lab.ex->trunk_media(0);
  LONGS_EQUAL(0, m.active_calls);
  LONGS_EQUAL(0, m.active_streams);
  LONGS_EQUAL(0, m.mos_x100);
  LONGS_EQUAL(588 + 600, m.rtp_packets);  // the freed call still counts
  LONGS_EQUAL(11, m.rtp_lost);
}

TEST(CallExport, TrunkPacketTotalNeverGoesBackWhileCallsAreFreedMidSweep) {
  CallExportConfig ec;
  ec.live_period = 0;     // sweep back to back: 1 stream tick + 16 call ticks + publish
  ec.stream_budget = 128;
  ec.call_budget = 1;
  Lab lab(32, 60 * kNsPerSec, ec, 128);  // 4 SDP expectations per call stay: room for 17 calls
  uint64_t last = 0, expect = 0;
  // 17 calls, each hung up one tick later in the sweep than the one before,
  // so the free lands at every cursor position, before and after its slot.
  for (uint16_t k = 0; k < 17; ++k) {
    const std::string id = "m" + std::to_string(k) + "@test";
    lab.answer(id, uint16_t(2 * k));
    lab.media(10 + k, 0, 1000, uint16_t(2 * k));
    expect += 2 * (10 + k);
    // Align on a publish, then move k ticks into the next pass.
    for (const uint64_t n = lab.ex->live_publishes(); lab.ex->live_publishes() == n;) lab.run_for(10 * kNsPerMs);
    lab.run_for(k * 10 * kNsPerMs);
    lab.hangup(id);
    for (int step = 0; step < 300; ++step) {
      lab.run_for(10 * kNsPerMs);
      const uint64_t p = lab.ex->trunk_media(0).rtp_packets;
      CHECK_TEXT(p >= last, ("trunk packets went back from " + std::to_string(last) + " to " + std::to_string(p)).c_str());
      last = p;
    }
    LONGS_EQUAL(k + 1, lab.ex->cdr_records());
    CHECK_EQUAL(expect, lab.ex->trunk_media(0).rtp_packets);  // each call counted once
  }
  uint64_t cdr_packets = 0;
  for (const auto& r : lab.cdrs()) cdr_packets += r.media[0].packets + r.media[1].packets;
  CHECK_EQUAL(expect, cdr_packets);
  LONGS_EQUAL(0, lab.ex->trunk_media(0).active_calls);
}

namespace {
// n packets each way, 20 ms apart; the far end's (inbound, wan0) stream
// loses every `gap`-th packet.
void media_inbound_loss(Lab& lab, int n, int gap, uint16_t first) {
  for (int i = 0; i < n; ++i) {
    const uint16_t seq = uint16_t(first + i);
    lab.send(udp(kCaller, kCallerRtp, kCallee, kCalleeRtp, rtp(seq, 0xA1)), 0x10);
    if (i % gap != gap - 1) lab.send(udp(kCallee, kCalleeRtp, kCaller, kCallerRtp, rtp(seq, 0xB2)), 0);
    lab.run_for(20 * kNsPerMs);
  }
}
void rtcp(Lab& lab, bool from_caller, const test::Rtcp& r) {
  if (from_caller)
    lab.send(udp(kCaller, kCallerRtp + 1, kCallee, kCalleeRtp + 1, r.b), 0x10);
  else
    lab.send(udp(kCallee, kCalleeRtp + 1, kCaller, kCallerRtp + 1, r.b), 0);
}
}  // namespace

// Per-uplink voice (what tg-controld's uplink_mos / uplink_delay alarms
// read): only the stream that came in through the uplink counts, rated on
// its last closed 10 s window; the LAN's own stream is no uplink's.
TEST(CallExport, UplinkMediaRatesTheInboundStreamOfEachUplink) {
  Lab lab;
  lab.answer("uplink@test");
  media_inbound_loss(lab, 300, 10, 1000);  // 6 s: no 10 s window closed yet
  lab.run_for(1100 * kNsPerMs);
  api::UplinkMediaWire m = lab.ex->uplink_media(0);
  LONGS_EQUAL(1, m.streams);
  LONGS_EQUAL(0, m.rated);
  LONGS_EQUAL(0, m.mos_avg_x100);
  media_inbound_loss(lab, 400, 10, 1300);  // past the first 10 s window
  lab.run_for(1100 * kNsPerMs);
  m = lab.ex->uplink_media(0);
  LONGS_EQUAL(1, m.streams);
  LONGS_EQUAL(1, m.rated);
  // 10 % random-looking loss on G.711 with PLC: R about 67, MOS about 3.45.
  CHECK_TEXT(m.mos_avg_x100 > 300 && m.mos_avg_x100 < 360, std::to_string(m.mos_avg_x100).c_str());
  LONGS_EQUAL(m.mos_avg_x100, m.mos_min_x100);
  CHECK_TEXT(m.loss_ppm > 90'000 && m.loss_ppm < 110'000, std::to_string(m.loss_ppm).c_str());
  LONGS_EQUAL(0, m.delay_streams);  // no RTCP yet
  LONGS_EQUAL(0, m.one_way_delay_avg_us);
  for (uint8_t u = 1; u < api::kMaxUplinks; ++u) LONGS_EQUAL(0, lab.ex->uplink_media(u).streams);
  // The same call with a clean inbound stream rates well.
  Lab clean;
  clean.answer("clean@test");
  clean.media(600);
  clean.run_for(1100 * kNsPerMs);
  CHECK(clean.ex->uplink_media(0).mos_avg_x100 >= 430);
  LONGS_EQUAL(0, clean.ex->uplink_media(0).loss_ppm);
}

// SR/RR both ways give the end-to-end round trip of the call; the uplink's
// one-way delay is half of it (G.107's Ta, as the stream's own rating uses).
TEST(CallExport, UplinkOneWayDelayIsHalfTheRtcpRoundTrip) {
  Lab lab;
  lab.answer("delay@test");
  lab.media(100);
  // The caller's SR (NTP middle 32 bits 0x00010000) passes; the far end's
  // RR quoting it with DLSR 0 comes back 240 ms later: 240 ms beyond the box.
  rtcp(lab, true, test::Rtcp().sr(0xA1, 0x0000000100000000ULL));
  lab.media(12, 0, 1100);
  rtcp(lab, false, test::Rtcp().rr(0xB2, 0xA1, 0x00010000, 0));
  // The far end's SR, the caller's RR 20 ms later: 20 ms on the LAN side.
  rtcp(lab, false, test::Rtcp().sr(0xB2, 0x0000000280000000ULL));
  lab.media(1, 0, 1112);
  rtcp(lab, true, test::Rtcp().rr(0xA1, 0xB2, 0x00028000, 0));
  lab.media(100, 0, 1113);
  lab.run_for(1100 * kNsPerMs);
  const api::UplinkMediaWire m = lab.ex->uplink_media(0);
  LONGS_EQUAL(1, m.delay_streams);
  // (240 + 20) / 2 = 130 ms.
  CHECK_TEXT(m.one_way_delay_avg_us >= 129'000 && m.one_way_delay_avg_us <= 131'000,
             std::to_string(m.one_way_delay_avg_us).c_str());
  LONGS_EQUAL(m.one_way_delay_avg_us, m.one_way_delay_max_us);
}

// A stream that stopped (no packet for media_fresh) or ended is not voice
// the uplink carries now.
TEST(CallExport, UplinkMediaForgetsStreamsThatStopped) {
  Lab lab;
  lab.answer("stop@test");
  lab.media(600);
  lab.run_for(1100 * kNsPerMs);
  LONGS_EQUAL(1, lab.ex->uplink_media(0).streams);
  lab.run_for(3 * kNsPerSec);
  const api::UplinkMediaWire m = lab.ex->uplink_media(0);
  LONGS_EQUAL(0, m.streams);
  LONGS_EQUAL(0, m.rated);
  LONGS_EQUAL(0, m.mos_avg_x100);
}
