#include <CppUTest/TestHarness.h>

#include "dataplane/failover/selector.hpp"

using namespace tg::failover;
using S = tg::api::UplinkState;
using tg::api::SelectMode;

namespace {
const UplinkIndex kPrio[] = {0, 1, 2};
UplinkView up() { return {S::up, 0}; }
UplinkView down(uint8_t f = tg::api::kFault_link) { return {S::down, f}; }
UplinkIndex pick(const UplinkView (&v)[3], SelectMode m = SelectMode::auto_select, UplinkIndex forced = kNoUplink,
                 UplinkIndex cur = 0) {
  return select_uplink(v, 3, kPrio, m, forced, cur).uplink;
}
}  // namespace

TEST_GROUP(Selector) {};

TEST(Selector, PriorityOrderWan0Wan1Lte) {
  LONGS_EQUAL(0, pick({up(), up(), up()}));
  LONGS_EQUAL(1, pick({down(), up(), up()}));
  LONGS_EQUAL(2, pick({down(), down(), up()}));
  LONGS_EQUAL(1, pick({down(), {S::suspect, 0}, up()}));  // suspect is still usable
  const UplinkIndex lte_first[] = {2, 0, 1};
  const UplinkView v[] = {up(), up(), up()};
  LONGS_EQUAL(2, select_uplink(v, 3, lte_first, SelectMode::auto_select, kNoUplink, 0).uplink);
}

TEST(Selector, RecoveringIsNotUsedWhileSomethingIsUsable) {
  // Failback waits for the hold-down: recovering wan0 loses to up wan1.
  LONGS_EQUAL(1, pick({{S::recovering, 0}, up(), up()}, SelectMode::auto_select, kNoUplink, 1));
}

TEST(Selector, ForcedUplinkWinsUnlessHardDown) {
  const UplinkView all_up[] = {up(), up(), up()};
  Selection s = select_uplink(all_up, 3, kPrio, SelectMode::forced, 2, 0);
  LONGS_EQUAL(2, s.uplink);
  CHECK_TRUE(s.forced);
  LONGS_EQUAL(2, pick({up(), up(), {S::recovering, 0}}, SelectMode::forced, 2));       // hold-down ignored
  LONGS_EQUAL(2, pick({up(), up(), down(tg::api::kFault_soft)}, SelectMode::forced, 2));  // soft ignored
  LONGS_EQUAL(0, pick({up(), up(), down(tg::api::kFault_link)}, SelectMode::forced, 2));  // never blackhole
  LONGS_EQUAL(1, pick({down(), up(), {S::admin_down, tg::api::kFault_admin}}, SelectMode::forced, 2));
}

TEST(Selector, LastResortWhenNothingIsUsable) {
  const UplinkView v[] = {down(), {S::recovering, 0}, down()};
  Selection s = select_uplink(v, 3, kPrio, SelectMode::auto_select, kNoUplink, 0);
  LONGS_EQUAL(1, s.uplink);
  CHECK_TRUE(s.last_resort);
  LONGS_EQUAL(2, pick({down(), down(), down(tg::api::kFault_soft)}));
  LONGS_EQUAL(1, pick({down(), down(), down()}, SelectMode::auto_select, kNoUplink, 1));  // keep current
  LONGS_EQUAL(kNoUplink, pick({down(), down(), down()}, SelectMode::auto_select, kNoUplink, kNoUplink));
}
