// TrunkMonitor with a fake prober per uplink and a fake clock.
#include "control/probe/trunk_monitor.hpp"

#include "control/probe/probe_json.hpp"

#include <deque>
#include <string>
#include <vector>

#include <CppUTest/TestHarness.h>

using namespace tg::probe;

namespace {

constexpr TimeNs ms(uint64_t v) { return v * kNsPerMs; }

// Records requests; the test answers them (or refuses to send).
struct FakeProber : Prober {
  struct Request {
    std::string target;
    Done done;
  };
  std::deque<Request> requests;
  bool refuse = false;
  TimeNs timeout = 0;
  void set_timeout(TimeNs t) override { timeout = t; }
  bool probe(const std::string& target, Done done, std::string* error) override {
    if (refuse) {
      if (error) *error = "no socket";
      return false;
    }
    requests.push_back({target, std::move(done)});
    return true;
  }
  void answer(ProbeOutcome o, int status = 0) {
    Request r = std::move(requests.front());
    requests.pop_front();
    ProbeReport rep;
    rep.target = r.target;
    rep.result = {o, status, ms(3)};
    r.done(rep);
  }
};

struct Seen {
  std::string trunk, uplink, state;
  bool transition;
  std::string to;
};

struct Fixture {
  TimeNs now = ms(1000);
  FakeProber wan0, wan1;
  std::vector<Seen> seen;
  TrunkMonitor mon{[this] { return now; }, [this](const TrunkEvent& e) {
                     seen.push_back({e.spec.trunk, e.spec.uplink, trunk_state_name(e.state),
                                     e.transition.has_value(),
                                     e.transition ? trunk_state_name(e.transition->to) : ""});
                   }};
  Fixture() {
    mon.add_uplink("wan0", &wan0);
    mon.add_uplink("wan1", &wan1);
    TrunkHealthConfig h{2, 1, ms(10000), ms(1000)};
    CHECK_TRUE(mon.add({"carrierA", "wan0", "sip:203.0.113.10:5060", h}));
    CHECK_TRUE(mon.add({"carrierA", "wan1", "sip:203.0.113.10:5060", h}));
  }
};

}  // namespace

TEST_GROUP(TrunkMonitor){};

TEST(TrunkMonitor, RejectsUnknownUplinkAndDuplicates) {
  Fixture f;
  std::string error;
  CHECK_FALSE(f.mon.add({"carrierA", "lte", "sip:203.0.113.10", {}}, &error));
  CHECK_TRUE(error.find("unknown uplink lte") != std::string::npos);
  CHECK_FALSE(f.mon.add({"carrierA", "wan0", "sip:203.0.113.10", {}}, &error));
  CHECK_TRUE(error.find("twice") != std::string::npos);
  LONGS_EQUAL(2, f.mon.size());
}

TEST(TrunkMonitor, ProbesEachUplinkOnceInFlightAndOnSchedule) {
  Fixture f;
  f.mon.poll();
  LONGS_EQUAL(1, f.wan0.requests.size());
  LONGS_EQUAL(1, f.wan1.requests.size());
  STRCMP_EQUAL("sip:203.0.113.10:5060", f.wan0.requests[0].target.c_str());
  f.now += ms(5000);
  f.mon.poll();  // still in flight: nothing new
  LONGS_EQUAL(1, f.wan0.requests.size());
  f.wan0.answer(ProbeOutcome::ok, 200);
  f.wan1.answer(ProbeOutcome::ok, 200);
  // up after 1 success: next probe one interval after the send (t = 1 s + 10 s).
  CHECK_TRUE(f.mon.next_due() == ms(11000));
  f.now = ms(10999);
  f.mon.poll();
  LONGS_EQUAL(0, f.wan0.requests.size());
  f.now = ms(11000);
  f.mon.poll();
  LONGS_EQUAL(1, f.wan0.requests.size());
  LONGS_EQUAL(1, f.wan1.requests.size());
}

TEST(TrunkMonitor, UplinksHaveIndependentStatesAndTransitionsReachTheListener) {
  Fixture f;
  f.mon.poll();
  f.wan0.answer(ProbeOutcome::ok, 200);
  f.wan1.answer(ProbeOutcome::ok, 200);
  LONGS_EQUAL(2, f.seen.size());
  CHECK_TRUE(f.seen[0].transition);
  STRCMP_EQUAL("up", f.seen[0].to.c_str());
  STRCMP_EQUAL("wan0", f.seen[0].uplink.c_str());
  // wan1 goes down (two timeouts at the retry pace), wan0 stays up.
  for (int i = 0; i < 2; ++i) {
    f.now += ms(10000);
    f.mon.poll();
    f.wan0.answer(ProbeOutcome::ok, 200);
    f.wan1.answer(ProbeOutcome::timeout);
  }
  STRCMP_EQUAL("up", trunk_state_name(f.mon.health("carrierA", "wan0")->state()));
  STRCMP_EQUAL("down", trunk_state_name(f.mon.health("carrierA", "wan1")->state()));
  const Seen& last = f.seen.back();
  STRCMP_EQUAL("wan1", last.uplink.c_str());
  CHECK_TRUE(last.transition);
  STRCMP_EQUAL("down", last.to.c_str());
  CHECK_TRUE(f.mon.trunk_usable("carrierA"));  // still through wan0
  CHECK_FALSE(f.mon.trunk_usable("carrierB"));
  // wan1 down: probed at the retry pace (1 s), wan0 at the interval.
  TimeNs next_wan1 = f.mon.health("carrierA", "wan1")->next_probe();
  TimeNs next_wan0 = f.mon.health("carrierA", "wan0")->next_probe();
  CHECK_TRUE(next_wan1 == f.now + ms(1000));
  CHECK_TRUE(next_wan0 == f.now + ms(10000));
  CHECK_TRUE(f.mon.next_due() == next_wan1);
}

TEST(TrunkMonitor, SendFailureCountsAsAFailedProbe) {
  Fixture f;
  f.wan0.refuse = true;
  f.mon.poll();
  f.now += ms(1000);
  f.mon.poll();
  LONGS_EQUAL(2, f.mon.send_failures());
  STRCMP_EQUAL("down", trunk_state_name(f.mon.health("carrierA", "wan0")->state()));
  LONGS_EQUAL(2, f.mon.health("carrierA", "wan0")->outcome_count(ProbeOutcome::unreachable));
}

TEST(TrunkMonitor, JsonViewForTheConsole) {
  Fixture f;
  f.mon.poll();
  f.wan0.answer(ProbeOutcome::ok, 200);
  f.wan1.answer(ProbeOutcome::overloaded, 503);
  f.now += ms(2500);
  nlohmann::json j = monitor_json(f.mon, f.now);
  LONGS_EQUAL(2, j.size());
  STRCMP_EQUAL("carrierA", j[0]["trunk"].get<std::string>().c_str());
  STRCMP_EQUAL("wan0", j[0]["uplink"].get<std::string>().c_str());
  STRCMP_EQUAL("up", j[0]["state"].get<std::string>().c_str());
  CHECK_TRUE(j[0]["usable"].get<bool>());
  LONGS_EQUAL(200, j[0]["last"]["status"].get<int>());
  DOUBLES_EQUAL(3.0, j[0]["last"]["rtt_ms"].get<double>(), 1e-9);
  DOUBLES_EQUAL(2.5, j[0]["for_s"].get<double>(), 1e-9);
  LONGS_EQUAL(1, j[0]["outcomes"]["ok"].get<int>());
  CHECK_FALSE(j[0].contains("last_failure"));
  STRCMP_EQUAL("unknown", j[1]["state"].get<std::string>().c_str());
  STRCMP_EQUAL("overloaded", j[1]["last_failure"].get<std::string>().c_str());
  LONGS_EQUAL(1, j[1]["failures"].get<int>());
}

TEST(TrunkMonitor, RemovedPairIsNotTouchedByTheAnswerOfItsProbeInFlight) {
  Fixture f;
  f.mon.poll();
  CHECK_TRUE(f.mon.remove("carrierA", "wan0"));
  CHECK_FALSE(f.mon.remove("carrierA", "wan0"));
  LONGS_EQUAL(1, f.mon.size());
  CHECK_TRUE(f.mon.health("carrierA", "wan0") == nullptr);
  f.wan0.answer(ProbeOutcome::ok, 200);  // the removed pair's probe: ignored
  LONGS_EQUAL(0, f.seen.size());
  // Added again (a changed trunk): a fresh pair, probed at once.
  CHECK_TRUE(f.mon.add({"carrierA", "wan0", "sip:203.0.113.11:5060", {}}));
  f.mon.poll();
  LONGS_EQUAL(1, f.wan0.requests.size());
  STRCMP_EQUAL("sip:203.0.113.11:5060", f.wan0.requests[0].target.c_str());
  f.wan0.answer(ProbeOutcome::ok, 200);
  LONGS_EQUAL(1, f.seen.size());
  STRCMP_EQUAL("wan0", f.seen[0].uplink.c_str());
}

TEST(TrunkMonitor, RemovedUplinkTakesItsPairsAndItsProber) {
  Fixture f;
  f.mon.poll();
  f.mon.remove_uplink("wan1");
  LONGS_EQUAL(1, f.mon.size());
  CHECK_TRUE(f.mon.health("carrierA", "wan1") == nullptr);
  std::string error;
  CHECK_FALSE(f.mon.add({"carrierB", "wan1", "sip:203.0.113.10", {}}, &error));
  CHECK_TRUE(error.find("unknown uplink wan1") != std::string::npos);
  f.wan1.answer(ProbeOutcome::timeout);
  f.wan0.answer(ProbeOutcome::ok, 200);
  LONGS_EQUAL(1, f.seen.size());
  STRCMP_EQUAL("wan0", f.seen[0].uplink.c_str());
}
