// The service manager's readiness and watchdog protocol (systemd
// Type=notify, WatchdogSec=) through libsystemd's sd_notify. Without
// NOTIFY_SOCKET (run by hand, in tests) every call does nothing.
//
// The owner calls ready() once it serves, and kick(now) from the loop whose
// turning proves it healthy: a stopped or stuck loop stops the kicks and
// the service manager restarts the service after WatchdogSec.
#pragma once
#include <cstdint>
#include <string>

namespace tg::drivers {

class ServiceNotifier {
 public:
  // Reads WATCHDOG_USEC/WATCHDOG_PID (sd_watchdog_enabled): kicks are sent
  // every third of the interval the manager expects.
  ServiceNotifier();

  bool watchdog_enabled() const { return interval_ns_ != 0; }
  uint64_t kick_interval_ns() const { return interval_ns_; }

  // READY=1 with a STATUS= line (shown by systemctl status).
  void ready(const std::string& status);
  void status(const std::string& status);
  // WATCHDOG=1 if a kick is due at monotonic time now_ns; cheap otherwise.
  void kick(uint64_t now_ns) {
    if (interval_ns_ && now_ns >= next_kick_ns_) send_kick(now_ns);
  }
  // STOPPING=1 on a clean exit.
  void stopping();

 private:
  void send_kick(uint64_t now_ns);
  uint64_t interval_ns_ = 0, next_kick_ns_ = 0;
};

}  // namespace tg::drivers
