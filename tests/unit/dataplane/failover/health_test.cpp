// UplinkHealth: every state x every input (table), then the timed
// transitions, hold-down growth with flaps, decay, fault onsets.
#include <CppUTest/TestHarness.h>

#include "dataplane/failover/health.hpp"

using namespace tg;
using namespace tg::failover;
using S = UplinkState;
using I = HealthInput;

namespace {
constexpr TimeNs kMs = kNsPerMs;
constexpr TimeNs kSec = kNsPerSec;

HealthTimers test_timers() {
  HealthTimers t;
  t.miss_threshold = 3;
  t.holddown_initial = 10 * kSec;
  t.holddown_max = 80 * kSec;
  t.holddown_decay = 60 * kSec;
  return t;
}

// Drives a fresh machine into `s` at about t = 1 s.
UplinkHealth in_state(S s) {
  UplinkHealth h;
  h.reset(test_timers(), 0);
  h.handle(I::link_up, 1 * kSec);  // first recovery: straight to up
  switch (s) {
    case S::down: h.handle(I::link_down, 1 * kSec + kMs); break;
    case S::recovering:
      h.handle(I::link_down, 1 * kSec + kMs);
      h.handle(I::link_up, 1 * kSec + 2 * kMs);
      break;
    case S::suspect: h.handle(I::probe_lost, 1 * kSec + kMs); break;
    case S::up: break;
    case S::admin_down: h.handle(I::admin_down, 1 * kSec + kMs); break;
    case S::count_: break;
  }
  return h;
}

struct Row {
  S from;
  I input;
  S to;
};

// One input, 10 ms after reaching the state (well inside any hold-down).
const Row kTable[] = {
    {S::down, I::link_up, S::recovering},       {S::down, I::link_down, S::down},
    {S::down, I::probe_ok, S::down},             {S::down, I::probe_lost, S::down},
    {S::down, I::blackout_on, S::down},          {S::down, I::blackout_off, S::down},
    {S::down, I::soft_raise, S::down},           {S::down, I::soft_clear, S::down},
    {S::down, I::admin_down, S::admin_down},     {S::down, I::admin_up, S::down},
    {S::down, I::timer, S::down},

    {S::recovering, I::link_up, S::recovering},  {S::recovering, I::link_down, S::down},
    {S::recovering, I::probe_ok, S::recovering}, {S::recovering, I::probe_lost, S::recovering},
    {S::recovering, I::blackout_on, S::down},    {S::recovering, I::blackout_off, S::recovering},
    {S::recovering, I::soft_raise, S::down},     {S::recovering, I::soft_clear, S::recovering},
    {S::recovering, I::admin_down, S::admin_down}, {S::recovering, I::admin_up, S::recovering},
    {S::recovering, I::timer, S::recovering},

    {S::suspect, I::link_up, S::suspect},        {S::suspect, I::link_down, S::down},
    {S::suspect, I::probe_ok, S::up},            {S::suspect, I::probe_lost, S::suspect},
    {S::suspect, I::blackout_on, S::down},       {S::suspect, I::blackout_off, S::suspect},
    {S::suspect, I::soft_raise, S::down},        {S::suspect, I::soft_clear, S::suspect},
    {S::suspect, I::admin_down, S::admin_down},  {S::suspect, I::admin_up, S::suspect},
    {S::suspect, I::timer, S::suspect},

    {S::up, I::link_up, S::up},                  {S::up, I::link_down, S::down},
    {S::up, I::probe_ok, S::up},                 {S::up, I::probe_lost, S::suspect},
    {S::up, I::blackout_on, S::down},            {S::up, I::blackout_off, S::up},
    {S::up, I::soft_raise, S::down},             {S::up, I::soft_clear, S::up},
    {S::up, I::admin_down, S::admin_down},       {S::up, I::admin_up, S::up},
    {S::up, I::timer, S::up},

    {S::admin_down, I::link_up, S::admin_down},  {S::admin_down, I::link_down, S::admin_down},
    {S::admin_down, I::probe_ok, S::admin_down}, {S::admin_down, I::probe_lost, S::admin_down},
    {S::admin_down, I::blackout_on, S::admin_down}, {S::admin_down, I::blackout_off, S::admin_down},
    {S::admin_down, I::soft_raise, S::admin_down}, {S::admin_down, I::soft_clear, S::admin_down},
    {S::admin_down, I::admin_down, S::admin_down}, {S::admin_down, I::admin_up, S::recovering},
    {S::admin_down, I::timer, S::admin_down},
};
}  // namespace

TEST_GROUP(Health) {};

TEST(Health, EveryStateTimesEveryInput) {
  static_assert(std::size(kTable) == size_t(S::count_) * size_t(I::count_));
  for (const Row& row : kTable) {
    UplinkHealth h = in_state(row.from);
    CHECK_EQUAL_TEXT(uplink_state_name(row.from), uplink_state_name(h.state()), "setup");
    h.handle(row.input, 1 * kSec + 10 * kMs, api::soft_fault_bit(api::SoftFault::latency));
    std::string what = std::string(uplink_state_name(row.from)) + " + " + health_input_name(row.input);
    STRCMP_EQUAL_TEXT(uplink_state_name(row.to), uplink_state_name(h.state()), what.c_str());
  }
}

TEST(Health, StartsDownAndFirstRecoveryIsImmediate) {
  UplinkHealth h;
  h.reset(test_timers(), 0);
  CHECK(h.state() == S::down);
  CHECK_FALSE(h.usable());
  LONGS_EQUAL(0, h.holddown());
  CHECK_TRUE(h.handle(I::link_up, 5 * kMs));
  CHECK(h.state() == S::up);
  LONGS_EQUAL(0, h.penalty());
  LONGS_EQUAL(10 * kSec, h.holddown());  // now it has been up, a recovery needs the hold-down
}

TEST(Health, DownAfterExactlyNConsecutiveMisses) {
  UplinkHealth h = in_state(S::up);
  h.handle(I::probe_lost, 2 * kSec, 0, 1900 * kMs);
  h.handle(I::probe_lost, 2 * kSec + 10 * kMs, 0, 1910 * kMs);
  CHECK(h.state() == S::suspect);
  LONGS_EQUAL(2, h.misses());
  h.handle(I::probe_ok, 2 * kSec + 15 * kMs);  // a reply breaks the run
  CHECK(h.state() == S::up);
  for (int i = 0; i < 2; ++i) h.handle(I::probe_lost, 3 * kSec + i * 10 * kMs, 0, 2900 * kMs + i * 10 * kMs);
  CHECK(h.state() == S::suspect);
  CHECK_TRUE(h.handle(I::probe_lost, 3 * kSec + 20 * kMs, 0, 2920 * kMs));
  CHECK(h.state() == S::down);
  LONGS_EQUAL(api::kFault_probe, h.fault_mask());
  LONGS_EQUAL(2900 * kMs, h.fault_onset());  // the first lost round of the run
  LONGS_EQUAL(1, h.penalty());
}

TEST(Health, RecoveringBecomesUpOrSuspectAfterHoldDown) {
  UplinkHealth h = in_state(S::recovering);  // clean since 1.002 s, hold-down 10 s
  TimeNs clean = 1 * kSec + 2 * kMs;
  LONGS_EQUAL(clean + 10 * kSec, h.recovery_deadline());
  CHECK_FALSE(h.handle(I::timer, clean + 10 * kSec - 1));
  CHECK(h.state() == S::recovering);
  CHECK_TRUE(h.handle(I::timer, clean + 10 * kSec));
  CHECK(h.state() == S::up);

  UplinkHealth g = in_state(S::recovering);
  g.handle(I::probe_lost, clean + 5 * kSec);  // one miss: not a fault, does not restart the hold-down
  CHECK(g.state() == S::recovering);
  g.handle(I::timer, clean + 10 * kSec);
  CHECK(g.state() == S::suspect);
}

TEST(Health, HoldDownDoublesWithEachFlapUpToTheCap) {
  UplinkHealth h = in_state(S::up);
  TimeNs t = 2 * kSec;
  const TimeNs expected[] = {10, 20, 40, 80, 80, 80};
  for (TimeNs want : expected) {
    h.handle(I::link_down, t);
    CHECK(h.state() == S::down);
    h.handle(I::link_up, t + kMs);
    CHECK(h.state() == S::recovering);
    LONGS_EQUAL(want * kSec, h.recovery_deadline() - (t + kMs));
    t = h.recovery_deadline();
    h.handle(I::timer, t);
    CHECK(h.state() == S::up);
    t += kSec;
  }
  LONGS_EQUAL(6, h.flaps_total());
}

TEST(Health, FlapWhileRecoveringCountsAndRestartsTheHoldDown) {
  UplinkHealth h = in_state(S::recovering);
  LONGS_EQUAL(1, h.penalty());
  h.handle(I::link_down, 3 * kSec);
  CHECK(h.state() == S::down);
  LONGS_EQUAL(2, h.penalty());
  h.handle(I::link_up, 4 * kSec);
  LONGS_EQUAL(4 * kSec + 20 * kSec, h.recovery_deadline());
}

TEST(Health, PenaltyHalvesPerDecayPeriodOfUsableTime) {
  UplinkHealth h = in_state(S::up);
  TimeNs t = 2 * kSec;
  for (int i = 0; i < 3; ++i) {  // penalty 3
    h.handle(I::link_down, t);
    h.handle(I::link_up, t + kMs);
    t = h.recovery_deadline();
    h.handle(I::timer, t);
  }
  LONGS_EQUAL(3, h.penalty());
  CHECK(h.state() == S::up);
  h.handle(I::timer, t + 60 * kSec - 1);
  LONGS_EQUAL(3, h.penalty());
  h.handle(I::timer, t + 60 * kSec);
  LONGS_EQUAL(1, h.penalty());
  LONGS_EQUAL(10 * kSec, h.holddown());
  h.handle(I::timer, t + 120 * kSec);
  LONGS_EQUAL(0, h.penalty());
  LONGS_EQUAL(10 * kSec, h.holddown());  // never below the initial hold-down
  // No decay while down.
  h.handle(I::link_down, t + 121 * kSec);
  h.handle(I::link_down, t + 1000 * kSec);
  LONGS_EQUAL(1, h.penalty());
}

TEST(Health, SoftFaultsStackAndClearIndividually) {
  UplinkHealth h = in_state(S::up);
  const uint8_t lat = api::soft_fault_bit(api::SoftFault::latency);
  const uint8_t mos = api::soft_fault_bit(api::SoftFault::mos);
  h.handle(I::soft_raise, 2 * kSec, lat);
  h.handle(I::soft_raise, 2 * kSec, mos);
  CHECK(h.state() == S::down);
  LONGS_EQUAL(lat | mos, h.soft_faults());
  h.handle(I::soft_clear, 3 * kSec, lat);
  CHECK(h.state() == S::down);
  LONGS_EQUAL(api::kFault_soft, h.fault_mask());
  h.handle(I::soft_clear, 4 * kSec, mos);
  CHECK(h.state() == S::recovering);
  LONGS_EQUAL(0, h.fault_mask());
}

TEST(Health, AdminDownIsNotAFlapAndKeepsOtherFaults) {
  UplinkHealth h = in_state(S::up);
  h.handle(I::admin_down, 2 * kSec);
  LONGS_EQUAL(0, h.penalty());
  h.handle(I::link_down, 3 * kSec);
  CHECK(h.state() == S::admin_down);
  h.handle(I::admin_up, 4 * kSec);
  CHECK(h.state() == S::down);  // carrier still down
  LONGS_EQUAL(api::kFault_link, h.fault_mask());
  h.handle(I::link_up, 5 * kSec);
  CHECK(h.state() == S::recovering);
}

TEST(Health, FaultOnsetIsTheFirstFaultOfTheDownPeriod) {
  UplinkHealth h = in_state(S::up);
  h.handle(I::blackout_on, 2 * kSec, 0, 1850 * kMs);
  LONGS_EQUAL(1850 * kMs, h.fault_onset());
  h.handle(I::link_down, 2100 * kMs);
  LONGS_EQUAL(1850 * kMs, h.fault_onset());  // still the same down period
  STRCMP_EQUAL("blackout_on", health_input_name(I::blackout_on));
}

TEST(Health, ProbeFaultFollowsTimeWhenRoundsWereSentLate) {
  HealthTimers t = test_timers();
  t.miss_threshold = 8;  // miss window 70 ms at 10 ms rounds; at least 6 rounds
  // Dense rounds: 7 lost over 60 ms is no fault, the 8th is.
  UplinkHealth h;
  h.reset(t, 0);
  h.handle(I::link_up, 1 * kSec);
  for (int i = 0; i < 7; ++i) h.handle(I::probe_lost, 2 * kSec + i * 10 * kMs, 0, 1900 * kMs + i * 10 * kMs);
  CHECK(h.state() == S::suspect);
  h.handle(I::probe_lost, 2 * kSec + 70 * kMs, 0, 1970 * kMs);
  CHECK(h.state() == S::down);
  // A starved loop sent a round every 20 ms: 6 lost rounds cover 100 ms >= 70 ms.
  UplinkHealth g;
  g.reset(t, 0);
  g.handle(I::link_up, 1 * kSec);
  for (int i = 0; i < 5; ++i) g.handle(I::probe_lost, 2 * kSec + i * 20 * kMs, 0, 1900 * kMs + i * 20 * kMs);
  CHECK(g.state() == S::suspect);  // 5 rounds over 80 ms: too few
  g.handle(I::probe_lost, 2 * kSec + 100 * kMs, 0, 2000 * kMs);
  CHECK(g.state() == S::down);
  LONGS_EQUAL(1900 * kMs, g.fault_onset());
  // Rounds sent before and after a long stall: 5 lost over 500 ms is not enough.
  UplinkHealth s;
  s.reset(t, 0);
  s.handle(I::link_up, 1 * kSec);
  for (int i = 0; i < 5; ++i) s.handle(I::probe_lost, 3 * kSec + i * kMs, 0, 2000 * kMs + i * 125 * kMs);
  CHECK(s.state() == S::suspect);
  // An answered round ends the run: its span starts again.
  s.handle(I::probe_ok, 3 * kSec + 10 * kMs);
  for (int i = 0; i < 5; ++i) s.handle(I::probe_lost, 4 * kSec + i * 20 * kMs, 0, 3900 * kMs + i * 20 * kMs);
  CHECK(s.state() == S::suspect);
}
