// Failover configuration: per-uplink health timers, probe targets and
// media-blackout rules, plus the priority order. Plain values so the fast
// path can copy them and a set_timers command can replace them at run time.
// Defaults and why they meet the targets: dataplane/failover/README.md.
#pragma once
#include <cstdint>
#include <string>

#include "common/bytes.hpp"
#include "common/net.hpp"
#include "dataplane/api/messages.hpp"
#include "dataplane/api/timers.hpp"
#include "dataplane/api/uplink.hpp"

namespace tg::failover {

using api::BlackoutConfig;
using api::check_timers;
using api::from_wire;
using api::HealthTimers;
using api::kMaxProbesInFlight;
using api::kMaxUplinks;
using api::kNoUplink;
using api::to_wire;
using UplinkIndex = uint8_t;

constexpr uint32_t kMaxProbeTargets = 4;
constexpr uint32_t kMaxProbeWindow = 256;     // rounds kept for RTT/loss/jitter

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
bool validate(const HealthTimers&, const BlackoutConfig&, std::string& error);  // api::check_timers

}  // namespace tg::failover
