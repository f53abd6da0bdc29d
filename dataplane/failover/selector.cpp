#include "dataplane/failover/selector.hpp"

namespace tg::failover {

Selection select_uplink(const UplinkView* views, uint8_t count, const UplinkIndex* priority,
                        api::SelectMode mode, UplinkIndex forced, UplinkIndex current) {
  constexpr uint8_t kBlocking = api::kHardFaults | api::kFault_admin;
  if (mode == api::SelectMode::forced && forced < count && !(views[forced].fault_mask & kBlocking))
    return {forced, false, true};
  for (uint8_t i = 0; i < count; ++i) {
    UplinkIndex u = priority[i];
    if (api::uplink_usable(views[u].state)) return {u, false, false};
  }
  // Nothing usable: forward somewhere rather than nowhere.
  for (uint8_t i = 0; i < count; ++i) {
    UplinkIndex u = priority[i];
    if (views[u].state == api::UplinkState::recovering) return {u, true, false};
  }
  for (uint8_t i = 0; i < count; ++i) {
    UplinkIndex u = priority[i];
    if (views[u].state == api::UplinkState::down && views[u].fault_mask == api::kFault_soft) return {u, true, false};
  }
  return {current, current != kNoUplink, false};
}

}  // namespace tg::failover
