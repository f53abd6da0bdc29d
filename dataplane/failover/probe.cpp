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
    slot = Slot{now, seq, true, true, false, false};
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
  const bool in_time = now - slot.sent_ns < timers_[u].probe_timeout;
  // A held round's reply may have waited in the rx ring through the stall:
  // it answers the round, but its stamp says nothing about the RTT.
  if (!slot.in_use || (!in_time && !slot.stalled)) {
    ++totals_[u].late;  // expire() counts (or has counted) the round lost
    return ReplyMatch::late;
  }
  slot.in_use = false;
  slot.answered = true;
  outcome = RoundOutcome{UplinkIndex(u), true, slot.sent_ns, in_time ? now - slot.sent_ns : 0, slot.stalled};
  ++totals_[u].answered;
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
      if (now < slot.sent_ns + timers_[u].probe_timeout) break;
      // Younger rounds wait too: outcomes stay in send order.
      if (slot.stalled && now < release_[u]) break;
      slot.in_use = false;
      out[n++] = RoundOutcome{u, false, slot.sent_ns, 0, slot.stalled};
      if (slot.stalled)
        ++void_[u];  // unknown, not lost: no sample either
      else
        record(u, SampleKind::lost, 0);
    }
    oldest_seq_[u] = s;
  }
  return n;
}

uint32_t ProbeScheduler::hold_for_stall(TimeNs stall_start, TimeNs release) {
  uint32_t marked = 0;
  for (uint8_t u = 0; u < count_; ++u) {
    for (uint16_t s = oldest_seq_[u]; s != next_seq_[u]; ++s) {
      Slot& slot = slots_[u][s % kMaxProbesInFlight];
      if (slot.seq != s || !slot.in_use) continue;
      const TimeNs deadline = slot.sent_ns + timers_[u].probe_timeout;
      if (deadline <= stall_start || deadline > release) continue;
      slot.stalled = true;
      ++marked;
    }
    if (release > release_[u]) release_[u] = release;
  }
  return marked;
}

void ProbeScheduler::record(UplinkIndex u, SampleKind kind, TimeNs rtt) {
  if (kind == SampleKind::lost) ++totals_[u].lost_rounds;
  const uint64_t us = rtt / 1000;
  window_samples_[u][window_pos_[u]] = Sample{uint32_t(us > 0xFFFFFFFFu ? 0xFFFFFFFFu : us), kind};
  window_pos_[u] = (window_pos_[u] + 1) % window_;
  if (window_fill_[u] < window_) ++window_fill_[u];
}

ipc::ProbeStatsWire ProbeScheduler::stats(UplinkIndex u) const {
  ipc::ProbeStatsWire w = totals_[u];
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
