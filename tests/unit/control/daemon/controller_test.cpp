#include "control/daemon/controller.hpp"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <deque>
#include <vector>

#include "control/config/atomic_file.hpp"
#include "dataplane/api/timers.hpp"
#include "dataplane/api/trunk_table.hpp"
#include "tests/unit/control/daemon/fake_fastpath.hpp"

// CppUTest last: its leak detector redefines new.
#include <CppUTest/TestHarness.h>

using namespace tg;
using namespace tg::controld;
using mgmt::Json;

namespace {


const char* kConf =
    "[box]\n"
    "admin_group = root\n"
    "[uplink.wan0]\n"
    "role = wan\n"
    "device = wan0\n"
    "carrier = Carrier A\n"
    "address = 198.51.100.2/28\n"
    "gateway = 198.51.100.1\n"
    "probe_targets = 203.0.113.10\n"
    "priority = 1\n"
    "[uplink.wan1]\n"
    "role = wan\n"
    "device = wan1\n"
    "address = 198.51.100.18/28\n"
    "gateway = 198.51.100.17\n"
    "probe_targets = 203.0.113.10\n"
    "priority = 2\n"
    "[trunk.carrierA]\n"
    "sbc_address = 203.0.113.10\n"
    "[alarm.snmp]\n"
    "community = s3cret\n";

}  // namespace

TEST_GROUP(Controller) {
  std::string dir;
  config::ConfigStore* store = nullptr;
  FakeFastPath fp;
  Controller* ctl = nullptr;
  uint64_t now_ns = 1'000'000'000'000;
  std::vector<std::string> logs;
  mgmt::Peer root{1, 0, 0, {}, "root"};
  mgmt::Peer op{2, 1000, 1000, {}, "carol"};
  std::vector<std::string> later;  // answers given after handle() returned

  void setup() override {
    char tmpl[] = "/tmp/tg-controller-test.XXXXXX";
    dir = mkdtemp(tmpl);
    std::string why;
    CHECK(config::write_file_atomically(dir + "/c.conf", kConf, why));
    store = new config::ConfigStore;
    auto r = store->open({dir + "/c.conf", dir + "/history", {}});
    CHECK_TRUE_TEXT(r.ok(), r.error_text().c_str());
    Clock clock{[this] { return now_ns; }, [] { return int64_t(1700000000000); }, [this](int ms) {
                  now_ns += uint64_t(ms) * 1000000;
                }};
    ctl = new Controller(*store, fp, clock, [this](int, const std::string& m) { logs.push_back(m); });
    ctl->defer_answer = [this]() -> Controller::Answer {
      return [this](const std::string& line) { later.push_back(line); };
    };
    fp.body.uplink_count = 2;
    std::strcpy(fp.body.uplinks[0].name, "wan0");
    std::strcpy(fp.body.uplinks[1].name, "wan1");
    fp.body.active_uplink = 0;
    fp.body.forced_uplink = api::kNoUplink;
    fp.body.uplinks[0].state = api::UplinkState::up;
    fp.body.uplinks[0].link_up = 1;
    fp.body.uplinks[0].state_since_ns = now_ns - 90'000'000'000ull;
    fp.body.uplinks[0].probe = {12'340, 10'000, 15'000, 1'500, 5'000, 50, 500, 497, 0, 3};
    fp.body.uplinks[1].state = api::UplinkState::down;
    fp.body.uplinks[1].fault_mask = api::kFault_link;
  }
  void teardown() override {
    delete ctl;
    delete store;
    CHECK(std::system(("rm -rf '" + dir + "'").c_str()) == 0);
  }
  Json call(const mgmt::Peer& peer, mgmt::Role role, const std::string& cmd, Json args = Json::object()) {
    std::string line = mgmt::request_line(7, cmd, args);
    line.pop_back();
    // A command that waits answers later: the loop (tick) runs meanwhile.
    size_t before = later.size();
    std::string out = ctl->handle(peer, role, line);
    for (int i = 0; out.empty() && i <= 1000; ++i) {
      if (later.size() > before) {
        out = later.back();
        break;
      }
      now_ns += 10'000'000;
      ctl->tick();
    }
    CHECK(!out.empty() && out.back() == '\n');
    return Json::parse(out);
  }
  Json admin(const std::string& cmd, Json args = Json::object()) { return call(root, mgmt::Role::admin, cmd, args); }
  static std::string code(const Json& r) { return r["ok"].get<bool>() ? "ok" : r["error"]["code"].get<std::string>(); }
};

TEST(Controller, ShowUplinksMergesConfigAndFastPathStats) {
  Json r = admin("show.uplinks");
  STRCMP_EQUAL("ok", code(r).c_str());
  LONGS_EQUAL(7, r["id"].get<int>());
  const Json& u = r["result"]["uplinks"];
  LONGS_EQUAL(2, u.size());
  STRCMP_EQUAL("wan0", u[0]["name"].get<std::string>().c_str());
  STRCMP_EQUAL("Carrier A", u[0]["carrier"].get<std::string>().c_str());
  STRCMP_EQUAL("up", u[0]["state"].get<std::string>().c_str());
  CHECK(u[0]["active"].get<bool>());
  DOUBLES_EQUAL(12.34, u[0]["rtt_ms"].get<double>(), 1e-9);
  DOUBLES_EQUAL(0.5, u[0]["loss_pct"].get<double>(), 1e-9);
  DOUBLES_EQUAL(1.5, u[0]["jitter_ms"].get<double>(), 1e-9);
  DOUBLES_EQUAL(90.0, u[0]["since_s"].get<double>(), 1e-9);
  STRCMP_EQUAL("down", u[1]["state"].get<std::string>().c_str());
  STRCMP_EQUAL("link", u[1]["faults"].get<std::string>().c_str());
  CHECK(u[1]["rtt_ms"].is_null());
  STRCMP_EQUAL("wan0", r["result"]["active"].get<std::string>().c_str());
}

TEST(Controller, WithoutFastPathConfigFactsAreStillServed) {
  fp.present = false;
  Json r = admin("show.uplinks");
  STRCMP_EQUAL("ok", code(r).c_str());
  STRCMP_EQUAL("unknown", r["result"]["uplinks"][0]["state"].get<std::string>().c_str());
  CHECK_FALSE(r["result"]["fastpath"]["attached"].get<bool>());
  Json f = admin("failover.force", {{"uplink", "wan1"}});
  STRCMP_EQUAL("fastpath_unavailable", code(f).c_str());
  STRCMP_CONTAINS("fast path not running", f["error"]["message"].get<std::string>().c_str());
}

TEST(Controller, FailoverForceSendsTheCommandAndReportsTheVerdict) {
  Json r = admin("failover.force", {{"uplink", "wan1"}});
  STRCMP_EQUAL("ok", code(r).c_str());
  LONGS_EQUAL(1, fp.commands.size());
  LONGS_EQUAL(int(api::CommandKind::force_uplink), int(fp.commands[0].kind));
  LONGS_EQUAL(1, fp.commands[0].uplink);
  LONGS_EQUAL(api::kMessageVersion, fp.commands[0].version);
  fp.verdict = api::CommandResult::ok_uplink_down;
  r = admin("failover.force", {{"uplink", "wan1"}});
  STRCMP_EQUAL("ok_uplink_down", r["result"]["result"].get<std::string>().c_str());
  r = admin("failover.auto");
  STRCMP_EQUAL("bad_argument", code(r).c_str());  // verdict ok_uplink_down is not ok for auto
  fp.verdict = api::CommandResult::ok;
  r = admin("failover.auto");
  STRCMP_EQUAL("ok", code(r).c_str());
  LONGS_EQUAL(int(api::CommandKind::auto_select), int(fp.commands.back().kind));
}

TEST(Controller, FailoverForceChecksTheUplinkAndTimesOut) {
  Json r = admin("failover.force", {{"uplink", "lte"}});
  STRCMP_EQUAL("bad_argument", code(r).c_str());
  STRCMP_EQUAL("no uplink 'lte' (configured: wan0, wan1)", r["error"]["message"].get<std::string>().c_str());
  LONGS_EQUAL(0, fp.commands.size());
  fp.answers = false;
  uint64_t before = now_ns;
  r = admin("failover.force", {{"uplink", "wan1"}});
  STRCMP_EQUAL("fastpath_unavailable", code(r).c_str());
  STRCMP_CONTAINS("did not answer within 1000 ms", r["error"]["message"].get<std::string>().c_str());
  CHECK(now_ns - before >= 1'000'000'000ull);
  fp.ring_full = true;
  r = admin("failover.force", {{"uplink", "wan1"}});
  STRCMP_CONTAINS("command ring is full", r["error"]["message"].get<std::string>().c_str());
  LONGS_EQUAL(1, ctl->counter(Counter::commands_ring_full));
}

TEST(Controller, SwitchEventsBecomeHistoryWithMeasuredTimes) {
  fp.add_switch(0, 1, api::SwitchReason::probe_loss, 5'000'000'000, 5'180'500'000, 5'180'600'000, 12);
  ctl->tick();
  Json r = admin("show.failover.history");
  const Json& s = r["result"]["switches"];
  LONGS_EQUAL(1, s.size());
  STRCMP_EQUAL("wan0", s[0]["from"].get<std::string>().c_str());
  STRCMP_EQUAL("wan1", s[0]["to"].get<std::string>().c_str());
  STRCMP_EQUAL("probe_loss", s[0]["reason"].get<std::string>().c_str());
  DOUBLES_EQUAL(180.5, s[0]["detection_ms"].get<double>(), 1e-9);
  DOUBLES_EQUAL(0.1, s[0]["switch_ms"].get<double>(), 1e-9);
  DOUBLES_EQUAL(180.6, s[0]["total_ms"].get<double>(), 1e-9);
  LONGS_EQUAL(12, s[0]["calls_affected"].get<int>());
  STRCMP_CONTAINS("failover: wan0 -> wan1, reason probe_loss", logs.back().c_str());
  Json last = admin("show.failover.history", {{"last", 0}});
  STRCMP_EQUAL("bad_argument", code(last).c_str());
}

TEST(Controller, EventGapsAndUnknownKindsAreCounted) {
  fp.add_switch(0, 1, api::SwitchReason::link_down, 1, 2, 3, 0);
  fp.seq += 3;  // three events lost in the ring
  fp.add_switch(1, 0, api::SwitchReason::failback, 4, 5, 6, 0);
  api::Event odd{};
  odd.version = 9;
  odd.seq = fp.seq++;
  fp.events.push_back(odd);
  ctl->tick();
  LONGS_EQUAL(3, ctl->counter(Counter::events_lost));
  LONGS_EQUAL(1, ctl->counter(Counter::events_unknown));
  LONGS_EQUAL(2, ctl->switches().size());
}

TEST(Controller, OperatorsReadButCannotChangeAndSeeNoSecrets) {
  Json r = call(op, mgmt::Role::operator_, "config.set", {{"section", "thresholds"}, {"key", "rtt_ms"}, {"value", "80"}});
  STRCMP_EQUAL("permission_denied", code(r).c_str());
  STRCMP_EQUAL("config.set needs admin rights: root or group root; carol has operator",
               r["error"]["message"].get<std::string>().c_str());
  CHECK_FALSE(store->candidate_changed());
  r = call(op, mgmt::Role::operator_, "failover.force", {{"uplink", "wan1"}});
  STRCMP_EQUAL("permission_denied", code(r).c_str());
  LONGS_EQUAL(0, fp.commands.size());
  r = call(op, mgmt::Role::operator_, "show.config");
  STRCMP_CONTAINS("community = ********", r["result"]["text"].get<std::string>().c_str());
  r = admin("show.config");
  STRCMP_CONTAINS("community = s3cret", r["result"]["text"].get<std::string>().c_str());
}

TEST(Controller, CandidateCommitAndRejectedCommit) {
  Json r = admin("config.set", {{"section", "thresholds"}, {"key", "rtt_ms"}, {"value", "80"}});
  STRCMP_EQUAL("ok", code(r).c_str());
  r = admin("show.config", {{"which", "diff"}});
  STRCMP_CONTAINS("+rtt_ms = 80", r["result"]["text"].get<std::string>().c_str());
  r = admin("config.commit", {{"comment", "lower RTT"}});
  STRCMP_EQUAL("ok", code(r).c_str());
  LONGS_EQUAL(80, store->running().thresholds.rtt_ms);
  // Timers went to the fast path for both uplinks after the commit, then
  // the trunk table (begin, carrierA's SBC and name, commit).
  LONGS_EQUAL(6, fp.commands.size());
  LONGS_EQUAL(int(api::CommandKind::set_timers), int(fp.commands[0].kind));
  LONGS_EQUAL(10, fp.commands[0].timers.probe_interval_ms);
  LONGS_EQUAL(100, fp.commands[0].timers.probe_timeout_ms);
  LONGS_EQUAL(8, fp.commands[0].timers.miss_threshold);

  r = admin("config.delete", {{"section", "uplink.wan1"}, {"key", "gateway"}});
  STRCMP_EQUAL("ok", code(r).c_str());
  r = admin("config.commit");
  STRCMP_EQUAL("config_invalid", code(r).c_str());
  STRCMP_CONTAINS("running configuration is unchanged", r["error"]["message"].get<std::string>().c_str());
  STRCMP_EQUAL("candidate:14: uplink wan1 needs a gateway (address is static)",
               r["error"]["details"][0].get<std::string>().c_str());
  LONGS_EQUAL(80, store->running().thresholds.rtt_ms);
  r = admin("config.check");
  STRCMP_EQUAL("config_invalid", code(r).c_str());
  r = admin("config.rollback", {{"n", 1}});
  STRCMP_EQUAL("ok", code(r).c_str());
  r = admin("config.commit");
  STRCMP_EQUAL("ok", code(r).c_str());
  LONGS_EQUAL(100, store->running().thresholds.rtt_ms);
  r = admin("show.config", {{"which", "history"}});
  LONGS_EQUAL(3, r["result"]["entries"].size());
  STRCMP_EQUAL("root", r["result"]["entries"][0]["user"].get<std::string>().c_str());
}

TEST(Controller, BadEditsAndArgumentsAreRejectedPlainly) {
  Json r = admin("config.set", {{"section", "thresholds"}, {"key", "rtt_ms"}, {"value", "0"}});
  STRCMP_EQUAL("bad_argument", code(r).c_str());
  STRCMP_EQUAL("rtt_ms: must be 1..10000, got 0", r["error"]["message"].get<std::string>().c_str());
  r = admin("config.set", {{"section", "thresholds"}, {"key", "rtt_ms"}});
  STRCMP_EQUAL("argument \"value\" is missing", r["error"]["message"].get<std::string>().c_str());
  r = admin("show.uplinks", {{"verbose", true}});
  STRCMP_EQUAL("unknown argument \"verbose\" (takes none)", r["error"]["message"].get<std::string>().c_str());
  r = admin("show.config", {{"which", "startup"}});
  STRCMP_EQUAL("bad_argument", code(r).c_str());
  r = admin("reboot");
  STRCMP_EQUAL("unknown_command", code(r).c_str());
  std::string out = ctl->handle(root, mgmt::Role::admin, "{\"v\":1");
  STRCMP_CONTAINS("\"bad_json\"", out.c_str());
  CHECK_FALSE(store->candidate_changed());
}

TEST(Controller, PartsNotWiredSayNotAvailableAndWhy) {
  for (const char* cmd : {"show.calls", "show.alarms", "show.fault-report", "capture.start"}) {
    Json r = admin(cmd);
    STRCMP_EQUAL("not_available", code(r).c_str());
    STRCMP_CONTAINS("not available: ", r["error"]["message"].get<std::string>().c_str());
  }
  Json r = admin("test.trunk", {{"trunk", "nosuch"}});
  STRCMP_EQUAL("no trunk 'nosuch' (configured: carrierA)", r["error"]["message"].get<std::string>().c_str());
  r = admin("test.trunk", {{"trunk", "carrierA"}});
  STRCMP_EQUAL("not_available", code(r).c_str());
  ctl->hooks.show_alarms = [] { return Json{{"alarms", Json::array()}}; };
  r = admin("show.alarms");
  STRCMP_EQUAL("ok", code(r).c_str());
}

TEST(Controller, TrunkTestAnswersLaterWhileOtherRequestsAreServed) {
  Hooks::TrunkTestDone pending;
  ctl->hooks.test_trunk = [&](const std::string& trunk, Hooks::TrunkTestDone done, std::string&) {
    STRCMP_EQUAL("carrierA", trunk.c_str());
    pending = std::move(done);
    return true;
  };
  std::string line = mgmt::request_line(9, "test.trunk", {{"trunk", "carrierA"}});
  line.pop_back();
  STRCMP_EQUAL("", ctl->handle(root, mgmt::Role::admin, line).c_str());  // nothing yet
  CHECK(bool(pending));
  for (int i = 0; i < 3; ++i) STRCMP_EQUAL("ok", code(admin("show.uplinks")).c_str());  // served meanwhile
  CHECK(later.empty());
  pending(Json{{"trunk", "carrierA"}, {"answers", Json::array()}});
  LONGS_EQUAL(1, later.size());
  Json r = Json::parse(later[0]);
  LONGS_EQUAL(9, r["id"].get<int>());
  STRCMP_EQUAL("carrierA", r["result"]["trunk"].get<std::string>().c_str());
}

TEST(Controller, DeferredAnswersAreBounded) {
  std::vector<Hooks::TrunkTestDone> pending;
  ctl->hooks.test_trunk = [&](const std::string&, Hooks::TrunkTestDone done, std::string&) {
    pending.push_back(std::move(done));
    return true;
  };
  std::string line = mgmt::request_line(9, "test.trunk", {{"trunk", "carrierA"}});
  line.pop_back();
  for (size_t i = 0; i < Controller::kMaxOutstanding; ++i) STRCMP_EQUAL("", ctl->handle(root, mgmt::Role::admin, line).c_str());
  Json r = Json::parse(ctl->handle(root, mgmt::Role::admin, line));
  STRCMP_EQUAL("busy", code(r).c_str());
  LONGS_EQUAL(1, ctl->counter(Counter::deferred_refused));
  pending[0](Json::object());
  STRCMP_EQUAL("", ctl->handle(root, mgmt::Role::admin, line).c_str());  // room again
}

TEST(Controller, AttachPushesTimersAndCounts) {
  fp.attach_now = true;
  ctl->tick();
  LONGS_EQUAL(1, ctl->counter(Counter::fastpath_attaches));
  LONGS_EQUAL(6, fp.commands.size());
  LONGS_EQUAL(int(api::CommandKind::set_timers), int(fp.commands[1].kind));
  LONGS_EQUAL(1, fp.commands[1].uplink);
  LONGS_EQUAL(int(api::CommandKind::trunk_table_begin), int(fp.commands[2].kind));
  LONGS_EQUAL(int(api::CommandKind::trunk_table_commit), int(fp.commands[5].kind));
  Json r = admin("show.counters");
  LONGS_EQUAL(6, r["result"]["daemon"]["commands_sent"].get<int>());
  CHECK(r["result"]["fastpath"]["uplinks"].is_array());
  // The fast path's answers: applied, so nothing logged as refused.
  ctl->tick();
  LONGS_EQUAL(2, ctl->counter(Counter::timers_applied));
  LONGS_EQUAL(1, ctl->counter(Counter::trunk_tables_applied));
  LONGS_EQUAL(0, ctl->counter(Counter::commands_rejected));
}

namespace {
// What the fast path would make of the trunk_* commands sent so far.
api::TrunkTableAssembler assemble(const std::vector<api::Command>& commands, int& commits) {
  api::TrunkTableAssembler a;
  for (const api::Command& c : commands) {
    if (!api::is_trunk_table_kind(c.kind)) continue;
    bool committed = false;
    LONGS_EQUAL(int(api::CommandResult::ok), int(a.apply(c, committed)));
    commits += committed;
  }
  return a;
}
}  // namespace

// The fast path counts calls by our trunks: the table goes over the command
// ring at attach (a restarted fast path gets it again) and on every commit.
TEST(Controller, TrunkTableGoesToTheFastPathOnAttachAndEveryCommit) {
  fp.attach_now = true;
  ctl->tick();
  int commits = 0;
  api::TrunkTableAssembler a = assemble(fp.commands, commits);
  LONGS_EQUAL(1, commits);
  LONGS_EQUAL(1, a.size());
  STRCMP_EQUAL("carrierA", a.table()[0].name);
  STRCMP_EQUAL("203.0.113.10", a.table()[0].sbc.addr.str().c_str());
  LONGS_EQUAL(0, a.table()[0].sbc.port);  // no sbc_port in the file: any port, as before
  const uint32_t first = a.generation();

  fp.commands.clear();
  STRCMP_EQUAL("ok", code(admin("config.set", {{"section", "trunk.carrierB"}, {"key", "sbc_address"}, {"value", "203.0.113.11"}})).c_str());
  STRCMP_EQUAL("ok", code(admin("config.set", {{"section", "trunk.carrierB"}, {"key", "sbc_port"}, {"value", "5070"}})).c_str());
  STRCMP_EQUAL("ok", code(admin("config.commit")).c_str());
  commits = 0;
  a = assemble(fp.commands, commits);
  LONGS_EQUAL(1, commits);
  LONGS_EQUAL(2, a.size());
  CHECK(a.generation() != first);
  STRCMP_EQUAL("carrierB", a.table()[1].name);
  LONGS_EQUAL(5070, a.table()[1].sbc.port);

  fp.commands.clear();
  fp.attach_now = true;  // the fast path restarted
  ctl->tick();
  commits = 0;
  a = assemble(fp.commands, commits);
  LONGS_EQUAL(1, commits);
  LONGS_EQUAL(2, a.size());
}

// What a valid file holds is what the fast path accepts: the pushed timers
// pass the fast path's own check (a real fast path would answer ok).
TEST(Controller, PushedTimersPassTheFastPathsCheck) {
  fp.attach_now = true;
  ctl->tick();
  LONGS_EQUAL(6, fp.commands.size());
  for (const auto& c : fp.commands) {
    if (c.kind != api::CommandKind::set_timers) continue;
    api::HealthTimers h;
    api::BlackoutConfig b;
    api::from_wire(c.timers, h, b);
    const char* why = api::check_timers(h, b);
    CHECK_TEXT(why == nullptr, why);
  }
  fp.verdict = api::CommandResult::bad_timers;
  fp.attach_now = true;
  ctl->tick();
  ctl->tick();
  LONGS_EQUAL(6, ctl->counter(Counter::commands_rejected));  // the double refuses all: timers and trunks
  bool logged = false;
  for (const std::string& l : logs) logged = logged || l.find("fast path rejected command set_timers") != l.npos;
  CHECK(logged);
}

TEST(Controller, HelpListsWhatTheRoleMayDo) {
  Json r = call(op, mgmt::Role::operator_, "help");
  bool saw_set = false;
  for (const auto& c : r["result"]["commands"])
    if (c["cmd"] == "config.set") {
      saw_set = true;
      CHECK_FALSE(c["allowed"].get<bool>());
    }
  CHECK(saw_set);
  r = call(op, mgmt::Role::operator_, "hello");
  STRCMP_EQUAL("operator", r["result"]["role"].get<std::string>().c_str());
}

TEST(Controller, SustainedHighRttBecomesASoftFaultAndClearsAfterRecovery) {
  fp.body.uplinks[0].probe.rtt_avg_us = 180'000;  // above the alarm level (100 ms), below the switch level (200 ms)
  for (int s = 0; s <= 11; ++s) {
    now_ns += 1'000'000'000;
    ctl->tick();
  }
  LONGS_EQUAL(0, fp.commands.size());
  LONGS_EQUAL(1, ctl->counter(Counter::qos_violations));
  fp.body.uplinks[0].probe.rtt_avg_us = 250'000;
  for (int s = 0; s <= 11; ++s) {
    now_ns += 1'000'000'000;
    ctl->tick();
  }
  LONGS_EQUAL(1, fp.commands.size());
  LONGS_EQUAL(int(api::CommandKind::soft_fault_raise), int(fp.commands[0].kind));
  LONGS_EQUAL(int(api::SoftFault::latency), int(fp.commands[0].reason));
  LONGS_EQUAL(0, fp.commands[0].uplink);
  LONGS_EQUAL(2, ctl->counter(Counter::qos_violations));
  // A restarted fast path is told again.
  fp.attach_now = true;
  ctl->tick();
  LONGS_EQUAL(int(api::CommandKind::soft_fault_raise), int(fp.commands.back().kind));
  fp.body.uplinks[0].probe.rtt_avg_us = 20'000;
  size_t before = fp.commands.size();
  for (int s = 0; s <= 11; ++s) {
    now_ns += 1'000'000'000;
    ctl->tick();
  }
  LONGS_EQUAL(before + 1, fp.commands.size());
  LONGS_EQUAL(int(api::CommandKind::soft_fault_clear), int(fp.commands.back().kind));
}

// The trunk watch's sip_outage: one command per change, again after the
// fast path restarts (it knows nothing of our soft faults then).
TEST(Controller, SoftFaultFromTrunkWatchIsPushedOnceAndAfterReattach) {
  ctl->set_soft_fault("wan0", api::SoftFault::sip_outage, true);
  ctl->set_soft_fault("wan0", api::SoftFault::sip_outage, true);
  LONGS_EQUAL(1, fp.commands.size());
  LONGS_EQUAL(int(api::CommandKind::soft_fault_raise), int(fp.commands[0].kind));
  LONGS_EQUAL(int(api::SoftFault::sip_outage), int(fp.commands[0].reason));
  LONGS_EQUAL(0, fp.commands[0].uplink);
  fp.attach_now = true;
  ctl->tick();
  LONGS_EQUAL(8, fp.commands.size());  // 2 x set_timers, the trunk table (4) + the soft fault again
  LONGS_EQUAL(int(api::CommandKind::soft_fault_raise), int(fp.commands[7].kind));
  ctl->set_soft_fault("wan0", api::SoftFault::sip_outage, false);
  LONGS_EQUAL(int(api::CommandKind::soft_fault_clear), int(fp.commands.back().kind));
  LONGS_EQUAL(int(api::SoftFault::sip_outage), int(fp.commands.back().reason));
  fp.attach_now = true;
  ctl->tick();
  LONGS_EQUAL(15, fp.commands.size());  // timers and trunk table only
}

// Probe rounds all lost is the fast path's hard fault (it fails over by
// itself): no QoS violation, no soft fault, no loss alarm on top.
TEST(Controller, HardFaultFiguresAreNoQosViolation) {
  fp.body.uplinks[0].probe.loss_ppm = 1'000'000;
  fp.body.uplinks[0].fault_mask = api::kFault_probe;
  fp.body.uplinks[1].probe = {0, 0, 0, 0, 400'000, 100, 1000, 600, 0, 400};
  fp.body.uplinks[1].fault_mask = api::kFault_blackout;
  for (int s = 0; s <= 30; ++s) {
    now_ns += 1'000'000'000;
    ctl->tick();
  }
  LONGS_EQUAL(0, ctl->counter(Counter::qos_violations));
  LONGS_EQUAL(0, fp.commands.size());
  fp.body.uplinks[1].fault_mask = 0;  // 40 % loss without a hard fault: a violation
  for (int s = 0; s <= 11; ++s) {
    now_ns += 1'000'000'000;
    ctl->tick();
  }
  LONGS_EQUAL(2, ctl->counter(Counter::qos_violations));  // alarm level and switch level
}
