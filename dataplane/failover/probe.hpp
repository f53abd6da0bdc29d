// Probe scheduler, pure logic: says which echo probes to send when, matches
// replies, times rounds out and keeps RTT/loss/jitter over a window. The
// fast path builds and sends the ICMP echo (or UDP echo) packets.
//
// One round per uplink per interval = one probe to each target with the same
// (ident, seq). A round is answered by the first reply in time from any target
// (the uplink works if anything behind it answers), lost when its deadline
// (send + timeout) passes with no answer. Rounds the loop was too late to
// send are never created, so they are neither lost nor answered.
//
// Loop stalls: when the fast path's loop was descheduled, replies that came
// in time may still sit in the rx ring (and are stamped when polled, late).
// extend_for_stall() moves the deadline of every round in flight by the
// stall's length: a round is lost only after a whole timeout of time the
// loop was running. A reply after the original deadline but within the
// moved one answers the round without an RTT sample (its stamp is the
// stall's, not the path's).
#pragma once
#include <cstddef>
#include <cstdint>

#include "dataplane/failover/config.hpp"
#include "dataplane/api/stats.hpp"

namespace tg::failover {

struct ProbeRequest {
  IpAddr dst;                  // target to send to
  TimeNs send_ns;              // when the scheduler asked
  uint16_t ident;              // ICMP echo identifier (or UDP echo field)
  uint16_t seq;                // echo sequence number (= round)
  UplinkIndex uplink;          // send out this uplink
  uint8_t target;              // index into UplinkConfig::targets
  ProbeProto proto;            // ICMP echo or UDP echo
  uint16_t udp_port;           // udp_echo: destination port
};

struct RoundOutcome {
  UplinkIndex uplink;
  bool answered;
  TimeNs sent_ns;
  TimeNs rtt;                  // answered only (0 if untimed: answered after a loop stall)
  bool stalled = false;        // its deadline was moved by a loop stall
};

enum class ReplyMatch : uint8_t {
  answered,   // first reply of its round, in time: the round is answered
  duplicate,  // another target (or a duplicate) of an already answered round
  late,       // after the round's timeout: counted, the round stays lost
  unknown,    // not one of ours (ident/seq unknown or too old)
};

class ProbeScheduler {
 public:
  void configure(const Config& config, TimeNs now);
  void set_timers(UplinkIndex uplink, const HealthTimers& timers) { timers_[uplink] = timers; }
  // No rounds for a disabled uplink (carrier down, admin down): lost probes
  // would only repeat what the link fault already says. Re-enabling sends
  // the next round at once.
  void set_enabled(UplinkIndex uplink, bool enabled, TimeNs now);
  bool enabled(UplinkIndex uplink) const { return enabled_[uplink]; }
  uint8_t target_count(UplinkIndex uplink) const { return target_count_[uplink]; }

  // Probes due at `now`, up to cap (one per target per due round). Rounds that
  // were missed while not polled are not caught up: the next is at now + interval.
  size_t due(TimeNs now, ProbeRequest* out, size_t cap);
  // A reply; on `answered`, outcome describes the round.
  ReplyMatch on_reply(uint16_t ident, uint16_t seq, TimeNs now, RoundOutcome& outcome);
  // Rounds timed out by `now`, up to cap, oldest first.
  size_t expire(TimeNs now, RoundOutcome* out, size_t cap);
  // The loop did not run from stall_start to stall_end: rounds in flight
  // get that much more time. Returns a bit per uplink that had any.
  uint8_t extend_for_stall(TimeNs stall_start, TimeNs stall_end);
  // Rounds answered after their original deadline thanks to a stall's extension.
  uint64_t answered_after_stall(UplinkIndex uplink) const { return after_stall_[uplink]; }

  api::ProbeStatsWire stats(UplinkIndex uplink) const;
  TimeNs next_due(UplinkIndex uplink) const { return next_send_[uplink]; }

 private:
  struct Slot {
    TimeNs sent_ns = 0;
    uint16_t seq = 0;
    bool in_use = false;       // sent, neither answered nor expired
    bool valid = false;        // ever used (late replies are recognised)
    bool answered = false;     // answered in time (further replies are duplicates)
    TimeNs extra = 0;          // deadline moved by loop stalls
  };
  enum class SampleKind : uint8_t { answered, lost, untimed };  // untimed: answered, RTT unknown
  struct Sample { uint32_t rtt_us; SampleKind kind; };
  void record(UplinkIndex u, SampleKind kind, TimeNs rtt);

  uint8_t count_ = 0;
  uint16_t ident_base_ = 0;
  uint32_t window_ = 0;
  HealthTimers timers_[kMaxUplinks];
  IpAddr targets_[kMaxUplinks][kMaxProbeTargets];
  uint8_t target_count_[kMaxUplinks] = {};
  ProbeProto proto_[kMaxUplinks] = {};
  uint16_t udp_port_[kMaxUplinks] = {};
  TimeNs next_send_[kMaxUplinks] = {};
  bool enabled_[kMaxUplinks] = {};
  uint16_t next_seq_[kMaxUplinks] = {};
  uint16_t oldest_seq_[kMaxUplinks] = {};   // oldest possibly in-flight round
  Slot slots_[kMaxUplinks][kMaxProbesInFlight];
  Sample window_samples_[kMaxUplinks][kMaxProbeWindow] = {};
  uint32_t window_pos_[kMaxUplinks] = {};
  uint32_t window_fill_[kMaxUplinks] = {};
  uint64_t after_stall_[kMaxUplinks] = {};
  api::ProbeStatsWire totals_[kMaxUplinks] = {};
};

}  // namespace tg::failover
