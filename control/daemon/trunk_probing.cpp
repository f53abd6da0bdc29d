#include "control/daemon/trunk_probing.hpp"

#include <syslog.h>
#include <time.h>

#include <algorithm>

#include "control/probe/probe_json.hpp"

namespace tg::controld {
namespace {

TimeNs mono_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return TimeNs(ts.tv_sec) * 1'000'000'000 + TimeNs(ts.tv_nsec);
}

std::string target_of(const config::TrunkConfig& t) {
  return "sip:" + t.sbc_address + ":" + std::to_string(t.sbc_port);
}

}  // namespace

TrunkProbing::TrunkProbing(Log log)
    : log_(std::move(log)),
      watch_({[this](const alarm::RaiseRequest& r) {
                if (alarms_) alarms_->alarms().raise(r);
              },
              [this](alarm::AlarmType t, const alarm::ManagedObject& o, const std::string& why) {
                if (alarms_) alarms_->alarms().clear(t, o, why);
              },
              [this](const std::string& uplink, bool raise) {
                if (ctl_) ctl_->set_soft_fault(uplink, ipc::SoftFault::sip_outage, raise);
              }}) {}

void TrunkProbing::open(const config::Config& c) {
  cfg_ = c;
  watch_.configure(c);
  if (!loop_.ok()) {
    error_ = "sofia-sip could not start its event loop";
    log_(LOG_ERR, "OPTIONS probing: " + error_);
    return;
  }
  monitor_ = std::make_unique<probe::TrunkMonitor>(mono_ns, [this](const probe::TrunkEvent& e) {
    const probe::TrunkHealth* h = monitor_->health(e.spec.trunk, e.spec.uplink);
    watch_.on_result(e, h ? h->consecutive_failures() : 0);
    if (!e.transition) return;
    bool up = e.transition->to == probe::TrunkState::up;
    log_(up ? LOG_NOTICE : LOG_WARNING,
         "trunk " + e.spec.trunk + " over " + e.spec.uplink + ": " + (up ? "up" : "DOWN") + " (" +
             probe::trunk_state_name(e.transition->from) + " -> " + probe::trunk_state_name(e.transition->to) +
             (e.report.reason.empty() ? "" : ", " + e.report.reason) + ")");
  });
  add_uplinks();
}

// An uplink's address lives on the fast path's tap, which appears once
// tg-dataplane runs: uplinks that cannot bind yet are retried every 5 s.
void TrunkProbing::add_uplinks() {
  for (const auto& u : cfg_.uplinks) {
    if (!u.enabled || u.address.empty()) continue;
    if (std::any_of(probers_.begin(), probers_.end(), [&](auto& p) { return p.first == u.name; })) continue;
    probe::ProberConfig pc;
    pc.bind_address = u.address;
    int timeout_ms = 0;
    for (const auto& t : cfg_.trunks)
      if (std::find(t.uplinks.begin(), t.uplinks.end(), u.name) != t.uplinks.end())
        timeout_ms = std::max(timeout_ms, t.options_timeout_ms);
    if (timeout_ms > 0) pc.timeout = TimeNs(timeout_ms) * kNsPerMs;
    std::string err;
    auto p = probe::OptionsProber::create(loop_, pc, &err);
    if (!p) {
      if (error_.find(u.name) == std::string::npos)
        log_(LOG_WARNING, "OPTIONS over " + u.name + " (" + u.address + "): " + err + "; retrying");
      error_ += u.name + " ";
      continue;
    }
    monitor_->add_uplink(u.name, p.get());
    probers_.emplace_back(u.name, std::move(p));
    for (const auto& t : cfg_.trunks) {
      if (std::find(t.uplinks.begin(), t.uplinks.end(), u.name) == t.uplinks.end()) continue;
      probe::TrunkProbeSpec s;
      s.trunk = t.name;
      s.uplink = u.name;
      s.target = target_of(t);
      s.health.down_after = t.down_after;
      s.health.up_after = t.up_after;
      s.health.interval = TimeNs(t.options_interval_ms) * kNsPerMs;
      if (!monitor_->add(s, &err)) log_(LOG_ERR, "trunk " + t.name + " over " + u.name + ": " + err);
    }
    log_(LOG_NOTICE, "OPTIONS probing over " + u.name + " from " + u.address);
  }
}

void TrunkProbing::install(Controller& ctl, alarmsvc::AlarmService* alarms) {
  ctl_ = &ctl;
  alarms_ = alarms;
  if (!monitor_) return;
  ctl.hooks.trunk_probe_states = [this] { return states(); };
  ctl.hooks.test_trunk = [this](const std::string& trunk, std::string& why) { return test(trunk, why); };
}

void TrunkProbing::tick() {
  if (!monitor_) return;
  loop_.step(0);
  monitor_->poll();
  TimeNs now = mono_ns();
  if (probers_.size() < cfg_.uplinks.size() && now >= next_retry_) {
    next_retry_ = now + 5'000 * kNsPerMs;
    add_uplinks();
  }
}

// {"carrierA": {"state": "up"|"down"|"unknown", "uplinks": [pair, ...]}}
Json TrunkProbing::states() const {
  Json out = Json::object();
  TimeNs now = mono_ns();
  for (const auto& t : cfg_.trunks) {
    Json pairs = Json::array();
    bool any_known = false;
    monitor_->for_each([&](const probe::TrunkProbeSpec& s, const probe::TrunkHealth& h) {
      if (s.trunk != t.name) return;
      any_known |= h.state() != probe::TrunkState::unknown;
      pairs.push_back(probe::health_json(s, h, now));
    });
    std::string state = monitor_->trunk_usable(t.name) ? "up" : (any_known ? "down" : "unknown");
    Json j{{"state", state}, {"uplinks", pairs}};
    if (pairs.empty()) j["why"] = "no uplink of this trunk can send OPTIONS yet (address not up)";
    out[t.name] = j;
  }
  return out;
}

// Sends one OPTIONS now over each uplink of the trunk and waits for the
// answers (bounded by the probe timeout): what a technician checks first.
Json TrunkProbing::test(const std::string& trunk, std::string& why) {
  const config::TrunkConfig* t = cfg_.trunk(trunk);
  if (!t) return why = "no trunk '" + trunk + "'", Json();
  struct Pending {
    std::string uplink;
    bool done = false;
    probe::ProbeReport report;
    TimeNs sent = 0, answered = 0;
  };
  std::vector<std::shared_ptr<Pending>> pending;
  for (auto& [name, prober] : probers_) {
    if (std::find(t->uplinks.begin(), t->uplinks.end(), name) == t->uplinks.end()) continue;
    auto p = std::make_shared<Pending>();
    p->uplink = name;
    p->sent = mono_ns();
    std::string err;
    if (!prober->probe(target_of(*t), [p](const probe::ProbeReport& r) { p->done = true, p->report = r, p->answered = mono_ns(); }, &err)) {
      p->done = true;
      p->report.reason = err;
    }
    pending.push_back(p);
  }
  if (pending.empty()) return why = "no uplink of trunk '" + trunk + "' can send OPTIONS yet", Json();
  TimeNs deadline = mono_ns() + TimeNs(std::max(t->options_timeout_ms, 100) + 500) * kNsPerMs;
  while (mono_ns() < deadline &&
         !std::all_of(pending.begin(), pending.end(), [](auto& p) { return p->done; }))
    loop_.step(20);
  Json answers = Json::array();
  for (auto& p : pending) {
    Json a{{"uplink", p->uplink}, {"target", target_of(*t)}};
    if (!p->done) {
      a["outcome"] = "no answer (still waiting when the test ended)";
    } else {
      a["outcome"] = probe::probe_outcome_name(p->report.result.outcome);
      a["status"] = p->report.result.status;
      a["reason"] = p->report.reason;
      if (p->report.result.status) a["rtt_ms"] = double(p->report.result.rtt) / double(kNsPerMs);
    }
    answers.push_back(a);
  }
  return Json{{"trunk", trunk}, {"answers", answers}};
}

}  // namespace tg::controld
