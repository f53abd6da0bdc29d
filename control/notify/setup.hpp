// Builds the senders of a Dispatcher from plain options (the daemon maps its
// [alarm.snmp] / [alarm.email] / [alarm.syslog] sections onto these).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "control/notify/sender.hpp"
#include "control/notify/smtp.hpp"
#include "control/notify/snmp.hpp"
#include "control/notify/syslog.hpp"

namespace tg::notify {

struct NotifyConfig {
  std::string box_name = "trunkguard";
  std::vector<SnmpOptions> snmp;        // one per receiver
  std::optional<SmtpOptions> email;
  std::optional<SyslogOptions> syslog;
};

// Validates everything first; on error returns "section: why" and adds nothing.
std::string add_senders(Dispatcher& dispatcher, const NotifyConfig& config);

}  // namespace tg::notify
