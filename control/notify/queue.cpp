#include "control/notify/queue.hpp"

namespace tg::notify {

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS notices (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  key TEXT NOT NULL UNIQUE,
  created_ms INTEGER NOT NULL,
  event_ms INTEGER NOT NULL,
  alarm_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  transition INTEGER NOT NULL,
  type TEXT NOT NULL,
  object_kind INTEGER NOT NULL,
  object_name TEXT NOT NULL,
  object_label TEXT NOT NULL,
  severity INTEGER NOT NULL,
  event_type INTEGER NOT NULL,
  probable_cause INTEGER NOT NULL,
  specific_problem TEXT NOT NULL,
  text TEXT NOT NULL,
  calls_affected INTEGER NOT NULL,
  grouped INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
  notice_id INTEGER NOT NULL REFERENCES notices(id) ON DELETE CASCADE,
  channel TEXT NOT NULL,
  delivered INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_ms INTEGER NOT NULL,
  delivered_ms INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (notice_id, channel)
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(channel, delivered, next_ms);
CREATE INDEX IF NOT EXISTS deliveries_pending ON deliveries(delivered, channel, notice_id);
CREATE INDEX IF NOT EXISTS deliveries_delivered_ms ON deliveries(delivered, delivered_ms);
)sql";

constexpr const char* kNoticeColumns =
    "n.id, n.key, n.created_ms, n.event_ms, n.alarm_id, n.seq, n.transition, n.type, n.object_kind, "
    "n.object_name, n.object_label, n.severity, n.event_type, n.probable_cause, n.specific_problem, "
    "n.text, n.calls_affected, n.grouped";

Notice read_notice(const sql::Stmt& s) {
  Notice n;
  n.id = s.i64(0);
  n.key = s.text(1);
  n.created_ms = s.i64(2);
  n.event_ms = s.i64(3);
  n.alarm_id = uint64_t(s.i64(4));
  n.seq = uint64_t(s.i64(5));
  n.transition = alarm::Transition(s.i64(6));
  n.type = alarm::alarm_type_from_name(s.text(7)).value_or(alarm::AlarmType::alarm_storm);
  n.object_kind = alarm::ObjectKind(s.i64(8));
  n.object_name = s.text(9);
  n.object_label = s.text(10);
  n.severity = alarm::Severity(s.i64(11));
  n.event_type = alarm::EventType(s.i64(12));
  n.probable_cause = alarm::ProbableCause(s.i64(13));
  n.specific_problem = s.text(14);
  n.text = s.text(15);
  n.calls_affected = uint32_t(s.i64(16));
  n.grouped = s.i64(17) != 0;
  return n;
}

}  // namespace

Notice notice_from(const alarm::AlarmNotification& an) {
  const alarm::Alarm& a = an.alarm;
  Notice n;
  n.event_ms = a.cleared_ms ? a.cleared_ms : a.changed_ms;
  // Alarm ids survive restarts (the store seeds first_id) but seq does not:
  // id + transition + time tells every state change apart, and a replay of
  // the same one is recognised.
  n.key = "alarm:" + std::to_string(a.id) + ":" + alarm::transition_name(an.transition) + ":" +
          std::to_string(n.event_ms);
  n.alarm_id = a.id;
  n.seq = an.seq;
  n.transition = an.transition;
  n.type = a.type;
  n.object_kind = a.object.kind;
  n.object_name = a.object.name;
  n.object_label = a.object.label;
  n.severity = an.severity();
  n.event_type = a.info().event_type;
  n.probable_cause = a.info().probable_cause;
  n.specific_problem = a.info().specific_problem;
  n.text = an.message();
  n.calls_affected = a.calls_affected;
  n.grouped = an.grouped;
  return n;
}

WallMs Backoff::delay(uint32_t attempts) const {
  WallMs d = initial_ms > 0 ? initial_ms : 1;
  for (uint32_t i = 1; i < attempts && d < max_ms; ++i) d *= WallMs(factor < 1 ? 1 : factor);
  return d < max_ms ? d : max_ms;
}

bool NotifyQueue::open(const std::string& path, std::string& error) {
  std::lock_guard lock(mu_);
  if (!db_.open(path, error)) return false;
  if (!db_.exec(kSchema, error)) {
    error = path + ": " + error;
    db_.close();
    return false;
  }
  return true;
}

bool NotifyQueue::enqueue(Notice n, const std::vector<std::string>& channels, WallMs now,
                          std::string& error) {
  std::lock_guard lock(mu_);
  sql::Transaction tx(db_);
  if (!tx.ok()) {
    error = "begin: " + db_.errmsg();
    return false;
  }
  sql::Stmt ins = db_.prepare(
      "INSERT OR IGNORE INTO notices (key, created_ms, event_ms, alarm_id, seq, transition, type, "
      "object_kind, object_name, object_label, severity, event_type, probable_cause, "
      "specific_problem, text, calls_affected, grouped) "
      "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
      error);
  if (!ins) return false;
  ins.bind(1, n.key)
      .bind(2, int64_t(now))
      .bind(3, int64_t(n.event_ms ? n.event_ms : now))
      .bind(4, int64_t(n.alarm_id))
      .bind(5, int64_t(n.seq))
      .bind(6, int64_t(n.transition))
      .bind(7, std::string_view(alarm::alarm_type_info(n.type).name))
      .bind(8, int64_t(n.object_kind))
      .bind(9, n.object_name)
      .bind(10, n.object_label)
      .bind(11, int64_t(n.severity))
      .bind(12, int64_t(n.event_type))
      .bind(13, int64_t(n.probable_cause))
      .bind(14, n.specific_problem)
      .bind(15, n.text)
      .bind(16, int64_t(n.calls_affected))
      .bind(17, int64_t(n.grouped));
  if (!ins.run()) {
    error = "insert notice: " + db_.errmsg();
    return false;
  }
  if (db_.changes() == 0) return true;  // same key queued before: no duplicate
  int64_t id = db_.last_insert_id();
  sql::Stmt del =
      db_.prepare("INSERT OR IGNORE INTO deliveries (notice_id, channel, next_ms) VALUES (?,?,?)", error);
  if (!del) return false;
  for (const std::string& ch : channels) {
    del.reset();
    del.bind(1, id).bind(2, ch).bind(3, int64_t(now));
    if (!del.run()) {
      error = "insert delivery: " + db_.errmsg();
      return false;
    }
  }
  return tx.commit(error);
}

std::vector<Delivery> NotifyQueue::due(std::string_view channel, WallMs now, size_t limit) {
  std::lock_guard lock(mu_);
  std::vector<Delivery> out;
  std::string error;
  sql::Stmt s = db_.prepare(std::string("SELECT ") + kNoticeColumns +
                                ", d.channel, d.attempts, d.next_ms, d.last_error "
                                "FROM deliveries d JOIN notices n ON n.id = d.notice_id "
                                "WHERE d.channel = ? AND d.delivered = 0 AND d.next_ms <= ? "
                                "ORDER BY n.id LIMIT ?",
                            error);
  if (!s) {
    last_error_ = error;
    return out;
  }
  s.bind(1, channel).bind(2, int64_t(now)).bind(3, int64_t(limit));
  while (s.step() == SQLITE_ROW) {
    Delivery d;
    d.notice = read_notice(s);
    d.channel = s.text(18);
    d.attempts = uint32_t(s.i64(19));
    d.next_ms = s.i64(20);
    d.last_error = s.text(21);
    out.push_back(std::move(d));
  }
  return out;
}

bool NotifyQueue::mark_delivered(std::string_view channel, const std::vector<int64_t>& ids, WallMs now) {
  std::lock_guard lock(mu_);
  std::string error;
  sql::Transaction tx(db_);
  sql::Stmt s = db_.prepare(
      "UPDATE deliveries SET delivered = 1, delivered_ms = ?, attempts = attempts + 1, last_error = '' "
      "WHERE notice_id = ? AND channel = ?",
      error);
  if (!tx.ok() || !s) {
    last_error_ = error.empty() ? db_.errmsg() : error;
    return false;
  }
  for (int64_t id : ids) {
    s.reset();
    s.bind(1, int64_t(now)).bind(2, id).bind(3, channel);
    if (!s.run()) {
      last_error_ = db_.errmsg();
      return false;
    }
  }
  if (!tx.commit(error)) {
    last_error_ = error;
    return false;
  }
  return true;
}

bool NotifyQueue::mark_failed(std::string_view channel, const std::vector<int64_t>& ids, WallMs now,
                              std::string_view why) {
  std::lock_guard lock(mu_);
  std::string error;
  sql::Transaction tx(db_);
  sql::Stmt get = db_.prepare("SELECT attempts FROM deliveries WHERE notice_id = ? AND channel = ?", error);
  sql::Stmt set = db_.prepare(
      "UPDATE deliveries SET attempts = ?, next_ms = ?, last_error = ? "
      "WHERE notice_id = ? AND channel = ? AND delivered = 0",
      error);
  if (!tx.ok() || !get || !set) {
    last_error_ = error.empty() ? db_.errmsg() : error;
    return false;
  }
  for (int64_t id : ids) {
    get.reset();
    get.bind(1, id).bind(2, channel);
    if (get.step() != SQLITE_ROW) continue;
    uint32_t attempts = uint32_t(get.i64(0)) + 1;
    get.reset();
    set.reset();
    set.bind(1, int64_t(attempts))
        .bind(2, int64_t(now + backoff_.delay(attempts)))
        .bind(3, why)
        .bind(4, id)
        .bind(5, channel);
    if (!set.run()) {
      last_error_ = db_.errmsg();
      return false;
    }
  }
  if (!tx.commit(error)) {
    last_error_ = error;
    return false;
  }
  return true;
}

std::optional<WallMs> NotifyQueue::next_due(std::string_view channel) {
  std::lock_guard lock(mu_);
  std::string error;
  sql::Stmt s = db_.prepare(
      "SELECT MIN(next_ms) FROM deliveries WHERE delivered = 0 AND (? = '' OR channel = ?)", error);
  if (!s) return std::nullopt;
  s.bind(1, channel).bind(2, channel);
  if (s.step() != SQLITE_ROW || s.is_null(0)) return std::nullopt;
  return s.i64(0);
}

size_t NotifyQueue::pending(std::string_view channel) {
  std::lock_guard lock(mu_);
  std::string error;
  sql::Stmt s = db_.prepare(
      "SELECT COUNT(*) FROM deliveries WHERE delivered = 0 AND (? = '' OR channel = ?)", error);
  if (!s) return 0;
  s.bind(1, channel).bind(2, channel);
  return s.step() == SQLITE_ROW ? size_t(s.i64(0)) : 0;
}

std::vector<ChannelStatus> NotifyQueue::status() {
  std::lock_guard lock(mu_);
  return channel_rows(
      "SELECT d.channel, SUM(d.delivered = 0), SUM(d.delivered = 1), "
      "MIN(CASE WHEN d.delivered = 0 THEN n.created_ms END), "
      "MAX(CASE WHEN d.delivered = 0 THEN d.attempts ELSE 0 END), "
      "(SELECT last_error FROM deliveries e WHERE e.channel = d.channel AND e.delivered = 0 "
      "   AND e.last_error != '' ORDER BY e.notice_id DESC LIMIT 1) "
      "FROM deliveries d JOIN notices n ON n.id = d.notice_id GROUP BY d.channel ORDER BY d.channel");
}

std::vector<ChannelStatus> NotifyQueue::backlog() {
  std::lock_guard lock(mu_);
  // Notice ids grow with created_ms: the oldest pending is the smallest id.
  return channel_rows(
      "SELECT p.channel, p.waiting, 0, (SELECT created_ms FROM notices WHERE id = p.first), p.attempts, "
      "(SELECT last_error FROM deliveries e WHERE e.delivered = 0 AND e.channel = p.channel "
      "   AND e.last_error != '' ORDER BY e.notice_id DESC LIMIT 1) "
      "FROM (SELECT channel, COUNT(*) AS waiting, MIN(notice_id) AS first, MAX(attempts) AS attempts "
      "      FROM deliveries INDEXED BY deliveries_pending WHERE delivered = 0 GROUP BY channel) p "
      "ORDER BY p.channel");
}

// Rows of (channel, pending, delivered, oldest pending created_ms, max
// attempts, last error). Called with mu_ held.
std::vector<ChannelStatus> NotifyQueue::channel_rows(const char* query) {
  std::vector<ChannelStatus> out;
  std::string error;
  sql::Stmt s = db_.prepare(query, error);
  if (!s) {
    last_error_ = error;
    return out;
  }
  while (s.step() == SQLITE_ROW) {
    ChannelStatus c;
    c.channel = s.text(0);
    c.pending = size_t(s.i64(1));
    c.delivered = size_t(s.i64(2));
    c.oldest_pending_ms = s.is_null(3) ? 0 : s.i64(3);
    c.max_attempts = uint32_t(s.i64(4));
    c.last_error = s.text(5);
    out.push_back(std::move(c));
  }
  return out;
}

size_t NotifyQueue::drop_channels_except(const std::vector<std::string>& channels) {
  std::lock_guard lock(mu_);
  std::string error;
  sql::Transaction tx(db_);
  if (!tx.ok()) return 0;
  std::string keep;
  for (size_t i = 0; i < channels.size(); ++i) keep += i ? ",?" : "?";
  sql::Stmt d = db_.prepare("DELETE FROM deliveries WHERE delivered = 0 AND channel NOT IN (" + keep + ")", error);
  if (!d) {
    last_error_ = error;
    return 0;
  }
  for (size_t i = 0; i < channels.size(); ++i) d.bind(int(i + 1), channels[i]);
  if (!d.run()) {
    last_error_ = db_.errmsg();
    return 0;
  }
  size_t n = size_t(db_.changes());
  if (n && !db_.exec("DELETE FROM notices WHERE id NOT IN (SELECT notice_id FROM deliveries)", error)) return 0;
  return tx.commit(error) ? n : 0;
}

size_t NotifyQueue::purge_delivered(WallMs before_ms) {
  std::lock_guard lock(mu_);
  std::string error;
  sql::Transaction tx(db_);
  sql::Stmt d = db_.prepare("DELETE FROM deliveries WHERE delivered = 1 AND delivered_ms < ?", error);
  if (!tx.ok() || !d) return 0;
  d.bind(1, int64_t(before_ms));
  if (!d.run()) return 0;
  size_t n = size_t(db_.changes());
  if (!db_.exec("DELETE FROM notices WHERE id NOT IN (SELECT notice_id FROM deliveries)", error)) return 0;
  return tx.commit(error) ? n : 0;
}

uint64_t NotifyQueue::max_alarm_id() {
  std::lock_guard lock(mu_);
  std::string error;
  sql::Stmt s = db_.prepare("SELECT COALESCE(MAX(alarm_id), 0) FROM notices", error);
  return s && s.step() == SQLITE_ROW ? uint64_t(s.i64(0)) : 0;
}

}  // namespace tg::notify
