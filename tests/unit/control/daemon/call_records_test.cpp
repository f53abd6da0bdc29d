#include "control/daemon/call_records.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <vector>

#include "control/alarms/alarm.hpp"
#include "control/config/atomic_file.hpp"
#include "control/config/store.hpp"
#include "tests/unit/control/daemon/fake_fastpath.hpp"

// CppUTest last: its leak detector redefines new.
#include <CppUTest/TestHarness.h>

using namespace tg;
using namespace tg::controld;
using mgmt::Json;

namespace {

constexpr uint64_t kMs = 1'000'000ull;
constexpr int64_t kWall0 = 1795428754000;    // 2026-11-23T10:12:34Z
constexpr uint64_t kMono0 = 5000 * 1000 * kMs;  // fast path's monotonic clock at kWall0

struct FakeFeed : CallFeed {
  std::deque<api::CallRecordWire> cdrs;
  std::vector<api::CallRecordWire> live;
  bool live_ok = true;
  size_t poll_cdrs(api::CallRecordWire* out, size_t n) override {
    size_t k = 0;
    while (k < n && !cdrs.empty()) {
      out[k++] = cdrs.front();
      cdrs.pop_front();
    }
    return k;
  }
  uint64_t* now = nullptr;  // the fast path's clock
  bool read_live(std::vector<api::CallRecordWire>& out, uint64_t& published_ns, std::string& why) override {
    if (!live_ok) return why = "fast path not running", false;
    out = live;
    published_ns = *now;
    return true;
  }
};

template <size_t N>
void put(char (&dst)[N], const char* s) {
  std::strncpy(dst, s, N - 1);
}

// A call on trunk 0 / uplink 0 dialled at `at_ms` after kMono0.
api::CallRecordWire cdr(const char* id, CallState state, uint16_t code, uint64_t at_ms = 0) {
  api::CallRecordWire r{};
  r.version = api::kCallRecordVersion;
  r.state = uint8_t(state);
  r.direction = uint8_t(CallDirection::outbound);
  r.trunk = 0;
  r.uplink = 0;
  r.final_code = code;
  r.reason_cause = -1;
  r.pdd_ms = -1;
  r.srd_ms = -1;
  r.realtime_offset_ns = uint64_t(kWall0) * kMs - kMono0;
  r.invite_ns = kMono0 + at_ms * kMs;
  r.end_ns = r.invite_ns + 2000 * kMs;
  put(r.call_id, id);
  put(r.from_user, "+4930123456");
  put(r.to_user, "+4940999888");
  if (state == CallState::ended || state == CallState::answered) {
    r.answer_ns = r.invite_ns + 1000 * kMs;
    r.end_ns = state == CallState::ended ? r.answer_ns + 60'000 * kMs : 0;
    r.hangup = uint8_t(Party::caller);
    r.pdd_ms = 400;
    r.srd_ms = 400;
    for (auto& m : r.media) {
      m.flags = api::kMediaAnnounced | api::kMediaSeen;
      m.packets = 3000;
      m.expected = 3000;
      m.jitter_us = 1500;
      m.mos_x100 = 440;
    }
  }
  return r;
}

struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/tg-call-records-test-XXXXXX";
    path = mkdtemp(t);
  }
  ~TempDir() { CHECK(std::system(("rm -rf '" + path + "'").c_str()) == 0); }
};

}  // namespace

TEST_GROUP(CallRecords) {
  TempDir dir;
  FakeFeed feed;
  store::Store st;
  int64_t wall = kWall0 + 120'000;  // two minutes after the first calls
  uint64_t mono = 7;                          // this process's clock: not the fast path's
  uint64_t fp_mono = kMono0 + 120'000 * kMs;  // the fast path's, at its last publish
  std::vector<std::string> logs;
  std::unique_ptr<CallRecords> cr;
  api::StatsBody stats{};

  void setup() override {
    feed.now = &fp_mono;
    std::string err;
    CHECK_TRUE_TEXT(st.open({dir.path + "/store.db"}, err), err.c_str());
    Clock clock{[this] { return mono; }, [this] { return wall; }, [](int) {}};
    cr = std::make_unique<CallRecords>(feed, clock, [this](int, const std::string& m) { logs.push_back(m); });
    cr->set_store(&st);
    stats.trunk_count = 1;
    put(stats.trunks[0].name, "carrierA");
    stats.uplink_count = 2;
    put(stats.uplinks[0].name, "wan0");
    put(stats.uplinks[1].name, "wan1");
    cr->set_stats_source([this](api::StatsBody& b) {
      b = stats;
      return true;
    });
  }
  Json run(Json (CallRecords::*fn)(const Json&, mgmt::Error&, bool&), Json args, bool expect_ok = true) {
    mgmt::Error e{};
    bool failed = false;
    Json j = ((*cr).*fn)(args, e, failed);
    CHECK_EQUAL_TEXT(expect_ok, !failed, e.message.c_str());
    if (failed) return {{"error", e.message}, {"code", mgmt::error_code_name(e.code)}};
    return j;
  }
};

TEST(CallRecords, CdrBecomesAStoreRowWithNamesTimesAndDiagnosis) {
  feed.cdrs.push_back(cdr("ok@pbx", CallState::ended, 200));
  api::CallRecordWire nf = cdr("nf@pbx", CallState::rejected, 404, 5000);
  put(nf.to_user, "030123456");
  feed.cdrs.push_back(nf);
  cr->tick();
  LONGS_EQUAL(2, cr->counter(CallRecordCounter::cdrs_stored));
  auto rows = st.calls();
  LONGS_EQUAL(2, rows.size());
  const store::CallRecord& a = rows[0];
  STRCMP_EQUAL("ok@pbx", a.call_id.c_str());
  STRCMP_EQUAL("carrierA", a.trunk.c_str());
  STRCMP_EQUAL("wan0", a.uplink.c_str());
  LONGS_EQUAL(kWall0, a.start_ms);
  LONGS_EQUAL(kWall0 + 1000, a.answer_ms);
  LONGS_EQUAL(kWall0 + 61000, a.end_ms);
  STRCMP_EQUAL("caller BYE", a.end_reason.c_str());
  STRCMP_EQUAL("ended", a.state.c_str());
  STRCMP_EQUAL("outbound", a.direction.c_str());
  DOUBLES_EQUAL(4.4, a.outbound.mos, 1e-9);
  DOUBLES_EQUAL(1.5, a.inbound.jitter_ms, 1e-9);
  STRCMP_EQUAL("ok", a.verdict.c_str());
  LONGS_EQUAL(sizeof(api::CallRecordWire) * 2, a.raw.size());
  STRCMP_EQUAL("number_format", rows[1].verdict.c_str());
  CHECK(rows[1].diagnosis.find("missing country code?") != std::string::npos);
}

TEST(CallRecords, TrunkNamedBySbcAddressGetsItsConfiguredName) {
  put(stats.trunks[0].name, "203.0.113.10");  // the fast path's automatic trunk
  config::Config c;
  config::TrunkConfig t;
  t.name = "carrierA";
  t.sbc_address = "203.0.113.10";
  c.trunks.push_back(t);
  cr->configure(c);
  feed.cdrs.push_back(cdr("t@pbx", CallState::ended, 200));
  cr->tick();
  STRCMP_EQUAL("carrierA", st.calls().at(0).trunk.c_str());
  CHECK(cr->trunk_figures().contains("carrierA"));
}

TEST(CallRecords, WithoutTrunkNamesFromTheFastPathTheOnlyConfiguredTrunkIsUsed) {
  stats.trunk_count = 0;
  config::Config c;
  config::TrunkConfig t;
  t.name = "carrierA";
  c.trunks.push_back(t);
  cr->configure(c);
  store::CallRecord row = cr->to_row(cdr("t@pbx", CallState::ended, 200));
  STRCMP_EQUAL("carrierA", row.trunk.c_str());
  c.trunks.push_back(t);
  c.trunks.back().name = "carrierB";
  cr->configure(c);
  STRCMP_EQUAL("trunk0", cr->to_row(cdr("t@pbx", CallState::ended, 200)).trunk.c_str());
}

TEST(CallRecords, InboundCallMediaIsMappedToTheNocDirections) {
  api::CallRecordWire r = cdr("in@carrier", CallState::ended, 200);
  r.direction = uint8_t(CallDirection::inbound);
  r.media[api::kMediaCallerToCallee].mos_x100 = 300;  // carrier -> PBX on an inbound call
  store::CallRecord row = cr->to_row(r);
  DOUBLES_EQUAL(3.0, row.inbound.mos, 1e-9);
  DOUBLES_EQUAL(4.4, row.outbound.mos, 1e-9);
}

TEST(CallRecords, DiagnoseFinishedCallFromRecentAndFromTheStore) {
  api::CallRecordWire r = cdr("forbidden@pbx", CallState::rejected, 403);
  feed.cdrs.push_back(r);
  cr->tick();
  Json d = run(&CallRecords::diagnose_call, {{"call_id", "forbidden@pbx"}});
  STRCMP_EQUAL("permission", d["verdict"].get<std::string>().c_str());
  STRCMP_EQUAL("recent call records", d["source"].get<std::string>().c_str());
  STRCMP_EQUAL("carrierA", d["call"]["trunk"].get<std::string>().c_str());

  // A restarted daemon has nothing in memory: the store answers.
  Clock clock{[this] { return mono; }, [this] { return wall; }, [](int) {}};
  CallRecords fresh(feed, clock, [](int, const std::string&) {});
  fresh.set_store(&st);
  mgmt::Error e{};
  bool failed = false;
  Json s = fresh.diagnose_call({{"call_id", "forbidden@pbx"}}, e, failed);
  CHECK_FALSE_TEXT(failed, e.message.c_str());
  STRCMP_EQUAL("permission", s["verdict"].get<std::string>().c_str());
  STRCMP_EQUAL("call-record store", s["source"].get<std::string>().c_str());

  Json missing = run(&CallRecords::diagnose_call, {{"call_id", "nope"}}, false);
  STRCMP_EQUAL("bad_argument", missing["code"].get<std::string>().c_str());
  CHECK(missing["error"].get<std::string>().find("no call 'nope'") != std::string::npos);
}

TEST(CallRecords, DiagnoseLiveCall) {
  api::CallRecordWire r = cdr("live@pbx", CallState::answered, 200, 100'000);
  r.media[api::kMediaCalleeToCaller] = {};
  r.media[api::kMediaCalleeToCaller].flags = api::kMediaAnnounced;
  feed.live.push_back(r);
  Json d = run(&CallRecords::diagnose_call, {{"call_id", "live@pbx"}});
  STRCMP_EQUAL("one_way_audio", d["verdict"].get<std::string>().c_str());
  CHECK(d["live"].get<bool>());
  STRCMP_EQUAL("live calls", d["source"].get<std::string>().c_str());
}

TEST(CallRecords, ShowCallsListsLiveCallsWithMediaPerDirection) {
  feed.live.push_back(cdr("b@pbx", CallState::answered, 200, 90'000));
  api::CallRecordWire ringing = cdr("a@pbx", CallState::ringing, 0, 80'000);
  ringing.end_ns = 0;
  feed.live.push_back(ringing);
  Json j = run(&CallRecords::show_calls, Json::object());
  LONGS_EQUAL(2, j["count"].get<int>());
  const Json& c = j["calls"];
  STRCMP_EQUAL("a@pbx", c[0]["call_id"].get<std::string>().c_str());  // oldest first
  STRCMP_EQUAL("ringing", c[0]["state"].get<std::string>().c_str());
  CHECK(c[0]["duration_s"].is_null());
  STRCMP_EQUAL("answered", c[1]["state"].get<std::string>().c_str());
  DOUBLES_EQUAL(29.0, c[1]["duration_s"].get<double>(), 1e-9);  // answered at +91 s, now +120 s
  DOUBLES_EQUAL(4.4, c[1]["media"]["out"]["mos"].get<double>(), 1e-9);
  DOUBLES_EQUAL(1.5, c[1]["media"]["in"]["jitter_ms"].get<double>(), 1e-9);
  STRCMP_EQUAL("wan0", c[1]["uplink"].get<std::string>().c_str());

  feed.live_ok = false;
  Json down = run(&CallRecords::show_calls, Json::object(), false);
  STRCMP_EQUAL("fastpath_unavailable", down["code"].get<std::string>().c_str());
}

TEST(CallRecords, TrunkFiguresKeepBusyApartFromFailure) {
  // 4 answered, 3 busy (486, 600, 503 + Retry-After), 2 failed (500, timeout), 1 rejected (404)
  int n = 0;
  auto add = [&](CallState s, uint16_t code) {
    api::CallRecordWire r = cdr(("c" + std::to_string(n)).c_str(), s, code, uint64_t(n) * 1000);
    r.srd_ms = 100 + n * 10;
    r.pdd_ms = s == CallState::ended ? 200 + n * 10 : -1;
    ++n;
    feed.cdrs.push_back(r);
  };
  for (int i = 0; i < 4; ++i) add(CallState::ended, 200);
  add(CallState::busy, 486);
  add(CallState::busy, 600);
  add(CallState::busy, 503);
  add(CallState::failed, 500);
  add(CallState::timeout, 0);
  add(CallState::rejected, 404);
  cr->tick();
  Json f = cr->trunk_figures()["carrierA"];
  const Json& w = f["window"];
  LONGS_EQUAL(10, w["attempts"].get<int>());
  DOUBLES_EQUAL(40.0, w["asr_pct"].get<double>(), 1e-9);
  DOUBLES_EQUAL(30.0, w["busy_pct"].get<double>(), 1e-9);
  DOUBLES_EQUAL(20.0, w["failure_pct"].get<double>(), 1e-9);
  DOUBLES_EQUAL(40.0, w["ser_pct"].get<double>(), 1e-9);
  // SEER: 200 x4, 486, 600 = 6 of 10; ISA: 503, 500, timeout = 3 of 10
  DOUBLES_EQUAL(60.0, w["seer_pct"].get<double>(), 1e-9);
  DOUBLES_EQUAL(30.0, w["isa_pct"].get<double>(), 1e-9);
  DOUBLES_EQUAL(145.0, w["srd_mean_ms"].get<double>(), 1e-9);  // 100..190
  LONGS_EQUAL(190, w["srd_max_ms"].get<int>());
  DOUBLES_EQUAL(215.0, w["pdd_mean_ms"].get<double>(), 1e-9);  // 200..230
  LONGS_EQUAL(230, w["pdd_max_ms"].get<int>());
  LONGS_EQUAL(900, w["window_s"].get<int>());
  LONGS_EQUAL(10, f["since_start"]["attempts"].get<int>());

  // 16 minutes later the window is empty, the totals stay.
  wall += 16 * 60'000;
  Json later = cr->trunk_figures()["carrierA"];
  LONGS_EQUAL(0, later["window"]["attempts"].get<int>());
  CHECK(later["window"]["asr_pct"].is_null());
  LONGS_EQUAL(10, later["since_start"]["attempts"].get<int>());
}

TEST(CallRecords, CongestionHysteresis) {
  CongestionOptions o;  // raise >= 30 % of >= 10, clear < 15 %
  auto figures = [](int settled, int busy) {
    TrunkFigures f;
    f.counters[TrunkCounter::settled] = uint64_t(settled);
    f.counters[TrunkCounter::busy] = uint64_t(busy);
    f.ratios = trunk_ratios(f.counters);
    return f;
  };
  CHECK_FALSE(next_congestion(false, figures(9, 9), o).congested);  // too few calls
  CHECK_TRUE(next_congestion(false, figures(10, 3), o).congested);
  CHECK_FALSE(next_congestion(false, figures(10, 2), o).congested);
  CHECK_TRUE(next_congestion(true, figures(20, 3), o).congested);   // 15 %: stays
  CHECK_FALSE(next_congestion(true, figures(20, 2), o).congested);  // 10 %: clears
  CHECK_FALSE(next_congestion(true, figures(0, 0), o).congested);   // quiet: clears
}

TEST(CallRecords, BusyTrunkRaisesCongestionAlarmOnlyAndClearsIt) {
  std::vector<alarm::AlarmNotification> notes;
  alarm::AlarmManager am([this] { return wall; }, {}, [&](const alarm::AlarmNotification& n) { notes.push_back(n); });
  cr->set_alarms(&am);
  for (int i = 0; i < 6; ++i) feed.cdrs.push_back(cdr(("ok" + std::to_string(i)).c_str(), CallState::ended, 200));
  for (int i = 0; i < 6; ++i) feed.cdrs.push_back(cdr(("busy" + std::to_string(i)).c_str(), CallState::busy, 486));
  cr->tick();
  CHECK_TRUE(cr->congested("carrierA"));
  LONGS_EQUAL(1, notes.size());
  CHECK(notes[0].alarm.type == alarm::AlarmType::trunk_congestion);
  STRCMP_EQUAL("carrierA", notes[0].alarm.object.name.c_str());
  CHECK(notes[0].alarm.text.find("busy 50.0 % of 12 calls") != std::string::npos);
  CHECK(cr->trunk_figures()["carrierA"]["congested"].get<bool>());

  // The window moves past them: cleared once.
  wall += 20 * 60'000;
  cr->tick();
  CHECK_FALSE(cr->congested("carrierA"));
  LONGS_EQUAL(2, notes.size());
  CHECK(notes[1].transition == alarm::Transition::cleared);
  cr->tick();
  LONGS_EQUAL(2, notes.size());
}

TEST(CallRecords, ConfiguredOneMinuteWindowDropsOlderCalls) {
  config::Config c;
  c.trunk_stats.window_min = 1;
  cr->configure(c);
  // wall is kWall0 + 120 s: a busy call ends 2 s after it was dialled.
  feed.cdrs.push_back(cdr("old", CallState::busy, 486, 0));          // ends at +2 s: outside
  feed.cdrs.push_back(cdr("edge-out", CallState::busy, 486, 57'000));  // ends at +59 s: outside
  feed.cdrs.push_back(cdr("edge-in", CallState::busy, 486, 58'000));   // ends at +60 s: inside
  feed.cdrs.push_back(cdr("new", CallState::busy, 486, 100'000));      // ends at +102 s: inside
  cr->tick();
  Json f = cr->trunk_figures()["carrierA"];
  LONGS_EQUAL(2, f["window"]["attempts"].get<int>());
  LONGS_EQUAL(60, f["window"]["window_s"].get<int>());
  LONGS_EQUAL(4, f["since_start"]["attempts"].get<int>());
  wall += 20'000;  // +140 s: only "new" is younger than a minute
  LONGS_EQUAL(1, cr->trunk_figures()["carrierA"]["window"]["attempts"].get<int>());
}

TEST(CallRecords, CongestionRaisesAndClearsAtTheConfiguredLevels) {
  std::vector<alarm::AlarmNotification> notes;
  alarm::AlarmManager am([this] { return wall; }, {}, [&](const alarm::AlarmNotification& n) { notes.push_back(n); });
  cr->set_alarms(&am);
  config::Config c;
  c.trunk_stats.window_min = 1;
  c.trunk_stats.congestion_raise_percent = 50;
  c.trunk_stats.congestion_clear_percent = 25;
  c.trunk_stats.congestion_min_calls = 4;
  cr->configure(c);
  int n = 0;
  auto add = [&](CallState s, uint16_t code, uint64_t at_ms) {
    feed.cdrs.push_back(cdr(("c" + std::to_string(n++)).c_str(), s, code, at_ms));
  };
  // 3 calls, all busy: under congestion_min_calls (the default 10 would
  // not raise at 4 either, and 40 % would with the default 30 %).
  for (int i = 0; i < 3; ++i) add(CallState::busy, 486, 100'000);
  cr->tick();
  CHECK_FALSE(cr->congested("carrierA"));
  // 2 answered + 3 busy (60 %): 5 calls >= 4, >= 50 %: raised.
  add(CallState::rejected, 404, 100'000);
  add(CallState::rejected, 404, 100'000);
  wall += 1000;
  cr->tick();
  CHECK_TRUE(cr->congested("carrierA"));
  LONGS_EQUAL(1, notes.size());
  CHECK(notes[0].alarm.text.find("busy 60.0 % of 5 calls in the last 1 min") != std::string::npos);
  // 3 busy of 10 (30 %): above the clear level, stays.
  for (int i = 0; i < 5; ++i) add(CallState::rejected, 404, 100'000);
  wall += 1000;
  cr->tick();
  CHECK_TRUE(cr->congested("carrierA"));
  // 3 of 13 (23 %): below 25 %, cleared.
  for (int i = 0; i < 3; ++i) add(CallState::rejected, 404, 100'000);
  wall += 1000;
  cr->tick();
  CHECK_FALSE(cr->congested("carrierA"));
  LONGS_EQUAL(2, notes.size());
  CHECK(notes[1].transition == alarm::Transition::cleared);
}

TEST(CallRecords, SighupReloadAppliesNewLevelsAndKeepsTheHistory) {
  std::vector<alarm::AlarmNotification> notes;
  alarm::AlarmManager am([this] { return wall; }, {}, [&](const alarm::AlarmNotification& n) { notes.push_back(n); });
  cr->set_alarms(&am);
  // The daemon's own path: a config file, the controller, SIGHUP.
  const std::string base =
      "[uplink.wan0]\nrole = wan\ndevice = wan0\naddress = 198.51.100.2/28\ngateway = 198.51.100.1\n"
      "probe_targets = 203.0.113.10\npriority = 1\n[trunk.carrierA]\nsbc_address = 203.0.113.10\n";
  std::string why;
  CHECK_TRUE_TEXT(config::write_file_atomically(dir.path + "/c.conf", base, why), why.c_str());
  config::ConfigStore cs;
  auto opened = cs.open({dir.path + "/c.conf", dir.path + "/history", {}});
  CHECK_TRUE_TEXT(opened.ok(), opened.error_text().c_str());
  FakeFastPath fp;
  Clock clock{[this] { return mono; }, [this] { return wall; }, [](int) {}};
  Controller ctl(cs, fp, clock, [](int, const std::string&) {});
  cr->install(ctl);
  cr->configure(cs.running());  // as main() does; defaults: 15 min, raise 30 % of >= 10
  // 8 calls, 2 busy (25 %): no congestion by the defaults.
  for (int i = 0; i < 6; ++i) feed.cdrs.push_back(cdr(("ok" + std::to_string(i)).c_str(), CallState::ended, 200, 0));
  for (int i = 0; i < 2; ++i) feed.cdrs.push_back(cdr(("b" + std::to_string(i)).c_str(), CallState::busy, 486, 5000));
  cr->tick();
  CHECK_FALSE(cr->congested("carrierA"));

  // Raise at 20 % of >= 5: judged at the very next tick, with the calls
  // already counted.
  auto reload = [&](const std::string& section) {
    CHECK_TRUE_TEXT(config::write_file_atomically(dir.path + "/c.conf", base + section, why), why.c_str());
    ctl.reload();
    cr->tick();
  };
  reload("[trunk_stats]\ncongestion_raise_percent = 20\ncongestion_clear_percent = 10\ncongestion_min_calls = 5\n");
  CHECK_TRUE(cr->congested("carrierA"));
  LONGS_EQUAL(1, notes.size());
  Json f = cr->trunk_figures()["carrierA"];
  LONGS_EQUAL(8, f["window"]["attempts"].get<int>());
  LONGS_EQUAL(8, f["since_start"]["attempts"].get<int>());

  // A bad file changes nothing.
  reload("[trunk_stats]\nwindow_min = 0\n");
  LONGS_EQUAL(900, cr->trunk_figures()["carrierA"]["window"]["window_s"].get<int>());
  CHECK_TRUE(cr->congested("carrierA"));

  // A 1 min window (the answered calls ended at +61 s, the busy ones at
  // +7 s, now is +120 s): the window keeps only the answered calls; the
  // totals and the stored rows stay; 0 % busy of 6: cleared.
  reload("[trunk_stats]\nwindow_min = 1\ncongestion_raise_percent = 20\ncongestion_clear_percent = 10\n"
         "congestion_min_calls = 5\n");
  f = cr->trunk_figures()["carrierA"];
  LONGS_EQUAL(60, f["window"]["window_s"].get<int>());
  LONGS_EQUAL(6, f["window"]["attempts"].get<int>());
  LONGS_EQUAL(8, f["since_start"]["attempts"].get<int>());
  LONGS_EQUAL(8, st.calls().size());
  CHECK_FALSE(cr->congested("carrierA"));
  LONGS_EQUAL(2, notes.size());

  // Back to a long window: new calls add to what is kept, the totals go on.
  reload("[trunk_stats]\nwindow_min = 60\n");
  feed.cdrs.push_back(cdr("late", CallState::ended, 200, 100'000));
  cr->tick();
  f = cr->trunk_figures()["carrierA"];
  LONGS_EQUAL(3600, f["window"]["window_s"].get<int>());
  LONGS_EQUAL(7, f["window"]["attempts"].get<int>());
  LONGS_EQUAL(9, f["since_start"]["attempts"].get<int>());
}

TEST(CallRecords, ExportCsvJsonSinceAndUnexported) {
  feed.cdrs.push_back(cdr("early@pbx", CallState::ended, 200));
  feed.cdrs.push_back(cdr("late@pbx", CallState::busy, 486, 100'000));
  cr->tick();
  Json all = run(&CallRecords::export_calls, {{"format", "csv"}});
  LONGS_EQUAL(2, all["rows"].get<int>());
  std::string csv = all["data"];
  CHECK(csv.rfind("id,call_id,from,to,trunk,uplink,direction,", 0) == 0);
  CHECK(csv.find(",early@pbx,+4930123456,+4940999888,carrierA,wan0,outbound,2026-11-23T10:12:34.000Z,") !=
        std::string::npos);
  CHECK(csv.find(",busy,") != std::string::npos);

  // since 1m (ago) = after kWall0 + 60 s: only the later call
  Json recent = run(&CallRecords::export_calls, {{"format", "json"}, {"since", "1m"}});
  LONGS_EQUAL(1, recent["rows"].get<int>());
  Json rows = Json::parse(recent["data"].get<std::string>());
  STRCMP_EQUAL("late@pbx", rows[0]["call_id"].get<std::string>().c_str());
  STRCMP_EQUAL("busy", rows[0]["verdict"].get<std::string>().c_str());
  Json iso = run(&CallRecords::export_calls, {{"since", "2026-11-23T10:13:00Z"}});
  LONGS_EQUAL(1, iso["rows"].get<int>());

  // Export-and-mark: what was written while the NOC could not fetch goes out once.
  LONGS_EQUAL(2, run(&CallRecords::export_calls, {{"unexported", true}, {"mark", true}})["rows"].get<int>());
  LONGS_EQUAL(0, run(&CallRecords::export_calls, {{"unexported", true}, {"mark", true}})["rows"].get<int>());

  Json limited = run(&CallRecords::export_calls, {{"limit", 1}});
  CHECK(limited["more"].get<bool>());
  STRCMP_EQUAL("bad_argument", run(&CallRecords::export_calls, {{"format", "xml"}}, false)["code"].get<std::string>().c_str());
  STRCMP_EQUAL("bad_argument", run(&CallRecords::export_calls, {{"since", "yesterday"}}, false)["code"].get<std::string>().c_str());
  STRCMP_EQUAL("bad_argument", run(&CallRecords::export_calls, {{"bogus", 1}}, false)["code"].get<std::string>().c_str());
}

TEST(CallRecords, WithoutStoreDiagnoseStillWorksAndExportSaysWhy) {
  cr->set_store(nullptr, "event store /nonexistent/store.db: unable to open");
  feed.cdrs.push_back(cdr("x@pbx", CallState::failed, 503));
  cr->tick();
  STRCMP_EQUAL("carrier_failure", run(&CallRecords::diagnose_call, {{"call_id", "x@pbx"}})["verdict"].get<std::string>().c_str());
  Json e = run(&CallRecords::export_calls, Json::object(), false);
  STRCMP_EQUAL("not_available", e["code"].get<std::string>().c_str());
  CHECK(e["error"].get<std::string>().find("unable to open") != std::string::npos);
}

TEST(CallRecords, UnknownVersionIsCountedAndSkipped) {
  api::CallRecordWire r = cdr("v@pbx", CallState::ended, 200);
  r.version = 42;
  feed.cdrs.push_back(r);
  cr->tick();
  LONGS_EQUAL(1, cr->counter(CallRecordCounter::cdrs_bad_version));
  LONGS_EQUAL(0, st.calls().size());
}
