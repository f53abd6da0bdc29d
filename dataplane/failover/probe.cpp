#include "dataplane/failover/probe.hpp"

namespace tg::failover {

void ProbeScheduler::configure(const Config& config, TimeNs now) {
  *this = ProbeScheduler{};
  count_ = config.uplink_count;
  ident_base_ = config.probe_ident_base;
  window_ = config.probe_window_rounds < kMaxProbeWindow ? config.probe_window_rounds : kMaxProbeWindow;
  for (uint8_t u = 0; u < count_; ++u) {
    timers_[u] = config.uplinks[u].timers;
    target_count_[u] = config.uplinks[u].target_count;
    proto_[u] = config.uplinks[u].probe_proto;
    udp_port_[u] = config.uplinks[u].udp_echo_port;
    for (uint8_t t = 0; t < target_count_[u]; ++t) targets_[u][t] = config.uplinks[u].targets[t];
    next_send_[u] = now;
    enabled_[u] = true;
  }
}

void ProbeScheduler::set_enabled(UplinkIndex u, bool enabled, TimeNs now) {
  if (u >= count_ || enabled_[u] == enabled) return;
  enabled_[u] = enabled;
  if (enabled) next_send_[u] = now;
}

size_t ProbeScheduler::due(TimeNs now, ProbeRequest* out, size_t cap) {
  size_t n = 0;
  for (uint8_t u = 0; u < count_; ++u) {
    const uint8_t targets = target_count_[u];
    if (!enabled_[u] || targets == 0 || now < next_send_[u]) continue;
    if (cap - n < targets) break;  // whole rounds only; the rest next poll
    const uint16_t seq = next_seq_[u]++;
    Slot& slot = slots_[u][seq % kMaxProbesInFlight];
    // validate() keeps timeout/interval below the table size, so the slot's
    // previous round has expired unless poll() stalled for long: count it lost.
    if (slot.in_use) record(u, SampleKind::lost, 0);
    slot = Slot{now, seq, true, true, false, 0};
    for (uint8_t t = 0; t < targets; ++t)
      out[n++] = ProbeRequest{targets_[u][t], now, uint16_t(ident_base_ + u), seq, u, t, proto_[u], udp_port_[u]};
    totals_[u].sent += targets;
    next_send_[u] = now + timers_[u].probe_interval;  // no catch-up after a stall
  }
  return n;
}

ReplyMatch ProbeScheduler::on_reply(uint16_t ident, uint16_t seq, TimeNs now, RoundOutcome& outcome) {
  const uint16_t u = uint16_t(ident - ident_base_);
  if (u >= count_) return ReplyMatch::unknown;
  Slot& slot = slots_[u][seq % kMaxProbesInFlight];
  if (!slot.valid || slot.seq != seq || now < slot.sent_ns) return ReplyMatch::unknown;
  if (slot.answered) return ReplyMatch::duplicate;
  const TimeNs age = now - slot.sent_ns;
  const bool in_time = age < timers_[u].probe_timeout;
  if (!slot.in_use || age >= timers_[u].probe_timeout + slot.extra) {
    ++totals_[u].late;  // expire() counts (or has counted) the round lost
    return ReplyMatch::late;
  }
  slot.in_use = false;
  slot.answered = true;
  // Within a stall's extension: it may have waited in the ring, RTT unknown.
  outcome = RoundOutcome{UplinkIndex(u), true, slot.sent_ns, in_time ? age : 0, !in_time};
  ++totals_[u].answered;
  if (!in_time) ++after_stall_[u];
  record(UplinkIndex(u), in_time ? SampleKind::answered : SampleKind::untimed, outcome.rtt);
  return ReplyMatch::answered;
}

size_t ProbeScheduler::expire(TimeNs now, RoundOutcome* out, size_t cap) {
  size_t n = 0;
  for (uint8_t u = 0; u < count_ && n < cap; ++u) {
    // Rounds share one timeout, so the expired ones are the oldest in flight.
    uint16_t s = oldest_seq_[u];
    for (; s != next_seq_[u] && n < cap; ++s) {
      Slot& slot = slots_[u][s % kMaxProbesInFlight];
      if (slot.seq != s || !slot.in_use) continue;
      // Extensions keep deadlines in send order: the rounds in flight at a
      // stall all move by its length, and younger rounds were sent after it.
      if (now < slot.sent_ns + timers_[u].probe_timeout + slot.extra) break;
      slot.in_use = false;
      out[n++] = RoundOutcome{u, false, slot.sent_ns, 0, slot.extra != 0};
      record(u, SampleKind::lost, 0);
    }
    oldest_seq_[u] = s;
  }
  return n;
}

uint8_t ProbeScheduler::extend_for_stall(TimeNs stall_start, TimeNs stall_end) {
  uint8_t affected = 0;
  for (uint8_t u = 0; u < count_; ++u) {
    for (uint16_t s = oldest_seq_[u]; s != next_seq_[u]; ++s) {
      Slot& slot = slots_[u][s % kMaxProbesInFlight];
      if (slot.seq != s || !slot.in_use) continue;
      if (slot.sent_ns + timers_[u].probe_timeout + slot.extra <= stall_start) continue;  // due before it
      const TimeNs from = slot.sent_ns > stall_start ? slot.sent_ns : stall_start;
      if (stall_end > from) slot.extra += stall_end - from;
      affected |= uint8_t(1u << u);
    }
  }
  return affected;
}

void ProbeScheduler::record(UplinkIndex u, SampleKind kind, TimeNs rtt) {
  if (kind == SampleKind::lost) ++totals_[u].lost_rounds;
  const uint64_t us = rtt / 1000;
  window_samples_[u][window_pos_[u]] = Sample{uint32_t(us > 0xFFFFFFFFu ? 0xFFFFFFFFu : us), kind};
  window_pos_[u] = (window_pos_[u] + 1) % window_;
  if (window_fill_[u] < window_) ++window_fill_[u];
}

api::ProbeStatsWire ProbeScheduler::stats(UplinkIndex u) const {
  api::ProbeStatsWire w = totals_[u];
  w.rtt_avg_us = w.rtt_min_us = w.rtt_max_us = w.jitter_us = w.loss_ppm = 0;
  w.window_rounds = window_fill_[u];
  if (window_fill_[u] == 0) return w;
  // Oldest to newest, so jitter is between consecutive answered rounds.
  const uint32_t start = (window_pos_[u] + window_ - window_fill_[u]) % window_;
  uint64_t sum = 0, jitter_sum = 0;
  uint32_t answered = 0, lost = 0, pairs = 0, prev = 0;
  bool have_prev = false;
  uint32_t mn = 0xFFFFFFFFu, mx = 0;
  for (uint32_t i = 0; i < window_fill_[u]; ++i) {
    const Sample& s = window_samples_[u][(start + i) % window_];
    if (s.kind == SampleKind::lost) {
      ++lost;
      continue;
    }
    if (s.kind == SampleKind::untimed) continue;  // answered: not a loss, but no RTT
    ++answered;
    sum += s.rtt_us;
    if (s.rtt_us < mn) mn = s.rtt_us;
    if (s.rtt_us > mx) mx = s.rtt_us;
    if (have_prev) {
      jitter_sum += s.rtt_us > prev ? s.rtt_us - prev : prev - s.rtt_us;
      ++pairs;
    }
    prev = s.rtt_us;
    have_prev = true;
  }
  if (answered) {
    w.rtt_avg_us = uint32_t(sum / answered);
    w.rtt_min_us = mn;
    w.rtt_max_us = mx;
  }
  if (pairs) w.jitter_us = uint32_t(jitter_sum / pairs);
  w.loss_ppm = uint32_t(uint64_t(lost) * 1'000'000 / window_fill_[u]);
  return w;
}

}  // namespace tg::failover
