#include "drivers/service/service_notify.hpp"

#include <systemd/sd-daemon.h>

namespace tg::drivers {

ServiceNotifier::ServiceNotifier() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) interval_ns_ = usec * 1000 / 3;
}

void ServiceNotifier::ready(const std::string& status) {
  sd_notifyf(0, "READY=1\nSTATUS=%s", status.c_str());
}

void ServiceNotifier::status(const std::string& status) { sd_notifyf(0, "STATUS=%s", status.c_str()); }

void ServiceNotifier::send_kick(uint64_t now_ns) {
  sd_notify(0, "WATCHDOG=1");
  next_kick_ns_ = now_ns + interval_ns_;
}

void ServiceNotifier::stopping() { sd_notify(0, "STOPPING=1"); }

}  // namespace tg::drivers
