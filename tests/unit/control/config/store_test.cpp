#include "control/config/store.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "control/config/atomic_file.hpp"

// CppUTest last: its leak detector redefines new.
#include <CppUTest/TestHarness.h>

using namespace tg::config;

namespace {

const char* kBase =
    "# lab\n"
    "[box]\n"
    "rollback_keep = 2\n"
    "[uplink.wan0]\n"
    "role = wan\n"
    "device = wan0\n"
    "address = 198.51.100.2/28\n"
    "gateway = 198.51.100.1\n"
    "probe_targets = 203.0.113.10\n"
    "priority = 1\n"
    "[thresholds]\n"
    "rtt_ms = 100\n";

std::string slurp(const std::string& path) {
  std::string out, why;
  read_file(path, out, why);
  return out;
}

}  // namespace

TEST_GROUP(Store) {
  std::string dir, conf;
  ConfigStore store;
  void setup() override {
    char tmpl[] = "/tmp/tg-config-test.XXXXXX";
    dir = mkdtemp(tmpl);
    conf = dir + "/trunkguard.conf";
    std::string why;
    CHECK(write_file_atomically(conf, kBase, why));
    auto r = store.open({conf, dir + "/history", {}});
    CHECK_TRUE_TEXT(r.ok(), r.error_text().c_str());
  }
  void teardown() override {
    std::string cmd = "rm -rf '" + dir + "'";
    CHECK(std::system(cmd.c_str()) == 0);
  }
};

TEST(Store, OpenRecordsTheRunningConfigAsEntryZero) {
  auto h = store.history();
  LONGS_EQUAL(1, h.size());
  LONGS_EQUAL(0, h[0].index);
  STRCMP_EQUAL("startup", h[0].user.c_str());
  STRCMP_EQUAL(kBase, slurp(h[0].path).c_str());
  CHECK_FALSE(store.candidate_changed());
  STRCMP_EQUAL("", store.diff().c_str());
}

TEST(Store, SetThenCommitWritesFileAndSwapsRunning) {
  CHECK_FALSE(store.set("thresholds", "rtt_ms", "80"));
  CHECK(store.candidate_changed());
  LONGS_EQUAL(100, store.running().thresholds.rtt_ms);  // not applied before commit
  STRCMP_EQUAL(
      "--- running\n+++ candidate\n@@ -9,4 +9,4 @@\n probe_targets = 203.0.113.10\n priority = 1\n [thresholds]\n"
      "-rtt_ms = 100\n+rtt_ms = 80\n",
      store.diff().c_str());
  auto c = store.commit("alice", "tighter RTT", 1700000000);
  CHECK(c.ok);
  CHECK(c.changed);
  LONGS_EQUAL(80, store.running().thresholds.rtt_ms);
  STRCMP_CONTAINS("rtt_ms = 80\n", slurp(conf).c_str());
  CHECK(access((conf + ".tmp." + std::to_string(getpid())).c_str(), F_OK) != 0);  // temp file gone
  auto h = store.history();
  LONGS_EQUAL(2, h.size());
  STRCMP_EQUAL("alice", h[0].user.c_str());
  STRCMP_EQUAL("tighter RTT", h[0].comment.c_str());
  LONGS_EQUAL(1700000000, h[0].time);
  CHECK_FALSE(store.candidate_changed());
}

TEST(Store, EditsAreCheckedAgainstTheSchema) {
  std::string before = store.candidate_text();
  STRCMP_EQUAL("rtt_ms: must be 1..10000, got 0", store.set("thresholds", "rtt_ms", "0")->c_str());
  STRCMP_CONTAINS("unknown option 'rtt' in [thresholds]", store.set("thresholds", "rtt", "5")->c_str());
  STRCMP_CONTAINS("section [thresh]: unknown section", store.set("thresh", "rtt_ms", "5")->c_str());
  STRCMP_EQUAL("no option 'mos' in [thresholds] of the candidate", store.remove("thresholds", "mos")->c_str());
  STRCMP_EQUAL("no section [trunk.x] in the candidate", store.remove("trunk.x", std::nullopt)->c_str());
  STRCMP_EQUAL(before.c_str(), store.candidate_text().c_str());
}

TEST(Store, InvalidCandidateIsRejectedWholeAndNothingChanges) {
  CHECK_FALSE(store.set("thresholds", "rtt_ms", "90"));
  CHECK(store.remove("uplink.wan0", "priority") == std::nullopt);
  auto c = store.commit("bob", "", 1);
  CHECK_FALSE(c.ok);
  LONGS_EQUAL(1, c.errors.size());
  STRCMP_EQUAL("candidate:4: [uplink.wan0] needs priority (lower is preferred; unique per uplink)",
               c.errors[0].str().c_str());
  STRCMP_EQUAL(kBase, slurp(conf).c_str());
  LONGS_EQUAL(100, store.running().thresholds.rtt_ms);
  LONGS_EQUAL(1, store.history().size());
  CHECK(store.candidate_changed());  // the edits stay for the operator to fix
}

TEST(Store, UnchangedCommitWritesNothing) {
  auto c = store.commit("bob", "", 1);
  CHECK(c.ok);
  CHECK_FALSE(c.changed);
  LONGS_EQUAL(1, store.history().size());
}

TEST(Store, RollbackLoadsAnOldConfigIntoTheCandidate) {
  store.set("thresholds", "rtt_ms", "80");
  CHECK(store.commit("a", "80", 1).ok);
  store.set("thresholds", "rtt_ms", "70");
  CHECK(store.commit("a", "70", 2).ok);
  LONGS_EQUAL(70, store.running().thresholds.rtt_ms);
  CHECK_FALSE(store.rollback(2));
  STRCMP_EQUAL(kBase, store.candidate_text().c_str());
  LONGS_EQUAL(70, store.running().thresholds.rtt_ms);  // only after commit
  CHECK(store.commit("a", "rollback 2", 3).ok);
  LONGS_EQUAL(100, store.running().thresholds.rtt_ms);
  STRCMP_EQUAL(kBase, slurp(conf).c_str());
}

TEST(Store, HistoryIsBoundedByRollbackKeep) {
  for (int rtt = 81; rtt <= 85; ++rtt) {
    store.set("thresholds", "rtt_ms", std::to_string(rtt));
    CHECK(store.commit("a", "", rtt).ok);
  }
  auto h = store.history();
  LONGS_EQUAL(3, h.size());  // running + rollback_keep = 2
  STRCMP_CONTAINS("rtt_ms = 83", slurp(h[2].path).c_str());
  STRCMP_CONTAINS("no configuration 3 in the history (0..2 kept)", store.rollback(3)->c_str());
  STRCMP_CONTAINS("no configuration -1", store.rollback(-1)->c_str());
}

TEST(Store, DiscardRestoresTheRunningText) {
  store.set("box", "name", "edge-7");
  store.discard();
  CHECK_FALSE(store.candidate_changed());
}

TEST(Store, ReloadRejectsABadFileAndKeepsRunning) {
  std::string why;
  CHECK(write_file_atomically(conf, std::string(kBase) + "rtt = 5\n", why));
  auto r = store.reload("sighup", 5);
  CHECK_FALSE(r.ok());
  STRCMP_CONTAINS(":13: unknown option 'rtt' in [thresholds]", r.error_text().c_str());
  STRCMP_EQUAL(kBase, store.running_text().c_str());

  std::string good = std::string(kBase) + "mos = 3.9\n";
  CHECK(write_file_atomically(conf, good, why));
  CHECK(store.reload("sighup", 6).ok());
  DOUBLES_EQUAL(3.9, store.running().thresholds.mos, 1e-9);
  STRCMP_EQUAL(good.c_str(), store.candidate_text().c_str());
  LONGS_EQUAL(2, store.history().size());
}

TEST(Store, ReopenContinuesTheHistory) {
  store.set("thresholds", "rtt_ms", "80");
  CHECK(store.commit("a", "", 1).ok);
  ConfigStore again;
  CHECK(again.open({conf, dir + "/history", {}}).ok());
  LONGS_EQUAL(2, again.history().size());  // same text: not recorded twice
  LONGS_EQUAL(80, again.running().thresholds.rtt_ms);
}

TEST(Store, CommitFailsCleanlyWhenTheFileCannotBeWritten) {
  if (geteuid() == 0) {
    // root ignores directory permissions; make the target a directory instead.
    std::string sub = dir + "/sub";
    mkdir(sub.c_str(), 0755);
    std::string why;
    CHECK(write_file_atomically(sub + "/c.conf", kBase, why));
    ConfigStore s;
    CHECK(s.open({sub + "/c.conf", dir + "/h2", {}}).ok());
    rename((sub + "/c.conf").c_str(), (sub + "/moved").c_str());
    mkdir((sub + "/c.conf").c_str(), 0755);
    s.set("thresholds", "rtt_ms", "80");
    auto c = s.commit("a", "", 1);
    CHECK_FALSE(c.ok);
    STRCMP_CONTAINS("rename to", c.io_error.c_str());
    LONGS_EQUAL(100, s.running().thresholds.rtt_ms);
  } else {
    chmod(dir.c_str(), 0500);
    store.set("thresholds", "rtt_ms", "80");
    auto c = store.commit("a", "", 1);
    chmod(dir.c_str(), 0700);
    CHECK_FALSE(c.ok);
    LONGS_EQUAL(100, store.running().thresholds.rtt_ms);
  }
}

TEST_GROUP(Diff){};

TEST(Diff, HunksWithContext) {
  std::string a, b;
  for (int i = 1; i <= 20; ++i) a += "l" + std::to_string(i) + "\n";
  b = a;
  b.replace(b.find("l2\n"), 3, "L2\n");
  b += "l21\n";
  STRCMP_EQUAL(
      "--- a\n+++ b\n@@ -1,5 +1,5 @@\n l1\n-l2\n+L2\n l3\n l4\n l5\n@@ -18,3 +18,4 @@\n l18\n l19\n l20\n+l21\n",
      unified_diff(a, b, "a", "b").c_str());
  STRCMP_EQUAL("", unified_diff(a, a, "a", "b").c_str());
  STRCMP_EQUAL("--- a\n+++ b\n@@ -0,0 +1,1 @@\n+x\n", unified_diff("", "x\n", "a", "b").c_str());
}

TEST(Diff, SecretsAreMasked) {
  std::string t = "[alarm.snmp]\nauth_key = s3cret-pass # k\ncommunity = public\nuser = noc\n";
  std::string m = mask_secrets(t);
  STRCMP_EQUAL("[alarm.snmp]\nauth_key = ********  # k\ncommunity = ********\nuser = noc\n", m.c_str());
}

// A file rejected at boot: the newest history entry that is still valid
// runs, the file stays on disk untouched, and the next commit replaces it.
TEST(Store, RejectedAtBootRunsTheLastGoodCommittedConfiguration) {
  CHECK_FALSE(store.set("thresholds", "rtt_ms", "80").has_value());
  CHECK_TRUE(store.commit("root", "rtt 80", 1000).ok);
  const std::string good = slurp(conf);
  std::string why;
  CHECK(write_file_atomically(conf, good + "[alarm.snmp]\nauth_key S3cretPassphrase\n", why));
  ConfigStore boot;
  CHECK_FALSE(boot.open({conf, dir + "/history", {}}).ok());
  std::string source;
  auto r = boot.open_last_good({conf, dir + "/history", {}}, source);
  CHECK_TRUE_TEXT(r.ok(), r.error_text().c_str());
  STRCMP_EQUAL(good.c_str(), boot.running_text().c_str());
  LONGS_EQUAL(80, boot.running().thresholds.rtt_ms);
  STRCMP_CONTAINS("last good configuration", source.c_str());
  STRCMP_CONTAINS("rtt 80", source.c_str());
  CHECK(slurp(conf).find("S3cret") != std::string::npos);  // left for the technician
  CHECK_FALSE(boot.set("thresholds", "rtt_ms", "90").has_value());
  CHECK_TRUE(boot.commit("root", "fixed", 2000).ok);
  CHECK(slurp(conf).find("S3cret") == std::string::npos);
  CHECK(slurp(conf).find("rtt_ms = 90") != std::string::npos);
}

TEST(Store, RejectedAtBootWithoutHistoryRunsTheFactoryDefaultsWithItsBox) {
  std::string why;
  const std::string other = dir + "/other";
  CHECK(write_file_atomically(dir + "/new.conf",
                              "[box]\nname = gw-new\nstate_dir = " + other + "\n[thresholds]\nrtt_ms = fast\n", why));
  ConfigStore boot;
  std::string source;
  auto r = boot.open_last_good({dir + "/new.conf", "", {}}, source);
  CHECK_TRUE_TEXT(r.ok(), r.error_text().c_str());
  STRCMP_CONTAINS("factory defaults", source.c_str());
  STRCMP_EQUAL("gw-new", boot.running().box.name.c_str());  // its [box] kept: reachable where expected
  STRCMP_EQUAL((other + "/config-history").c_str(), boot.history_dir().c_str());
  LONGS_EQUAL(100, boot.running().thresholds.rtt_ms);  // the default, nothing of the bad section
  CHECK_TRUE(boot.running().trunks.empty());
}
