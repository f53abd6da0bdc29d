#include "control/alarmsvc/alarm_service.hpp"

#include <syslog.h>

#include <algorithm>
#include <chrono>

#include "dataplane/api/uplink.hpp"

namespace tg::alarmsvc {

namespace al = tg::alarm;

namespace {

// The hard faults the fast path decides, as switch reasons and fault bits
// (link first: with several bits the carrier is the cause).
struct Cause {
  const char* reason;
  uint8_t fault_bit;
  al::AlarmType type;
  const char* what;
};
constexpr Cause kCauses[] = {
    {"link_down", api::kFault_link, al::AlarmType::uplink_link_down, "carrier lost"},
    {"probe_loss", api::kFault_probe, al::AlarmType::uplink_probe_loss, "probe rounds unanswered"},
    {"media_blackout", api::kFault_blackout, al::AlarmType::uplink_blackhole, "inbound RTP stopped on its calls"},
};

const Cause* cause_of_faults(uint8_t fault_mask) {
  for (const Cause& c : kCauses)
    if (fault_mask & c.fault_bit) return &c;
  return nullptr;
}

const Cause* cause_of_type(al::AlarmType t) {
  for (const Cause& c : kCauses)
    if (c.type == t) return &c;
  return nullptr;
}

// A switch event arrives in the same fast-path pass as the state event;
// this long without one, the uplink's traffic had nowhere to go.
constexpr al::WallMs kSwitchWaitMs = 1000;

}  // namespace

ServiceOptions options_from(const config::Config& c) {
  ServiceOptions o;
  o.store.path = c.store.path.empty() ? "/var/lib/trunkguard/store.db" : c.store.path;
  if (c.store.max_rows > 0) o.store.max_rows = c.store.max_rows;
  if (c.store.max_size_mb > 0) o.store.max_size_mb = c.store.max_size_mb;
  if (c.store.notify_retention_h > 0) o.delivered_retention_ms = c.store.notify_retention_h * 3600 * 1000;
  size_t slash = o.store.path.rfind('/');
  o.queue_path = (slash == std::string::npos ? std::string(".") : o.store.path.substr(0, slash)) + "/notify.db";

  notify::NotifyConfig& n = o.notify;
  n.box_name = c.box.name.empty() ? "trunkguard" : c.box.name;
  if (c.snmp.enabled) {
    for (const config::SnmpTarget& t : c.snmp.targets) {
      notify::SnmpOptions s;
      s.version = c.snmp.version;
      s.community = c.snmp.community;
      s.user = c.snmp.user;
      s.security_level = c.snmp.security_level;
      s.auth_protocol = c.snmp.auth_protocol;
      s.auth_key = c.snmp.auth_key;
      s.priv_protocol = c.snmp.priv_protocol;
      s.priv_key = c.snmp.priv_key;
      s.engine_id = c.snmp.engine_id;
      s.target = t.host + ":" + std::to_string(t.port);
      s.inform = c.snmp.notification == "inform";
      if (c.snmp.inform_timeout_ms > 0) s.timeout_ms = c.snmp.inform_timeout_ms;
      s.retries = c.snmp.inform_retries;
      n.snmp.push_back(s);
    }
  }
  if (c.email.enabled) {
    notify::SmtpOptions m;
    m.url = c.email.smtp_url;
    m.starttls = c.email.starttls.empty() ? "required" : c.email.starttls;
    m.user = c.email.user;
    m.password = c.email.password;
    m.from = c.email.from;
    m.recipients = c.email.recipients;
    if (c.email.rate_limit_per_hour > 0) m.rate_limit_per_hour = c.email.rate_limit_per_hour;
    m.group_window_s = c.email.group_window_s;
    if (c.email.timeout_ms > 0) m.timeout_ms = c.email.timeout_ms;
    m.box_name = n.box_name;
    n.email = m;
  }
  if (c.syslog.enabled) {
    notify::SyslogOptions s;
    s.remote = c.syslog.remote;
    if (!c.syslog.facility.empty()) s.facility = c.syslog.facility;
    if (!c.syslog.app_name.empty()) s.app_name = c.syslog.app_name;
    n.syslog = s;
  }
  for (const config::UplinkConfig& u : c.uplinks) {
    o.uplink_labels[u.name] = u.carrier;
    if (u.enabled) o.uplinks.push_back(u.name);
  }
  return o;
}

AlarmService::AlarmService(al::Clock wall_ms, Log log) : clock_(std::move(wall_ms)), log_(std::move(log)) {}

AlarmService::~AlarmService() { stop(); }

bool AlarmService::start(const ServiceOptions& o, std::string& error) {
  opt_ = o;
  if (!store_.open(o.store, error)) return false;
  queue_.set_backoff(o.backoff);
  if (!queue_.open(o.queue_path, error)) return false;
  al::ManagerOptions mo = o.manager;
  mo.first_id = std::max({mo.first_id, store_.next_alarm_id(), queue_.max_alarm_id() + 1});
  manager_ = std::make_unique<al::AlarmManager>(clock_, mo, [this](const al::AlarmNotification& n) { sink(n); });
  manager_->restore_active(store_.active_alarms());
  reconfigure(o);
  if (o.deliver) thread_ = std::thread([this] { delivery_loop(); });
  started_ = true;
  return true;
}

void AlarmService::stop() {
  if (!started_) return;
  stop_ = true;
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  started_ = false;
}

void AlarmService::reconfigure(const ServiceOptions& o) {
  auto d = std::make_unique<notify::Dispatcher>(queue_, clock_);
  if (std::string bad = notify::add_senders(*d, o.notify); !bad.empty()) {
    // keep the previous receivers: the config loader should have refused this
    log_(LOG_ERR, "alarm receivers not changed: " + bad);
    return;
  }
  std::unique_ptr<notify::SyslogSender> events;
  if (o.notify.syslog) events = std::make_unique<notify::SyslogSender>(*o.notify.syslog);
  std::vector<std::string> channels = d->channels();
  {
    std::lock_guard lock(mu_);
    channels_ = channels;
    next_dispatcher_ = std::move(d);  // the delivery thread picks them up between passes
    next_event_syslog_ = std::move(events);
    event_syslog_changed_ = true;
    opt_.delivered_retention_ms = o.delivered_retention_ms;
  }
  opt_.notify = o.notify;
  opt_.uplink_labels = o.uplink_labels;
  opt_.uplinks = o.uplinks;
  if (!thread_.joinable()) {  // no delivery thread (yet): take them over in place
    dispatcher_ = std::move(next_dispatcher_);
    event_syslog_ = std::move(next_event_syslog_);
    event_syslog_changed_ = false;
    drop_removed(channels);
  }
  wake_.notify_all();
}

void AlarmService::on_config_applied(const config::Config& c) {
  const al::ManagedObject box{al::ObjectKind::box, "box", ""};
  if (manager_->find_active(al::AlarmType::config_rejected, "box"))
    manager_->clear(al::AlarmType::config_rejected, box, "a valid configuration was applied");
  reconfigure(options_from(c));
}

// A receiver removed from the configuration will never take what waits for
// it: dropped and counted, so notify_backlog can clear.
void AlarmService::drop_removed(const std::vector<std::string>& channels) {
  size_t n = queue_.drop_channels_except(channels);
  if (!n) return;
  bump(Counter::removed_receiver_dropped, n);
  log_(LOG_NOTICE, "alarm delivery: " + std::to_string(n) +
                       " waiting notifications dropped: their receiver is no longer configured");
}

al::ManagedObject AlarmService::uplink_object(const std::string& name) const {
  auto it = opt_.uplink_labels.find(name);
  return {al::ObjectKind::uplink, name, it == opt_.uplink_labels.end() ? std::string() : it->second};
}

void AlarmService::log_event(int severity, const std::string& msgid, const std::string& object,
                             const std::string& text) {
  if (!opt_.notify.syslog) return;
  EventLine line{clock_(), severity, msgid, object, text};
  if (!thread_.joinable()) return send_events(event_syslog_.get(), {line});
  {
    std::lock_guard lock(mu_);
    if (handover_.events.size() < kMaxHandover) {
      handover_.events.push_back(std::move(line));
      line.text.clear();
    }
  }
  if (!line.text.empty()) {
    bump(Counter::events_dropped);
    return;
  }
  wake_.notify_all();
}

void AlarmService::send_events(notify::SyslogSender* sender, const std::vector<EventLine>& events) {
  if (!sender) return;
  for (const EventLine& e : events) {
    std::string error;
    if (!sender->log_event(e.time_ms, e.severity, e.msgid, e.object, e.text, error)) log_(LOG_DEBUG, "syslog: " + error);
  }
}

void AlarmService::write_notices(Handover& h) {
  for (auto& [notice, channels] : h.notices) {
    std::string error;
    if (!queue_.enqueue(notice, channels, clock_(), error)) log_(LOG_ERR, "notification queue: " + error);
  }
}

// Delivered rows older than the retention go (every kPurgeEveryMs): the
// queue on flash stays bounded.
void AlarmService::purge_if_due(al::WallMs now, al::WallMs retention) {
  if (now < next_purge_ms_) return;
  next_purge_ms_ = now + kPurgeEveryMs;
  if (size_t n = queue_.purge_delivered(now - retention)) bump(Counter::delivered_purged, n);
}

void AlarmService::publish_backlog() {
  std::vector<notify::ChannelStatus> b = queue_.backlog();
  std::lock_guard lock(mu_);
  backlog_ = std::move(b);
}

nlohmann::json AlarmService::counters_json() const {
  static constexpr const char* kNames[] = {
#define TG_X(name, text) #name,
      TG_ALARMSVC_COUNTERS(TG_X)
#undef TG_X
  };
  nlohmann::json j = nlohmann::json::object();
  for (size_t i = 0; i < size_t(Counter::count_); ++i) j[kNames[i]] = counters_[i].load();
  return j;
}

void AlarmService::on_switch(store::FailoverRecord f) {
  const std::string from = f.from_uplink, to = f.to_uplink;
  if (!f.time_ms) f.time_ms = clock_();
  f.from_label = uplink_object(from).label;
  f.to_label = uplink_object(to).label;
  const store::FailoverRecord& r = f;
  if (!store_.record_failover(f)) log_(LOG_ERR, "event store: " + store_.last_error());
  bool initial = r.reason.rfind("initial", 0) == 0;
  log_event(initial ? LOG_INFO : LOG_WARNING, "FAILOVER", from.empty() ? to : from, store::failover_text(f));

  active_ = to;
  // The alarm of the uplink that failed, raised here rather than at its
  // state event so that its first notification names the switch.
  const Cause* cause = nullptr;
  for (const Cause& c : kCauses)
    if (!from.empty() && r.reason.rfind(c.reason, 0) == 0) cause = &c;
  auto pending = pending_.find(from);
  if (!cause && pending != pending_.end()) cause = cause_of_type(pending->second.type);
  if (pending != pending_.end()) pending_.erase(pending);
  if (cause) {
    const Cause& c = *cause;
    al::RaiseRequest rq;
    rq.type = c.type;
    rq.object = uplink_object(from);
    rq.detail = c.what;
    if (r.detect_ms > 0) rq.detail += ", detected in " + al::text::duration(al::WallMs(r.detect_ms + 0.5));
    rq.action = to.empty() ? "no uplink left to switch to"
                           : al::text::switched_to(to, uplink_object(to).label, al::WallMs(r.total_ms + 0.5));
    rq.calls_affected = r.calls_affected;
    manager_->raise(rq);
  }
  if (!to.empty() && manager_->find_active(al::AlarmType::all_uplinks_down, "box"))
    manager_->clear(al::AlarmType::all_uplinks_down, {al::ObjectKind::box, "box", ""},
                    "traffic on " + al::text::object(uplink_object(to)));
  if (to.empty() && !from.empty()) {
    al::RaiseRequest rq;
    rq.type = al::AlarmType::all_uplinks_down;
    rq.object = {al::ObjectKind::box, "box", ""};
    rq.detail = "last uplink " + al::text::object(uplink_object(from)) + " failed (" + r.reason + ")";
    rq.action = "calls cannot reach any carrier";
    rq.calls_affected = r.calls_affected;
    manager_->raise(rq);
  }
}

void AlarmService::on_uplink_state(const std::string& uplink, const std::string& from, const std::string& to,
                                   uint8_t fault_mask) {
  state_[uplink] = to;
  log_event(to == "down" ? LOG_WARNING : LOG_NOTICE, "UPLINK", uplink,
            al::text::object(uplink_object(uplink)) + " " + from + " -> " + to);
  // The alarm follows the published state: raised while down with a hard
  // fault (flaps and hold-down are the fast path's business), cleared when
  // it leaves down. Soft faults are the control daemon's own alarms.
  if (to == "down" && from != "down") {
    if (const Cause* c = cause_of_faults(fault_mask & api::kHardFaults)) {
      if (active_ == uplink || active_.empty())
        pending_[uplink] = {c->type, clock_()};  // its switch follows
      else
        raise_standby_fault(uplink, c->type);
    }
  }
  if (to != "down") pending_.erase(uplink);
  if (from == "down" && to != "down" && to != "admin_down") {
    for (al::AlarmType t : {al::AlarmType::uplink_link_down, al::AlarmType::uplink_probe_loss,
                            al::AlarmType::uplink_blackhole})
      if (manager_->find_active(t, uplink)) manager_->clear(t, uplink_object(uplink), "uplink " + to);
  }
  update_redundancy();
}

void AlarmService::raise_standby_fault(const std::string& uplink, al::AlarmType type) {
  al::RaiseRequest rq;
  rq.type = type;
  rq.object = uplink_object(uplink);
  rq.detail = cause_of_type(type)->what;
  rq.action = active_.empty() ? std::string("standby uplink, not carrying traffic")
                              : "standby uplink, traffic stays on " + al::text::object(uplink_object(active_));
  rq.impact = "no traffic affected; no failover to it until it recovers";
  rq.severity = al::Severity::major;  // a lost backup, not a service outage
  manager_->raise(rq);
}

void AlarmService::raise_pending_faults(al::WallMs now) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (now - it->second.since_ms < kSwitchWaitMs) {
      ++it;
      continue;
    }
    const Cause& c = *cause_of_type(it->second.type);
    if (active_ != it->first) {
      raise_standby_fault(it->first, c.type);
    } else {
      al::RaiseRequest rq;
      rq.type = c.type;
      rq.object = uplink_object(it->first);
      rq.detail = c.what;
      rq.action = "no usable uplink to switch to, traffic stays on it";
      manager_->raise(rq);
    }
    it = pending_.erase(it);
  }
}

void AlarmService::on_config_rejected(const std::string& first_error) {
  al::RaiseRequest rq;
  rq.type = al::AlarmType::config_rejected;
  rq.object = {al::ObjectKind::box, "box", ""};
  rq.detail = first_error;
  rq.action = "running configuration kept";
  manager_->raise(rq);
}

void AlarmService::update_redundancy() {
  std::vector<std::string> usable, down;
  for (const std::string& u : opt_.uplinks) {
    auto it = state_.find(u);
    bool is_down = it != state_.end() && (it->second == "down" || it->second == "admin_down");
    (is_down ? down : usable).push_back(u);
  }
  const al::ManagedObject box{al::ObjectKind::box, "box", ""};
  auto names = [&](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& u : v) s += (s.empty() ? "" : ", ") + al::text::object(uplink_object(u));
    return s;
  };
  if (!opt_.uplinks.empty() && usable.empty()) {
    if (!manager_->find_active(al::AlarmType::all_uplinks_down, "box")) {
      al::RaiseRequest rq;
      rq.type = al::AlarmType::all_uplinks_down;
      rq.object = box;
      rq.detail = names(down) + " down";
      rq.action = "calls cannot reach any carrier";
      manager_->raise(rq);
    }
  } else if (manager_->find_active(al::AlarmType::all_uplinks_down, "box")) {
    manager_->clear(al::AlarmType::all_uplinks_down, box, names(usable) + " usable again");
  }
  if (opt_.uplinks.size() > 1 && usable.size() == 1) {
    al::RaiseRequest rq;
    rq.type = al::AlarmType::no_redundancy;
    rq.object = box;
    rq.detail = names(down) + " down; only " + names(usable) + " left";
    manager_->raise(rq);  // deduplicated while it stays
  } else if (manager_->find_active(al::AlarmType::no_redundancy, "box") && usable.size() != 1) {
    if (usable.size() > 1) manager_->clear(al::AlarmType::no_redundancy, box, names(usable) + " usable");
  }
}

void AlarmService::sink(const al::AlarmNotification& n) {
  if (auto report = store_.record_alarm(n)) {
    log_(LOG_NOTICE, "fault over after " + al::text::duration(report->duration_ms()) + ": " +
                         std::to_string(report->calls_affected) + " calls affected, " +
                         std::to_string(report->calls_failed) + " failed");
    new_reports_.push_back(std::move(*report));
  }
  log_(n.severity() == al::Severity::critical ? LOG_CRIT
       : n.severity() == al::Severity::major  ? LOG_ERR
       : n.severity() == al::Severity::cleared ? LOG_NOTICE
                                               : LOG_WARNING,
       std::string("alarm ") + al::transition_name(n.transition) + ": " + n.message());
  notify::Notice notice = notify::notice_from(n);
  // ids are unique across restarts (first_id), seq is not: key on the transition
  notice.key = "alarm:" + std::to_string(n.alarm.id) + ":" + std::to_string(n.seq) + ":" +
               std::to_string(n.alarm.changed_ms) + ":" + al::transition_name(n.transition);
  Handover here;
  bool dropped = false;
  {
    std::lock_guard lock(mu_);
    if (channels_.empty()) return;
    // On disk from the delivery thread: the fsync never holds up this loop.
    Handover& to = thread_.joinable() ? handover_ : here;
    if (to.notices.size() < kMaxHandover)
      to.notices.emplace_back(std::move(notice), channels_);
    else
      dropped = true;
  }
  if (dropped) {
    bump(Counter::notices_dropped);
    uint64_t k = counter(Counter::notices_dropped);
    if ((k & (k - 1)) == 0)  // 1, 2, 4, ...: a storm does not flood the log
      log_(LOG_ERR, "notification queue: " + std::to_string(k) + " notices dropped, the delivery thread is behind");
    return;
  }
  write_notices(here);  // without the thread: in place
  wake_.notify_all();
}

void AlarmService::delivery_loop() {
  // Per channel, the error last logged: a receiver that stays away is
  // logged once (and once more when it is back), not at every retry.
  std::map<std::string, std::string> failing;
  al::WallMs next_backlog = 0;
  while (true) {
    std::vector<std::string> channels;
    Handover work;
    bool switched = false;
    al::WallMs retention;
    {
      std::lock_guard lock(mu_);
      if (next_dispatcher_) dispatcher_ = std::move(next_dispatcher_), switched = true;
      if (event_syslog_changed_) event_syslog_ = std::move(next_event_syslog_), event_syslog_changed_ = false;
      channels = channels_;
      std::swap(work, handover_);
      retention = opt_.delivered_retention_ms;
    }
    write_notices(work);  // on disk before anything is sent
    send_events(event_syslog_.get(), work.events);
    if (switched) drop_removed(channels);
    if (stop_) break;  // what was handed over is on disk
    notify::Dispatcher::PassResult r;
    if (dispatcher_) r = dispatcher_->run_once();
    for (const auto& e : r.errors) {
      std::string channel = e.substr(0, e.find(": "));
      for (const auto& c : channels)  // names may hold ':' ("snmp:HOST:PORT")
        if (e.compare(0, c.size() + 2, c + ": ") == 0) channel = c;
      if (failing[channel] != e)
        log_(LOG_WARNING, "alarm delivery: " + e + "; " + std::to_string(queue_.pending(channel)) +
                              " notices kept on disk for it");
      failing[channel] = e;
    }
    for (auto it = failing.begin(); it != failing.end();) {
      if (queue_.pending(it->first) == 0) {
        log_(LOG_NOTICE, "alarm delivery: " + it->first + " delivering again, nothing pending");
        it = failing.erase(it);
      } else {
        ++it;
      }
    }
    const al::WallMs now = clock_();
    purge_if_due(now, retention);
    if (now >= next_backlog || r.delivered || switched) {
      next_backlog = now + 1000;
      publish_backlog();
    }
    al::WallMs wait = 500;
    if (auto next = queue_.next_due()) wait = std::clamp<al::WallMs>(*next - clock_(), 10, 500);
    if (r.delivered) wait = 0;
    std::unique_lock lock(mu_);
    if (handover_.notices.empty() && handover_.events.empty() && !next_dispatcher_)
      wake_.wait_for(lock, std::chrono::milliseconds(wait));
  }
}

void AlarmService::tick() {
  manager_->tick();
  raise_pending_faults(clock_());
  // Notices waiting more than 5 minutes: the NOC may not be hearing us.
  const al::WallMs kBacklog = 5 * 60 * 1000;
  al::WallMs now = clock_();
  size_t waiting = 0;
  al::WallMs oldest = 0;
  std::string why;
  std::vector<notify::ChannelStatus> backlog;
  if (!thread_.joinable()) {
    purge_if_due(now, opt_.delivered_retention_ms);  // without the thread: in place
    backlog = queue_.backlog();
  } else {
    std::lock_guard lock(mu_);
    backlog = backlog_;
  }
  for (const auto& c : backlog) {
    if (!c.pending || !c.oldest_pending_ms || now - c.oldest_pending_ms < kBacklog) continue;
    waiting += c.pending;
    if (!oldest || c.oldest_pending_ms < oldest) oldest = c.oldest_pending_ms;
    why += (why.empty() ? "" : "; ") + c.channel + ": " + c.last_error;
  }
  const al::ManagedObject box{al::ObjectKind::box, "box", ""};
  if (waiting) {
    al::RaiseRequest rq;
    rq.type = al::AlarmType::notify_backlog;
    rq.object = box;
    rq.detail = std::to_string(waiting) + " notifications waiting, oldest " + al::text::duration(now - oldest) +
                (why.empty() ? "" : " (" + why + ")");
    rq.action = "kept on disk, retried with back-off";
    manager_->raise(rq);
  } else if (manager_->find_active(al::AlarmType::notify_backlog, "box")) {
    manager_->clear(al::AlarmType::notify_backlog, box, "receivers reachable again");
  }
}

nlohmann::json AlarmService::show_alarms() const {
  nlohmann::json a = nlohmann::json::array();
  for (const al::Alarm& x : manager_->active())
    a.push_back({{"id", x.id},
                 {"type", x.info().name},
                 {"severity", al::severity_name(x.severity)},
                 {"object_kind", al::object_kind_name(x.object.kind)},
                 {"object", x.object.name},
                 {"label", x.object.label},
                 {"probable_cause", al::probable_cause_name(x.info().probable_cause)},
                 {"specific_problem", x.info().specific_problem},
                 {"text", x.text},
                 {"raised", al::text::iso8601(x.raised_ms)},
                 {"changed", al::text::iso8601(x.changed_ms)},
                 {"count", x.raise_count},
                 {"calls_affected", x.calls_affected}});
  return a;
}

nlohmann::json AlarmService::show_alarm_history() {
  nlohmann::json a = nlohmann::json::array();
  for (const store::AlarmRow& r : store_.alarm_history(200))
    a.push_back({{"time", al::text::iso8601(r.time_ms)},
                 {"id", r.alarm_id},
                 {"transition", al::transition_name(r.transition)},
                 {"severity", al::severity_name(r.severity)},
                 {"type", al::alarm_type_info(r.type).name},
                 {"object", r.object_name},
                 {"text", r.text}});
  return a;
}

nlohmann::json AlarmService::fault_reports(int n) {
  nlohmann::json a = nlohmann::json::array();
  for (const store::FaultReport& r : store_.fault_reports(size_t(std::max(1, n)))) {
    nlohmann::json j = nlohmann::json::parse(store::to_json(r), nullptr, false);
    if (j.is_discarded()) continue;
    j["text"] = store::to_text(r);
    a.push_back(std::move(j));
  }
  return a;
}

std::vector<store::FaultReport> AlarmService::take_new_fault_reports() {
  std::vector<store::FaultReport> v;
  v.swap(new_reports_);
  return v;
}

}  // namespace tg::alarmsvc
