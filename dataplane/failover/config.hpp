// Failover configuration: per-uplink health timers, probe targets and
// media-blackout rules, plus the priority order. Plain values so the fast
// path can copy them and a set_timers command can replace them at run time.
// Defaults and why they meet the targets: dataplane/failover/README.md.
#pragma once
#include <cstdint>
#include <string>

#include "dataplane/core/bytes.hpp"
#include "dataplane/core/net.hpp"
#include "dataplane/api/messages.hpp"
#include "dataplane/api/uplink.hpp"

namespace tg::failover {

using api::kMaxUplinks;
using api::kNoUplink;
using UplinkIndex = uint8_t;

constexpr uint32_t kMaxProbeTargets = 4;
constexpr uint32_t kMaxProbesInFlight = 64;   // rounds outstanding per uplink (timeout / interval < this)
constexpr uint32_t kMaxProbeWindow = 256;     // rounds kept for RTT/loss/jitter

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

// How the fast path builds a probe: ICMP echo (ident/seq in the ICMP
// header) or a UDP datagram to an echo service that reflects it (ident/seq
// in the first 4 payload bytes, big-endian).
enum class ProbeProto : uint8_t { icmp_echo = 0, udp_echo = 1 };

struct UplinkConfig {
  char name[16] = {};
  HealthTimers timers;
  BlackoutConfig blackout;
  IpAddr targets[kMaxProbeTargets];
  uint8_t target_count = 0;           // 0: no probes (link status and media only)
  ProbeProto probe_proto = ProbeProto::icmp_echo;
  uint16_t udp_echo_port = 7;         // udp_echo only (RFC 862 echo)
};

struct Config {
  uint8_t uplink_count = api::kDefaultUplinkCount;
  // priority[0] is the preferred uplink; a permutation of 0..uplink_count-1.
  UplinkIndex priority[kMaxUplinks] = {0, 1, 2, 3};
  UplinkConfig uplinks[kMaxUplinks];
  uint16_t probe_ident_base = 0x5447;  // ICMP echo identifier = base + uplink index
  uint32_t probe_window_rounds = 100;  // RTT/loss/jitter window (<= kMaxProbeWindow)
  // A gap longer than this between two passes of the fast path loop is a
  // stall (the process was descheduled): rx piled up unseen, so the probe
  // and blackout decisions wait for fresh observation (engine.hpp). Shorter
  // gaps only shift rx stamps by less than the timers' margins (probe
  // timeout - RTT - jitter, blackout - packet spacing - jitter).
  TimeNs loop_stall = 40 * kNsPerMs;

  // wan0/wan1/lte with the default names and timers; LTE probes slower
  // because it is metered and its RTT is higher.
  static Config defaults();
};

// Setup path. Names the first offending field ("uplinks[1].probe_timeout ...").
bool validate(const Config&, std::string& error);
bool validate(const HealthTimers&, const BlackoutConfig&, std::string& error);
// Same checks without allocating (the engine applies set_timers on the fast
// path's main lcore): nullptr if valid, else "field must be ..." text.
const char* check_timers(const HealthTimers&, const BlackoutConfig&);

// Conversions for the set_timers command.
api::TimersWire to_wire(const HealthTimers&, const BlackoutConfig&);
void from_wire(const api::TimersWire&, HealthTimers&, BlackoutConfig&);

}  // namespace tg::failover
