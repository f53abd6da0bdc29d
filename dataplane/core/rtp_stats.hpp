// Per-stream RTP receive statistics, two views side by side:
//
// 1. RFC 3550 exactly: A.1 sequence tracking (extended max sequence, cycles,
//    probation before a source is valid, bad_seq resync on a large jump),
//    A.3 expected / lost / fraction lost (cumulative and per interval), A.8
//    interarrival jitter in timestamp units of the payload clock.
//
// 2. Wireshark 4.0 "RTP Streams" figures (`tshark -z rtp,streams`): Pkts,
//    Lost, Max Delta, Max Jitter, Mean Jitter, computed the way Wireshark's
//    ui/tap-rtp-analysis.c does (our own code, reproducing its rules), so
//    tg-analyze agrees with what a technician sees in Wireshark. Where the
//    two differ (see WiresharkRtpStats below), reports use the Wireshark
//    figures for packets/lost/delta/jitter and RFC 3550 for MOS windows.
//
// Plus: duplicates and late (reordered) packets from a 128-packet window of
// recently seen sequence numbers, max inter-packet delta, loss bursts and the
// Gilbert (2-state Markov) counts behind G.107's BurstR, and 1 s / 10 s
// windows for per-window MOS.
//
// Plain fixed-size value type: no allocation, trivially copyable, lives
// inline in the stream table. All time is injected (TimeNs arrival).
#pragma once
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "common/bytes.hpp"
#include "dataplane/core/rtp.hpp"

namespace tg {

constexpr uint8_t kRtpPtComfortNoise = 13;     // RFC 3389
constexpr uint8_t kRtpPtComfortNoiseOld = 19;  // reserved, old CN
constexpr uint8_t kRtpPtTelephoneEventDefault = 101;  // RFC 4733 events when no rtpmap names a PT
constexpr TimeNs kRtpWindowShort = 1 * kNsPerSec;
constexpr TimeNs kRtpWindowLong = 10 * kNsPerSec;

// Clock rate of a payload: the rtpmap rate when the SDP gave one, else the
// RFC 3551 static rate (8000 for PCMU/PCMA/G729/GSM/CN, 8000 for G722 by RFC
// 3551's historical exception), else by encoding name (opus 48000). Returns 0
// when unknown and for telephone-event: jitter is not computed for those
// packets (RFC 4733 timestamps stand still during an event), as Wireshark.
uint32_t rtp_clock_rate(uint8_t payload_type, std::string_view encoding, uint32_t rtpmap_rate);

// RFC 3550 A.1 constants.
constexpr uint32_t kRtpMaxDropout = 3000;
constexpr uint32_t kRtpMaxMisorder = 100;
constexpr uint32_t kRtpMinSequential = 2;

// What one packet did to the stream (bitmask), for counters and tests.
enum RtpPacketFlags : uint16_t {
  kRtpFlagFirst = 1 << 0,        // first packet of the stream
  kRtpFlagInOrder = 1 << 1,      // advanced max_seq (possibly after a gap)
  kRtpFlagGap = 1 << 2,          // advanced max_seq by more than 1: loss burst
  kRtpFlagDuplicate = 1 << 3,    // sequence already seen
  kRtpFlagLate = 1 << 4,         // older than max_seq, not seen before (reordered)
  kRtpFlagResync = 1 << 5,       // RFC 3550 bad_seq: source restarted, stats reset
  kRtpFlagBadJump = 1 << 6,      // large jump held back pending resync
  kRtpFlagProbation = 1 << 7,    // source not yet valid (MIN_SEQUENTIAL)
  kRtpFlagMarker = 1 << 8,       // M bit set (talkspurt start)
  kRtpFlagComfortNoise = 1 << 9, // PT 13 / 19
  kRtpFlagWindowShort = 1 << 10, // a 1 s window closed before this packet
  kRtpFlagWindowLong = 1 << 11,  // a 10 s window closed before this packet
};

// Two-state (Gilbert) loss model counts, from the receive pattern: each
// expected sequence number is "found" or "lost". G.107 BurstR = 1 / (p + q)
// with p = P(found -> lost), q = P(lost -> found); 1 for random loss.
struct LossRuns {
  uint32_t found_found = 0, found_lost = 0, lost_found = 0, lost_lost = 0;
  double burst_r() const;  // 1 when there is no loss
  void add(const LossRuns& o) {
    found_found += o.found_found; found_lost += o.found_lost;
    lost_found += o.lost_found; lost_lost += o.lost_lost;
  }
};

// One measurement window (1 s or 10 s of arrival time). While open it
// accumulates; when closed it holds that window's figures.
struct RtpWindow {
  TimeNs start = 0;               // arrival-time start (aligned to the stream's first packet)
  uint32_t expected = 0;          // A.3 expected_interval: extended max advanced by
  uint32_t received = 0;          // A.3 received_interval: packets accepted by A.1
  int32_t lost = 0;               // expected - received (negative with duplicates)
  float max_jitter_ms = 0;        // RFC 3550 jitter, max over the window
  float jitter_sum_ms = 0;        // for the mean
  uint32_t jitter_samples = 0;
  uint16_t bursts = 0;            // loss bursts that started in the window
  uint16_t longest_burst = 0;
  LossRuns runs;
  bool valid = false;             // a closed window with at least one packet

  double loss_pct() const {
    return expected == 0 || lost <= 0 ? 0.0 : 100.0 * double(lost) / double(expected);
  }
  double mean_jitter_ms() const { return jitter_samples ? jitter_sum_ms / jitter_samples : 0.0; }
};

// Wireshark 4.0 RTP stream analysis state and figures (rtppacket_analyse()
// in ui/tap-rtp-analysis.c and the expected/lost of ui/cli/tap-rtp.c, as
// shipped in Debian 12's tshark 4.0.17; checked against it packet by packet
// with tg-pcapgen's edge cases). Rules reproduced on purpose, where they
// differ from RFC 3550:
//  - every packet counts, from the first one: no probation, no bad_seq
//    resync (a restart shows as a huge loss or a negative one);
//  - "in time sequence" means the 32-bit RTP timestamp is at or after the
//    stream's FIRST timestamp and less than 2^31 ahead of it (so after a
//    32-bit timestamp wrap, or a jump backwards, packets are "wrong
//    timestamp": no jitter, no cycle counting, not in max/mean figures);
//  - a sequence cycle is counted when an in-time packet's seq is below the
//    first seq (or 0 after 65535) and reset once above it again;
//  - expected = last packet's seq + 65536 * cycles - first seq + 1 (the
//    LAST packet's seq, not the highest: a late last packet lowers it);
//    lost = expected - packets, negative with duplicates;
//  - jitter in ms on in-time packets with a known clock: nominal = (ts -
//    first ts) / (clock / 1000) with integer clock/1000, D = |arrival -
//    (last in-time arrival + nominal - last nominal)|, J = (15 J + D) / 16;
//  - max delta, max jitter and mean jitter skip the first packet, packets
//    with the marker bit, CN (PT 13/19) and the packet after CN, and
//    wrong-timestamp packets; mean jitter is the running mean of J (not D)
//    weighted as mean = (mean * (n - 1) + J) / n with n = packets before
//    this one, so skipped packets still count in n (Wireshark's quirk);
//  - Problems? is set by any wrong sequence or wrong timestamp.
struct WiresharkRtpStats {
  uint32_t packets = 0;          // "Pkts"
  uint16_t start_seq = 0, stop_seq = 0, seq_num = 0;
  bool under = false;
  bool problem = false;          // Wireshark's "Problems?" X
  uint32_t cycles = 0;
  uint32_t sequence_errors = 0;  // wrong sequence (lost, late or duplicate)
  uint32_t first_timestamp = 0;
  uint8_t last_pt = 0;
  double time_ms = 0;            // arrival of last in-time packet, ms since stream start
  double last_nominal_ms = 0;
  double delta_ms = 0, jitter_ms = 0;
  double max_delta_ms = 0, max_jitter_ms = 0, mean_jitter_ms = 0;

  uint32_t expected() const { return uint32_t(stop_seq) + cycles * 65536u - start_seq + 1; }
  int32_t lost() const { return packets ? int32_t(expected() - packets) : 0; }
  double lost_pct() const {
    uint32_t e = packets ? expected() : 0;
    return e ? double(lost()) * 100.0 / double(e) : 0.0;
  }
  // One packet; arrival_ms relative to any fixed origin.
  void on_packet(const RtpHeader& h, uint32_t clock_rate, double arrival_ms) noexcept;
};

class RtpStats {
 public:
  // Processes one RTP packet of this stream (same src, dst, SSRC).
  // clock_rate: rtp_clock_rate() of this packet's payload type; 0 = no jitter.
  // Returns RtpPacketFlags.
  uint16_t on_packet(const RtpHeader& h, uint32_t clock_rate, TimeNs arrival) noexcept;
  // Closes windows whose time is over although no packet arrived (silence,
  // hold, blackout). Returns kRtpFlagWindow* bits for windows closed.
  uint16_t advance(TimeNs now) noexcept;

  // --- RFC 3550 A.1 / A.3 / A.8 ---
  uint32_t packets() const { return packets_; }       // every packet handed in
  // A.1 received: since the source became valid (or last resync), incl. duplicates.
  uint32_t received() const { return received_; }
  uint32_t extended_max() const { return cycles_ + max_seq_; }
  uint32_t expected() const { return valid_ ? extended_max() - base_seq_ + 1 : 0; }
  int32_t lost() const { return int32_t(expected() - received_); }
  // A.3 fraction lost over the interval since the previous call (/256);
  // moves the interval (what an RR sender does).
  uint8_t take_fraction_lost();
  double jitter_ts() const { return jitter_; }        // timestamp units (A.8)
  double jitter_ms() const;                           // jitter_ts / clock
  bool valid() const { return valid_; }               // out of probation
  uint32_t resyncs() const { return resyncs_; }

  // --- extras ---
  uint32_t duplicates() const { return duplicates_; }
  uint32_t late() const { return late_; }             // reordered
  double max_jitter_ms() const { return max_jitter_ms_; }
  double mean_jitter_ms() const { return jitter_samples_ ? jitter_sum_ms_ / jitter_samples_ : 0; }
  double max_delta_ms() const { return double(max_delta_ns_) / 1e6; }
  uint32_t bursts() const { return bursts_; }
  uint32_t longest_burst() const { return longest_burst_; }
  const LossRuns& runs() const { return runs_; }
  uint32_t clock_rate() const { return clock_rate_; }
  TimeNs last_arrival() const { return last_arrival_; }

  // Windows: the one being filled and the last closed one.
  const RtpWindow& window_short() const { return last_short_; }
  const RtpWindow& window_long() const { return last_long_; }
  const RtpWindow& open_window_short() const { return cur_short_; }
  const RtpWindow& open_window_long() const { return cur_long_; }

  const WiresharkRtpStats& wireshark() const { return ws_; }

 private:
  void init_seq_(uint16_t seq);
  uint16_t roll_windows_(TimeNs now);
  void note_loss_(uint32_t gap);
  bool seen_(uint16_t seq) const;
  void mark_seen_(uint16_t seq);

  // A.1 source state.
  uint16_t max_seq_ = 0;
  uint32_t cycles_ = 0;          // shifted count of wraps (<< 16)
  uint32_t base_seq_ = 0;
  uint32_t bad_seq_ = 0;
  uint32_t probation_ = 0;
  uint32_t received_ = 0;
  uint32_t packets_ = 0;
  uint32_t expected_prior_ = 0, received_prior_ = 0;
  bool valid_ = false;
  bool started_ = false;
  uint32_t resyncs_ = 0;
  // A.8 jitter.
  uint32_t clock_rate_ = 0;
  uint32_t last_transit_ = 0;
  bool have_transit_ = false;
  double jitter_ = 0;
  TimeNs first_arrival_ = 0, last_arrival_ = 0;
  // Extras.
  uint64_t seen_bits_[2] = {0, 0};  // bit i: max_seq - i was received
  uint32_t duplicates_ = 0, late_ = 0;
  uint32_t bursts_ = 0, longest_burst_ = 0;
  LossRuns runs_;
  double max_jitter_ms_ = 0, jitter_sum_ms_ = 0;
  uint32_t jitter_samples_ = 0;
  uint64_t max_delta_ns_ = 0;
  RtpWindow cur_short_, last_short_, cur_long_, last_long_;
  WiresharkRtpStats ws_;
};

static_assert(std::is_trivially_copyable_v<RtpStats>);

}  // namespace tg
