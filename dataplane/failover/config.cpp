#include "dataplane/failover/config.hpp"

#include <cstdio>
#include <cstring>

namespace tg::failover {

Config Config::defaults() {
  Config c;
  for (uint8_t u = 0; u < kMaxUplinks; ++u) {
    std::snprintf(c.uplinks[u].name, sizeof c.uplinks[u].name, "%s", api::default_uplink_name(u));
  }
  // LTE: metered and higher, more variable RTT (tens to hundreds of ms), so
  // slower probes and a longer timeout; it is the last resort anyway.
  HealthTimers& lte = c.uplinks[api::kUplinkLte].timers;
  lte.probe_interval = 100 * kNsPerMs;
  lte.probe_timeout = 500 * kNsPerMs;
  lte.miss_threshold = 5;
  return c;
}

namespace {
bool fail(std::string& error, const std::string& where, const char* what) {
  error = where + what;
  return false;
}
}  // namespace

bool validate(const HealthTimers& t, const BlackoutConfig& b, std::string& error) {
  const char* e = check_timers(t, b);
  if (e) error = e;
  return e == nullptr;
}

bool validate(const Config& c, std::string& error) {
  if (c.uplink_count < 1 || c.uplink_count > kMaxUplinks) return fail(error, "uplink_count", " must be 1..4");
  bool seen[kMaxUplinks] = {};
  for (uint8_t i = 0; i < c.uplink_count; ++i) {
    UplinkIndex p = c.priority[i];
    if (p >= c.uplink_count || seen[p])
      return fail(error, "priority[" + std::to_string(i) + "]", " must be a permutation of the uplink indices");
    seen[p] = true;
  }
  if (c.probe_window_rounds < 2 || c.probe_window_rounds > kMaxProbeWindow)
    return fail(error, "probe_window_rounds", " must be 2..256");
  if (uint32_t(c.probe_ident_base) + c.uplink_count > 0xFFFF) return fail(error, "probe_ident_base", " too large");
  if (c.loop_stall < kNsPerMs || c.loop_stall > kNsPerSec) return fail(error, "loop_stall", " must be 1..1000 ms");
  for (uint8_t u = 0; u < c.uplink_count; ++u) {
    const UplinkConfig& up = c.uplinks[u];
    std::string where = "uplinks[" + std::to_string(u) + "].";
    if (up.name[0] == '\0' || std::memchr(up.name, '\0', sizeof up.name) == nullptr)
      return fail(error, where + "name", " must be 1..15 characters");
    if (up.probe_proto != ProbeProto::icmp_echo && up.probe_proto != ProbeProto::udp_echo)
      return fail(error, where + "probe_proto", " must be icmp_echo or udp_echo");
    if (up.probe_proto == ProbeProto::udp_echo && up.udp_echo_port == 0)
      return fail(error, where + "udp_echo_port", " must be 1..65535");
    if (up.target_count > kMaxProbeTargets) return fail(error, where + "target_count", " must be <= 4");
    for (uint8_t t = 0; t < up.target_count; ++t)
      if (up.targets[t].family != 4 && up.targets[t].family != 6)
        return fail(error, where + "targets[" + std::to_string(t) + "]", " is not an address");
    std::string sub;
    if (!validate(up.timers, up.blackout, sub)) return fail(error, where + sub, "");
  }
  return true;
}

}  // namespace tg::failover
