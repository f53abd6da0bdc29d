#include "control/notify/setup.hpp"

namespace tg::notify {

std::string add_senders(Dispatcher& d, const NotifyConfig& c) {
  for (const SnmpOptions& o : c.snmp)
    if (std::string e = validate(o); !e.empty()) return "alarm.snmp: " + e;
  if (c.email)
    if (std::string e = validate(*c.email); !e.empty()) return "alarm.email: " + e;
  if (c.syslog)
    if (std::string e = validate(*c.syslog); !e.empty()) return "alarm.syslog: " + e;
  for (const SnmpOptions& o : c.snmp) d.add(std::make_unique<SnmpSender>(o));
  if (c.email) {
    SmtpOptions o = *c.email;
    if (o.box_name.empty() || o.box_name == "trunkguard") o.box_name = c.box_name;
    d.add(std::make_unique<SmtpSender>(o));
  }
  if (c.syslog) d.add(std::make_unique<SyslogSender>(*c.syslog));
  return "";
}

}  // namespace tg::notify
