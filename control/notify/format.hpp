// How a notice reads in each channel. Pure functions: unit-tested.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "control/notify/queue.hpp"

namespace tg::notify {

struct MailMessage {
  std::string subject;
  std::string body;        // lines joined with \r\n
  std::string message_id;  // "<tg-12-14@gw1>": stable across retries of the same batch
};

// One notice: subject with severity and the object, body with the NOC line
// and the X.733 fields. Several (rate limit, storm): one digest, one line each.
MailMessage format_mail(const std::vector<Notice>& notices, const std::string& box_name);
// Full RFC 5322 message with headers and CRLF line ends.
std::string render_mail(const MailMessage& m, const std::string& from,
                        const std::vector<std::string>& to, WallMs date_ms);

// RFC 5424 syslog line (no framing). facility: 0..23.
std::string format_syslog(const Notice& n, int facility, const std::string& hostname,
                          const std::string& app_name, int pid);
// RFC 5424 line for a plain event: [tgEvent@32473 object="..."] TEXT.
std::string format_syslog_event(WallMs time_ms, int facility, int severity, const std::string& hostname,
                                const std::string& app_name, int pid, const std::string& msgid,
                                const std::string& object, const std::string& text);
// local0 -> 16 ...; -1 if unknown.
int syslog_facility_code(const std::string& name);
// X.733 severity to syslog severity (critical->2 crit, major->3 err, minor/warning->4, cleared->5).
int syslog_severity(alarm::Severity s);

// SNMPv2-TC DateAndTime, 11 octets, UTC.
std::array<uint8_t, 11> date_and_time(WallMs ms);

}  // namespace tg::notify
