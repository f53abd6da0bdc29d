// Alarm model after ITU-T X.733 / RFC 3877 (ALARM-MIB): each alarm has an id,
// a managed object (uplink, trunk or the box), a perceived severity, an event
// type, a probable cause (IANA-ITU-ALARM-TC numbering, so the trap varbinds
// mean the same to any NOC) and a specific problem; it is raised and cleared.
//
// AlarmManager keeps the active-alarm list (one entry per type + object:
// repeated raises are deduplicated), a bounded history, and turns every
// state change into an AlarmNotification handed to a sink (the daemon wires
// the sink to the durable notification queue and the event store). During a
// storm (too many notifications in a window) notifications are still all
// recorded and passed on, marked `grouped` so mail can be digested, and an
// alarm_storm alarm tells the NOC what is happening.
//
// No I/O and no real clock in here: time comes from an injected Clock.
//
// Typical use by tg-controld:
//   AlarmManager am(clock, {}, [&](const AlarmNotification& n) { queue.enqueue(n); store.add(n); });
//   RaiseRequest r;  // (fill fields by name: -Wextra flags partial designated initializers)
//   r.type = AlarmType::uplink_blackhole;
//   r.object = {ObjectKind::uplink, "wan0", "Carrier A"};
//   r.detail = "no RTP on 12 calls for 180 ms";
//   r.action = text::switched_to("wan1", "Carrier B", 212);
//   r.calls_affected = 12;
//   am.raise(r);
//   ...
//   am.clear(AlarmType::uplink_blackhole, {ObjectKind::uplink, "wan0", "Carrier A"}, "RTP flowing again");
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tg::alarm {

using WallMs = int64_t;  // milliseconds since the Unix epoch (alarm times are wall-clock)
using Clock = std::function<WallMs()>;

// ITU perceived severity, values of ItuPerceivedSeverity (RFC 3877).
#define TG_ALARM_SEVERITIES(X) \
  X(cleared, 1)                \
  X(indeterminate, 2)          \
  X(critical, 3)               \
  X(major, 4)                  \
  X(minor, 5)                  \
  X(warning, 6)

enum class Severity : uint8_t {
#define TG_X(name, value) name = value,
  TG_ALARM_SEVERITIES(TG_X)
#undef TG_X
};

// X.733 event types, values of IANAItuEventType (RFC 3877).
#define TG_ALARM_EVENT_TYPES(X)            \
  X(other, 1)                              \
  X(communicationsAlarm, 2)                \
  X(qualityOfServiceAlarm, 3)              \
  X(processingErrorAlarm, 4)               \
  X(equipmentAlarm, 5)                     \
  X(environmentalAlarm, 6)

enum class EventType : uint8_t {
#define TG_X(name, value) name = value,
  TG_ALARM_EVENT_TYPES(TG_X)
#undef TG_X
};

// The probable causes we use, with their IANAItuProbableCause values.
#define TG_ALARM_PROBABLE_CAUSES(X)                \
  X(callSetUpFailure, 2)                           \
  X(lossOfSignal, 8)                               \
  X(unavailable, 14)                               \
  X(receiveFailure, 17)                            \
  X(lossOfRedundancy, 77)                          \
  X(storageCapacityProblem, 151)                   \
  X(excessiveErrorRate, 203)                       \
  X(excessiveResponseTime, 204)                    \
  X(congestion, 202)                               \
  X(communicationsProtocolError, 504)              \
  X(configurationOrCustomizationError, 506)        \
  X(performanceDegraded, 532)                      \
  X(queueSizeExceeded, 537)                        \
  X(softwareProgramAbnormallyTerminated, 545)      \
  X(thresholdCrossed, 549)                         \
  X(underlyingResourceUnavailable, 554)           \
  X(other, 1024)

enum class ProbableCause : uint16_t {
#define TG_X(name, value) name = value,
  TG_ALARM_PROBABLE_CAUSES(TG_X)
#undef TG_X
};

enum class ObjectKind : uint8_t { uplink = 1, trunk = 2, box = 3 };

// The thing an alarm is about: "wan0" (label "Carrier A"), "carrierA", "box".
struct ManagedObject {
  ObjectKind kind = ObjectKind::box;
  std::string name;   // configuration name, stable: the dedup key
  std::string label;  // human name shown next to it, may be empty
  bool operator==(const ManagedObject&) const = default;
};

// Every alarm the box can raise, declared once. Columns: name, object kind,
// event type, probable cause, default severity, specific problem (the text
// that says what happened; also the ALARM-MIB "specific problem").
#define TG_ALARM_TYPES(X)                                                                          \
  X(uplink_link_down, uplink, communicationsAlarm, lossOfSignal, critical, "link down")            \
  X(uplink_blackhole, uplink, communicationsAlarm, receiveFailure, critical, "silent blackhole")   \
  X(uplink_probe_loss, uplink, communicationsAlarm, lossOfSignal, major, "probes lost")            \
  X(uplink_latency, uplink, qualityOfServiceAlarm, excessiveResponseTime, major, "latency high")   \
  X(uplink_jitter, uplink, qualityOfServiceAlarm, performanceDegraded, minor, "jitter high")       \
  X(uplink_loss, uplink, qualityOfServiceAlarm, excessiveErrorRate, major, "packet loss high")     \
  X(uplink_mos, uplink, qualityOfServiceAlarm, performanceDegraded, major, "voice quality low")    \
  X(uplink_delay, uplink, qualityOfServiceAlarm, excessiveResponseTime, major, "one-way delay high") \
  X(trunk_down, trunk, communicationsAlarm, unavailable, critical, "SIP trunk unreachable")        \
  X(trunk_sip_errors, trunk, communicationsAlarm, communicationsProtocolError, major,               \
    "SIP error responses")                                                                         \
  X(trunk_congestion, trunk, qualityOfServiceAlarm, congestion, minor, "carrier congestion (busy)") \
  X(trunk_asr_low, trunk, qualityOfServiceAlarm, callSetUpFailure, major, "call answer ratio low") \
  X(all_uplinks_down, box, communicationsAlarm, underlyingResourceUnavailable, critical,           \
    "all uplinks down")                                                                            \
  X(no_redundancy, box, communicationsAlarm, lossOfRedundancy, major, "no backup uplink")          \
  X(fastpath_down, box, processingErrorAlarm, softwareProgramAbnormallyTerminated, critical,        \
    "fast path not running")                                                                       \
  X(config_rejected, box, processingErrorAlarm, configurationOrCustomizationError, warning,         \
    "configuration rejected")                                                                      \
  X(store_full, box, processingErrorAlarm, storageCapacityProblem, minor, "event store full")      \
  X(notify_backlog, box, processingErrorAlarm, queueSizeExceeded, minor,                            \
    "notifications waiting for a receiver")                                                        \
  X(alarm_storm, box, processingErrorAlarm, thresholdCrossed, warning, "alarm storm")              \
  X(watchdog_reset, box, processingErrorAlarm, softwareProgramAbnormallyTerminated, major,          \
    "restarted by the hardware watchdog")                                                          \
  X(data_recreated, box, processingErrorAlarm, configurationOrCustomizationError, major,            \
    "data partition re-created from factory defaults")                                             \
  X(notify_test, box, other, other, warning, "test notification")

enum class AlarmType : uint16_t {
#define TG_X(name, kind, et, pc, sev, text) name,
  TG_ALARM_TYPES(TG_X)
#undef TG_X
      count_
};
constexpr size_t kAlarmTypeCount = size_t(AlarmType::count_);

struct AlarmTypeInfo {
  const char* name;              // "uplink_blackhole"
  ObjectKind object_kind;
  EventType event_type;
  ProbableCause probable_cause;
  Severity default_severity;
  const char* specific_problem;  // "silent blackhole"
};
const AlarmTypeInfo& alarm_type_info(AlarmType);
std::optional<AlarmType> alarm_type_from_name(std::string_view);

const char* severity_name(Severity);
std::optional<Severity> severity_from_name(std::string_view);
const char* event_type_name(EventType);
const char* probable_cause_name(ProbableCause);
const char* object_kind_name(ObjectKind);
std::optional<ObjectKind> object_kind_from_name(std::string_view);

// One alarm instance: from raise to clear. `id` is unique per instance.
struct Alarm {
  uint64_t id = 0;
  AlarmType type = AlarmType::alarm_storm;
  ManagedObject object;
  Severity severity = Severity::indeterminate;  // last non-cleared severity
  std::string text;              // what, where, impact, action (last raise)
  std::string clear_text;        // set when cleared
  uint32_t calls_affected = 0;   // largest value reported while active
  uint32_t raise_count = 0;      // raises folded into this instance (dedup)
  WallMs raised_ms = 0;
  WallMs changed_ms = 0;         // last raise/update
  WallMs cleared_ms = 0;         // 0 while active
  bool active() const { return cleared_ms == 0; }
  const AlarmTypeInfo& info() const { return alarm_type_info(type); }
};

enum class Transition : uint8_t { raised = 1, changed = 2, cleared = 3 };
const char* transition_name(Transition);

// What the sink receives on every state change.
struct AlarmNotification {
  uint64_t seq = 0;          // notification sequence (monotonic per manager)
  Transition transition = Transition::raised;
  Alarm alarm;               // snapshot after the change
  bool grouped = false;      // emitted during a storm: senders may digest it
  // Severity as sent: Severity::cleared for a clear (X.733), else alarm.severity.
  Severity severity() const { return transition == Transition::cleared ? Severity::cleared : alarm.severity; }
  // The one line a NOC reads (raise text, or the clear text).
  const std::string& message() const { return transition == Transition::cleared ? alarm.clear_text : alarm.text; }
};
using AlarmSink = std::function<void(const AlarmNotification&)>;

struct RaiseRequest {
  AlarmType type = AlarmType::alarm_storm;
  ManagedObject object;
  std::string detail;        // measured facts: "no RTP on 12 calls for 180 ms"
  std::string action;        // what the box did: "traffic switched to wan1 (Carrier B) in 212 ms"
  std::string impact;        // empty: "N calls affected" from calls_affected (if > 0)
  uint32_t calls_affected = 0;
  std::optional<Severity> severity;  // default from the type table
};

struct ManagerOptions {
  size_t history_limit = 1000;     // notifications kept in history(), oldest dropped
  uint32_t storm_threshold = 20;   // notifications in storm_window_ms that start a storm
  WallMs storm_window_ms = 10000;
  WallMs storm_quiet_ms = 30000;   // storm ends after this long below threshold / 2
  uint64_t first_id = 1;           // the store's next id after a restart
};

class AlarmManager {
 public:
  AlarmManager(Clock clock, ManagerOptions options, AlarmSink sink);

  // Raise (or refresh) the alarm for type+object. A new instance notifies
  // `raised`; a raise of an active alarm is deduplicated (count, text and
  // calls updated, no notification) unless its severity changes (`changed`).
  // Returns the alarm id.
  uint64_t raise(const RaiseRequest& request);
  // Clear the active alarm for type+object; false if none was active.
  bool clear(AlarmType type, const ManagedObject& object, std::string_view reason = {});
  // Clear every active alarm of one object (uplink removed from config, ...).
  size_t clear_object(const ManagedObject& object, std::string_view reason);

  // Put alarms that were active before a restart back into the active list
  // without notifying again (they were notified before).
  void restore_active(const std::vector<Alarm>& alarms);

  // Periodic: ends a storm once it has been quiet long enough. Call ~1/s.
  void tick();

  std::vector<Alarm> active() const;                    // sorted by id
  const Alarm* find_active(AlarmType type, std::string_view object_name) const;
  // Every notification so far (bounded by history_limit), oldest first.
  const std::deque<AlarmNotification>& history() const { return history_; }
  bool in_storm() const { return storm_; }
  uint64_t next_id() const { return next_id_; }

  struct Counters {
    uint64_t raised = 0, changed = 0, cleared = 0, deduplicated = 0, clear_unknown = 0;
    uint64_t grouped = 0, storms = 0;
  };
  const Counters& counters() const { return counters_; }

 private:
  using Key = std::pair<AlarmType, std::string>;
  void emit(Transition t, const Alarm& a, bool storm_exempt = false);
  void note_rate(WallMs now);
  void start_storm(WallMs now);
  void end_storm(WallMs now);

  Clock clock_;
  ManagerOptions opt_;
  AlarmSink sink_;
  std::map<Key, Alarm> active_;
  std::deque<AlarmNotification> history_;
  std::deque<WallMs> recent_;  // notification times within the storm window
  uint64_t next_id_;
  uint64_t next_seq_ = 1;
  bool storm_ = false;
  WallMs storm_started_ms_ = 0;
  WallMs storm_last_busy_ms_ = 0;
  uint64_t storm_grouped_ = 0;
  Counters counters_;
};

// Small helpers so every caller words the same things the same way.
namespace text {
std::string duration(WallMs ms);  // "180 ms", "2.4 s", "5 min 3 s", "2 h 5 min"
std::string object(const ManagedObject& o);  // "wan0 (Carrier A)" or "wan0"
std::string switched_to(std::string_view uplink, std::string_view label, WallMs took_ms);
std::string calls_affected(uint32_t n);  // "12 calls affected", "1 call affected"
// "wan0 (Carrier A) silent blackhole: DETAIL; ACTION; IMPACT" (empty parts skipped)
std::string compose(const ManagedObject& o, std::string_view problem, std::string_view detail,
                    std::string_view action, std::string_view impact);
std::string iso8601(WallMs ms);  // "2026-11-23T10:12:34.123Z"
}  // namespace text

}  // namespace tg::alarm
