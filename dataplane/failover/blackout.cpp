#include "dataplane/failover/blackout.hpp"

namespace tg::failover {

void FlowMeter::on_packet(TimeNs now) {
  const uint32_t ms = uint32_t(now / kNsPerMs);
  const uint32_t elapsed = ms - bucket_start_ms_;
  if (elapsed >= 1000) {
    previous_ = elapsed < 2000 ? current_ : 0;
    current_ = 0;
    bucket_start_ms_ = ms - elapsed % 1000;  // keep one-second alignment
  }
  if (current_ < 0xFFFF) ++current_;
}

uint32_t FlowMeter::recent(TimeNs at) const {
  const uint32_t elapsed = uint32_t(at / kNsPerMs) - bucket_start_ms_;
  if (elapsed >= 2000) return 0;
  // Sliding window: the part of the older bucket still inside the second.
  if (elapsed >= 1000) return uint32_t(current_) * (2000 - elapsed) / 1000;
  return current_ + uint32_t(previous_) * (1000 - elapsed) / 1000;
}

void BlackoutDetector::begin(TimeNs now, const TimeNs* carrying_since, const LoopStalls* stalls) {
  now_ = now;
  stalls_ = stalls;
  for (uint8_t u = 0; u < kMaxUplinks; ++u) {
    results_[u] = BlackoutResult{};
    silent_unguarded_[u] = 0;
    since_[u] = carrying_since ? carrying_since[u] : 0;
  }
}

void BlackoutDetector::add(const StreamSample& s) {
  if (s.uplink >= kMaxUplinks) {
    ++bad_uplink_;
    return;
  }
  BlackoutResult& r = results_[s.uplink];
  const BlackoutConfig& c = config_[s.uplink];
  ++r.streams;
  if (s.flags & (kStreamOnHold | kStreamComfortNoise | kStreamEnded | kStreamNotAnswered)) return;  // no inbound expected
  if (s.last_rx_ns == 0 || s.recent_rx_packets < c.flow_min_packets) return;   // was not flowing
  // Only a carrier that went silent while we talk is blacked out.
  if (s.last_tx_ns == 0 || s.recent_tx_packets < c.flow_min_packets) {
    ++r.one_way;
    return;
  }
  // Our side's quiet time, less the loop's stalls (its packets wait in the rx ring too).
  if (now_ > s.last_tx_ns) {
    const TimeNs quiet = now_ - s.last_tx_ns;
    const TimeNs gap = talk_gap(c.blackout);
    if (quiet >= gap && (!stalls_ || quiet - stalls_->within(s.last_tx_ns, now_) >= gap)) {
      // Both quiet: ended media; the carrier still sending: one-way (an announcement).
      if (now_ >= s.last_rx_ns + gap) ++r.ended;
      else ++r.one_way;
      return;
    }
  }
  // A stream already silent for the blackout time when this uplink took it
  // over proves nothing about this uplink.
  const TimeNs since = since_[s.uplink];
  if (s.last_rx_ns + c.blackout <= since) return;
  // Silence on this uplink counts from when it started carrying the stream.
  const TimeNs ref = s.last_rx_ns > since ? s.last_rx_ns : since;
  // Silence while the loop did not run is unknown (see the header).
  const TimeNs stalled = stalls_ && now_ >= ref + c.blackout ? stalls_->within(ref, now_) : 0;
  if (now_ >= ref + stalled + kStaleBlackouts * c.blackout) return;  // stale: left over
  ++r.active;
  if (now_ < ref + c.blackout) return;
  ++silent_unguarded_[s.uplink];
  if (now_ < ref + c.blackout + stalled) return;
  ++r.silent;
  if (ref > r.onset) r.onset = ref;  // when media stopped, not when the guard let go
}

void BlackoutDetector::end() {
  for (uint8_t u = 0; u < kMaxUplinks; ++u) {
    BlackoutResult& r = results_[u];
    const BlackoutConfig& c = config_[u];
    auto quorum = [&](uint32_t silent) {
      return r.active > 0 && r.active >= c.min_streams && uint64_t(silent) * 100 >= uint64_t(c.quorum_pct) * r.active;
    };
    r.blackout = quorum(r.silent);
    r.deferred_stall = !r.blackout && quorum(silent_unguarded_[u]);
    if (!r.blackout) r.onset = 0;
  }
}

}  // namespace tg::failover
