// Picks the active uplink from health, priority and mode. Pure function:
// the engine calls it after every input and publishes the result.
//
// auto:   the first usable (up/suspect) uplink in priority order. Failback
//         needs no rule of its own: a recovering uplink is not usable
//         until its hold-down has elapsed.
// forced: the forced uplink unless it is hard-down or admin-down (then auto
//         among the others, and back to the forced one as soon as it is
//         not hard-down, hold-down and soft faults ignored: the operator
//         asked for it). Forcing never blackholes traffic.
// none usable: last resort, in order: a recovering uplink, then one down
//         only for soft faults (it forwards, just badly), else keep current.
#pragma once
#include <cstdint>

#include "dataplane/failover/config.hpp"
#include "dataplane/api/uplink.hpp"

namespace tg::failover {

struct UplinkView {
  api::UplinkState state;
  uint8_t fault_mask;
};

struct Selection {
  UplinkIndex uplink = kNoUplink;
  bool last_resort = false;   // nothing usable: best remaining candidate
  bool forced = false;        // the forced uplink was taken
};

Selection select_uplink(const UplinkView* views, uint8_t count, const UplinkIndex* priority,
                        api::SelectMode mode, UplinkIndex forced, UplinkIndex current);

}  // namespace tg::failover
