// What tg-controld does when a trunk's OPTIONS health changes (the prober
// only measures): alarms to the NOC and, for an outage seen through one
// uplink only, a soft fault that moves traffic off that uplink.
//
//   trunk down on every uplink it has, outage     -> trunk_down (critical)
//   trunk down via some uplinks, up via another   -> trunk_down (major), and
//       on each such uplink a soft fault sip_outage (the fast path leaves it
//       when it is active, and does not fail over onto it)
//   down because busy (503 + Retry-After, 486,    -> trunk_sip_errors only:
//       600: "overloaded")                           busy is not an outage and
//                                                    never fails an uplink over
//       (trunk_congestion is the busy ratio of real calls: call_records.cpp;
//       a type apart so neither clears the other's alarm)
//   up again on every uplink                      -> alarms cleared, soft
//                                                    faults cleared
// Pure logic: probe events in, actions out through callbacks, so it is
// unit-tested with the TrunkMonitor, a fake prober and an injected clock.
#pragma once
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "control/alarms/alarm.hpp"
#include "control/config/config.hpp"
#include "control/probe/trunk_monitor.hpp"

namespace tg::controld {

class TrunkWatch {
 public:
  struct Actions {
    std::function<void(const alarm::RaiseRequest&)> raise;
    std::function<void(alarm::AlarmType, const alarm::ManagedObject&, const std::string& why)> clear;
    std::function<void(const std::string& uplink, bool raise)> sip_outage;  // soft fault on the fast path
  };

  explicit TrunkWatch(Actions actions) : act_(std::move(actions)) {}
  // Trunk labels, SBC addresses, timeouts, uplink carriers for the texts.
  void configure(const config::Config& c);
  // Every probe result of one (trunk, uplink) pair; `consecutive_failures`
  // of that pair after it (TrunkHealth::consecutive_failures).
  void on_result(const probe::TrunkEvent& e, int consecutive_failures);

  // Configuration reload. The trunk is gone (or no uplink probes it any
  // more): its alarm is cleared with `why`, its soft faults withdrawn.
  void remove_trunk(const std::string& trunk, const std::string& why);
  // The pair is no longer probed (uplink dropped from the trunk's list, or
  // removed): the trunk is judged on its other pairs. With none known left
  // the alarm stays until a new pair of it reports.
  void forget(const std::string& trunk, const std::string& uplink);

  // Soft fault sip_outage currently ordered on this uplink.
  bool sip_outage(const std::string& uplink) const { return outage_uplinks_.count(uplink) > 0; }
  // The active trunk alarm's type, if any (tests, console).
  const alarm::AlarmType* alarm_of(const std::string& trunk) const;

  // "SIP OPTIONS: 503 Service Unavailable (Retry-After 30) from 203.0.113.10
  // via wan0, 2 consecutive"
  static std::string failure_text(const probe::ProbeReport& r, const std::string& sbc, const std::string& uplink,
                                  int timeout_ms, int consecutive);

 private:
  struct Pair {
    bool known = false, usable = false;
    bool clean = false;        // up with no recent failure (not "failing")
    bool busy = false;         // last failure was "overloaded"
    std::string failure;       // text of the failure that made / keeps it down
  };
  struct Trunk {
    std::string label, sbc;
    int timeout_ms = 0;
  };
  void evaluate(const std::string& trunk, const std::string& clear_why = "OPTIONS answered again over every uplink");
  void update_soft_faults();

  Actions act_;
  std::map<std::string, Trunk> trunks_;
  std::map<std::string, std::string> carriers_;  // uplink -> "Carrier A"
  std::map<std::pair<std::string, std::string>, Pair> pairs_;  // (trunk, uplink)
  std::map<std::string, alarm::AlarmType> raised_;             // trunk -> active alarm
  std::set<std::string> outage_uplinks_;
};

}  // namespace tg::controld
