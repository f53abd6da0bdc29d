// TrunkProbing following configuration reloads (SIGHUP path: the real
// Controller and ConfigStore on a temp file), with fake probers from an
// injected factory, an injected clock, a real AlarmManager and the fake
// fast path (soft faults arrive there as commands).
#include "control/daemon/trunk_probing.hpp"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "control/config/atomic_file.hpp"
#include "tests/unit/control/daemon/fake_fastpath.hpp"

// CppUTest last: its leak detector redefines new.
#include <CppUTest/TestHarness.h>

using namespace tg;
using namespace tg::controld;
using probe::ProbeOutcome;

namespace {

constexpr TimeNs ms(uint64_t v) { return v * kNsPerMs; }

struct FakeProber : probe::Prober {
  struct Request {
    std::string target;
    Done done;
  };
  std::deque<Request> pending;
  TimeNs timeout = 0;
  bool probe(const std::string& target, Done done, std::string*) override {
    pending.push_back({target, std::move(done)});
    return true;
  }
  void set_timeout(TimeNs t) override { timeout = t; }
};

const std::string kUplinks =
    "[uplink.wan0]\nrole = wan\ndevice = wan0\ncarrier = Carrier A\naddress = 198.51.100.2/28\n"
    "gateway = 198.51.100.1\nprobe_targets = 203.0.113.10\npriority = 1\n"
    "[uplink.wan1]\nrole = wan\ndevice = wan1\ncarrier = Carrier B\naddress = 198.51.100.18/28\n"
    "gateway = 198.51.100.17\nprobe_targets = 203.0.113.10\npriority = 2\n";
const std::string kTrunkA =
    "[trunk.carrierA]\ndescription = Carrier A trunk\nsbc_address = 203.0.113.10\n"
    "options_interval_ms = 1000\noptions_timeout_ms = 500\ndown_after = 2\nup_after = 2\n";
const std::string kTrunkB =
    "[trunk.carrierB]\nsbc_address = 203.0.113.11\n"
    "options_interval_ms = 1000\noptions_timeout_ms = 500\ndown_after = 2\nup_after = 2\n";
const std::string kA = "sip:203.0.113.10:5060", kB = "sip:203.0.113.11:5060";

}  // namespace

TEST_GROUP(TrunkProbing) {
  std::string dir;
  config::ConfigStore* store = nullptr;
  FakeFastPath fp;
  Controller* ctl = nullptr;
  alarm::AlarmManager* alarms = nullptr;
  TrunkProbing* probing = nullptr;
  TimeNs now = ms(5000);
  std::vector<std::string> logs, created;  // created: "wan0@198.51.100.2"
  std::vector<alarm::AlarmNotification> notes;
  // What each SBC answers, per uplink: "wan0 sip:..." -> outcome (default ok).
  std::map<std::string, ProbeOutcome> answers;

  void setup() override {
    char tmpl[] = "/tmp/tg-trunk-probing-test.XXXXXX";
    dir = mkdtemp(tmpl);
    write(kUplinks + kTrunkA);
    store = new config::ConfigStore;
    auto r = store->open({dir + "/c.conf", dir + "/history", {}});
    CHECK_TRUE_TEXT(r.ok(), r.error_text().c_str());
    Clock clock{[this] { return uint64_t(now); }, [] { return int64_t(1700000000000); },
                [this](int v) { now += ms(uint64_t(v)); }};
    ctl = new Controller(*store, fp, clock, [this](int, const std::string& m) { logs.push_back(m); });
    fp.body.uplink_count = 2;
    std::strcpy(fp.body.uplinks[0].name, "wan0");
    std::strcpy(fp.body.uplinks[1].name, "wan1");
    alarms = new alarm::AlarmManager([this] { return alarm::WallMs(now / 1000000); }, {},
                                     [this](const alarm::AlarmNotification& n) { notes.push_back(n); });
    probing = new TrunkProbing([this](int, const std::string& m) { logs.push_back(m); },
                               [this](const ProbeAgentPlan& a, std::string*) -> std::unique_ptr<probe::Prober> {
                                 created.push_back(a.uplink + "@" + a.bind_address);
                                 return std::make_unique<FakeProber>();
                               },
                               [this] { return now; });
    probing->open(store->running());
    probing->install(*ctl, alarms);
  }
  void teardown() override {
    delete probing;
    delete alarms;
    delete ctl;
    delete store;
    CHECK(std::system(("rm -rf '" + dir + "'").c_str()) == 0);
  }
  void write(const std::string& text) {
    std::string why;
    CHECK_TRUE_TEXT(config::write_file_atomically(dir + "/c.conf", text, why), why.c_str());
  }
  void reload(const std::string& text) {
    write(text);
    ctl->reload();
  }
  FakeProber* prober(const char* uplink) { return static_cast<FakeProber*>(probing->prober(uplink)); }
  // One second on: due probes sent, every probe in flight answered.
  void round() {
    now += ms(1000);
    probing->tick();
    for (const char* u : {"wan0", "wan1"}) {
      FakeProber* p = prober(u);
      while (p && !p->pending.empty()) {
        auto req = std::move(p->pending.front());
        p->pending.pop_front();
        auto it = answers.find(std::string(u) + " " + req.target);
        probe::ProbeReport r;
        r.target = req.target;
        r.result.outcome = it == answers.end() ? ProbeOutcome::ok : it->second;
        r.result.status = r.result.outcome == ProbeOutcome::ok ? 200 : 0;
        r.result.rtt = ms(3);
        req.done(r);
      }
    }
  }
  const probe::TrunkHealth* health(const char* trunk, const char* uplink) {
    return probing->monitor()->health(trunk, uplink);
  }
  const alarm::Alarm* active(const char* trunk) { return alarms->find_active(alarm::AlarmType::trunk_down, trunk); }
  size_t cleared() {
    size_t n = 0;
    for (const auto& x : notes) n += x.transition == alarm::Transition::cleared;
    return n;
  }
  // A console command as admin; "ok" or the error code.
  std::string admin(const std::string& cmd, mgmt::Json args) {
    std::string line = mgmt::request_line(1, cmd, args);
    line.pop_back();
    mgmt::Json r = mgmt::Json::parse(ctl->handle({1, 0, 0, {}, "root"}, mgmt::Role::admin, line));
    return r["ok"].get<bool>() ? "ok" : r["error"]["code"].get<std::string>();
  }
  bool logged(const std::string& what) {
    for (const auto& l : logs)
      if (l.find(what) != std::string::npos) return true;
    return false;
  }
  bool soft_fault_cleared_last() {
    return !fp.commands.empty() && fp.commands.back().kind == api::CommandKind::soft_fault_clear;
  }
};

TEST(TrunkProbing, AddedTrunkIsProbedOverEachUplinkTheOtherKeepsItsState) {
  round();
  round();
  STRCMP_EQUAL("up", probe::trunk_state_name(health("carrierA", "wan0")->state()));
  const probe::TrunkHealth* a0 = health("carrierA", "wan0");
  uint64_t probes = a0->probes();
  reload(kUplinks + kTrunkA + kTrunkB);
  LONGS_EQUAL(2, created.size());  // agents kept
  LONGS_EQUAL(4, probing->monitor()->size());
  now += ms(1);
  probing->tick();
  CHECK_TRUE(prober("wan0")->pending.size() == 1 && prober("wan0")->pending[0].target == kB);
  CHECK_TRUE(prober("wan1")->pending.size() == 1 && prober("wan1")->pending[0].target == kB);
  round();
  round();
  STRCMP_EQUAL("up", probing->states()["carrierB"]["state"].get<std::string>().c_str());
  // carrierA: the same pair, its counters going on, never down.
  CHECK_TRUE(health("carrierA", "wan0") == a0);
  CHECK_TRUE(a0->probes() > probes);
  STRCMP_EQUAL("up", probe::trunk_state_name(a0->state()));
  LONGS_EQUAL(0, notes.size());
  CHECK_TRUE(logged("OPTIONS probing follows the configuration: trunks +carrierB; pairs +2 -0 ~0 =2"));
}

TEST(TrunkProbing, RemovedTrunkThatWasDownHasItsAlarmClearedAndIsGone) {
  reload(kUplinks + kTrunkA + kTrunkB);
  answers["wan0 " + kA] = ProbeOutcome::timeout;  // down via wan0 only: soft fault on wan0
  for (int i = 0; i < 3; ++i) round();
  CHECK(active("carrierA") != nullptr);
  CHECK_TRUE(probing->watch().sip_outage("wan0"));
  CHECK_FALSE(soft_fault_cleared_last());
  now += ms(1000);
  probing->tick();  // carrierA's next probes in flight while it is removed
  reload(kUplinks + kTrunkB);
  CHECK(active("carrierA") == nullptr);
  LONGS_EQUAL(int(alarm::Transition::cleared), int(notes.back().transition));
  STRCMP_CONTAINS("removed from the configuration", notes.back().message().c_str());
  CHECK_FALSE(probing->watch().sip_outage("wan0"));
  CHECK_TRUE(soft_fault_cleared_last());
  CHECK_TRUE(health("carrierA", "wan0") == nullptr);
  LONGS_EQUAL(2, probing->monitor()->size());
  CHECK_FALSE(probing->states().contains("carrierA"));
  size_t n = notes.size();
  round();  // the answers of carrierA's last probes reach nothing
  round();
  LONGS_EQUAL(n, notes.size());
  CHECK_TRUE(prober("wan0")->pending.empty());
  STRCMP_EQUAL("up", probing->states()["carrierB"]["state"].get<std::string>().c_str());
}

TEST(TrunkProbing, ChangedTrunkIsRecreatedItsAlarmStaysUntilTheNewPairsDecide) {
  reload(kUplinks + kTrunkA + kTrunkB);
  answers["wan0 " + kA] = answers["wan1 " + kA] = ProbeOutcome::timeout;
  for (int i = 0; i < 3; ++i) round();
  CHECK(active("carrierA") != nullptr);
  const probe::TrunkHealth* b0 = health("carrierB", "wan0");
  uint64_t b_probes = b0->probes();
  std::string a = kTrunkA;
  a.replace(a.find("down_after = 2"), 14, "down_after = 3");
  reload(kUplinks + a + kTrunkB);
  const probe::TrunkHealth* a0 = health("carrierA", "wan0");
  CHECK_TRUE(a0 != nullptr);
  LONGS_EQUAL(0, a0->probes());  // re-created
  STRCMP_EQUAL("unknown", probe::trunk_state_name(a0->state()));
  CHECK_TRUE(health("carrierB", "wan0") == b0);  // carrierB untouched
  CHECK(active("carrierA") != nullptr);          // no clear on the reload itself
  LONGS_EQUAL(0, cleared());
  answers.clear();  // the SBC answers again: the new pairs clear it
  round();
  CHECK(active("carrierA") != nullptr);
  round();
  CHECK(active("carrierA") == nullptr);
  STRCMP_CONTAINS("answered again", notes.back().message().c_str());
  CHECK_TRUE(b0->probes() > b_probes);
  LONGS_EQUAL(0, alarms->find_active(alarm::AlarmType::trunk_down, "carrierB") != nullptr);
}

TEST(TrunkProbing, UplinkAddressChangeRebindsOnlyThatAgent) {
  round();
  round();
  FakeProber* wan0 = prober("wan0");
  const probe::TrunkHealth* a0 = health("carrierA", "wan0");
  std::string up = kUplinks;
  up.replace(up.find("198.51.100.18/28"), 16, "198.51.100.19/28");
  reload(up + kTrunkA);
  LONGS_EQUAL(3, created.size());
  STRCMP_EQUAL("wan1@198.51.100.19", created.back().c_str());
  CHECK_TRUE(prober("wan0") == wan0);
  CHECK_TRUE(health("carrierA", "wan0") == a0);
  LONGS_EQUAL(0, health("carrierA", "wan1")->probes());
  round();
  round();
  STRCMP_EQUAL("up", probe::trunk_state_name(health("carrierA", "wan1")->state()));
  LONGS_EQUAL(0, notes.size());
}

TEST(TrunkProbing, TimeoutChangeKeepsTheAgentsWithTheNewTimeout) {
  std::string a = kTrunkA;
  a.replace(a.find("options_timeout_ms = 500"), 24, "options_timeout_ms = 800");
  FakeProber* wan0 = prober("wan0");
  reload(kUplinks + a);
  LONGS_EQUAL(2, created.size());
  CHECK_TRUE(prober("wan0") == wan0);
  CHECK_TRUE(wan0->timeout == ms(800));
  CHECK_TRUE(prober("wan1")->timeout == ms(800));
}

TEST(TrunkProbing, RejectedReloadChangesNothing) {
  reload(kUplinks + kTrunkA + kTrunkB);
  answers["wan0 " + kA] = answers["wan1 " + kA] = ProbeOutcome::timeout;
  for (int i = 0; i < 3; ++i) round();
  CHECK(active("carrierA") != nullptr);
  size_t n = notes.size(), agents = created.size();
  const probe::TrunkHealth* a0 = health("carrierA", "wan0");
  // carrierA gone and a bad value: the whole file is rejected.
  reload(kUplinks + kTrunkB + "sbc_port = 70000\n");
  CHECK_TRUE(logged("reload rejected"));
  CHECK_FALSE(logged("OPTIONS probing follows the configuration: trunks -carrierA"));
  CHECK(active("carrierA") != nullptr);
  LONGS_EQUAL(n, notes.size());
  LONGS_EQUAL(agents, created.size());
  CHECK_TRUE(health("carrierA", "wan0") == a0);
  LONGS_EQUAL(4, probing->monitor()->size());
  CHECK_TRUE(probing->states().contains("carrierA"));
}

TEST(TrunkProbing, TrunkNoLongerProbedAnywhereHasItsAlarmCleared) {
  answers["wan0 " + kA] = answers["wan1 " + kA] = ProbeOutcome::timeout;
  for (int i = 0; i < 3; ++i) round();
  CHECK(active("carrierA") != nullptr);
  // Both uplinks disabled: carrierA stays configured, probed nowhere.
  std::string up = kUplinks;
  up.insert(up.find("[uplink.wan1]"), "enabled = false\n");
  up += "enabled = false\n";
  reload(up + kTrunkA);
  CHECK(active("carrierA") == nullptr);
  STRCMP_CONTAINS("no longer probed over any uplink", notes.back().message().c_str());
  LONGS_EQUAL(0, probing->monitor()->size());
}

// The console's candidate and commit reach the probers like SIGHUP does; a
// commit the validation refuses reaches nothing.
TEST(TrunkProbing, ConsoleCommitChangesRemovesAndARejectedCommitDoesNothing) {
  reload(kUplinks + kTrunkA + kTrunkB);
  answers["wan0 " + kA] = answers["wan1 " + kA] = ProbeOutcome::timeout;
  for (int i = 0; i < 3; ++i) round();
  CHECK(active("carrierA") != nullptr);
  const probe::TrunkHealth* b0 = health("carrierB", "wan0");
  // Refused: carrierB's port and wan1 without its gateway in one candidate.
  STRCMP_EQUAL("ok",
               admin("config.set", {{"section", "trunk.carrierB"}, {"key", "sbc_port"}, {"value", "5080"}}).c_str());
  STRCMP_EQUAL("ok", admin("config.delete", {{"section", "uplink.wan1"}, {"key", "gateway"}}).c_str());
  STRCMP_EQUAL("config_invalid", admin("config.commit", mgmt::Json::object()).c_str());
  CHECK_TRUE(health("carrierB", "wan0") == b0);
  CHECK(active("carrierA") != nullptr);
  // Fixed and committed: carrierB re-created with the new port.
  STRCMP_EQUAL(
      "ok", admin("config.set", {{"section", "uplink.wan1"}, {"key", "gateway"}, {"value", "198.51.100.17"}}).c_str());
  STRCMP_EQUAL("ok", admin("config.commit", mgmt::Json::object()).c_str());
  round();
  STRCMP_EQUAL("sip:203.0.113.11:5080",
               probing->states()["carrierB"]["uplinks"][0]["target"].get<std::string>().c_str());
  LONGS_EQUAL(1, health("carrierB", "wan0")->probes());
  // carrierA deleted from the console while down: its alarm clears.
  STRCMP_EQUAL("ok", admin("config.delete", {{"section", "trunk.carrierA"}}).c_str());
  STRCMP_EQUAL("ok", admin("config.commit", mgmt::Json::object()).c_str());
  CHECK(active("carrierA") == nullptr);
  STRCMP_CONTAINS("removed from the configuration", notes.back().message().c_str());
  CHECK_FALSE(probing->states().contains("carrierA"));
}

// `test trunk` never waits in place: the command returns at once, the
// answers come from the probers' callbacks through tick(), and a probe that
// never ends (its prober gone) is reported at the test's deadline.
TEST(TrunkProbing, TestTrunkAnswersLaterFromTheProbersAndEndsByItsDeadline) {
  std::vector<std::string> later;
  ctl->defer_answer = [&later]() -> Controller::Answer {
    return [&later](const std::string& line) { later.push_back(line); };
  };
  probing->tick();  // periodic probes out first, answered: only the test's remain
  round();
  std::string line = mgmt::request_line(4, "test.trunk", {{"trunk", "carrierA"}});
  line.pop_back();
  STRCMP_EQUAL("", ctl->handle({1, 0, 0, {}, "root"}, mgmt::Role::admin, line).c_str());
  LONGS_EQUAL(1, prober("wan0")->pending.size());
  LONGS_EQUAL(1, prober("wan1")->pending.size());
  STRCMP_EQUAL(kA.c_str(), prober("wan0")->pending.back().target.c_str());
  // wan0 answers 200; wan1 never does.
  probe::ProbeReport ok;
  ok.target = kA;
  ok.result.outcome = ProbeOutcome::ok;
  ok.result.status = 200;
  ok.result.rtt = ms(7);
  auto req = std::move(prober("wan0")->pending.back());
  prober("wan0")->pending.pop_back();
  req.done(ok);
  CHECK_TRUE(later.empty());  // wan1 still owes its answer
  now += ms(500);
  probing->tick();
  CHECK_TRUE(later.empty());
  now += ms(600);  // past timeout 500 + 500 ms
  probing->tick();
  LONGS_EQUAL(1, later.size());
  mgmt::Json r = mgmt::Json::parse(later[0]);
  LONGS_EQUAL(4, r["id"].get<int>());
  const mgmt::Json& a = r["result"]["answers"];
  LONGS_EQUAL(2, a.size());
  STRCMP_EQUAL("wan0", a[0]["uplink"].get<std::string>().c_str());
  STRCMP_EQUAL("ok", a[0]["outcome"].get<std::string>().c_str());
  DOUBLES_EQUAL(7.0, a[0]["rtt_ms"].get<double>(), 1e-9);
  STRCMP_EQUAL("no answer (still waiting when the test ended)", a[1]["outcome"].get<std::string>().c_str());
}

TEST(TrunkProbing, TrunkTestsAtOnceAreBounded) {
  std::vector<std::string> later;
  ctl->defer_answer = [&later]() -> Controller::Answer {
    return [&later](const std::string& line) { later.push_back(line); };
  };
  std::string line = mgmt::request_line(4, "test.trunk", {{"trunk", "carrierA"}});
  line.pop_back();
  for (size_t i = 0; i < TrunkProbing::kMaxTests; ++i)
    STRCMP_EQUAL("", ctl->handle({1, 0, 0, {}, "root"}, mgmt::Role::admin, line).c_str());
  CHECK_TRUE(later.empty());
  STRCMP_EQUAL("", ctl->handle({1, 0, 0, {}, "root"}, mgmt::Role::admin, line).c_str());
  LONGS_EQUAL(1, later.size());  // refused at once, saying why
  STRCMP_CONTAINS("trunk tests already running", later[0].c_str());
}
