#include "control/probe/trunk_monitor.hpp"

#include <algorithm>
#include <limits>

namespace tg::probe {

TrunkMonitor::TrunkMonitor(Clock clock, Listener listener)
    : clock_(std::move(clock)), listener_(std::move(listener)) {}

void TrunkMonitor::add_uplink(const std::string& uplink, Prober* prober) {
  for (auto& u : uplinks_)
    if (u.first == uplink) {
      u.second = prober;
      return;
    }
  uplinks_.emplace_back(uplink, prober);
}

bool TrunkMonitor::add(const TrunkProbeSpec& spec, std::string* error) {
  Prober* prober = nullptr;
  for (auto& u : uplinks_)
    if (u.first == spec.uplink) prober = u.second;
  if (!prober) {
    if (error) *error = "trunk " + spec.trunk + ": unknown uplink " + spec.uplink;
    return false;
  }
  if (health(spec.trunk, spec.uplink)) {
    if (error) *error = "trunk " + spec.trunk + " over " + spec.uplink + " added twice";
    return false;
  }
  pairs_.push_back(std::make_shared<Pair>(Pair{spec, TrunkHealth(spec.health), prober, false}));
  return true;
}

bool TrunkMonitor::remove(const std::string& trunk, const std::string& uplink) {
  auto it = std::find_if(pairs_.begin(), pairs_.end(),
                         [&](const auto& p) { return p->spec.trunk == trunk && p->spec.uplink == uplink; });
  if (it == pairs_.end()) return false;
  pairs_.erase(it);
  return true;
}

void TrunkMonitor::remove_uplink(const std::string& uplink) {
  std::erase_if(pairs_, [&](const auto& p) { return p->spec.uplink == uplink; });
  std::erase_if(uplinks_, [&](const auto& u) { return u.first == uplink; });
}

void TrunkMonitor::complete(Pair& p, const ProbeReport& r) {
  p.in_flight = false;
  auto tr = p.health.on_result(r.result, clock_());
  if (listener_) listener_(TrunkEvent{p.spec, r, p.health.state(), tr});
}

void TrunkMonitor::poll() {
  TimeNs now = clock_();
  for (auto& owned : pairs_) {
    Pair& p = *owned;
    if (p.in_flight || !p.health.due(now)) continue;
    p.health.probe_sent(now);
    p.in_flight = true;
    std::string error;
    std::weak_ptr<Pair> wp = owned;
    auto done = [this, wp](const ProbeReport& r) {
      if (auto alive = wp.lock()) complete(*alive, r);
    };
    if (!p.prober->probe(p.spec.target, std::move(done), &error)) {
      // Could not even send (bad target, no socket): a failed probe all the same.
      ++send_failures_;
      ProbeReport r;
      r.target = p.spec.target;
      r.result.outcome = ProbeOutcome::unreachable;
      r.reason = error;
      r.local = true;
      complete(p, r);
    }
  }
}

TimeNs TrunkMonitor::next_due() const {
  TimeNs next = std::numeric_limits<TimeNs>::max();
  for (const auto& p : pairs_)
    if (!p->in_flight) next = std::min(next, p->health.next_probe());
  return next;
}

const TrunkHealth* TrunkMonitor::health(const std::string& trunk, const std::string& uplink) const {
  for (const auto& p : pairs_)
    if (p->spec.trunk == trunk && p->spec.uplink == uplink) return &p->health;
  return nullptr;
}

bool TrunkMonitor::trunk_usable(const std::string& trunk) const {
  for (const auto& p : pairs_)
    if (p->spec.trunk == trunk && p->health.usable()) return true;
  return false;
}

}  // namespace tg::probe
