// Per-stream RTP statistics: RFC 3550 A.1/A.3/A.8 and Wireshark 4.0's
// stream analysis (see rtp_stats.hpp for the rules of each). Our own code.
#include "dataplane/core/text.hpp"
#include "dataplane/core/rtp_stats.hpp"

#include <cmath>

namespace tg {

namespace {

constexpr uint32_t kSeqMod = 1u << 16;

using text::iequals;  // dataplane/core/text.hpp

// RFC 3551 Table 4 audio and Table 5 video static clock rates (Wireshark's
// clock_map holds the same); 0 for unassigned/dynamic numbers.
uint32_t static_clock_rate(uint8_t pt) {
  switch (pt) {
    case 0: case 1: case 2: case 3: case 4: case 5: case 7: case 8: case 9:
    case 12: case 13: case 15: case 18: case 19:
      return 8000;  // G722 is 8000 by RFC 3551 4.5.2's historical error
    case 6: return 16000;
    case 10: case 11: return 44100;
    case 16: return 11025;
    case 17: return 22050;
    case 14: case 25: case 26: case 28: case 31: case 32: case 33: case 34:
      return 90000;
    default: return 0;
  }
}

}  // namespace

uint32_t rtp_clock_rate(uint8_t payload_type, std::string_view encoding, uint32_t rtpmap_rate) {
  // RFC 4733 events: the timestamp stands still during an event, so no
  // jitter from them (Wireshark sets clock 0 for telephone-event too).
  if (iequals(encoding, "telephone-event")) return 0;
  // Static numbers keep their RFC 3551 rate whatever the rtpmap says, as
  // Wireshark does for PT < 96.
  if (payload_type < 96) {
    uint32_t r = static_clock_rate(payload_type);
    if (r) return r;
  }
  if (rtpmap_rate) return rtpmap_rate;
  if (iequals(encoding, "opus")) return 48000;  // RFC 7587 4.1: always 48000
  if (iequals(encoding, "PCMU") || iequals(encoding, "PCMA") || iequals(encoding, "G729") ||
      iequals(encoding, "GSM") || iequals(encoding, "CN") || iequals(encoding, "G722"))
    return 8000;
  return 0;
}

double LossRuns::burst_r() const {
  // G.107 (06/2015) 7.2 / Annex: BurstR = 1 / (p + q), p = P(found->lost),
  // q = P(lost->found), from the 2-state Markov model of the loss pattern.
  uint32_t from_found = found_found + found_lost;
  uint32_t from_lost = lost_found + lost_lost;
  if (found_lost == 0 || from_found == 0 || from_lost == 0) return 1.0;
  double p = double(found_lost) / double(from_found);
  double q = double(lost_found) / double(from_lost);
  if (p + q <= 0) return 1.0;
  return 1.0 / (p + q);
}

// ---------------------------------------------------------------- Wireshark

void WiresharkRtpStats::on_packet(const RtpHeader& h, uint32_t clock_rate, double now_ms) noexcept {
  if (packets == 0) {
    start_seq = stop_seq = seq_num = h.seq;
    first_timestamp = h.timestamp;
    time_ms = now_ms;
    last_nominal_ms = 0;
    last_pt = h.payload_type;
    packets = 1;
    return;
  }
  // In time sequence: at or after the first timestamp, < 2^31 ahead of it.
  // (Wireshark 4.0 also has a "wrapped" branch that can never be true.)
  bool in_time = h.timestamp >= first_timestamp && h.timestamp - first_timestamp < 0x80000000u;
  bool wrong_seq = false;

  if (in_time) {
    if (h.seq < start_seq && !under) {
      ++cycles;
      under = true;
    } else if (h.seq == 0 && stop_seq == 65535 && !under) {
      ++cycles;
      under = true;
    } else if (h.seq > start_seq && under) {
      under = false;
    }
  }
  // Wireshark compares in int arithmetic (seq_num + 1 does not wrap to 0;
  // 65535 -> 0 is its own case).
  int32_t next_int = int32_t(seq_num) + 1, seq = h.seq;
  if (in_time && next_int == seq) {
    seq_num = h.seq;
  } else if (in_time && seq_num == 65535 && seq == 0) {
    seq_num = h.seq;
  } else if (in_time && (next_int < seq || int32_t(seq_num) - seq > 0xFF00)) {
    // Gap (lost packets), or a huge step back taken as a wrap past lost ones.
    seq_num = h.seq;
    wrong_seq = true;
  } else if (next_int > seq) {
    wrong_seq = true;  // late or duplicate
  }
  if (wrong_seq) ++sequence_errors;

  bool cn = h.payload_type == kRtpPtComfortNoise || h.payload_type == kRtpPtComfortNoiseOld;
  bool follow_cn = last_pt == kRtpPtComfortNoise || last_pt == kRtpPtComfortNoiseOld;
  last_pt = h.payload_type;

  double current_jitter = 0;
  if (in_time) {
    if (clock_rate != 0) {
      double nominal = double(h.timestamp - first_timestamp) / double(clock_rate / 1000);
      double expected_ms = time_ms + (nominal - last_nominal_ms);
      double diff = std::fabs(now_ms - expected_ms);
      current_jitter = (15 * jitter_ms + diff) / 16;
      jitter_ms = current_jitter;
      delta_ms = now_ms - time_ms;
      last_nominal_ms = nominal;
    } else {
      delta_ms = now_ms - time_ms;
    }
  }
  if (!h.marker && !cn && !follow_cn && in_time) {
    if (delta_ms > max_delta_ms) max_delta_ms = delta_ms;
    if (clock_rate != 0) {
      if (jitter_ms > max_jitter_ms) max_jitter_ms = jitter_ms;
      mean_jitter_ms = (mean_jitter_ms * double(packets - 1) + current_jitter) / double(packets);
    }
  }
  if (in_time) time_ms = now_ms;
  if (wrong_seq || !in_time) problem = true;
  stop_seq = h.seq;
  ++packets;
}

// ---------------------------------------------------------------- RFC 3550

void RtpStats::init_seq_(uint16_t seq) {
  // RFC 3550 A.1 init_seq().
  base_seq_ = seq;
  max_seq_ = seq;
  bad_seq_ = kSeqMod + 1;  // so seq == bad_seq is false
  cycles_ = 0;
  received_ = 0;
  received_prior_ = 0;
  expected_prior_ = 0;
  seen_bits_[0] = 1;  // max_seq itself
  seen_bits_[1] = 0;
}

bool RtpStats::seen_(uint16_t seq) const {
  uint16_t back = uint16_t(max_seq_ - seq);
  if (back >= 128) return false;
  return (seen_bits_[back / 64] >> (back % 64)) & 1;
}

void RtpStats::mark_seen_(uint16_t seq) {
  uint16_t back = uint16_t(max_seq_ - seq);
  if (back >= 128) return;
  seen_bits_[back / 64] |= uint64_t(1) << (back % 64);
}

void RtpStats::note_loss_(uint32_t gap) {
  // gap = sequence numbers skipped (lost so far: a late one may still come).
  ++bursts_;
  if (gap > longest_burst_) longest_burst_ = gap;
  runs_.found_lost += 1;
  runs_.lost_lost += gap - 1;
  runs_.lost_found += 1;
  for (RtpWindow* w : {&cur_short_, &cur_long_}) {
    ++w->bursts;
    if (gap > w->longest_burst) w->longest_burst = uint16_t(gap > 65535 ? 65535 : gap);
    w->runs.found_lost += 1;
    w->runs.lost_lost += gap - 1;
    w->runs.lost_found += 1;
  }
}

uint16_t RtpStats::roll_windows_(TimeNs now) {
  uint16_t flags = 0;
  struct Pair {
    RtpWindow* cur;
    RtpWindow* last;
    TimeNs len;
    uint16_t flag;
  } pairs[2] = {{&cur_short_, &last_short_, kRtpWindowShort, kRtpFlagWindowShort},
                {&cur_long_, &last_long_, kRtpWindowLong, kRtpFlagWindowLong}};
  for (Pair& p : pairs) {
    if (now < p.cur->start + p.len) continue;
    p.cur->valid = p.cur->received > 0;
    p.cur->lost = int32_t(p.cur->expected) - int32_t(p.cur->received);
    *p.last = *p.cur;
    // Windows stay aligned to the first packet; fully silent windows in
    // between are reported as one empty closed window (valid = false).
    TimeNs elapsed = (now - p.cur->start) / p.len;
    TimeNs next_start = p.cur->start + elapsed * p.len;
    if (elapsed > 1) {
      *p.last = RtpWindow{};
      p.last->start = next_start - p.len;
    }
    *p.cur = RtpWindow{};
    p.cur->start = next_start;
    flags |= p.flag;
  }
  return flags;
}

uint16_t RtpStats::advance(TimeNs now) noexcept {
  if (!started_) return 0;
  return roll_windows_(now);
}

uint16_t RtpStats::on_packet(const RtpHeader& h, uint32_t clock_rate, TimeNs arrival) noexcept {
  uint16_t flags = 0;
  if (!started_) {
    started_ = true;
    first_arrival_ = arrival;
    last_arrival_ = arrival;
    // A.1: first packet starts probation with max_seq = seq - 1.
    init_seq_(h.seq);
    max_seq_ = uint16_t(h.seq - 1);
    probation_ = kRtpMinSequential;
    cur_short_.start = cur_long_.start = arrival;
    flags |= kRtpFlagFirst;
  } else {
    flags |= roll_windows_(arrival);
    if (arrival >= last_arrival_) {
      uint64_t d = arrival - last_arrival_;
      if (d > max_delta_ns_) max_delta_ns_ = d;
      last_arrival_ = arrival;
    }
  }
  ++packets_;
  if (h.marker) flags |= kRtpFlagMarker;
  if (h.payload_type == kRtpPtComfortNoise || h.payload_type == kRtpPtComfortNoiseOld)
    flags |= kRtpFlagComfortNoise;
  ws_.on_packet(h, clock_rate, double(arrival - first_arrival_) / 1e6);

  // --- RFC 3550 A.1 update_seq() ---
  uint16_t seq = h.seq;
  uint16_t udelta = uint16_t(seq - max_seq_);
  bool accepted = false;
  if (probation_) {
    if (seq == uint16_t(max_seq_ + 1)) {
      --probation_;
      max_seq_ = seq;
      if (probation_ == 0) {
        init_seq_(seq);
        valid_ = true;
        accepted = true;
        flags |= kRtpFlagInOrder;
        for (RtpWindow* w : {&cur_short_, &cur_long_}) w->expected += 1;
      } else {
        flags |= kRtpFlagProbation;
      }
    } else {
      probation_ = kRtpMinSequential - 1;
      max_seq_ = seq;
      flags |= kRtpFlagProbation;
    }
  } else if (udelta == 0) {
    // Same as the highest: a duplicate (A.1 counts it in received).
    accepted = true;
    ++duplicates_;
    flags |= kRtpFlagDuplicate;
  } else if (udelta < kRtpMaxDropout) {
    // In order, with permissible gap.
    if (seq < max_seq_) cycles_ += kSeqMod;
    // Shift the seen window by udelta (bit 0 = new max_seq).
    if (udelta >= 128) {
      seen_bits_[0] = seen_bits_[1] = 0;
    } else if (udelta >= 64) {
      seen_bits_[1] = seen_bits_[0] << (udelta - 64);
      seen_bits_[0] = 0;
    } else {
      seen_bits_[1] = (seen_bits_[1] << udelta) | (seen_bits_[0] >> (64 - udelta));
      seen_bits_[0] <<= udelta;
    }
    seen_bits_[0] |= 1;
    max_seq_ = seq;
    accepted = true;
    flags |= kRtpFlagInOrder;
    for (RtpWindow* w : {&cur_short_, &cur_long_}) w->expected += udelta;
    if (udelta > 1) {
      flags |= kRtpFlagGap;
      note_loss_(udelta - 1u);
    } else {
      runs_.found_found += 1;
      cur_short_.runs.found_found += 1;
      cur_long_.runs.found_found += 1;
    }
  } else if (udelta <= kSeqMod - kRtpMaxMisorder) {
    // A very large jump: accept only if the next packet follows it (the
    // source restarted), else treat as a stray.
    if (seq == bad_seq_) {
      init_seq_(seq);
      ++resyncs_;
      accepted = true;
      flags |= kRtpFlagResync | kRtpFlagInOrder;
      for (RtpWindow* w : {&cur_short_, &cur_long_}) w->expected += 1;
      // A new sequence space: the jitter reference is no longer meaningful.
      have_transit_ = false;
    } else {
      bad_seq_ = (uint32_t(seq) + 1) & (kSeqMod - 1);
      flags |= kRtpFlagBadJump;
    }
  } else {
    // Duplicate or reordered (up to MAX_MISORDER behind).
    accepted = true;
    if (seen_(seq)) {
      ++duplicates_;
      flags |= kRtpFlagDuplicate;
    } else {
      ++late_;
      mark_seen_(seq);
      flags |= kRtpFlagLate;
    }
  }
  if (!accepted) return flags;
  ++received_;
  for (RtpWindow* w : {&cur_short_, &cur_long_}) w->received += 1;
  if (flags & kRtpFlagFirst) return flags;

  // --- RFC 3550 A.8 interarrival jitter, in timestamp units ---
  if (clock_rate == 0) return flags;
  if (clock_rate != clock_rate_) {
    clock_rate_ = clock_rate;  // units changed: restart the reference
    have_transit_ = false;
  }
  // Arrival in timestamp units relative to the stream's first packet;
  // only differences of transit matter, so modulo 2^32 is fine.
  uint64_t rel_ns = arrival - first_arrival_;
  uint32_t arrival_ts = uint32_t((rel_ns / kNsPerSec) * clock_rate +
                                 (rel_ns % kNsPerSec) * clock_rate / kNsPerSec);
  uint32_t transit = arrival_ts - h.timestamp;
  if (have_transit_) {
    int32_t d = int32_t(transit - last_transit_);
    double ad = d < 0 ? -double(d) : double(d);
    jitter_ += (ad - jitter_) / 16.0;
    double jms = jitter_ms();
    if (jms > max_jitter_ms_) max_jitter_ms_ = jms;
    jitter_sum_ms_ += jms;
    ++jitter_samples_;
    for (RtpWindow* w : {&cur_short_, &cur_long_}) {
      if (jms > w->max_jitter_ms) w->max_jitter_ms = float(jms);
      w->jitter_sum_ms += float(jms);
      ++w->jitter_samples;
    }
  }
  last_transit_ = transit;
  have_transit_ = true;
  return flags;
}

double RtpStats::jitter_ms() const {
  return clock_rate_ ? jitter_ * 1000.0 / double(clock_rate_) : 0.0;
}

uint8_t RtpStats::take_fraction_lost() {
  // RFC 3550 A.3.
  uint32_t exp = expected();
  uint32_t expected_interval = exp - expected_prior_;
  expected_prior_ = exp;
  uint32_t received_interval = received_ - received_prior_;
  received_prior_ = received_;
  int64_t lost_interval = int64_t(expected_interval) - int64_t(received_interval);
  if (expected_interval == 0 || lost_interval <= 0) return 0;
  return uint8_t((lost_interval << 8) / expected_interval);
}

}  // namespace tg
