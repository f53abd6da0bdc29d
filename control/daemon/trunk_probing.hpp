// SIP OPTIONS probing of every configured trunk over every uplink it may use,
// inside tg-controld: one sofia-sip agent per uplink bound to the uplink's
// address (the fast path's tap for that port carries it), the TrunkMonitor's
// state machines, the console's `show trunks` / `test trunk`, and a log line
// on each up/down change; the TrunkWatch turns changes into trunk alarms and
// sip_outage soft faults. Stepped from the daemon's loop without blocking.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "control/config/config.hpp"
#include "control/alarmsvc/alarm_service.hpp"
#include "control/daemon/controller.hpp"
#include "control/daemon/trunk_watch.hpp"
#include "control/probe/options_prober.hpp"
#include "control/probe/trunk_monitor.hpp"

namespace tg::controld {

using probe::TimeNs;
using probe::kNsPerMs;

class TrunkProbing {
 public:
  using Log = Controller::Log;
  explicit TrunkProbing(Log log);
  // Sets up probers and pairs from the configuration; parts that cannot be
  // set up (an uplink address not present yet) are logged and retried.
  void open(const config::Config& c);
  // Console hooks; trunk alarms go to `alarms` (nullptr: logged only), soft
  // faults to the fast path through `ctl`.
  void install(Controller& ctl, alarmsvc::AlarmService* alarms);
  void tick();  // each loop round: sofia timers/sockets, due probes

 private:
  void add_uplinks();
  Json states() const;
  Json test(const std::string& trunk, std::string& why);

  Log log_;
  config::Config cfg_;
  probe::ProbeLoop loop_;
  std::vector<std::pair<std::string, std::unique_ptr<probe::OptionsProber>>> probers_;
  std::unique_ptr<probe::TrunkMonitor> monitor_;
  Controller* ctl_ = nullptr;
  alarmsvc::AlarmService* alarms_ = nullptr;
  TrunkWatch watch_;
  TimeNs next_retry_ = 0;
  std::string error_;
};

}  // namespace tg::controld
