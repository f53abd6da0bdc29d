// SIP OPTIONS probing of every configured trunk over every uplink it may use,
// inside tg-controld: one sofia-sip agent per uplink bound to the uplink's
// address (the fast path's tap for that port carries it), the TrunkMonitor's
// state machines, the console's `show trunks` / `test trunk`, and a log line
// on each up/down change; the TrunkWatch turns changes into trunk alarms and
// sip_outage soft faults. Stepped from the daemon's loop without blocking.
//
// A configuration applied (SIGHUP, console commit) is followed through the
// plan diff (trunk_probe_plan.hpp): only what changed is re-created, an
// unchanged trunk keeps its state; a removed trunk's alarm is cleared.
#pragma once
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "control/config/config.hpp"
#include "control/alarms/alarm.hpp"
#include "control/daemon/controller.hpp"
#include "control/daemon/trunk_probe_plan.hpp"
#include "control/daemon/trunk_watch.hpp"
#include "control/probe/options_prober.hpp"
#include "control/probe/trunk_monitor.hpp"

namespace tg::controld {

using probe::TimeNs;
using probe::kNsPerMs;

class TrunkProbing {
 public:
  using Log = Controller::Log;
  // One prober bound as the agent plan says; nullptr with *error if it
  // cannot (yet): retried every 5 s.
  using ProberFactory = std::function<std::unique_ptr<probe::Prober>(const ProbeAgentPlan&, std::string* error)>;
  using Clock = std::function<TimeNs()>;
  // The daemon's: sofia-sip agents on CLOCK_MONOTONIC.
  explicit TrunkProbing(Log log);
  // Tests: fake probers, injected clock.
  TrunkProbing(Log log, ProberFactory factory, Clock clock);

  // Sets up probers and pairs from the configuration; parts that cannot be
  // set up (an uplink address not present yet) are logged and retried.
  void open(const config::Config& c);
  // Console hooks and the reload hook; trunk alarms go to `alarms` (nullptr:
  // logged only), soft faults to the fast path through `ctl`.
  void install(Controller& ctl, alarm::AlarmManager* alarms);
  // Follows a configuration that was applied (never a rejected one).
  void apply(const config::Config& c);
  void tick();  // each loop round: sofia timers/sockets, due probes, trunk tests' deadlines
  static constexpr size_t kMaxTests = 8;  // `test trunk`s waiting at once

  // Tests and the console.
  const probe::TrunkMonitor* monitor() const { return monitor_.get(); }
  const TrunkWatch& watch() const { return watch_; }
  probe::Prober* prober(const std::string& uplink) const;
  Json states() const;

 private:
  // `test trunk`: OPTIONS now over each uplink of the trunk; the answers go
  // to `done` from tick() (each bounded by the probe timeout), so the loop
  // serves the console meanwhile. At most kMaxTests run at once.
  struct TrunkTest;
  bool test(const std::string& trunk, Hooks::TrunkTestDone done, std::string& why);
  void finish_tests(bool all_due);
  void realize();

  Log log_;
  std::unique_ptr<probe::ProbeLoop> loop_;  // the daemon's only
  ProberFactory factory_;
  Clock clock_;
  config::Config cfg_;
  ProbePlan plan_;
  std::vector<std::pair<std::string, std::unique_ptr<probe::Prober>>> probers_;
  std::unique_ptr<probe::TrunkMonitor> monitor_;
  Controller* ctl_ = nullptr;
  alarm::AlarmManager* alarms_ = nullptr;
  TrunkWatch watch_;
  TimeNs next_retry_ = 0;
  std::set<std::string> failing_;  // uplinks whose agent could not bind (logged once)
  std::vector<std::shared_ptr<TrunkTest>> tests_;  // `test trunk`s waiting for answers
};

}  // namespace tg::controld
