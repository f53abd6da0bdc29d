// The daemon's slower services, wired to the controller's hooks: the alarm
// manager (X.733), the event/call/alarm store with fault reports, and the
// durable notification queue with its SNMP / SMTP / syslog senders.
//
// Fast-path events become alarms here: an uplink going down raises
// link-down / blackhole / probe-loss alarms by its fault causes (cleared when
// the cause goes), a switch is recorded with its measured times and names
// the action in the alarm text, no usable uplink raises all_uplinks_down, a
// fast path that stops answering raises fastpath_down, a configuration
// rejected on reload raises config_rejected.
#pragma once
#include <memory>
#include <string>

#include "control/alarms/alarm.hpp"
#include "control/config/config.hpp"
#include "control/daemon/controller.hpp"
#include "control/notify/queue.hpp"
#include "control/notify/sender.hpp"
#include "control/store/store.hpp"

namespace tg::controld {

class Services {
 public:
  using Log = Controller::Log;
  Services(FastPath& fp, alarm::Clock wall_ms, Log log) : fp_(fp), clock_(std::move(wall_ms)), log_(std::move(log)) {}

  // Opens the store (store.path) and the notification queue
  // (STATE_DIR/notify.db) and builds the senders. A part that cannot be set
  // up is logged and left out (why() says which); the rest still runs.
  void open(const config::Config& c);
  // Sets the controller's hooks for what is open.
  void install(Controller& ctl);
  // From the loop: storm bookkeeping, deliveries (about once a second),
  // fast-path liveness alarm.
  void tick();

  alarm::AlarmManager* alarms() { return alarms_.get(); }
  store::Store* store() { return store_ok_ ? &store_ : nullptr; }
  const std::string& store_error() const { return store_error_; }
  const std::string& notify_error() const { return notify_error_; }

 private:
  alarm::ManagedObject uplink_object(const std::string& name) const;
  void on_notification(const alarm::AlarmNotification& n);
  void on_switch(const SwitchRecord& r);
  void on_uplink_state(const std::string& name, const ipc::UplinkStateEvent& e);

  FastPath& fp_;
  alarm::Clock clock_;
  Log log_;
  const config::Config* config_ = nullptr;
  store::Store store_;
  bool store_ok_ = false;
  std::string store_error_, notify_error_;
  std::unique_ptr<notify::NotifyQueue> queue_;
  std::unique_ptr<notify::Dispatcher> dispatcher_;
  std::unique_ptr<alarm::AlarmManager> alarms_;
  alarm::WallMs last_pass_ms_ = 0;
  bool fastpath_seen_ = false, fastpath_alarm_ = false;
};

}  // namespace tg::controld
