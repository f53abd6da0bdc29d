// Loop stalls: the fast path's thread descheduled for 0.3-1 s (or 40-170
// ms several times a second, as on the loaded lab machine) while calls
// and probes flow. The first pass after the stall scans media and times
// probe rounds out before it drains the rx rings (the worst order): no
// switch. A real fault right after (or during) a stall still switches
// within the customer bound. Each scenario also runs with the guard off
// (loop_stall above the stall) to show it is the guard that holds.
#include <CppUTest/TestHarness.h>

#include <algorithm>

#include "tests/unit/dataplane/failover/sim.hpp"

using namespace tg;
using namespace tg::failover;
using namespace tg::failover::sim;
using R = api::SwitchReason;

namespace {
constexpr TimeNs kBound = 500 * kMs;  // customer: fault to traffic on the backup

Config config(bool probes, bool guard = true) {
  Config c = Config::defaults();
  if (probes)
    for (uint8_t u = 0; u < c.uplink_count; ++u) {
      c.uplinks[u].target_count = 1;
      c.uplinks[u].targets[0] = IpAddr::v4(0xC0000201 + u * 16);
    }
  if (!guard) c.loop_stall = kNsPerSec;
  return c;
}

// A lab-like path: short RTT, so every reply of the rounds in flight lands
// in the ring during the stall.
void lab_path(Network& net, double loss = 0.0, TimeNs jitter = 0) {
  for (auto& p : net.paths) {
    p.one_way = 2 * kMs;
    p.loss = loss;
    p.jitter = jitter;
  }
}

size_t switches_away(const Network& net) {
  size_t n = 0;
  for (const auto& s : net.sink.switches())
    if (s.uplink_from == 0) ++n;
  return n;
}

// First switch away from wan0 at or after `fault`: decided - fault.
TimeNs switch_delay(const Network& net, TimeNs fault, R* reason = nullptr) {
  for (const auto& s : net.sink.switches()) {
    if (s.uplink_from != 0 || s.decided_ns < fault) continue;
    if (reason) *reason = s.reason;
    return s.decided_ns - fault;
  }
  return ~TimeNs(0);
}
}  // namespace

TEST_GROUP(Stall) {};

TEST(Stall, StallDuringFlowingMediaDoesNotSwitch) {
  for (uint32_t seed = 1; seed <= 5; ++seed) {
    for (bool guard : {true, false}) {
      Network net(config(false, guard), seed);
      lab_path(net);
      net.add_streams(2);
      net.run_for(3 * kSec);
      net.stall(TimeNs(300 + 100 * seed) * kMs);  // 0.4 .. 0.8 s
      net.run_for(3 * kSec);
      if (!guard) {
        CHECK_TEXT(switches_away(net) >= 1, "the scenario does fake a blackout without the guard");
        continue;
      }
      LONGS_EQUAL(0, switches_away(net));
      LONGS_EQUAL(1, net.engine.loop_stalls());
      LONGS_EQUAL(1, net.engine.decisions_deferred_stall());
      CHECK(net.engine.longest_stall() >= 400 * kMs);
    }
  }
}

TEST(Stall, StallWithProbeRepliesInTheRingDoesNotSwitch) {
  // RTT 85 ms: 8-9 rounds await their reply at any time, all of them
  // answered while the loop does not run.
  for (uint32_t seed = 1; seed <= 5; ++seed) {
    for (bool guard : {true, false}) {
      Network net(config(true, guard), seed);
      for (auto& p : net.paths) p.one_way = 42 * kMs + kMs / 2;
      net.run_for(3 * kSec);
      net.stall(TimeNs(300 + 100 * seed) * kMs);
      net.run_for(3 * kSec);
      if (!guard) {
        CHECK_TEXT(switches_away(net) >= 1, "the scenario does fake a probe loss without the guard");
        continue;
      }
      LONGS_EQUAL(0, switches_away(net));
      LONGS_EQUAL(0, net.engine.probes().stats(0).lost_rounds);
      CHECK(net.engine.probes().answered_after_stall(0) >= 8);  // replies that waited in the ring
      CHECK(net.engine.probes().stats(0).answered > 500);
    }
  }
}

TEST(Stall, RepeatedStallsUnderLossAndJitterDoNotSwitch) {
  // 3 % loss each way, +-30 ms jitter (lab RTT), probes and 2 calls, a
  // 0.3-0.7 s stall every 2-4 s for 10 simulated minutes.
  for (uint32_t seed = 1; seed <= 2; ++seed) {
    Network net(config(true), seed);
    lab_path(net, 0.03, 30 * kMs);
    net.add_streams(2);
    std::mt19937 rng(seed);
    const TimeNs end = net.now + 600 * kSec;
    while (net.now < end) {
      net.run_for(std::uniform_int_distribution<TimeNs>(2000, 4000)(rng) * kMs);
      net.stall(std::uniform_int_distribution<TimeNs>(300, 700)(rng) * kMs);
    }
    LONGS_EQUAL(0, switches_away(net));
    CHECK(net.engine.loop_stalls() > 100);
    CHECK(net.engine.decisions_deferred_stall() > 100);
  }
}

TEST(Stall, FrequentShortStallsDoNotDelayABlackholeMuch) {
  // The loaded lab: a 40-170 ms stall every ~250 ms. Blackhole with calls
  // and probes: decided within the bound, counted from the fault.
  TimeNs worst = 0, worst_media = 0;
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    for (bool probes : {true, false}) {
      Network net(config(probes), seed);
      lab_path(net, 0.03, 30 * kMs);
      net.add_streams(2);
      std::mt19937 rng(seed);
      auto chop = [&](TimeNs until) {
        while (net.now < until) {
          net.run_for(std::uniform_int_distribution<TimeNs>(60, 200)(rng) * kMs);
          net.stall(std::uniform_int_distribution<TimeNs>(41, 170)(rng) * kMs);
        }
      };
      chop(net.now + 5 * kSec);
      const TimeNs fault = net.now;
      net.paths[0].blackhole = true;
      chop(net.now + 2 * kSec);
      LONGS_EQUAL(1, switches_away(net));
      const TimeNs d = switch_delay(net, fault);
      (probes ? worst : worst_media) = std::max(probes ? worst : worst_media, d);
    }
  }
  CHECK_TEXT(worst < kBound, "probes + media");
  CHECK_TEXT(worst_media < 2 * kBound, "media only: silence counts only while the loop runs");
}

TEST(Stall, RealFaultRightAfterAStallStillSwitchesWithinTheBound) {
  TimeNs worst_media = 0, worst_probe = 0, worst_both = 0;
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    for (int kind = 0; kind < 3; ++kind) {  // media only, probes only, both
      Network net(config(kind != 0), seed);
      lab_path(net, 0.03, 30 * kMs);
      if (kind != 1) net.add_streams(2);
      net.run_for(3 * kSec);
      net.stall(500 * kMs);
      // Blackhole 0..60 ms after the loop is back.
      net.run_for(TimeNs(1 + seed * 3) * kMs);
      const TimeNs fault = net.now;
      net.paths[0].blackhole = true;
      net.run_for(2 * kSec);
      R reason{};
      const TimeNs d = switch_delay(net, fault, &reason);
      LONGS_EQUAL_TEXT(1, switches_away(net), "exactly one switch: the real one");
      TimeNs& worst = kind == 0 ? worst_media : kind == 1 ? worst_probe : worst_both;
      worst = std::max(worst, d);
      if (kind == 0) CHECK(reason == R::media_blackout);
      if (kind == 1) CHECK(reason == R::probe_loss);
    }
  }
  CHECK_TEXT(worst_media < kBound, "media only");
  CHECK_TEXT(worst_probe < kBound, "probes only");
  CHECK_TEXT(worst_both < kBound, "probes + media");
  // And the targets, since the fault came after the stall.
  CHECK_TEXT(worst_both < 250 * kMs, "probes + media, target");
}

TEST(Stall, FaultJustBeforeAStallIsDecidedSoonAfterIt) {
  // The fault cannot be seen while the loop does not run; it must be
  // decided within the bound counted from the loop's return.
  for (uint32_t seed = 1; seed <= 10; ++seed) {
    Network net(config(true), seed);
    lab_path(net, 0.03, 30 * kMs);
    net.add_streams(2);
    net.run_for(3 * kSec);
    net.paths[0].blackhole = true;
    net.run_for(TimeNs(seed * 5) * kMs);
    net.stall(500 * kMs);
    const TimeNs back = net.now;
    net.run_for(2 * kSec);
    LONGS_EQUAL(1, switches_away(net));
    CHECK(switch_delay(net, back) < 300 * kMs);
  }
}

TEST(Stall, StarvedLoopStillDetectsProbeLossInTime) {
  // The loop runs only every 30 ms (under the stall threshold): rounds go
  // out every 30 ms, not 10. Time-based detection: 6 lost rounds spanning
  // the miss window, not 8 rounds (8 x 30 ms + timeout).
  TimeNs worst = 0;
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    Network net(config(true), seed);
    lab_path(net, 0.03, 30 * kMs);
    net.starve(30 * kMs);
    net.run_for(3 * kSec + TimeNs(seed) * kMs);
    const TimeNs fault = net.now;
    net.paths[0].blackhole = true;
    net.run_for(2 * kSec);
    R reason{};
    worst = std::max(worst, switch_delay(net, fault, &reason));
    CHECK(reason == R::probe_loss);
    LONGS_EQUAL(0, net.engine.loop_stalls());
  }
  CHECK(worst < 340 * kMs);  // 8 rounds would need >= 8 x 30 + 100 = 340 ms
}

TEST(Stall, StarvedLoopUnderLossAndJitterDoesNotSwitch) {
  Network net(config(true), 4);
  lab_path(net, 0.03, 30 * kMs);
  net.add_streams(2);
  net.starve(30 * kMs);
  net.run_for(600 * kSec);
  LONGS_EQUAL(0, switches_away(net));
  CHECK(net.engine.probes().stats(0).lost_rounds > 500);
}
