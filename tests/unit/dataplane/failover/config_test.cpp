#include <CppUTest/TestHarness.h>

#include "dataplane/failover/config.hpp"

using namespace tg;
using namespace tg::failover;

TEST_GROUP(FailoverConfig) {};

TEST(FailoverConfig, DefaultsAreValidAndNamed) {
  Config c = Config::defaults();
  std::string err;
  CHECK_TEXT(validate(c, err), err.c_str());
  STRCMP_EQUAL("wan0", c.uplinks[0].name);
  STRCMP_EQUAL("wan1", c.uplinks[1].name);
  STRCMP_EQUAL("lte", c.uplinks[2].name);
  LONGS_EQUAL(10 * kNsPerMs, c.uplinks[0].timers.probe_interval);
  LONGS_EQUAL(100 * kNsPerMs, c.uplinks[2].timers.probe_interval);
}

TEST(FailoverConfig, ErrorsNameTheField) {
  std::string err;
  Config c = Config::defaults();
  c.uplinks[1].timers.probe_interval = 5 * kNsPerMs;
  CHECK_FALSE(validate(c, err));
  STRCMP_EQUAL("uplinks[1].probe_interval must be >= 10 ms", err.c_str());

  c = Config::defaults();
  c.priority[2] = 0;
  CHECK_FALSE(validate(c, err));
  STRCMP_CONTAINS("priority[2]", err.c_str());

  c = Config::defaults();
  c.uplinks[0].timers.probe_timeout = 700 * kNsPerMs;  // 70 rounds in flight
  CHECK_FALSE(validate(c, err));
  STRCMP_CONTAINS("uplinks[0].probe_timeout", err.c_str());

  c = Config::defaults();
  c.uplinks[2].blackout.quorum_pct = 0;
  CHECK_FALSE(validate(c, err));
  STRCMP_CONTAINS("uplinks[2].blackout_quorum_pct", err.c_str());

  c = Config::defaults();
  c.uplinks[0].target_count = 1;  // target left empty
  CHECK_FALSE(validate(c, err));
  STRCMP_CONTAINS("uplinks[0].targets[0]", err.c_str());

  c = Config::defaults();
  c.uplinks[0].timers.holddown_max = c.uplinks[0].timers.holddown_initial - 1;
  CHECK_FALSE(validate(c, err));
  STRCMP_CONTAINS("holddown_max", err.c_str());

  c = Config::defaults();
  c.uplinks[1].probe_proto = ProbeProto::udp_echo;
  c.uplinks[1].udp_echo_port = 0;
  CHECK_FALSE(validate(c, err));
  STRCMP_CONTAINS("udp_echo_port", err.c_str());

  c = Config::defaults();
  c.uplink_count = 5;
  CHECK_FALSE(validate(c, err));
}

TEST(FailoverConfig, WireRoundTrip) {
  HealthTimers t;
  t.probe_interval = 20 * kNsPerMs;
  t.miss_threshold = 6;
  t.holddown_max = 120 * kNsPerSec;
  BlackoutConfig b;
  b.quorum_pct = 80;
  b.min_streams = 3;
  api::TimersWire w = to_wire(t, b);
  LONGS_EQUAL(20, w.probe_interval_ms);
  LONGS_EQUAL(120'000, w.holddown_max_ms);
  HealthTimers t2;
  BlackoutConfig b2;
  from_wire(w, t2, b2);
  LONGS_EQUAL(t.probe_interval, t2.probe_interval);
  LONGS_EQUAL(t.probe_timeout, t2.probe_timeout);
  LONGS_EQUAL(6, t2.miss_threshold);
  LONGS_EQUAL(t.holddown_max, t2.holddown_max);
  LONGS_EQUAL(t.holddown_decay, t2.holddown_decay);
  LONGS_EQUAL(b.blackout, b2.blackout);
  LONGS_EQUAL(80, b2.quorum_pct);
  LONGS_EQUAL(3, b2.min_streams);
}
