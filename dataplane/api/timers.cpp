#include "dataplane/api/timers.hpp"

namespace tg::api {

const char* check_timers(const HealthTimers& t, const BlackoutConfig& b) {
  if (t.probe_interval < 10 * kNsPerMs) return "probe_interval must be >= 10 ms";
  if (t.probe_timeout < t.probe_interval) return "probe_timeout must be >= probe_interval";
  // Rounds in flight live in a fixed table; one slot is kept for the round being sent.
  if (t.probe_timeout / t.probe_interval >= kMaxProbesInFlight - 1)
    return "probe_timeout / probe_interval must be < 63 (rounds in flight)";
  if (t.miss_threshold < 1 || t.miss_threshold > 1000) return "miss_threshold must be 1..1000";
  if (t.holddown_initial < kNsPerMs) return "holddown_initial must be >= 1 ms";
  if (t.holddown_max < t.holddown_initial) return "holddown_max must be >= holddown_initial";
  if (t.holddown_max > 24ull * 3600 * kNsPerSec) return "holddown_max must be <= 24 h";
  if (t.holddown_decay < kNsPerMs) return "holddown_decay must be >= 1 ms";
  if (b.blackout < 20 * kNsPerMs) return "blackout must be >= 20 ms (one RTP packet time)";
  if (b.flow_min_packets < 1) return "flow_min_packets must be >= 1";
  if (b.min_streams < 1) return "blackout_min_streams must be >= 1";
  if (b.quorum_pct < 1 || b.quorum_pct > 100) return "blackout_quorum_pct must be 1..100";
  return nullptr;
}

namespace {
uint32_t to_ms(TimeNs ns) { return uint32_t(ns / kNsPerMs); }
}  // namespace

TimersWire to_wire(const HealthTimers& t, const BlackoutConfig& b) {
  TimersWire w{};
  w.probe_interval_ms = to_ms(t.probe_interval);
  w.probe_timeout_ms = to_ms(t.probe_timeout);
  w.miss_threshold = t.miss_threshold;
  w.holddown_initial_ms = to_ms(t.holddown_initial);
  w.holddown_max_ms = to_ms(t.holddown_max);
  w.holddown_decay_ms = to_ms(t.holddown_decay);
  w.blackout_ms = to_ms(b.blackout);
  w.flow_min_packets = b.flow_min_packets;
  w.blackout_min_streams = b.min_streams;
  w.blackout_quorum_pct = b.quorum_pct;
  return w;
}

void from_wire(const TimersWire& w, HealthTimers& t, BlackoutConfig& b) {
  t.probe_interval = w.probe_interval_ms * kNsPerMs;
  t.probe_timeout = w.probe_timeout_ms * kNsPerMs;
  t.miss_threshold = w.miss_threshold;
  t.holddown_initial = w.holddown_initial_ms * kNsPerMs;
  t.holddown_max = w.holddown_max_ms * kNsPerMs;
  t.holddown_decay = w.holddown_decay_ms * kNsPerMs;
  b.blackout = w.blackout_ms * kNsPerMs;
  b.flow_min_packets = w.flow_min_packets;
  b.min_streams = w.blackout_min_streams;
  b.quorum_pct = w.blackout_quorum_pct;
}

}  // namespace tg::api
