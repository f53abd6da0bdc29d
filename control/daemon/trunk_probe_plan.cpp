#include "control/daemon/trunk_probe_plan.hpp"

#include <algorithm>

namespace tg::controld {

using probe::kNsPerMs;
using probe::TimeNs;

namespace {

bool same_health(const probe::TrunkHealthConfig& a, const probe::TrunkHealthConfig& b) {
  return a.down_after == b.down_after && a.up_after == b.up_after && a.interval == b.interval &&
         a.retry_interval == b.retry_interval;
}

bool same_pair(const ProbePairPlan& a, const ProbePairPlan& b) {
  return a.spec.target == b.spec.target && same_health(a.spec.health, b.spec.health) &&
         a.transport == b.transport && a.timeout_ms == b.timeout_ms;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

std::string options_target(const config::TrunkConfig& t) {
  return "sip:" + probe::sip_uri_host(t.sbc_address) + ":" + std::to_string(t.sbc_port);
}

const ProbeAgentPlan* ProbePlan::agent(const std::string& uplink) const {
  for (const auto& a : agents)
    if (a.uplink == uplink) return &a;
  return nullptr;
}

const ProbePairPlan* ProbePlan::pair(const std::string& trunk, const std::string& uplink) const {
  for (const auto& p : pairs)
    if (p.spec.trunk == trunk && p.spec.uplink == uplink) return &p;
  return nullptr;
}

bool ProbePlan::probes(const std::string& trunk) const {
  return std::any_of(pairs.begin(), pairs.end(), [&](const auto& p) { return p.spec.trunk == trunk; });
}

ProbePlan probe_plan(const config::Config& c) {
  ProbePlan plan;
  for (const auto& t : c.trunks) plan.trunks.push_back(t.name);
  // An uplink without an address (DHCP, or disabled) sends no OPTIONS.
  for (const auto& u : c.uplinks) {
    if (!u.enabled || u.address.empty()) continue;
    ProbeAgentPlan a{u.name, u.address, probe::ProberConfig{}.timeout};
    int timeout_ms = 0;
    for (const auto& t : c.trunks)
      if (contains(t.uplinks, u.name)) timeout_ms = std::max(timeout_ms, t.options_timeout_ms);
    if (timeout_ms > 0) a.timeout = TimeNs(timeout_ms) * kNsPerMs;
    plan.agents.push_back(a);
    for (const auto& t : c.trunks) {
      if (!contains(t.uplinks, u.name)) continue;
      ProbePairPlan p;
      p.spec.trunk = t.name;
      p.spec.uplink = u.name;
      p.spec.target = options_target(t);
      p.spec.health.down_after = t.down_after;
      p.spec.health.up_after = t.up_after;
      p.spec.health.interval = TimeNs(t.options_interval_ms) * kNsPerMs;
      p.transport = t.transport;
      p.timeout_ms = t.options_timeout_ms;
      plan.pairs.push_back(p);
    }
  }
  return plan;
}

ProbePlanDiff diff_probe_plans(const ProbePlan& from, const ProbePlan& to) {
  ProbePlanDiff d;
  for (const auto& t : to.trunks)
    if (!contains(from.trunks, t)) d.trunks_added.push_back(t);
  for (const auto& t : from.trunks)
    if (!contains(to.trunks, t)) d.trunks_removed.push_back(t);
  for (const auto& a : to.agents) {
    const ProbeAgentPlan* old = from.agent(a.uplink);
    if (!old)
      d.agents_added.push_back(a.uplink);
    else if (old->bind_address != a.bind_address)
      d.agents_rebound.push_back(a.uplink);
    else if (old->timeout != a.timeout)
      d.agents_retimed.push_back(a.uplink);
  }
  for (const auto& a : from.agents)
    if (!to.agent(a.uplink)) d.agents_removed.push_back(a.uplink);
  for (const auto& p : to.pairs) {
    ProbeKey key{p.spec.trunk, p.spec.uplink};
    const ProbePairPlan* old = from.pair(key.first, key.second);
    if (!old)
      d.pairs_added.push_back(key);
    else if (!same_pair(*old, p) || contains(d.agents_rebound, key.second))
      d.pairs_changed.push_back(key);
    else
      d.pairs_kept.push_back(key);
  }
  for (const auto& p : from.pairs)
    if (!to.pair(p.spec.trunk, p.spec.uplink)) d.pairs_removed.emplace_back(p.spec.trunk, p.spec.uplink);
  return d;
}

bool ProbePlanDiff::empty() const {
  return agents_added.empty() && agents_removed.empty() && agents_rebound.empty() && agents_retimed.empty() &&
         pairs_added.empty() && pairs_removed.empty() && pairs_changed.empty() && trunks_added.empty() &&
         trunks_removed.empty();
}

std::string ProbePlanDiff::summary() const {
  std::string s;
  auto list = [&s](const char* what, const std::vector<std::string>& v) {
    if (v.empty()) return;
    s += s.empty() ? "" : "; ";
    s += what;
    for (const auto& x : v) s += " " + x;
  };
  std::vector<std::string> trunks;
  for (const auto& t : trunks_added) trunks.push_back("+" + t);
  for (const auto& t : trunks_removed) trunks.push_back("-" + t);
  list("trunks", trunks);
  s += (s.empty() ? "" : "; ") + std::string("pairs +") + std::to_string(pairs_added.size()) + " -" +
       std::to_string(pairs_removed.size()) + " ~" + std::to_string(pairs_changed.size()) + " =" +
       std::to_string(pairs_kept.size());
  list("agents added", agents_added);
  list("agents removed", agents_removed);
  list("agents rebound", agents_rebound);
  list("agents retimed", agents_retimed);
  return s;
}

}  // namespace tg::controld
