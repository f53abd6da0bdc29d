#include "control/daemon/services.hpp"

#include <syslog.h>

namespace tg::controld {

using alarm::AlarmType;
using alarm::ManagedObject;
using alarm::ObjectKind;

Services::Services(FastPath& fp, alarm::Clock wall_ms, Log log)
    : fp_(fp), clock_(wall_ms), log_(log), svc_(std::move(wall_ms), std::move(log)) {}

bool Services::open(const config::Config& c) {
  for (const auto& u : c.uplinks) labels_[u.name] = u.carrier;
  ok_ = svc_.start(alarmsvc::options_from(c), error_);
  if (!ok_) log_(LOG_ERR, "alarms, event store and notifications not available: " + error_);
  return ok_;
}

namespace {
// The event store's record of a switch the controller reported.
store::FailoverRecord failover_record(const SwitchRecord& r) {
  store::FailoverRecord f;
  f.time_ms = r.wall_ms;
  f.from_uplink = r.from == "none" ? "" : r.from;
  f.to_uplink = r.to == "none" ? "" : r.to;
  f.reason = r.reason;
  f.detect_ms = r.detection_ms > 0 ? r.detection_ms : -1;
  f.switch_ms = r.switch_ms;
  f.total_ms = r.total_ms;
  f.calls_affected = r.calls_affected;
  return f;
}
}  // namespace

void Services::install(Controller& ctl) {
  if (!ok_) return;
  Hooks& h = ctl.hooks;
  h.on_switch = [this](const SwitchRecord& r) { svc_.on_switch(failover_record(r)); };
  h.on_uplink_state = [this](const std::string& u, const api::UplinkStateEvent& e) {
    svc_.on_uplink_state(u, api::uplink_state_name(e.from), api::uplink_state_name(e.to), e.fault_mask);
  };
  h.on_config_rejected = [this](const std::string& first_error) { svc_.on_config_rejected(first_error); };
  h.on_config_applied = [this](const config::Config& c) {
    labels_.clear();
    for (const auto& u : c.uplinks) labels_[u.name] = u.carrier;
    svc_.on_config_applied(c);
  };
  h.show_alarms = [this] { return svc_.show_alarms(); };
  h.show_alarm_history = [this] { return svc_.show_alarm_history(); };
  h.alarm_counters = [this] { return svc_.counters_json(); };
  h.fault_report = [this](int n) { return svc_.fault_reports(n); };
  ctl.hooks.on_qos = [this](const QosAction& q) { on_qos(q); };
}

void Services::on_qos(const QosAction& q) {
  // Switch levels move traffic (the controller's soft fault); the failover
  // itself is reported by on_switch. Alarms follow the alarm levels.
  const std::optional<AlarmType> type = qos_kind_effect(q.kind).alarm;
  if (!type) return;
  auto label = labels_.find(q.uplink);
  ManagedObject obj{ObjectKind::uplink, q.uplink, label == labels_.end() ? "" : label->second};
  if (!q.raise) {
    svc_.alarms().clear(*type, obj, q.text);
    return;
  }
  alarm::RaiseRequest r;
  r.type = *type;
  r.object = obj;
  r.detail = q.text;
  svc_.alarms().raise(r);
}

void Services::tick() {
  if (!ok_) return;
  alarm::WallMs now = clock_();
  if (now - last_tick_ms_ < 1000) return;
  last_tick_ms_ = now;
  svc_.tick();
  for (const auto& report : svc_.take_new_fault_reports()) log_(LOG_NOTICE, "fault report:\n" + store::to_text(report));
  // The fast path is expected once it has been seen; losing it is an alarm.
  const ManagedObject box{ObjectKind::box, "box", ""};
  if (fp_.alive()) {
    fastpath_seen_ = true;
    if (fastpath_alarm_) svc_.alarms().clear(AlarmType::fastpath_down, box, "fast path answering again");
    fastpath_alarm_ = false;
  } else if (fastpath_seen_ && !fastpath_alarm_) {
    alarm::RaiseRequest a;
    a.type = AlarmType::fastpath_down;
    a.object = box;
    a.detail = fp_.status();
    a.action = "uplink figures frozen until it is back";
    svc_.alarms().raise(a);
    fastpath_alarm_ = true;
  }
}

}  // namespace tg::controld
