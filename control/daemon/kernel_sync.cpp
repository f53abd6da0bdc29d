#include "control/daemon/kernel_sync.hpp"

#include <syslog.h>
#include <time.h>

#include <algorithm>

#include "control/alarmsvc/alarm_service.hpp"

namespace tg::controld {

namespace {
uint64_t clock_ns(clockid_t id) {
  timespec ts{};
  ::clock_gettime(id, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000ull + uint64_t(ts.tv_nsec);
}
std::string describe(const WatchedLink& l) { return l.ifname + " (" + l.port + " " + l.kind + ")"; }
}  // namespace

KernelSync::Clock KernelSync::Clock::system() {
  return {[] { return clock_ns(CLOCK_MONOTONIC); }, [] { return int64_t(clock_ns(CLOCK_REALTIME) / 1000); }};
}

bool kernel_sync_config(const board::Board& board, const config::Config& c, KernelSyncConfig& out,
                        std::string& error) {
  KernelSyncConfig k;
  auto watch = [&k](const std::string& ifname, const std::string& port, const char* kind) {
    for (const WatchedLink& l : k.links)
      if (l.ifname == ifname) return;
    k.links.push_back({ifname, port, kind});
  };
  for (uint8_t p = 0; p < board::kRoleCount; ++p) {
    const board::BoardPort& bp = board.ports[p];
    if (!bp.present) continue;
    const std::string role = board::kRoleNames[p];
    if (!bp.carrier_iface.empty()) watch(bp.carrier_iface, role, "port");
    if (!bp.tap_iface.empty()) watch(bp.tap_iface, role, "tap");
    // The lan port's tap needs no table: its subnet is on-link.
    if (p == board::kLanPort || bp.tap_iface.empty() || bp.addr.ip == 0) continue;
    netlink::UplinkRoute r;
    r.ifname = bp.tap_iface;
    r.address = {IpAddr::v4(bp.addr.ip), bp.addr.prefix_len};
    if (bp.addr.gateway != 0) r.gateway = IpAddr::v4(bp.addr.gateway);
    // IPv6 (addr6= and gw6= go together on uplinks): the same table and
    // rule priority, on the IPv6 side.
    if (bp.addr.has_ip6 && bp.addr.has_gateway6) {
      r.address6 = {IpAddr::v6_bytes(bp.addr.ip6.data()), bp.addr.prefix6_len};
      r.gateway6 = IpAddr::v6_bytes(bp.addr.gateway6.data());
    }
    r.table = kUplinkTableBase + p;
    r.rule_priority = kUplinkTableBase + p;
    k.routes.uplinks.push_back(r);
    k.route_uplinks.push_back(role);
  }
  for (const config::UplinkConfig& u : c.uplinks) {
    k.labels[u.name] = u.carrier;
    if (u.device.empty()) continue;
    watch(u.device, u.name, "port");
    // The LTE modem's netdev comes up down; nothing else brings it up.
    if (u.role == "lte" && u.enabled) k.routes.bring_up.push_back(u.device);
  }
  if (k.links.size() > netlink::LinkWatch::kMaxLinks)
    return error = "more than " + std::to_string(netlink::LinkWatch::kMaxLinks) + " links to watch", false;
  if (!netlink::validate(k.routes, error)) return false;
  out = std::move(k);
  return true;
}

KernelSync::KernelSync(netlink::Netlink& nl, FastPath& fp, Clock clock, Log log)
    : nl_(nl), fp_(fp), clock_(std::move(clock)), log_(std::move(log)), stats_(std::make_unique<api::StatsBody>()) {}

bool KernelSync::open(const board::Board& board, const config::Config& c) {
  board_ = board;
  have_board_ = true;
  KernelSyncConfig k;
  if (!kernel_sync_config(board, c, k, error_)) {
    log_(LOG_ERR, "kernel links and routes not managed: " + error_);
    return false;
  }
  return open(std::move(k));
}

bool KernelSync::open(KernelSyncConfig cfg) {
  if (!open_ && !nl_.open(error_)) {
    log_(LOG_ERR, "kernel links and routes not managed: netlink: " + error_);
    return false;
  }
  open_ = true;
  error_.clear();
  return reconfigure(std::move(cfg));
}

bool KernelSync::reconfigure(KernelSyncConfig cfg) {
  if (!open_) return false;
  cfg_ = std::move(cfg);
  std::vector<std::string> names;
  for (const WatchedLink& l : cfg_.links) names.push_back(l.ifname);
  watch_ = std::make_unique<netlink::LinkWatch>(names);
  records_.assign(cfg_.links.size(), {});
  routes_ = std::make_unique<netlink::RouteSync>(nl_, cfg_.routes);
  main_uplink_ = main6_uplink_ = 0xFF;
  load_dump();
  const uint64_t now = clock_.mono_ns();
  next_poll_ns_ = now;  // read the fast path's active uplink at the next tick
  next_resync_ns_ = now + kResyncNs;
  last_apply_error_.clear();
  apply();
  return true;
}

void KernelSync::install(Controller& ctl, alarmsvc::AlarmService* alarms) {
  auto prev_switch = ctl.hooks.on_switch;
  ctl.hooks.on_switch = [this, prev_switch](const SwitchRecord& r) {
    set_active(r.to);  // first: the store and alarms behind it write to disk
    if (prev_switch) prev_switch(r);
  };
  auto prev_applied = ctl.hooks.on_config_applied;
  ctl.hooks.on_config_applied = [this, prev_applied](const config::Config& c) {
    if (prev_applied) prev_applied(c);
    if (!open_ || !have_board_) return;
    KernelSyncConfig k;
    std::string why;
    if (!kernel_sync_config(board_, c, k, why)) {
      log_(LOG_ERR, "kernel links and routes keep the previous configuration: " + why);
      return;
    }
    reconfigure(std::move(k));
  };
  ctl.hooks.kernel_links = [this] { return links_json(); };
  if (!alarms) return;
  on_link_event = [this, alarms](const LinkEvent& e) {
    const std::string text = "link " + describe(e.link) + (e.up ? " up" : " down");
    store::Event ev;
    ev.time_ms = e.wall_us / 1000;
    ev.kind = "link";
    ev.object = e.link.port;
    ev.text = text;
    if (!alarms->event_store().record_event(ev)) log_(LOG_ERR, "event store: " + alarms->event_store().last_error());
    if (e.link.kind != "port" || e.link.port == "lan") return;
    auto label = cfg_.labels.find(e.link.port);
    alarm::ManagedObject obj{alarm::ObjectKind::uplink, e.link.port,
                             label == cfg_.labels.end() ? "" : label->second};
    if (!e.up && e.link.port != active_) {
      // The active uplink's carrier loss is raised by the failover it causes
      // (with the action taken); a backup's causes none, so it is raised here.
      alarm::RaiseRequest r;
      r.type = alarm::AlarmType::uplink_link_down;
      r.object = obj;
      r.detail = "carrier lost on " + e.link.ifname;
      r.action = "none: not the active uplink; no backup on it until the carrier returns";
      alarms->alarms().raise(r);
      raised_.insert(e.link.port);
    } else if (e.up && raised_.erase(e.link.port)) {
      alarms->alarms().clear(alarm::AlarmType::uplink_link_down, obj, "carrier back on " + e.link.ifname);
    }
  };
}

int64_t KernelSync::wall_us_at(uint64_t mono_ns) const {
  const uint64_t now = clock_.mono_ns();
  const int64_t ago_us = mono_ns <= now ? int64_t((now - mono_ns) / 1000) : 0;
  return clock_.wall_us() - ago_us;
}

int KernelSync::route_index(const std::string& port) const {
  for (size_t i = 0; i < cfg_.route_uplinks.size(); ++i)
    if (cfg_.route_uplinks[i] == port) return int(i);
  return -1;
}

void KernelSync::load_dump() {
  msgs_.clear();
  changes_.clear();
  std::string why;
  if (!nl_.dump_links(msgs_, why)) {
    log_(LOG_ERR, "netlink: link dump: " + why);
    return;
  }
  const bool first = std::none_of(records_.begin(), records_.end(), [](const LinkRecord& r) { return r.known; });
  watch_->load(msgs_, changes_);
  changed(changes_, !first);
  watch_ifindex();
}

void KernelSync::changed(const std::vector<netlink::CarrierChange>& changes, bool report) {
  for (const netlink::CarrierChange& c : changes) {
    if (c.uplink >= records_.size()) continue;
    LinkRecord& rec = records_[c.uplink];
    const WatchedLink& link = cfg_.links[c.uplink];
    if (rec.known && rec.up == c.up) continue;
    const bool initial = !rec.known;
    rec.known = true;
    rec.up = c.up;
    rec.last_mono_ns = c.mono_ns;
    rec.last_wall_us = wall_us_at(c.mono_ns);
    if (initial && !report) {
      log_(LOG_INFO, "link " + describe(link) + (c.up ? " up" : " down"));
      continue;
    }
    ++rec.changes;
    ++link_events_;
    log_(c.up ? LOG_NOTICE : LOG_WARNING, "link " + describe(link) + (c.up ? " up" : " down"));
    // Setting a link down flushes the routes through it: send them again.
    if (c.up && link.kind == "tap")
      if (int r = route_index(link.port); r >= 0) routes_->invalidate_uplink(size_t(r));
    if (on_link_event) on_link_event({link, c.up, c.mono_ns, rec.last_wall_us});
  }
}

void KernelSync::watch_ifindex() {
  for (size_t i = 0; i < records_.size(); ++i) {
    const int now = watch_->ifindex(uint8_t(i));
    if (now == records_[i].ifindex) continue;
    records_[i].ifindex = now;
    if (now == 0) continue;
    // A new link of that name (tg-dataplane restarted, modem re-enumerated):
    // the kernel knows nothing of what was set on the old one.
    const WatchedLink& link = cfg_.links[i];
    if (link.kind == "tap")
      if (int r = route_index(link.port); r >= 0) routes_->invalidate_uplink(size_t(r));
    if (std::find(cfg_.routes.bring_up.begin(), cfg_.routes.bring_up.end(), link.ifname) != cfg_.routes.bring_up.end())
      routes_->invalidate_bring_up();
  }
}

void KernelSync::on_readable() {
  if (!open_) return;
  msgs_.clear();
  changes_.clear();
  std::string why;
  if (!nl_.read_events(msgs_, why)) {
    // Overrun: messages were lost; the dump is the truth.
    log_(LOG_WARNING, "netlink: " + why + "; re-reading the links");
    load_dump();
  } else {
    watch_->feed(msgs_, changes_);
    changed(changes_, true);
    watch_ifindex();
  }
  if (!routes_->done() || !applied_ok_) apply();
}

void KernelSync::set_active(const std::string& uplink) {
  if (uplink == active_) return;
  active_ = uplink;
  if (open_) apply();
}

void KernelSync::apply() {
  const int r = route_index(active_);
  const uint8_t want = r < 0 ? uint8_t(0xFF) : uint8_t(r);
  const uint8_t before = routes_->applied_active(), before6 = routes_->applied_active6();
  std::string why;
  applied_ok_ = routes_->apply(want, why);
  if (!applied_ok_) {
    next_retry_ns_ = clock_.mono_ns() + kRetryNs;
    if (why != last_apply_error_) log_(LOG_WARNING, "kernel routes: " + why + " (retrying every second)");
    last_apply_error_ = why;
  } else if (!last_apply_error_.empty()) {
    log_(LOG_NOTICE, "kernel routes in place again");
    last_apply_error_.clear();
  }
  // Re-sends (resync, a tap re-created) to the same uplink are no change.
  const uint8_t after = routes_->applied_active();
  if (after != before && after < cfg_.routes.uplinks.size() && after != main_uplink_) {
    main_uplink_ = after;
    main_changed_wall_us_ = clock_.wall_us();
    log_(LOG_INFO, "main default route via " + cfg_.routes.uplinks[after].ifname + " (" + cfg_.route_uplinks[after] +
                       ", the active uplink)");
  }
  const uint8_t after6 = routes_->applied_active6();
  if (after6 != before6 && after6 < cfg_.routes.uplinks.size() && after6 != main6_uplink_) {
    main6_uplink_ = after6;
    const netlink::UplinkRoute& u = cfg_.routes.uplinks[after6];
    log_(LOG_INFO, u.has_ipv6() ? "main IPv6 default route via " + u.ifname + " (" + cfg_.route_uplinks[after6] +
                                      ", the active uplink)"
                                : "no main IPv6 default route: the active uplink " + cfg_.route_uplinks[after6] +
                                      " has no IPv6");
  }
}

void KernelSync::tick() {
  if (!open_) return;
  const uint64_t now = clock_.mono_ns();
  if (now >= next_poll_ns_) {
    next_poll_ns_ = now + kActivePollNs;
    api::StatsBody& s = *stats_;
    if (fp_.attached() && fp_.read_stats(s) && s.active_uplink < s.uplink_count && s.active_uplink < api::kMaxUplinks) {
      const char* name = s.uplinks[s.active_uplink].name;
      set_active(std::string(name, strnlen(name, sizeof s.uplinks[0].name)));
    }
  }
  if (now >= next_resync_ns_) {
    next_resync_ns_ = now + kResyncNs;
    ++resyncs_;
    load_dump();
    routes_->invalidate();
    apply();
  } else if (!applied_ok_ && now >= next_retry_ns_) {
    apply();
  }
}

Json KernelSync::links_json() const {
  Json links = Json::array();
  for (size_t i = 0; i < cfg_.links.size(); ++i) {
    const WatchedLink& l = cfg_.links[i];
    const LinkRecord& r = records_[i];
    Json j{{"name", l.ifname}, {"port", l.port}, {"kind", l.kind}, {"present", r.ifindex != 0},
           {"up", r.up}, {"changes", r.changes}};
    // Microseconds: the console shows how fast a carrier change was seen.
    j["last_change_wall_us"] = r.known ? Json(r.last_wall_us) : Json(nullptr);
    links.push_back(j);
  }
  Json routes = Json::array();
  for (size_t i = 0; i < cfg_.routes.uplinks.size(); ++i) {
    const netlink::UplinkRoute& u = cfg_.routes.uplinks[i];
    routes.push_back({{"uplink", cfg_.route_uplinks[i]}, {"dev", u.ifname}, {"address", u.address.str()},
                      {"gateway", u.gateway.empty() ? Json(nullptr) : Json(u.gateway.str())},
                      {"address6", u.has_ipv6() ? Json(u.address6.str()) : Json(nullptr)},
                      {"gateway6", u.has_ipv6() ? Json(u.gateway6.str()) : Json(nullptr)},
                      {"table", u.table}, {"rule_priority", u.rule_priority}});
  }
  const uint8_t a = routes_ ? routes_->applied_active() : 0xFF;
  const uint8_t a6 = routes_ ? routes_->applied_active6() : 0xFF;
  const bool has6 = a6 < cfg_.routes.uplinks.size() && cfg_.routes.uplinks[a6].has_ipv6();
  return {{"enabled", open_},
          {"error", error_},
          {"links", links},
          {"uplink_routes", routes},
          {"active_uplink", active_},
          {"main_default_route", a < cfg_.routes.uplinks.size() ? Json(cfg_.routes.uplinks[a].ifname) : Json(nullptr)},
          {"main_default_route6", has6 ? Json(cfg_.routes.uplinks[a6].ifname) : Json(nullptr)},
          {"main_route_changed_wall_us", main_changed_wall_us_ ? Json(main_changed_wall_us_) : Json(nullptr)},
          {"in_step", routes_done()},
          {"last_error", last_apply_error_},
          {"link_events", link_events_},
          {"resyncs", resyncs_}};
}

}  // namespace tg::controld
