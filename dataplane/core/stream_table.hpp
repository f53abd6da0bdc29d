// RTP stream table: streams learned from SDP (and optionally heuristically),
// preallocated at construction, O(1) lookup, idle expiry.
//
// Two open-addressing tables (linear probing, backward-shift deletion, so no
// tombstones and lookups stay short), both sized at construction:
//  - expectations, keyed by the destination an SDP advertised (c= + m= port)
//    and, once the other side's SDP is known, by the pair (that destination,
//    the other side's address): "RTP between 192.0.2.10:20000 and
//    203.0.113.5:5004 belongs to call slot 17, PT 0 = PCMU/8000". Media
//    servers and conference bridges answer many calls from one address, so
//    a packet is matched by its full pair first; the destination alone
//    (last SDP to name it) is the fallback for a sender whose address no
//    SDP gave (NAT);
//  - streams, keyed by (src endpoint, dst endpoint, SSRC), as Wireshark keys
//    its RTP streams: a new SSRC on the same 5-tuple is a new stream.
// RTCP to port+1 (or a=rtcp:) or on the RTP port itself (rtcp-mux, RFC 5761)
// is matched to the streams it reports on.
//
// Nothing allocates after construction; a full table counts and drops.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>

#include "common/bytes.hpp"
#include "dataplane/core/emodel.hpp"
#include "common/net.hpp"
#include "dataplane/core/rtp.hpp"
#include "dataplane/core/rtp_stats.hpp"
#include "dataplane/core/sdp.hpp"

namespace tg {

constexpr uint32_t kNoCallSlot = UINT32_MAX;
constexpr uint32_t kNoStream = UINT32_MAX;
constexpr int kRtpMaxCodecs = 6;

// One payload type as negotiated (copied out of the SDP: the SDP buffer is
// gone by the time RTP flows).
struct RtpCodecEntry {
  uint8_t payload_type = 0;
  Codec codec = Codec::unknown;
  uint8_t reserved[2] = {0, 0};
  uint32_t clock_rate = 0;  // rtp_clock_rate(); 0 for telephone-event/unknown
};

// What an SDP m= line says about RTP going to its address.
struct RtpMediaInfo {
  RtpCodecEntry codecs[kRtpMaxCodecs];
  uint8_t codec_count = 0;
  MediaDirection direction = MediaDirection::sendrecv;  // of the SDP that advertised dst
  bool rtcp_mux = false;
  uint16_t rtcp_port = 0;   // 0: RTP port + 1
  uint16_t ptime_ms = 0;

  // Codecs from the m= formats with their rtpmaps (or RFC 3551 static
  // assignments), direction, rtcp-mux and a=rtcp from the parsed SDP.
  static RtpMediaInfo from_sdp(const SdpMedia& m);
  const RtpCodecEntry* find(uint8_t payload_type) const;
  void add(uint8_t payload_type, Codec codec, uint32_t clock_rate);
};

// Per-stream flags (bits of RtpStream::flags).
enum RtpStreamFlags : uint8_t {
  kStreamHeuristic = 1 << 0,     // learned without SDP
  kStreamComfortNoise = 1 << 1,  // last packet was CN (PT 13/19): silence, not a blackout
  kStreamRtcpSeen = 1 << 2,      // RTCP SR or RR about this stream seen
  kStreamBye = 1 << 3,           // RTCP BYE from this SSRC
  kStreamHeld = 1 << 4,          // SDP says no media to dst (sendonly/inactive at dst)
  kStreamRebound = 1 << 5,       // a new call's SDP took the stream over; no packet since
};

// What the media-blackout detector reads per stream.
enum class StreamMediaState : uint8_t { flowing, on_hold, comfort_noise, ended };

// RTCP seen about one stream (sender = the stream's source).
struct RtpStreamRtcp {
  // Last SRs from the stream's sender: middle 32 bits of their NTP time and
  // when we saw them; a later RR from the far end quoting one as LSR gives
  // the round trip between this observation point and the receiver.
  static constexpr int kSrHistory = 4;
  uint32_t sr_lsr[kSrHistory] = {};
  TimeNs sr_seen[kSrHistory] = {};
  uint8_t sr_next = 0;
  uint32_t sr_count = 0;
  uint32_t rr_count = 0;
  RtcpReportBlock last_rr;       // far end's last report block about this SSRC
  TimeNs last_rr_at = 0;
  // Observer-to-receiver round trip: RR arrival - SR arrival - DLSR.
  float rtt_segment_ms = -1;     // -1: not known
  uint32_t peer_ssrc = 0;        // SSRC of the receiver that sent the RR (its own stream back)
  bool have_peer = false;
  RtcpXrVoip xr_voip;            // far end's RFC 3611 VoIP metrics, if any
};

struct RtpStream {
  // Identity.
  Endpoint src, dst;
  uint32_t ssrc = 0;
  uint32_t call_slot = kNoCallSlot;
  uint64_t serial = 0;           // unique per stream created (ids are reused)
  TimeNs first_seen = 0, last_seen = 0;
  // Media.
  uint8_t payload_type = 0;      // last packet's
  uint8_t first_payload_type = 0;
  Codec codec = Codec::unknown;  // main voice codec (first non-DTMF/CN payload seen)
  MediaDirection direction = MediaDirection::sendrecv;
  uint8_t flags = 0;             // RtpStreamFlags
  uint8_t codec_count = 0;
  uint16_t ptime_ms = 0;
  RtpCodecEntry codecs[kRtpMaxCodecs];
  RtpStats stats;
  RtpStreamRtcp rtcp;
  // Quality: R computed when a window closes (with one-way delay from RTT/2
  // when known), and the worst seen; -1 = no window yet.
  float r_short = -1, r_short_min = -1;   // 1 s windows
  float r_long = -1, r_long_min = -1;     // 10 s windows
  // RFC 4733 telephone-event packets (the PT the SDP's rtpmap names, else
  // 101) and distinct events among them (a new RTP timestamp is a new event).
  uint32_t dtmf_packets = 0;
  uint32_t dtmf_last_ts = 0;
  uint16_t dtmf_events = 0;
  uint8_t dtmf_payload_type = 0;  // 0: none seen

  uint32_t clock_rate_for(uint8_t pt) const;
  bool is_telephone_event(uint8_t pt) const;
  const char* codec_text() const {
    return codec == Codec::unknown && dtmf_packets && dtmf_packets == stats.packets() ? codec_name(Codec::telephone_event)
                                                                                      : codec_name(codec);
  }
  bool heuristic() const { return flags & kStreamHeuristic; }
};

// Fixed memory per tracked stream: the entry is 776 bytes (RtpStats 472 of
// them); the table adds per stream at most 2 index slots of 8 bytes (slots =
// 2 x capacity rounded up to a power of two), a used flag and a free-list
// word: <= 797 bytes per stream, 3.3 MB for the default 4096 streams. All of
// it is allocated by the constructor.
constexpr size_t kRtpStreamBytes = 776;
static_assert(sizeof(RtpStream) == kRtpStreamBytes, "per-stream memory is a stated figure");
static_assert(std::is_trivially_copyable_v<RtpStream>);

#define TG_STREAM_TABLE_COUNTERS(X)                                          \
  X(rtp_packets, "RTP packets accounted to a stream")                        \
  X(rtcp_packets, "RTCP compound packets parsed")                            \
  X(rtp_malformed, "UDP to an expected RTP port that is not valid RTP")      \
  X(rtcp_malformed, "UDP to an expected RTCP port that is not valid RTCP")   \
  X(rtcp_unmatched, "RTCP report about no known stream")                     \
  X(not_rtp, "UDP not expected and not taken heuristically")                 \
  X(streams_created, "streams created")                                      \
  X(streams_heuristic, "streams created heuristically (no SDP)")             \
  X(streams_ssrc_change, "new SSRC on a 5-tuple that had another stream")    \
  X(streams_expired, "streams removed after idle timeout")                   \
  X(table_full, "RTP packets not tracked: stream table full")                \
  X(expect_added, "SDP expectations added or refreshed")                     \
  X(expect_full, "SDP expectations dropped: table full")                     \
  X(expect_expired, "SDP expectations removed after idle timeout")           \
  X(rtt_samples, "round-trip samples from LSR/DLSR")

enum class StreamCounter : uint8_t {
#define TG_X(name, text) name,
  TG_STREAM_TABLE_COUNTERS(TG_X)
#undef TG_X
      count_
};
constexpr size_t kStreamCounterCount = size_t(StreamCounter::count_);
const char* stream_counter_name(StreamCounter);
const char* stream_counter_text(StreamCounter);

struct StreamTableConfig {
  uint32_t capacity = 4096;              // streams
  uint32_t expect_capacity = 4096;       // SDP destinations
  TimeNs stream_idle = 60 * kNsPerSec;   // 0: never expire (offline analysis)
  TimeNs expect_idle = 4 * 3600 * kNsPerSec;  // a call's SDP lives as long as the call
  bool heuristic = false;                // take RTP-looking UDP without SDP (tshark's heuristic)
  bool g711_plc = true;                  // E-model: G.711 receivers conceal loss (Bpl 25.1, else 4.3)
};

// Result of offering a UDP datagram to the table.
enum class UdpMediaKind : uint8_t { none, rtp, rtcp, malformed, dropped };

struct UdpMediaResult {
  UdpMediaKind kind = UdpMediaKind::none;
  uint32_t stream = kNoStream;   // RTP: the stream it was accounted to
  uint16_t flags = 0;            // RTP: RtpPacketFlags
  uint32_t call_slot = kNoCallSlot;
};

class StreamTable {
 public:
  explicit StreamTable(const StreamTableConfig& cfg);
  StreamTable(const StreamTable&) = delete;
  StreamTable& operator=(const StreamTable&) = delete;

  // SDP learned: RTP to `dst` belongs to `call_slot` with these codecs.
  // Re-calling for the same dst (re-INVITE, answer after offer) updates it
  // (codecs, direction -> hold flag of its streams). With `peer` (the other
  // side's SDP address of the same media line, when known) the pair
  // (dst, peer) is expected as well and wins over dst alone. False if the
  // table is full.
  bool expect(const Endpoint& dst, uint32_t call_slot, const RtpMediaInfo& media, TimeNs now,
              const Endpoint& peer = {});
  // The answer named `peer` for the offer to `dst`: expect the pair (dst,
  // peer) with what the offer's expectation says, for call_slot. False if
  // dst is not expected or the table is full.
  bool pair(const Endpoint& dst, const Endpoint& peer, uint32_t call_slot, TimeNs now);
  // The call is over or the SDP withdrew the address: forget the expectation
  // (its streams stay until idle expiry, for reports).
  void unexpect(const Endpoint& dst);
  bool expected(const Endpoint& dst) const;
  // The call a pair of endpoints was expected for (kNoCallSlot: none).
  uint32_t expected_call(const Endpoint& dst, const Endpoint& peer) const;

  // One UDP datagram (L4 payload) seen at `now`: RTP or RTCP to an expected
  // destination, or from one (symmetric RTP, RFC 4961: a NATed far end sends
  // from the address its SDP gave but to an address no SDP named; Wireshark's
  // SDP-learned conversations match either side too), or heuristically;
  // else kind none. Zero allocation.
  UdpMediaResult on_udp(const Endpoint& src, const Endpoint& dst, Bytes payload, TimeNs now) noexcept;

  // Lower level, for callers that parsed already.
  UdpMediaResult on_rtp(const Endpoint& src, const Endpoint& dst, const RtpHeader& h, TimeNs now) noexcept;
  void on_rtcp(const Endpoint& src, const Endpoint& dst, const RtcpPacket& p, TimeNs now) noexcept;

  // Removes streams idle longer than stream_idle and expectations idle longer
  // than expect_idle, visiting at most `budget` slots of each table per call
  // (the fast path calls it every tick with a small budget). Returns streams
  // removed. If set, on_retire sees each stream before it goes.
  size_t expire(TimeNs now, size_t budget = SIZE_MAX) noexcept;
  using RetireFn = void (*)(const RtpStream&, void* ctx);
  void set_retire_hook(RetireFn fn, void* ctx) { retire_fn_ = fn; retire_ctx_ = ctx; }

  // Closes 1 s / 10 s windows of a stream with no packets (call it from the
  // tick for streams the blackout detector looks at) and rates them.
  void advance(uint32_t stream, TimeNs now) noexcept;

  const RtpStream* find(const Endpoint& src, const Endpoint& dst, uint32_t ssrc) const;
  const RtpStream* get(uint32_t stream) const;
  RtpStream* get_mutable(uint32_t stream) { return const_cast<RtpStream*>(get(stream)); }
  StreamMediaState media_state(uint32_t stream, TimeNs now) const;

  // Every live stream, in slot order: fn(const RtpStream&).
  template <class Fn>
  void for_each(Fn&& fn) const {
    for (uint32_t i = 0; i < cfg_.capacity; ++i)
      if (used_[i]) fn(streams_[i]);
  }
  uint32_t size() const { return stream_count_; }
  uint32_t capacity() const { return cfg_.capacity; }
  uint32_t expect_size() const { return expect_count_; }

  // Round trip between the two ends, when both directions' RTCP gave a
  // segment: rtt_segment(a->b) + rtt_segment(b->a). -1 when unknown.
  double round_trip_ms(const RtpStream& s) const;
  // R / MOS of a stream over its whole life (loss, BurstR, RTT/2 delay).
  EModelResult quality(const RtpStream& s) const;

  uint64_t counter(StreamCounter c) const { return counters_[size_t(c)]; }
  const uint64_t* counters() const { return counters_; }
  const StreamTableConfig& config() const { return cfg_; }

 private:
  struct Expect {
    Endpoint dst;
    Endpoint peer;           // empty: dst alone
    uint32_t call_slot = kNoCallSlot;
    TimeNs last_used = 0;
    RtpMediaInfo media;
    uint32_t streams[2] = {kNoStream, kNoStream};  // newest streams to dst, for hold updates
    bool rtcp_port = false;  // this entry is the RTCP side of an RTP expectation
    uint16_t rtp_port = 0;   // RTCP entries: the RTP port it belongs to
  };
  struct Slot {             // index entry: 8 bytes
    uint32_t tag = 0;       // upper hash bits, for a cheap mismatch test
    uint32_t index = kNoStream;
  };

  uint64_t stream_hash_(const Endpoint& src, const Endpoint& dst, uint32_t ssrc) const;
  uint32_t find_stream_(const Endpoint& src, const Endpoint& dst, uint32_t ssrc) const;
  uint32_t create_stream_(const Endpoint& src, const Endpoint& dst, uint32_t ssrc,
                          const Expect* e, TimeNs now);
  void remove_stream_(uint32_t index);
  uint64_t expect_hash_(const Endpoint& dst, const Endpoint& peer) const;
  uint32_t find_expect_(const Endpoint& dst, const Endpoint& peer = {}) const;
  // The expectation a datagram src -> dst matches: the pair either way, then
  // dst alone, then src alone (symmetric RTP from an advertised endpoint).
  uint32_t match_expect_(const Endpoint& src, const Endpoint& dst) const;
  void update_streams_(uint32_t expect, const Endpoint& only_from, uint32_t call_slot, const RtpMediaInfo& media);
  bool put_expect_(const Expect& e);
  void remove_expect_(uint32_t index);
  void rate_windows_(RtpStream& s, uint16_t flags);
  RtpStream* stream_for_rtcp_(const Endpoint& rtp_src, const Endpoint& rtp_dst, uint32_t ssrc);
  void count_(StreamCounter c, uint64_t n = 1) { counters_[size_t(c)] += n; }

  StreamTableConfig cfg_;
  uint32_t stream_mask_ = 0, expect_mask_ = 0;
  std::unique_ptr<RtpStream[]> streams_;
  std::unique_ptr<bool[]> used_;
  std::unique_ptr<uint32_t[]> free_list_;
  uint32_t free_top_ = 0;
  std::unique_ptr<Slot[]> stream_slots_;
  std::unique_ptr<Expect[]> expects_;
  std::unique_ptr<bool[]> expect_used_;
  std::unique_ptr<uint32_t[]> expect_slots_;  // index into expects_, kNoStream = empty
  std::unique_ptr<uint32_t[]> expect_free_;
  uint32_t expect_free_top_ = 0;
  uint32_t stream_count_ = 0, expect_count_ = 0;
  uint64_t next_serial_ = 1;
  size_t expire_cursor_ = 0, expect_cursor_ = 0;
  RetireFn retire_fn_ = nullptr;
  void* retire_ctx_ = nullptr;
  uint64_t counters_[kStreamCounterCount] = {};
};

}  // namespace tg
