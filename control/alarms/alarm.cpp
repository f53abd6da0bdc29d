#include "control/alarms/alarm.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace tg::alarm {

namespace {

constexpr AlarmTypeInfo kTypes[] = {
#define TG_X(name, kind, et, pc, sev, text) \
  {#name, ObjectKind::kind, EventType::et, ProbableCause::pc, Severity::sev, text},
    TG_ALARM_TYPES(TG_X)
#undef TG_X
};
static_assert(std::size(kTypes) == kAlarmTypeCount);

}  // namespace

const AlarmTypeInfo& alarm_type_info(AlarmType t) {
  size_t i = size_t(t);
  return kTypes[i < kAlarmTypeCount ? i : size_t(AlarmType::alarm_storm)];
}

std::optional<AlarmType> alarm_type_from_name(std::string_view name) {
  for (size_t i = 0; i < kAlarmTypeCount; ++i)
    if (name == kTypes[i].name) return AlarmType(i);
  return std::nullopt;
}

const char* severity_name(Severity s) {
  switch (s) {
#define TG_X(name, value) \
  case Severity::name:    \
    return #name;
    TG_ALARM_SEVERITIES(TG_X)
#undef TG_X
  }
  return "indeterminate";
}

std::optional<Severity> severity_from_name(std::string_view name) {
#define TG_X(n, value) \
  if (name == #n) return Severity::n;
  TG_ALARM_SEVERITIES(TG_X)
#undef TG_X
  return std::nullopt;
}

const char* event_type_name(EventType e) {
  switch (e) {
#define TG_X(name, value) \
  case EventType::name:   \
    return #name;
    TG_ALARM_EVENT_TYPES(TG_X)
#undef TG_X
  }
  return "other";
}

const char* probable_cause_name(ProbableCause p) {
  switch (p) {
#define TG_X(name, value)   \
  case ProbableCause::name: \
    return #name;
    TG_ALARM_PROBABLE_CAUSES(TG_X)
#undef TG_X
  }
  return "other";
}

const char* object_kind_name(ObjectKind k) {
  switch (k) {
    case ObjectKind::uplink: return "uplink";
    case ObjectKind::trunk: return "trunk";
    case ObjectKind::box: return "box";
  }
  return "box";
}

std::optional<ObjectKind> object_kind_from_name(std::string_view n) {
  if (n == "uplink") return ObjectKind::uplink;
  if (n == "trunk") return ObjectKind::trunk;
  if (n == "box") return ObjectKind::box;
  return std::nullopt;
}

const char* transition_name(Transition t) {
  switch (t) {
    case Transition::raised: return "raised";
    case Transition::changed: return "changed";
    case Transition::cleared: return "cleared";
  }
  return "raised";
}

// ------------------------------------------------------------------ text

namespace text {

std::string duration(WallMs ms) {
  char b[48];
  if (ms < 0) ms = 0;
  if (ms < 1000) {
    snprintf(b, sizeof b, "%lld ms", (long long)ms);
  } else if (ms < 60'000) {
    // one decimal below 10 s, whole seconds above: enough for a NOC reader
    if (ms < 10'000)
      snprintf(b, sizeof b, "%lld.%lld s", (long long)(ms / 1000), (long long)(ms % 1000 / 100));
    else
      snprintf(b, sizeof b, "%lld s", (long long)(ms / 1000));
  } else if (ms < 3'600'000) {
    long long s = ms / 1000;
    if (s % 60)
      snprintf(b, sizeof b, "%lld min %lld s", s / 60, s % 60);
    else
      snprintf(b, sizeof b, "%lld min", s / 60);
  } else {
    long long m = ms / 60'000;
    if (m % 60)
      snprintf(b, sizeof b, "%lld h %lld min", m / 60, m % 60);
    else
      snprintf(b, sizeof b, "%lld h", m / 60);
  }
  return b;
}

std::string object(const ManagedObject& o) {
  std::string s = o.name.empty() ? std::string(object_kind_name(o.kind)) : o.name;
  if (!o.label.empty()) s += " (" + o.label + ")";
  return s;
}

std::string switched_to(std::string_view uplink, std::string_view label, WallMs took_ms) {
  std::string s = "traffic switched to ";
  s += uplink;
  if (!label.empty()) {
    s += " (";
    s += label;
    s += ")";
  }
  return s + " in " + duration(took_ms);
}

std::string calls_affected(uint32_t n) {
  return std::to_string(n) + (n == 1 ? " call affected" : " calls affected");
}

std::string compose(const ManagedObject& o, std::string_view problem, std::string_view detail,
                    std::string_view action, std::string_view impact) {
  std::string s = object(o);
  s += ' ';
  s += problem;
  if (!detail.empty()) {
    s += ": ";
    s += detail;
  }
  for (std::string_view part : {action, impact}) {
    if (part.empty()) continue;
    s += "; ";
    s += part;
  }
  return s;
}

std::string iso8601(WallMs ms) {
  time_t secs = time_t(ms / 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char b[80];  // sized for any int fields, to keep -Wformat-truncation quiet
  snprintf(b, sizeof b, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, int(ms % 1000));
  return b;
}

}  // namespace text

// --------------------------------------------------------------- manager

AlarmManager::AlarmManager(Clock clock, ManagerOptions options, AlarmSink sink)
    : clock_(std::move(clock)), opt_(options), sink_(std::move(sink)), next_id_(options.first_id) {
  if (next_id_ == 0) next_id_ = 1;
  if (opt_.storm_threshold < 2) opt_.storm_threshold = 2;
}

uint64_t AlarmManager::raise(const RaiseRequest& r) {
  const AlarmTypeInfo& info = alarm_type_info(r.type);
  WallMs now = clock_();
  Severity sev = r.severity.value_or(info.default_severity);
  if (sev == Severity::cleared) sev = info.default_severity;  // a raise never clears
  std::string impact = r.impact.empty() && r.calls_affected ? text::calls_affected(r.calls_affected)
                                                            : r.impact;
  std::string msg = text::compose(r.object, info.specific_problem, r.detail, r.action, impact);

  Key key{r.type, r.object.name};
  auto it = active_.find(key);
  if (it == active_.end()) {
    Alarm a;
    a.id = next_id_++;
    a.type = r.type;
    a.object = r.object;
    a.severity = sev;
    a.text = std::move(msg);
    a.calls_affected = r.calls_affected;
    a.raise_count = 1;
    a.raised_ms = a.changed_ms = now;
    it = active_.emplace(std::move(key), std::move(a)).first;
    ++counters_.raised;
    emit(Transition::raised, it->second, r.type == AlarmType::alarm_storm);
    return it->second.id;
  }

  Alarm& a = it->second;
  ++a.raise_count;
  a.changed_ms = now;
  a.text = std::move(msg);
  if (!r.object.label.empty()) a.object.label = r.object.label;
  a.calls_affected = std::max(a.calls_affected, r.calls_affected);
  if (a.severity != sev) {
    // X.733: a change of perceived severity is a new notification for the same alarm
    a.severity = sev;
    ++counters_.changed;
    emit(Transition::changed, a, r.type == AlarmType::alarm_storm);
  } else {
    ++counters_.deduplicated;
  }
  return a.id;
}

bool AlarmManager::clear(AlarmType type, const ManagedObject& object, std::string_view reason) {
  auto it = active_.find(Key{type, object.name});
  if (it == active_.end()) {
    ++counters_.clear_unknown;
    return false;
  }
  Alarm a = std::move(it->second);
  active_.erase(it);
  a.cleared_ms = clock_();
  a.clear_text = text::object(a.object) + " " + a.info().specific_problem + " cleared after " +
                 text::duration(a.cleared_ms - a.raised_ms);
  if (!reason.empty()) {
    a.clear_text += ": ";
    a.clear_text += reason;
  }
  ++counters_.cleared;
  emit(Transition::cleared, a, type == AlarmType::alarm_storm);
  return true;
}

size_t AlarmManager::clear_object(const ManagedObject& object, std::string_view reason) {
  std::vector<AlarmType> types;
  for (const auto& [key, a] : active_)
    if (a.object.kind == object.kind && a.object.name == object.name) types.push_back(a.type);
  for (AlarmType t : types) clear(t, object, reason);
  return types.size();
}

void AlarmManager::restore_active(const std::vector<Alarm>& alarms) {
  for (const Alarm& a : alarms) {
    if (!a.active()) continue;
    active_.insert_or_assign(Key{a.type, a.object.name}, a);
    next_id_ = std::max(next_id_, a.id + 1);
  }
}

void AlarmManager::tick() {
  WallMs now = clock_();
  while (!recent_.empty() && now - recent_.front() >= opt_.storm_window_ms) recent_.pop_front();
  if (storm_ && recent_.size() * 2 < opt_.storm_threshold &&
      now - storm_last_busy_ms_ >= opt_.storm_quiet_ms)
    end_storm(now);
}

void AlarmManager::emit(Transition t, const Alarm& a, bool storm_exempt) {
  WallMs now = a.cleared_ms ? a.cleared_ms : a.changed_ms;
  if (!storm_exempt) note_rate(now);  // may end a storm first (its clear goes out first)
  AlarmNotification n;
  n.seq = next_seq_++;
  n.transition = t;
  n.alarm = a;
  if (!storm_exempt) {
    if (storm_) {
      n.grouped = true;
      ++storm_grouped_;
      ++counters_.grouped;
    }
  }
  history_.push_back(n);
  while (history_.size() > opt_.history_limit) history_.pop_front();
  if (sink_) sink_(n);
  // The storm alarm goes out after the notification that tipped the rate over,
  // so the NOC sees the cause first and the storm marker next.
  if (!storm_exempt && !storm_ && recent_.size() >= opt_.storm_threshold) start_storm(now);
}

void AlarmManager::note_rate(WallMs now) {
  while (!recent_.empty() && now - recent_.front() >= opt_.storm_window_ms) recent_.pop_front();
  if (storm_ && recent_.size() * 2 < opt_.storm_threshold &&
      now - storm_last_busy_ms_ >= opt_.storm_quiet_ms)
    end_storm(now);
  recent_.push_back(now);
  if (storm_ && recent_.size() * 2 >= opt_.storm_threshold) storm_last_busy_ms_ = now;
}

void AlarmManager::start_storm(WallMs now) {
  storm_ = true;
  storm_started_ms_ = storm_last_busy_ms_ = now;
  storm_grouped_ = 0;
  ++counters_.storms;
  RaiseRequest r;
  r.type = AlarmType::alarm_storm;
  r.object = {ObjectKind::box, "box", ""};
  r.detail = std::to_string(recent_.size()) + " alarm notifications in " +
             text::duration(opt_.storm_window_ms);
  r.action = "e-mail grouped into digests until it calms down";
  raise(r);
}

void AlarmManager::end_storm(WallMs now) {
  storm_ = false;
  std::string reason = std::to_string(storm_grouped_) + " notifications grouped over " +
                       text::duration(now - storm_started_ms_);
  clear(AlarmType::alarm_storm, {ObjectKind::box, "box", ""}, reason);
}

std::vector<Alarm> AlarmManager::active() const {
  std::vector<Alarm> v;
  v.reserve(active_.size());
  for (const auto& [key, a] : active_) v.push_back(a);
  std::sort(v.begin(), v.end(), [](const Alarm& x, const Alarm& y) { return x.id < y.id; });
  return v;
}

const Alarm* AlarmManager::find_active(AlarmType type, std::string_view object_name) const {
  auto it = active_.find(Key{type, std::string(object_name)});
  return it == active_.end() ? nullptr : &it->second;
}

}  // namespace tg::alarm
