#include "control/daemon/trunk_probing.hpp"

#include <syslog.h>

#include <algorithm>

#include "control/probe/probe_json.hpp"

namespace tg::controld {

TrunkProbing::TrunkProbing(Log log) : TrunkProbing(std::move(log), nullptr, probe::monotonic_ns) {
  loop_ = std::make_unique<probe::ProbeLoop>();
  factory_ = [this](const ProbeAgentPlan& a, std::string* error) -> std::unique_ptr<probe::Prober> {
    probe::ProberConfig pc;
    pc.bind_address = a.bind_address;
    pc.timeout = a.timeout;
    return probe::OptionsProber::create(*loop_, pc, error);
  };
}

TrunkProbing::TrunkProbing(Log log, ProberFactory factory, Clock clock)
    : log_(std::move(log)),
      factory_(std::move(factory)),
      clock_(std::move(clock)),
      watch_({[this](const alarm::RaiseRequest& r) {
                if (alarms_) alarms_->raise(r);
              },
              [this](alarm::AlarmType t, const alarm::ManagedObject& o, const std::string& why) {
                if (alarms_) alarms_->clear(t, o, why);
              },
              [this](const std::string& uplink, bool raise) {
                if (ctl_) ctl_->set_soft_fault(uplink, api::SoftFault::sip_outage, raise);
              }}) {}

void TrunkProbing::open(const config::Config& c) {
  cfg_ = c;
  plan_ = probe_plan(c);
  watch_.configure(c);
  if (loop_ && !loop_->ok()) {
    log_(LOG_ERR, "OPTIONS probing: sofia-sip could not start its event loop");
    return;
  }
  monitor_ = std::make_unique<probe::TrunkMonitor>(clock_, [this](const probe::TrunkEvent& e) {
    const probe::TrunkHealth* h = monitor_->health(e.spec.trunk, e.spec.uplink);
    watch_.on_result(e, h ? h->consecutive_failures() : 0);
    if (!e.transition) return;
    bool up = e.transition->to == probe::TrunkState::up;
    log_(up ? LOG_NOTICE : LOG_WARNING,
         "trunk " + e.spec.trunk + " over " + e.spec.uplink + ": " + (up ? "up" : "DOWN") + " (" +
             probe::trunk_state_name(e.transition->from) + " -> " + probe::trunk_state_name(e.transition->to) +
             (e.report.reason.empty() ? "" : ", " + e.report.reason) + ")");
  });
  realize();
}

probe::Prober* TrunkProbing::prober(const std::string& uplink) const {
  for (const auto& [name, p] : probers_)
    if (name == uplink) return p.get();
  return nullptr;
}

// Brings the running probers and pairs up to the plan. An uplink's address
// lives on the fast path's tap, which appears once tg-dataplane runs: agents
// that cannot bind yet are retried every 5 s from tick().
void TrunkProbing::realize() {
  for (const auto& a : plan_.agents) {
    if (prober(a.uplink)) continue;
    std::string err;
    auto p = factory_(a, &err);
    if (!p) {
      if (failing_.insert(a.uplink).second)
        log_(LOG_WARNING, "OPTIONS over " + a.uplink + " (" + a.bind_address + "): " + err + "; retrying");
      continue;
    }
    failing_.erase(a.uplink);
    monitor_->add_uplink(a.uplink, p.get());
    probers_.emplace_back(a.uplink, std::move(p));
    log_(LOG_NOTICE, "OPTIONS probing over " + a.uplink + " from " + a.bind_address);
  }
  for (const auto& pp : plan_.pairs) {
    if (!prober(pp.spec.uplink) || monitor_->health(pp.spec.trunk, pp.spec.uplink)) continue;
    std::string err;
    if (!monitor_->add(pp.spec, &err))
      log_(LOG_ERR, "trunk " + pp.spec.trunk + " over " + pp.spec.uplink + ": " + err);
  }
}

void TrunkProbing::apply(const config::Config& c) {
  ProbePlan next = probe_plan(c);
  ProbePlanDiff d = diff_probe_plans(plan_, next);
  cfg_ = c;
  watch_.configure(c);  // labels, SBCs, timeouts for the texts
  if (!monitor_ || d.empty()) {
    plan_ = std::move(next);
    return;
  }
  for (const auto& t : d.trunks_removed)
    watch_.remove_trunk(t, "trunk " + t + " removed from the configuration; no longer probed");
  // Changed pairs are re-created; the watch keeps their last verdict (and
  // the trunk's alarm) until the new pair reports: no clear/raise churn.
  for (const auto& [trunk, uplink] : d.pairs_removed) {
    monitor_->remove(trunk, uplink);
    watch_.forget(trunk, uplink);
  }
  for (const auto& [trunk, uplink] : d.pairs_changed) monitor_->remove(trunk, uplink);
  auto drop_agent = [this](const std::string& uplink) {
    monitor_->remove_uplink(uplink);
    std::erase_if(probers_, [&](const auto& p) { return p.first == uplink; });
  };
  for (const auto& u : d.agents_removed) drop_agent(u);
  for (const auto& u : d.agents_rebound) drop_agent(u);
  for (const auto& u : d.agents_retimed)
    if (auto* p = prober(u)) p->set_timeout(next.agent(u)->timeout);
  // Still configured but probed over no uplink any more: nothing would ever
  // clear its alarm.
  for (const auto& t : next.trunks)
    if (plan_.probes(t) && !next.probes(t))
      watch_.remove_trunk(t, "trunk " + t + " no longer probed over any uplink (configuration)");
  plan_ = std::move(next);
  realize();
  log_(LOG_NOTICE, "OPTIONS probing follows the configuration: " + d.summary());
}

void TrunkProbing::install(Controller& ctl, alarm::AlarmManager* alarms) {
  ctl_ = &ctl;
  alarms_ = alarms;
  if (!monitor_) return;
  ctl.hooks.trunk_probe_states = [this] { return states(); };
  ctl.hooks.test_trunk = [this](const std::string& trunk, Hooks::TrunkTestDone done, std::string& why) {
    return test(trunk, std::move(done), why);
  };
  // Only applied configurations reach this hook: a rejected reload or
  // commit leaves the probers as they are.
  auto applied = ctl.hooks.on_config_applied;
  ctl.hooks.on_config_applied = [this, applied](const config::Config& c) {
    apply(c);
    if (applied) applied(c);
  };
}

void TrunkProbing::tick() {
  if (!monitor_) return;
  if (loop_) loop_->step(0);
  monitor_->poll();
  if (!tests_.empty()) finish_tests(true);
  TimeNs now = clock_();
  if (probers_.size() < plan_.agents.size() && now >= next_retry_) {
    next_retry_ = now + 5'000 * kNsPerMs;
    realize();
  }
}

// {"carrierA": {"state": "up"|"down"|"unknown", "uplinks": [pair, ...]}}
Json TrunkProbing::states() const {
  Json out = Json::object();
  TimeNs now = clock_();
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

struct TrunkProbing::TrunkTest {
  struct Answer {
    std::string uplink;
    bool done = false;
    probe::ProbeReport report;
  };
  std::string trunk, target;
  std::vector<std::shared_ptr<Answer>> answers;
  TimeNs deadline = 0;
  Hooks::TrunkTestDone done;
};

// Sends one OPTIONS now over each uplink of the trunk; the answers come back
// through the probers' callbacks (what a technician checks first).
bool TrunkProbing::test(const std::string& trunk, Hooks::TrunkTestDone done, std::string& why) {
  const config::TrunkConfig* t = cfg_.trunk(trunk);
  if (!t) return why = "no trunk '" + trunk + "'", false;
  if (tests_.size() >= kMaxTests)
    return why = std::to_string(tests_.size()) + " trunk tests already running: try again when they are done", false;
  auto test = std::make_shared<TrunkTest>();
  test->trunk = trunk;
  test->target = options_target(*t);
  test->done = std::move(done);
  for (auto& [name, prober] : probers_) {
    if (std::find(t->uplinks.begin(), t->uplinks.end(), name) == t->uplinks.end()) continue;
    auto a = std::make_shared<TrunkTest::Answer>();
    a->uplink = name;
    std::string err;
    auto on_answer = [this, a](const probe::ProbeReport& r) {
      a->done = true, a->report = r;
      finish_tests(false);
    };
    if (!prober->probe(test->target, on_answer, &err)) {
      a->done = true;
      a->report.reason = err;
    }
    test->answers.push_back(a);
  }
  if (test->answers.empty()) return why = "no uplink of trunk '" + trunk + "' can send OPTIONS yet", false;
  // The probers' own timeout ends every probe; this bounds a test whose
  // prober was replaced by a reload meanwhile (its probes end silently).
  test->deadline = clock_() + TimeNs(std::max(t->options_timeout_ms, 100) + 500) * kNsPerMs;
  tests_.push_back(std::move(test));
  finish_tests(false);  // every probe may have failed at once
  return true;
}

// Answers the tests whose probes all ended (and, past its deadline, a test
// whose probes will never end).
void TrunkProbing::finish_tests(bool check_deadlines) {
  const TimeNs now = check_deadlines ? clock_() : 0;
  std::vector<std::shared_ptr<TrunkTest>> finished;
  std::erase_if(tests_, [&](const std::shared_ptr<TrunkTest>& t) {
    bool all = std::all_of(t->answers.begin(), t->answers.end(), [](auto& a) { return a->done; });
    if (!all && !(check_deadlines && now >= t->deadline)) return false;
    finished.push_back(t);
    return true;
  });
  for (auto& t : finished) {
    Json answers = Json::array();
    for (auto& p : t->answers) {
      Json a{{"uplink", p->uplink}, {"target", t->target}};
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
    t->done(Json{{"trunk", t->trunk}, {"answers", answers}});
  }
}

}  // namespace tg::controld
