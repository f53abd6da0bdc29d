// tg-notify: the alarm notification queue from the command line. Sends a
// test alarm to the NOC, raises/clears an alarm by hand, drains the durable
// queue (once or as a service until SIGTERM) and shows what is pending.
// Reads the [box], [alarm.snmp], [alarm.email], [alarm.syslog] and [notify]
// sections of the TrunkGuard config file; other sections are ignored.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "control/alarms/alarm.hpp"
#include "control/notify/queue.hpp"
#include "control/notify/setup.hpp"
#include "dataplane/core/json_text.hpp"

namespace po = boost::program_options;
namespace al = tg::alarm;
using namespace tg::notify;

namespace {

volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

al::WallMs wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const char* kUsage =
    "usage: tg-notify [-c CONFIG] [--queue DB] [--set SECTION.KEY=VALUE]... COMMAND [options]\n"
    "commands:\n"
    "  test  [--severity S] [--detail TEXT]     queue a test notification for every channel\n"
    "  raise --type T --object NAME [--label L] [--detail D] [--action A] [--calls N] [--severity S]\n"
    "                                           queue an alarm raise; prints its alarm id\n"
    "  clear --type T --object NAME --alarm-id ID [--label L] [--reason R]\n"
    "                                           queue the clear of that alarm\n"
    "  drain [--until-empty] [--timeout S]      deliver the queue; without --until-empty run\n"
    "                                           until SIGTERM (exit 1 on timeout with pending)\n"
    "  status [--json]                          pending deliveries per channel\n";

struct Settings {
  std::string config, queue;
  std::vector<std::string> sets;
  std::string command;
  po::variables_map ini;
};

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s + ",") {
    if (c == ',' || c == ' ' || c == '\t') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  return out;
}

// Config keys this tool reads (the daemon's file has more).
const char* kKeys[] = {
    "box.name", "box.state_dir", "notify.queue", "notify.backoff_initial_ms", "notify.backoff_max_ms",
    "alarm.snmp.enabled", "alarm.snmp.version", "alarm.snmp.community", "alarm.snmp.user",
    "alarm.snmp.security_level", "alarm.snmp.auth_protocol", "alarm.snmp.auth_key",
    "alarm.snmp.priv_protocol", "alarm.snmp.priv_key", "alarm.snmp.engine_id", "alarm.snmp.targets",
    "alarm.snmp.notification", "alarm.snmp.inform_timeout_ms", "alarm.snmp.inform_retries",
    "alarm.email.enabled", "alarm.email.smtp_url", "alarm.email.starttls", "alarm.email.user",
    "alarm.email.password", "alarm.email.ca_file", "alarm.email.from", "alarm.email.recipients",
    "alarm.email.rate_limit_per_hour", "alarm.email.group_window_s", "alarm.email.timeout_ms",
    "alarm.syslog.enabled", "alarm.syslog.remote", "alarm.syslog.facility", "alarm.syslog.app_name",
};

bool load_config(Settings& s, std::string& error) {
  po::options_description desc;
  for (const char* k : kKeys) desc.add_options()(k, po::value<std::string>());
  try {
    if (!s.config.empty()) {
      std::ifstream in(s.config);
      if (!in) {
        error = s.config + ": cannot open";
        return false;
      }
      po::store(po::parse_config_file(in, desc, true), s.ini);
    }
    // --set wins over the file: stored first, so store() keeps it
    po::variables_map overrides;
    std::stringstream set_ini;
    for (const std::string& kv : s.sets) {
      size_t eq = kv.find('=');
      size_t dot = kv.rfind('.', eq);
      if (eq == std::string::npos || dot == std::string::npos) {
        error = "--set " + kv + ": want SECTION.KEY=VALUE";
        return false;
      }
      set_ini << "[" << kv.substr(0, dot) << "]\n" << kv.substr(dot + 1) << "\n";
    }
    po::store(po::parse_config_file(set_ini, desc, true), overrides);
    for (auto& [k, v] : overrides) s.ini.erase(k), s.ini.insert({k, v});
  } catch (const std::exception& e) {
    error = (s.config.empty() ? std::string("--set") : s.config) + ": " + e.what();
    return false;
  }
  return true;
}

std::string get(const Settings& s, const char* key, const std::string& dflt = "") {
  auto it = s.ini.find(key);
  return it == s.ini.end() ? dflt : it->second.as<std::string>();
}
bool get_bool(const Settings& s, const char* key, bool dflt) {
  std::string v = get(s, key);
  if (v.empty()) return dflt;
  return v == "true" || v == "yes" || v == "on" || v == "1";
}
int get_int(const Settings& s, const char* key, int dflt) {
  std::string v = get(s, key);
  return v.empty() ? dflt : std::stoi(v);
}

NotifyConfig notify_config(const Settings& s) {
  NotifyConfig c;
  c.box_name = get(s, "box.name", "trunkguard");
  if (get_bool(s, "alarm.snmp.enabled", false)) {
    SnmpOptions base;
    base.version = get(s, "alarm.snmp.version", "v3");
    base.community = get(s, "alarm.snmp.community");
    base.user = get(s, "alarm.snmp.user");
    base.security_level = get(s, "alarm.snmp.security_level", "authPriv");
    base.auth_protocol = get(s, "alarm.snmp.auth_protocol", "SHA-256");
    base.auth_key = get(s, "alarm.snmp.auth_key");
    base.priv_protocol = get(s, "alarm.snmp.priv_protocol", "AES");
    base.priv_key = get(s, "alarm.snmp.priv_key");
    base.engine_id = get(s, "alarm.snmp.engine_id");
    base.inform = get(s, "alarm.snmp.notification", "trap") == "inform";
    base.timeout_ms = get_int(s, "alarm.snmp.inform_timeout_ms", 3000);
    base.retries = get_int(s, "alarm.snmp.inform_retries", 3);
    for (const std::string& t : split_list(get(s, "alarm.snmp.targets"))) {
      SnmpOptions o = base;
      o.target = t;
      c.snmp.push_back(o);
    }
    if (c.snmp.empty()) c.snmp.push_back(base);  // validate() reports "no SNMP target"
  }
  if (get_bool(s, "alarm.email.enabled", false)) {
    SmtpOptions o;
    o.url = get(s, "alarm.email.smtp_url");
    o.starttls = get(s, "alarm.email.starttls", o.url.rfind("smtps://", 0) == 0 ? "none" : "required");
    o.user = get(s, "alarm.email.user");
    o.password = get(s, "alarm.email.password");
    o.ca_file = get(s, "alarm.email.ca_file");
    o.from = get(s, "alarm.email.from");
    o.recipients = split_list(get(s, "alarm.email.recipients"));
    o.rate_limit_per_hour = get_int(s, "alarm.email.rate_limit_per_hour", 30);
    o.group_window_s = get_int(s, "alarm.email.group_window_s", 60);
    o.timeout_ms = get_int(s, "alarm.email.timeout_ms", 15000);
    o.box_name = c.box_name;
    c.email = o;
  }
  if (get_bool(s, "alarm.syslog.enabled", true)) {
    SyslogOptions o;
    o.remote = get(s, "alarm.syslog.remote");
    o.facility = get(s, "alarm.syslog.facility", "local0");
    o.app_name = get(s, "alarm.syslog.app_name", "trunkguard");
    c.syslog = o;
  }
  return c;
}


int print_status(NotifyQueue& q, bool json) {
  auto st = q.status();
  if (json) {
    std::cout << "{\"pending\":" << q.pending() << ",\"channels\":[";
    for (size_t i = 0; i < st.size(); ++i) {
      const auto& c = st[i];
      std::cout << (i ? "," : "") << "{\"channel\":" << tg::json::string(c.channel) << ",\"pending\":" << c.pending
                << ",\"delivered\":" << c.delivered << ",\"oldest_pending_ms\":" << c.oldest_pending_ms
                << ",\"max_attempts\":" << c.max_attempts << ",\"last_error\":" << tg::json::string(c.last_error) << "}";
    }
    std::cout << "]}\n";
  } else {
    if (st.empty()) std::cout << "queue empty\n";
    for (const auto& c : st) {
      std::cout << c.channel << ": " << c.pending << " pending, " << c.delivered << " delivered";
      if (c.pending) std::cout << ", up to " << c.max_attempts << " attempts";
      if (!c.last_error.empty()) std::cout << ", last error: " << c.last_error;
      std::cout << "\n";
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  std::string type, object, label, detail, action, reason, severity;
  uint32_t calls = 0;
  uint64_t alarm_id = 0;
  double timeout_s = 0;
  bool until_empty = false, json = false;

  po::options_description opts("options");
  opts.add_options()("help,h", "this help")("config,c", po::value(&s.config), "TrunkGuard config file")(
      "queue", po::value(&s.queue), "queue database (default [notify] queue, else STATE_DIR/notify.db)")(
      "set", po::value(&s.sets)->composing(), "SECTION.KEY=VALUE override")(
      "type", po::value(&type), "alarm type (uplink_blackhole, trunk_down, ...)")(
      "object", po::value(&object), "managed object name (wan0, carrierA, box)")(
      "label", po::value(&label), "managed object label (Carrier A)")(
      "detail", po::value(&detail), "what was measured")("action", po::value(&action), "what the box did")(
      "calls", po::value(&calls), "calls affected")("severity", po::value(&severity), "critical|major|minor|warning")(
      "alarm-id", po::value(&alarm_id), "alarm to clear")("reason", po::value(&reason), "why it cleared")(
      "until-empty", po::bool_switch(&until_empty), "drain: stop when nothing is pending")(
      "timeout", po::value(&timeout_s), "drain: give up after S seconds")(
      "json", po::bool_switch(&json), "status: JSON")("command", po::value(&s.command), "command");
  po::positional_options_description pos;
  pos.add("command", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(opts).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    std::cerr << "tg-notify: " << e.what() << "\n" << kUsage;
    return 2;
  }
  if (vm.count("help") || s.command.empty()) {
    std::cout << kUsage << opts;
    return vm.count("help") ? 0 : 2;
  }

  std::string error;
  if (!load_config(s, error)) {
    std::cerr << "tg-notify: " << error << "\n";
    return 2;
  }
  if (s.queue.empty()) s.queue = get(s, "notify.queue");
  if (s.queue.empty()) s.queue = get(s, "box.state_dir", "/var/lib/trunkguard") + "/notify.db";

  Backoff backoff;
  backoff.initial_ms = get_int(s, "notify.backoff_initial_ms", 1000);
  backoff.max_ms = get_int(s, "notify.backoff_max_ms", 300000);
  NotifyQueue queue(backoff);
  if (!queue.open(s.queue, error)) {
    std::cerr << "tg-notify: " << error << "\n";
    return 1;
  }
  if (s.command == "status") return print_status(queue, json);

  NotifyConfig nc = notify_config(s);
  Dispatcher disp(queue, wall_ms);
  if (std::string bad = add_senders(disp, nc); !bad.empty()) {
    std::cerr << "tg-notify: " << (s.config.empty() ? "" : s.config + ": ") << bad << "\n";
    return 2;
  }
  if (disp.channels().empty()) {
    std::cerr << "tg-notify: no channel enabled (alarm.snmp, alarm.email, alarm.syslog)\n";
    return 2;
  }

  std::optional<al::Severity> sev;
  if (!severity.empty()) {
    sev = al::severity_from_name(severity);
    if (!sev || *sev == al::Severity::cleared) {
      std::cerr << "tg-notify: --severity " << severity << ": want critical|major|minor|warning|indeterminate\n";
      return 2;
    }
  }

  if (s.command == "test" || s.command == "raise" || s.command == "clear") {
    // Run the alarm manager for this one notice so it reads like the daemon's.
    uint64_t first_id = queue.max_alarm_id() + 1;
    al::ManagerOptions mo;
    mo.first_id = s.command == "clear" ? alarm_id : first_id;
    al::WallMs now = wall_ms();
    std::vector<al::AlarmNotification> out;
    al::AlarmManager am([&] { return now; }, mo, [&](const al::AlarmNotification& n) { out.push_back(n); });
    al::RaiseRequest r;
    if (s.command == "test") {
      r.type = al::AlarmType::notify_test;
      r.object = {al::ObjectKind::box, nc.box_name, ""};
      r.detail = detail.empty() ? "sent by tg-notify on request" : detail;
      r.action = "none needed";
    } else {
      auto t = al::alarm_type_from_name(type);
      if (!t || object.empty()) {
        std::cerr << "tg-notify: " << s.command << " needs --type (a known alarm type) and --object\n";
        return 2;
      }
      r.type = *t;
      r.object = {al::alarm_type_info(*t).object_kind, object, label};
      r.detail = detail;
      r.action = action;
      r.calls_affected = calls;
    }
    r.severity = sev;
    if (s.command == "clear") {
      if (!alarm_id) {
        std::cerr << "tg-notify: clear needs --alarm-id\n";
        return 2;
      }
      // The raise happened in another process: restore it, then clear it.
      al::Alarm a;
      a.id = alarm_id;
      a.type = r.type;
      a.object = r.object;
      a.severity = sev.value_or(al::alarm_type_info(r.type).default_severity);
      a.raised_ms = a.changed_ms = now;
      am.restore_active({a});
      am.clear(r.type, r.object, reason);
    } else {
      am.raise(r);
    }
    for (const auto& n : out) {
      if (!disp.enqueue(n, error)) {
        std::cerr << "tg-notify: cannot queue: " << error << "\n";
        return 1;
      }
      std::cout << n.alarm.id << "\n";
    }
    return 0;
  }

  if (s.command != "drain") {
    std::cerr << "tg-notify: unknown command " << s.command << "\n" << kUsage;
    return 2;
  }
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  auto start = std::chrono::steady_clock::now();
  std::string last_error;
  while (!g_stop) {
    Dispatcher::PassResult r = disp.run_once();
    for (const auto& e : r.errors)
      if (e != last_error) {  // say it once per change, not on every retry
        std::cerr << "tg-notify: " << e << "\n";
        last_error = e;
      }
    if (r.delivered) std::cerr << "tg-notify: delivered " << r.delivered << "\n";
    size_t pending = queue.pending();
    if (until_empty && pending == 0) return 0;
    double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (timeout_s > 0 && took >= timeout_s) {
      std::cerr << "tg-notify: timeout with " << pending << " pending\n";
      return 1;
    }
    // Sleep until the next retry is due (at most 200 ms: new notices may arrive).
    al::WallMs wait = 200;
    if (auto next = queue.next_due()) wait = std::clamp<al::WallMs>(*next - wall_ms(), 10, 200);
    if (r.delivered) wait = 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(wait));
  }
  return 0;
}
