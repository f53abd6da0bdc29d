#include "control/store/store.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <sstream>

#include "dataplane/core/json_text.hpp"

namespace tg::store {

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time_ms INTEGER NOT NULL,
  kind TEXT NOT NULL,
  object TEXT NOT NULL,
  text TEXT NOT NULL,
  from_uplink TEXT NOT NULL DEFAULT '',
  to_uplink TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',
  detect_ms REAL NOT NULL DEFAULT -1,
  switch_ms REAL NOT NULL DEFAULT -1,
  total_ms REAL NOT NULL DEFAULT -1,
  calls_affected INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS events_time ON events(time_ms);
CREATE TABLE IF NOT EXISTS alarms (
  row INTEGER PRIMARY KEY AUTOINCREMENT,
  time_ms INTEGER NOT NULL,
  alarm_id INTEGER NOT NULL,
  transition INTEGER NOT NULL,
  type TEXT NOT NULL,
  object_kind INTEGER NOT NULL,
  object_name TEXT NOT NULL,
  object_label TEXT NOT NULL,
  severity INTEGER NOT NULL,
  alarm_severity INTEGER NOT NULL,
  raised_ms INTEGER NOT NULL,
  text TEXT NOT NULL,
  calls_affected INTEGER NOT NULL,
  fault INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS alarms_id ON alarms(alarm_id);
CREATE INDEX IF NOT EXISTS alarms_time ON alarms(time_ms);
CREATE TABLE IF NOT EXISTS calls (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  call_id TEXT NOT NULL,
  from_uri TEXT NOT NULL,
  to_uri TEXT NOT NULL,
  trunk TEXT NOT NULL,
  uplink TEXT NOT NULL,
  start_ms INTEGER NOT NULL,
  answer_ms INTEGER NOT NULL,
  end_ms INTEGER NOT NULL,
  final_code INTEGER NOT NULL,
  end_reason TEXT NOT NULL,
  pdd_ms REAL NOT NULL,
  out_mos REAL NOT NULL, out_loss_pct REAL NOT NULL, out_jitter_ms REAL NOT NULL, out_packets INTEGER NOT NULL,
  in_mos REAL NOT NULL, in_loss_pct REAL NOT NULL, in_jitter_ms REAL NOT NULL, in_packets INTEGER NOT NULL,
  exported INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS calls_start ON calls(start_ms);
CREATE INDEX IF NOT EXISTS calls_exported ON calls(exported);
CREATE TABLE IF NOT EXISTS faults (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  start_ms INTEGER NOT NULL,
  end_ms INTEGER,
  report TEXT NOT NULL DEFAULT ''
);
)sql";

// Columns added after the first release: a store made before gets them on
// open (ALTER TABLE), old rows read the defaults.
struct AddedColumn {
  const char* name;
  const char* decl;
};
constexpr AddedColumn kCallsAdded[] = {
    {"direction", "TEXT NOT NULL DEFAULT ''"},      {"state", "TEXT NOT NULL DEFAULT ''"},
    {"srd_ms", "REAL NOT NULL DEFAULT -1"},         {"hangup", "TEXT NOT NULL DEFAULT ''"},
    {"reason_cause", "INTEGER NOT NULL DEFAULT -1"}, {"transfer_kind", "TEXT NOT NULL DEFAULT ''"},
    {"transfer_result", "TEXT NOT NULL DEFAULT ''"}, {"transfer_code", "INTEGER NOT NULL DEFAULT 0"},
    {"transfer_target", "TEXT NOT NULL DEFAULT ''"}, {"verdict", "TEXT NOT NULL DEFAULT ''"},
    {"diagnosis", "TEXT NOT NULL DEFAULT ''"},      {"raw", "TEXT NOT NULL DEFAULT ''"},
    // Record version 2: every uplink used, the dialog's end, all RTP and DTMF.
    {"uplinks", "TEXT NOT NULL DEFAULT ''"},         {"uplink_switches", "INTEGER NOT NULL DEFAULT 0"},
    {"bye_code", "INTEGER NOT NULL DEFAULT 0"},      {"ack_ms", "INTEGER NOT NULL DEFAULT 0"},
    {"ok_retransmissions", "INTEGER NOT NULL DEFAULT 0"},
    {"out_rtp_packets", "INTEGER NOT NULL DEFAULT 0"}, {"out_dtmf_packets", "INTEGER NOT NULL DEFAULT 0"},
    {"out_dtmf_events", "INTEGER NOT NULL DEFAULT 0"}, {"in_rtp_packets", "INTEGER NOT NULL DEFAULT 0"},
    {"in_dtmf_packets", "INTEGER NOT NULL DEFAULT 0"}, {"in_dtmf_events", "INTEGER NOT NULL DEFAULT 0"},
};

constexpr const char* kCallColumns =
    "id, call_id, from_uri, to_uri, trunk, uplink, start_ms, answer_ms, end_ms, final_code, end_reason, "
    "pdd_ms, out_mos, out_loss_pct, out_jitter_ms, out_packets, in_mos, in_loss_pct, in_jitter_ms, "
    "in_packets, exported, direction, state, srd_ms, hangup, reason_cause, transfer_kind, transfer_result, "
    "transfer_code, transfer_target, verdict, diagnosis, raw, uplinks, uplink_switches, bye_code, ack_ms, "
    "ok_retransmissions, out_rtp_packets, out_dtmf_packets, out_dtmf_events, in_rtp_packets, in_dtmf_packets, "
    "in_dtmf_events";
constexpr const char* kEventColumns =
    "id, time_ms, kind, object, text, from_uplink, to_uplink, reason, detect_ms, switch_ms, total_ms, "
    "calls_affected";

CallRecord read_call(const sql::Stmt& s) {
  CallRecord c;
  c.id = s.i64(0);
  c.call_id = s.text(1);
  c.from = s.text(2);
  c.to = s.text(3);
  c.trunk = s.text(4);
  c.uplink = s.text(5);
  c.start_ms = s.i64(6);
  c.answer_ms = s.i64(7);
  c.end_ms = s.i64(8);
  c.final_code = int(s.i64(9));
  c.end_reason = s.text(10);
  c.pdd_ms = s.f64(11);
  c.outbound = {s.f64(12), s.f64(13), s.f64(14), uint64_t(s.i64(15))};
  c.inbound = {s.f64(16), s.f64(17), s.f64(18), uint64_t(s.i64(19))};
  c.exported = s.i64(20) != 0;
  c.direction = s.text(21);
  c.state = s.text(22);
  c.srd_ms = s.f64(23);
  c.hangup = s.text(24);
  c.reason_cause = int(s.i64(25));
  c.transfer_kind = s.text(26);
  c.transfer_result = s.text(27);
  c.transfer_code = int(s.i64(28));
  c.transfer_target = s.text(29);
  c.verdict = s.text(30);
  c.diagnosis = s.text(31);
  c.raw = s.text(32);
  c.uplinks = s.text(33);
  c.uplink_switches = int(s.i64(34));
  c.bye_code = int(s.i64(35));
  c.ack_ms = s.i64(36);
  c.ok_retransmissions = int(s.i64(37));
  c.outbound.rtp_packets = uint64_t(s.i64(38));
  c.outbound.dtmf_packets = uint64_t(s.i64(39));
  c.outbound.dtmf_events = uint64_t(s.i64(40));
  c.inbound.rtp_packets = uint64_t(s.i64(41));
  c.inbound.dtmf_packets = uint64_t(s.i64(42));
  c.inbound.dtmf_events = uint64_t(s.i64(43));
  return c;
}

Event read_event(const sql::Stmt& s) {
  Event e;
  e.id = s.i64(0);
  e.time_ms = s.i64(1);
  e.kind = s.text(2);
  e.object = s.text(3);
  e.text = s.text(4);
  e.from_uplink = s.text(5);
  e.to_uplink = s.text(6);
  e.reason = s.text(7);
  e.detect_ms = s.f64(8);
  e.switch_ms = s.f64(9);
  e.total_ms = s.f64(10);
  e.calls_affected = uint32_t(s.i64(11));
  return e;
}

// Numbers: fixed, no exponent, trailing zeros trimmed; -1 ("not measured") stays -1.
std::string num(double v) {
  if (!std::isfinite(v)) return "null";
  char b[64];
  snprintf(b, sizeof b, "%.3f", v);
  std::string s = b;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s == "-0" ? "0" : s;
}

std::string iso(WallMs ms) { return ms ? alarm::text::iso8601(ms) : std::string(); }

// "wan0@1765012345678 wan1@1765012349012" -> [{"uplink":"wan0","since":"<iso>","since_ms":...},...]
std::string uplinks_json(const std::string& text) {
  std::string out = "[";
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find(' ', pos);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(pos, end - pos);
    pos = end + 1;
    const size_t at = item.rfind('@');
    if (at == std::string::npos) continue;
    const WallMs ms = std::strtoll(item.c_str() + at + 1, nullptr, 10);
    out += std::string(out.size() > 1 ? "," : "") + "{\"uplink\":" + json::string(item.substr(0, at)) +
           ",\"since\":" + json::string(iso(ms)) + ",\"since_ms\":" + std::to_string(ms) + "}";
  }
  return out + "]";
}

// RFC 4180: quote fields holding a comma, quote or line break.
std::string csv(const std::string& v) {
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string o = "\"";
  for (char c : v) {
    if (c == '"') o += '"';
    o += c;
  }
  return o + "\"";
}

std::string ms_text(double ms) { return ms < 0 ? std::string("?") : num(std::round(ms)) + " ms"; }

}  // namespace

double CallRecord::worst_mos() const {
  double a = outbound.mos, b = inbound.mos;
  if (a <= 0) return b;
  if (b <= 0) return a;
  return std::min(a, b);
}

bool CallRecord::failed() const {
  if (answer_ms) return end_reason == "fault";  // dropped by the fault itself
  if (state == "busy" || state == "cancelled") return false;  // 503 + Retry-After is congestion
  switch (final_code) {
    case 486: case 487: case 600: case 603: return false;  // busy, cancelled, declined
    default: return final_code == 0 || final_code >= 400;
  }
}

bool Store::open(const StoreOptions& o, std::string& error) {
  opt_ = o;
  if (!db_.open(o.path, error, /*durable=*/false)) return false;
  // Only takes effect on a new file: lets enforce_bounds() give pages back.
  if (!db_.exec("PRAGMA auto_vacuum=INCREMENTAL;", error) || !db_.exec(kSchema, error) || !add_columns(error)) {
    error = o.path + ": " + error;
    db_.close();
    return false;
  }
  enforce_bounds();
  return true;
}

bool Store::add_columns(std::string& error) {
  std::set<std::string> have;
  sql::Stmt s = db_.prepare("SELECT name FROM pragma_table_info('calls')", error);
  if (!s) return false;
  while (s.step() == SQLITE_ROW) have.insert(s.text(0));
  for (const AddedColumn& c : kCallsAdded)
    if (!have.count(c.name) &&
        !db_.exec(std::string("ALTER TABLE calls ADD COLUMN ") + c.name + " " + c.decl, error))
      return false;
  return db_.exec("CREATE INDEX IF NOT EXISTS calls_call_id ON calls(call_id);", error);
}

void Store::after_insert() {
  if (++inserts_ >= std::max(1, opt_.trim_every)) {
    inserts_ = 0;
    enforce_bounds();
  }
}

bool Store::record_event(Event e) {
  std::string error;
  sql::Stmt s = db_.prepare(
      "INSERT INTO events (time_ms, kind, object, text, from_uplink, to_uplink, reason, detect_ms, switch_ms, "
      "total_ms, calls_affected) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
      error);
  if (!s) {
    last_error_ = error;
    return false;
  }
  s.bind(1, int64_t(e.time_ms)).bind(2, e.kind).bind(3, e.object).bind(4, e.text).bind(5, e.from_uplink);
  s.bind(6, e.to_uplink).bind(7, e.reason).bind(8, e.detect_ms).bind(9, e.switch_ms).bind(10, e.total_ms);
  s.bind(11, int64_t(e.calls_affected));
  if (!s.run()) {
    last_error_ = db_.errmsg();
    return false;
  }
  after_insert();
  return true;
}

std::string failover_text(const FailoverRecord& f) {
  auto named = [](const std::string& n, const std::string& l) { return l.empty() ? n : n + " (" + l + ")"; };
  std::string t = f.from_uplink.empty() ? "traffic started on " + named(f.to_uplink, f.to_label)
                  : f.to_uplink.empty() ? "traffic stopped: no uplink left after " + named(f.from_uplink, f.from_label)
                                        : "traffic switched from " + named(f.from_uplink, f.from_label) + " to " +
                                              named(f.to_uplink, f.to_label);
  if (f.total_ms >= 0 && !f.to_uplink.empty()) t += " in " + ms_text(f.total_ms);
  if (!f.reason.empty() || f.detect_ms >= 0 || f.switch_ms >= 0) {
    t += " (" + (f.reason.empty() ? std::string("fault") : f.reason);
    if (f.detect_ms >= 0) t += "; detection " + ms_text(f.detect_ms);
    if (f.switch_ms >= 0) t += ", switch " + ms_text(f.switch_ms);
    t += ")";
  }
  if (f.calls_affected) t += "; " + alarm::text::calls_affected(f.calls_affected);
  return t;
}

bool Store::record_failover(const FailoverRecord& f) {
  Event e;
  e.time_ms = f.time_ms;
  e.kind = "failover";
  e.object = f.from_uplink.empty() ? f.to_uplink : f.from_uplink;
  e.from_uplink = f.from_uplink;
  e.to_uplink = f.to_uplink;
  e.reason = f.reason;
  e.detect_ms = f.detect_ms;
  e.switch_ms = f.switch_ms;
  e.total_ms = f.total_ms;
  e.calls_affected = f.calls_affected;
  e.text = failover_text(f);
  return record_event(std::move(e));
}

bool Store::record_call(const CallRecord& c) {
  std::string error;
  sql::Stmt s = db_.prepare(
      "INSERT INTO calls (call_id, from_uri, to_uri, trunk, uplink, start_ms, answer_ms, end_ms, final_code, "
      "end_reason, pdd_ms, out_mos, out_loss_pct, out_jitter_ms, out_packets, in_mos, in_loss_pct, "
      "in_jitter_ms, in_packets, exported, direction, state, srd_ms, hangup, reason_cause, transfer_kind, "
      "transfer_result, transfer_code, transfer_target, verdict, diagnosis, raw, uplinks, uplink_switches, "
      "bye_code, ack_ms, ok_retransmissions, out_rtp_packets, out_dtmf_packets, out_dtmf_events, in_rtp_packets, "
      "in_dtmf_packets, in_dtmf_events) "
      "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
      error);
  if (!s) {
    last_error_ = error;
    return false;
  }
  s.bind(1, c.call_id).bind(2, c.from).bind(3, c.to).bind(4, c.trunk).bind(5, c.uplink);
  s.bind(6, int64_t(c.start_ms)).bind(7, int64_t(c.answer_ms)).bind(8, int64_t(c.end_ms));
  s.bind(9, int64_t(c.final_code)).bind(10, c.end_reason).bind(11, c.pdd_ms);
  s.bind(12, c.outbound.mos).bind(13, c.outbound.loss_pct).bind(14, c.outbound.jitter_ms);
  s.bind(15, int64_t(c.outbound.packets));
  s.bind(16, c.inbound.mos).bind(17, c.inbound.loss_pct).bind(18, c.inbound.jitter_ms);
  s.bind(19, int64_t(c.inbound.packets)).bind(20, int64_t(c.exported));
  s.bind(21, c.direction).bind(22, c.state).bind(23, c.srd_ms).bind(24, c.hangup);
  s.bind(25, int64_t(c.reason_cause)).bind(26, c.transfer_kind).bind(27, c.transfer_result);
  s.bind(28, int64_t(c.transfer_code)).bind(29, c.transfer_target).bind(30, c.verdict).bind(31, c.diagnosis);
  s.bind(32, c.raw).bind(33, c.uplinks).bind(34, int64_t(c.uplink_switches)).bind(35, int64_t(c.bye_code));
  s.bind(36, int64_t(c.ack_ms)).bind(37, int64_t(c.ok_retransmissions));
  s.bind(38, int64_t(c.outbound.rtp_packets)).bind(39, int64_t(c.outbound.dtmf_packets));
  s.bind(40, int64_t(c.outbound.dtmf_events)).bind(41, int64_t(c.inbound.rtp_packets));
  s.bind(42, int64_t(c.inbound.dtmf_packets)).bind(43, int64_t(c.inbound.dtmf_events));
  if (!s.run()) {
    last_error_ = db_.errmsg();
    return false;
  }
  after_insert();
  return true;
}

bool Store::fault_alarm(const alarm::AlarmNotification& n) const {
  const alarm::Alarm& a = n.alarm;
  bool kind = a.object.kind != alarm::ObjectKind::box || a.type == alarm::AlarmType::all_uplinks_down;
  bool severe = a.severity == alarm::Severity::critical || a.severity == alarm::Severity::major;
  return kind && severe;
}

std::optional<FaultReport> Store::record_alarm(const alarm::AlarmNotification& n) {
  const alarm::Alarm& a = n.alarm;
  WallMs t = a.cleared_ms ? a.cleared_ms : a.changed_ms;
  std::string error;
  sql::Stmt s = db_.prepare(
      "INSERT INTO alarms (time_ms, alarm_id, transition, type, object_kind, object_name, object_label, "
      "severity, alarm_severity, raised_ms, text, calls_affected, fault) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
      error);
  if (!s) {
    last_error_ = error;
    return std::nullopt;
  }
  bool fault = fault_alarm(n);
  s.bind(1, int64_t(t)).bind(2, int64_t(a.id)).bind(3, int64_t(n.transition));
  s.bind(4, std::string_view(a.info().name)).bind(5, int64_t(a.object.kind)).bind(6, a.object.name);
  s.bind(7, a.object.label).bind(8, int64_t(n.severity())).bind(9, int64_t(a.severity));
  s.bind(10, int64_t(a.raised_ms)).bind(11, n.message()).bind(12, int64_t(a.calls_affected));
  s.bind(13, int64_t(fault));
  if (!s.run()) {
    last_error_ = db_.errmsg();
    return std::nullopt;
  }
  after_insert();

  // Fault episodes: opened by the first active fault alarm, closed when none is left.
  auto open = open_fault_since();
  if (!open && fault && n.transition != alarm::Transition::cleared) {
    sql::Stmt f = db_.prepare("INSERT INTO faults (start_ms) VALUES (?)", error);
    if (f) f.bind(1, int64_t(a.raised_ms ? a.raised_ms : t)).run();
    return std::nullopt;
  }
  if (open) {
    sql::Stmt c = db_.prepare(
        "SELECT COUNT(*) FROM alarms a WHERE a.row = (SELECT MAX(row) FROM alarms b WHERE b.alarm_id = a.alarm_id) "
        "AND a.transition != 3 AND a.fault = 1",
        error);
    if (c && c.step() == SQLITE_ROW && c.i64(0) == 0) return close_fault(t);
  }
  return std::nullopt;
}

std::optional<WallMs> Store::open_fault_since() {
  std::string error;
  sql::Stmt s = db_.prepare("SELECT start_ms FROM faults WHERE end_ms IS NULL ORDER BY id DESC LIMIT 1", error);
  if (s && s.step() == SQLITE_ROW) return s.i64(0);
  return std::nullopt;
}

std::optional<FaultReport> Store::close_fault(WallMs end_ms) {
  std::string error;
  sql::Stmt s = db_.prepare("SELECT id, start_ms FROM faults WHERE end_ms IS NULL ORDER BY id DESC LIMIT 1", error);
  if (!s || s.step() != SQLITE_ROW) return std::nullopt;
  int64_t id = s.i64(0);
  FaultReport r = build_fault_report(s.i64(1), end_ms);
  r.id = id;
  sql::Stmt u = db_.prepare("UPDATE faults SET end_ms = ?, report = ? WHERE id = ?", error);
  if (!u || !u.bind(1, int64_t(end_ms)).bind(2, to_json(r)).bind(3, id).run()) {
    last_error_ = error.empty() ? db_.errmsg() : error;
  }
  return r;
}

FaultReport Store::build_fault_report(WallMs start, WallMs end) {
  FaultReport r;
  r.start_ms = start;
  r.end_ms = end;
  std::string error;
  std::set<std::string> uplinks, trunks;
  std::vector<std::string> uplink_order, trunk_order;
  auto add = [](std::set<std::string>& set, std::vector<std::string>& order, const std::string& v) {
    if (!v.empty() && set.insert(v).second) order.push_back(v);
  };

  sql::Stmt a = db_.prepare(
      "SELECT object_kind, object_name, transition, text, fault FROM alarms "
      "WHERE time_ms >= ? AND time_ms <= ? ORDER BY row",
      error);
  if (a) {
    a.bind(1, int64_t(start)).bind(2, int64_t(end));
    while (a.step() == SQLITE_ROW) {
      auto kind = alarm::ObjectKind(a.i64(0));
      bool fault = a.i64(4) != 0;
      if (fault && kind == alarm::ObjectKind::uplink) add(uplinks, uplink_order, a.text(1));
      if (fault && kind == alarm::ObjectKind::trunk) add(trunks, trunk_order, a.text(1));
      if (alarm::Transition(a.i64(2)) != alarm::Transition::cleared) r.alarms.push_back(a.text(3));
    }
  }

  uint32_t failover_calls = 0;
  sql::Stmt e = db_.prepare(std::string("SELECT ") + kEventColumns +
                                " FROM events WHERE kind = 'failover' AND time_ms >= ? AND time_ms <= ? ORDER BY id",
                            error);
  if (e) {
    // The switch is recorded as it happens, the alarm a moment later (after
    // the daemon reads the event ring): look back a little for it.
    constexpr int64_t kSwitchLeadMs = 2000;
    e.bind(1, int64_t(start) - kSwitchLeadMs).bind(2, int64_t(end));
    while (e.step() == SQLITE_ROW) {
      Event ev = read_event(e);
      add(uplinks, uplink_order, ev.from_uplink);
      failover_calls = std::max(failover_calls, ev.calls_affected);
      r.actions.push_back(ev.text);
      r.failovers.push_back(std::move(ev));
    }
  }
  r.uplinks = uplink_order;
  r.trunks = trunk_order;

  // Calls up at any moment of the fault; failed ones among those it started.
  sql::Stmt c = db_.prepare(std::string("SELECT ") + kCallColumns +
                                " FROM calls WHERE start_ms <= ? AND (end_ms = 0 OR end_ms >= ?)",
                            error);
  uint32_t overlapping = 0;
  if (c) {
    c.bind(1, int64_t(end)).bind(2, int64_t(start));
    while (c.step() == SQLITE_ROW) {
      CallRecord call = read_call(c);
      bool was_up = call.answer_ms && call.answer_ms <= end;
      if (was_up) ++overlapping;
      if (call.start_ms >= start && call.failed()) ++r.calls_failed;
      double mos = call.worst_mos();
      if (was_up && mos > 0 && (r.worst_mos == 0 || mos < r.worst_mos)) {
        r.worst_mos = mos;
        r.worst_mos_call = call.call_id;
      }
    }
  }
  r.calls_affected = std::max(overlapping, failover_calls);
  return r;
}

std::vector<Event> Store::events(WallMs since, WallMs until, size_t limit) {
  std::vector<Event> v;
  std::string error;
  sql::Stmt s = db_.prepare(std::string("SELECT ") + kEventColumns +
                                " FROM events WHERE time_ms >= ? AND time_ms < ? ORDER BY id LIMIT ?",
                            error);
  if (!s) return v;
  s.bind(1, int64_t(since)).bind(2, int64_t(until)).bind(3, int64_t(limit));
  while (s.step() == SQLITE_ROW) v.push_back(read_event(s));
  return v;
}

std::vector<CallRecord> Store::calls(WallMs since, WallMs until, size_t limit) {
  std::vector<CallRecord> v;
  std::string error;
  sql::Stmt s = db_.prepare(std::string("SELECT ") + kCallColumns +
                                " FROM calls WHERE start_ms >= ? AND start_ms < ? ORDER BY id LIMIT ?",
                            error);
  if (!s) return v;
  s.bind(1, int64_t(since)).bind(2, int64_t(until)).bind(3, int64_t(limit));
  while (s.step() == SQLITE_ROW) v.push_back(read_call(s));
  return v;
}

std::vector<CallRecord> Store::calls_by_id(const std::string& call_id, size_t limit) {
  std::vector<CallRecord> v;
  std::string error;
  sql::Stmt s = db_.prepare(std::string("SELECT ") + kCallColumns +
                                " FROM (SELECT * FROM calls WHERE call_id = ? ORDER BY id DESC LIMIT ?) ORDER BY id",
                            error);
  if (!s) return v;
  s.bind(1, call_id).bind(2, int64_t(limit));
  while (s.step() == SQLITE_ROW) v.push_back(read_call(s));
  return v;
}

std::vector<AlarmRow> Store::alarm_history(size_t limit) {
  std::vector<AlarmRow> v;
  std::string error;
  sql::Stmt s = db_.prepare(
      "SELECT row, time_ms, alarm_id, transition, type, object_kind, object_name, object_label, severity, text, "
      "calls_affected FROM (SELECT * FROM alarms ORDER BY row DESC LIMIT ?) ORDER BY row",
      error);
  if (!s) return v;
  s.bind(1, int64_t(limit));
  while (s.step() == SQLITE_ROW) {
    AlarmRow r;
    r.row = s.i64(0);
    r.time_ms = s.i64(1);
    r.alarm_id = uint64_t(s.i64(2));
    r.transition = alarm::Transition(s.i64(3));
    r.type = alarm::alarm_type_from_name(s.text(4)).value_or(alarm::AlarmType::alarm_storm);
    r.object_kind = alarm::ObjectKind(s.i64(5));
    r.object_name = s.text(6);
    r.object_label = s.text(7);
    r.severity = alarm::Severity(s.i64(8));
    r.text = s.text(9);
    r.calls_affected = uint32_t(s.i64(10));
    v.push_back(std::move(r));
  }
  return v;
}

std::vector<alarm::Alarm> Store::active_alarms() {
  std::vector<alarm::Alarm> v;
  std::string error;
  sql::Stmt s = db_.prepare(
      "SELECT alarm_id, type, object_kind, object_name, object_label, alarm_severity, text, calls_affected, "
      "raised_ms, time_ms FROM alarms a WHERE a.row = (SELECT MAX(row) FROM alarms b WHERE b.alarm_id = a.alarm_id) "
      "AND a.transition != 3 ORDER BY alarm_id",
      error);
  if (!s) return v;
  while (s.step() == SQLITE_ROW) {
    auto type = alarm::alarm_type_from_name(s.text(1));
    if (!type) continue;
    alarm::Alarm a;
    a.id = uint64_t(s.i64(0));
    a.type = *type;
    a.object = {alarm::ObjectKind(s.i64(2)), s.text(3), s.text(4)};
    a.severity = alarm::Severity(s.i64(5));
    a.text = s.text(6);
    a.calls_affected = uint32_t(s.i64(7));
    a.raised_ms = s.i64(8);
    a.changed_ms = s.i64(9);
    a.raise_count = 1;
    v.push_back(std::move(a));
  }
  return v;
}

uint64_t Store::next_alarm_id() {
  std::string error;
  sql::Stmt s = db_.prepare("SELECT COALESCE(MAX(alarm_id), 0) + 1 FROM alarms", error);
  return s && s.step() == SQLITE_ROW ? uint64_t(s.i64(0)) : 1;
}

std::vector<FaultReport> Store::fault_reports(size_t limit) {
  // Reports are rebuilt from the rows (the JSON column is for export/audit);
  // rows trimmed since then make older reports thinner, never wrong in kind.
  std::vector<std::pair<int64_t, std::pair<WallMs, WallMs>>> spans;
  std::string error;
  sql::Stmt s = db_.prepare(
      "SELECT id, start_ms, end_ms FROM (SELECT * FROM faults WHERE end_ms IS NOT NULL ORDER BY id DESC LIMIT ?) "
      "ORDER BY id",
      error);
  if (!s) return {};
  s.bind(1, int64_t(limit));
  while (s.step() == SQLITE_ROW) spans.push_back({s.i64(0), {s.i64(1), s.i64(2)}});
  std::vector<FaultReport> v;
  for (auto& [id, span] : spans) {
    FaultReport r = build_fault_report(span.first, span.second);
    r.id = id;
    v.push_back(std::move(r));
  }
  return v;
}

int64_t Store::export_calls(std::ostream& out, Format f, const ExportQuery& q) {
  std::string error;
  sql::Stmt s = db_.prepare(std::string("SELECT ") + kCallColumns +
                                " FROM calls WHERE start_ms >= ? AND start_ms < ? AND (? = 0 OR exported = 0) ORDER BY id LIMIT ?",
                            error);
  if (!s) {
    last_error_ = error;
    return -1;
  }
  s.bind(1, int64_t(q.since_ms)).bind(2, int64_t(q.until_ms)).bind(3, int64_t(q.only_unexported));
  s.bind(4, q.limit);
  std::vector<int64_t> ids;
  if (f == Format::csv)
    out << "id,call_id,from,to,trunk,uplink,direction,start,answer,end,duration_s,final_code,state,end_reason,"
           "hangup,pdd_ms,srd_ms,out_mos,out_loss_pct,out_jitter_ms,out_packets,in_mos,in_loss_pct,in_jitter_ms,"
           "in_packets,transfer_kind,transfer_result,transfer_code,transfer_target,verdict,diagnosis,uplinks,"
           "uplink_switches,bye_code,ack,ok_retransmissions,out_rtp_packets,out_dtmf_packets,out_dtmf_events,"
           "in_rtp_packets,in_dtmf_packets,in_dtmf_events\r\n";
  else
    out << "[";
  while (s.step() == SQLITE_ROW) {
    CallRecord c = read_call(s);
    double dur = c.answer_ms && c.end_ms >= c.answer_ms ? double(c.end_ms - c.answer_ms) / 1000.0 : 0;
    if (f == Format::csv) {
      out << c.id << ',' << csv(c.call_id) << ',' << csv(c.from) << ',' << csv(c.to) << ',' << csv(c.trunk) << ','
          << csv(c.uplink) << ',' << csv(c.direction) << ',' << iso(c.start_ms) << ',' << iso(c.answer_ms) << ','
          << iso(c.end_ms) << ',' << num(dur) << ',' << c.final_code << ',' << csv(c.state) << ','
          << csv(c.end_reason) << ',' << csv(c.hangup) << ',' << num(c.pdd_ms) << ',' << num(c.srd_ms) << ','
          << num(c.outbound.mos) << ',' << num(c.outbound.loss_pct) << ',' << num(c.outbound.jitter_ms) << ','
          << c.outbound.packets << ',' << num(c.inbound.mos) << ',' << num(c.inbound.loss_pct) << ','
          << num(c.inbound.jitter_ms) << ',' << c.inbound.packets << ',' << csv(c.transfer_kind) << ','
          << csv(c.transfer_result) << ',' << c.transfer_code << ',' << csv(c.transfer_target) << ','
          << csv(c.verdict) << ',' << csv(c.diagnosis) << ',' << csv(c.uplinks) << ',' << c.uplink_switches << ','
          << c.bye_code << ',' << iso(c.ack_ms) << ',' << c.ok_retransmissions << ',' << c.outbound.rtp_packets << ','
          << c.outbound.dtmf_packets << ',' << c.outbound.dtmf_events << ',' << c.inbound.rtp_packets << ','
          << c.inbound.dtmf_packets << ',' << c.inbound.dtmf_events << "\r\n";
    } else {
      auto dir = [](const StreamQuality& q) {
        return "{\"mos\":" + num(q.mos) + ",\"loss_pct\":" + num(q.loss_pct) + ",\"jitter_ms\":" +
               num(q.jitter_ms) + ",\"packets\":" + std::to_string(q.packets) +
               ",\"rtp_packets\":" + std::to_string(q.rtp_packets) + ",\"dtmf_packets\":" +
               std::to_string(q.dtmf_packets) + ",\"dtmf_events\":" + std::to_string(q.dtmf_events) + "}";
      };
      out << (ids.empty() ? "\n" : ",\n") << "{\"id\":" << c.id << ",\"call_id\":" << json::string(c.call_id)
          << ",\"from\":" << json::string(c.from) << ",\"to\":" << json::string(c.to) << ",\"trunk\":" << json::string(c.trunk)
          << ",\"uplink\":" << json::string(c.uplink) << ",\"start\":" << json::string(iso(c.start_ms))
          << ",\"answer\":" << json::string(iso(c.answer_ms)) << ",\"end\":" << json::string(iso(c.end_ms))
          << ",\"direction\":" << json::string(c.direction) << ",\"duration_s\":" << num(dur)
          << ",\"final_code\":" << c.final_code << ",\"state\":" << json::string(c.state)
          << ",\"end_reason\":" << json::string(c.end_reason) << ",\"hangup\":" << json::string(c.hangup)
          << ",\"pdd_ms\":" << num(c.pdd_ms) << ",\"srd_ms\":" << num(c.srd_ms)
          << ",\"reason_cause\":" << c.reason_cause << ",\"outbound\":" << dir(c.outbound)
          << ",\"inbound\":" << dir(c.inbound) << ",\"transfer\":{\"kind\":" << json::string(c.transfer_kind)
          << ",\"result\":" << json::string(c.transfer_result) << ",\"code\":" << c.transfer_code
          << ",\"target\":" << json::string(c.transfer_target) << "},\"verdict\":" << json::string(c.verdict)
          << ",\"diagnosis\":" << json::string(c.diagnosis) << ",\"uplinks\":" << uplinks_json(c.uplinks)
          << ",\"uplink_switches\":" << c.uplink_switches << ",\"bye_code\":" << c.bye_code
          << ",\"ack\":" << json::string(iso(c.ack_ms)) << ",\"ok_retransmissions\":" << c.ok_retransmissions
          << ",\"start_ms\":" << c.start_ms << ",\"answer_ms\":" << c.answer_ms << ",\"end_ms\":" << c.end_ms << "}";
    }
    ids.push_back(c.id);
  }
  if (f == Format::json) out << (ids.empty() ? "]\n" : "\n]\n");
  out.flush();
  if (!out) {
    last_error_ = "export: write failed";
    return -1;
  }
  if (q.mark_exported && !ids.empty()) {
    sql::Transaction tx(db_);
    sql::Stmt u = db_.prepare("UPDATE calls SET exported = 1 WHERE id = ?", error);
    if (!tx.ok() || !u) return -1;
    for (int64_t id : ids) {
      u.reset();
      u.bind(1, id).run();
    }
    if (!tx.commit(error)) {
      last_error_ = error;
      return -1;
    }
  }
  return int64_t(ids.size());
}

int64_t Store::export_events(std::ostream& out, Format f, const ExportQuery& q) {
  std::string error;
  sql::Stmt s = db_.prepare(std::string("SELECT ") + kEventColumns +
                                " FROM events WHERE time_ms >= ? AND time_ms < ? ORDER BY id",
                            error);
  if (!s) {
    last_error_ = error;
    return -1;
  }
  s.bind(1, int64_t(q.since_ms)).bind(2, int64_t(q.until_ms));
  int64_t n = 0;
  if (f == Format::csv)
    out << "id,time,kind,object,text,from_uplink,to_uplink,reason,detect_ms,switch_ms,total_ms,calls_affected\r\n";
  else
    out << "[";
  while (s.step() == SQLITE_ROW) {
    Event e = read_event(s);
    if (f == Format::csv) {
      out << e.id << ',' << iso(e.time_ms) << ',' << csv(e.kind) << ',' << csv(e.object) << ',' << csv(e.text) << ','
          << csv(e.from_uplink) << ',' << csv(e.to_uplink) << ',' << csv(e.reason) << ','
          << (e.detect_ms < 0 ? "" : num(e.detect_ms)) << ',' << (e.switch_ms < 0 ? "" : num(e.switch_ms)) << ','
          << (e.total_ms < 0 ? "" : num(e.total_ms)) << ',' << e.calls_affected << "\r\n";
    } else {
      auto opt = [](double v) { return v < 0 ? std::string("null") : num(v); };
      out << (n ? ",\n" : "\n") << "{\"id\":" << e.id << ",\"time\":" << json::string(iso(e.time_ms))
          << ",\"kind\":" << json::string(e.kind) << ",\"object\":" << json::string(e.object)
          << ",\"text\":" << json::string(e.text) << ",\"from_uplink\":" << json::string(e.from_uplink)
          << ",\"to_uplink\":" << json::string(e.to_uplink) << ",\"reason\":" << json::string(e.reason)
          << ",\"detect_ms\":" << opt(e.detect_ms) << ",\"switch_ms\":" << opt(e.switch_ms)
          << ",\"total_ms\":" << opt(e.total_ms) << ",\"calls_affected\":" << e.calls_affected << "}";
    }
    ++n;
  }
  if (f == Format::json) out << (n ? "\n]\n" : "]\n");
  out.flush();
  return out ? n : -1;
}

int64_t Store::size_bytes() {
  std::string error;
  sql::Stmt s = db_.prepare(
      "SELECT (SELECT page_count FROM pragma_page_count()) - (SELECT freelist_count FROM pragma_freelist_count()), "
      "(SELECT page_size FROM pragma_page_size())",
      error);
  return s && s.step() == SQLITE_ROW ? s.i64(0) * s.i64(1) : 0;
}

void Store::enforce_bounds() {
  if (!db_.is_open()) return;
  std::string error;
  struct Table {
    const char* name;
    const char* key;
    const char* keep;  // rows never trimmed
  };
  const Table tables[] = {{"events", "id", "0"}, {"alarms", "row", "0"}, {"calls", "id", "0"},
                          {"faults", "id", "end_ms IS NULL"}};
  auto trim = [&](const Table& t, int64_t drop) {
    if (drop <= 0) return;
    std::string victims = std::string("SELECT ") + t.key + " FROM " + t.name + " WHERE NOT (" + t.keep +
                          ") ORDER BY " + t.key + " LIMIT " + std::to_string(drop);
    if (std::string(t.name) == "calls") {
      sql::Stmt c = db_.prepare("SELECT COUNT(*) FROM calls WHERE exported = 0 AND id IN (" + victims + ")", error);
      if (c && c.step() == SQLITE_ROW) counters_.trimmed_unexported += uint64_t(c.i64(0));
    }
    if (db_.exec(std::string("DELETE FROM ") + t.name + " WHERE " + t.key + " IN (" + victims + ")", error))
      counters_.trimmed_rows += uint64_t(db_.changes());
  };
  auto count = [&](const Table& t) -> int64_t {
    sql::Stmt c = db_.prepare(std::string("SELECT COUNT(*) FROM ") + t.name, error);
    return c && c.step() == SQLITE_ROW ? c.i64(0) : 0;
  };
  for (const Table& t : tables) trim(t, count(t) - opt_.max_rows);

  const int64_t max_bytes = opt_.max_size_mb * 1024 * 1024;
  for (int round = 0; round < 20 && max_bytes > 0 && size_bytes() > max_bytes; ++round) {
    int64_t left = 0;
    for (const Table& t : tables) {
      int64_t n = count(t);
      left += n;
      trim(t, std::max<int64_t>(1, n / 10));
    }
    if (left == 0) break;
  }
  db_.exec("PRAGMA incremental_vacuum;", error);
}

std::string to_json(const FaultReport& r) {
  auto list = [](const std::vector<std::string>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + json::string(v[i]);
    return s + "]";
  };
  std::string s = "{\"id\":" + std::to_string(r.id) + ",\"start\":" + json::string(iso(r.start_ms)) +
                  ",\"end\":" + json::string(iso(r.end_ms)) + ",\"start_ms\":" + std::to_string(r.start_ms) +
                  ",\"end_ms\":" + std::to_string(r.end_ms) + ",\"duration_ms\":" + std::to_string(r.duration_ms()) +
                  ",\"uplinks\":" + list(r.uplinks) + ",\"trunks\":" + list(r.trunks) +
                  ",\"calls_affected\":" + std::to_string(r.calls_affected) +
                  ",\"calls_failed\":" + std::to_string(r.calls_failed) +
                  ",\"worst_mos\":" + (r.worst_mos > 0 ? num(r.worst_mos) : std::string("null")) +
                  ",\"worst_mos_call\":" + json::string(r.worst_mos_call) + ",\"actions\":" + list(r.actions) +
                  ",\"alarms\":" + list(r.alarms) + ",\"failovers\":[";
  for (size_t i = 0; i < r.failovers.size(); ++i) {
    const Event& e = r.failovers[i];
    auto opt = [](double v) { return v < 0 ? std::string("null") : num(v); };
    s += std::string(i ? "," : "") + "{\"time\":" + json::string(iso(e.time_ms)) + ",\"from\":" + json::string(e.from_uplink) +
         ",\"to\":" + json::string(e.to_uplink) + ",\"reason\":" + json::string(e.reason) +
         ",\"detect_ms\":" + opt(e.detect_ms) + ",\"switch_ms\":" + opt(e.switch_ms) +
         ",\"total_ms\":" + opt(e.total_ms) + ",\"calls_affected\":" + std::to_string(e.calls_affected) + "}";
  }
  return s + "]}";
}

std::string to_text(const FaultReport& r) {
  std::ostringstream o;
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s.empty() ? std::string("none") : s;
  };
  o << "Fault report #" << r.id << "\n";
  o << "  from      " << iso(r.start_ms) << "\n";
  o << "  to        " << iso(r.end_ms) << " (" << alarm::text::duration(r.duration_ms()) << ")\n";
  o << "  uplinks   " << join(r.uplinks) << "\n";
  if (!r.trunks.empty()) o << "  trunks    " << join(r.trunks) << "\n";
  o << "  calls     " << r.calls_affected << " affected, " << r.calls_failed << " failed\n";
  if (r.worst_mos > 0)
    o << "  worst MOS " << num(std::round(r.worst_mos * 100) / 100) << " (call " << r.worst_mos_call << ")\n";
  else
    o << "  worst MOS no media measured\n";
  o << "  actions\n";
  if (r.actions.empty()) o << "    none\n";
  for (const auto& a : r.actions) o << "    " << a << "\n";
  o << "  alarms\n";
  if (r.alarms.empty()) o << "    none\n";
  for (const auto& a : r.alarms) o << "    " << a << "\n";
  return o.str();
}

}  // namespace tg::store
