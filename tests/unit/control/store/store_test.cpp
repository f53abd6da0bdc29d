#include "control/store/store.hpp"

#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include <CppUTest/TestHarness.h>  // last: its new/delete macros break std headers

using namespace tg::store;
namespace al = tg::alarm;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/tg-store-test-XXXXXX";
    path = mkdtemp(t);
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
  std::string file(const char* n) const { return path + "/" + n; }
};

constexpr WallMs T0 = 1795428754000;  // 2026-11-23T10:12:34Z

const al::ManagedObject kWan0{al::ObjectKind::uplink, "wan0", "Carrier A"};

CallRecord call(const std::string& id, WallMs start, WallMs answer, WallMs end, int code) {
  CallRecord c;
  c.call_id = id;
  c.from = "sip:+4930123@pbx.example.net";
  c.to = "sip:+4940999@carrier-a.example.net";
  c.trunk = "carrierA";
  c.uplink = "wan0";
  c.start_ms = start;
  c.answer_ms = answer;
  c.end_ms = end;
  c.final_code = code;
  c.end_reason = answer ? "caller BYE" : "";
  c.pdd_ms = 850;
  return c;
}

}  // namespace

TEST_GROUP(Store) {
  TempDir dir;
  Store st;
  WallMs now = T0;
  std::vector<std::optional<FaultReport>> reports;
  std::unique_ptr<al::AlarmManager> am;

  void setup() override {
    std::string err;
    CHECK_TRUE_TEXT(st.open({dir.file("store.db")}, err), err.c_str());
    am = std::make_unique<al::AlarmManager>(
        [this] { return now; }, al::ManagerOptions{},
        [this](const al::AlarmNotification& n) { reports.push_back(st.record_alarm(n)); });
  }
  void teardown() override { am.reset(); }
};

TEST(Store, FailoverEventKeepsMeasuredTimes) {
  FailoverRecord f;
  f.time_ms = T0;
  f.from_uplink = "wan0";
  f.from_label = "Carrier A";
  f.to_uplink = "wan1";
  f.to_label = "Carrier B";
  f.reason = "blackhole";
  f.detect_ms = 180;
  f.switch_ms = 32.4;
  f.total_ms = 212.4;
  f.calls_affected = 12;
  CHECK_TRUE(st.record_failover(f));
  auto ev = st.events();
  LONGS_EQUAL(1, ev.size());
  STRCMP_EQUAL("failover", ev[0].kind.c_str());
  STRCMP_EQUAL("wan0", ev[0].object.c_str());
  DOUBLES_EQUAL(180, ev[0].detect_ms, 1e-9);
  DOUBLES_EQUAL(32.4, ev[0].switch_ms, 1e-9);
  DOUBLES_EQUAL(212.4, ev[0].total_ms, 1e-9);
  STRCMP_EQUAL(
      "traffic switched from wan0 (Carrier A) to wan1 (Carrier B) in 212 ms (blackhole; detection 180 ms, "
      "switch 32 ms); 12 calls affected",
      ev[0].text.c_str());

  std::ostringstream csv;
  LONGS_EQUAL(1, st.export_events(csv, Format::csv));
  STRCMP_EQUAL(
      "id,time,kind,object,text,from_uplink,to_uplink,reason,detect_ms,switch_ms,total_ms,calls_affected\r\n"
      "1,2026-11-23T10:12:34.000Z,failover,wan0,\"traffic switched from wan0 (Carrier A) to wan1 (Carrier B) in "
      "212 ms (blackhole; detection 180 ms, switch 32 ms); 12 calls affected\",wan0,wan1,blackhole,180,32.4,212.4,12\r\n",
      csv.str().c_str());
}

TEST(Store, CallRecordsExportCsvAndJson) {
  CallRecord c = call("a84b4c76e66710@pbx", T0, T0 + 2000, T0 + 62000, 200);
  c.from = "\"Front Desk\" <sip:100@pbx.example.net>";  // a comma-free quote: CSV must quote it
  c.outbound = {4.21, 0.5, 3.2, 3000};
  c.inbound = {3.87, 1.25, 12.5, 2990};
  c.direction = "outbound";
  c.state = "ended";
  c.hangup = "caller";
  c.srd_ms = 790;
  c.transfer_kind = "refer";
  c.transfer_result = "failed";
  c.transfer_code = 486;
  c.transfer_target = "sip:+4940111@carrier-a.example.net";
  c.verdict = "transfer_failed";
  c.diagnosis = "transfer (REFER) failed, 486";
  c.uplinks = "wan0@" + std::to_string(T0) + " wan1@" + std::to_string(T0 + 30000);
  c.uplink_switches = 1;
  c.bye_code = 404;
  c.ok_retransmissions = 3;
  c.outbound.rtp_packets = 3018;
  c.outbound.dtmf_packets = 18;
  c.outbound.dtmf_events = 2;
  c.inbound.rtp_packets = 2990;
  CHECK_TRUE(st.record_call(c));
  std::ostringstream csv;
  LONGS_EQUAL(1, st.export_calls(csv, Format::csv));
  STRCMP_EQUAL(
      "id,call_id,from,to,trunk,uplink,direction,start,answer,end,duration_s,final_code,state,end_reason,"
      "hangup,pdd_ms,srd_ms,out_mos,out_loss_pct,out_jitter_ms,out_packets,in_mos,in_loss_pct,in_jitter_ms,"
      "in_packets,transfer_kind,transfer_result,transfer_code,transfer_target,verdict,diagnosis,uplinks,uplink_switches,bye_code,ack,ok_retransmissions,out_rtp_packets,out_dtmf_packets,out_dtmf_events,in_rtp_packets,in_dtmf_packets,in_dtmf_events\r\n"
      "1,a84b4c76e66710@pbx,\"\"\"Front Desk\"\" <sip:100@pbx.example.net>\",sip:+4940999@carrier-a.example.net,"
      "carrierA,wan0,outbound,2026-11-23T10:12:34.000Z,2026-11-23T10:12:36.000Z,2026-11-23T10:13:36.000Z,60,200,"
      "ended,caller BYE,caller,850,790,4.21,0.5,3.2,3000,3.87,1.25,12.5,2990,refer,failed,486,"
      "sip:+4940111@carrier-a.example.net,transfer_failed,\"transfer (REFER) failed, 486\","
      "wan0@1795428754000 wan1@1795428784000,1,404,,3,3018,18,2,2990,0,0\r\n",
      csv.str().c_str());
  std::ostringstream js;
  LONGS_EQUAL(1, st.export_calls(js, Format::json));
  CHECK(js.str().find("\"from\":\"\\\"Front Desk\\\" <sip:100@pbx.example.net>\"") != std::string::npos);
  CHECK(js.str().find("\"inbound\":{\"mos\":3.87,\"loss_pct\":1.25,\"jitter_ms\":12.5,\"packets\":2990,"
                      "\"rtp_packets\":2990,\"dtmf_packets\":0,\"dtmf_events\":0}") != std::string::npos);
  CHECK(js.str().find("\"outbound\":{\"mos\":4.21,\"loss_pct\":0.5,\"jitter_ms\":3.2,\"packets\":3000,"
                      "\"rtp_packets\":3018,\"dtmf_packets\":18,\"dtmf_events\":2}") != std::string::npos);
  CHECK(js.str().find("\"uplinks\":[{\"uplink\":\"wan0\",\"since\":\"2026-11-23T10:12:34.000Z\",\"since_ms\":1795428754000},"
                      "{\"uplink\":\"wan1\",\"since\":\"2026-11-23T10:13:04.000Z\",\"since_ms\":1795428784000}],"
                      "\"uplink_switches\":1,\"bye_code\":404,\"ack\":\"\",\"ok_retransmissions\":3") != std::string::npos);
  CHECK(js.str().rfind("[\n{\"id\":1,", 0) == 0);
  CHECK(js.str().find("\"transfer\":{\"kind\":\"refer\",\"result\":\"failed\",\"code\":486,") != std::string::npos);
  CHECK(js.str().find("\"verdict\":\"transfer_failed\"") != std::string::npos);
  DOUBLES_EQUAL(3.87, c.worst_mos(), 1e-9);
}

TEST(Store, UnexportedRecordsGoOutOnce) {
  // records made while the uplinks were down wait for the next export
  st.record_call(call("c1", T0, T0 + 1000, T0 + 5000, 200));
  st.record_call(call("c2", T0 + 10, 0, T0 + 900, 503));
  std::ostringstream first, second, third;
  ExportQuery q;
  q.only_unexported = true;
  q.mark_exported = true;
  LONGS_EQUAL(2, st.export_calls(first, Format::json, q));
  LONGS_EQUAL(0, st.export_calls(second, Format::json, q));
  STRCMP_EQUAL("[]\n", second.str().c_str());
  st.record_call(call("c3", T0 + 20, 0, T0 + 800, 408));
  LONGS_EQUAL(1, st.export_calls(third, Format::csv, q));
  CHECK(third.str().find(",c3,") != std::string::npos);
  LONGS_EQUAL(3, st.calls().size());  // still stored after export
}

TEST(Store, CallRecordRoundTripAndLookupByCallId) {
  CallRecord a = call("dup@pbx", T0, 0, T0 + 900, 404);
  a.state = "rejected";
  a.verdict = "number_format";
  a.raw = "0100abcdef";
  a.reason_cause = 1;
  CHECK_TRUE(st.record_call(a));
  CHECK_TRUE(st.record_call(call("other@pbx", T0 + 5, T0 + 100, T0 + 900, 200)));
  CallRecord b = call("dup@pbx", T0 + 10, T0 + 20, T0 + 30, 200);
  CHECK_TRUE(st.record_call(b));
  auto v = st.calls_by_id("dup@pbx");
  LONGS_EQUAL(2, v.size());
  STRCMP_EQUAL("rejected", v[0].state.c_str());
  STRCMP_EQUAL("number_format", v[0].verdict.c_str());
  STRCMP_EQUAL("0100abcdef", v[0].raw.c_str());
  LONGS_EQUAL(1, v[0].reason_cause);
  LONGS_EQUAL(200, v[1].final_code);
  LONGS_EQUAL(0, st.calls_by_id("nope").size());
}

TEST(Store, OldStoreGetsTheNewCallColumns) {
  // A store written before the per-call record columns existed.
  st.close();
  std::string path = dir.file("old.db");
  {
    tg::sql::Db db;
    std::string err;
    CHECK_TRUE(db.open(path, err));
    CHECK_TRUE_TEXT(db.exec("CREATE TABLE calls (id INTEGER PRIMARY KEY AUTOINCREMENT, call_id TEXT NOT NULL, "
                            "from_uri TEXT NOT NULL, to_uri TEXT NOT NULL, trunk TEXT NOT NULL, uplink TEXT NOT NULL, "
                            "start_ms INTEGER NOT NULL, answer_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL, "
                            "final_code INTEGER NOT NULL, end_reason TEXT NOT NULL, pdd_ms REAL NOT NULL, "
                            "out_mos REAL NOT NULL, out_loss_pct REAL NOT NULL, out_jitter_ms REAL NOT NULL, "
                            "out_packets INTEGER NOT NULL, in_mos REAL NOT NULL, in_loss_pct REAL NOT NULL, "
                            "in_jitter_ms REAL NOT NULL, in_packets INTEGER NOT NULL, exported INTEGER NOT NULL "
                            "DEFAULT 0);"
                            "INSERT INTO calls VALUES (NULL,'old@pbx','a','b','t','wan0',1,2,3,200,'',-1,0,0,0,0,0,0,0,0,0);",
                            err),
                    err.c_str());
  }
  Store old;
  std::string err;
  CHECK_TRUE_TEXT(old.open({path}, err), err.c_str());
  auto v = old.calls();
  LONGS_EQUAL(1, v.size());
  STRCMP_EQUAL("old@pbx", v[0].call_id.c_str());
  DOUBLES_EQUAL(-1, v[0].srd_ms, 0);
  LONGS_EQUAL(-1, v[0].reason_cause);
  CallRecord n = call("new@pbx", T0, T0 + 1, T0 + 2, 200);
  n.verdict = "ok";
  CHECK_TRUE(old.record_call(n));
  STRCMP_EQUAL("ok", old.calls_by_id("new@pbx").at(0).verdict.c_str());
}

TEST(Store, StoreOfRecordVersion1GetsTheVersion2Columns) {
  // A store written by the previous release: all columns but the uplink
  // list, the dialog's end and the all-RTP/DTMF counts.
  std::string path = dir.file("v1.db");
  {
    Store v1;
    std::string err;
    CHECK_TRUE_TEXT(v1.open({path}, err), err.c_str());
    CHECK_TRUE(v1.record_call(call("v1@pbx", T0, T0 + 1000, T0 + 9000, 200)));
  }
  {
    tg::sql::Db db;
    std::string err;
    CHECK_TRUE(db.open(path, err));
    for (const char* col : {"uplinks", "uplink_switches", "bye_code", "ack_ms", "ok_retransmissions", "out_rtp_packets",
                            "out_dtmf_packets", "out_dtmf_events", "in_rtp_packets", "in_dtmf_packets", "in_dtmf_events"})
      CHECK_TRUE_TEXT(db.exec(std::string("ALTER TABLE calls DROP COLUMN ") + col + ";", err), err.c_str());
  }
  Store st2;
  std::string err;
  CHECK_TRUE_TEXT(st2.open({path}, err), err.c_str());
  auto v = st2.calls_by_id("v1@pbx");
  LONGS_EQUAL(1, v.size());
  STRCMP_EQUAL("", v[0].uplinks.c_str());
  LONGS_EQUAL(0, v[0].bye_code);
  CallRecord n = call("v2@pbx", T0, T0 + 1000, T0 + 9000, 200);
  n.uplinks = "wan0@1 lte@2";
  n.bye_code = 404;
  n.ack_ms = T0 + 1010;
  n.inbound.dtmf_events = 3;
  CHECK_TRUE(st2.record_call(n));
  CallRecord back = st2.calls_by_id("v2@pbx").at(0);
  STRCMP_EQUAL("wan0@1 lte@2", back.uplinks.c_str());
  LONGS_EQUAL(404, back.bye_code);
  CHECK_EQUAL(T0 + 1010, back.ack_ms);
  LONGS_EQUAL(3, back.inbound.dtmf_events);
}

TEST(Store, CallFailureClassification) {
  CHECK_FALSE(call("x", 0, 1, 2, 200).failed());
  CHECK_TRUE(call("x", 0, 0, 2, 503).failed());
  CHECK_TRUE(call("x", 0, 0, 2, 408).failed());
  CHECK_FALSE(call("x", 0, 0, 2, 486).failed());  // busy is not a failure of the network
  CHECK_FALSE(call("x", 0, 0, 2, 487).failed());
  CallRecord congested = call("x", 0, 0, 2, 503);
  congested.state = "busy";  // 503 with Retry-After
  CHECK_FALSE(congested.failed());
  CallRecord dropped = call("x", 0, 1, 2, 200);
  dropped.end_reason = "fault";
  CHECK_TRUE(dropped.failed());
}

TEST(Store, FaultReportAfterRecovery) {
  // calls: one up through the fault, one failing during it, one busy, one long before
  CallRecord up = call("up@pbx", T0 - 30'000, T0 - 28'000, T0 + 90'000, 200);
  up.outbound.mos = 4.3;
  up.inbound.mos = 2.61;
  st.record_call(up);
  st.record_call(call("before@pbx", T0 - 900'000, T0 - 899'000, T0 - 800'000, 200));

  al::RaiseRequest r;
  r.type = al::AlarmType::uplink_blackhole;
  r.object = kWan0;
  r.detail = "no RTP on 12 calls for 180 ms";
  r.action = al::text::switched_to("wan1", "Carrier B", 212);
  r.calls_affected = 12;
  am->raise(r);
  CHECK_TRUE(st.open_fault_since().has_value());
  LONGS_EQUAL(T0, *st.open_fault_since());

  now += 212;
  FailoverRecord f;
  f.time_ms = now;
  f.from_uplink = "wan0";
  f.to_uplink = "wan1";
  f.reason = "blackhole";
  f.detect_ms = 180;
  f.switch_ms = 32;
  f.total_ms = 212;
  f.calls_affected = 12;
  st.record_failover(f);
  st.record_call(call("failed@pbx", T0 + 1000, 0, T0 + 33'000, 503));
  st.record_call(call("busy@pbx", T0 + 2000, 0, T0 + 3'000, 486));

  // a minor alarm during the fault does not keep it open
  al::RaiseRequest j;
  j.type = al::AlarmType::uplink_jitter;
  j.object = {al::ObjectKind::uplink, "wan1", "Carrier B"};
  am->raise(j);

  now = T0 + 125'000;
  am->clear(al::AlarmType::uplink_blackhole, kWan0, "RTP flowing again");
  LONGS_EQUAL(3, reports.size());
  CHECK_FALSE(reports[0].has_value());
  CHECK_FALSE(reports[1].has_value());
  CHECK_TRUE(reports[2].has_value());
  const FaultReport& rep = *reports[2];
  LONGS_EQUAL(T0, rep.start_ms);
  LONGS_EQUAL(T0 + 125'000, rep.end_ms);
  LONGS_EQUAL(125'000, rep.duration_ms());
  LONGS_EQUAL(1, rep.uplinks.size());
  STRCMP_EQUAL("wan0", rep.uplinks[0].c_str());
  LONGS_EQUAL(12, rep.calls_affected);  // failover count beats the 1 CDR that overlapped
  LONGS_EQUAL(1, rep.calls_failed);
  DOUBLES_EQUAL(2.61, rep.worst_mos, 1e-9);
  STRCMP_EQUAL("up@pbx", rep.worst_mos_call.c_str());
  LONGS_EQUAL(1, rep.actions.size());
  STRCMP_EQUAL("traffic switched from wan0 to wan1 in 212 ms (blackhole; detection 180 ms, switch 32 ms); "
               "12 calls affected",
               rep.actions[0].c_str());
  LONGS_EQUAL(2, rep.alarms.size());
  CHECK_FALSE(st.open_fault_since().has_value());

  std::string text = to_text(rep);
  CHECK(text.find("  to        2026-11-23T10:14:39.000Z (2 min 5 s)\n") != std::string::npos);
  CHECK(text.find("  calls     12 affected, 1 failed\n") != std::string::npos);
  CHECK(text.find("  worst MOS 2.61 (call up@pbx)\n") != std::string::npos);
  std::string json = to_json(rep);
  CHECK(json.find("\"duration_ms\":125000,\"uplinks\":[\"wan0\"],\"trunks\":[],\"calls_affected\":12,"
                  "\"calls_failed\":1,\"worst_mos\":2.61,") != std::string::npos);
  CHECK(json.find("\"failovers\":[{\"time\":\"2026-11-23T10:12:34.212Z\",\"from\":\"wan0\",\"to\":\"wan1\","
                  "\"reason\":\"blackhole\",\"detect_ms\":180,\"switch_ms\":32,\"total_ms\":212,"
                  "\"calls_affected\":12}]}") != std::string::npos);

  // stored, and the closing happens once
  auto all = st.fault_reports();
  LONGS_EQUAL(1, all.size());
  LONGS_EQUAL(125'000, all[0].duration_ms());
  am->clear(al::AlarmType::uplink_jitter, j.object);
  CHECK_FALSE(reports.back().has_value());
}

TEST(Store, MinorAlarmsAloneAreNoFault) {
  al::RaiseRequest j;
  j.type = al::AlarmType::uplink_jitter;
  j.object = kWan0;
  am->raise(j);
  al::RaiseRequest c;
  c.type = al::AlarmType::trunk_congestion;
  c.object = {al::ObjectKind::trunk, "carrierA", ""};
  am->raise(c);
  CHECK_FALSE(st.open_fault_since().has_value());
}

TEST(Store, FaultAndActiveAlarmsSurviveRestart) {
  al::RaiseRequest r;
  r.type = al::AlarmType::trunk_down;
  r.object = {al::ObjectKind::trunk, "carrierA", "Carrier A SBC"};
  r.detail = "3 OPTIONS unanswered";
  uint64_t id = am->raise(r);
  am.reset();
  st.close();
  std::string err;
  CHECK_TRUE(st.open({dir.file("store.db")}, err));
  auto active = st.active_alarms();
  LONGS_EQUAL(1, active.size());
  LONGS_EQUAL(id, active[0].id);
  CHECK_TRUE(active[0].type == al::AlarmType::trunk_down);
  STRCMP_EQUAL("Carrier A SBC", active[0].object.label.c_str());
  CHECK_TRUE(active[0].severity == al::Severity::critical);
  LONGS_EQUAL(id + 1, st.next_alarm_id());
  CHECK_TRUE(st.open_fault_since().has_value());

  // the restarted daemon restores the list and clears it later: the fault closes
  al::ManagerOptions o;
  o.first_id = st.next_alarm_id();
  am = std::make_unique<al::AlarmManager>(
      [this] { return now; }, o, [this](const al::AlarmNotification& n) { reports.push_back(st.record_alarm(n)); });
  am->restore_active(active);
  now += 60'000;
  CHECK_TRUE(am->clear(al::AlarmType::trunk_down, r.object, "OPTIONS answered"));
  CHECK_TRUE(reports.back().has_value());
  LONGS_EQUAL(60'000, reports.back()->duration_ms());
  LONGS_EQUAL(1, reports.back()->trunks.size());
  CHECK_TRUE(st.active_alarms().empty());
}

TEST(Store, RowBoundDropsOldestFirst) {
  Store small;
  std::string err;
  StoreOptions o;
  o.path = dir.file("small.db");
  o.max_rows = 100;
  o.trim_every = 1;
  CHECK_TRUE(small.open(o, err));
  for (int i = 0; i < 130; ++i) {
    Event e;
    e.time_ms = T0 + i;
    e.kind = "daemon";
    e.object = "box";
    e.text = "event " + std::to_string(i);
    small.record_event(e);
    small.record_call(call("call" + std::to_string(i), T0 + i, 0, T0 + i, 503));
  }
  auto ev = small.events(0, INT64_MAX, 1000);
  LONGS_EQUAL(100, ev.size());
  STRCMP_EQUAL("event 30", ev.front().text.c_str());
  STRCMP_EQUAL("event 129", ev.back().text.c_str());
  LONGS_EQUAL(100, small.calls(0, INT64_MAX, 1000).size());
  LONGS_EQUAL(60, small.counters().trimmed_rows);
  LONGS_EQUAL(30, small.counters().trimmed_unexported);  // said, not hidden
}

TEST(Store, SizeBoundKeepsFileSmall) {
  Store small;
  std::string err;
  StoreOptions o;
  o.path = dir.file("size.db");
  o.max_size_mb = 1;
  o.trim_every = 50;
  CHECK_TRUE(small.open(o, err));
  std::string big(2000, 'x');
  for (int i = 0; i < 2000; ++i) {  // ~4 MB of events
    Event e;
    e.time_ms = T0 + i;
    e.kind = "daemon";
    e.object = "box";
    e.text = std::to_string(i) + big;
    small.record_event(e);
  }
  small.enforce_bounds();
  CHECK(small.size_bytes() <= 1024 * 1024);
  auto ev = small.events(0, INT64_MAX, 5000);
  CHECK(ev.size() > 100);  // the newest are kept
  CHECK(ev.back().text.rfind("1999", 0) == 0);
  CHECK(small.counters().trimmed_rows > 0);
}
