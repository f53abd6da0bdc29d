// Media blackout detector: per uplink, "inbound RTP stopped on a quorum of
// the streams that were flowing, while our side of each of those calls kept
// talking". Independent of the stream table's type:
// the fast path walks its own table and add()s one StreamSample per stream
// between begin() and end(); nothing is stored per stream here.
//
// A stream counts (is "active") on its uplink when:
//   - it is not on hold (sendonly/inactive/ended) and not in comfort noise,
//   - it was flowing: >= flow_min_packets inbound in the second before its
//     last inbound packet (FlowMeter below can keep that figure),
//   - its call's LAN -> carrier stream is flowing (>= flow_min_packets in
//     its last second) and still talking: its last packet is less than
//     talk_gap(blackout) of running time old. A carrier that goes silent
//     while we talk is an outage; streams whose two directions went quiet
//     together are ended media (the caller hung up the audio, an IVR prompt
//     finished, silence suppression), and one-way media (an announcement
//     with a silent LAN side, or our side only) is no evidence either way,
//   - it received inbound since the uplink started carrying traffic
//     (carrying_since): streams just moved by a switch never flowed there,
//   - its silence is not stale (>= kStaleBlackouts x blackout): the rule
//     fires after one blackout time, so a silence that old is not a new
//     blackout but a stream left over (e.g. its record picked up by a new
//     call on the same ports that has no media yet).
// Blackout on an uplink when active >= min_streams and silent (no inbound
// for >= blackout) * 100 >= quorum_pct * active.
//
// Loop stalls: while the fast path's loop is descheduled, the streams'
// packets wait in the rx rings, so right after it every stream looks
// silent. Silence is therefore counted in time the loop was running: the
// stalls recorded in LoopStalls are left out of it (the packets of a stall
// are polled, and stamped, just after it). Silence that starts after the
// stall is not delayed. The result says when this held a blackout back.
#pragma once
#include <cstdint>

#include "dataplane/failover/config.hpp"

namespace tg::failover {

enum StreamFlag : uint8_t {
  kStreamOnHold = 0x01,        // SDP sendonly/inactive (or recvonly far side): no inbound expected
  kStreamComfortNoise = 0x02,  // last inbound was CN (PT 13 or the negotiated RFC 3389 PT)
  kStreamEnded = 0x04,         // BYE seen / being torn down
  kStreamNotAnswered = 0x08,   // its call is still being set up: media may not flow yet
};

// RFC 3389 comfort noise: static PT 13, or the dynamic PT bound to CN in SDP
// (cn_dynamic_pt 0 = none negotiated).
inline bool is_comfort_noise_pt(uint8_t pt, uint8_t cn_dynamic_pt = 0) {
  return pt == 13 || (cn_dynamic_pt != 0 && pt == cn_dynamic_pt);
}

struct StreamSample {
  TimeNs last_rx_ns;           // last inbound RTP packet (0: never)
  uint32_t recent_rx_packets;  // inbound packets in the second before last_rx_ns
  UplinkIndex uplink;          // uplink carrying the stream
  uint8_t flags;               // StreamFlag
  // The same call's LAN -> carrier stream (the newest, if several).
  TimeNs last_tx_ns = 0;          // its last packet (0: none: one-way inbound)
  uint32_t recent_tx_packets = 0; // its packets in the second before last_tx_ns
};

// How long our side may pause and still be "talking": a few packet times at
// the longest common ptime, and never more than half the blackout time, so
// that the LAN side talked through at least half of the inbound silence.
inline TimeNs talk_gap(TimeNs blackout) {
  const TimeNs gap = 80 * kNsPerMs;
  return gap < blackout / 2 ? gap : blackout / 2;
}

// 8 bytes a stream table can embed to provide recent_rx_packets: a sliding
// one-second count from two buckets, updated per inbound packet (no clock).
class FlowMeter {
 public:
  void on_packet(TimeNs now);
  // Packets in the second ending at `at` (pass the last inbound time).
  uint32_t recent(TimeNs at) const;

 private:
  uint32_t bucket_start_ms_ = 0;  // wraps after 49 days; differences are modular
  uint16_t current_ = 0;
  uint16_t previous_ = 0;
};

// The last loop stalls (gaps between two passes of the fast path loop),
// newest last. Older ones than kKept fall out: a stream silent across more
// than that many stalls has the older ones counted as silence.
class LoopStalls {
 public:
  static constexpr uint32_t kKept = 16;
  void add(TimeNs start, TimeNs end) {
    stalls_[n_++ % kKept] = Stall{start, end};
  }
  // Stalled time within [from, to].
  TimeNs within(TimeNs from, TimeNs to) const {
    TimeNs sum = 0;
    for (uint32_t i = 0; i < n_ && i < kKept; ++i) {
      const Stall& st = stalls_[(n_ - 1 - i) % kKept];
      if (st.end <= from) break;  // older ones end earlier still
      const TimeNs a = st.start > from ? st.start : from, b = st.end < to ? st.end : to;
      if (b > a) sum += b - a;
    }
    return sum;
  }
  uint64_t count() const { return n_; }

 private:
  struct Stall { TimeNs start, end; };
  Stall stalls_[kKept] = {};
  uint64_t n_ = 0;
};

struct BlackoutResult {
  bool blackout = false;
  uint32_t streams = 0;        // samples seen on the uplink
  uint32_t active = 0;         // counted (see above)
  uint32_t silent = 0;         // active and silent for >= blackout
  uint32_t ended = 0;          // flowing both ways once, both directions quiet now (ended media)
  uint32_t one_way = 0;        // inbound flowing, our side of the call not talking (announcement)
  TimeNs onset = 0;            // latest last_rx among silent streams: media stopped by then
  bool deferred_stall = false; // a blackout without the stall guard (see above)
};

class BlackoutDetector {
 public:
  static constexpr uint32_t kStaleBlackouts = 10;
  void configure(UplinkIndex uplink, const BlackoutConfig& config) { config_[uplink] = config; }
  const BlackoutConfig& config(UplinkIndex uplink) const { return config_[uplink]; }
  // carrying_since[u]: when uplink u started carrying the streams (last switch to it).
  // stalls: the loop's recent stalls, left out of silence (nullptr: none).
  void begin(TimeNs now, const TimeNs* carrying_since, const LoopStalls* stalls = nullptr);
  void add(const StreamSample& s);
  void end();
  const BlackoutResult& result(UplinkIndex uplink) const { return results_[uplink]; }
  uint64_t samples_bad_uplink() const { return bad_uplink_; }

 private:
  BlackoutConfig config_[kMaxUplinks];
  BlackoutResult results_[kMaxUplinks];
  uint32_t silent_unguarded_[kMaxUplinks] = {};
  TimeNs since_[kMaxUplinks] = {};
  TimeNs now_ = 0;
  const LoopStalls* stalls_ = nullptr;
  uint64_t bad_uplink_ = 0;
};

}  // namespace tg::failover
