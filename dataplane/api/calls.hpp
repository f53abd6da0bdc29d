// Per-call export, fast path -> control daemon and console (contract only;
// the producer lives in dataplane/fastpath, the consumers in control/ and
// tools/cli). Two more shared-memory objects next to the three of
// channels.hpp:
//
//   <prefix>-cdr    SPSC ring of CallRecordWire: one record per call when the
//                   call table frees it (settled or ended, after its linger),
//                   and for every call still tracked when the fast path stops
//                   cleanly (then state may be live and end_ns 0).
//                   Never blocks the fast path: a full ring counts a drop.
//   <prefix>-calls  CallsHeader + CallRecordWire[kMaxLiveCallsExported], the
//                   live calls (calling/ringing/answered), republished by the
//                   fast path's control work about once a second under a
//                   seqlock (same scheme as stats.hpp).
//
// Same record for both, so "show calls", "diagnose call", the CDR store and
// the per-trunk figures read one shape. Plain, fixed-size, versioned.
#pragma once
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "dataplane/api/messages.hpp"

namespace tg::api {

// 2: media counts every RTP stream and DTMF (telephone-event) per direction;
//    the uplinks a call used with their switch times; BYE response, ACK time
//    and 2xx retransmissions (a dialog left hanging).
constexpr uint16_t kCallRecordVersion = 2;
constexpr uint32_t kDefaultCdrRingCapacity = 1024;
constexpr uint32_t kMaxLiveCallsExported = 512;
constexpr uint32_t kCallsMagic = 0x5447434c;  // "TGCL"

// Media of one direction of a call: quality from its main audio stream (the
// one with most packets), counts over every RTP stream of the direction.
struct CallMediaWire {
  uint32_t ssrc;              // main stream's
  uint32_t packets;           // main stream: received (as seen by the box)
  uint32_t expected;          // main stream: RFC 3550 A.3
  int32_t lost;               // main stream: cumulative, may be negative (duplicates)
  uint32_t jitter_us;         // last interarrival jitter
  uint32_t max_jitter_us;
  uint32_t max_gap_ms;        // longest inter-packet delta
  uint16_t mos_x100;          // worst 10 s window MOS x100 (last 1 s if none, worst 1 s if that was empty); 0 = no figure
  uint16_t r_x10;             // R-factor x10 matching mos_x100; 0 = no figure
  uint8_t payload_type;       // main codec's PT
  uint8_t flags;              // CallMediaFlag
  uint8_t streams;            // RTP streams (SSRCs) of this direction, the main one included
  uint8_t dtmf_payload_type;  // telephone-event PT seen (SDP rtpmap, else 101); 0 none
  uint32_t rtp_packets;       // every RTP packet of this direction: all streams, voice, DTMF, CN
  uint32_t dtmf_packets;      // RFC 4733 telephone-event packets (in any of the streams)
  uint16_t dtmf_events;       // distinct telephone events (digits), by RTP timestamp
  uint16_t reserved;
};
static_assert(sizeof(CallMediaWire) == 48);

enum CallMediaFlag : uint8_t {
  kMediaAnnounced = 1 << 0,   // SDP said this side would receive media
  kMediaSeen = 1 << 1,        // at least one RTP packet of this direction
  kMediaOnHold = 1 << 2,      // sendonly / inactive at the end
  kMediaComfortNoise = 1 << 3,
};

// Indexes of CallRecordWire::media.
constexpr int kMediaCallerToCallee = 0;  // sent by the caller
constexpr int kMediaCalleeToCaller = 1;

// One uplink a call's traffic went through, from `since_ns` on.
struct CallUplinkWire {
  TimeNs since_ns;            // the INVITE for the first entry, the switch for the others
  uint8_t uplink;             // kNoUplink unknown
  uint8_t reserved[7];
};
static_assert(sizeof(CallUplinkWire) == 16);
constexpr int kMaxCallUplinks = 4;  // the first uplink and the last three switches

struct CallRecordWire {
  uint16_t version;           // kCallRecordVersion
  uint8_t state;              // tg::CallState
  uint8_t direction;          // tg::CallDirection (outbound = towards the trunk)
  uint8_t uplink;             // uplink active when the call was set up (kNoUplink unknown) = uplinks[0]
  uint8_t trunk;              // index into StatsBody::trunks (UINT8_MAX none)
  uint8_t hangup;             // tg::Party
  uint8_t transfer_kind;      // tg::TransferKind
  uint8_t transfer_result;    // tg::TransferResult
  uint8_t ended_by_timer;     // 1: no BYE seen, idle/setup timer ended it
  uint16_t final_code;        // 0 = none (timeout)
  uint16_t transfer_code;     // sipfrag / REFER response / redirected attempt's final
  int16_t reason_cause;       // Q.850 cause from Reason, -1 none
  int32_t pdd_ms;             // -1 not measured
  int32_t srd_ms;             // -1 not measured
  uint16_t hold_count;
  uint16_t retransmissions;
  uint16_t bye_code;          // final response to the BYE; 0 none seen
  uint16_t ok_retransmissions;  // the INVITE's 2xx seen again after the answer (ACK not received)
  // Times on the fast path's clock: CLOCK_MONOTONIC ns (calibrated TSC).
  TimeNs invite_ns;
  TimeNs answer_ns;           // 0 = not answered
  TimeNs end_ns;              // 0 = still live
  uint64_t realtime_offset_ns;  // CLOCK_REALTIME - CLOCK_MONOTONIC at the INVITE: wall = t + offset
  TimeNs ack_ns;              // ACK of the 2xx; 0 = never seen
  char call_id[80];           // NUL-terminated prefix of the Call-ID
  char from_user[24];         // user part of From (the calling number)
  char to_user[24];           // user part of To (the dialled number)
  char transfer_target[48];   // Refer-To / 3xx Contact prefix
  CallMediaWire media[2];     // kMediaCallerToCallee, kMediaCalleeToCaller
  uint8_t uplink_count;       // valid entries of uplinks (>= 1 once known)
  uint8_t uplink_switches;    // switches during the call (more than fit: the first entry and the last ones kept)
  uint8_t reserved1[6];
  CallUplinkWire uplinks[kMaxCallUplinks];
  uint8_t reserved[32];
};
static_assert(sizeof(CallRecordWire) == 448);
static_assert(std::is_trivially_copyable_v<CallRecordWire>);

}  // namespace tg::api
