#include <CppUTest/TestHarness.h>

#include "dataplane/api/messages.hpp"
#include "dataplane/api/stats.hpp"

using namespace tg::api;

TEST_GROUP(Names) {};

TEST(Names, EveryListHasNames) {
  STRCMP_EQUAL("wan0", default_uplink_name(0));
  STRCMP_EQUAL("lte", default_uplink_name(kUplinkLte));
  STRCMP_EQUAL("?", default_uplink_name(kNoUplink));
  STRCMP_EQUAL("recovering", uplink_state_name(UplinkState::recovering));
  STRCMP_EQUAL("admin_down", uplink_state_name(UplinkState::admin_down));
  STRCMP_EQUAL("media_blackout", switch_reason_name(SwitchReason::media_blackout));
  STRCMP_EQUAL("last_resort", switch_reason_name(SwitchReason::last_resort));
  STRCMP_EQUAL("sip_outage", soft_fault_name(SoftFault::sip_outage));
  STRCMP_EQUAL("set_timers", command_kind_name(CommandKind::set_timers));
  STRCMP_EQUAL("bad_timers", command_result_name(CommandResult::bad_timers));
  STRCMP_EQUAL("uplink_switch", event_kind_name(EventKind::uplink_switch));
  STRCMP_EQUAL("fragment", drop_reason_name(DropReason::fragment));
  STRCMP_EQUAL("?", uplink_state_name(UplinkState::count_));
  STRCMP_EQUAL("forced", select_mode_name(SelectMode::forced));
}

TEST(Names, FaultMaskText) {
  char buf[64];
  STRCMP_EQUAL("none", fault_mask_text(0, buf, sizeof buf));
  STRCMP_EQUAL("link+blackout", fault_mask_text(kFault_link | kFault_blackout, buf, sizeof buf));
  STRCMP_EQUAL("link", fault_mask_text(kFault_link | kFault_probe, buf, 8));  // truncated at a name boundary
}
