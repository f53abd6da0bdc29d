// TrunkWatch driven by the real TrunkMonitor with fake probers and an
// injected clock; alarms go to a real AlarmManager, soft faults are recorded.
#include "control/daemon/trunk_watch.hpp"

#include <deque>
#include <string>
#include <vector>

// CppUTest last: its leak detector redefines new.
#include <CppUTest/TestHarness.h>

using namespace tg;
using namespace tg::controld;
using probe::ProbeOutcome;
using probe::TimeNs;

namespace {

constexpr TimeNs ms(uint64_t v) { return v * probe::kNsPerMs; }

struct FakeProber : probe::Prober {
  std::deque<Done> pending;
  void set_timeout(TimeNs) override {}
  bool probe(const std::string&, Done done, std::string*) override {
    pending.push_back(std::move(done));
    return true;
  }
  // Answers the probe in flight, if any.
  void answer(ProbeOutcome o, int status = 0, const char* reason = "", int retry_after = -1) {
    if (pending.empty()) return;
    Done d = std::move(pending.front());
    pending.pop_front();
    probe::ProbeReport r;
    r.result = {o, status, ms(4)};
    r.reason = reason;
    r.retry_after_s = retry_after;
    d(r);
  }
};

const char* kConf =
    "[uplink.wan0]\nrole = wan\ndevice = wan0\ncarrier = Carrier A\naddress = 198.51.100.2/28\n"
    "gateway = 198.51.100.1\nprobe_targets = 203.0.113.10\npriority = 1\n"
    "[uplink.wan1]\nrole = wan\ndevice = wan1\ncarrier = Carrier B\naddress = 198.51.100.18/28\n"
    "gateway = 198.51.100.17\nprobe_targets = 203.0.113.10\npriority = 2\n"
    "[trunk.carrierA]\ndescription = Carrier A trunk\nsbc_address = 203.0.113.10\n"
    "options_interval_ms = 1000\noptions_timeout_ms = 500\ndown_after = 2\nup_after = 2\n";

}  // namespace

TEST_GROUP(TrunkWatch) {
  TimeNs now = ms(5000);
  alarm::AlarmManager* alarms = nullptr;
  std::vector<alarm::AlarmNotification> notes;
  std::vector<std::string> soft;  // "+wan0" / "-wan0"
  TrunkWatch* watch = nullptr;
  probe::TrunkMonitor* mon = nullptr;
  FakeProber wan0, wan1;

  void setup() override {
    auto loaded = config::load_config(kConf, "t.conf");
    CHECK_TRUE_TEXT(loaded.ok(), loaded.error_text().c_str());
    alarms = new alarm::AlarmManager([this] { return alarm::WallMs(now / 1000000); }, {},
                                     [this](const alarm::AlarmNotification& n) { notes.push_back(n); });
    watch = new TrunkWatch({[this](const alarm::RaiseRequest& r) { alarms->raise(r); },
                            [this](alarm::AlarmType t, const alarm::ManagedObject& o, const std::string& why) {
                              alarms->clear(t, o, why);
                            },
                            [this](const std::string& u, bool raise) { soft.push_back((raise ? "+" : "-") + u); }});
    watch->configure(*loaded.config);
    mon = new probe::TrunkMonitor([this] { return now; }, [this](const probe::TrunkEvent& e) {
      watch->on_result(e, mon->health(e.spec.trunk, e.spec.uplink)->consecutive_failures());
    });
    mon->add_uplink("wan0", &wan0);
    mon->add_uplink("wan1", &wan1);
    probe::TrunkHealthConfig h{2, 2, ms(1000), ms(1000)};
    CHECK_TRUE(mon->add({"carrierA", "wan0", "sip:203.0.113.10:5060", h}));
    CHECK_TRUE(mon->add({"carrierA", "wan1", "sip:203.0.113.10:5060", h}));
  }
  void teardown() override {
    delete mon;
    delete watch;
    delete alarms;
  }
  // One probe round a second: sends what is due, answers per uplink.
  void round(ProbeOutcome a0, ProbeOutcome a1, int status0 = 0, const char* reason0 = "", int retry0 = -1) {
    now += ms(1000);
    mon->poll();
    wan0.answer(a0, status0, reason0, retry0);
    wan1.answer(a1);
  }
  const alarm::Alarm* active(alarm::AlarmType t) { return alarms->find_active(t, "carrierA"); }
};

TEST(TrunkWatch, OutageEverywhereRaisesTrunkDownWithoutSwitchAndClearsWhenBack) {
  round(ProbeOutcome::ok, ProbeOutcome::ok, 200);
  round(ProbeOutcome::ok, ProbeOutcome::ok, 200);
  LONGS_EQUAL(0, notes.size());
  round(ProbeOutcome::timeout, ProbeOutcome::timeout);
  CHECK(active(alarm::AlarmType::trunk_down) == nullptr);  // 1 failure: not yet
  round(ProbeOutcome::timeout, ProbeOutcome::timeout);
  const alarm::Alarm* a = active(alarm::AlarmType::trunk_down);
  CHECK(a != nullptr);
  LONGS_EQUAL(int(alarm::Severity::critical), int(a->severity));
  STRCMP_CONTAINS("SIP OPTIONS: no answer within 500 ms from 203.0.113.10 via wan0, 2 consecutive", a->text.c_str());
  STRCMP_CONTAINS("via wan1, 2 consecutive", a->text.c_str());
  STRCMP_CONTAINS("calls over this trunk fail on every uplink", a->text.c_str());
  CHECK_TRUE(soft.empty());  // no uplink reaches it: switching would not help
  round(ProbeOutcome::ok, ProbeOutcome::ok, 200);
  CHECK(active(alarm::AlarmType::trunk_down) != nullptr);  // up_after = 2
  round(ProbeOutcome::ok, ProbeOutcome::ok, 200);
  CHECK(active(alarm::AlarmType::trunk_down) == nullptr);
  LONGS_EQUAL(int(alarm::Transition::cleared), int(notes.back().transition));
  STRCMP_CONTAINS("OPTIONS answered again", notes.back().message().c_str());
}

TEST(TrunkWatch, BusyIsASipErrorAlarmNeverAnOutageNorASwitch) {
  round(ProbeOutcome::ok, ProbeOutcome::ok, 200);
  round(ProbeOutcome::overloaded, ProbeOutcome::ok, 503, "Service Unavailable", 30);
  round(ProbeOutcome::overloaded, ProbeOutcome::ok, 503, "Service Unavailable", 30);
  const alarm::Alarm* a = active(alarm::AlarmType::trunk_sip_errors);
  CHECK(a != nullptr);
  CHECK(active(alarm::AlarmType::trunk_down) == nullptr);
  STRCMP_CONTAINS("carrierA (Carrier A trunk)", a->text.c_str());
  STRCMP_CONTAINS(
      "SIP OPTIONS: 503 Service Unavailable (Retry-After 30) from 203.0.113.10 via wan0, 2 consecutive",
      a->text.c_str());
  STRCMP_CONTAINS("no failover", a->text.c_str());
  CHECK_TRUE(soft.empty());  // busy via wan0 only, up via wan1: still no switch
  CHECK_FALSE(watch->sip_outage("wan0"));
  // The SBC stops answering on wan0: now an outage via wan0 only -> switch.
  round(ProbeOutcome::timeout, ProbeOutcome::ok, 0);
  CHECK(active(alarm::AlarmType::trunk_sip_errors) == nullptr);
  CHECK(active(alarm::AlarmType::trunk_down) != nullptr);
  LONGS_EQUAL(1, soft.size());
  STRCMP_EQUAL("+wan0", soft[0].c_str());
}

TEST(TrunkWatch, OutageViaActiveUplinkOnlyOrdersSwitchClearedWhenBack) {
  round(ProbeOutcome::ok, ProbeOutcome::ok, 200);
  round(ProbeOutcome::outage, ProbeOutcome::ok, 503, "Service Unavailable");
  CHECK_TRUE(soft.empty());
  round(ProbeOutcome::outage, ProbeOutcome::ok, 503, "Service Unavailable");
  LONGS_EQUAL(1, soft.size());
  STRCMP_EQUAL("+wan0", soft[0].c_str());
  CHECK_TRUE(watch->sip_outage("wan0"));
  const alarm::Alarm* a = active(alarm::AlarmType::trunk_down);
  CHECK(a != nullptr);
  LONGS_EQUAL(int(alarm::Severity::major), int(a->severity));  // still reachable via wan1
  STRCMP_CONTAINS("503 Service Unavailable from 203.0.113.10 via wan0, 2 consecutive", a->text.c_str());
  STRCMP_CONTAINS("reachable via wan1", a->text.c_str());
  // More failures: no repeated orders, the alarm is deduplicated.
  size_t n = notes.size();
  round(ProbeOutcome::outage, ProbeOutcome::ok, 503, "Service Unavailable");
  LONGS_EQUAL(1, soft.size());
  LONGS_EQUAL(n, notes.size());
  round(ProbeOutcome::ok, ProbeOutcome::ok, 200);
  round(ProbeOutcome::ok, ProbeOutcome::ok, 200);
  LONGS_EQUAL(2, soft.size());
  STRCMP_EQUAL("-wan0", soft[1].c_str());
  CHECK(active(alarm::AlarmType::trunk_down) == nullptr);
}

TEST(TrunkWatch, OutageSpreadingToEveryUplinkWithdrawsTheSwitchOrder) {
  round(ProbeOutcome::ok, ProbeOutcome::ok, 200);
  round(ProbeOutcome::timeout, ProbeOutcome::ok);
  round(ProbeOutcome::timeout, ProbeOutcome::ok);
  LONGS_EQUAL(1, soft.size());
  round(ProbeOutcome::timeout, ProbeOutcome::timeout);
  round(ProbeOutcome::timeout, ProbeOutcome::timeout);
  LONGS_EQUAL(2, soft.size());
  STRCMP_EQUAL("-wan0", soft[1].c_str());
  LONGS_EQUAL(int(alarm::Severity::critical), int(active(alarm::AlarmType::trunk_down)->severity));
}

// Configuration reload: the trunk is removed while down via wan0 only (a
// soft fault on wan0): its alarm clears saying so, the soft fault goes.
TEST(TrunkWatch, RemovedTrunkClearsItsAlarmAndWithdrawsItsSoftFault) {
  round(ProbeOutcome::ok, ProbeOutcome::ok, 200);
  round(ProbeOutcome::timeout, ProbeOutcome::ok);
  round(ProbeOutcome::timeout, ProbeOutcome::ok);
  CHECK(active(alarm::AlarmType::trunk_down) != nullptr);
  CHECK_TRUE(watch->sip_outage("wan0"));
  watch->remove_trunk("carrierA", "trunk carrierA removed from the configuration; no longer probed");
  CHECK(active(alarm::AlarmType::trunk_down) == nullptr);
  LONGS_EQUAL(int(alarm::Transition::cleared), int(notes.back().transition));
  STRCMP_CONTAINS("removed from the configuration", notes.back().message().c_str());
  CHECK_FALSE(watch->sip_outage("wan0"));
  STRCMP_EQUAL("-wan0", soft.back().c_str());
  CHECK(watch->alarm_of("carrierA") == nullptr);
  // A trunk without an alarm: nothing to clear, nothing sent.
  size_t n = notes.size();
  watch->remove_trunk("carrierA", "again");
  LONGS_EQUAL(n, notes.size());
}

// The trunk's down uplink is dropped from its uplinks list: judged on the
// rest (up), the alarm clears naming the uplink no longer probing it.
TEST(TrunkWatch, ForgottenDownPairClearsWhenTheOthersAreUp) {
  round(ProbeOutcome::ok, ProbeOutcome::ok, 200);
  round(ProbeOutcome::timeout, ProbeOutcome::ok);
  round(ProbeOutcome::timeout, ProbeOutcome::ok);
  CHECK(active(alarm::AlarmType::trunk_down) != nullptr);
  mon->remove("carrierA", "wan0");
  watch->forget("carrierA", "wan0");
  CHECK(active(alarm::AlarmType::trunk_down) == nullptr);
  STRCMP_CONTAINS("wan0 no longer does", notes.back().message().c_str());
  CHECK_FALSE(watch->sip_outage("wan0"));
}

// With no other known pair, forgetting keeps the alarm: the trunk's new
// pairs (re-created by the reload) decide.
TEST(TrunkWatch, ForgettingTheLastKnownPairKeepsTheAlarmForTheNewPairs) {
  round(ProbeOutcome::ok, ProbeOutcome::ok, 200);
  round(ProbeOutcome::timeout, ProbeOutcome::timeout);
  round(ProbeOutcome::timeout, ProbeOutcome::timeout);
  CHECK(active(alarm::AlarmType::trunk_down) != nullptr);
  watch->forget("carrierA", "wan0");
  watch->forget("carrierA", "wan1");
  CHECK(active(alarm::AlarmType::trunk_down) != nullptr);
}
