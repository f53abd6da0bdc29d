#include "control/daemon/services.hpp"

#include <cstdlib>

#include "control/config/atomic_file.hpp"
#include "tests/unit/control/daemon/fake_fastpath.hpp"

// CppUTest last: its leak detector redefines new.
#include <CppUTest/TestHarness.h>

using namespace tg;
using namespace tg::controld;
using mgmt::Json;

namespace {

std::string conf(const std::string& dir) {
  return "[box]\nname = edge-1\nstate_dir = " + dir +
         "/state\n"
         "[uplink.wan0]\nrole = wan\ndevice = wan0\ncarrier = Carrier A\naddress = 198.51.100.2/28\n"
         "gateway = 198.51.100.1\nprobe_targets = 203.0.113.10\npriority = 1\n"
         "[uplink.wan1]\nrole = wan\ndevice = wan1\ncarrier = Carrier B\naddress = 198.51.100.18/28\n"
         "gateway = 198.51.100.17\nprobe_targets = 203.0.113.10\npriority = 2\n"
         "[alarm.syslog]\nenabled = false\n"
         "[store]\npath = " + dir + "/state/store.db\n";
}

api::Event state_event(FakeFastPath& fp, uint8_t uplink, api::UplinkState from, api::UplinkState to, uint8_t faults) {
  api::Event e{};
  e.version = api::kMessageVersion;
  e.kind = api::EventKind::uplink_state;
  e.seq = fp.seq++;
  e.uplink_state.uplink = uplink;
  e.uplink_state.from = from;
  e.uplink_state.to = to;
  e.uplink_state.fault_mask = faults;
  return e;
}

// The active alarm of a type in a show.alarms response, or null.
Json find_alarm(const Json& resp, const char* type) {
  for (const auto& a : resp["result"])
    if (a["type"] == type) return a;
  return nullptr;
}

}  // namespace

TEST_GROUP(Services) {
  std::string dir;
  config::ConfigStore* store = nullptr;
  FakeFastPath fp;
  Controller* ctl = nullptr;
  Services* svc = nullptr;
  uint64_t now_ns = 5'000'000'000;
  int64_t wall_ms = 1'700'000'000'000;
  std::vector<std::string> logs;
  mgmt::Peer root{1, 0, 0, {}, "root"};

  void setup() override {
    char tmpl[] = "/tmp/tg-services-test.XXXXXX";
    dir = mkdtemp(tmpl);
    std::string why;
    CHECK(config::write_file_atomically(dir + "/c.conf", conf(dir), why));
    store = new config::ConfigStore;
    auto r = store->open({dir + "/c.conf", "", {}});
    CHECK_TRUE_TEXT(r.ok(), r.error_text().c_str());
    Clock clock{[this] { return now_ns; }, [this] { return wall_ms; },
                [this](int ms) { now_ns += uint64_t(ms) * 1000000; }};
    auto log = [this](int, const std::string& m) { logs.push_back(m); };
    ctl = new Controller(*store, fp, clock, log);
    svc = new Services(fp, [this] { return wall_ms; }, log);
    svc->open(store->running());
    svc->install(*ctl);
    fp.body.uplink_count = 2;
    std::strcpy(fp.body.uplinks[0].name, "wan0");
    std::strcpy(fp.body.uplinks[1].name, "wan1");
  }
  void teardown() override {
    delete svc;
    delete ctl;
    delete store;
    CHECK(std::system(("rm -rf '" + dir + "'").c_str()) == 0);
  }
  Json call(const std::string& cmd, Json args = Json::object()) {
    std::string line = mgmt::request_line(1, cmd, args);
    line.pop_back();
    return Json::parse(ctl->handle(root, mgmt::Role::admin, line));
  }
};

TEST(Services, StoreAndQueueOpen) {
  CHECK(svc->alarm_service() != nullptr);
  STRCMP_EQUAL("", svc->error().c_str());
}

TEST(Services, UplinkFaultRaisesAlarmSwitchNamesTheActionRecoveryClearsAndReports) {
  fp.events.push_back(state_event(fp, 0, api::UplinkState::up, api::UplinkState::down, api::kFault_blackout));
  fp.add_switch(0, 1, api::SwitchReason::media_blackout, 1'000'000'000, 1'180'000'000, 1'212'000'000, 12);
  ctl->tick();
  Json a = call("show.alarms");
  CHECK_TRUE_TEXT(a["ok"].get<bool>(), a.dump().c_str());
  Json al = find_alarm(a, "uplink_blackhole");
  CHECK_TRUE_TEXT(!al.is_null(), a.dump().c_str());
  STRCMP_EQUAL("critical", al["severity"].get<std::string>().c_str());
  STRCMP_CONTAINS("wan0 (Carrier A) silent blackhole", al["text"].get<std::string>().c_str());
  STRCMP_CONTAINS("traffic switched to wan1 (Carrier B) in 212 ms", al["text"].get<std::string>().c_str());
  STRCMP_CONTAINS("12 calls affected", al["text"].get<std::string>().c_str());
  auto events = svc->alarm_service()->event_store().events();
  bool failover = false;
  for (const auto& e : events)
    if (e.kind == "failover") {
      failover = true;
      DOUBLES_EQUAL(212.0, e.total_ms, 1e-6);
      DOUBLES_EQUAL(180.0, e.detect_ms, 1e-6);
    }
  CHECK(failover);

  wall_ms += 60'000;
  fp.events.push_back(state_event(fp, 0, api::UplinkState::down, api::UplinkState::recovering, 0));
  ctl->tick();
  a = call("show.alarms");
  CHECK_TRUE_TEXT(find_alarm(a, "uplink_blackhole").is_null(), a.dump().c_str());
  Json h = call("show.alarms", {{"history", true}});
  CHECK(h["result"].size() >= 2);
  Json f = call("show.fault-report", {{"n", 1}});
  CHECK_TRUE_TEXT(f["ok"].get<bool>(), f.dump().c_str());
  LONGS_EQUAL(1, f["result"].size());
  STRCMP_CONTAINS("wan0", f["result"][0]["text"].get<std::string>().c_str());
}

TEST(Services, NoUsableUplinkRaisesAllUplinksDown) {
  fp.add_switch(0, api::kNoUplink, api::SwitchReason::link_down, 1, 2, 3, 4);
  ctl->tick();
  CHECK(!find_alarm(call("show.alarms"), "all_uplinks_down").is_null());
  fp.add_switch(api::kNoUplink, 1, api::SwitchReason::failback, 5, 6, 7, 0);
  ctl->tick();
  CHECK(find_alarm(call("show.alarms"), "all_uplinks_down").is_null());
}

TEST(Services, FastPathLossIsAnAlarmOnceItWasSeen) {
  fp.present = false;
  svc->tick();
  LONGS_EQUAL(0, call("show.alarms")["result"].size());  // never seen: not expected yet
  fp.present = true;
  wall_ms += 1000;
  svc->tick();
  fp.present = false;
  wall_ms += 1000;
  svc->tick();
  Json a = call("show.alarms");
  LONGS_EQUAL(1, a["result"].size());
  STRCMP_EQUAL("fastpath_down", a["result"][0]["type"].get<std::string>().c_str());
  fp.present = true;
  wall_ms += 1000;
  svc->tick();
  LONGS_EQUAL(0, call("show.alarms")["result"].size());
}

TEST(Services, RejectedReloadRaisesConfigRejectedAndAGoodOneClearsIt) {
  std::string why;
  CHECK(config::write_file_atomically(dir + "/c.conf", conf(dir) + "[timers]\nmiss_count = many\n", why));
  ctl->reload();
  Json a = call("show.alarms");
  LONGS_EQUAL(1, a["result"].size());
  STRCMP_CONTAINS("c.conf:25: miss_count", a["result"][0]["text"].get<std::string>().c_str());
  CHECK(config::write_file_atomically(dir + "/c.conf", conf(dir) + "[timers]\nmiss_count = 4\n", why));
  ctl->reload();
  LONGS_EQUAL(4, store->running().timers.miss_count);
  LONGS_EQUAL(0, call("show.alarms")["result"].size());
}

TEST(Services, AlarmsSurviveARestartThroughTheStore) {
  fp.events.push_back(state_event(fp, 1, api::UplinkState::up, api::UplinkState::down, api::kFault_link));
  ctl->tick();
  delete svc;
  svc = new Services(fp, [this] { return wall_ms; }, [](int, const std::string&) {});
  svc->open(store->running());
  svc->install(*ctl);
  Json before = find_alarm(call("show.alarms"), "no_redundancy");
  CHECK_FALSE(before.is_null());
  Json a = call("show.alarms");
  CHECK(!find_alarm(a, "no_redundancy").is_null());  // restored from the store, not raised again
  LONGS_EQUAL(before["id"].get<int>(), find_alarm(a, "no_redundancy")["id"].get<int>());
}

TEST(Services, QosViolationsBecomeAlarms) {
  fp.body.uplinks[1].probe = {250'000, 240'000, 260'000, 1'000, 0, 50, 50, 50, 0, 0};  // wan1 RTT 250 ms
  for (int s = 0; s <= 11; ++s) {
    now_ns += 1'000'000'000;
    ctl->tick();
  }
  Json a = call("show.alarms");
  LONGS_EQUAL(1, a["result"].size());
  STRCMP_EQUAL("uplink_latency", a["result"][0]["type"].get<std::string>().c_str());
  STRCMP_CONTAINS("wan1 (Carrier B) latency high: round-trip time 250.0 ms above 100 ms",
                  a["result"][0]["text"].get<std::string>().c_str());
}

// The calls' own figures per uplink (UplinkMediaWire): a MOS below 3.6 and a
// one-way delay above 150 ms for the window become uplink_mos and
// uplink_delay alarms on that uplink; good probes do not hide them.
TEST(Services, VoiceQualityPerUplinkBecomesAlarms) {
  fp.body.uplinks[0].probe = {20'000, 19'000, 21'000, 500, 0, 50, 50, 50, 0, 0};  // wan0 probes fine
  api::UplinkMediaWire& m = fp.body.uplinks[0].media;
  m.streams = m.rated = m.delay_streams = 4;
  m.mos_avg_x100 = 318;
  m.mos_min_x100 = 290;
  m.one_way_delay_avg_us = m.one_way_delay_max_us = 190'000;
  for (int s = 0; s <= 11; ++s) {
    now_ns += 1'000'000'000;
    ctl->tick();
  }
  Json a = call("show.alarms");
  Json mos = find_alarm(a, "uplink_mos"), delay = find_alarm(a, "uplink_delay");
  CHECK_FALSE_TEXT(mos.is_null(), a.dump().c_str());
  CHECK_FALSE_TEXT(delay.is_null(), a.dump().c_str());
  STRCMP_CONTAINS("wan0 (Carrier A) voice quality low: voice MOS 3.18 below 3.6", mos["text"].get<std::string>().c_str());
  STRCMP_CONTAINS("wan0 (Carrier A) one-way delay high: voice one-way delay 190.0 ms above 150 ms",
                  delay["text"].get<std::string>().c_str());
  LONGS_EQUAL(2, a["result"].size());  // probes are fine: no latency/loss alarm
  // show uplinks carries the figures.
  Json u = call("show.uplinks")["result"]["uplinks"][0];
  DOUBLES_EQUAL(3.18, u["mos"].get<double>(), 1e-9);
  DOUBLES_EQUAL(190.0, u["one_way_delay_ms"].get<double>(), 1e-9);
  // Good calls again: cleared after the window above the margin.
  m.mos_avg_x100 = m.mos_min_x100 = 420;
  m.one_way_delay_avg_us = m.one_way_delay_max_us = 40'000;
  for (int s = 0; s <= 11; ++s) {
    now_ns += 1'000'000'000;
    ctl->tick();
  }
  LONGS_EQUAL(0, call("show.alarms")["result"].size());
}
