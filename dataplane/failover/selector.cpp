#include "dataplane/failover/selector.hpp"

namespace tg::failover {

Selection select_uplink(const UplinkView* views, uint8_t count, const UplinkIndex* priority,
                        ipc::SelectMode mode, UplinkIndex forced, UplinkIndex current) {
  constexpr uint8_t kBlocking = ipc::kHardFaults | ipc::kFault_admin;
  if (mode == ipc::SelectMode::forced && forced < count && !(views[forced].fault_mask & kBlocking))
    return {forced, false, true};
  for (uint8_t i = 0; i < count; ++i) {
    UplinkIndex u = priority[i];
    if (ipc::uplink_usable(views[u].state)) return {u, false, false};
  }
  // Nothing usable: forward somewhere rather than nowhere.
  for (uint8_t i = 0; i < count; ++i) {
    UplinkIndex u = priority[i];
    if (views[u].state == ipc::UplinkState::recovering) return {u, true, false};
  }
  for (uint8_t i = 0; i < count; ++i) {
    UplinkIndex u = priority[i];
    if (views[u].state == ipc::UplinkState::down && views[u].fault_mask == ipc::kFault_soft) return {u, true, false};
  }
  return {current, current != kNoUplink, false};
}

}  // namespace tg::failover
