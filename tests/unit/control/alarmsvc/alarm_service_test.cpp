#include "control/alarmsvc/alarm_service.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "dataplane/api/uplink.hpp"

#include <CppUTest/TestHarness.h>  // last: its new/delete macros break std headers

using namespace tg;
namespace al = tg::alarm;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/tg-alarmsvc-test-XXXXXX";
    path = mkdtemp(t);
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
};

config::Config lab_config(const std::string& dir) {
  config::Config c;
  c.box.name = "gw-lab";
  c.store.path = dir + "/store.db";
  config::UplinkConfig a, b;
  a.name = "wan0";
  a.carrier = "Carrier A";
  b.name = "wan1";
  b.carrier = "Carrier B";
  c.uplinks = {a, b};
  c.syslog.enabled = true;
  c.syslog.remote = "udp://127.0.0.1:9";  // discard port: only the queue matters here
  c.email.enabled = true;
  c.email.smtp_url = "smtp://127.0.0.1:1";
  c.email.starttls = "none";
  c.email.from = "gw@example.net";
  c.email.recipients = {"noc@example.net"};
  return c;
}

store::FailoverRecord blackout() {
  store::FailoverRecord r;
  r.time_ms = 1795428754000;
  r.from_uplink = "wan0";
  r.to_uplink = "wan1";
  r.reason = "media_blackout";
  r.detect_ms = 180.2;
  r.switch_ms = 31.6;
  r.total_ms = 211.8;
  r.calls_affected = 12;
  return r;
}

}  // namespace

TEST_GROUP(AlarmService) {
  TempDir dir;
  al::WallMs now = 1795428754000;
  std::vector<std::string> logs;
  std::unique_ptr<alarmsvc::AlarmService> svc;
  void setup() override {
    svc = std::make_unique<alarmsvc::AlarmService>([this] { return now; },
                                                   [this](int, const std::string& m) { logs.push_back(m); });
    alarmsvc::ServiceOptions o = alarmsvc::options_from(lab_config(dir.path));
    o.deliver = false;  // queue only: receivers are not part of this test
    std::string err;
    CHECK_TRUE_TEXT(svc->start(o, err), err.c_str());
  }
  void teardown() override { svc.reset(); }
};

TEST(AlarmService, OptionsFromConfig) {
  auto o = alarmsvc::options_from(lab_config(dir.path));
  STRCMP_EQUAL((dir.path + "/notify.db").c_str(), o.queue_path.c_str());
  STRCMP_EQUAL("Carrier A", o.uplink_labels["wan0"].c_str());
  LONGS_EQUAL(2, o.uplinks.size());
  CHECK_TRUE(o.notify.email.has_value());
  CHECK_TRUE(o.notify.syslog.has_value());
  LONGS_EQUAL(0, o.notify.snmp.size());
}

TEST(AlarmService, BlackoutFailoverRaisesClearsAndReports) {
  svc->on_uplink_state("wan0", "up", "down");
  svc->on_switch(blackout());
  auto active = svc->show_alarms();
  LONGS_EQUAL(2, active.size());
  // no_redundancy came first (state event), then the cause
  STRCMP_EQUAL("no_redundancy", active[0]["type"].get<std::string>().c_str());
  STRCMP_EQUAL("uplink_blackhole", active[1]["type"].get<std::string>().c_str());
  STRCMP_EQUAL(
      "wan0 (Carrier A) silent blackhole: inbound RTP stopped on its calls, detected in 180 ms; traffic switched "
      "to wan1 (Carrier B) in 212 ms; 12 calls affected",
      active[1]["text"].get<std::string>().c_str());
  STRCMP_EQUAL("critical", active[1]["severity"].get<std::string>().c_str());
  // on disk for both channels before anything is sent
  LONGS_EQUAL(4, svc->queue().pending());
  auto ev = svc->event_store().events();
  LONGS_EQUAL(1, ev.size());
  DOUBLES_EQUAL(211.8, ev[0].total_ms, 1e-9);

  now += 95'000;
  svc->on_uplink_state("wan0", "down", "recovering");
  CHECK_TRUE(svc->show_alarms().empty());
  auto reports = svc->take_new_fault_reports();
  LONGS_EQUAL(1, reports.size());
  LONGS_EQUAL(95'000, reports[0].duration_ms());
  LONGS_EQUAL(12, reports[0].calls_affected);
  STRCMP_EQUAL("wan0", reports[0].uplinks.at(0).c_str());
  auto json = svc->fault_reports(5);
  LONGS_EQUAL(1, json.size());
  LONGS_EQUAL(95000, json[0]["duration_ms"].get<int>());
  CHECK(json[0]["text"].get<std::string>().find("Fault report #") == 0);
  auto hist = svc->show_alarm_history();
  LONGS_EQUAL(4, hist.size());
  STRCMP_EQUAL("cleared", hist[3]["transition"].get<std::string>().c_str());
  LONGS_EQUAL(8, svc->queue().pending());
}

TEST(AlarmService, AllUplinksDownAndBack) {
  svc->on_uplink_state("wan0", "up", "down");
  svc->on_uplink_state("wan1", "up", "down");
  auto active = svc->show_alarms();
  bool all_down = false;
  for (auto& a : active) all_down = all_down || a["type"] == "all_uplinks_down";
  CHECK_TRUE(all_down);
  svc->on_uplink_state("wan1", "down", "up");
  active = svc->show_alarms();
  LONGS_EQUAL(1, active.size());
  STRCMP_EQUAL("no_redundancy", active[0]["type"].get<std::string>().c_str());
  svc->on_uplink_state("wan0", "down", "up");
  CHECK_TRUE(svc->show_alarms().empty());
}

TEST(AlarmService, ActiveAlarmsSurviveRestartAndIdsDoNotRepeat) {
  svc->on_switch(blackout());
  uint64_t id = svc->show_alarms()[0]["id"].get<uint64_t>();
  svc.reset();
  svc = std::make_unique<alarmsvc::AlarmService>([this] { return now; }, [](int, const std::string&) {});
  alarmsvc::ServiceOptions o = alarmsvc::options_from(lab_config(dir.path));
  o.deliver = false;
  std::string err;
  CHECK_TRUE(svc->start(o, err));
  auto active = svc->show_alarms();
  LONGS_EQUAL(1, active.size());
  LONGS_EQUAL(id, active[0]["id"].get<uint64_t>());
  size_t pending = svc->queue().pending();
  svc->on_switch(blackout());  // same fault reported again: deduplicated, nothing new queued
  LONGS_EQUAL(pending, svc->queue().pending());
  now += 1000;
  svc->on_uplink_state("wan0", "down", "up");
  LONGS_EQUAL(pending + 2, svc->queue().pending());  // the clear, for both channels
  al::RaiseRequest rq;
  rq.type = al::AlarmType::trunk_down;
  rq.object = {al::ObjectKind::trunk, "carrierA", ""};
  svc->alarms().raise(rq);
  CHECK(svc->show_alarms()[0]["id"].get<uint64_t>() > id);
}

TEST(AlarmService, BacklogAlarmWhenReceiversStayAway) {
  svc->on_switch(blackout());
  svc->tick();
  CHECK_TRUE(svc->alarms().find_active(al::AlarmType::notify_backlog, "box") == nullptr);
  now += 6 * 60 * 1000;
  svc->tick();
  const al::Alarm* b = svc->alarms().find_active(al::AlarmType::notify_backlog, "box");
  CHECK(b != nullptr);
  CHECK(b->text.find("notifications waiting, oldest 6 min") != std::string::npos);
}

TEST(AlarmService, RemovedReceiverBacklogIsDroppedAndTheAlarmClears) {
  svc->on_switch(blackout());
  now += 6 * 60 * 1000;
  svc->tick();
  CHECK(svc->alarms().find_active(al::AlarmType::notify_backlog, "box") != nullptr);
  size_t mail_waiting = svc->queue().pending("email");
  CHECK(mail_waiting > 0);
  config::Config c = lab_config(dir.path);
  c.email.enabled = false;  // the mail relay leaves the configuration
  svc->reconfigure(alarmsvc::options_from(c));
  LONGS_EQUAL(0, svc->queue().pending("email"));
  LONGS_EQUAL(mail_waiting, svc->counter(alarmsvc::AlarmService::Counter::removed_receiver_dropped));
  svc->tick();
  const al::Alarm* b = svc->alarms().find_active(al::AlarmType::notify_backlog, "box");
  CHECK(b != nullptr);  // syslog still owes its copies
  CHECK(b->text.find("email") == std::string::npos);
  c.syslog.enabled = false;
  svc->reconfigure(alarmsvc::options_from(c));
  LONGS_EQUAL(0, svc->queue().pending());
  svc->tick();
  CHECK(svc->alarms().find_active(al::AlarmType::notify_backlog, "box") == nullptr);
  CHECK_EQUAL(1, svc->counters_json().count("removed_receiver_dropped"));
}

TEST(AlarmService, DeliveredNoticesArePurgedAfterTheRetention) {
  config::Config c = lab_config(dir.path);
  c.store.notify_retention_h = 2;
  svc->reconfigure(alarmsvc::options_from(c));
  svc->on_switch(blackout());
  for (const char* ch : {"email", "syslog"})
    for (const auto& d : svc->queue().due(ch, now, 10)) CHECK(svc->queue().mark_delivered(ch, {d.notice.id}, now));
  svc->tick();  // first purge pass: delivered just now, kept
  size_t delivered = 0;
  for (const auto& s : svc->queue().status()) delivered += s.delivered;
  CHECK(delivered > 0);
  LONGS_EQUAL(0, svc->counter(alarmsvc::AlarmService::Counter::delivered_purged));
  now += 2 * 3600 * 1000 + 1;  // past the retention (and the purge interval)
  svc->tick();
  LONGS_EQUAL(delivered, svc->counter(alarmsvc::AlarmService::Counter::delivered_purged));
  CHECK_TRUE(svc->queue().status().empty());
}

// The entries the daemon's hooks call (control/daemon/services.cpp).
TEST(AlarmService, DrivenThroughItsEntries) {
  svc->on_uplink_state("wan1", "up", "down");
  svc->on_switch(blackout());
  LONGS_EQUAL(2, svc->show_alarms().size());  // no_redundancy + blackhole on wan0
  svc->on_config_rejected("/etc/trunkguard/trunkguard.conf:12: [uplink.wan9] unknown section");
  const al::Alarm* c = svc->alarms().find_active(al::AlarmType::config_rejected, "box");
  CHECK(c != nullptr);
  STRCMP_EQUAL(
      "box configuration rejected: /etc/trunkguard/trunkguard.conf:12: [uplink.wan9] unknown section; running "
      "configuration kept",
      c->text.c_str());
  svc->on_config_applied(lab_config(dir.path));
  CHECK(svc->alarms().find_active(al::AlarmType::config_rejected, "box") == nullptr);
  LONGS_EQUAL(4, svc->show_alarm_history().size());  // 3 raises, 1 clear
}

TEST(AlarmService, DeliveryThreadSendsFromTheQueue) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  CHECK_EQUAL(0, bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa));
  socklen_t len = sizeof sa;
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  timeval tv{0, 200'000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);

  svc.reset();
  TempDir d2;
  config::Config c = lab_config(d2.path);
  c.email.enabled = false;
  c.syslog.remote = "udp://127.0.0.1:" + std::to_string(ntohs(sa.sin_port));
  svc = std::make_unique<alarmsvc::AlarmService>([] { return al::WallMs(1795428754000); },
                                                 [](int, const std::string&) {});
  std::string err;
  CHECK_TRUE(svc->start(alarmsvc::options_from(c), err));  // deliver = true: its own thread
  svc->on_switch(blackout());
  std::string got;
  char buf[2048];
  for (int i = 0; i < 50 && got.find("[tgAlarm@32473") == std::string::npos; ++i) {  // up to ~10 s
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n > 0) got.append(buf, size_t(n)).append("\n");
  }
  close(fd);
  CHECK(got.find("FAILOVER [tgEvent@32473 object=\"wan0\"] traffic switched from wan0 (Carrier A) to wan1") !=
        std::string::npos);
  CHECK(got.find("ALARM [tgAlarm@32473") != std::string::npos);
  CHECK(got.find("wan0 (Carrier A) silent blackhole: inbound RTP stopped") != std::string::npos);
  for (int i = 0; i < 50 && svc->queue().pending(); ++i) usleep(20'000);  // marked delivered after the send
  LONGS_EQUAL(0, svc->queue().pending());
}

// ------------------------------------------------------------------------
// Uplink fault alarms follow the published uplink state, for the uplink
// carrying traffic and for a standby one (three uplinks, wan0 active).

namespace {

struct Step {
  enum Kind { state, switch_, tick } kind;
  std::string uplink, from, to;  // state: uplink from -> to; switch_: from -> to
  uint8_t faults = 0;            // state: api::FaultBit mask; switch_: unused
  std::string reason;            // switch_
  al::WallMs after_ms = 0;       // clock advance before the step
};

Step state(const std::string& u, const std::string& from, const std::string& to, uint8_t faults = 0,
           al::WallMs after = 10) {
  return {Step::state, u, from, to, faults, "", after};
}
Step switched(const std::string& from, const std::string& to, const std::string& reason, al::WallMs after = 0) {
  return {Step::switch_, "", from, to, 0, reason, after};
}
Step tick_after(al::WallMs after) { return {Step::tick, "", "", "", 0, "", after}; }

struct Row {
  const char* name;
  std::vector<Step> steps;
  std::vector<std::string> notified;  // uplink alarms as notified: "raised uplink_link_down wan1 major"
};

constexpr uint8_t kLink = api::kFault_link, kProbe = api::kFault_probe, kBlackout = api::kFault_blackout,
                  kSoft = api::kFault_soft;

const Row kUplinkFaultRows[] = {
    {"standby link down: raised at once, major",
     {state("wan1", "up", "down", kLink)},
     {"raised uplink_link_down wan1 major"}},
    {"standby probes lost",
     {state("wan1", "suspect", "down", kProbe)},
     {"raised uplink_probe_loss wan1 major"}},
    {"standby recovers: cleared when it leaves down",
     {state("wan1", "up", "down", kLink), state("wan1", "down", "recovering")},
     {"raised uplink_link_down wan1 major", "cleared uplink_link_down wan1 cleared"}},
    {"standby first recovery straight to up",
     {state("lte", "up", "down", kProbe), state("lte", "down", "up")},
     {"raised uplink_probe_loss lte major", "cleared uplink_probe_loss lte cleared"}},
    {"standby flaps: each published down raises, each recovery clears",
     {state("wan1", "up", "down", kLink), state("wan1", "down", "recovering"),
      state("wan1", "recovering", "down", kLink), state("wan1", "down", "recovering"),
      state("wan1", "recovering", "up", 0, 10'000)},
     {"raised uplink_link_down wan1 major", "cleared uplink_link_down wan1 cleared",
      "raised uplink_link_down wan1 major", "cleared uplink_link_down wan1 cleared"}},
    {"standby soft fault only: no uplink fault alarm (the daemon raised it)",
     {state("wan1", "up", "down", kSoft)},
     {}},
    {"standby link and probe: the carrier is the cause",
     {state("wan1", "up", "down", kLink | kProbe)},
     {"raised uplink_link_down wan1 major"}},
    {"standby to admin_down: the fault stays",
     {state("wan1", "up", "down", kLink), state("wan1", "down", "admin_down", kLink | api::kFault_admin)},
     {"raised uplink_link_down wan1 major"}},
    {"active link down then its switch: raised once, critical",
     {state("wan0", "up", "down", kLink), switched("wan0", "wan1", "link_down")},
     {"raised uplink_link_down wan0 critical"}},
    {"active probes lost then its switch",
     {state("wan0", "suspect", "down", kProbe), switched("wan0", "wan1", "probe_loss")},
     {"raised uplink_probe_loss wan0 major"}},
    {"active blackout then its switch",
     {state("wan0", "up", "down", kBlackout), switched("wan0", "wan1", "media_blackout")},
     {"raised uplink_blackhole wan0 critical"}},
    {"active down, the switch later in the same second: still once",
     {state("wan0", "up", "down", kLink), tick_after(500), switched("wan0", "wan1", "link_down", 100),
      tick_after(2000)},
     {"raised uplink_link_down wan0 critical"}},
    {"active down, no switch followed: raised at the tick after 1 s",
     {state("wan0", "up", "down", kLink), tick_after(999)},
     {}},
    {"active down, no switch followed: raised at the tick after 1 s (critical)",
     {state("wan0", "up", "down", kLink), tick_after(1000), tick_after(1000)},
     {"raised uplink_link_down wan0 critical"}},
    {"active down and back before any switch: nothing raised",
     {state("wan0", "up", "down", kLink), state("wan0", "down", "up", 0, 100), tick_after(2000)},
     {}},
    {"old active, standby after the switch, recovers: cleared",
     {state("wan0", "up", "down", kLink), switched("wan0", "wan1", "link_down"),
      state("wan0", "down", "recovering", 0, 3000)},
     {"raised uplink_link_down wan0 critical", "cleared uplink_link_down wan0 cleared"}},
    {"new active fails too: switch to lte, each raised once",
     {state("wan0", "up", "down", kLink), switched("wan0", "wan1", "link_down"),
      state("wan1", "up", "down", kProbe, 2000), switched("wan1", "lte", "probe_loss")},
     {"raised uplink_link_down wan0 critical", "raised uplink_probe_loss wan1 major"}},
    {"standby down, then the active fails over to the third: standby alarm untouched",
     {state("wan1", "up", "down", kLink), state("wan0", "up", "down", kBlackout, 1000),
      switched("wan0", "lte", "media_blackout")},
     {"raised uplink_link_down wan1 major", "raised uplink_blackhole wan0 critical"}},
};

}  // namespace

TEST_GROUP(UplinkFaultAlarms) {
  TempDir dir;
  al::WallMs now = 1795428754000;
  std::unique_ptr<alarmsvc::AlarmService> svc;
  void start() {
    svc = std::make_unique<alarmsvc::AlarmService>([this] { return now; }, [](int, const std::string&) {});
    config::Config c = lab_config(dir.path);
    config::UplinkConfig lte;
    lte.name = "lte";
    lte.carrier = "LTE";
    c.uplinks.push_back(lte);
    c.store.path = dir.path + "/store-" + std::to_string(now) + ".db";
    alarmsvc::ServiceOptions o = alarmsvc::options_from(c);
    o.deliver = false;
    std::string err;
    CHECK_TRUE_TEXT(svc->start(o, err), err.c_str());
    store::FailoverRecord r;
    r.to_uplink = "wan0";
    r.reason = "initial";
    svc->on_switch(r);
  }
  void run(const std::vector<Step>& steps) {
    for (const Step& s : steps) {
      now += s.after_ms;
      if (s.kind == Step::state) svc->on_uplink_state(s.uplink, s.from, s.to, s.faults);
      if (s.kind == Step::tick) svc->tick();
      if (s.kind == Step::switch_) {
        store::FailoverRecord r;
        r.time_ms = now;
        r.from_uplink = s.from;
        r.to_uplink = s.to;
        r.reason = s.reason;
        r.detect_ms = 50;
        r.total_ms = 50;
        r.calls_affected = 3;
        svc->on_switch(r);
      }
    }
  }
  std::vector<std::string> uplink_notifications() {
    std::vector<std::string> v;
    for (const al::AlarmNotification& n : svc->alarms().history())
      if (n.alarm.object.kind == al::ObjectKind::uplink)
        v.push_back(std::string(al::transition_name(n.transition)) + " " + n.alarm.info().name + " " +
                    n.alarm.object.name + " " + al::severity_name(n.severity()));
    return v;
  }
  void teardown() override { svc.reset(); }
};

TEST(UplinkFaultAlarms, EveryTransition) {
  for (const Row& row : kUplinkFaultRows) {
    start();
    run(row.steps);
    std::vector<std::string> got = uplink_notifications();
    std::string want_text, got_text;
    for (const auto& s : row.notified) want_text += s + "\n";
    for (const auto& s : got) got_text += s + "\n";
    STRCMP_EQUAL_TEXT(want_text.c_str(), got_text.c_str(), row.name);
    svc.reset();
    now += 3'600'000;
  }
}

TEST(UplinkFaultAlarms, StandbyTextSaysWhatWhereImpactAndAction) {
  start();
  run({state("wan1", "up", "down", kLink)});
  const al::Alarm* a = svc->alarms().find_active(al::AlarmType::uplink_link_down, "wan1");
  CHECK(a != nullptr);
  STRCMP_EQUAL(
      "wan1 (Carrier B) link down: carrier lost; standby uplink, traffic stays on wan0 (Carrier A); no traffic "
      "affected; no failover to it until it recovers",
      a->text.c_str());
  // lte is still there as a backup: no loss of redundancy yet
  CHECK(svc->alarms().find_active(al::AlarmType::no_redundancy, "box") == nullptr);
  run({state("lte", "up", "down", kProbe)});
  CHECK(svc->alarms().find_active(al::AlarmType::no_redundancy, "box") != nullptr);
}

TEST(UplinkFaultAlarms, ActiveTextNamesTheSwitchAndCalls) {
  start();
  run({state("wan0", "up", "down", kLink), switched("wan0", "wan1", "link_down")});
  const al::Alarm* a = svc->alarms().find_active(al::AlarmType::uplink_link_down, "wan0");
  CHECK(a != nullptr);
  STRCMP_EQUAL(
      "wan0 (Carrier A) link down: carrier lost, detected in 50 ms; traffic switched to wan1 (Carrier B) in 50 ms; "
      "3 calls affected",
      a->text.c_str());
}

TEST(UplinkFaultAlarms, ActiveWithNowhereToGoSaysSo) {
  start();
  run({state("wan1", "up", "down", kLink), state("lte", "up", "down", kLink), state("wan0", "up", "down", kLink),
       tick_after(1000)});
  const al::Alarm* a = svc->alarms().find_active(al::AlarmType::uplink_link_down, "wan0");
  CHECK(a != nullptr);
  STRCMP_EQUAL("wan0 (Carrier A) link down: carrier lost; no usable uplink to switch to, traffic stays on it",
               a->text.c_str());
  CHECK(svc->alarms().find_active(al::AlarmType::all_uplinks_down, "box") != nullptr);
}
