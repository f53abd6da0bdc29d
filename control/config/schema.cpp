#include "control/config/schema.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "control/config/ini.hpp"
#include "common/net.hpp"

namespace tg::config {

const char* value_type_text(ValueType t) {
  switch (t) {
#define TG_X(name, text) \
  case ValueType::name:  \
    return text;
    TG_VALUE_TYPES(TG_X)
#undef TG_X
  }
  return "?";
}

namespace {

using V = ValueType;
constexpr double kNoLimit = 0;

// Units are in the key names (_ms, _s, _percent, _mb) so a file reads
// unambiguously without the manual.
constexpr OptionSpec kBox[] = {
    {"name", V::text, 1, 63, nullptr, "trunkguard", false, "box name shown in alarms and on the console"},
    {"location", V::text, 0, 127, nullptr, "", false, "site, shown in alarm texts"},
    {"mgmt_socket", V::path, 0, 107, nullptr, "/run/trunkguard/mgmt.sock", false, "management socket (tg-cli)"},
    {"admin_group", V::text, 1, 32, nullptr, "tgadmin", false, "group with full access (root always has it)"},
    {"operator_group", V::text, 0, 32, nullptr, "", false, "group with read-only access; empty = none"},
    {"pidfile", V::path, 0, 4095, nullptr, "/run/trunkguard/tg-controld.pid", false, "pid file, locked while running"},
    {"state_dir", V::path, 0, 4095, nullptr, "/var/lib/trunkguard", false, "rollback history lives here"},
    {"rollback_keep", V::integer, 1, 50, nullptr, "10", false, "previous configurations kept for rollback"},
    {"log", V::choice, 0, 0, "stderr|syslog", "syslog", false, "where the daemon logs"},
    {"log_level", V::choice, 0, 0, "error|warning|info|debug", "info", false, "least severe level logged"},
};

constexpr OptionSpec kUplink[] = {
    {"role", V::choice, 0, 0, "wan|lte", nullptr, true, "wired carrier uplink or LTE modem"},
    {"device", V::text, 1, 63, nullptr, nullptr, true, "port: kernel netdev or DPDK device name"},
    {"carrier", V::text, 0, 63, nullptr, "", false, "carrier name shown in alarm texts"},
    {"address", V::cidr_or_dhcp, 0, 0, nullptr, nullptr, true, "ADDRESS/PREFIX of the uplink, or dhcp"},
    {"gateway", V::ip, 0, 0, nullptr, nullptr, false, "next hop; required unless address = dhcp"},
    {"probe_targets", V::ip_list, 1, 8, nullptr, nullptr, true, "addresses probed through this uplink"},
    // Rounds overlap: a round every 10 ms, each answered within 100 ms (the
    // fast path's rule: timeout >= interval, timeout / interval < 63).
    {"probe_interval_ms", V::integer, 10, 60000, nullptr, "10", false,
     "one probe round per interval (default 10, role lte 100)"},
    {"probe_timeout_ms", V::integer, 10, 600000, nullptr, "100", false,
     "a round is lost without an answer by then; >= probe_interval_ms (default 100, role lte 500)"},
    {"priority", V::integer, 1, 255, nullptr, nullptr, true, "lower is preferred; unique per uplink"},
    {"enabled", V::boolean, 0, 0, nullptr, "true", false, "false = administratively down"},
};

constexpr OptionSpec kTrunk[] = {
    {"description", V::text, 0, 127, nullptr, "", false, "free text"},
    {"sbc_address", V::host, 0, 0, nullptr, nullptr, true, "carrier SBC, IP address or DNS name"},
    {"sbc_port", V::integer, 1, 65535, nullptr, nullptr, false, "default 5060, 5061 for tls"},
    {"transport", V::choice, 0, 0, "udp|tcp|tls", "udp", false, "SIP transport to the SBC"},
    {"domain", V::host, 0, 0, nullptr, nullptr, false, "Request-URI domain of OPTIONS; default sbc_address"},
    {"options_interval_ms", V::integer, 500, 600000, nullptr, "10000", false, "one OPTIONS per uplink per interval"},
    {"options_timeout_ms", V::integer, 100, 32000, nullptr, "2000", false, "no final answer by then = failure"},
    {"down_after", V::integer, 1, 100, nullptr, "3", false, "consecutive failures that make the trunk down"},
    {"up_after", V::integer, 1, 100, nullptr, "2", false, "consecutive successes that make it up again"},
    {"uplinks", V::name_list, 1, 4, nullptr, nullptr, false, "uplinks to probe over; default all"},
};

constexpr OptionSpec kSnmp[] = {
    {"enabled", V::boolean, 0, 0, nullptr, "false", false, "send SNMP notifications"},
    {"version", V::choice, 0, 0, "v2c|v3", "v3", false, "SNMP version"},
    {"community", V::secret, 1, 64, nullptr, nullptr, false, "v2c community"},
    {"user", V::text, 1, 32, nullptr, nullptr, false, "v3 USM user"},
    {"security_level", V::choice, 0, 0, "noAuthNoPriv|authNoPriv|authPriv", "authPriv", false, "v3 security level"},
    {"auth_protocol", V::choice, 0, 0, "MD5|SHA|SHA-224|SHA-256|SHA-384|SHA-512", "SHA-256", false,
     "v3 authentication protocol"},
    {"auth_key", V::secret, 8, 256, nullptr, nullptr, false, "v3 authentication passphrase (8+ characters)"},
    {"priv_protocol", V::choice, 0, 0, "DES|AES|AES-192|AES-256", "AES", false, "v3 privacy protocol"},
    {"priv_key", V::secret, 8, 256, nullptr, nullptr, false, "v3 privacy passphrase (8+ characters)"},
    {"engine_id", V::text, 10, 64, nullptr, nullptr, false, "v3 engine id in hex; default derived by net-snmp"},
    {"targets", V::host_port_list, 1, 8, nullptr, nullptr, false, "receivers, HOST[:PORT], port 162 by default"},
    {"notification", V::choice, 0, 0, "trap|inform", "trap", false, "unacknowledged trap or acknowledged inform"},
    {"inform_timeout_ms", V::integer, 100, 60000, nullptr, "3000", false, "inform retransmission timeout"},
    {"inform_retries", V::integer, 0, 10, nullptr, "3", false, "inform retransmissions"},
};

constexpr OptionSpec kEmail[] = {
    {"enabled", V::boolean, 0, 0, nullptr, "false", false, "send alarm mail"},
    {"smtp_url", V::url, 0, 0, "smtp|smtps", nullptr, false, "smtp://HOST[:PORT] or smtps://HOST[:PORT]"},
    {"starttls", V::choice, 0, 0, "none|opportunistic|required", "required", false, "STARTTLS on smtp://"},
    {"user", V::text, 1, 128, nullptr, nullptr, false, "SMTP AUTH user"},
    {"password", V::secret, 1, 256, nullptr, nullptr, false, "SMTP AUTH password"},
    {"from", V::email, 0, 0, nullptr, nullptr, false, "sender address"},
    {"recipients", V::email_list, 1, 32, nullptr, nullptr, false, "NOC addresses"},
    {"rate_limit_per_hour", V::integer, 1, 3600, nullptr, "30", false, "mails per hour; more are grouped"},
    {"group_window_s", V::integer, 0, 3600, nullptr, "60", false, "alarms within this window go in one mail"},
    {"timeout_ms", V::integer, 1000, 120000, nullptr, "15000", false, "SMTP session timeout"},
};

constexpr OptionSpec kSyslog[] = {
    {"enabled", V::boolean, 0, 0, nullptr, "true", false, "log every event as RFC 5424 syslog"},
    {"remote", V::url, 0, 0, "udp|tcp", nullptr, false, "udp://HOST[:PORT] or tcp://...; default local syslog"},
    {"facility", V::choice, 0, 0, "daemon|user|local0|local1|local2|local3|local4|local5|local6|local7", "local0",
     false, "syslog facility"},
    {"app_name", V::text, 1, 48, nullptr, "trunkguard", false, "RFC 5424 APP-NAME"},
};

constexpr OptionSpec kThresholds[] = {
    {"one_way_delay_ms", V::integer, 1, 10000, nullptr, "150", false, "calls' one-way delay (RTCP round trip / 2) above this raises an alarm (ITU-T G.114)"},
    {"rtt_ms", V::integer, 1, 10000, nullptr, "100", false, "round-trip time above this raises an alarm"},
    {"mos", V::real, 1.0, 4.5, nullptr, "3.6", false, "MOS of the calls through an uplink (10 s windows) below this raises an alarm"},
    {"loss_percent", V::real, 0, 100, nullptr, "1.0", false, "packet loss above this raises an alarm"},
    {"jitter_ms", V::integer, 1, 1000, nullptr, "30", false, "interarrival jitter above this raises an alarm"},
    {"window_s", V::integer, 1, 3600, nullptr, "10", false, "measurement window of the QoS values"},
    {"switch_rtt_ms", V::integer, 1, 10000, nullptr, "200", false,
     "round-trip time above this for window_s moves traffic off the uplink"},
    {"switch_loss_percent", V::real, 0.1, 100, nullptr, "10.0", false,
     "probe loss above this for window_s moves traffic off the uplink (ordinary impairment must not)"},
    {"switch_mos", V::real, 1.0, 4.5, nullptr, "3.1", false,
     "MOS of the calls through the active uplink below this for window_s moves traffic off it"},
};

constexpr OptionSpec kTrunkStats[] = {
    {"window_min", V::integer, 1, 1440, nullptr, "15", false,
     "sliding window of the per-trunk figures (ASR, SEER, busy %...) and of the congestion alarm"},
    {"congestion_raise_percent", V::real, 1, 100, nullptr, "30", false,
     "busy answers (486, 600, 503 + Retry-After) at or above this share of the window's calls raise congestion"},
    {"congestion_clear_percent", V::real, 0, 100, nullptr, "15", false,
     "congestion clears below this busy share; < congestion_raise_percent"},
    {"congestion_min_calls", V::integer, 1, 100000, nullptr, "10", false,
     "fewer settled calls in the window never raise congestion"},
};

constexpr OptionSpec kTimers[] = {
    {"miss_count", V::integer, 1, 1000, nullptr, "8", false, "consecutive lost probe rounds = uplink down"},
    {"holddown_base_ms", V::integer, 100, 3600000, nullptr, "5000", false, "clean time after a first fault"},
    {"holddown_max_ms", V::integer, 100, 86400000, nullptr, "300000", false, "cap of the doubling hold-down"},
    {"holddown_decay_ms", V::integer, 1000, 86400000, nullptr, "600000", false, "up time that halves the penalty"},
    {"failback_holddown_ms", V::integer, 0, 3600000, nullptr, "30000", false,
     "preferred uplink clean this long before traffic goes back"},
    {"blackout_ms", V::integer, 50, 60000, nullptr, "150", false, "inbound RTP silence that makes a blackout"},
    {"blackout_min_streams", V::integer, 1, 10000, nullptr, "2", false, "fewer active streams: no blackout rule"},
    {"quorum_percent", V::integer, 1, 100, nullptr, "60", false, "share of streams that must go silent"},
    {"flow_min_packets", V::integer, 1, 10000, nullptr, "5", false, "packets per second for a stream to count"},
};

constexpr OptionSpec kStore[] = {
    {"path", V::path, 0, 4095, nullptr, "", false, "SQLite event and call store; default STATE_DIR/store.db"},
    {"max_rows", V::integer, 100, 10000000, nullptr, "200000", false, "rows kept per table, oldest deleted"},
    {"max_size_mb", V::integer, 1, 4096, nullptr, "64", false, "database size bound, oldest rows deleted"},
    {"notify_retention_h", V::integer, 1, 8760, nullptr, "168", false,
     "delivered alarm notifications kept this long in the notification queue, then purged"},
};

constexpr OptionSpec kCapture[] = {
    {"dir", V::path, 0, 4095, nullptr, "", false, "pcap files; default STATE_DIR/captures"},
    {"max_packets", V::integer, 1, 100000000, nullptr, "1000000", false, "most packets one capture may write"},
    {"max_mb", V::integer, 1, 4096, nullptr, "100", false, "largest pcap file one capture may write"},
    {"max_duration_s", V::integer, 1, 86400, nullptr, "600", false, "longest capture"},
};

constexpr SectionSpec kSections[] = {
    {"box", false, 1, nullptr, kBox, "the appliance itself"},
    {"uplink", true, 4, "wan0|wan1|lte|up3", kUplink, "[uplink.wan0] [uplink.wan1] [uplink.lte]: carrier uplinks"},
    {"trunk", true, 32, nullptr, kTrunk, "[trunk.NAME]: a carrier SIP trunk probed with OPTIONS"},
    {"alarm.snmp", false, 1, nullptr, kSnmp, "SNMP traps/informs to the NOC"},
    {"alarm.email", false, 1, nullptr, kEmail, "alarm mail over SMTP"},
    {"alarm.syslog", false, 1, nullptr, kSyslog, "RFC 5424 syslog of every event"},
    {"thresholds", false, 1, nullptr, kThresholds, "QoS limits"},
    {"trunk_stats", false, 1, nullptr, kTrunkStats, "per-trunk call figures and the congestion alarm"},
    {"timers", false, 1, nullptr, kTimers, "failover timers pushed to the fast path"},
    {"store", false, 1, nullptr, kStore, "event and call-record store"},
    {"capture", false, 1, nullptr, kCapture, "packet capture to pcap (console: capture start|stop)"},
};

bool in_choices(std::string_view choices, std::string_view word) {
  size_t pos = 0;
  while (pos <= choices.size()) {
    size_t bar = choices.find('|', pos);
    std::string_view item = choices.substr(pos, bar == std::string_view::npos ? std::string_view::npos : bar - pos);
    if (item == word) return true;
    if (bar == std::string_view::npos) break;
    pos = bar + 1;
  }
  return false;
}

std::string range_text(const OptionSpec& o) {
  auto num = [](double v) {
    if (v == std::floor(v)) return std::to_string(static_cast<long long>(v));
    std::string s = std::to_string(v);
    while (!s.empty() && s.back() == '0') s.pop_back();
    return s;
  };
  return num(o.min) + ".." + num(o.max);
}

bool valid_name_item(std::string_view s) {
  return !s.empty() && s.size() <= 32 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

std::optional<std::string> check_count(const OptionSpec& o, size_t n) {
  if (o.max != kNoLimit && (double(n) < o.min || double(n) > o.max))
    return "needs " + range_text(o) + " items, got " + std::to_string(n);
  return std::nullopt;
}

}  // namespace

std::span<const SectionSpec> schema() { return kSections; }

const SectionSpec* find_section(std::string_view section, std::string* instance, std::string* why) {
  for (const SectionSpec& s : kSections)
    if (!s.named && section == s.name) return &s;
  size_t dot = section.find('.');
  if (dot != std::string_view::npos) {
    std::string_view kind = section.substr(0, dot), name = section.substr(dot + 1);
    for (const SectionSpec& s : kSections) {
      if (!s.named || kind != s.name) continue;
      if (!valid_name_item(name)) {
        if (why) *why = "invalid name '" + std::string(name) + "' (letters, digits, '-', '_', at most 32)";
        return nullptr;
      }
      if (s.name_choices && !in_choices(s.name_choices, name)) {
        if (why) *why = std::string(s.name) + " name must be one of " + s.name_choices;
        return nullptr;
      }
      if (instance) *instance = std::string(name);
      return &s;
    }
  }
  if (why) {
    *why = "unknown section; expected one of";
    for (const SectionSpec& s : kSections) *why += std::string(" [") + s.name + (s.named ? ".NAME]" : "]");
  }
  return nullptr;
}

const OptionSpec* find_option(const SectionSpec& s, std::string_view key) {
  for (const OptionSpec& o : s.options)
    if (key == o.key) return &o;
  return nullptr;
}

std::vector<std::string> split_list(std::string_view value) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= value.size()) {
    size_t comma = value.find(',', pos);
    std::string_view item = trim(value.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return out;
}

bool parse_cidr(std::string_view s, std::string& address, int& prefix) {
  size_t slash = s.find('/');
  if (slash == std::string_view::npos) return false;
  IpAddr ip;
  if (!ip.parse(s.substr(0, slash))) return false;
  std::string_view p = s.substr(slash + 1);
  if (p.empty() || p.size() > 3 || !std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  int n = std::atoi(std::string(p).c_str());
  if (n > (ip.family == 4 ? 32 : 128)) return false;
  address = std::string(s.substr(0, slash));
  prefix = n;
  return true;
}

bool valid_hostname(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t dot = s.find('.', pos);
    std::string_view label = s.substr(pos, dot == std::string_view::npos ? std::string_view::npos : dot - pos);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label)
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) return false;
    if (dot == std::string_view::npos) break;
    pos = dot + 1;
  }
  return true;
}

bool parse_host_port(std::string_view s, std::string& host, int& port) {
  std::string_view h = s, p;
  if (!s.empty() && s.front() == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos) return false;
    h = s.substr(1, close - 1);
    std::string_view rest = s.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      p = rest.substr(1);
      if (p.empty()) return false;
    }
    IpAddr ip;
    if (!ip.parse(h) || ip.family != 6) return false;
  } else {
    size_t colon = s.find(':');
    if (colon != std::string_view::npos) {
      if (s.find(':', colon + 1) != std::string_view::npos) return false;  // bare IPv6 needs brackets
      h = s.substr(0, colon);
      p = s.substr(colon + 1);
      if (p.empty()) return false;
    }
    IpAddr ip;
    if (!ip.parse(h) && !valid_hostname(h)) return false;
  }
  port = 0;
  if (!p.empty()) {
    if (p.size() > 5 || !std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
    port = std::atoi(std::string(p).c_str());
    if (port < 1 || port > 65535) return false;
  }
  host = std::string(h);
  return true;
}

bool valid_email(std::string_view s) {
  size_t at = s.find('@');
  if (at == 0 || at == std::string_view::npos || s.find('@', at + 1) != std::string_view::npos) return false;
  std::string_view local = s.substr(0, at);
  for (char c : local)
    if (c <= ' ' || c == '<' || c == '>' || c == ',' || c == '"' || c == 0x7f) return false;
  return valid_hostname(s.substr(at + 1));
}

std::optional<std::string> check_value(const OptionSpec& o, std::string_view value) {
  for (char c : value)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return std::string("control characters are not allowed");
  if (value.find('#') != std::string_view::npos)
    return std::string("'#' starts a comment and cannot be part of a value");
  std::string v(value);
  switch (o.type) {
    case V::integer: {
      errno = 0;
      char* end = nullptr;
      long long n = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || errno == ERANGE) return "expected an integer, got '" + v + "'";
      if (double(n) < o.min || double(n) > o.max) return "must be " + range_text(o) + ", got " + v;
      return std::nullopt;
    }
    case V::real: {
      errno = 0;
      char* end = nullptr;
      double d = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(d)) return "expected a number, got '" + v + "'";
      if (d < o.min || d > o.max) return "must be " + range_text(o) + ", got " + v;
      return std::nullopt;
    }
    case V::boolean: {
      std::string l;
      for (char c : v) l += char(std::tolower(static_cast<unsigned char>(c)));
      if (l == "true" || l == "false" || l == "yes" || l == "no" || l == "on" || l == "off" || l == "1" || l == "0")
        return std::nullopt;
      return "expected true or false, got '" + v + "'";
    }
    case V::text:
    case V::secret:
      if (o.max != kNoLimit && (double(v.size()) < o.min || double(v.size()) > o.max))
        return "length must be " + range_text(o) + " characters, got " + std::to_string(v.size());
      return std::nullopt;
    case V::path:
      if (v.empty() || v.front() != '/') return "expected an absolute path, got '" + v + "'";
      if (o.max != kNoLimit && double(v.size()) > o.max) return "path longer than " + range_text(o) + " characters";
      return std::nullopt;
    case V::choice:
      if (!in_choices(o.choices, v)) return "must be one of " + std::string(o.choices) + ", got '" + v + "'";
      return std::nullopt;
    case V::ip: {
      IpAddr ip;
      if (!ip.parse(v)) return "expected an IPv4 or IPv6 address, got '" + v + "'";
      return std::nullopt;
    }
    case V::ip_list: {
      auto items = split_list(v);
      for (const auto& item : items) {
        IpAddr ip;
        if (!ip.parse(item)) return "expected IP addresses, '" + item + "' is not one";
      }
      return check_count(o, items.size());
    }
    case V::cidr_or_dhcp: {
      std::string a;
      int p;
      if (v == "dhcp" || parse_cidr(v, a, p)) return std::nullopt;
      return "expected ADDRESS/PREFIX (e.g. 192.0.2.2/24) or dhcp, got '" + v + "'";
    }
    case V::host: {
      IpAddr ip;
      if (ip.parse(v) || valid_hostname(v)) return std::nullopt;
      return "expected an IP address or DNS name, got '" + v + "'";
    }
    case V::host_port_list: {
      auto items = split_list(v);
      for (const auto& item : items) {
        std::string h;
        int p;
        if (!parse_host_port(item, h, p)) return "expected HOST[:PORT] items, '" + item + "' is not one";
      }
      return check_count(o, items.size());
    }
    case V::name_list: {
      auto items = split_list(v);
      for (const auto& item : items)
        if (!valid_name_item(item)) return "'" + item + "' is not a valid name";
      return check_count(o, items.size());
    }
    case V::email:
      if (!valid_email(v)) return "expected a mail address, got '" + v + "'";
      return std::nullopt;
    case V::email_list: {
      auto items = split_list(v);
      for (const auto& item : items)
        if (!valid_email(item)) return "'" + item + "' is not a mail address";
      return check_count(o, items.size());
    }
    case V::url: {
      size_t sep = v.find("://");
      if (sep == std::string::npos) return "expected SCHEME://HOST[:PORT], got '" + v + "'";
      std::string scheme = v.substr(0, sep);
      if (!in_choices(o.choices, scheme)) return "URL scheme must be one of " + std::string(o.choices) + ", got '" + scheme + "'";
      std::string rest = v.substr(sep + 3);
      if (size_t slash = rest.find('/'); slash != std::string::npos) rest.resize(slash);
      std::string h;
      int p;
      if (rest.empty() || !parse_host_port(rest, h, p)) return "bad host or port in URL '" + v + "'";
      return std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace tg::config
