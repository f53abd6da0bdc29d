// Stats region: what the fast path publishes for the control daemon and the
// console, in one shared-memory object. One writer (the fast path's control
// lcore, after summing its per-lcore counters), any number of lock-free
// readers. The body is published under a seqlock; every word is copied with
// relaxed atomics so a torn read is detected (sequence changed), never UB.
// The heartbeat sits outside the seqlock so it can be bumped every loop.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#include "dataplane/api/messages.hpp"
#include "dataplane/api/shm.hpp"

namespace tg::api {

constexpr uint32_t kStatsMagic = 0x54475354;  // "TGST"
constexpr uint16_t kStatsVersion = 2;  // 2: UplinkStatsWire::media
constexpr uint32_t kMaxTrunks = 64;
constexpr uint32_t kDropReasonSlots = 32;     // room to append reasons without a layout change

// Why the fast path did not forward a packet, per uplink. Append only; the
// fast path may add its own reasons here (<= kDropReasonSlots in total).
#define TG_DROP_REASONS(X)                                        \
  X(malformed, "packet failed L2-L4 parsing")                     \
  X(no_route, "no route / no active uplink")                      \
  X(no_neighbor, "ARP/ND next hop unresolved")                    \
  X(uplink_down, "egress uplink link down")                       \
  X(tx_full, "transmit queue full")                               \
  X(no_mbuf, "mbuf pool exhausted")                               \
  X(ttl_expired, "TTL / hop limit reached zero")                  \
  X(snat_exhausted, "no free SNAT port")                          \
  X(snat_no_session, "inbound packet without SNAT session")       \
  X(filtered, "dropped by policy")                                \
  X(exception_full, "exception-path (tap) queue full")            \
  X(fragment, "IP fragment not handled")                          \
  X(ipv6_unconfigured, "IPv6 but the uplink has no IPv6 address")

enum class DropReason : uint8_t {
#define TG_X(name, text) name,
  TG_DROP_REASONS(TG_X)
#undef TG_X
      count_
};
static_assert(size_t(DropReason::count_) <= kDropReasonSlots);
const char* drop_reason_name(DropReason);
const char* drop_reason_text(DropReason);

struct ProbeStatsWire {
  uint32_t rtt_avg_us;        // over the probe window, answered rounds
  uint32_t rtt_min_us;
  uint32_t rtt_max_us;
  uint32_t jitter_us;         // mean |RTT(i) - RTT(i-1)| over the window
  uint32_t loss_ppm;          // lost rounds / rounds in the window, parts per million
  uint32_t window_rounds;     // rounds the figures above cover
  uint64_t sent;              // probe packets asked of the fast path
  uint64_t answered;          // replies in time
  uint64_t late;              // replies after the timeout (counted lost)
  uint64_t lost_rounds;       // rounds with no reply in time
};
static_assert(sizeof(ProbeStatsWire) == 56);

// Voice coming in through one uplink, as of the fast path's last call sweep
// (about once a second): the inbound RTP streams that are flowing (a packet
// in the last 2 s, no RTCP BYE, not on hold). Inbound only: what the LAN
// sends is measured before it reaches the uplink and says nothing about it.
// Rated on each stream's last closed 10 s window (ITU-T G.107 E-model with
// the one-way delay from the RTCP round trip / 2); a stream younger than one
// window counts in `streams` but not in `rated`.
struct UplinkMediaWire {
  uint32_t streams;           // inbound streams flowing
  uint32_t rated;             // of them, with a closed 10 s window
  uint16_t mos_avg_x100;      // mean MOS of the rated streams x100; 0 = none
  uint16_t mos_min_x100;      // worst of them
  uint32_t loss_ppm;          // lost / expected over the rated streams' last windows
  uint32_t jitter_avg_us;     // mean RFC 3550 jitter of the flowing streams
  uint32_t delay_streams;     // flowing streams with an RTCP round trip (SR/RR LSR/DLSR both ways)
  uint32_t one_way_delay_avg_us;  // mean round trip / 2 over delay_streams
  uint32_t one_way_delay_max_us;
};
static_assert(sizeof(UplinkMediaWire) == 32);

struct UplinkStatsWire {
  char name[16];              // "wan0", NUL-terminated
  UplinkState state;
  uint8_t fault_mask;         // FaultBit
  uint8_t soft_faults;        // soft_fault_bit() mask
  uint8_t link_up;
  uint32_t misses;            // consecutive lost probe rounds
  TimeNs state_since_ns;      // monotonic time of the last state change
  uint32_t holddown_ms;       // hold-down the next recovery will need
  uint32_t flaps;             // flap penalty level (decays)
  uint64_t flaps_total;
  ProbeStatsWire probe;
  uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
  uint64_t active_streams;    // RTP streams carried
  uint64_t active_calls;
  uint64_t drops[kDropReasonSlots];  // indexed by DropReason
  UplinkMediaWire media;
};
static_assert(sizeof(UplinkStatsWire) == 440);

struct TrunkStatsWire {
  char name[32];              // trunk name from the config
  uint32_t active_calls;
  uint32_t active_streams;
  uint64_t calls_total;       // INVITE transactions seen
  uint64_t calls_answered;    // 2xx to INVITE
  uint64_t calls_failed;      // 4xx-6xx final to INVITE
  uint64_t sip_requests, sip_responses;
  uint64_t rtp_packets, rtp_bytes, rtp_lost;
  uint32_t mos_x100;          // mean MOS of active streams x100, 0 = none
  uint32_t jitter_us;         // mean interarrival jitter of active streams
};
static_assert(sizeof(TrunkStatsWire) == 112);

struct StatsBody {
  TimeNs updated_ns;          // fast path clock when published
  uint64_t publish_count;
  uint8_t active_uplink;      // kNoUplink if none
  SelectMode mode;
  uint8_t forced_uplink;      // kNoUplink in auto mode
  uint8_t uplink_count;
  uint32_t trunk_count;
  uint64_t switches_total;
  uint64_t events_dropped;    // event-ring drops seen by the producer
  uint64_t commands_applied;
  uint64_t commands_rejected;
  UplinkStatsWire uplinks[kMaxUplinks];
  TrunkStatsWire trunks[kMaxTrunks];
};
static_assert(std::is_trivially_copyable_v<StatsBody>);
static_assert(sizeof(StatsBody) % 8 == 0);

struct StatsHeader {
  std::atomic<uint32_t> magic;        // stored last at creation (release)
  uint16_t version;                   // kStatsVersion
  uint16_t reserved;
  uint32_t body_size;                 // sizeof(StatsBody)
  uint32_t reserved2;
  uint64_t creator_pid;
  uint64_t created_ns;
  alignas(64) std::atomic<uint64_t> heartbeat;     // bumped by the fast path's main loop
  std::atomic<uint64_t> heartbeat_ns;              // fast path clock at the last bump
  alignas(64) std::atomic<uint64_t> seq;           // seqlock: odd while writing
};
static_assert(sizeof(StatsHeader) == 192);

constexpr size_t kStatsRegionSize = sizeof(StatsHeader) + sizeof(StatsBody);

// Writer (fast path). Fill a StatsBody of your own, then publish() it.
class StatsWriter {
 public:
  // Formats `mem` (zeroed, >= kStatsRegionSize bytes).
  void init(void* mem, uint64_t pid, TimeNs now_ns);
  bool bound() const { return h_ != nullptr; }
  void publish(const StatsBody& body);
  void heartbeat(TimeNs now_ns) {
    h_->heartbeat.store(h_->heartbeat.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    h_->heartbeat_ns.store(now_ns, std::memory_order_release);
  }

 private:
  StatsHeader* h_ = nullptr;
  StatsBody* body_ = nullptr;
};

// Reader (control daemon, console). Lock-free; retries while a publish is
// in progress.
class StatsReader {
 public:
  // Checks magic, version and size; false + error if this build cannot read it.
  bool attach(void* mem, size_t size, std::string& error);
  bool open(const std::string& shm_name, std::string& error);  // attach to a named region
  bool bound() const { return h_ != nullptr; }
  // A consistent copy; false if the writer kept it busy for max_tries attempts.
  bool read(StatsBody& out, int max_tries = 1000) const;
  uint64_t heartbeat() const { return h_->heartbeat.load(std::memory_order_relaxed); }
  TimeNs heartbeat_ns() const { return h_->heartbeat_ns.load(std::memory_order_acquire); }
  uint64_t creator_pid() const { return h_->creator_pid; }

 private:
  ShmRegion shm_;
  const StatsHeader* h_ = nullptr;
  const StatsBody* body_ = nullptr;
};

}  // namespace tg::api
