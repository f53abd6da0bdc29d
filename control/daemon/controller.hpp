// The daemon's request handler and fast-path event consumer: everything the
// management socket can ask, answered from the running configuration, the
// candidate, the fast path's stats and events, and the kernel. Single
// threaded: called from the daemon's poll loop only.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <string>
#include <string_view>

#include "control/config/store.hpp"
#include "control/daemon/fastpath_link.hpp"
#include "control/daemon/qos_watch.hpp"
#include "control/mgmt/access.hpp"
#include "control/mgmt/protocol.hpp"

namespace tg::controld {

using mgmt::Json;
class CaptureWriter;

// Daemon counters, declared once.
#define TG_CONTROLD_COUNTERS(X)                                       \
  X(requests, "management requests answered")                        \
  X(request_errors, "requests answered with an error")               \
  X(commits, "configuration commits applied")                        \
  X(commits_rejected, "commits rejected by validation or I/O")       \
  X(events, "fast-path events consumed")                             \
  X(events_lost, "fast-path events missing (sequence gaps)")         \
  X(events_unknown, "fast-path events of an unknown kind or version") \
  X(commands_sent, "commands pushed to the fast path")               \
  X(commands_ring_full, "commands not sent: ring full")              \
  X(commands_accepted, "commands the fast path applied")             \
  X(commands_rejected, "commands the fast path refused")             \
  X(commands_unanswered, "commands the fast path did not answer in time") \
  X(deferred_refused, "requests refused: too many answers outstanding") \
  X(timers_applied, "set_timers the fast path applied")             \
  X(trunk_tables_applied, "trunk tables the fast path swapped in")   \
  X(fastpath_attaches, "times the fast path was (re)attached")      \
  X(qos_violations, "QoS violations started (RTT, loss, jitter)")

enum class Counter {
#define TG_X(name, text) name,
  TG_CONTROLD_COUNTERS(TG_X)
#undef TG_X
      count_
};

// One switch of the active uplink as the NOC sees it.
struct SwitchRecord {
  int64_t wall_ms = 0;            // when the daemon consumed the event
  std::string from, to;           // uplink names ("none" at start)
  std::string reason, reason_text, mode;
  double detection_ms = 0;        // decided - fault first seen
  double switch_ms = 0;           // switched - decided
  double total_ms = 0;            // switched - fault first seen
  uint32_t calls_affected = 0;
  std::string faults;             // fault causes on the old uplink
};

struct Clock {
  std::function<uint64_t()> mono_ns;  // CLOCK_MONOTONIC (same clock as the fast path)
  std::function<int64_t()> wall_ms;   // CLOCK_REALTIME
  std::function<void(int)> sleep_ms;  // waiting for a fast-path answer
  static Clock system();
};

// Hooks for the parts that live in other modules (alarms, store, prober):
// the daemon calls them when set. Unset = the matching console command says
// "not available" with the reason.
struct Hooks {
  std::function<void(const SwitchRecord&)> on_switch;
  std::function<void(const std::string& uplink, const api::UplinkStateEvent& e)> on_uplink_state;
  std::function<void(const std::string& first_error)> on_config_rejected;
  std::function<void(const QosAction&)> on_qos;               // violation started / ended
  std::function<void(const config::Config&)> on_config_applied;
  std::function<Json()> show_alarms;                          // active alarms
  std::function<Json()> show_alarm_history;
  std::function<Json()> alarm_counters;                       // notification hand-over, drops, purges
  std::function<Json(int n)> fault_report;                    // last N reports
  // Starts an OPTIONS test of the trunk; `done` runs once, later, from the
  // loop with the answers. False with `why` if it cannot start.
  using TrunkTestDone = std::function<void(Json answers)>;
  std::function<bool(const std::string& trunk, TrunkTestDone done, std::string& why)> test_trunk;
  std::function<Json()> trunk_probe_states;                   // OPTIONS state per trunk
  std::function<Json()> kernel_links;                         // netlink: links, routes (kernel_sync)
  // Per-call records (control/daemon/call_records): same shape as a command.
  using CommandHook = std::function<Json(const Json& args, mgmt::Error& error, bool& failed)>;
  CommandHook show_calls, diagnose_call, export_calls;
  std::function<Json()> trunk_call_figures;                   // per trunk name: ASR/SEER/ISA/busy/SRD/PDD
};

class Controller {
 public:
  using Log = std::function<void(int priority, const std::string&)>;  // syslog priorities

  Controller(config::ConfigStore& store, FastPath& fastpath, Clock clock, Log log);

  // One request line from a peer: the response line.
  std::string handle(const mgmt::Peer& peer, mgmt::Role role, std::string_view line);
  // Drains fast-path events; (re)attaches; pushes timers after an attach.
  void tick();
  // SIGHUP: re-read the file; a bad file leaves everything as it is.
  void reload();

  Hooks hooks;
  std::string version = "unknown";
  std::function<void()> on_policy_change;  // admin/operator groups may have changed
  // Packet capture (capture_commands.cpp); unset: capture commands say not available.
  CaptureWriter* capture_writer = nullptr;
  // Hands a command that waits (on the fast path, on an OPTIONS test) the
  // means to answer later with its response line (the server's deferred
  // reply); the loop serves everyone else meanwhile. Set by the daemon.
  using Answer = std::function<void(const std::string& response_line)>;
  std::function<Answer()> defer_answer;
  static constexpr size_t kMaxOutstanding = 32;  // deferred answers at once

  // A soft fault decided outside the QoS watch (the trunk watch's
  // sip_outage): pushed now and again after the fast path restarts.
  void set_soft_fault(const std::string& uplink, api::SoftFault reason, bool raise);

  uint64_t counter(Counter c) const { return counters_[size_t(c)]; }
  const std::deque<SwitchRecord>& switches() const { return switches_; }
  static constexpr size_t kMaxSwitchHistory = 512;

 private:
  struct Command {
    const char* name;
    mgmt::Role min_role;
    const char* summary;
    Json (Controller::*fn)(const Json& args, const mgmt::Peer&, mgmt::Role, mgmt::Error&, bool& failed);
  };
  static const Command kCommands[];

  Json cmd_hello(const Json&, const mgmt::Peer&, mgmt::Role, mgmt::Error&, bool&);
  Json cmd_help(const Json&, const mgmt::Peer&, mgmt::Role, mgmt::Error&, bool&);
  Json cmd_show_version(const Json&, const mgmt::Peer&, mgmt::Role, mgmt::Error&, bool&);
  Json cmd_show_uplinks(const Json&, const mgmt::Peer&, mgmt::Role, mgmt::Error&, bool&);
  Json cmd_show_trunks(const Json&, const mgmt::Peer&, mgmt::Role, mgmt::Error&, bool&);
  Json cmd_show_calls(const Json&, const mgmt::Peer&, mgmt::Role, mgmt::Error&, bool&);
  Json cmd_show_alarms(const Json&, const mgmt::Peer&, mgmt::Role, mgmt::Error&, bool&);
  Json cmd_show_failover_history(const Json&, const mgmt::Peer&, mgmt::Role, mgmt::Error&, bool&);
  Json cmd_show_fault_report(const Json&, const mgmt::Peer&, mgmt::Role, mgmt::Error&, bool&);
  Json cmd_show_counters(const Json&, const mgmt::Peer&, mgmt::Role, mgmt::Error&, bool&);
  Json cmd_show_interfaces(const Json&, const mgmt::Peer&, mgmt::Role, mgmt::Error&, bool&);
  Json cmd_show_config(const Json&, const mgmt::Peer&, mgmt::Role, mgmt::Error&, bool&);
  Json cmd_config_set(const Json&, const mgmt::Peer&, mgmt::Role, mgmt::Error&, bool&);
  Json cmd_config_delete(const Json&, const mgmt::Peer&, mgmt::Role, mgmt::Error&, bool&);
  Json cmd_config_check(const Json&, const mgmt::Peer&, mgmt::Role, mgmt::Error&, bool&);
  Json cmd_config_commit(const Json&, const mgmt::Peer&, mgmt::Role, mgmt::Error&, bool&);
  Json cmd_config_rollback(const Json&, const mgmt::Peer&, mgmt::Role, mgmt::Error&, bool&);
  Json cmd_config_discard(const Json&, const mgmt::Peer&, mgmt::Role, mgmt::Error&, bool&);
  Json cmd_failover_force(const Json&, const mgmt::Peer&, mgmt::Role, mgmt::Error&, bool&);
  Json cmd_failover_auto(const Json&, const mgmt::Peer&, mgmt::Role, mgmt::Error&, bool&);
  Json cmd_test_trunk(const Json&, const mgmt::Peer&, mgmt::Role, mgmt::Error&, bool&);
  Json cmd_capture(const Json&, const mgmt::Peer&, mgmt::Role, mgmt::Error&, bool&);
  Json cmd_capture_stop(const Json&, const mgmt::Peer&, mgmt::Role, mgmt::Error&, bool&);
  Json cmd_show_capture(const Json&, const mgmt::Peer&, mgmt::Role, mgmt::Error&, bool&);
  void tick_capture();
  Json cmd_diagnose_call(const Json&, const mgmt::Peer&, mgmt::Role, mgmt::Error&, bool&);
  Json cmd_export_calls(const Json&, const mgmt::Peer&, mgmt::Role, mgmt::Error&, bool&);

  void handle_event(const api::Event& e);
  void drain_events();
  // Inside a command: the answer comes later through the returned function
  // (result, or error when failed); the command itself returns nothing.
  // nullptr (with `error` set) when too many answers are outstanding.
  using Later = std::function<void(const Json& result, const mgmt::Error& error, bool failed)>;
  Later answer_later(mgmt::Error& error);
  // Sends a command; `done` runs once from tick() with the fast path's
  // verdict, or with an error after timeout_ms. False (error set, no
  // callback) if it could not be sent.
  using CommandDone = std::function<void(bool answered, api::CommandResult result, const mgmt::Error& error)>;
  bool send_command(api::Command c, int timeout_ms, CommandDone done, mgmt::Error& error);
  void expire_commands();
  void push_timers();
  void push_trunks();
  void check_qos();
  void push_soft_fault(uint8_t uplink, api::SoftFault reason, bool raise);
  void apply(const std::string& why);
  bool stats(api::StatsBody& out);  // fresh copy, false if no fast path
  std::string uplink_name(uint8_t index) const;
  int uplink_index(const std::string& name) const;  // -1 if unknown
  Json uplink_json(const config::UplinkConfig* cfg, const api::UplinkStatsWire* st, bool active, uint64_t now_ns) const;
  void count(Counter c, uint64_t n = 1) { counters_[size_t(c)] += n; }

  config::ConfigStore& store_;
  FastPath& fp_;
  Clock clock_;
  Log log_;
  int64_t started_wall_ms_ = 0;
  uint64_t started_ns_ = 0;
  uint64_t counters_[size_t(Counter::count_)] = {};
  std::deque<SwitchRecord> switches_;
  uint32_t command_seq_ = 1;
  uint32_t trunk_generation_ = 0;  // of the last trunk table sent (0: none)
  struct Awaited {
    uint64_t deadline_ns = 0;
    int timeout_ms = 0;
    CommandDone done;
  };
  std::map<uint32_t, Awaited> awaited_;  // command seq -> who waits for its verdict
  Json request_id_;                      // of the request being handled
  bool deferred_ = false;                // the command being handled answers later
  size_t outstanding_ = 0;               // deferred answers not given yet
  bool capture_command_pending_ = false; // capture start/stop sent, verdict not in yet
  bool event_seq_known_ = false;
  uint32_t last_event_seq_ = 0;
  std::unique_ptr<api::StatsBody> stats_buf_;
  char uplink_names_[api::kMaxUplinks][16] = {};  // from the last stats read
  bool have_names_ = false;
  QosWatch qos_;
  std::set<std::pair<std::string, api::SoftFault>> soft_faults_;  // set_soft_fault's, raised
  uint64_t last_qos_ns_ = 0;
  uint64_t capture_stop_sent_ns_ = 0;  // a bound was reached: stop sent, waiting for the fast path
};

}  // namespace tg::controld
