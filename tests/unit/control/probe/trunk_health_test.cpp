// TrunkHealth: every transition of the table, classification of codes,
// probe scheduling, all with an injected clock.
#include "control/probe/trunk_health.hpp"

#include <string>
#include <vector>

#include <CppUTest/TestHarness.h>

using namespace tg::probe;

namespace {

constexpr TimeNs ms(uint64_t v) { return v * kNsPerMs; }

ProbeResult ok() { return {ProbeOutcome::ok, 200, ms(12)}; }
ProbeResult fail() { return {ProbeOutcome::timeout, 0, ms(2000)}; }
ProbeResult busy503() { return {ProbeOutcome::overloaded, 503, ms(5)}; }

// Drives a fresh machine (down_after 3, up_after 2) through `steps` ('s' =
// success, 'f' = failure) and returns the state names after each step.
std::string drive(const char* steps, std::vector<TrunkTransition>* transitions = nullptr) {
  TrunkHealth h({3, 2, ms(1000), ms(200)});
  std::string out;
  TimeNs t = 0;
  for (const char* c = steps; *c; ++c) {
    t += ms(100);
    auto tr = h.on_result(*c == 's' ? ok() : fail(), t);
    if (tr && transitions) transitions->push_back(*tr);
    if (!out.empty()) out += ' ';
    out += trunk_state_name(h.state());
  }
  return out;
}

}  // namespace

TEST_GROUP(TrunkHealth){};

// Each row: the steps from a fresh machine and the states they pass through.
TEST(TrunkHealth, TransitionTable) {
  struct Row {
    const char* steps;
    const char* states;
  } rows[] = {
      // unknown + success: stays unknown until up_after, then up
      {"s", "unknown"},
      {"ss", "unknown up"},
      // unknown + failure: stays unknown until down_after, then down
      {"ff", "unknown unknown"},
      {"fff", "unknown unknown down"},
      // unknown: a success resets the failure run and vice versa
      {"ffsff", "unknown unknown unknown unknown unknown"},
      {"sfs", "unknown unknown unknown"},
      // up + success: up; up + failure: failing
      {"sss", "unknown up up"},
      {"ssf", "unknown up failing"},
      // failing + success: up again; failing + failure: failing, then down
      {"ssfs", "unknown up failing up"},
      {"ssff", "unknown up failing failing"},
      {"ssfff", "unknown up failing failing down"},
      {"ssffsfff", "unknown up failing failing up failing failing down"},
      // down + failure: down; down + success: recovering
      {"ffff", "unknown unknown down down"},
      {"fffs", "unknown unknown down recovering"},
      // recovering + success: up after up_after; recovering + failure: down
      {"fffss", "unknown unknown down recovering up"},
      {"fffsf", "unknown unknown down recovering down"},
      {"fffsfss", "unknown unknown down recovering down recovering up"},
  };
  for (const Row& r : rows) STRCMP_EQUAL_TEXT(r.states, drive(r.steps).c_str(), r.steps);
}

TEST(TrunkHealth, ReportsOnlyChangesOfUsability) {
  std::vector<TrunkTransition> tr;
  drive("ssffsfffsfss", &tr);
  // unknown->up, failing->down, recovering->up; not up->failing, failing->up,
  // down->recovering or recovering->down.
  LONGS_EQUAL(3, tr.size());
  STRCMP_EQUAL("unknown", trunk_state_name(tr[0].from));
  STRCMP_EQUAL("up", trunk_state_name(tr[0].to));
  STRCMP_EQUAL("failing", trunk_state_name(tr[1].from));
  STRCMP_EQUAL("down", trunk_state_name(tr[1].to));
  STRCMP_EQUAL("timeout", probe_outcome_name(tr[1].cause));
  CHECK_TRUE(tr[1].at == ms(800));
  STRCMP_EQUAL("recovering", trunk_state_name(tr[2].from));
  STRCMP_EQUAL("up", trunk_state_name(tr[2].to));
  CHECK_TRUE(tr[2].at == ms(1200));
}

TEST(TrunkHealth, UnknownToDownIsReported) {
  std::vector<TrunkTransition> tr;
  drive("fff", &tr);
  LONGS_EQUAL(1, tr.size());
  STRCMP_EQUAL("down", trunk_state_name(tr[0].to));
}

TEST(TrunkHealth, OneAndOneThresholds) {
  TrunkHealth h({1, 1, ms(1000), 0});
  CHECK_TRUE(h.on_result(ok(), ms(1)).has_value());
  STRCMP_EQUAL("up", trunk_state_name(h.state()));
  auto down = h.on_result(busy503(), ms(2));
  CHECK_TRUE(down.has_value());
  LONGS_EQUAL(503, down->status);
  STRCMP_EQUAL("overloaded", probe_outcome_name(down->cause));
  STRCMP_EQUAL("down", trunk_state_name(h.state()));
  CHECK_TRUE(h.on_result(ok(), ms(3)).has_value());
  STRCMP_EQUAL("up", trunk_state_name(h.state()));
  CHECK_TRUE(h.since() == ms(3));
}

TEST(TrunkHealth, KeepsCountsAndLastFailure) {
  TrunkHealth h({3, 2, ms(1000), 0});
  h.on_result(ok(), ms(1));
  h.on_result(busy503(), ms(2));
  h.on_result(fail(), ms(3));
  LONGS_EQUAL(3, h.probes());
  LONGS_EQUAL(1, h.outcome_count(ProbeOutcome::ok));
  LONGS_EQUAL(1, h.outcome_count(ProbeOutcome::overloaded));
  LONGS_EQUAL(1, h.outcome_count(ProbeOutcome::timeout));
  LONGS_EQUAL(2, h.consecutive_failures());
  STRCMP_EQUAL("timeout", probe_outcome_name(h.last_failure()));
  LONGS_EQUAL(0, h.last().status);
  h.on_result(ok(), ms(4));  // only this success ends the run; the last failure stays known
  STRCMP_EQUAL("timeout", probe_outcome_name(h.last_failure()));
  LONGS_EQUAL(0, h.consecutive_failures());
}

TEST(TrunkHealth, SchedulesAtIntervalWhenUpAndRetryPaceOtherwise) {
  TrunkHealth h({2, 1, ms(10000), ms(1000)});
  CHECK_TRUE(h.due(0));  // the first probe goes at once
  h.probe_sent(0);
  CHECK_FALSE(h.due(ms(999)));
  CHECK_TRUE(h.due(ms(1000)));  // unknown: retry pace
  h.on_result(ok(), ms(20));
  h.probe_sent(ms(1000));
  CHECK_TRUE(h.next_probe() == ms(11000));  // up: full interval
  h.on_result(fail(), ms(3000));
  h.probe_sent(ms(11000));
  CHECK_TRUE(h.next_probe() == ms(12000));  // failing: retry pace
}

TEST(TrunkHealth, ZeroRetryIntervalMeansInterval) {
  TrunkHealth h({2, 1, ms(5000), 0});
  h.probe_sent(ms(1));
  CHECK_TRUE(h.next_probe() == ms(5001));
}

TEST(TrunkHealth, ClassifiesResponseCodes) {
  struct Row {
    int status;
    bool retry_after;
    const char* outcome;
  } rows[] = {
      {200, false, "ok"},          {202, false, "ok"},         {405, false, "alive"},
      {501, false, "alive"},       {408, false, "unreachable"}, {504, false, "unreachable"},
      {401, false, "config"},      {403, false, "config"},     {404, false, "config"},
      {407, false, "config"},      {484, false, "config"},     {503, true, "overloaded"},
      {486, false, "overloaded"},  {600, false, "overloaded"}, {503, false, "outage"},
      {480, false, "outage"},      {500, false, "outage"},     {502, false, "outage"},
      {302, false, "other"},       {488, false, "other"},      {603, false, "other"},
  };
  for (const Row& r : rows)
    STRCMP_EQUAL_TEXT(r.outcome, probe_outcome_name(classify_response(r.status, r.retry_after)),
                      std::to_string(r.status).c_str());
  CHECK_TRUE(probe_success(ProbeOutcome::alive));
  CHECK_FALSE(probe_success(ProbeOutcome::overloaded));
}
