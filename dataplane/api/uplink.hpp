// Vocabulary shared by the fast path, the control daemon and the console:
// uplink indices, health states, fault causes, switch reasons, modes.
// Every list is declared once (X-macro) and gives the enum and its names.
// Values travel in shared memory, so never renumber: append only.
#pragma once
#include <cstdint>

namespace tg::api {

// Uplinks are small indices into fixed arrays. The default board has three,
// in default priority order; kMaxUplinks leaves room without a layout change.
constexpr uint8_t kMaxUplinks = 4;
constexpr uint8_t kUplinkWan0 = 0;
constexpr uint8_t kUplinkWan1 = 1;
constexpr uint8_t kUplinkLte = 2;
constexpr uint8_t kDefaultUplinkCount = 3;
constexpr uint8_t kNoUplink = 0xFF;  // "none" / "all uplinks" in commands
// Default names for indices 0..kMaxUplinks-1 ("wan0", "wan1", "lte", "up3").
const char* default_uplink_name(uint8_t uplink);

// Health of one uplink (see dataplane/failover/README.md for transitions).
#define TG_UPLINK_STATES(X)                                              \
  X(down, "a hard or soft fault is present")                             \
  X(recovering, "no fault, waiting for the hold-down to elapse")         \
  X(suspect, "usable; some probes missed, fewer than the threshold")     \
  X(up, "usable and clean")                                              \
  X(admin_down, "disabled by the operator")

enum class UplinkState : uint8_t {
#define TG_X(name, text) name,
  TG_UPLINK_STATES(TG_X)
#undef TG_X
      count_
};
const char* uplink_state_name(UplinkState);
const char* uplink_state_text(UplinkState);
inline bool uplink_usable(UplinkState s) { return s == UplinkState::up || s == UplinkState::suspect; }

// Why an uplink is down: a bit mask, several may hold at once.
#define TG_FAULT_CAUSES(X)                                   \
  X(link, 0x01, "carrier down")                              \
  X(probe, 0x02, "N consecutive probe rounds unanswered")    \
  X(blackout, 0x04, "inbound media stopped on its streams")  \
  X(soft, 0x08, "soft fault ordered by the control daemon")  \
  X(admin, 0x10, "administratively down")

enum FaultBit : uint8_t {
#define TG_X(name, bit, text) kFault_##name = bit,
  TG_FAULT_CAUSES(TG_X)
#undef TG_X
};
constexpr uint8_t kHardFaults = kFault_link | kFault_probe | kFault_blackout;
// Writes "link+probe" style text into buf; returns buf.
const char* fault_mask_text(uint8_t mask, char* buf, unsigned size);

// Soft faults the control daemon raises/clears (one bit each per uplink).
#define TG_SOFT_FAULTS(X)                                  \
  X(latency, "round-trip latency above the limit")         \
  X(mos, "MOS of the calls below the limit")               \
  X(sip_outage, "SIP trunk unreachable (OPTIONS/INVITE)")  \
  X(other, "other control-daemon decision")

enum class SoftFault : uint8_t {
#define TG_X(name, text) name,
  TG_SOFT_FAULTS(TG_X)
#undef TG_X
      count_
};
const char* soft_fault_name(SoftFault);
inline uint8_t soft_fault_bit(SoftFault f) { return uint8_t(1u << uint8_t(f)); }

// Why the active uplink changed.
#define TG_SWITCH_REASONS(X)                                                     \
  X(initial, "first uplink selected at start")                                   \
  X(link_down, "carrier of the active uplink went down")                         \
  X(probe_loss, "N consecutive probe rounds lost on the active uplink")          \
  X(media_blackout, "inbound RTP stopped on a quorum of the active uplink's streams") \
  X(soft_fault, "soft fault from the control daemon (see soft_fault)")           \
  X(admin_down, "active uplink administratively disabled")                       \
  X(forced, "operator forced this uplink")                                       \
  X(auto_mode, "operator returned to automatic selection")                       \
  X(failback, "preferred uplink clean for its hold-down")                        \
  X(last_resort, "no usable uplink: best remaining candidate")                   \
  X(holddown, "active uplink still in its hold-down: a usable one takes over")

enum class SwitchReason : uint8_t {
#define TG_X(name, text) name,
  TG_SWITCH_REASONS(TG_X)
#undef TG_X
      count_
};
const char* switch_reason_name(SwitchReason);
const char* switch_reason_text(SwitchReason);

enum class SelectMode : uint8_t { auto_select = 0, forced = 1 };
const char* select_mode_name(SelectMode);

}  // namespace tg::api
