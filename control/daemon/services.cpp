#include "control/daemon/services.hpp"

#include <syslog.h>

#include "control/config/atomic_file.hpp"
#include "control/notify/setup.hpp"

namespace tg::controld {

using alarm::AlarmType;
using alarm::ManagedObject;
using alarm::ObjectKind;

namespace {

mgmt::Json alarm_json(const alarm::Alarm& a) {
  return {{"id", a.id},
          {"type", a.info().name},
          {"object", a.object.name},
          {"object_kind", alarm::object_kind_name(a.object.kind)},
          {"label", a.object.label},
          {"severity", alarm::severity_name(a.severity)},
          {"probable_cause", alarm::probable_cause_name(a.info().probable_cause)},
          {"specific_problem", a.info().specific_problem},
          {"text", a.text},
          {"calls_affected", a.calls_affected},
          {"raise_count", a.raise_count},
          {"raised", alarm::text::iso8601(a.raised_ms)},
          {"cleared", a.cleared_ms ? mgmt::Json(alarm::text::iso8601(a.cleared_ms)) : mgmt::Json(nullptr)},
          {"clear_text", a.clear_text}};
}

std::string parent_dir(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos || slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

void Services::open(const config::Config& c) {
  config_ = &c;
  std::string why;
  config::make_dirs(parent_dir(c.store.path), why);
  store_ok_ = store_.open({c.store.path, c.store.max_rows, c.store.max_size_mb, 100}, why);
  if (!store_ok_) {
    store_error_ = c.store.path + ": " + why;
    log_(LOG_ERR, "event store not available: " + store_error_);
  }
  notify::NotifyConfig nc;
  nc.box_name = c.box.name;
  if (c.snmp.enabled)
    for (const auto& t : c.snmp.targets) {
      notify::SnmpOptions o;
      o.version = c.snmp.version;
      o.community = c.snmp.community;
      o.user = c.snmp.user;
      o.security_level = c.snmp.security_level;
      o.auth_protocol = c.snmp.auth_protocol;
      o.auth_key = c.snmp.auth_key;
      o.priv_protocol = c.snmp.priv_protocol;
      o.priv_key = c.snmp.priv_key;
      o.engine_id = c.snmp.engine_id;
      o.target = t.host.find(':') != std::string::npos ? "[" + t.host + "]:" + std::to_string(t.port)
                                                        : t.host + ":" + std::to_string(t.port);
      o.inform = c.snmp.notification == "inform";
      o.timeout_ms = c.snmp.inform_timeout_ms;
      o.retries = c.snmp.inform_retries;
      o.persistent_dir = c.box.state_dir + "/snmp";
      nc.snmp.push_back(o);
    }
  if (c.email.enabled) {
    notify::SmtpOptions o;
    o.url = c.email.smtp_url;
    o.starttls = c.email.starttls;
    o.user = c.email.user;
    o.password = c.email.password;
    o.from = c.email.from;
    o.recipients = c.email.recipients;
    o.rate_limit_per_hour = c.email.rate_limit_per_hour;
    o.group_window_s = c.email.group_window_s;
    o.timeout_ms = c.email.timeout_ms;
    o.box_name = c.box.name;
    nc.email = o;
  }
  if (c.syslog.enabled) {
    notify::SyslogOptions o;
    o.remote = c.syslog.remote;
    o.facility = c.syslog.facility;
    o.app_name = c.syslog.app_name;
    nc.syslog = o;
  }
  queue_ = std::make_unique<notify::NotifyQueue>();
  config::make_dirs(c.box.state_dir, why);
  if (!queue_->open(c.box.state_dir + "/notify.db", why)) {
    notify_error_ = c.box.state_dir + "/notify.db: " + why;
    log_(LOG_ERR, "notification queue not available: " + notify_error_);
    queue_.reset();
  } else {
    dispatcher_ = std::make_unique<notify::Dispatcher>(*queue_, clock_);
    if (std::string e = notify::add_senders(*dispatcher_, nc); !e.empty()) {
      notify_error_ = e;
      log_(LOG_ERR, "notifications not sent: " + e);
    }
  }
  alarm::ManagerOptions mo;
  if (store_ok_) mo.first_id = store_.next_alarm_id();
  alarms_ = std::make_unique<alarm::AlarmManager>(clock_, mo,
                                                  [this](const alarm::AlarmNotification& n) { on_notification(n); });
  if (store_ok_) alarms_->restore_active(store_.active_alarms());
}

void Services::on_notification(const alarm::AlarmNotification& n) {
  log_(n.transition == alarm::Transition::cleared ? LOG_NOTICE : LOG_WARNING,
       std::string("alarm ") + alarm::transition_name(n.transition) + " [" + alarm::severity_name(n.severity()) +
           "] " + n.message());
  if (store_ok_) {
    if (auto report = store_.record_alarm(n)) log_(LOG_NOTICE, "fault report:\n" + store::to_text(*report));
  }
  if (dispatcher_) {
    std::string why;
    if (!dispatcher_->enqueue(n, why)) log_(LOG_ERR, "notification not queued: " + why);
  }
}

ManagedObject Services::uplink_object(const std::string& name) const {
  const config::UplinkConfig* u = config_ ? config_->uplink(name) : nullptr;
  return {ObjectKind::uplink, name, u ? u->carrier : ""};
}

void Services::on_uplink_state(const std::string& name, const ipc::UplinkStateEvent& e) {
  ManagedObject obj = uplink_object(name);
  struct Cause {
    uint8_t bit;
    AlarmType type;
    const char* detail;
  };
  static const Cause causes[] = {
      {ipc::kFault_link, AlarmType::uplink_link_down, "carrier lost"},
      {ipc::kFault_blackout, AlarmType::uplink_blackhole, "inbound RTP stopped on its calls, link up"},
      {ipc::kFault_probe, AlarmType::uplink_probe_loss, "consecutive probe rounds unanswered"},
  };
  bool down = e.to == ipc::UplinkState::down;
  for (const Cause& c : causes) {
    if (down && (e.fault_mask & c.bit)) {
      alarm::RaiseRequest r;
      r.type = c.type;
      r.object = obj;
      r.detail = c.detail;
      alarms_->raise(r);
    } else if (!(e.fault_mask & c.bit)) {
      alarms_->clear(c.type, obj, std::string("uplink ") + ipc::uplink_state_name(e.to));
    }
  }
  if (store_ok_) {
    store::Event ev;
    ev.time_ms = clock_();
    ev.kind = "uplink_state";
    ev.object = name;
    char faults[64];
    ev.text = name + ": " + ipc::uplink_state_name(e.from) + " -> " + ipc::uplink_state_name(e.to) + " (faults " +
              ipc::fault_mask_text(e.fault_mask, faults, sizeof faults) + ")";
    store_.record_event(ev);
  }
}

void Services::on_switch(const SwitchRecord& r) {
  auto label = [&](const std::string& n) {
    const config::UplinkConfig* u = config_ ? config_->uplink(n) : nullptr;
    return u ? u->carrier : std::string();
  };
  if (store_ok_) {
    store::FailoverRecord f;
    f.time_ms = r.wall_ms;
    f.from_uplink = r.from;
    f.to_uplink = r.to;
    f.from_label = label(r.from);
    f.to_label = label(r.to);
    f.reason = r.reason;
    f.detect_ms = r.detection_ms;
    f.switch_ms = r.switch_ms;
    f.total_ms = r.total_ms;
    f.calls_affected = r.calls_affected;
    store_.record_failover(f);
  }
  ManagedObject box{ObjectKind::box, config_ ? config_->box.name : "box", ""};
  if (r.to == "none") {
    alarm::RaiseRequest a;
    a.type = AlarmType::all_uplinks_down;
    a.object = box;
    a.detail = "no usable uplink after " + r.from + " (" + r.reason + ")";
    a.calls_affected = r.calls_affected;
    alarms_->raise(a);
    return;
  }
  alarms_->clear(AlarmType::all_uplinks_down, box, "traffic on " + r.to);
  // The fault that caused the switch gets the action in its text.
  std::optional<AlarmType> type;
  if (r.reason == "link_down") type = AlarmType::uplink_link_down;
  if (r.reason == "media_blackout") type = AlarmType::uplink_blackhole;
  if (r.reason == "probe_loss") type = AlarmType::uplink_probe_loss;
  if (type && r.from != "none") {
    alarm::RaiseRequest a;
    a.type = *type;
    a.object = uplink_object(r.from);
    a.detail = r.reason_text;
    a.action = alarm::text::switched_to(r.to, label(r.to), alarm::WallMs(r.total_ms + 0.5));
    a.calls_affected = r.calls_affected;
    alarms_->raise(a);
  }
}

void Services::install(Controller& ctl) {
  ctl.hooks.on_switch = [this](const SwitchRecord& r) { on_switch(r); };
  ctl.hooks.on_uplink_state = [this](const std::string& n, const ipc::UplinkStateEvent& e) { on_uplink_state(n, e); };
  ctl.hooks.on_config_rejected = [this](const std::string& first) {
    alarm::RaiseRequest a;
    a.type = AlarmType::config_rejected;
    a.object = {ObjectKind::box, config_ ? config_->box.name : "box", ""};
    a.detail = "reload rejected, running configuration kept: " + first;
    alarms_->raise(a);
  };
  ctl.hooks.on_config_applied = [this](const config::Config& c) {
    config_ = &c;
    alarms_->clear(AlarmType::config_rejected, {ObjectKind::box, c.box.name, ""}, "valid configuration applied");
  };
  ctl.hooks.on_qos = [this](const QosAction& q) {
    AlarmType type = q.kind == QosKind::latency ? AlarmType::uplink_latency
                     : q.kind == QosKind::loss  ? AlarmType::uplink_loss
                                                : AlarmType::uplink_jitter;
    ManagedObject obj = uplink_object(q.uplink);
    if (!q.raise) {
      alarms_->clear(type, obj, q.text);
      return;
    }
    alarm::RaiseRequest a;
    a.type = type;
    a.object = obj;
    a.detail = q.text;
    if (qos_kind_fails_over(q.kind)) a.action = "uplink marked degraded on the fast path (no traffic while another is clean)";
    alarms_->raise(a);
  };
  ctl.hooks.show_alarms = [this] {
    mgmt::Json list = mgmt::Json::array();
    for (const auto& a : alarms_->active()) list.push_back(alarm_json(a));
    return mgmt::Json{{"alarms", list}, {"storm", alarms_->in_storm()}};
  };
  if (store_ok_) {
    ctl.hooks.show_alarm_history = [this] {
      mgmt::Json list = mgmt::Json::array();
      for (const auto& r : store_.alarm_history(200))
        list.push_back({{"time", alarm::text::iso8601(r.time_ms)},
                        {"id", r.alarm_id},
                        {"transition", alarm::transition_name(r.transition)},
                        {"type", alarm::alarm_type_info(r.type).name},
                        {"object", r.object_name},
                        {"severity", alarm::severity_name(r.severity)},
                        {"text", r.text}});
      return mgmt::Json{{"history", list}};
    };
    ctl.hooks.fault_report = [this](int n) {
      mgmt::Json list = mgmt::Json::array();
      for (const auto& r : store_.fault_reports(size_t(n))) {
        mgmt::Json j = mgmt::Json::parse(store::to_json(r), nullptr, false);
        j["text"] = store::to_text(r);
        list.push_back(j);
      }
      mgmt::Json out{{"reports", list}};
      if (auto since = store_.open_fault_since()) out["fault_in_progress_since"] = alarm::text::iso8601(*since);
      return out;
    };
  }
}

void Services::tick() {
  alarm::WallMs now = clock_();
  if (now - last_pass_ms_ < 1000) return;
  last_pass_ms_ = now;
  alarms_->tick();
  // The fast path is expected once it has been seen; its loss is an alarm.
  ManagedObject box{ObjectKind::box, config_ ? config_->box.name : "box", ""};
  if (fp_.alive()) {
    fastpath_seen_ = true;
    if (fastpath_alarm_) alarms_->clear(AlarmType::fastpath_down, box, "fast path answering again");
    fastpath_alarm_ = false;
  } else if (fastpath_seen_ && !fastpath_alarm_) {
    alarm::RaiseRequest a;
    a.type = AlarmType::fastpath_down;
    a.object = box;
    a.detail = fp_.status();
    a.action = "forwarding state unknown; uplink figures frozen";
    alarms_->raise(a);
    fastpath_alarm_ = true;
  }
  if (dispatcher_) {
    // Senders may block up to their timeouts (SMTP, informs): deliveries go
    // about once a second, not on every loop round.
    auto pass = dispatcher_->run_once();
    for (const auto& e : pass.errors) log_(LOG_WARNING, "notification delivery: " + e);
  }
}

}  // namespace tg::controld
