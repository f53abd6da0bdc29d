// Versioned plain-struct messages carried by the two SPSC rings:
//   events   fast path -> control daemon (switches, uplink state, command results)
//   commands control daemon -> fast path (force/auto, soft faults, admin, timers,
//            captures, the trunk table)
// Fixed sizes, no pointers, trivially copyable (FRR bfdd style). Each message
// also carries its own version so a reader can skip what it does not know.
#pragma once
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "dataplane/api/uplink.hpp"

namespace tg::api {

using TimeNs = uint64_t;  // same unit as tg::TimeNs (monotonic ns, injected)

constexpr uint16_t kMessageVersion = 1;

// ---------------------------------------------------------------- events

#define TG_EVENT_KINDS(X)                                        \
  X(uplink_switch, "active uplink changed")                      \
  X(uplink_state, "health state of one uplink changed")          \
  X(command_result, "fast path applied or rejected a command")

enum class EventKind : uint16_t {
#define TG_X(name, text) name,
  TG_EVENT_KINDS(TG_X)
#undef TG_X
      count_
};
const char* event_kind_name(EventKind);

// One failover: the three times let the control daemon report detection
// latency (decided - fault_first_seen) and actuation (switched - decided).
struct SwitchEvent {
  TimeNs fault_first_seen_ns;  // link-down report, first lost probe sent, media onset, command received
  TimeNs decided_ns;           // selector chose the new uplink
  TimeNs switched_ns;          // active-uplink atomic stored: the next burst uses it
  uint32_t calls_affected;     // active calls on the old uplink (from the caller)
  uint8_t uplink_from;         // kNoUplink at start
  uint8_t uplink_to;
  SwitchReason reason;
  uint8_t soft_faults;         // soft_fault_bit() mask when reason == soft_fault
  uint8_t fault_mask;          // FaultBit mask of uplink_from at decision time
  SelectMode mode;
  uint8_t reserved[6];
};
static_assert(sizeof(SwitchEvent) == 40);

struct UplinkStateEvent {
  TimeNs since_ns;             // time of the transition
  uint32_t holddown_ms;        // hold-down that applies to the next recovery
  uint32_t flaps;              // current flap penalty level
  uint8_t uplink;
  UplinkState from;
  UplinkState to;
  uint8_t fault_mask;          // FaultBit mask after the transition
  uint8_t soft_faults;
  uint8_t reserved[11];
};
static_assert(sizeof(UplinkStateEvent) == 32);

#define TG_COMMAND_RESULTS(X)                                                   \
  X(ok, "applied")                                                              \
  X(ok_uplink_down, "applied; forced uplink is hard-down, auto until it is back") \
  X(bad_version, "message version not supported")                              \
  X(bad_kind, "unknown command kind")                                           \
  X(bad_uplink, "uplink index out of range")                                    \
  X(bad_reason, "soft-fault reason out of range")                               \
  X(bad_timers, "timer values rejected (see README limits)")                   \
  X(bad_capture, "capture filter rejected (id 0, snaplen or classes out of range)") \
  X(no_capture, "the fast path has no capture ring (started with --capture-slots 0)") \
  X(bad_trunk_table, "trunk table item out of order, out of range or incomplete: table not swapped") \
  X(no_inspection, "the fast path runs without inspection (--no-inspect): no calls to count per trunk")

enum class CommandResult : uint8_t {
#define TG_X(name, text) name,
  TG_COMMAND_RESULTS(TG_X)
#undef TG_X
      count_
};
const char* command_result_name(CommandResult);
const char* command_result_text(CommandResult);

struct CommandResultEvent {
  uint32_t command_seq;        // Command::seq echoed
  uint16_t command_kind;       // CommandKind as sent
  CommandResult result;
  uint8_t uplink;
  uint8_t reserved[24];
};
static_assert(sizeof(CommandResultEvent) == 32);

struct Event {
  uint16_t version;            // kMessageVersion
  EventKind kind;
  uint32_t seq;                // per-producer sequence; gaps = dropped events
  TimeNs time_ns;              // when recorded
  union {
    SwitchEvent uplink_switch;
    UplinkStateEvent uplink_state;
    CommandResultEvent command_result;
    uint8_t raw[48];
  };
};
static_assert(sizeof(Event) == 64);
static_assert(std::is_trivially_copyable_v<Event>);

// -------------------------------------------------------------- commands

#define TG_COMMAND_KINDS(X)                                                  \
  X(force_uplink, "use `uplink` regardless of priority (auto while it is hard-down)") \
  X(auto_select, "return to automatic selection")                            \
  X(soft_fault_raise, "raise soft fault `reason` on `uplink`")               \
  X(soft_fault_clear, "clear soft fault `reason` on `uplink`")               \
  X(admin_down, "disable `uplink`")                                          \
  X(admin_up, "enable `uplink`")                                             \
  X(set_timers, "replace timers of `uplink` (kNoUplink = all)")              \
  X(capture_start, "copy packets matching `capture` (and `uplink`, kNoUplink = all) to the capture ring") \
  X(capture_stop, "stop copying packets to the capture ring")                \
  X(trunk_table_begin, "start a trunk table of `trunk_table.count` trunks (drops one being built)") \
  X(trunk_sbc, "SBC of trunk `trunk_sbc.index` of the table being built")     \
  X(trunk_name, "name of trunk `trunk_name.index` of the table being built")  \
  X(trunk_table_commit, "swap in the table being built, complete, or reject it whole")

enum class CommandKind : uint16_t {
#define TG_X(name, text) name,
  TG_COMMAND_KINDS(TG_X)
#undef TG_X
      count_
};
const char* command_kind_name(CommandKind);

// Every health/probe/blackout timer the fast path accepts at run time.
// Units are in the field names; 0 is never a valid value.
struct TimersWire {
  uint32_t probe_interval_ms;     // one probe round per interval (>= 10)
  uint32_t probe_timeout_ms;      // a round is lost if no target answers by then
  uint32_t miss_threshold;        // N consecutive lost rounds -> down
  uint32_t holddown_initial_ms;   // clean time required after the first fault
  uint32_t holddown_max_ms;       // cap of the doubling hold-down
  uint32_t holddown_decay_ms;     // continuous up time that halves the penalty
  uint32_t blackout_ms;           // inbound silence that makes a blackout
  uint32_t flow_min_packets;      // packets in the last second to count as flowing
  uint32_t blackout_min_streams;  // fewer active streams: rule does not apply
  uint32_t blackout_quorum_pct;   // % of active streams that must be silent (1..100)
};
static_assert(sizeof(TimersWire) == 40);

// Packet classes a capture can select (bits of CaptureFilterWire::classes).
constexpr uint8_t kCaptureClassSip = 0x01;  // SIP over UDP/TCP, incl. TLS and unparsable SIP
constexpr uint8_t kCaptureClassRtp = 0x02;  // RTP and RTCP
constexpr uint8_t kCaptureClassAll = kCaptureClassSip | kCaptureClassRtp;
constexpr uint8_t kCaptureDirOut = 0x01;    // LAN -> uplink
constexpr uint8_t kCaptureDirIn = 0x02;     // uplink -> LAN

// capture_start: what to copy to the capture ring (dataplane/api/capture.hpp).
struct CaptureFilterWire {
  uint32_t capture_id;       // != 0, chosen by the sender; every slot carries it
  uint32_t snaplen;          // bytes kept per packet, 1..kCaptureMaxSnap
  uint32_t host_v4;          // IPv4 source or destination, host order; 0 = any
  uint32_t max_duration_ms;  // the fast path stops by itself then (0 = no limit), in case the reader died
  uint8_t classes;           // kCaptureClass* mask; 0 = every forwarded packet
  uint8_t directions;        // kCaptureDir* mask; 0 = both
  uint8_t reserved[22];
};
static_assert(sizeof(CaptureFilterWire) == 40);

// The trunk table the fast path counts calls by (tg-controld's [trunk.NAME]
// sections). Sent as one begin, then a trunk_sbc and a trunk_name per
// trunk, then a commit, all with the same generation; the fast path swaps
// the whole table in at the commit, between two bursts, or rejects it
// whole: never half a table. An item that does not fit the table being
// built is rejected and spoils that table.
constexpr uint16_t kMaxTrunkTable = 32;  // trunks the fast path's call table holds

// trunk_table_begin and trunk_table_commit.
struct TrunkTableWire {
  uint32_t generation;       // != 0, chosen by the sender, same on every item of one table
  uint16_t count;            // trunks in the table, 0..kMaxTrunkTable
  uint8_t reserved[34];
};
static_assert(sizeof(TrunkTableWire) == 40);

// trunk_sbc: calls to this endpoint are outbound on the trunk, from it inbound.
struct TrunkSbcWire {
  uint32_t generation;
  uint16_t index;            // 0..count-1
  uint16_t port;             // 0: any port
  uint8_t family;            // 4 or 6
  uint8_t reserved[3];
  uint8_t address[16];       // IPv4 in the first 4 bytes, network order
  uint8_t reserved2[12];
};
static_assert(sizeof(TrunkSbcWire) == 40);

// trunk_name: the name the per-trunk stats and call records carry.
constexpr size_t kTrunkNameBytes = 32;  // with the NUL: 1..31 characters
struct TrunkNameWire {
  uint32_t generation;
  uint16_t index;
  uint8_t reserved[2];
  char name[kTrunkNameBytes];  // NUL-terminated
};
static_assert(sizeof(TrunkNameWire) == 40);

struct Command {
  uint16_t version;            // kMessageVersion
  CommandKind kind;
  uint32_t seq;                // echoed in CommandResultEvent
  TimeNs sent_ns;              // sender's clock (CLOCK_MONOTONIC), for logs
  uint8_t uplink;              // target uplink, or kNoUplink
  SoftFault reason;            // soft_fault_raise / soft_fault_clear
  uint8_t reserved[6];
  union {
    TimersWire timers;         // set_timers only
    CaptureFilterWire capture; // capture_start only
    TrunkTableWire trunk_table;  // trunk_table_begin / trunk_table_commit
    TrunkSbcWire trunk_sbc;
    TrunkNameWire trunk_name;
  };
};
static_assert(sizeof(Command) == 64);
static_assert(std::is_trivially_copyable_v<Command>);

inline bool is_trunk_table_kind(CommandKind k) {
  return k == CommandKind::trunk_table_begin || k == CommandKind::trunk_sbc || k == CommandKind::trunk_name ||
         k == CommandKind::trunk_table_commit;
}

// Builders for the control daemon and the console.
inline Command make_command(CommandKind kind, uint8_t uplink, uint32_t seq, TimeNs sent_ns,
                            SoftFault reason = SoftFault::other) {
  Command c{};
  c.version = kMessageVersion;
  c.kind = kind;
  c.seq = seq;
  c.sent_ns = sent_ns;
  c.uplink = uplink;
  c.reason = reason;
  return c;
}
inline Command make_force(uint8_t uplink, uint32_t seq, TimeNs now) {
  return make_command(CommandKind::force_uplink, uplink, seq, now);
}
inline Command make_auto(uint32_t seq, TimeNs now) { return make_command(CommandKind::auto_select, kNoUplink, seq, now); }
inline Command make_soft_fault(bool raise, uint8_t uplink, SoftFault reason, uint32_t seq, TimeNs now) {
  return make_command(raise ? CommandKind::soft_fault_raise : CommandKind::soft_fault_clear, uplink, seq, now, reason);
}
inline Command make_set_timers(uint8_t uplink, const TimersWire& timers, uint32_t seq, TimeNs now) {
  Command c = make_command(CommandKind::set_timers, uplink, seq, now);
  c.timers = timers;
  return c;
}

}  // namespace tg::api
