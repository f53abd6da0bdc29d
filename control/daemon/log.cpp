#include "control/daemon/log.hpp"

#include <time.h>
#include <unistd.h>

#include <cstdio>

namespace tg::controld {

void Logger::to_syslog(const std::string& ident, int facility) {
  ident_ = ident;
  ::openlog(ident_.c_str(), LOG_PID | LOG_NDELAY, facility);
  syslog_ = true;
}

void Logger::to_stderr() {
  if (syslog_) ::closelog();
  syslog_ = false;
}

void Logger::set_level(const std::string& level) {
  max_priority_ = level == "error" ? LOG_ERR : level == "warning" ? LOG_WARNING : level == "debug" ? LOG_DEBUG : LOG_INFO;
}

void Logger::operator()(int priority, const std::string& message) const {
  if (priority > max_priority_) return;
  if (syslog_) {
    ::syslog(priority, "%s", message.c_str());
    return;
  }
  static const char* const names[] = {"emerg", "alert", "crit", "error", "warning", "notice", "info", "debug"};
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  tm t{};
  gmtime_r(&ts.tv_sec, &t);
  std::fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s[%d] %s: %s\n", t.tm_year + 1900, t.tm_mon + 1,
               t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, ts.tv_nsec / 1000000, ident_.c_str(), int(getpid()),
               names[priority & 7], message.c_str());
}

int facility_from_name(const std::string& n) {
  if (n == "daemon") return LOG_DAEMON;
  if (n == "user") return LOG_USER;
  static const int locals[] = {LOG_LOCAL0, LOG_LOCAL1, LOG_LOCAL2, LOG_LOCAL3,
                               LOG_LOCAL4, LOG_LOCAL5, LOG_LOCAL6, LOG_LOCAL7};
  if (n.size() == 6 && n.compare(0, 5, "local") == 0 && n[5] >= '0' && n[5] <= '7') return locals[n[5] - '0'];
  return LOG_DAEMON;
}

}  // namespace tg::controld
