// Media blackout detector: per uplink, "inbound RTP stopped on a quorum of
// the streams that were flowing". Independent of the stream table's type:
// the fast path walks its own table and add()s one StreamSample per stream
// between begin() and end(); nothing is stored per stream here.
//
// A stream counts (is "active") on its uplink when:
//   - it is not on hold (sendonly/inactive/ended) and not in comfort noise,
//   - it was flowing: >= flow_min_packets inbound in the second before its
//     last inbound packet (FlowMeter below can keep that figure),
//   - it received inbound since the uplink started carrying traffic
//     (carrying_since): streams just moved by a switch never flowed there.
// Blackout on an uplink when active >= min_streams and silent (no inbound
// for >= blackout) * 100 >= quorum_pct * active.
//
// Loop stalls: after the fast path's loop was descheduled, the streams'
// packets of the stall still wait in the rx rings, so every stream looks
// silent. begin()'s fresh_from (the end of the last stall) restarts the
// silence of every stream there: a blackout needs one whole blackout time
// of fresh observation after the stall. Silence that starts after the stall
// is not delayed. The result says when the guard held a blackout back.
#pragma once
#include <cstdint>

#include "dataplane/failover/config.hpp"

namespace tg::failover {

enum StreamFlag : uint8_t {
  kStreamOnHold = 0x01,        // SDP sendonly/inactive (or recvonly far side): no inbound expected
  kStreamComfortNoise = 0x02,  // last inbound was CN (PT 13 or the negotiated RFC 3389 PT)
  kStreamEnded = 0x04,         // BYE seen / being torn down
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
};

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

struct BlackoutResult {
  bool blackout = false;
  uint32_t streams = 0;        // samples seen on the uplink
  uint32_t active = 0;         // counted (see above)
  uint32_t silent = 0;         // active and silent for >= blackout
  TimeNs onset = 0;            // latest last_rx among silent streams: media stopped by then
  bool deferred_stall = false; // a blackout without the stall guard (see above)
};

class BlackoutDetector {
 public:
  void configure(UplinkIndex uplink, const BlackoutConfig& config) { config_[uplink] = config; }
  const BlackoutConfig& config(UplinkIndex uplink) const { return config_[uplink]; }
  // carrying_since[u]: when uplink u started carrying the streams (last switch to it).
  // fresh_from: end of the last loop stall (0: none).
  void begin(TimeNs now, const TimeNs* carrying_since, TimeNs fresh_from = 0);
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
  TimeNs fresh_from_ = 0;
  uint64_t bad_uplink_ = 0;
};

}  // namespace tg::failover
