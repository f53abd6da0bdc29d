#include "control/notify/format.hpp"

#include <cctype>
#include <cstdio>
#include <ctime>

namespace tg::notify {

namespace {

std::string upper(const char* s) {
  std::string u(s);
  for (char& c : u) c = char(std::toupper(static_cast<unsigned char>(c)));
  return u;
}

std::string object_text(const Notice& n) {
  std::string s = n.object_name;
  if (!n.object_label.empty()) s += " (" + n.object_label + ")";
  return s;
}

// Header values must stay on one line.
std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\r' || c == '\n') c = ' ';
  return s;
}

const char* transition_word(const Notice& n) { return alarm::transition_name(n.transition); }

}  // namespace

MailMessage format_mail(const std::vector<Notice>& v, const std::string& box) {
  MailMessage m;
  if (v.empty()) return m;
  m.message_id = "<tg-" + std::to_string(v.front().id) +
                 (v.size() > 1 ? "-" + std::to_string(v.back().id) : std::string()) + "@" + box + ">";
  std::string body;
  auto line = [&](const std::string& l) { body += l + "\r\n"; };
  if (v.size() == 1) {
    const Notice& n = v.front();
    m.subject = one_line("[TrunkGuard " + box + "] " + upper(alarm::severity_name(n.severity)) + " " +
                         transition_word(n) + ": " + object_text(n) + " " + n.specific_problem);
    line(n.text);
    line("");
    char cause[64];
    snprintf(cause, sizeof cause, "%s (%u)", alarm::probable_cause_name(n.probable_cause),
             unsigned(n.probable_cause));
    line("Alarm id:         " + std::to_string(n.alarm_id));
    line("State:            " + std::string(transition_word(n)));
    line("Severity:         " + std::string(alarm::severity_name(n.severity)));
    line("Managed object:   " + std::string(alarm::object_kind_name(n.object_kind)) + " " + object_text(n));
    line("Event type:       " + std::string(alarm::event_type_name(n.event_type)));
    line("Probable cause:   " + std::string(cause));
    line("Specific problem: " + n.specific_problem);
    line("Time:             " + alarm::text::iso8601(n.event_ms));
    line("Calls affected:   " + std::to_string(n.calls_affected));
    line("Box:              " + box);
    line("Notice:           " + std::to_string(n.id));
  } else {
    size_t counts[7] = {};
    bool storm = false;
    for (const Notice& n : v) {
      if (size_t(n.severity) < 7) ++counts[size_t(n.severity)];
      storm = storm || n.grouped;
    }
    std::string tally;
    for (alarm::Severity s : {alarm::Severity::critical, alarm::Severity::major, alarm::Severity::minor,
                              alarm::Severity::warning, alarm::Severity::indeterminate,
                              alarm::Severity::cleared}) {
      if (!counts[size_t(s)]) continue;
      if (!tally.empty()) tally += ", ";
      tally += std::to_string(counts[size_t(s)]) + " " + alarm::severity_name(s);
    }
    m.subject = "[TrunkGuard " + box + "] " + std::to_string(v.size()) + " alarm notifications (" +
                tally + ")" + (storm ? " during an alarm storm" : "");
    line(std::to_string(v.size()) + " alarm notifications, grouped to keep mail within its rate limit" +
         (storm ? " during an alarm storm" : "") + ":");
    line("");
    for (const Notice& n : v)
      line(alarm::text::iso8601(n.event_ms) + "  " + upper(alarm::severity_name(n.severity)) + " " +
           transition_word(n) + " #" + std::to_string(n.alarm_id) + "  " + n.text);
    line("");
    line("Box: " + box + "; notices " + std::to_string(v.front().id) + ".." + std::to_string(v.back().id));
  }
  m.body = std::move(body);
  return m;
}

std::string render_mail(const MailMessage& m, const std::string& from, const std::vector<std::string>& to,
                        WallMs date_ms) {
  char date[64];
  time_t t = time_t(date_ms / 1000);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  std::string rcpt;
  for (const auto& r : to) rcpt += (rcpt.empty() ? "" : ", ") + r;
  std::string s;
  s += "Date: " + std::string(date) + "\r\n";
  s += "From: " + from + "\r\n";
  s += "To: " + rcpt + "\r\n";
  s += "Message-ID: " + m.message_id + "\r\n";
  s += "Subject: " + m.subject + "\r\n";
  s += "MIME-Version: 1.0\r\n";
  s += "Content-Type: text/plain; charset=utf-8\r\n";
  s += "Content-Transfer-Encoding: 8bit\r\n";
  s += "X-Mailer: TrunkGuard\r\n";
  s += "\r\n";
  s += m.body;
  return s;
}

int syslog_facility_code(const std::string& name) {
  if (name == "kern") return 0;
  if (name == "user") return 1;
  if (name == "daemon") return 3;
  if (name.size() == 6 && name.compare(0, 5, "local") == 0 && name[5] >= '0' && name[5] <= '7')
    return 16 + (name[5] - '0');
  return -1;
}

int syslog_severity(alarm::Severity s) {
  switch (s) {
    case alarm::Severity::critical: return 2;
    case alarm::Severity::major: return 3;
    case alarm::Severity::minor:
    case alarm::Severity::warning: return 4;
    case alarm::Severity::indeterminate:
    case alarm::Severity::cleared: return 5;
  }
  return 5;
}

namespace {
// RFC 5424 6.3.3: inside PARAM-VALUE, '"', '\' and ']' are escaped.
std::string sd_escape(const std::string& v) {
  std::string o;
  for (char c : v) {
    if (c == '"' || c == '\\' || c == ']') o += '\\';
    o += c;
  }
  return o;
}
// HOSTNAME / APP-NAME: printable US-ASCII without spaces, NILVALUE if empty.
std::string header_field(const std::string& v, size_t max) {
  std::string o;
  for (char c : v)
    if (c > 32 && c < 127 && o.size() < max) o += c;
  return o.empty() ? "-" : o;
}
}  // namespace

std::string format_syslog(const Notice& n, int facility, const std::string& hostname,
                          const std::string& app_name, int pid) {
  int pri = facility * 8 + syslog_severity(n.severity);
  std::string s = "<" + std::to_string(pri) + ">1 " + alarm::text::iso8601(n.event_ms) + " " +
                  header_field(hostname, 255) + " " + header_field(app_name, 48) + " " +
                  std::to_string(pid) + " " + (n.transition == alarm::Transition::cleared ? "CLEAR" : "ALARM") +
                  " ";
  // 32473: the documentation enterprise number (RFC 5612), as in TRUNKGUARD-MIB
  s += "[tgAlarm@32473 id=\"" + std::to_string(n.alarm_id) + "\" notice=\"" + std::to_string(n.id) +
       "\" state=\"" + alarm::transition_name(n.transition) + "\" type=\"" + n.info().name +
       "\" object=\"" + sd_escape(n.object_name) + "\" objectKind=\"" +
       alarm::object_kind_name(n.object_kind) + "\" severity=\"" + alarm::severity_name(n.severity) +
       "\" eventType=\"" + alarm::event_type_name(n.event_type) + "\" probableCause=\"" +
       std::to_string(unsigned(n.probable_cause)) + "\" calls=\"" + std::to_string(n.calls_affected) +
       "\"] ";
  std::string msg = n.text;
  for (char& c : msg)
    if (c == '\n' || c == '\r') c = ' ';
  return s + msg;
}

std::string format_syslog_event(WallMs time_ms, int facility, int severity, const std::string& hostname,
                                const std::string& app_name, int pid, const std::string& msgid,
                                const std::string& object, const std::string& text) {
  std::string msg = text;
  for (char& c : msg)
    if (c == '\n' || c == '\r') c = ' ';
  return "<" + std::to_string(facility * 8 + (severity & 7)) + ">1 " + alarm::text::iso8601(time_ms) + " " +
         header_field(hostname, 255) + " " + header_field(app_name, 48) + " " + std::to_string(pid) + " " +
         header_field(msgid, 32) + " [tgEvent@32473 object=\"" + sd_escape(object) + "\"] " + msg;
}

std::array<uint8_t, 11> date_and_time(WallMs ms) {
  time_t t = time_t(ms / 1000);
  struct tm tm;
  gmtime_r(&t, &tm);
  int year = tm.tm_year + 1900;
  return {uint8_t(year >> 8), uint8_t(year & 0xff), uint8_t(tm.tm_mon + 1), uint8_t(tm.tm_mday),
          uint8_t(tm.tm_hour), uint8_t(tm.tm_min), uint8_t(tm.tm_sec), uint8_t((ms % 1000) / 100),
          uint8_t('+'), 0, 0};
}

}  // namespace tg::notify
