#include <CppUTest/TestHarness.h>

#include "dataplane/failover/blackout.hpp"

using namespace tg;
using namespace tg::failover;

namespace {
constexpr TimeNs kMs = kNsPerMs;
// Our side of the call: still talking at the scan (kTalking, filled in by
// the scan), or its last packet and packets in its last second.
constexpr TimeNs kTalking = ~TimeNs(0);
StreamSample stream(TimeNs last_rx, UplinkIndex u = 0, uint8_t flags = 0, uint32_t recent = 50,
                    TimeNs last_tx = kTalking, uint32_t recent_tx = 50) {
  return {last_rx, recent, u, flags, last_tx, recent_tx};
}
StreamSample at(StreamSample s, TimeNs now) {
  if (s.last_tx_ns == kTalking) s.last_tx_ns = now;
  return s;
}
struct Fixture {
  BlackoutDetector d;
  TimeNs since[kMaxUplinks] = {};
  static BlackoutConfig ms150() {
    BlackoutConfig c;
    c.blackout = 150 * kMs;  // fixed here so the figures below do not follow the default
    return c;
  }
  explicit Fixture(BlackoutConfig c = ms150()) {
    for (uint8_t u = 0; u < kMaxUplinks; ++u) d.configure(u, c);
  }
  const BlackoutResult& scan(TimeNs now, std::initializer_list<StreamSample> ss, UplinkIndex u = 0) {
    d.begin(now, since);
    for (const auto& s : ss) d.add(at(s, now));
    d.end();
    return d.result(u);
  }
};
}  // namespace

TEST_GROUP(Blackout) {};

TEST(Blackout, AllActiveStreamsSilentForTheThreshold) {
  Fixture f;  // 150 ms, >= 2 streams, 100 %
  const TimeNs t = 10'000 * kMs;
  CHECK_FALSE(f.scan(t + 149 * kMs, {stream(t), stream(t - 5 * kMs)}).blackout);
  CHECK_FALSE(f.scan(t + 150 * kMs, {stream(t), stream(t + 30 * kMs)}).blackout);  // one still talking
  const BlackoutResult& r = f.scan(t + 150 * kMs, {stream(t), stream(t - 5 * kMs)});
  CHECK_TRUE(r.blackout);
  LONGS_EQUAL(2, r.active);
  LONGS_EQUAL(2, r.silent);
  LONGS_EQUAL(t, r.onset);  // the newest last packet: media had stopped by then
}

TEST(Blackout, MinimumNumberOfStreams) {
  Fixture f;
  const TimeNs t = 10'000 * kMs;
  const BlackoutResult& r = f.scan(t + 500 * kMs, {stream(t)});
  CHECK_FALSE(r.blackout);  // one call going quiet is that call, not the uplink
  LONGS_EQUAL(1, r.silent);
  BlackoutConfig one = Fixture::ms150();
  one.min_streams = 1;
  Fixture g(one);
  CHECK_TRUE(g.scan(t + 500 * kMs, {stream(t)}).blackout);
}

TEST(Blackout, QuorumOfStreams) {
  BlackoutConfig c = Fixture::ms150();
  c.quorum_pct = 75;
  Fixture f(c);
  const TimeNs t = 10'000 * kMs;
  const TimeNs now = t + 200 * kMs;
  // 3 of 4 silent = 75 %: blackout; 2 of 4: not.
  CHECK_TRUE(f.scan(now, {stream(t), stream(t), stream(t), stream(now - kMs)}).blackout);
  CHECK_FALSE(f.scan(now, {stream(t), stream(t), stream(now - kMs), stream(now - kMs)}).blackout);
}

TEST(Blackout, HoldSendonlyInactiveComfortNoiseAndEndedAreExcluded) {
  Fixture f;
  const TimeNs t = 10'000 * kMs;
  const TimeNs now = t + 1000 * kMs;
  const BlackoutResult& r = f.scan(now, {stream(t, 0, kStreamOnHold), stream(t, 0, kStreamComfortNoise),
                                         stream(t, 0, kStreamEnded), stream(t)});
  CHECK_FALSE(r.blackout);
  LONGS_EQUAL(4, r.streams);
  LONGS_EQUAL(1, r.active);
  CHECK_TRUE(f.scan(now, {stream(t, 0, kStreamOnHold), stream(t), stream(t)}).blackout);
  CHECK_TRUE(is_comfort_noise_pt(13));
  CHECK_TRUE(is_comfort_noise_pt(118, 118));
  CHECK_FALSE(is_comfort_noise_pt(0, 118));
  CHECK_FALSE(is_comfort_noise_pt(118));
}

TEST(Blackout, OnlyStreamsThatWereFlowingCount) {
  Fixture f;
  const TimeNs t = 10'000 * kMs;
  CHECK_FALSE(f.scan(t + 500 * kMs, {stream(t, 0, 0, 9), stream(t, 0, 0, 3)}).blackout);  // < 10 packets/s
  CHECK_FALSE(f.scan(t + 500 * kMs, {stream(0), stream(0)}).blackout);                     // never received
}

TEST(Blackout, StreamsMovedBySwitchCountOnlyIfStillFlowingWhenMoved) {
  Fixture f;
  const TimeNs sw = 20'000 * kMs;
  f.since[1] = sw;
  // Silent for 160 ms when moved to wan1 (the reason for the switch): not wan1's fault.
  const BlackoutResult& r = f.scan(sw + 1000 * kMs, {stream(sw - 160 * kMs, 1), stream(sw - 170 * kMs, 1)}, 1);
  CHECK_FALSE(r.blackout);
  LONGS_EQUAL(0, r.active);
  // Flowing until the switch, nothing since: wan1 carries nothing (failback to a dead uplink).
  CHECK_FALSE(f.scan(sw + 149 * kMs, {stream(sw - 10 * kMs, 1), stream(sw - 20 * kMs, 1)}, 1).blackout);
  const BlackoutResult& r2 = f.scan(sw + 150 * kMs, {stream(sw - 10 * kMs, 1), stream(sw - 20 * kMs, 1)}, 1);
  CHECK_TRUE(r2.blackout);
  LONGS_EQUAL(sw, r2.onset);  // silence measured from the switch
}

TEST(Blackout, UplinksAreIndependentAndBadIndicesCounted) {
  Fixture f;
  const TimeNs t = 10'000 * kMs;
  f.d.begin(t + 300 * kMs, f.since);
  f.d.add(at(stream(t, 0), t + 300 * kMs));
  f.d.add(at(stream(t, 0), t + 300 * kMs));
  f.d.add(at(stream(t + 290 * kMs, 1), t + 300 * kMs));
  f.d.add(at(stream(t + 290 * kMs, 1), t + 300 * kMs));
  f.d.add(at(stream(t, 9), t + 300 * kMs));
  f.d.end();
  CHECK_TRUE(f.d.result(0).blackout);
  CHECK_FALSE(f.d.result(1).blackout);
  LONGS_EQUAL(1, f.d.samples_bad_uplink());
}

TEST(Blackout, FlowMeterSlidingSecond) {
  FlowMeter m;
  const TimeNs t0 = 123'456 * kMs;
  for (int i = 0; i < 100; ++i) m.on_packet(t0 + i * 20 * kMs);  // 2 s of 50 pps
  const TimeNs last = t0 + 99 * 20 * kMs;
  CHECK(m.recent(last) >= 45 && m.recent(last) <= 52);
  LONGS_EQUAL(0, m.recent(last + 2100 * kMs));
  FlowMeter slow;
  for (int i = 0; i < 10; ++i) slow.on_packet(t0 + i * 500 * kMs);  // 2 pps
  CHECK(slow.recent(t0 + 9 * 500 * kMs) <= 3);
}

TEST(Blackout, LoopStallsAreLeftOutOfSilence) {
  Fixture f;  // 150 ms
  const TimeNs t = 10'000 * kMs;
  LoopStalls stalls;
  auto scan = [&](TimeNs now, std::initializer_list<StreamSample> ss) {
    f.d.begin(now, f.since, &stalls);
    for (const auto& s : ss) f.d.add(at(s, now));
    f.d.end();
    return f.d.result(0);
  };
  // Streams last seen at t; the loop stalled from t + 10 ms to t + 610 ms
  // and scans before draining its rings: silent without the guard, not
  // with it (20 ms of silence outside the stall).
  stalls.add(t + 10 * kMs, t + 610 * kMs);
  BlackoutResult r = scan(t + 620 * kMs, {stream(t), stream(t - 5 * kMs)});
  CHECK_FALSE(r.blackout);
  CHECK_TRUE(r.deferred_stall);
  LONGS_EQUAL(2, r.active);
  LONGS_EQUAL(0, r.silent);
  // After the drain the streams talk again: nothing held back.
  r = scan(t + 700 * kMs, {stream(t + 650 * kMs), stream(t + 690 * kMs)});
  CHECK_FALSE(r.blackout);
  CHECK_FALSE(r.deferred_stall);
  // Really silent: a blackout after 150 ms of running time (10 before the
  // stall, 140 after); its onset is when the media stopped.
  r = scan(t + 749 * kMs, {stream(t), stream(t - 5 * kMs)});
  CHECK_FALSE(r.blackout);
  r = scan(t + 750 * kMs, {stream(t), stream(t - 5 * kMs)});
  CHECK_TRUE(r.blackout);
  CHECK_FALSE(r.deferred_stall);
  LONGS_EQUAL(t, r.onset);
  // Silence that starts after the stall is not delayed by it.
  r = scan(t + 1000 * kMs, {stream(t + 850 * kMs), stream(t + 840 * kMs)});
  CHECK_TRUE(r.blackout);
  // Several stalls in one silence all count; a stall before it does not.
  stalls.add(t + 1100 * kMs, t + 1200 * kMs);
  stalls.add(t + 1250 * kMs, t + 1300 * kMs);
  r = scan(t + 1349 * kMs, {stream(t + 1050 * kMs), stream(t + 1050 * kMs)});  // 299 - 150 stalled
  CHECK_FALSE(r.blackout);
  r = scan(t + 1350 * kMs, {stream(t + 1050 * kMs), stream(t + 1050 * kMs)});
  CHECK_TRUE(r.blackout);
  LONGS_EQUAL(150 * kMs, stalls.within(t + 1050 * kMs, t + 1350 * kMs));
  LONGS_EQUAL(100 * kMs, stalls.within(t + 1125 * kMs, t + 1275 * kMs));  // 75 + 25
  LONGS_EQUAL(0, stalls.within(t + 1300 * kMs, t + 1400 * kMs));
}

TEST(Blackout, StaleSilenceAndCallsBeingSetUpDoNotCount) {
  Fixture f;  // 150 ms: stale after 10 x 150 ms
  const TimeNs t = 100'000 * kMs;
  // Two streams last heard 1.6 s ago (a call over, its records left): not
  // a new blackout; a third fresh silent one alone is below min_streams.
  BlackoutResult r = f.scan(t, {stream(t - 1600 * kMs), stream(t - 1500 * kMs), stream(t - 200 * kMs)});
  CHECK_FALSE(r.blackout);
  LONGS_EQUAL(1, r.active);
  // Just under stale: still counted.
  r = f.scan(t, {stream(t - 1499 * kMs), stream(t - 200 * kMs)});
  CHECK_TRUE(r.blackout);
  LONGS_EQUAL(2, r.active);
  // Stream records picked up by a new call that is still ringing: no media expected yet.
  r = f.scan(t, {stream(t - 300 * kMs, 0, kStreamNotAnswered), stream(t - 300 * kMs, 0, kStreamNotAnswered)});
  CHECK_FALSE(r.blackout);
  LONGS_EQUAL(0, r.active);
  LONGS_EQUAL(2, r.streams);
}

TEST(Blackout, OnlyACarrierSilentWhileWeTalkCounts) {
  Fixture f;  // 150 ms: our side may pause talk_gap = 75 ms
  const TimeNs t = 10'000 * kMs;
  const TimeNs now = t + 200 * kMs;
  LONGS_EQUAL(75 * kMs, talk_gap(150 * kMs));
  LONGS_EQUAL(60 * kMs, talk_gap(120 * kMs));
  LONGS_EQUAL(80 * kMs, talk_gap(250 * kMs));
  // We talk, the carrier went silent on both calls: a blackout.
  BlackoutResult r = f.scan(now, {stream(t), stream(t - 5 * kMs)});
  CHECK_TRUE(r.blackout);
  // Both directions went quiet together (media ended before the BYE): ended, not counted.
  r = f.scan(now, {stream(t, 0, 0, 50, t), stream(t - 5 * kMs, 0, 0, 50, t + 10 * kMs)});
  CHECK_FALSE(r.blackout);
  LONGS_EQUAL(0, r.active);
  LONGS_EQUAL(2, r.ended);
  // Our side stopped a little after the carrier's (still within the
  // silence): quiet for >= talk_gap at the scan, ended media too.
  r = f.scan(now, {stream(t, 0, 0, 50, t + 120 * kMs), stream(t, 0, 0, 50, t + 125 * kMs)});
  CHECK_FALSE(r.blackout);
  LONGS_EQUAL(2, r.ended);
  // ...but a pause shorter than talk_gap is still talking.
  CHECK_TRUE(f.scan(now, {stream(t, 0, 0, 50, now - 74 * kMs), stream(t, 0, 0, 50, now - 20 * kMs)}).blackout);
  // One-way announcements: inbound only (our side never sent, or too little
  // to be flowing): no evidence, never a blackout.
  r = f.scan(now, {stream(t, 0, 0, 50, 0, 0), stream(t, 0, 0, 50, now, 3)});
  CHECK_FALSE(r.blackout);
  LONGS_EQUAL(0, r.active);
  LONGS_EQUAL(2, r.one_way);
  // A mix: one ended call and one silent while we talk is below min_streams.
  r = f.scan(now, {stream(t, 0, 0, 50, t), stream(t)});
  CHECK_FALSE(r.blackout);
  LONGS_EQUAL(1, r.active);
  LONGS_EQUAL(1, r.silent);
  // With quorum 100 %, an ended call does not dilute a real blackout of the others.
  CHECK_TRUE(f.scan(now, {stream(t, 0, 0, 50, t), stream(t), stream(t)}).blackout);
}

TEST(Blackout, OurSideQuietOnlyForALoopStallStillTalks) {
  Fixture f;  // 150 ms
  const TimeNs t = 10'000 * kMs;
  LoopStalls stalls;
  // Both directions' packets waited in the rings for the 400 ms stall: our
  // side's quiet time less the stall is 10 ms, still talking; the carrier's
  // silence is 20 ms of running time: no blackout yet, held back.
  stalls.add(t + 10 * kMs, t + 410 * kMs);
  f.d.begin(t + 420 * kMs, f.since, &stalls);
  f.d.add(stream(t, 0, 0, 50, t + 10 * kMs));
  f.d.add(stream(t, 0, 0, 50, t + 10 * kMs));
  f.d.end();
  LONGS_EQUAL(2, f.d.result(0).active);
  LONGS_EQUAL(0, f.d.result(0).ended);
  CHECK_FALSE(f.d.result(0).blackout);
  CHECK_TRUE(f.d.result(0).deferred_stall);
  // Without the stall the same figures are ended media.
  f.d.begin(t + 420 * kMs, f.since);
  f.d.add(stream(t, 0, 0, 50, t + 10 * kMs));
  f.d.add(stream(t, 0, 0, 50, t + 10 * kMs));
  f.d.end();
  LONGS_EQUAL(2, f.d.result(0).ended);
}
