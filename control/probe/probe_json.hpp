// JSON view of the trunk monitor for the management socket and tg-cli
// ("show trunks"): one object per trunk x uplink pair. Header-only, so the
// probe library itself does not depend on the JSON library.
#pragma once
#include <nlohmann/json.hpp>

#include "control/probe/trunk_monitor.hpp"

namespace tg::probe {

inline nlohmann::json health_json(const TrunkProbeSpec& spec, const TrunkHealth& h, TimeNs now) {
  nlohmann::json outcomes = nlohmann::json::object();
  for (int i = 0; i < kProbeOutcomeCount; ++i)
    if (uint64_t n = h.outcome_count(ProbeOutcome(i))) outcomes[probe_outcome_name(ProbeOutcome(i))] = n;
  nlohmann::json j = {
      {"trunk", spec.trunk},
      {"uplink", spec.uplink},
      {"target", spec.target},
      {"state", trunk_state_name(h.state())},
      {"usable", h.usable()},
      {"failures", h.consecutive_failures()},
      {"successes", h.consecutive_successes()},
      {"probes", h.probes()},
      {"outcomes", outcomes},
  };
  if (h.probes()) {
    j["last"] = {{"outcome", probe_outcome_name(h.last().outcome)},
                 {"status", h.last().status},
                 {"rtt_ms", double(h.last().rtt) / double(kNsPerMs)}};
    j["for_s"] = double(now - h.since()) / 1e9;  // time in the current state
  }
  if (h.last_failure() != ProbeOutcome::ok) j["last_failure"] = probe_outcome_name(h.last_failure());
  return j;
}

inline nlohmann::json monitor_json(const TrunkMonitor& m, TimeNs now) {
  nlohmann::json a = nlohmann::json::array();
  m.for_each([&](const TrunkProbeSpec& s, const TrunkHealth& h) { a.push_back(health_json(s, h, now)); });
  return a;
}

}  // namespace tg::probe
