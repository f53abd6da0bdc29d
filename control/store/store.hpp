// Event and call-record store (SQLite) of the control daemon:
//   events   every failover with its measured times, uplink/trunk state
//            changes, config and daemon events
//   alarms   every alarm notification (raise / change / clear)
//   calls    one record per call (CDR): from, to, trunk, uplink, times,
//            final code, MOS / loss / jitter per direction
//   faults   fault reports: one per fault episode, written when it recovers
// Bounded: each table keeps at most max_rows (oldest deleted first) and the
// file stays under max_size_mb (oldest 10 % of every table dropped, pages
// reclaimed). Exports (CSV / JSON) can select what was not exported yet, so
// records made while the uplinks were down go out once they are back.
//
// Typical use by tg-controld (single thread; Store is not thread-safe):
//   Store st;  StoreOptions o;  o.path = cfg.store.path;  ...;  st.open(o, err);
//   alarm manager sink:  if (auto report = st.record_alarm(n)) { console/log/notify(*report); }
//   on a switch event:   st.record_failover({...});
//   on call end:         st.record_call({...});
//   console "export":    ExportQuery q; q.only_unexported = q.mark_exported = true;
//                        st.export_calls(out, Format::csv, q);
// (Or use control/alarmsvc/AlarmService, which does all of this behind the daemon's Hooks.)
#pragma once
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "control/alarms/alarm.hpp"
#include "control/sqlite/sqlite.hpp"

namespace tg::store {

using alarm::WallMs;

struct StoreOptions {
  std::string path;
  int64_t max_rows = 200'000;    // per table
  int64_t max_size_mb = 64;
  int trim_every = 100;          // inserts between bound checks
};

// One row of the event log. Failovers fill the uplink/timing columns.
struct Event {
  int64_t id = 0;
  WallMs time_ms = 0;
  std::string kind;       // failover | uplink_state | trunk_state | config | daemon | ...
  std::string object;     // wan0, carrierA, box
  std::string text;       // one line for the NOC
  // failover only
  std::string from_uplink, to_uplink, reason;
  double detect_ms = -1;  // fault first seen -> decision (-1: not measured)
  double switch_ms = -1;  // decision -> traffic on the new uplink
  double total_ms = -1;   // fault first seen -> traffic on the new uplink
  uint32_t calls_affected = 0;
};

struct FailoverRecord {
  WallMs time_ms = 0;             // when traffic moved
  std::string from_uplink, to_uplink;
  std::string from_label, to_label;  // "Carrier A" (for the text)
  std::string reason;             // link_down, blackhole, probe_loss, latency, manual, ...
  double detect_ms = -1, switch_ms = -1, total_ms = -1;
  uint32_t calls_affected = 0;
};

// "traffic switched from wan0 (Carrier A) to wan1 (Carrier B) in 212 ms
// (blackhole; detection 180 ms, switch 32 ms); 12 calls affected"
std::string failover_text(const FailoverRecord& f);

struct StreamQuality {           // one direction of a call's media
  double mos = 0;                // 0: no media measured
  double loss_pct = 0;
  double jitter_ms = 0;
  uint64_t packets = 0;          // main stream
  uint64_t rtp_packets = 0;      // every RTP stream of the direction (DTMF on its own SSRC too)
  uint64_t dtmf_packets = 0;     // RFC 4733 telephone-event packets
  uint64_t dtmf_events = 0;      // digits
};

struct CallRecord {
  int64_t id = 0;
  std::string call_id;           // SIP Call-ID
  std::string from, to;          // URIs or numbers
  std::string trunk, uplink;
  WallMs start_ms = 0;           // INVITE
  WallMs answer_ms = 0;          // 200 OK, 0 if never answered
  WallMs end_ms = 0;             // BYE / final failure
  int final_code = 0;            // final SIP response to the INVITE (200, 486, 503, ...)
  std::string end_reason;        // "caller BYE", "callee BYE", "fault", "timeout", ...
  double pdd_ms = -1;            // post-dial delay
  StreamQuality outbound;        // LAN -> carrier
  StreamQuality inbound;         // carrier -> LAN
  bool exported = false;
  // From the fast path's per-call record (empty / -1 when not known).
  std::string direction;         // outbound (to the trunk) | inbound
  std::string state;             // tg::CallState name: ended, busy, failed, rejected, ...
  double srd_ms = -1;            // RFC 6076 session request delay
  std::string hangup;            // caller | callee | none
  int reason_cause = -1;         // Q.850 cause from Reason
  std::string transfer_kind;     // none | refer | redirect
  std::string transfer_result;   // pending | accepted | trying | succeeded | failed
  int transfer_code = 0;
  std::string transfer_target;
  std::string verdict;           // call diagnosis (control/diagnose verdict name)
  std::string diagnosis;         // its one-line explanation
  std::string raw;               // the fast path's record, hex (exact re-diagnosis)
  // Every uplink the call used: "wan0@<unix ms> wan1@<unix ms>" (from INVITE / each switch).
  std::string uplinks;
  int uplink_switches = 0;
  int bye_code = 0;              // final response to the BYE, 0 none seen
  WallMs ack_ms = 0;             // ACK of the answer, 0 none seen
  int ok_retransmissions = 0;    // the answer resent by the far end (its ACK lost)
  // Worst of the two directions (0 if no media).
  double worst_mos() const;
  // Failed for the fault report: no answer with a network / server cause
  // (busy, cancel and decline are the callee's choice, not a failure).
  bool failed() const;
};

struct AlarmRow {
  int64_t row = 0;
  WallMs time_ms = 0;
  uint64_t alarm_id = 0;
  alarm::Transition transition = alarm::Transition::raised;
  alarm::AlarmType type = alarm::AlarmType::alarm_storm;
  alarm::ObjectKind object_kind = alarm::ObjectKind::box;
  std::string object_name, object_label;
  alarm::Severity severity = alarm::Severity::indeterminate;  // as notified
  std::string text;
  uint32_t calls_affected = 0;
};

struct FaultReport {
  int64_t id = 0;
  WallMs start_ms = 0, end_ms = 0;
  WallMs duration_ms() const { return end_ms - start_ms; }
  std::vector<std::string> uplinks;   // uplinks that had a fault alarm or failed over
  std::vector<std::string> trunks;    // trunks that had a fault alarm
  uint32_t calls_affected = 0;        // calls up during the fault (CDR overlap, or failover counts)
  uint32_t calls_failed = 0;          // calls started during the fault that failed()
  double worst_mos = 0;               // worst MOS of calls up during the fault (0: none)
  std::string worst_mos_call;         // its Call-ID
  std::vector<std::string> actions;   // what the box did, in order ("traffic switched to ...")
  std::vector<std::string> alarms;    // alarm texts raised during the fault, in order
  std::vector<Event> failovers;
};
std::string to_json(const FaultReport& r);
std::string to_text(const FaultReport& r);  // for the console

enum class Format { csv, json };

struct ExportQuery {
  WallMs since_ms = 0;           // time >= since
  WallMs until_ms = INT64_MAX;   // time < until
  bool only_unexported = false;  // calls: rows not exported before
  bool mark_exported = false;    // calls: mark what was written
  int64_t limit = INT64_MAX;     // calls: at most this many rows (oldest first)
};

class Store {
 public:
  bool open(const StoreOptions& options, std::string& error);
  void close() { db_.close(); }
  bool is_open() const { return db_.is_open(); }
  std::string last_error() const { return last_error_; }

  // Writes; false (last_error) if the disk write failed.
  bool record_event(Event e);
  bool record_failover(const FailoverRecord& f);  // also an Event of kind "failover"
  bool record_call(const CallRecord& c);
  // Records an alarm notification. Also tracks fault episodes: the first
  // critical/major uplink, trunk or all-uplinks alarm opens one; when the
  // last of them clears the episode closes, its report is saved and
  // returned (once).
  std::optional<FaultReport> record_alarm(const alarm::AlarmNotification& n);

  // Reads.
  std::vector<Event> events(WallMs since_ms = 0, WallMs until_ms = INT64_MAX, size_t limit = 1000);
  std::vector<CallRecord> calls(WallMs since_ms = 0, WallMs until_ms = INT64_MAX, size_t limit = 1000);
  // Records of one Call-ID (a reused Call-ID gives several), oldest first.
  std::vector<CallRecord> calls_by_id(const std::string& call_id, size_t limit = 16);
  std::vector<AlarmRow> alarm_history(size_t limit = 1000);
  // Alarms active at the last notification, for AlarmManager::restore_active after a restart.
  std::vector<alarm::Alarm> active_alarms();
  uint64_t next_alarm_id();      // for ManagerOptions::first_id
  std::vector<FaultReport> fault_reports(size_t limit = 100);
  std::optional<WallMs> open_fault_since();  // fault in progress
  // Builds a report over [start, end) from what is stored (also used on close).
  FaultReport build_fault_report(WallMs start_ms, WallMs end_ms);

  // Exports; return rows written, -1 on a database error.
  int64_t export_calls(std::ostream& out, Format f, const ExportQuery& q = {});
  int64_t export_events(std::ostream& out, Format f, const ExportQuery& q = {});

  struct Counters {
    uint64_t trimmed_rows = 0;       // deleted by the row / size bounds
    uint64_t trimmed_unexported = 0; // calls deleted before they were exported
  };
  const Counters& counters() const { return counters_; }
  // Applies the bounds now (also done every trim_every inserts).
  void enforce_bounds();
  int64_t size_bytes();

 private:
  bool add_columns(std::string& error);
  bool fault_alarm(const alarm::AlarmNotification& n) const;
  void after_insert();
  std::optional<FaultReport> close_fault(WallMs end_ms);

  StoreOptions opt_;
  sql::Db db_;
  std::string last_error_;
  int inserts_ = 0;
  Counters counters_;
};

}  // namespace tg::store
