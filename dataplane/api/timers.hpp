// The failover timers of one uplink and the one rule they must meet. The
// fast path applies them (dataplane/failover); tg-controld validates its
// config with the same check_timers, so a file it accepts is never refused
// by a set_timers command. DPDK-free, part of the published API.
#pragma once
#include <cstdint>

#include "common/bytes.hpp"
#include "dataplane/api/messages.hpp"

namespace tg::api {

// Probe rounds outstanding per uplink: timeout / interval must stay below it.
constexpr uint32_t kMaxProbesInFlight = 64;

struct HealthTimers {
  TimeNs probe_interval = 10 * kNsPerMs;
  TimeNs probe_timeout = 100 * kNsPerMs;
  uint32_t miss_threshold = 8;
  TimeNs holddown_initial = 10 * kNsPerSec;
  TimeNs holddown_max = 300 * kNsPerSec;
  TimeNs holddown_decay = 60 * kNsPerSec;
};

struct BlackoutConfig {
  TimeNs blackout = 120 * kNsPerMs;   // silence on the quorum that makes a blackout
  uint32_t flow_min_packets = 10;     // in the last second before the last packet: "flowing"
  uint32_t min_streams = 2;           // fewer active streams: the rule does not apply
  uint32_t quorum_pct = 100;          // share of active streams that must be silent
};

// Without allocating (the engine applies set_timers on the fast path's main
// lcore): nullptr if valid, else "field must be ..." text naming the field.
const char* check_timers(const HealthTimers&, const BlackoutConfig&);

// Conversions for the set_timers command.
TimersWire to_wire(const HealthTimers&, const BlackoutConfig&);
void from_wire(const TimersWire&, HealthTimers&, BlackoutConfig&);

}  // namespace tg::api
