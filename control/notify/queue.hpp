// Durable notification queue (SQLite). Every alarm notification is written
// to disk, once per channel (snmp target, email, syslog), BEFORE anything is
// sent; a channel's copy is deleted from "pending" only after its receiver
// took it. A receiver that is down gets retries with exponential back-off;
// nothing is lost across a daemon restart or a power cut (WAL, synchronous
// FULL). Enqueueing the same notice key twice is a no-op, so replaying the
// alarm manager's output after a crash does not duplicate mail or traps.
//
// Delivery is exactly-once as seen by the receiver except in one window: a
// crash after the receiver accepted and before mark_delivered() committed
// resends it once; mail carries a stable Message-ID and traps the notice id
// so a receiver can drop that duplicate.
//
// Thread-safe: the daemon enqueues from its main loop and a Dispatcher
// drains from its own thread (one SQLite connection, serialized by a mutex).
#pragma once
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "control/alarms/alarm.hpp"
#include "control/sqlite/sqlite.hpp"

namespace tg::notify {

using alarm::WallMs;

// One thing to tell the NOC: a flattened alarm notification (or a test).
struct Notice {
  int64_t id = 0;           // queue row id, set by the queue
  std::string key;          // idempotency key, e.g. "alarm:12:345"
  WallMs created_ms = 0;    // when enqueued
  WallMs event_ms = 0;      // when it happened
  uint64_t alarm_id = 0;
  uint64_t seq = 0;
  alarm::Transition transition = alarm::Transition::raised;
  alarm::AlarmType type = alarm::AlarmType::alarm_storm;
  alarm::ObjectKind object_kind = alarm::ObjectKind::box;
  std::string object_name, object_label;
  alarm::Severity severity = alarm::Severity::indeterminate;  // as sent (cleared for a clear)
  alarm::EventType event_type = alarm::EventType::other;
  alarm::ProbableCause probable_cause = alarm::ProbableCause::thresholdCrossed;
  std::string specific_problem;
  std::string text;         // the NOC line: what, where, impact, action
  uint32_t calls_affected = 0;
  bool grouped = false;     // emitted during an alarm storm

  const alarm::AlarmTypeInfo& info() const { return alarm::alarm_type_info(type); }
};

// Flattens what the alarm manager emits; key "alarm:<id>:<transition>:<event ms>".
Notice notice_from(const alarm::AlarmNotification& n);

struct Backoff {
  WallMs initial_ms = 1000;
  WallMs max_ms = 300'000;
  uint32_t factor = 2;
  // Wait after the n-th failed attempt (n >= 1): initial * factor^(n-1), capped.
  WallMs delay(uint32_t attempts) const;
};

// A notice waiting on one channel.
struct Delivery {
  Notice notice;
  std::string channel;
  uint32_t attempts = 0;
  WallMs next_ms = 0;
  std::string last_error;
};

struct ChannelStatus {
  std::string channel;
  size_t pending = 0;
  size_t delivered = 0;
  WallMs oldest_pending_ms = 0;  // created_ms of the oldest pending, 0 if none
  uint32_t max_attempts = 0;
  std::string last_error;
};

class NotifyQueue {
 public:
  explicit NotifyQueue(Backoff backoff = {}) : backoff_(backoff) {}
  bool open(const std::string& path, std::string& error);
  bool is_open() const { return db_.is_open(); }

  // Writes the notice and one pending delivery per channel in one
  // transaction. A key already queued: nothing changes, returns true.
  // false only when the disk write failed (error says why).
  bool enqueue(Notice notice, const std::vector<std::string>& channels, WallMs now,
               std::string& error);
  // Pending deliveries on `channel` whose retry time has come, oldest first.
  std::vector<Delivery> due(std::string_view channel, WallMs now, size_t limit);
  // Outcome of a send for some notice ids on a channel.
  bool mark_delivered(std::string_view channel, const std::vector<int64_t>& notice_ids, WallMs now);
  bool mark_failed(std::string_view channel, const std::vector<int64_t>& notice_ids, WallMs now,
                   std::string_view error);
  // Earliest next_ms of any pending delivery (to sleep until), if any.
  std::optional<WallMs> next_due(std::string_view channel = {});
  size_t pending(std::string_view channel = {});
  std::vector<ChannelStatus> status();
  // What waits, per channel (delivered = 0): read from the pending index,
  // never a scan of what was delivered (the daemon asks every second).
  std::vector<ChannelStatus> backlog();
  // Drops delivered deliveries older than `before_ms` and notices left with none.
  size_t purge_delivered(WallMs before_ms);
  // Drops what waits for a channel not in `channels` (a receiver removed
  // from the configuration: nobody will ever take it), and notices left
  // with no delivery. Returns the deliveries dropped.
  size_t drop_channels_except(const std::vector<std::string>& channels);
  // Largest alarm id queued so far (tg-notify numbers its own alarms after it).
  uint64_t max_alarm_id();
  const Backoff& backoff() const { return backoff_; }
  void set_backoff(const Backoff& b) { backoff_ = b; }  // before open()
  std::string last_error() const { return last_error_; }

 private:
  std::vector<ChannelStatus> channel_rows(const char* query);

  Backoff backoff_;
  sql::Db db_;
  std::mutex mu_;
  std::string last_error_;
};

}  // namespace tg::notify
