// What tg-callgen saw of one received RTP stream: RFC 3550 A.1 sequence
// accounting (extended highest sequence, cumulative loss) and A.8
// interarrival jitter, plus the longest gap between arrivals.
#pragma once
#include <cstdint>

namespace tg::callgen {

class RtpReceiver {
 public:
  explicit RtpReceiver(uint32_t clock_rate = 8000) : clock_rate_(clock_rate) {}

  // arrival_ns: local monotonic time of arrival.
  void on_packet(uint16_t seq, uint32_t rtp_ts, uint64_t arrival_ns) {
    if (packets_ == 0) {
      base_seq_ = seq;
      max_seq_ = seq;
      cycles_ = 0;
    } else {
      uint16_t delta = uint16_t(seq - max_seq_);
      if (delta != 0 && delta < 0x8000) {  // in order, maybe with a gap
        if (seq < max_seq_) cycles_ += 0x10000;
        max_seq_ = seq;
      }
      uint64_t gap = arrival_ns - last_arrival_ns_;
      if (arrival_ns > last_arrival_ns_ && gap > longest_gap_ns_) longest_gap_ns_ = gap;
      // A.8: D(i-1,i) = (Rj - Ri) - (Sj - Si) in timestamp units.
      int64_t arrival_units = int64_t(arrival_ns * clock_rate_ / 1'000'000'000ULL);
      int64_t transit = arrival_units - int64_t(rtp_ts);
      int64_t d = transit - last_transit_;
      if (d < 0) d = -d;
      jitter_ += (double(d) - jitter_) / 16.0;
    }
    last_transit_ = int64_t(arrival_ns * clock_rate_ / 1'000'000'000ULL) - int64_t(rtp_ts);
    last_arrival_ns_ = arrival_ns;
    ++packets_;
  }

  uint64_t packets() const { return packets_; }
  uint32_t extended_max() const { return cycles_ + max_seq_; }
  uint64_t expected() const { return packets_ ? uint64_t(extended_max()) - base_seq_ + 1 : 0; }
  int64_t lost() const { return int64_t(expected()) - int64_t(packets_); }
  double jitter_ms() const { return jitter_ * 1000.0 / clock_rate_; }
  uint32_t jitter_units() const { return uint32_t(jitter_); }
  double longest_gap_ms() const { return double(longest_gap_ns_) / 1e6; }
  uint32_t clock_rate() const { return clock_rate_; }

  // RFC 3550 6.4.1 report block fields since the previous call.
  uint8_t fraction_lost_since_last() {
    uint64_t expected_interval = expected() - expected_prior_;
    uint64_t received_interval = packets_ - received_prior_;
    expected_prior_ = expected();
    received_prior_ = packets_;
    if (expected_interval == 0 || received_interval >= expected_interval) return 0;
    return uint8_t(((expected_interval - received_interval) << 8) / expected_interval);
  }

 private:
  uint32_t clock_rate_;
  uint64_t packets_ = 0;
  uint16_t base_seq_ = 0, max_seq_ = 0;
  uint32_t cycles_ = 0;
  int64_t last_transit_ = 0;
  uint64_t last_arrival_ns_ = 0, longest_gap_ns_ = 0;
  double jitter_ = 0;
  uint64_t expected_prior_ = 0, received_prior_ = 0;
};

}  // namespace tg::callgen
