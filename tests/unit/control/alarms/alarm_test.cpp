#include "control/alarms/alarm.hpp"


#include <string>
#include <vector>

// CppUTest last: its leak detector redefines new.
#include <CppUTest/TestHarness.h>

using namespace tg::alarm;

namespace {

// Injected clock: tests move time by hand.
struct Fixture {
  WallMs now = 1'795'000'000'000;  // 2026-11-19
  std::vector<AlarmNotification> got;
  AlarmManager am;
  explicit Fixture(ManagerOptions o = {})
      : am([this] { return now; }, o, [this](const AlarmNotification& n) { got.push_back(n); }) {}
};

const ManagedObject kWan0{ObjectKind::uplink, "wan0", "Carrier A"};
const ManagedObject kWan1{ObjectKind::uplink, "wan1", "Carrier B"};
const ManagedObject kTrunkA{ObjectKind::trunk, "carrierA", "Carrier A SBC"};

RaiseRequest blackhole(uint32_t calls = 12) {
  RaiseRequest r;
  r.type = AlarmType::uplink_blackhole;
  r.object = kWan0;
  r.detail = "no RTP on " + std::to_string(calls) + " calls for 180 ms";
  r.action = text::switched_to("wan1", "Carrier B", 212);
  r.calls_affected = calls;
  return r;
}

}  // namespace

TEST_GROUP(AlarmTable){};

TEST(AlarmTable, EveryTypeHasConsistentMetadata) {
  for (size_t i = 0; i < kAlarmTypeCount; ++i) {
    const AlarmTypeInfo& info = alarm_type_info(AlarmType(i));
    CHECK(info.name && *info.name);
    CHECK(info.specific_problem && *info.specific_problem);
    CHECK(info.default_severity != Severity::cleared);
    // round trip by name: names are the stable key in the store and MIB text
    auto back = alarm_type_from_name(info.name);
    CHECK_TRUE(back.has_value());
    LONGS_EQUAL(i, size_t(*back));
    if (AlarmType(i) != AlarmType::notify_test)  // a test notice has no real cause
      CHECK(std::string(probable_cause_name(info.probable_cause)) != "other");
  }
  CHECK_FALSE(alarm_type_from_name("no_such_alarm").has_value());
}

TEST(AlarmTable, UsesItuNumbering) {
  // RFC 3877 ItuPerceivedSeverity and IANAItuProbableCause values travel in traps.
  LONGS_EQUAL(1, int(Severity::cleared));
  LONGS_EQUAL(3, int(Severity::critical));
  LONGS_EQUAL(6, int(Severity::warning));
  const AlarmTypeInfo& lod = alarm_type_info(AlarmType::uplink_link_down);
  LONGS_EQUAL(8, int(lod.probable_cause));  // lossOfSignal
  LONGS_EQUAL(2, int(lod.event_type));      // communicationsAlarm
  LONGS_EQUAL(202, int(alarm_type_info(AlarmType::trunk_congestion).probable_cause));
  LONGS_EQUAL(3, int(alarm_type_info(AlarmType::uplink_mos).event_type));  // QoS alarm
  STRCMP_EQUAL("critical", severity_name(Severity::critical));
  CHECK_TRUE(severity_from_name("minor") == Severity::minor);
  CHECK_FALSE(severity_from_name("fatal").has_value());
}

TEST_GROUP(AlarmText){};

TEST(AlarmText, SaysWhatWhereActionImpact) {
  Fixture f;
  f.am.raise(blackhole());
  LONGS_EQUAL(1, f.got.size());
  STRCMP_EQUAL(
      "wan0 (Carrier A) silent blackhole: no RTP on 12 calls for 180 ms; "
      "traffic switched to wan1 (Carrier B) in 212 ms; 12 calls affected",
      f.got[0].message().c_str());
}

TEST(AlarmText, Durations) {
  STRCMP_EQUAL("0 ms", text::duration(0).c_str());
  STRCMP_EQUAL("999 ms", text::duration(999).c_str());
  STRCMP_EQUAL("2.4 s", text::duration(2'450).c_str());
  STRCMP_EQUAL("42 s", text::duration(42'900).c_str());
  STRCMP_EQUAL("5 min 3 s", text::duration(303'000).c_str());
  STRCMP_EQUAL("2 min", text::duration(120'000).c_str());
  STRCMP_EQUAL("2 h 5 min", text::duration(7'500'000).c_str());
  STRCMP_EQUAL("1 call affected", text::calls_affected(1).c_str());
  STRCMP_EQUAL("2026-11-23T10:12:34.123Z", text::iso8601(1795428754123).c_str());
}

TEST(AlarmText, ComposeSkipsEmptyParts) {
  STRCMP_EQUAL("carrierA SIP trunk unreachable",
               text::compose({ObjectKind::trunk, "carrierA", ""}, "SIP trunk unreachable", "", "", "")
                   .c_str());
  STRCMP_EQUAL("box all uplinks down; 3 calls affected",
               text::compose({ObjectKind::box, "box", ""}, "all uplinks down", "", "", "3 calls affected")
                   .c_str());
}

TEST_GROUP(AlarmLifecycle){};

TEST(AlarmLifecycle, RaiseThenClear) {
  Fixture f;
  uint64_t id = f.am.raise(blackhole());
  CHECK(id >= 1);
  LONGS_EQUAL(1, f.am.active().size());
  const AlarmNotification r = f.got.at(0);  // copy: got grows below
  CHECK_TRUE(r.transition == Transition::raised);
  CHECK_TRUE(r.severity() == Severity::critical);
  LONGS_EQUAL(id, r.alarm.id);
  LONGS_EQUAL(f.now, r.alarm.raised_ms);
  LONGS_EQUAL(12, r.alarm.calls_affected);
  CHECK_FALSE(r.grouped);

  f.now += 303'000;
  CHECK_TRUE(f.am.clear(AlarmType::uplink_blackhole, kWan0, "RTP flowing again"));
  LONGS_EQUAL(2, f.got.size());
  const AlarmNotification& c = f.got[1];
  CHECK_TRUE(c.transition == Transition::cleared);
  CHECK_TRUE(c.severity() == Severity::cleared);  // X.733: a clear carries severity cleared
  CHECK_TRUE(c.alarm.severity == Severity::critical);  // what it was
  LONGS_EQUAL(id, c.alarm.id);
  CHECK_FALSE(c.alarm.active());
  STRCMP_EQUAL("wan0 (Carrier A) silent blackhole cleared after 5 min 3 s: RTP flowing again",
               c.message().c_str());
  CHECK_TRUE(f.am.active().empty());
  CHECK(c.seq > r.seq);
  LONGS_EQUAL(2, f.am.history().size());
}

TEST(AlarmLifecycle, RepeatedRaiseIsDeduplicated) {
  Fixture f;
  uint64_t id = f.am.raise(blackhole(12));
  f.now += 1000;
  uint64_t id2 = f.am.raise(blackhole(15));
  f.now += 1000;
  uint64_t id3 = f.am.raise(blackhole(9));
  LONGS_EQUAL(id, id2);
  LONGS_EQUAL(id, id3);
  LONGS_EQUAL(1, f.got.size());  // one notification for one problem
  const Alarm* a = f.am.find_active(AlarmType::uplink_blackhole, "wan0");
  CHECK(a != nullptr);
  LONGS_EQUAL(3, a->raise_count);
  LONGS_EQUAL(15, a->calls_affected);  // the worst seen
  LONGS_EQUAL(f.now, a->changed_ms);
  CHECK(a->raised_ms < a->changed_ms);
  LONGS_EQUAL(2, f.am.counters().deduplicated);
}

TEST(AlarmLifecycle, SeverityChangeNotifiesSameAlarm) {
  Fixture f;
  RaiseRequest r;
  r.type = AlarmType::uplink_mos;
  r.object = kWan1;
  r.detail = "MOS 3.4 over 60 s";
  r.severity = Severity::minor;
  uint64_t id = f.am.raise(r);
  r.detail = "MOS 2.9 over 60 s";
  r.severity = Severity::major;
  f.am.raise(r);
  LONGS_EQUAL(2, f.got.size());
  CHECK_TRUE(f.got[1].transition == Transition::changed);
  CHECK_TRUE(f.got[1].severity() == Severity::major);
  LONGS_EQUAL(id, f.got[1].alarm.id);
  STRCMP_EQUAL("wan1 (Carrier B) voice quality low: MOS 2.9 over 60 s", f.got[1].message().c_str());
}

TEST(AlarmLifecycle, SameTypeOnOtherObjectsIsAnotherAlarm) {
  Fixture f;
  RaiseRequest r;
  r.type = AlarmType::uplink_link_down;
  r.object = kWan0;
  uint64_t a = f.am.raise(r);
  r.object = kWan1;
  uint64_t b = f.am.raise(r);
  CHECK(a != b);
  r.type = AlarmType::trunk_down;
  r.object = kTrunkA;
  f.am.raise(r);
  auto act = f.am.active();
  LONGS_EQUAL(3, act.size());
  CHECK(act[0].id < act[1].id && act[1].id < act[2].id);  // sorted by id
  CHECK_TRUE(f.am.clear(AlarmType::uplink_link_down, kWan1));
  CHECK(f.am.find_active(AlarmType::uplink_link_down, "wan0") != nullptr);
  CHECK(f.am.find_active(AlarmType::uplink_link_down, "wan1") == nullptr);
}

TEST(AlarmLifecycle, ClearOfInactiveIsIgnoredAndCounted) {
  Fixture f;
  CHECK_FALSE(f.am.clear(AlarmType::trunk_down, kTrunkA));
  LONGS_EQUAL(0, f.got.size());
  LONGS_EQUAL(1, f.am.counters().clear_unknown);
  f.am.raise(blackhole());
  CHECK_TRUE(f.am.clear(AlarmType::uplink_blackhole, kWan0));
  CHECK_FALSE(f.am.clear(AlarmType::uplink_blackhole, kWan0));  // double clear
  LONGS_EQUAL(2, f.got.size());
}

TEST(AlarmLifecycle, RaiseAfterClearIsANewInstance) {
  Fixture f;
  uint64_t a = f.am.raise(blackhole());
  f.am.clear(AlarmType::uplink_blackhole, kWan0);
  uint64_t b = f.am.raise(blackhole());
  CHECK(b > a);
  LONGS_EQUAL(3, f.got.size());
  CHECK_TRUE(f.got[2].transition == Transition::raised);
}

TEST(AlarmLifecycle, ClearObjectClearsAllItsAlarms) {
  Fixture f;
  RaiseRequest r;
  r.object = kWan0;
  for (AlarmType t : {AlarmType::uplink_latency, AlarmType::uplink_loss, AlarmType::uplink_jitter}) {
    r.type = t;
    f.am.raise(r);
  }
  r.object = kWan1;
  f.am.raise(r);
  LONGS_EQUAL(3, f.am.clear_object(kWan0, "uplink removed from configuration"));
  LONGS_EQUAL(1, f.am.active().size());
  STRCMP_EQUAL("wan1", f.am.active()[0].object.name.c_str());
}

TEST(AlarmLifecycle, RestoreAfterRestartDedupsWithoutNotifying) {
  Fixture f;
  Alarm old;
  old.id = 41;
  old.type = AlarmType::trunk_down;
  old.object = kTrunkA;
  old.severity = Severity::critical;
  old.raised_ms = f.now - 60'000;
  old.changed_ms = old.raised_ms;
  old.raise_count = 1;
  ManagerOptions o;
  o.first_id = 10;
  Fixture g(o);
  g.am.restore_active({old});
  LONGS_EQUAL(0, g.got.size());
  RaiseRequest r;
  r.type = AlarmType::trunk_down;
  r.object = kTrunkA;
  LONGS_EQUAL(41, g.am.raise(r));  // still the same alarm
  LONGS_EQUAL(0, g.got.size());
  LONGS_EQUAL(42, g.am.next_id());
  CHECK_TRUE(g.am.clear(AlarmType::trunk_down, kTrunkA, "OPTIONS answered"));
  STRCMP_EQUAL("carrierA (Carrier A SBC) SIP trunk unreachable cleared after 1 min: OPTIONS answered",
               g.got.at(0).message().c_str());
}

TEST(AlarmLifecycle, HistoryIsBounded) {
  ManagerOptions o;
  o.history_limit = 4;
  o.storm_threshold = 1000;
  Fixture f(o);
  for (int i = 0; i < 5; ++i) {
    f.am.raise(blackhole());
    f.am.clear(AlarmType::uplink_blackhole, kWan0);
  }
  LONGS_EQUAL(4, f.am.history().size());
  LONGS_EQUAL(7, f.am.history().front().seq);  // 10 notifications, last 4 kept
  LONGS_EQUAL(10, f.am.history().back().seq);
}

TEST_GROUP(AlarmStorm){};

namespace {
ManagerOptions storm_opts() {
  ManagerOptions o;
  o.storm_threshold = 6;
  o.storm_window_ms = 10'000;
  o.storm_quiet_ms = 30'000;
  return o;
}
// Raise and clear link-down on uplink `i` (2 notifications).
void flap(Fixture& f, int i) {
  RaiseRequest r;
  r.type = AlarmType::uplink_link_down;
  r.object = {ObjectKind::uplink, "wan" + std::to_string(i), ""};
  f.am.raise(r);
  f.am.clear(r.type, r.object);
}
}  // namespace

TEST(AlarmStorm, SlowRateNeverStorms) {
  Fixture f(storm_opts());
  for (int i = 0; i < 20; ++i) {
    flap(f, i);
    f.now += 5'000;  // 2 per 5 s = 4 per window < 6
    f.am.tick();
  }
  CHECK_FALSE(f.am.in_storm());
  for (const auto& n : f.got) CHECK_FALSE(n.grouped);
  LONGS_EQUAL(0, f.am.counters().storms);
}

TEST(AlarmStorm, BurstStartsStormGroupsAndEndsWhenQuiet) {
  Fixture f(storm_opts());
  for (int i = 0; i < 3; ++i) {  // 6 notifications within the window
    flap(f, i);
    f.now += 100;
  }
  CHECK_TRUE(f.am.in_storm());
  // the 6th went out normally, then the storm alarm
  LONGS_EQUAL(7, f.got.size());
  CHECK_FALSE(f.got[5].grouped);
  CHECK_TRUE(f.got[6].alarm.type == AlarmType::alarm_storm);
  CHECK_TRUE(f.got[6].transition == Transition::raised);
  STRCMP_EQUAL(
      "box alarm storm: 6 alarm notifications in 10 s; e-mail grouped into digests until it calms down",
      f.got[6].message().c_str());
  CHECK(f.am.find_active(AlarmType::alarm_storm, "box") != nullptr);

  // during the storm: everything still delivered to the sink, marked grouped
  flap(f, 7);
  LONGS_EQUAL(9, f.got.size());
  CHECK_TRUE(f.got[7].grouped && f.got[8].grouped);
  LONGS_EQUAL(2, f.am.counters().grouped);

  // still busy 20 s later: the storm stays
  f.now += 20'000;
  for (int i = 0; i < 2; ++i) flap(f, 10 + i);  // 4 in window >= 6/2 keeps it busy
  f.am.tick();
  CHECK_TRUE(f.am.in_storm());

  // quiet for the window and then storm_quiet_ms: the storm alarm clears with a summary
  f.now += 29'000;
  f.am.tick();
  CHECK_TRUE(f.am.in_storm());  // 29 s since last busy
  f.now += 1'000;
  f.am.tick();
  CHECK_FALSE(f.am.in_storm());
  const AlarmNotification& end = f.got.back();
  CHECK_TRUE(end.alarm.type == AlarmType::alarm_storm);
  CHECK_TRUE(end.transition == Transition::cleared);
  CHECK_FALSE(end.grouped);
  STRCMP_EQUAL("box alarm storm cleared after 50 s: 6 notifications grouped over 50 s",
               end.message().c_str());
  // after the storm notifications are no longer grouped
  flap(f, 20);
  CHECK_FALSE(f.got.back().grouped);
  LONGS_EQUAL(1, f.am.counters().storms);
}

TEST(AlarmStorm, EndsOnNextNotificationWithoutTick) {
  Fixture f(storm_opts());
  for (int i = 0; i < 3; ++i) flap(f, i);
  CHECK_TRUE(f.am.in_storm());
  f.now += 60'000;
  size_t before = f.got.size();
  flap(f, 5);
  CHECK_FALSE(f.am.in_storm());
  // storm clear first, then the new notification, in sequence order
  CHECK_TRUE(f.got[before].alarm.type == AlarmType::alarm_storm);
  CHECK_TRUE(f.got[before].transition == Transition::cleared);
  CHECK_FALSE(f.got[before + 1].grouped);
  for (size_t i = 1; i < f.got.size(); ++i) CHECK(f.got[i].seq > f.got[i - 1].seq);
}
