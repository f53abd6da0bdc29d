#include "control/daemon/trunk_watch.hpp"

#include <vector>

namespace tg::controld {

using alarm::AlarmType;
using alarm::ManagedObject;
using alarm::ObjectKind;
using probe::ProbeOutcome;

void TrunkWatch::configure(const config::Config& c) {
  carriers_.clear();
  for (const auto& u : c.uplinks) carriers_[u.name] = u.carrier;
  for (const auto& t : c.trunks) trunks_[t.name] = {t.description, t.sbc_address, t.options_timeout_ms};
}

const alarm::AlarmType* TrunkWatch::alarm_of(const std::string& trunk) const {
  auto it = raised_.find(trunk);
  return it == raised_.end() ? nullptr : &it->second;
}

std::string TrunkWatch::failure_text(const probe::ProbeReport& r, const std::string& sbc, const std::string& uplink,
                                     int timeout_ms, int consecutive) {
  std::string what;
  const auto& res = r.result;
  if (res.outcome == ProbeOutcome::timeout) {
    what = "no answer within " + std::to_string(timeout_ms) + " ms";
  } else if (res.status > 0) {
    what = std::to_string(res.status) + (r.reason.empty() ? "" : " " + r.reason);
    if (r.retry_after_s >= 0) what += " (Retry-After " + std::to_string(r.retry_after_s) + ")";
  } else {
    what = r.reason.empty() ? probe::probe_outcome_text(res.outcome) : r.reason;
  }
  return "SIP OPTIONS: " + what + " from " + sbc + " via " + uplink + ", " + std::to_string(consecutive) +
         " consecutive";
}

void TrunkWatch::on_result(const probe::TrunkEvent& e, int consecutive_failures) {
  const std::string& trunk = e.spec.trunk;
  Pair& p = pairs_[{trunk, e.spec.uplink}];
  bool was_busy = p.busy;
  p.known = e.state != probe::TrunkState::unknown;
  p.usable = probe::trunk_usable(e.state);
  p.clean = e.state == probe::TrunkState::up;
  bool failed = !probe::probe_success(e.report.result.outcome);
  if (failed) {
    const Trunk& t = trunks_[trunk];
    p.busy = e.report.result.outcome == ProbeOutcome::overloaded;
    p.failure = failure_text(e.report, t.sbc.empty() ? e.spec.target : t.sbc, e.spec.uplink, t.timeout_ms,
                             consecutive_failures);
  }
  // Act on changes of state, and on a down pair whose cause changes between
  // busy and outage (the SBC stops answering after a 503 spell).
  if (e.transition || (!p.usable && p.known && failed && p.busy != was_busy)) {
    evaluate(trunk);
    update_soft_faults();
  }
}

void TrunkWatch::remove_trunk(const std::string& trunk, const std::string& why) {
  auto t = trunks_.find(trunk);
  auto it = raised_.find(trunk);
  if (it != raised_.end()) {
    act_.clear(it->second, {ObjectKind::trunk, trunk, t == trunks_.end() ? "" : t->second.label}, why);
    raised_.erase(it);
  }
  std::erase_if(pairs_, [&](const auto& kv) { return kv.first.first == trunk; });
  if (t != trunks_.end()) trunks_.erase(t);
  update_soft_faults();
}

void TrunkWatch::forget(const std::string& trunk, const std::string& uplink) {
  if (!pairs_.erase({trunk, uplink})) return;
  bool any_known = false;
  for (const auto& [key, p] : pairs_) any_known |= key.first == trunk && p.known;
  if (any_known) evaluate(trunk, "OPTIONS answered over every uplink still probing it (" + uplink + " no longer does)");
  update_soft_faults();
}

void TrunkWatch::evaluate(const std::string& trunk, const std::string& clear_why) {
  std::vector<std::string> down_texts, up_uplinks;
  bool all_busy = true;
  for (const auto& [key, p] : pairs_) {
    if (key.first != trunk || !p.known) continue;
    if (p.usable) {
      up_uplinks.push_back(key.second);
    } else {
      down_texts.push_back(p.failure);
      all_busy &= p.busy;
    }
  }
  const Trunk& t = trunks_[trunk];
  ManagedObject obj{ObjectKind::trunk, trunk, t.label};
  auto it = raised_.find(trunk);
  if (down_texts.empty()) {
    if (it != raised_.end()) {
      act_.clear(it->second, obj, clear_why);
      raised_.erase(it);
    }
    return;
  }
  AlarmType type = all_busy ? AlarmType::trunk_sip_errors : AlarmType::trunk_down;
  if (it != raised_.end() && it->second != type) {
    act_.clear(it->second, obj, all_busy ? "now busy, not out of service" : "now out of service, not only busy");
    raised_.erase(it);
  }
  alarm::RaiseRequest r;
  r.type = type;
  r.object = obj;
  for (const auto& d : down_texts) r.detail += (r.detail.empty() ? "" : "; ") + d;
  std::string reachable;
  for (const auto& u : up_uplinks) reachable += (reachable.empty() ? "" : ", ") + u;
  if (all_busy) {
    r.action = "no failover: busy is congestion at the carrier, not an uplink fault";
    if (up_uplinks.empty()) r.impact = "new calls may be refused until it clears";
  } else if (up_uplinks.empty()) {
    r.impact = "calls over this trunk fail on every uplink";
    r.action = "no failover (no uplink reaches it); check with the carrier";
  } else {
    r.severity = alarm::Severity::major;
    r.action = "reachable via " + reachable + "; traffic ordered off the uplinks that do not reach it (soft fault "
               "sip_outage)";
  }
  raised_[trunk] = type;
  act_.raise(r);
}

void TrunkWatch::update_soft_faults() {
  std::set<std::string> want;
  for (const auto& [key, p] : pairs_) {
    if (!p.known || p.usable || p.busy) continue;
    // Only when another uplink reaches the trunk cleanly (not itself
    // failing): otherwise moving traffic would not bring the trunk back.
    for (const auto& [other, q] : pairs_)
      if (other.first == key.first && other.second != key.second && q.clean) want.insert(key.second);
  }
  for (const auto& u : outage_uplinks_)
    if (!want.count(u)) act_.sip_outage(u, false);
  for (const auto& u : want)
    if (!outage_uplinks_.count(u)) act_.sip_outage(u, true);
  outage_uplinks_ = std::move(want);
}

}  // namespace tg::controld
