// The alarm side of tg-controld in one object: alarm manager, event store,
// durable notification queue and its delivery thread. The daemon creates
// it, wires its Hooks to the entries below (control/daemon/services.cpp;
// this folder knows nothing of the daemon) and calls tick() about once a
// second; everything else arrives through these entries:
//
//   on_switch          failover -> event row (measured times) + alarm on the
//                      uplink that failed (link down / probes lost / silent
//                      blackhole), text with the action and calls affected;
//                      no uplink left -> all_uplinks_down
//   on_uplink_state    down with a hard fault -> that uplink's fault alarm:
//                      a standby uplink at once (major: no traffic on it);
//                      the uplink carrying traffic at the switch that follows
//                      (same pass of the fast path), or at tick() if none
//                      came; down -> no_redundancy (or all_uplinks_down);
//                      out of down (recovering, up) -> its fault alarms clear
//   on_config_applied  receivers, labels and store bounds follow the config;
//                      clears config_rejected
//   on_config_rejected config_rejected alarm with the first error (file:line)
//   show_alarms / show_alarm_history / fault_report   console JSON
//
// Other modules raise their own alarms through alarms() (the OPTIONS prober:
// trunk_down / trunk_sip_errors; QoS logic: uplink_latency, uplink_mos, ...).
// Threads: the alarm model and the event store run on the daemon's thread;
// everything that may wait — the durable enqueue (an fsync per notice),
// delivery, event lines to a remote syslog (DNS, TCP connect), purging the
// queue, reading its backlog — runs on the delivery thread. The daemon's
// thread hands notices and event lines over through bounded queues (drops
// counted and logged) and reads the backlog the thread last published.
// Without the thread (deliver = false) the same work is done in place.
#pragma once
#include <nlohmann/json.hpp>

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "control/alarms/alarm.hpp"
#include "control/config/config.hpp"
#include "control/notify/queue.hpp"
#include "control/notify/setup.hpp"
#include "control/store/store.hpp"

namespace tg::alarmsvc {

struct ServiceOptions {
  std::string queue_path;        // durable notification queue
  store::StoreOptions store;
  notify::NotifyConfig notify;
  notify::Backoff backoff;
  std::map<std::string, std::string> uplink_labels;  // wan0 -> "Carrier A"
  std::vector<std::string> uplinks;                  // enabled uplinks, in order
  alarm::ManagerOptions manager;
  alarm::WallMs delivered_retention_ms = 168LL * 3600 * 1000;  // then purged from the queue
  bool deliver = true;           // false: queue only (tests, or a box without receivers)
};

// Counters of the hand-over to the delivery thread, declared once.
#define TG_ALARMSVC_COUNTERS(X)                                                      \
  X(notices_dropped, "notices not queued: hand-over to the delivery thread full")  \
  X(events_dropped, "event lines not sent to syslog: hand-over full")               \
  X(removed_receiver_dropped, "notices dropped: their receiver left the configuration") \
  X(delivered_purged, "delivered notices purged after the retention")

// controld's configuration -> service options. Queue next to the store
// (STORE_DIR/notify.db) unless the store path is in memory.
ServiceOptions options_from(const config::Config& c);

class AlarmService {
 public:
  using Log = std::function<void(int priority, const std::string&)>;
  AlarmService(alarm::Clock wall_ms, Log log);
  ~AlarmService();

  // Opens store and queue, restores the active alarms, starts delivery.
  bool start(const ServiceOptions& o, std::string& error);
  void stop();
  // New receivers / labels (store path changes need a restart).
  void reconfigure(const ServiceOptions& o);

  // The entries the daemon's hooks call.
  // A failover: time_ms 0 = now; from/to "" = none; labels are filled in here.
  void on_switch(store::FailoverRecord f);
  // fault_mask: api::FaultBit mask after the transition (hard faults raise).
  void on_uplink_state(const std::string& uplink, const std::string& from, const std::string& to,
                       uint8_t fault_mask = 0);
  void on_config_rejected(const std::string& first_error);
  void on_config_applied(const config::Config& c);
  nlohmann::json show_alarms() const;
  nlohmann::json show_alarm_history();
  nlohmann::json fault_reports(int n);
  void tick();  // storm end, notify_backlog alarm, fault alarm of an active uplink no switch followed
  enum class Counter {
#define TG_X(name, text) name,
    TG_ALARMSVC_COUNTERS(TG_X)
#undef TG_X
        count_
  };
  uint64_t counter(Counter c) const { return counters_[size_t(c)]; }
  nlohmann::json counters_json() const;
  static constexpr size_t kMaxHandover = 4096;  // notices (and event lines) waiting for the thread

  alarm::AlarmManager& alarms() { return *manager_; }
  store::Store& event_store() { return store_; }
  notify::NotifyQueue& queue() { return queue_; }
  // Reports closed since the last call (the daemon may log or show them).
  std::vector<store::FaultReport> take_new_fault_reports();

 private:
  void sink(const alarm::AlarmNotification& n);
  alarm::ManagedObject uplink_object(const std::string& name) const;
  void update_redundancy();
  void raise_standby_fault(const std::string& uplink, alarm::AlarmType type);
  void raise_pending_faults(alarm::WallMs now);
  void delivery_loop();
  void log_event(int severity, const std::string& msgid, const std::string& object, const std::string& text);
  struct EventLine {
    alarm::WallMs time_ms = 0;
    int severity = 0;
    std::string msgid, object, text;
  };
  struct Handover {
    std::vector<std::pair<notify::Notice, std::vector<std::string>>> notices;
    std::vector<EventLine> events;
  };
  // The work handed to the delivery thread (or done in place without it).
  void write_notices(Handover& h);
  void send_events(notify::SyslogSender* sender, const std::vector<EventLine>& events);
  void publish_backlog();
  void purge_if_due(alarm::WallMs now, alarm::WallMs retention);
  void drop_removed(const std::vector<std::string>& channels);
  static constexpr alarm::WallMs kPurgeEveryMs = 10 * 60 * 1000;
  void bump(Counter c, uint64_t n = 1) { counters_[size_t(c)] += n; }

  alarm::Clock clock_;
  Log log_;
  ServiceOptions opt_;
  store::Store store_;
  notify::NotifyQueue queue_;
  std::unique_ptr<alarm::AlarmManager> manager_;
  std::map<std::string, std::string> state_;  // uplink -> last state name
  std::string active_;                          // uplink carrying traffic (last switch), "" unknown
  // Fault of the uplink carrying traffic, waiting for the switch event the
  // fast path sends right after the state event (its alarm then names the
  // switch and the calls affected): uplink -> (alarm type, since).
  struct PendingFault {
    alarm::AlarmType type;
    alarm::WallMs since_ms;
  };
  std::map<std::string, PendingFault> pending_;
  std::vector<store::FaultReport> new_reports_;
  std::unique_ptr<notify::SyslogSender> event_syslog_;       // the delivery thread's (or in place)
  std::unique_ptr<notify::SyslogSender> next_event_syslog_;  // handed over under mu_
  bool event_syslog_changed_ = false;

  // Delivery thread. It alone uses dispatcher_, so a slow receiver (an
  // inform waiting for its timeout) never blocks the daemon's thread, which
  // only takes mu_ briefly to read the channel list or hand over new senders.
  std::mutex mu_;  // guards channels_ and next_dispatcher_
  std::condition_variable wake_;
  std::unique_ptr<notify::Dispatcher> dispatcher_;
  std::unique_ptr<notify::Dispatcher> next_dispatcher_;
  std::vector<std::string> channels_;
  Handover handover_;                         // guarded by mu_
  std::vector<notify::ChannelStatus> backlog_;  // published by the thread, guarded by mu_
  alarm::WallMs next_purge_ms_ = 0;           // the thread's
  std::atomic<uint64_t> counters_[size_t(Counter::count_)] = {};
  std::atomic<bool> stop_{false};
  std::thread thread_;
  bool started_ = false;
};

}  // namespace tg::alarmsvc
