// The daemon's log: syslog (the box's default) or stderr (foreground, tests),
// filtered by box.log_level. Control plane only, never on a hot path.
#pragma once
#include <syslog.h>

#include <string>

namespace tg::controld {

class Logger {
 public:
  void to_syslog(const std::string& ident, int facility);
  void to_stderr();
  void set_level(const std::string& level);  // error|warning|info|debug
  void operator()(int priority, const std::string& message) const;

 private:
  bool syslog_ = false;
  int max_priority_ = LOG_INFO;
  std::string ident_ = "tg-controld";
};

int facility_from_name(const std::string& name);  // "local0" -> LOG_LOCAL0

}  // namespace tg::controld
