// What tg-controld probes for a configuration (one sofia agent per uplink
// with an address, one OPTIONS schedule per trunk x uplink), and what a
// configuration reload changes in it: the pure core of TrunkProbing's
// reload, unit-tested table-driven.
//
//   agent  added / removed             uplink gets / loses an address, is
//                                      enabled / disabled, added / removed
//          rebound                     its address changed: new socket
//          retimed                     only the probe timeout changed (the
//                                      longest options_timeout_ms of its
//                                      trunks): kept, timeout adjusted
//   pair   added / removed             trunk or uplink added / removed, or
//                                      the trunk's uplinks list changed
//          changed                     SBC address/port/transport, interval,
//                                      timeout, down_after/up_after, or its
//                                      agent rebound: re-created (new state)
//          kept                        everything else: state and counters
//                                      stay, no alarm churn
//   trunk  removed                     its alarms are cleared
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "control/config/config.hpp"
#include "control/probe/options_prober.hpp"
#include "control/probe/trunk_monitor.hpp"

namespace tg::controld {

struct ProbeAgentPlan {
  std::string uplink;
  std::string bind_address;
  probe::TimeNs timeout = 0;  // the longest options timeout of the trunks over it
};

struct ProbePairPlan {
  probe::TrunkProbeSpec spec;
  std::string transport;  // part of what the trunk is: a change re-creates the pair
  int timeout_ms = 0;     // the trunk's own (the alarm texts use it)
};

struct ProbePlan {
  std::vector<std::string> trunks;  // every [trunk.NAME], probed or not
  std::vector<ProbeAgentPlan> agents;
  std::vector<ProbePairPlan> pairs;  // only over uplinks that have an agent

  const ProbeAgentPlan* agent(const std::string& uplink) const;
  const ProbePairPlan* pair(const std::string& trunk, const std::string& uplink) const;
  bool probes(const std::string& trunk) const;  // has at least one pair
};

ProbePlan probe_plan(const config::Config& c);
// "sip:203.0.113.10:5060": the Request-URI of a trunk's OPTIONS.
std::string options_target(const config::TrunkConfig& t);

using ProbeKey = std::pair<std::string, std::string>;  // (trunk, uplink)

struct ProbePlanDiff {
  std::vector<std::string> agents_added, agents_removed, agents_rebound, agents_retimed;
  std::vector<ProbeKey> pairs_added, pairs_removed, pairs_changed, pairs_kept;
  std::vector<std::string> trunks_added, trunks_removed;
  bool empty() const;
  // "trunks +carrierB -carrierA; pairs +1 -2 ~1 =3; agents rebound wan1"
  std::string summary() const;
};

ProbePlanDiff diff_probe_plans(const ProbePlan& from, const ProbePlan& to);

}  // namespace tg::controld
