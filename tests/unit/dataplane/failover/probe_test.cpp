#include <CppUTest/TestHarness.h>

#include "dataplane/failover/probe.hpp"

using namespace tg;
using namespace tg::failover;

namespace {
constexpr TimeNs kMs = kNsPerMs;
Config two_targets() {
  Config c = Config::defaults();
  c.uplinks[0].target_count = 2;
  c.uplinks[0].targets[0] = IpAddr::v4(0xC0000201);  // 192.0.2.1
  c.uplinks[0].targets[1] = IpAddr::v4(0xC6336401);  // 198.51.100.1
  c.uplinks[1].target_count = 1;
  c.uplinks[1].targets[0] = IpAddr::v4(0xCB007101);  // 203.0.113.1
  c.uplinks[1].probe_proto = ProbeProto::udp_echo;
  c.uplinks[1].udp_echo_port = 7007;
  c.probe_window_rounds = 10;
  return c;
}
}  // namespace

TEST_GROUP(Probe) {};

TEST(Probe, OneRoundPerIntervalToEveryTarget) {
  ProbeScheduler p;
  p.configure(two_targets(), 0);
  ProbeRequest out[16];
  size_t n = p.due(0, out, 16);
  LONGS_EQUAL(3, n);  // wan0 x2, wan1 x1, lte has no targets
  LONGS_EQUAL(0, out[0].uplink);
  LONGS_EQUAL(0x5447, out[0].ident);
  LONGS_EQUAL(out[0].seq, out[1].seq);
  LONGS_EQUAL(1, out[1].target);
  LONGS_EQUAL(0x5448, out[2].ident);
  CHECK(out[0].proto == ProbeProto::icmp_echo);
  CHECK(out[2].proto == ProbeProto::udp_echo);
  LONGS_EQUAL(7007, out[2].udp_port);
  CHECK(out[1].dst == IpAddr::v4(0xC6336401));
  LONGS_EQUAL(0, p.due(9 * kMs, out, 16));
  LONGS_EQUAL(3, p.due(10 * kMs, out, 16));
  LONGS_EQUAL(1, out[0].seq);
  LONGS_EQUAL(0, p.due(15 * kMs, out, 16));
  // No catch-up after a stall: one round, then the interval again.
  LONGS_EQUAL(3, p.due(100 * kMs, out, 16));
  LONGS_EQUAL(0, p.due(105 * kMs, out, 16));
  // Whole rounds only when out is short.
  LONGS_EQUAL(2, p.due(110 * kMs, out, 2));
  LONGS_EQUAL(1, p.due(111 * kMs, out, 2));
  p.set_enabled(1, false, 120 * kMs);
  LONGS_EQUAL(2, p.due(120 * kMs, out, 16));
  p.set_enabled(1, true, 125 * kMs);
  LONGS_EQUAL(1, p.due(125 * kMs, out, 16));
  LONGS_EQUAL(0x5448, out[0].ident);
}

TEST(Probe, RepliesMatchedDuplicatesLateAndUnknown) {
  ProbeScheduler p;
  p.configure(two_targets(), 0);
  ProbeRequest out[16];
  p.due(0, out, 16);
  RoundOutcome o{};
  CHECK(p.on_reply(0x5447, 0, 25 * kMs, o) == ReplyMatch::answered);
  CHECK_TRUE(o.answered);
  LONGS_EQUAL(25 * kMs, o.rtt);
  CHECK(p.on_reply(0x5447, 0, 26 * kMs, o) == ReplyMatch::duplicate);  // second target
  CHECK(p.on_reply(0x5447, 7, 26 * kMs, o) == ReplyMatch::unknown);    // never sent
  CHECK(p.on_reply(0x1234, 0, 26 * kMs, o) == ReplyMatch::unknown);    // not ours
  // wan1's round 0 times out at 100 ms.
  RoundOutcome lost[4];
  LONGS_EQUAL(0, p.expire(99 * kMs, lost, 4));
  LONGS_EQUAL(1, p.expire(100 * kMs, lost, 4));
  LONGS_EQUAL(1, lost[0].uplink);
  CHECK_FALSE(lost[0].answered);
  CHECK(p.on_reply(0x5448, 0, 101 * kMs, o) == ReplyMatch::late);
  api::ProbeStatsWire s = p.stats(1);
  LONGS_EQUAL(1, s.lost_rounds);
  LONGS_EQUAL(1, s.late);
  LONGS_EQUAL(1'000'000, s.loss_ppm);
  // A reply after the timeout but before expire() ran is late too.
  p.due(200 * kMs, out, 16);
  CHECK(p.on_reply(0x5447, 1, 300 * kMs, o) == ReplyMatch::late);
  LONGS_EQUAL(2, p.expire(300 * kMs, lost, 4));  // wan0 round 1 and wan1 round 1
  LONGS_EQUAL(0, lost[0].uplink);
  LONGS_EQUAL(1, p.stats(0).lost_rounds);
  LONGS_EQUAL(1, p.stats(0).late);
}

TEST(Probe, ExpireReturnsOldestFirstAndSkipsAnswered) {
  Config c = two_targets();
  c.uplinks[1].target_count = 0;
  ProbeScheduler p;
  p.configure(c, 0);
  ProbeRequest out[4];
  for (int i = 0; i < 5; ++i) p.due(i * 10 * kMs, out, 4);  // seq 0..4
  RoundOutcome o{};
  CHECK(p.on_reply(0x5447, 2, 60 * kMs, o) == ReplyMatch::answered);
  RoundOutcome lost[8];
  size_t n = p.expire(1000 * kMs, lost, 8);
  LONGS_EQUAL(4, n);
  LONGS_EQUAL(0, lost[0].sent_ns);
  LONGS_EQUAL(10 * kMs, lost[1].sent_ns);
  LONGS_EQUAL(30 * kMs, lost[2].sent_ns);
  LONGS_EQUAL(40 * kMs, lost[3].sent_ns);
  LONGS_EQUAL(0, p.expire(2000 * kMs, lost, 8));
}

TEST(Probe, RttLossJitterOverTheWindow) {
  Config c = two_targets();
  c.uplinks[1].target_count = 0;
  ProbeScheduler p;
  p.configure(c, 0);
  ProbeRequest out[4];
  RoundOutcome o{}, lost[4];
  // 10-round window: RTTs 20,30,20,30,... ms with round 4 lost.
  for (int i = 0; i < 12; ++i) {
    TimeNs t = TimeNs(i) * 100 * kMs;
    p.expire(t, lost, 4);
    p.due(t, out, 4);
    if (i == 4) continue;
    p.on_reply(0x5447, uint16_t(i), t + (i % 2 ? 30 : 20) * kMs, o);
  }
  p.expire(1200 * kMs, lost, 4);
  api::ProbeStatsWire s = p.stats(0);
  LONGS_EQUAL(10, s.window_rounds);  // rounds 2..11
  LONGS_EQUAL(100'000, s.loss_ppm);
  LONGS_EQUAL(20'000, s.rtt_min_us);
  LONGS_EQUAL(30'000, s.rtt_max_us);
  // Answered in completion order: 20,30,(lost 4 completes at 5's time, after 5 answered),...
  CHECK(s.jitter_us >= 8'000 && s.jitter_us <= 10'000);
  LONGS_EQUAL(24, s.sent);
  LONGS_EQUAL(11, s.answered);
  LONGS_EQUAL(1, s.lost_rounds);
}

TEST(Probe, ALoopStallMovesTheDeadlineOfRoundsInFlight) {
  Config c = two_targets();
  c.uplinks[1].target_count = 0;
  ProbeScheduler p;
  p.configure(c, 0);
  ProbeRequest out[4];
  for (int i = 0; i < 6; ++i) p.due(i * 10 * kMs, out, 4);  // seq 0..5, deadlines 100..150 ms
  RoundOutcome lost[8], o{};
  LONGS_EQUAL(1, p.expire(100 * kMs, lost, 8));  // round 0, before the stall
  CHECK_FALSE(lost[0].stalled);
  // The loop stalls from 105 ms to 605 ms: rounds 1..5 get 500 ms more.
  LONGS_EQUAL(1, p.extend_for_stall(105 * kMs, 605 * kMs));  // wan0 only (wan1 has no targets)
  LONGS_EQUAL(0, p.expire(605 * kMs, lost, 8));
  // Round 2's reply waited in the ring: stamped at 606 ms, it answers.
  CHECK(p.on_reply(0x5447, 2, 606 * kMs, o) == ReplyMatch::answered);
  CHECK_TRUE(o.stalled);
  LONGS_EQUAL(0, o.rtt);  // the stamp is the stall's, not the path's
  LONGS_EQUAL(1, p.answered_after_stall(0));
  // The others are lost a whole timeout of running time after their send.
  LONGS_EQUAL(0, p.expire(609 * kMs, lost, 8));
  LONGS_EQUAL(1, p.expire(610 * kMs, lost, 8));  // round 1: 10 + 100 + 500
  CHECK_TRUE(lost[0].stalled);
  LONGS_EQUAL(3, p.expire(650 * kMs, lost, 8));  // rounds 3, 4, 5
  LONGS_EQUAL(50 * kMs, lost[2].sent_ns);
  api::ProbeStatsWire s = p.stats(0);
  LONGS_EQUAL(5, s.lost_rounds);
  LONGS_EQUAL(1, s.answered);
  LONGS_EQUAL(0, s.rtt_max_us);   // no RTT sample from the stalled answer
  // A round sent after the stall is judged as usual, and its late reply is late.
  p.due(650 * kMs, out, 4);
  LONGS_EQUAL(0, p.expire(749 * kMs, lost, 8));
  LONGS_EQUAL(1, p.expire(750 * kMs, lost, 8));
  CHECK_FALSE(lost[0].stalled);
  CHECK(p.on_reply(0x5447, 6, 751 * kMs, o) == ReplyMatch::late);
  // No round in flight: a stall moves nothing.
  LONGS_EQUAL(0, p.extend_for_stall(800 * kMs, 900 * kMs));
}
