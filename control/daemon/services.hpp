// The daemon's slower services: the alarm service (control/alarmsvc: alarm
// manager, event store with fault reports, durable notification queue and
// its delivery thread) wired to the controller's hooks, plus the alarms that
// come from the daemon's own decisions:
//   QoS violations (QosWatch)   -> uplink_latency / uplink_loss / uplink_jitter /
//                                  uplink_mos / uplink_delay
//   fast path stopped answering -> fastpath_down (once it had been seen)
#pragma once
#include <map>
#include <memory>
#include <string>

#include "control/alarmsvc/alarm_service.hpp"
#include "control/config/config.hpp"
#include "control/daemon/controller.hpp"

namespace tg::controld {

class Services {
 public:
  using Log = Controller::Log;
  Services(FastPath& fp, alarm::Clock wall_ms, Log log);

  // Starts the alarm service from the configuration. If it cannot start
  // (store or queue unwritable) that is logged, error() says why, and the
  // console's alarm commands answer "not available".
  bool open(const config::Config& c);
  void install(Controller& ctl);
  void tick();  // about once a second is enough; cheap otherwise

  alarmsvc::AlarmService* alarm_service() { return ok_ ? &svc_ : nullptr; }
  const std::string& error() const { return error_; }

 private:
  void on_qos(const QosAction& q);

  FastPath& fp_;
  alarm::Clock clock_;
  Log log_;
  alarmsvc::AlarmService svc_;
  bool ok_ = false;
  std::string error_;
  alarm::WallMs last_tick_ms_ = 0;
  bool fastpath_seen_ = false, fastpath_alarm_ = false;
  std::map<std::string, std::string> labels_;  // uplink -> carrier, for alarm texts
};

}  // namespace tg::controld
