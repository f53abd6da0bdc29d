// The plan of OPTIONS probing and the diff a configuration reload applies:
// one table row per kind of change, old config vs new config -> diff.
#include "control/daemon/trunk_probe_plan.hpp"

#include <string>
#include <vector>

// CppUTest last: its leak detector redefines new.
#include <CppUTest/TestHarness.h>

using namespace tg;
using namespace tg::controld;

namespace {

const std::string kUplinks =
    "[uplink.wan0]\nrole = wan\ndevice = wan0\ncarrier = Carrier A\naddress = 198.51.100.2/28\n"
    "gateway = 198.51.100.1\nprobe_targets = 203.0.113.10\npriority = 1\n"
    "[uplink.wan1]\nrole = wan\ndevice = wan1\ncarrier = Carrier B\naddress = 198.51.100.18/28\n"
    "gateway = 198.51.100.17\nprobe_targets = 203.0.113.10\npriority = 2\n";

// carrierA over both uplinks; `extra` lines go into its section.
std::string trunk_a(const std::string& extra = "") {
  return "[trunk.carrierA]\ndescription = Carrier A trunk\nsbc_address = 203.0.113.10\n"
         "options_interval_ms = 1000\noptions_timeout_ms = 500\ndown_after = 2\nup_after = 2\n" +
         extra;
}
std::string trunk_b(const std::string& extra = "") {
  return "[trunk.carrierB]\nsbc_address = 203.0.113.11\noptions_timeout_ms = 500\n" + extra;
}

std::string edit(std::string s, const std::string& from, const std::string& to) {
  auto at = s.find(from);
  CHECK_TRUE_TEXT(at != std::string::npos, from.c_str());
  return s.replace(at, from.size(), to);
}

ProbePlan plan_of(const std::string& text) {
  auto loaded = config::load_config(text, "t.conf");
  CHECK_TRUE_TEXT(loaded.ok(), loaded.error_text().c_str());
  return probe_plan(*loaded.config);
}

std::string keys(const std::vector<ProbeKey>& v) {
  std::string s;
  for (const auto& [t, u] : v) s += (s.empty() ? "" : " ") + t + "/" + u;
  return s;
}
std::string names(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& n : v) s += (s.empty() ? "" : " ") + n;
  return s;
}

struct Row {
  const char* what;
  std::string from, to;
  // Expected, as space-separated lists ("" = none).
  const char* pairs_added;
  const char* pairs_removed;
  const char* pairs_changed;
  const char* pairs_kept;
  const char* trunks_added;
  const char* trunks_removed;
  const char* agents_rebound;
  const char* agents_retimed;
  const char* agents_added_removed;  // "+lte -wan1"
};

}  // namespace

TEST_GROUP(TrunkProbePlan){};

TEST(TrunkProbePlan, PlanHasOneAgentPerAddressedUplinkAndOnePairPerTrunkUplink) {
  ProbePlan p = plan_of(kUplinks + trunk_a() + edit(trunk_b("uplinks = wan1\n"), "= 500", "= 900"));
  LONGS_EQUAL(2, p.agents.size());
  STRCMP_EQUAL("198.51.100.2", p.agent("wan0")->bind_address.c_str());
  // The agent's timeout is the longest of the trunks over it.
  CHECK_TRUE(p.agent("wan0")->timeout == 500 * probe::kNsPerMs);
  CHECK_TRUE(p.agent("wan1")->timeout == 900 * probe::kNsPerMs);
  LONGS_EQUAL(3, p.pairs.size());
  const ProbePairPlan* a0 = p.pair("carrierA", "wan0");
  CHECK_TRUE(a0 != nullptr);
  STRCMP_EQUAL("sip:203.0.113.10:5060", a0->spec.target.c_str());
  LONGS_EQUAL(2, a0->spec.health.down_after);
  CHECK_TRUE(a0->spec.health.interval == 1000 * probe::kNsPerMs);
  CHECK_TRUE(p.pair("carrierB", "wan0") == nullptr);
  CHECK_TRUE(p.probes("carrierB"));
  // A disabled uplink has no agent and no pairs.
  ProbePlan q = plan_of(kUplinks + "enabled = false\n" + trunk_a());
  LONGS_EQUAL(1, q.agents.size());
  CHECK_TRUE(q.pair("carrierA", "wan1") == nullptr);
}

TEST(TrunkProbePlan, DiffTable) {
  const std::string base = kUplinks + trunk_a();
  const std::string both = kUplinks + trunk_a() + trunk_b();
  const std::string wan1_moved = edit(kUplinks, "198.51.100.18/28", "198.51.100.19/28");
  const std::string wan0_only = kUplinks.substr(0, kUplinks.find("[uplink.wan1]"));
  const std::vector<Row> rows = {
      {"unchanged", base, base, "", "", "", "carrierA/wan0 carrierA/wan1", "", "", "", "", ""},
      {"description only: not a probing parameter", base,
       kUplinks + edit(trunk_a(), "Carrier A trunk", "Carrier A, new label"), "", "", "", "carrierA/wan0 carrierA/wan1",
       "", "", "", "", ""},
      {"trunk added", base, both, "carrierB/wan0 carrierB/wan1", "", "", "carrierA/wan0 carrierA/wan1", "carrierB", "",
       "", "", ""},
      {"trunk removed", both, kUplinks + trunk_b(), "", "carrierA/wan0 carrierA/wan1", "",
       "carrierB/wan0 carrierB/wan1", "", "carrierA", "", "", ""},
      {"SBC address", base, kUplinks + edit(trunk_a(), "203.0.113.10", "203.0.113.12"), "", "",
       "carrierA/wan0 carrierA/wan1", "", "", "", "", "", ""},
      {"SBC port", base, kUplinks + trunk_a("sbc_port = 5080\n"), "", "", "carrierA/wan0 carrierA/wan1", "", "", "", "",
       "", ""},
      {"transport", base, kUplinks + trunk_a("transport = tcp\n"), "", "", "carrierA/wan0 carrierA/wan1", "", "", "",
       "", "", ""},
      {"interval", base, kUplinks + edit(trunk_a(), "interval_ms = 1000", "interval_ms = 2000"), "", "",
       "carrierA/wan0 carrierA/wan1", "", "", "", "", "", ""},
      {"timeout: pairs re-created, agents kept with the new timeout", base,
       kUplinks + edit(trunk_a(), "timeout_ms = 500", "timeout_ms = 800"), "", "", "carrierA/wan0 carrierA/wan1", "",
       "", "", "", "wan0 wan1", ""},
      {"down_after", base, kUplinks + edit(trunk_a(), "down_after = 2", "down_after = 4"), "", "",
       "carrierA/wan0 carrierA/wan1", "", "", "", "", "", ""},
      {"up_after", base, kUplinks + edit(trunk_a(), "up_after = 2", "up_after = 3"), "", "",
       "carrierA/wan0 carrierA/wan1", "", "", "", "", "", ""},
      {"uplinks list narrowed", base, kUplinks + trunk_a("uplinks = wan0\n"), "", "carrierA/wan1", "", "carrierA/wan0",
       "", "", "", "wan1", ""},
      {"uplinks list widened", kUplinks + trunk_a("uplinks = wan0\n"), base, "carrierA/wan1", "", "", "carrierA/wan0",
       "", "", "", "wan1", ""},
      {"one trunk changed, the other kept", both,
       kUplinks + edit(trunk_a(), "down_after = 2", "down_after = 5") + trunk_b(), "", "",
       "carrierA/wan0 carrierA/wan1", "carrierB/wan0 carrierB/wan1", "", "", "", "", ""},
      {"uplink address: agent rebound, its pairs re-created, the others kept", base, wan1_moved + trunk_a(), "", "",
       "carrierA/wan1", "carrierA/wan0", "", "", "wan1", "", ""},
      {"uplink removed", base, wan0_only + trunk_a(), "", "carrierA/wan1", "", "carrierA/wan0", "", "", "", "",
       "-wan1"},
      {"uplink disabled", base, kUplinks + "enabled = false\n" + trunk_a(), "", "carrierA/wan1", "", "carrierA/wan0",
       "", "", "", "", "-wan1"},
      {"uplink enabled again", kUplinks + "enabled = false\n" + trunk_a(), base, "carrierA/wan1", "", "",
       "carrierA/wan0", "", "", "", "", "+wan1"},
  };
  for (const Row& r : rows) {
    ProbePlanDiff d = diff_probe_plans(plan_of(r.from), plan_of(r.to));
    std::string agents;
    for (const auto& a : d.agents_added) agents += (agents.empty() ? "+" : " +") + a;
    for (const auto& a : d.agents_removed) agents += (agents.empty() ? "-" : " -") + a;
    std::string got = keys(d.pairs_added) + "|" + keys(d.pairs_removed) + "|" + keys(d.pairs_changed) + "|" +
                      keys(d.pairs_kept) + "|" + names(d.trunks_added) + "|" + names(d.trunks_removed) + "|" +
                      names(d.agents_rebound) + "|" + names(d.agents_retimed) + "|" + agents;
    std::string want = std::string(r.pairs_added) + "|" + r.pairs_removed + "|" + r.pairs_changed + "|" + r.pairs_kept +
                       "|" + r.trunks_added + "|" + r.trunks_removed + "|" + r.agents_rebound + "|" + r.agents_retimed +
                       "|" + r.agents_added_removed;
    STRCMP_EQUAL_TEXT(want.c_str(), got.c_str(), r.what);
    // Nothing to do exactly when every pair is kept and no agent moves.
    CHECK_EQUAL_TEXT(std::string(r.what).rfind("unchanged", 0) == 0 || std::string(r.what).rfind("description", 0) == 0,
                     d.empty(), r.what);
  }
}

TEST(TrunkProbePlan, SummaryForTheLog) {
  ProbePlanDiff d =
      diff_probe_plans(plan_of(kUplinks + trunk_a() + trunk_b()), plan_of(kUplinks + trunk_b("down_after = 4\n")));
  STRCMP_EQUAL("trunks -carrierA; pairs +0 -2 ~2 =0", d.summary().c_str());
}

TEST(TrunkProbePlan, Ipv6SbcIsBracketedInTheTarget) {
  config::TrunkConfig t;
  t.sbc_address = "2001:db8::10";
  t.sbc_port = 5060;
  STRCMP_EQUAL("sip:[2001:db8::10]:5060", options_target(t).c_str());
}
