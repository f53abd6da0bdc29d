#include "dataplane/failover/engine.hpp"

#include <cstring>

namespace tg::failover {

Engine::Engine(const Config& config, EventSink& sink, TimeNs now) : config_(config), sink_(sink) {
  probes_.configure(config_, now);
  for (uint8_t u = 0; u < config_.uplink_count; ++u) {
    health_[u].reset(config_.uplinks[u].timers, now);
    blackout_.configure(u, config_.uplinks[u].blackout);
    probes_.set_enabled(u, false, now);  // carrier unknown until on_link
  }
}

void Engine::update_probing(UplinkIndex u, TimeNs now) {
  const uint8_t f = health_[u].fault_mask();
  probes_.set_enabled(u, !(f & (api::kFault_link | api::kFault_admin)), now);
}

void Engine::on_link(UplinkIndex u, bool up, TimeNs now, TimeNs onset) {
  if (u >= config_.uplink_count) return;
  feed(u, up ? HealthInput::link_up : HealthInput::link_down, now, 0, onset);
  update_probing(u, now);
  reselect(now);
}

ReplyMatch Engine::on_probe_reply(uint16_t ident, uint16_t seq, TimeNs now) {
  RoundOutcome o{};
  const ReplyMatch m = probes_.on_reply(ident, seq, now, o);
  if (m != ReplyMatch::answered) return m;
  if (o.sent_ns > last_ok_sent_[o.uplink]) last_ok_sent_[o.uplink] = o.sent_ns;
  feed(o.uplink, HealthInput::probe_ok, now);
  reselect(now);
  return m;
}

void Engine::loop_pass(TimeNs now) {
  const TimeNs prev = last_pass_;
  last_pass_ = now;
  last_gap_ = prev && now > prev ? now - prev : 0;
  if (prev == 0 || now <= prev + config_.loop_stall) return;
  ++loop_stalls_;
  if (now - prev > longest_stall_) longest_stall_ = now - prev;
  stall_end_ = now;
  stalls_.add(prev, now);
  const uint8_t probed = probes_.extend_for_stall(prev, now);
  for (uint8_t u = 0; u < kMaxUplinks; ++u) {
    deferred_media_[u] = false;
    // Rounds in flight: their judgement waits for the stall's length.
    if (probed & (1u << u)) ++deferred_stall_;
  }
}

void Engine::on_round_lost(const RoundOutcome& o, TimeNs now) {
  // Replies overtake each other under jitter: a lost round older than an
  // answered one does not extend a run of consecutive misses.
  if (o.sent_ns < last_ok_sent_[o.uplink]) return;
  feed(o.uplink, HealthInput::probe_lost, now, 0, o.sent_ns);
}

size_t Engine::poll(TimeNs now, ProbeRequest* out, size_t cap) {
  RoundOutcome lost[16];
  size_t n;
  do {
    n = probes_.expire(now, lost, std::size(lost));
    for (size_t i = 0; i < n; ++i) on_round_lost(lost[i], now);
  } while (n == std::size(lost));
  for (uint8_t u = 0; u < config_.uplink_count; ++u) feed(u, HealthInput::timer, now);
  reselect(now);
  return probes_.due(now, out, cap);
}

void Engine::media_scan_begin(TimeNs now) { blackout_.begin(now, carrying_since_, &stalls_); }

void Engine::media_scan_end(TimeNs now) {
  blackout_.end();
  for (uint8_t u = 0; u < config_.uplink_count; ++u) {
    const BlackoutResult& r = blackout_.result(u);
    const bool marked = health_[u].fault_mask() & api::kFault_blackout;
    // Only the uplink carrying the calls can black them out: after a switch
    // (or failback) the far ends move to the new one and the streams left
    // on the old one go quiet by design.
    const bool carrying = u == active_.load(std::memory_order_relaxed);
    if (carrying && r.deferred_stall && !marked && !deferred_media_[u]) {
      deferred_media_[u] = true;
      ++deferred_stall_;
    }
    if (r.blackout && !marked && carrying)
      feed(u, HealthInput::blackout_on, now, 0, r.onset);
    else if (!r.blackout && marked)
      feed(u, HealthInput::blackout_off, now);
  }
  reselect(now);
}

void Engine::set_active_calls(UplinkIndex u, uint32_t calls) {
  if (u < config_.uplink_count) calls_[u] = calls;
}

void Engine::feed(UplinkIndex u, HealthInput in, TimeNs now, uint8_t soft, TimeNs onset) {
  if (!health_[u].handle(in, now, soft, onset)) return;
  // up <-> suspect follows every single lost probe (several per second at
  // 3 % loss): visible in the stats, not worth an event each.
  const UplinkState from = health_[u].previous_state(), to = health_[u].state();
  if (api::uplink_usable(from) && api::uplink_usable(to)) return;
  emit_state(u, now);
}

int Engine::preference(UplinkIndex u) const {
  for (uint8_t i = 0; i < config_.uplink_count; ++i)
    if (config_.priority[i] == u) return i;
  return kMaxUplinks;
}

api::SwitchReason Engine::reason_for(UplinkIndex from, UplinkIndex to, const Selection& sel, TimeNs& first_seen) const {
  using R = api::SwitchReason;
  if (from == kNoUplink) return R::initial;
  if (mode_changed_) {
    first_seen = mode_changed_ns_;
    return mode_ == api::SelectMode::forced && sel.forced ? R::forced : R::auto_mode;
  }
  if (sel.forced) return R::forced;  // the forced uplink is back
  const UplinkHealth& h = health_[from];
  const uint8_t f = h.fault_mask();
  if (!h.usable() && f) {
    if (h.fault_onset()) first_seen = h.fault_onset();
    if (f & api::kFault_admin) return first_seen = h.since(), R::admin_down;
    if (f & api::kFault_link) return R::link_down;
    if (f & api::kFault_probe) return R::probe_loss;
    if (f & api::kFault_blackout) return R::media_blackout;
    return R::soft_fault;
  }
  if (sel.last_resort) return R::last_resort;
  // Failback only ever moves to a more preferred uplink. Leaving an
  // uplink that is not usable although no fault is left (its hold-down
  // runs: it carried traffic as the last resort) for a less preferred
  // usable one is not a failback.
  if (preference(to) < preference(from)) return R::failback;
  return R::holddown;
}

void Engine::reselect(TimeNs now) {
  UplinkView views[kMaxUplinks] = {};
  for (uint8_t u = 0; u < config_.uplink_count; ++u) views[u] = {health_[u].state(), health_[u].fault_mask()};
  const UplinkIndex from = active_.load(std::memory_order_relaxed);
  const Selection sel = select_uplink(views, config_.uplink_count, config_.priority, mode_, forced_, from);
  if (sel.uplink == from) {
    mode_changed_ = false;
    return;
  }

  TimeNs first_seen = now;
  api::Event ev = make_event(api::EventKind::uplink_switch, now);
  api::SwitchEvent& sw = ev.uplink_switch;
  sw.reason = reason_for(from, sel.uplink, sel, first_seen);
  mode_changed_ = false;
  sw.fault_first_seen_ns = first_seen;
  sw.decided_ns = now;
  sw.uplink_from = from;
  sw.uplink_to = sel.uplink;
  sw.mode = mode_;
  if (from != kNoUplink) {
    sw.calls_affected = calls_[from];
    sw.fault_mask = health_[from].fault_mask();
    sw.soft_faults = health_[from].soft_faults();
  }
  // The forwarding lcores pick this up on their next burst.
  active_.store(sel.uplink, std::memory_order_release);
  sw.switched_ns = now;
  carrying_since_[sel.uplink] = now;
  ++switches_;
  sink_.emit(ev);
}

api::CommandResult Engine::apply(const api::Command& c, TimeNs now) {
  using CR = api::CommandResult;
  using CK = api::CommandKind;
  CR r = CR::ok;
  const bool needs_uplink = c.kind != CK::auto_select && c.kind != CK::set_timers;
  if (c.version != api::kMessageVersion)
    r = CR::bad_version;
  else if (uint16_t(c.kind) >= uint16_t(CK::count_) || c.kind == CK::capture_start || c.kind == CK::capture_stop ||
           api::is_trunk_table_kind(c.kind))
    r = CR::bad_kind;  // capture and trunk-table commands go to fastpath/uplink_control, not here
  else if (needs_uplink ? c.uplink >= config_.uplink_count
                        : (c.kind == CK::set_timers && c.uplink != kNoUplink && c.uplink >= config_.uplink_count))
    r = CR::bad_uplink;
  else if ((c.kind == CK::soft_fault_raise || c.kind == CK::soft_fault_clear) &&
           uint8_t(c.reason) >= uint8_t(api::SoftFault::count_))
    r = CR::bad_reason;

  HealthTimers timers;
  BlackoutConfig blackout;
  if (r == CR::ok && c.kind == CK::set_timers) {
    from_wire(c.timers, timers, blackout);
    if (check_timers(timers, blackout)) r = CR::bad_timers;
  }
  if (r != CR::ok) {
    ++commands_rejected_;
    emit_command_result(c, r, now);
    return r;
  }

  switch (c.kind) {
    case CK::force_uplink:
      mode_ = api::SelectMode::forced;
      forced_ = c.uplink;
      mode_changed_ = true;
      mode_changed_ns_ = now;
      if (health_[c.uplink].fault_mask() & (api::kHardFaults | api::kFault_admin)) r = CR::ok_uplink_down;
      break;
    case CK::auto_select:
      mode_changed_ = mode_ != api::SelectMode::auto_select;
      mode_ = api::SelectMode::auto_select;
      forced_ = kNoUplink;
      mode_changed_ns_ = now;
      break;
    case CK::soft_fault_raise:
      feed(c.uplink, HealthInput::soft_raise, now, api::soft_fault_bit(c.reason));
      break;
    case CK::soft_fault_clear:
      feed(c.uplink, HealthInput::soft_clear, now, api::soft_fault_bit(c.reason));
      break;
    case CK::admin_down:
      feed(c.uplink, HealthInput::admin_down, now);
      update_probing(c.uplink, now);
      break;
    case CK::admin_up:
      feed(c.uplink, HealthInput::admin_up, now);
      update_probing(c.uplink, now);
      break;
    case CK::set_timers:
      for (uint8_t u = 0; u < config_.uplink_count; ++u) {
        if (c.uplink != kNoUplink && c.uplink != u) continue;
        config_.uplinks[u].timers = timers;
        config_.uplinks[u].blackout = blackout;
        health_[u].set_timers(timers);
        probes_.set_timers(u, timers);
        blackout_.configure(u, blackout);
      }
      break;
    case CK::capture_start:
    case CK::capture_stop:
    case CK::trunk_table_begin:
    case CK::trunk_sbc:
    case CK::trunk_name:
    case CK::trunk_table_commit:
    case CK::count_: break;
  }
  ++commands_applied_;
  reselect(now);
  emit_command_result(c, r, now);
  return r;
}

void Engine::fill_stats(api::StatsBody& body) const {
  body.active_uplink = active_uplink();
  body.mode = mode_;
  body.forced_uplink = forced_;
  body.uplink_count = config_.uplink_count;
  body.switches_total = switches_;
  body.commands_applied = commands_applied_;
  body.commands_rejected = commands_rejected_;
  for (uint8_t u = 0; u < config_.uplink_count; ++u) {
    const UplinkHealth& h = health_[u];
    api::UplinkStatsWire& w = body.uplinks[u];
    std::memcpy(w.name, config_.uplinks[u].name, sizeof w.name);
    w.name[sizeof w.name - 1] = '\0';
    w.state = h.state();
    w.fault_mask = h.fault_mask();
    w.soft_faults = h.soft_faults();
    w.link_up = h.link_up();
    w.misses = h.misses();
    w.state_since_ns = h.since();
    w.holddown_ms = uint32_t(h.holddown() / kNsPerMs);
    w.flaps = h.penalty();
    w.flaps_total = h.flaps_total();
    w.probe = probes_.stats(u);
    w.active_calls = calls_[u];
  }
}

void Engine::emit_state(UplinkIndex u, TimeNs now) {
  const UplinkHealth& h = health_[u];
  api::Event ev = make_event(api::EventKind::uplink_state, now);
  api::UplinkStateEvent& s = ev.uplink_state;
  s.since_ns = h.since();
  s.holddown_ms = uint32_t(h.holddown() / kNsPerMs);
  s.flaps = h.penalty();
  s.uplink = u;
  s.from = h.previous_state();
  s.to = h.state();
  s.fault_mask = h.fault_mask();
  s.soft_faults = h.soft_faults();
  sink_.emit(ev);
}

void Engine::emit_command_result(const api::Command& c, api::CommandResult r, TimeNs now) {
  api::Event ev = make_event(api::EventKind::command_result, now);
  ev.command_result.command_seq = c.seq;
  ev.command_result.command_kind = uint16_t(c.kind);
  ev.command_result.result = r;
  ev.command_result.uplink = c.uplink;
  sink_.emit(ev);
}

api::Event Engine::make_event(api::EventKind kind, TimeNs now) {
  api::Event ev;
  std::memset(&ev, 0, sizeof ev);
  ev.version = api::kMessageVersion;
  ev.kind = kind;
  ev.seq = event_seq_++;
  ev.time_ns = now;
  return ev;
}

}  // namespace tg::failover
