// Per-call export of the fast path (producer side of dataplane/api/calls.hpp):
//  - a CallRecordWire into the CDR ring for every call the inspector's call
//    table frees (settled or ended, after its linger), from the Call and the
//    main audio stream of each direction; a full ring counts a drop;
//  - the live calls (calling/ringing/answered) republished into the live
//    table about once a second.
//
// Both run on the lcore that owns the inspector, in its control work:
// tick() advances a sweep by a bounded number of stream and call slots, so
// no loop iteration pays for the whole table; nothing allocates after the
// constructor, nothing locks, nothing makes a syscall.
//
// Which stream is a call's "main" one per direction: the call's streams
// (linked by the inspector from SDP) whose destination (else source) is the
// callee's SDP address carry caller -> callee media, those to (else from) the
// caller's SDP address the other direction; of several (SSRC change, forks)
// the one with the most packets. Its figures are snapshot per call at every
// sweep, so a stream that idled out before the call record is written still
// reports.
//
// The same sweep sums media per trunk (the call table's trunk index, which
// is also the index into api::StatsBody::trunks): live calls and streams,
// mean MOS and jitter of the live calls' directions, and RTP packets/lost
// over every call the table holds plus every call it freed.
//
// The stream pass also rates inbound voice per uplink (the stream's ingress
// tag): flowing streams, mean/worst MOS of their last closed 10 s window,
// loss, jitter and the one-way delay from their RTCP round trip — what
// tg-controld's per-uplink MOS and delay alarms read (api::UplinkMediaWire).
//
// Besides the main stream, every stream of the call is remembered per call
// slot (up to kCallSlotStreams, then folded into a per-direction rest) with
// its packet and telephone-event counts, so the record counts all RTP of
// each direction — DTMF on its own SSRC included — even after the streams
// idled out.
//
// Times: the record's stamps are the fast path's (calibrated) monotonic
// clock; the realtime offset stamped into a record is the one current at
// the call's INVITE (a short history of offsets, noted by the control work),
// not the one when the record is built 32 s after the call ended.
//
// Memory: sizeof(CallMediaSlot) = 264 bytes per call slot of the call table
// (next to its 520), plus a fixed staging table of 512 records (224 kB),
// 4 x 32 per-trunk sums (< 5 kB) and 2 x 4 per-uplink sums (< 1 kB).
#pragma once
#include <cstdint>
#include <memory>

#include "dataplane/core/inspector.hpp"
#include "dataplane/api/call_export.hpp"
#include "dataplane/api/stats.hpp"
#include "dataplane/api/uplink.hpp"

namespace tg::fastpath {

struct CallExportConfig {
  TimeNs live_period = 1 * kNsPerSec;  // live table republished this often
  uint32_t stream_budget = 512;         // stream slots visited per tick
  TimeNs media_fresh = 2 * kNsPerSec;   // a stream with no packet for longer is not flowing
  uint32_t call_budget = 512;           // call slots visited per tick
};

// One stream of a call as of the last sweep (serial: the stream, not its reusable index).
struct CallStreamSeen {
  uint32_t index = kNoStream;
  uint32_t serial = 0;          // low bits of RtpStream::serial
  uint32_t packets = 0;
  uint32_t dtmf_packets = 0;
  uint16_t dtmf_events = 0;
  uint8_t direction = 0;        // kMediaCallerToCallee / kMediaCalleeToCaller
  uint8_t dtmf_payload_type = 0;
};
constexpr int kCallSlotStreams = 6;

// Counts of one direction over all its streams.
struct DirectionCounts {
  uint32_t streams = 0, rtp_packets = 0, dtmf_packets = 0;
  uint16_t dtmf_events = 0;
  uint8_t dtmf_payload_type = 0;
  uint8_t reserved = 0;
};

// What the exporter knows about one call slot's media between sweeps.
struct CallMediaSlot {
  uint32_t generation = 0;                 // call this belongs to (with the slot: a CallRef)
  uint32_t stream[2] = {kNoStream, kNoStream};  // main stream per direction (kMediaCallerToCallee...)
  uint32_t reserved = 0;
  api::CallMediaWire media[2] = {};        // its figures at the last sweep
  CallStreamSeen seen[kCallSlotStreams];   // every stream of the call, oldest first
  DirectionCounts rest[2];                 // streams beyond kCallSlotStreams, folded
};
static_assert(sizeof(CallMediaSlot) == 264, "per-call memory is a stated figure");

// Media of one trunk's calls as of the last sweep.
struct TrunkMedia {
  uint32_t active_calls = 0;    // live calls
  uint32_t active_streams = 0;  // directions of live calls with RTP seen
  uint64_t rtp_packets = 0;     // cumulative: calls in the table + calls freed
  uint64_t rtp_lost = 0;        // same, negative (duplicates) counted as 0
  uint32_t mos_x100 = 0;        // mean over live directions with a figure; 0 none
  uint32_t jitter_us = 0;       // mean over live directions with RTP
};

class CallExporter {
 public:
  // cdr / live may be null (no shared memory): records are still built and
  // counted. Installs itself as the inspector's call-removed hook.
  CallExporter(Inspector& in, api::CdrProducer* cdr, api::LiveCallsWriter* live, TimeNs now,
               const CallExportConfig& cfg = {}, uint8_t initial_uplink = api::kNoUplink);
  ~CallExporter();
  CallExporter(const CallExporter&) = delete;
  CallExporter& operator=(const CallExporter&) = delete;

  // Control work: one bounded step of the sweep; publishes when a sweep ends.
  void tick(TimeNs now);

  // The active uplink changed at `when` (switch events, in time order).
  void note_switch(TimeNs when, uint8_t from, uint8_t to);
  // Uplink active at `t` as far as the recent switch history tells (kNoUplink unknown).
  uint8_t uplink_at(TimeNs t) const;
  // CLOCK_REALTIME - fast path clock as measured at `when` (the control
  // work, in time order). Kept when it moved by more than 100 us, so each
  // record converts with the offset of its own INVITE.
  void note_realtime_offset(TimeNs when, uint64_t offset_ns);
  uint64_t realtime_offset_at(TimeNs t) const;

  // The record of one call as it stands (also what the CDR hook pushes).
  void build(const Call& call, CallRef ref, api::CallRecordWire& out) const;

  uint64_t cdr_records() const { return cdr_records_; }   // calls removed and recorded
  uint64_t cdr_dropped() const { return cdr_dropped_; }   // not queued: CDR ring full
  uint64_t live_publishes() const { return publishes_; }
  uint32_t live_count() const { return published_count_; }   // records in the last publish
  uint32_t live_total() const { return published_total_; }   // live calls at the last publish
  const CallMediaSlot& media_slot(uint32_t call_slot) const { return slots_[call_slot]; }
  // Trunk t of the call table (0..kMaxTrunks-1), as of the last publish.
  const TrunkMedia& trunk_media(int t) const { return trunks_[t]; }
  // Inbound voice through uplink u (0..api::kMaxUplinks-1), as of the last stream pass.
  const api::UplinkMediaWire& uplink_media(uint8_t u) const { return uplinks_[u]; }

 private:
  enum class Phase : uint8_t { idle, streams, calls };
  static void on_removed_hook(const Call& call, CallRef ref, void* self);
  void on_removed(const Call& call, CallRef ref);
  void visit_stream(uint32_t index, TimeNs now);
  void add_to_uplink(uint32_t index, const RtpStream& s, TimeNs now);
  void publish_uplinks();
  // kMediaCallerToCallee / kMediaCalleeToCaller, or -1 if the stream is neither.
  static int direction_of(const Call& call, const RtpStream& s);
  void fill_media(const RtpStream& s, api::CallMediaWire& m) const;
  void note_stream(CallMediaSlot& slot, uint32_t index, const RtpStream& s, int dir);
  void fill_counts(const CallMediaSlot& slot, CallRef ref, api::CallRecordWire& r) const;
  void fill_uplinks(const Call& c, api::CallRecordWire& r) const;
  void add_to_trunk(const api::CallRecordWire& r, bool live);

  struct TrunkSums {
    uint32_t calls = 0, streams = 0, mos_n = 0, jitter_n = 0;
    uint64_t packets = 0, lost = 0, mos_sum = 0, jitter_sum = 0;
  };

  struct UplinkSums {
    uint32_t streams = 0, rated = 0, delay_n = 0, delay_max_us = 0;
    uint16_t mos_min_x100 = 0;
    uint64_t mos_sum = 0, expected = 0, lost = 0, jitter_sum_us = 0, delay_sum_us = 0;
  };

  Inspector& in_;
  api::CdrProducer* cdr_;
  api::LiveCallsWriter* live_;
  CallExportConfig cfg_;
  std::unique_ptr<CallMediaSlot[]> slots_;
  std::unique_ptr<api::CallRecordWire[]> staging_;
  Phase phase_ = Phase::idle;
  TimeNs next_sweep_ = 0;
  uint32_t cursor_ = 0;
  uint32_t staged_ = 0, staged_total_ = 0;
  uint32_t published_count_ = 0, published_total_ = 0;
  uint64_t publishes_ = 0;
  uint64_t cdr_records_ = 0, cdr_dropped_ = 0;
  struct OffsetChange {
    TimeNs when;
    uint64_t offset_ns;
  };
  static constexpr uint32_t kOffsetHistory = 16;
  OffsetChange offsets_[kOffsetHistory] = {};
  uint32_t offset_count_ = 0;  // total noted; the last kOffsetHistory are kept
  TrunkSums sums_[kMaxTrunks];            // this sweep's call pass so far
  uint64_t freed_packets_[kMaxTrunks] = {}, freed_lost_[kMaxTrunks] = {};  // calls freed, all time
  uint64_t freed_base_packets_[kMaxTrunks] = {}, freed_base_lost_[kMaxTrunks] = {};  // ... as of this pass
  TrunkMedia trunks_[kMaxTrunks];
  UplinkSums uplink_sums_[api::kMaxUplinks];   // this sweep's stream pass so far
  api::UplinkMediaWire uplinks_[api::kMaxUplinks] = {};

  // Recent switches, for the uplinks a call used.
  struct Switch {
    TimeNs when;
    uint8_t from, to;
  };
  static constexpr uint32_t kSwitchHistory = 32;
  Switch switches_[kSwitchHistory] = {};
  uint32_t switch_count_ = 0;  // total noted; the last kSwitchHistory are kept
  uint8_t initial_uplink_;
};

}  // namespace tg::fastpath
