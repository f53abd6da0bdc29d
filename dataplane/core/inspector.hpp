// The inspection core's per-packet entry: one Inspector per lcore (fast path)
// or per analysis (tg-analyze). It owns a call table and a stream table and
// routes each frame:
//
//   parse_packet -> SIP (UDP/TCP to/from 5060/5061, or any payload that
//                   looks like SIP) -> call table; its SDP -> stream table
//                   expectations (RTP to c=:m= belongs to that call)
//                -> UDP the stream table claims (expected or heuristic RTP,
//                   RTCP) -> per-stream RFC 3550 / Wireshark statistics
//                -> everything else counted as other
//
// Every frame is counted under exactly one outcome (TG_INSPECT_OUTCOMES) and,
// when a parser refused it, under that parser's reason as well. Nothing
// allocates after construction: the SIP and SDP parse results live in the
// object and are overwritten per message.
//
// For the fast path's media-blackout detector the inspector also keeps, per
// stream slot, when the stream last had a packet, which ingress (uplink/LAN
// tag passed to inspect()) it came from, and a one-second packet count; see
// for_each_activity().
//
// Memory, all allocated by the constructor: the stream table (<= 797 bytes
// per stream), the call table (520 bytes per call), plus 16 bytes per stream
// slot (activity) and 4 bytes per call slot (generation) here: about 5.4 MB
// for the default 4096 streams and 4096 calls.
//
// Calls and their media: the call table reports each SDP offer/answer's
// media address (CallObserver::on_media) and the inspector turns it into a
// stream table expectation; a stream's first packet links it to its call
// (CallRef kept per stream slot, SSRC added to the call's list).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

#include "common/bytes.hpp"
#include "dataplane/core/call_table.hpp"
#include "dataplane/core/packet.hpp"
#include "dataplane/core/sdp.hpp"
#include "dataplane/core/sip.hpp"
#include "dataplane/core/stream_table.hpp"

namespace tg {

// One outcome per frame. The malformed_* ones make up summary "malformed".
#define TG_INSPECT_OUTCOMES(X)                                                   \
  X(sip, "SIP message(s) parsed and tracked")                                    \
  X(rtp, "RTP packet accounted to a stream")                                     \
  X(rtcp, "RTCP compound packet parsed")                                         \
  X(other, "not SIP/RTP/RTCP: other UDP/TCP, not IP, SIP keepalive")             \
  X(fragment, "IP fragment (not reassembled, not inspected)")                    \
  X(sip_partial, "SIP over TCP split across segments (not reassembled)")         \
  X(sip_tls, "SIP over TLS on 5061 (encrypted, not inspected)")                  \
  X(rtp_untracked, "RTP not tracked: stream table full")                         \
  X(malformed_packet, "L2-L4 headers malformed (see packet reasons)")            \
  X(malformed_sip, "SIP port or SIP-looking payload that does not parse")        \
  X(malformed_sdp, "SIP message tracked, its SDP malformed (media not learned)") \
  X(malformed_rtp, "UDP to an RTP/RTCP address that is not valid RTP/RTCP")

enum class InspectOutcome : uint8_t {
#define TG_X(name, text) name,
  TG_INSPECT_OUTCOMES(TG_X)
#undef TG_X
      count_
};
constexpr size_t kInspectOutcomeCount = size_t(InspectOutcome::count_);
const char* inspect_outcome_name(InspectOutcome);
const char* inspect_outcome_text(InspectOutcome);
inline bool inspect_outcome_malformed(InspectOutcome o) { return o >= InspectOutcome::malformed_packet; }

// Ingress tag of inspect(): the fast path passes its port/uplink index so
// the blackout detector can tell streams apart by where they came in.
constexpr uint8_t kIngressUnknown = 0xFF;

// Bits of StreamActivityView::flags (same values as the blackout detector's).
enum StreamActivityFlags : uint8_t {
  kActivityOnHold = 0x01,        // SDP sendonly/inactive towards this stream's dst
  kActivityComfortNoise = 0x02,  // last packet was comfort noise (PT 13 / 19)
  kActivityEnded = 0x04,         // RTCP BYE from the source, or its call is over
};

// What the blackout detector needs about one stream.
struct StreamActivityView {
  uint32_t stream = kNoStream;   // stream table slot (StreamTable::get)
  TimeNs last_arrival = 0;       // last packet of this stream
  uint32_t recent_packets = 0;   // packets in the second before last_arrival
  uint8_t ingress = kIngressUnknown;
  uint8_t flags = 0;             // StreamActivityFlags
};

struct InspectorConfig {
  StreamTableConfig streams;
  CallTableConfig calls;
  // UDP/TCP ports taken as SIP without looking; other ports are SIP only
  // when the payload looks like SIP (looks_like_sip).
  uint16_t sip_port = 5060;
  uint16_t sip_tls_port = 5061;
};

class Inspector : private CallObserver {
 public:
  explicit Inspector(const InspectorConfig& cfg = {});
  Inspector(const Inspector&) = delete;
  Inspector& operator=(const Inspector&) = delete;

  // One captured/received frame at `now`. Cheap on the RTP path: one L2-L4
  // parse, one stream lookup. No allocation, no syscalls, no exceptions.
  InspectOutcome inspect(Bytes frame, LinkType link, TimeNs now, uint8_t ingress = kIngressUnknown);

  // Periodic housekeeping (fast path tick, or end of a capture): call timers
  // and idle streams/expectations, at most `budget` slots of each table.
  void tick(TimeNs now, uint32_t budget = UINT32_MAX);

  // Sees every call record just before the call table frees it (settled and
  // lingered, or flushed): the place to keep call records. May be null.
  using CallRemovedFn = void (*)(const Call&, CallRef, void* ctx);
  void set_call_removed_hook(CallRemovedFn fn, void* ctx) { call_removed_fn_ = fn; call_removed_ctx_ = ctx; }
  // End of input (tg-analyze): run timers at `now`, then hand every call
  // still in the table to the hook.
  void finish(TimeNs now);

  // --- reports ---
  const StreamTable& streams() const { return streams_; }
  const CallTable& calls() const { return calls_; }
  StreamTable& streams() { return streams_; }
  CallTable& calls() { return calls_; }

  uint64_t frames() const { return frames_; }
  uint64_t outcome(InspectOutcome o) const { return outcomes_[size_t(o)]; }
  uint64_t malformed() const;
  // Per-reason detail behind the malformed_* and other outcomes.
  uint64_t packet_status(PacketStatus s) const { return packet_status_[size_t(s)]; }
  uint64_t sip_status(SipStatus s) const { return sip_status_[size_t(s)]; }
  uint64_t sdp_status(SdpStatus s) const { return sdp_status_[size_t(s)]; }
  uint64_t sip_messages() const { return sip_messages_; }
  TimeNs first_seen() const { return first_seen_; }
  TimeNs last_seen() const { return last_seen_; }

  // --- media-blackout view ---
  // fn(const StreamActivityView&) for every live stream, in slot order.
  template <class Fn>
  void for_each_activity(Fn&& fn) const {
    for (uint32_t i = 0, n = streams_.capacity(); i < n; ++i)
      if (const RtpStream* s = streams_.get(i)) fn(activity_view_(i, *s));
  }
  StreamActivityView activity(uint32_t stream) const;

  // The call a stream belongs to (invalid for streams without SDP). The ref
  // stays meaningful after the call record is freed: compare it with the
  // refs the call-removed hook was given.
  CallRef stream_call(uint32_t stream) const;
  // fn(uint32_t stream, const RtpStream&) for every live stream, in slot order.
  template <class Fn>
  void for_each_stream(Fn&& fn) const {
    for (uint32_t i = 0, n = streams_.capacity(); i < n; ++i)
      if (const RtpStream* s = streams_.get(i)) fn(i, *s);
  }

 private:
  // 16 bytes per stream slot, parallel to the stream table: ingress, the
  // call's generation (with the slot the stream table keeps, a CallRef) and
  // a two-bucket one-second packet count, updated per RTP packet.
  struct Activity {
    uint32_t bucket_start_ms = 0;  // wraps after 49 days; differences are modular
    uint16_t current = 0, previous = 0;
    uint32_t call_generation = 0;
    uint8_t ingress = kIngressUnknown;
    uint8_t reserved[3] = {};
  };
  static_assert(sizeof(Activity) == 16);

  InspectOutcome udp_(const PacketInfo& p, TimeNs now, uint8_t ingress);
  InspectOutcome tcp_(const PacketInfo& p, TimeNs now);
  // One SIP message at the start of `text`; sets consumed to its length.
  InspectOutcome on_sip_(std::string_view text, const PacketInfo& p, TimeNs now, size_t& consumed);
  // CallObserver: SDP media of a call -> stream table expectation.
  void on_media(const MediaAnnouncement& a) override;
  void on_call_removed(const Call& c) override;
  void note_rtp_(uint32_t stream, uint16_t flags, uint32_t call_slot, TimeNs now, uint8_t ingress);
  StreamActivityView activity_view_(uint32_t stream, const RtpStream& s) const;
  bool is_sip_port_(uint16_t port) const { return port == cfg_.sip_port || port == cfg_.sip_tls_port; }

  InspectorConfig cfg_;
  StreamTable streams_;
  CallTable calls_;
  std::unique_ptr<Activity[]> activity_;
  // Per call slot: generation of the call whose SDP last named it, so a
  // stream's first packet can take a full CallRef.
  std::unique_ptr<uint32_t[]> call_generation_;
  TimeNs now_ = 0;  // time of the frame being inspected (for callbacks)
  CallRemovedFn call_removed_fn_ = nullptr;
  void* call_removed_ctx_ = nullptr;
  // Parse results, reused for every message (SdpSession is ~1.5 kB).
  PacketInfo packet_;
  SipMessage sip_msg_;
  SdpSession sdp_;

  uint64_t frames_ = 0, sip_messages_ = 0;
  TimeNs first_seen_ = 0, last_seen_ = 0;
  uint64_t outcomes_[kInspectOutcomeCount] = {};
  uint64_t packet_status_[kPacketStatusCount] = {};
  uint64_t sip_status_[size_t(SipStatus::count_)] = {};
  uint64_t sdp_status_[size_t(SdpStatus::count_)] = {};
};

}  // namespace tg
