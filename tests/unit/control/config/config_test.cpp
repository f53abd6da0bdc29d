#include "control/config/config.hpp"

// CppUTest last: its leak detector redefines new.
#include <CppUTest/TestHarness.h>


using namespace tg::config;

namespace {

const char* kMinimal =
    "[uplink.wan0]\n"                      // 1
    "role = wan\n"                         // 2
    "device = wan0\n"                      // 3
    "address = 198.51.100.2/28\n"          // 4
    "gateway = 198.51.100.1\n"             // 5
    "probe_targets = 203.0.113.10\n"       // 6
    "priority = 1\n"                       // 7
    "[trunk.carrierA]\n"                   // 8
    "sbc_address = 203.0.113.10\n";        // 9

std::string errors_of(const LoadResult& r) { return r.error_text(); }

}  // namespace

TEST_GROUP(Config){};

TEST(Config, MinimalFileGetsIssueDefaults) {
  auto r = load_config(kMinimal, "t.conf");
  CHECK_TRUE_TEXT(r.ok(), errors_of(r).c_str());
  const Config& c = *r.config;
  LONGS_EQUAL(150, c.thresholds.one_way_delay_ms);
  LONGS_EQUAL(100, c.thresholds.rtt_ms);
  DOUBLES_EQUAL(3.6, c.thresholds.mos, 1e-9);
  DOUBLES_EQUAL(1.0, c.thresholds.loss_percent, 1e-9);
  // Switch levels apart from the alarm levels, above ordinary impairment.
  DOUBLES_EQUAL(10.0, c.thresholds.switch_loss_percent, 1e-9);
  LONGS_EQUAL(200, c.thresholds.switch_rtt_ms);
  DOUBLES_EQUAL(3.1, c.thresholds.switch_mos, 1e-9);
  LONGS_EQUAL(1, c.uplinks.size());
  STRCMP_EQUAL("198.51.100.2", c.uplinks[0].address.c_str());
  LONGS_EQUAL(28, c.uplinks[0].prefix);
  // The fast path's probe timing: 10 ms rounds answered within 100 ms.
  LONGS_EQUAL(10, c.uplinks[0].probe_interval_ms);
  LONGS_EQUAL(100, c.uplinks[0].probe_timeout_ms);
  LONGS_EQUAL(8, c.timers.miss_count);
  const TrunkConfig* t = c.trunk("carrierA");
  CHECK(t);
  LONGS_EQUAL(5060, t->sbc_port);
  STRCMP_EQUAL("203.0.113.10", t->domain.c_str());
  LONGS_EQUAL(1, t->uplinks.size());  // all uplinks by default
  STRCMP_EQUAL("wan0", t->uplinks[0].c_str());
  STRCMP_EQUAL("/run/trunkguard/mgmt.sock", c.box.mgmt_socket.c_str());
  STRCMP_EQUAL("tgadmin", c.box.admin_group.c_str());
  CHECK_FALSE(c.snmp.enabled);
  STRCMP_EQUAL("/var/lib/trunkguard/store.db", c.store.path.c_str());  // under state_dir
  Override sd{"box", "state_dir", "/tmp/x"};
  auto moved = load_config(kMinimal, "t.conf", {sd});
  STRCMP_EQUAL("/tmp/x/store.db", moved.config->store.path.c_str());
}

TEST(Config, ShippedExampleForTheVirtualBoardIsValid) {
  auto r = load_config_file("board/virtual/trunkguard.conf");
  CHECK_TRUE_TEXT(r.ok(), errors_of(r).c_str());
  LONGS_EQUAL(3, r.config->uplinks.size());
  STRCMP_EQUAL("lte", r.config->uplinks[2].name.c_str());
  STRCMP_EQUAL("Carrier A", r.config->uplinks[0].carrier.c_str());
  LONGS_EQUAL(3, r.config->trunk("carrierA")->uplinks.size());
}

TEST(Config, EveryBadValueIsReportedWithItsLineInOnePass) {
  std::string text = std::string(kMinimal) +
                     "sbc_port = 70000\n"        // 10
                     "transport = sctp\n"        // 11
                     "[thresholds]\n"            // 12
                     "mos = high\n"              // 13
                     "rtt_ms = 80\n"             // 14
                     "colour = blue\n"           // 15
                     "[trunks.x]\n"              // 16
                     "a = b\n";                  // 17
  auto r = load_config(text, "t.conf");
  CHECK_FALSE(r.ok());
  CHECK_FALSE(r.config.has_value());
  std::string e = errors_of(r);
  LONGS_EQUAL(5, r.errors.size());
  STRCMP_CONTAINS("t.conf:10: sbc_port: must be 1..65535, got 70000\n", e.c_str());
  STRCMP_CONTAINS("t.conf:11: transport: must be one of udp|tcp|tls, got 'sctp'\n", e.c_str());
  STRCMP_CONTAINS("t.conf:13: mos: expected a number, got 'high'\n", e.c_str());
  STRCMP_CONTAINS("t.conf:15: unknown option 'colour' in [thresholds]", e.c_str());
  STRCMP_CONTAINS("t.conf:16: section [trunks.x]: unknown section", e.c_str());
  LONGS_EQUAL(10, r.errors[0].where.line);  // sorted by line
}

TEST(Config, MissingRequiredOptionPointsAtTheSection) {
  auto r = load_config("[uplink.wan0]\nrole = wan\n", "t.conf");
  CHECK_FALSE(r.ok());
  STRCMP_CONTAINS("t.conf:1: [uplink.wan0] needs device", errors_of(r).c_str());
  STRCMP_CONTAINS("t.conf:1: [uplink.wan0] needs priority", errors_of(r).c_str());
}

TEST(Config, CrossFieldChecks) {
  std::string text = std::string(kMinimal) +
                     "options_interval_ms = 1000\n"    // 10
                     "options_timeout_ms = 2000\n"     // 11
                     "uplinks = wan0, wan1\n"          // 12
                     "[uplink.wan1]\n"                 // 13
                     "role = wan\n"                    // 14
                     "device = wan0\n"                 // 15
                     "address = 198.51.100.18/28\n"    // 16
                     "gateway = 198.51.100.1\n"        // 17
                     "probe_targets = 203.0.113.10\n"  // 18
                     "priority = 1\n";                 // 19
  auto r = load_config(text, "t.conf");
  std::string e = errors_of(r);
  CHECK_FALSE(r.ok());
  STRCMP_CONTAINS("t.conf:11: options_timeout_ms (2000) must be shorter than options_interval_ms (1000)", e.c_str());
  STRCMP_CONTAINS("t.conf:15: device 'wan0' already used by uplink wan0", e.c_str());
  STRCMP_CONTAINS("t.conf:17: gateway 198.51.100.1 is outside 198.51.100.18/28", e.c_str());
  STRCMP_CONTAINS("t.conf:19: priority 1 already used by uplink wan0", e.c_str());
}

TEST(Config, LteProbesSlowerByDefault) {
  std::string text = std::string(kMinimal) +
                     "[uplink.lte]\n"                  // 10
                     "role = lte\n"                    // 11
                     "device = lte\n"                  // 12
                     "address = 198.51.100.34/28\n"    // 13
                     "gateway = 198.51.100.33\n"       // 14
                     "probe_targets = 203.0.113.10\n"  // 15
                     "priority = 3\n";                 // 16
  auto r = load_config(text, "t.conf");
  CHECK_TRUE_TEXT(r.ok(), errors_of(r).c_str());
  LONGS_EQUAL(100, r.config->uplink("lte")->probe_interval_ms);
  LONGS_EQUAL(500, r.config->uplink("lte")->probe_timeout_ms);
  LONGS_EQUAL(10, r.config->uplink("wan0")->probe_interval_ms);
  // Given values win over the role's defaults.
  auto given = load_config(text + "probe_interval_ms = 50\n", "t.conf");
  CHECK_TRUE_TEXT(given.ok(), errors_of(given).c_str());
  LONGS_EQUAL(50, given.config->uplink("lte")->probe_interval_ms);
  LONGS_EQUAL(500, given.config->uplink("lte")->probe_timeout_ms);
}

// One rule for probe timing, the fast path's (api::check_timers, dataplane/api/timers.hpp): what
// it would refuse as a set_timers command is refused here, at the key.
TEST(Config, TimersFollowTheFastPathsRule) {
  auto with = [](const std::string& extra) { return load_config(std::string(kMinimal) + extra, "t.conf"); };
  // Insert into [uplink.wan0] (lines 1-7) by appending a second section body.
  auto uplink = [&](const std::string& lines) {
    std::string text = kMinimal;
    text.insert(text.find("[trunk.carrierA]"), lines);
    return load_config(text, "t.conf");
  };
  auto ok = uplink("probe_interval_ms = 20\nprobe_timeout_ms = 20\n");  // equal: allowed
  CHECK_TRUE_TEXT(ok.ok(), errors_of(ok).c_str());
  auto shorter = uplink("probe_interval_ms = 100\nprobe_timeout_ms = 80\n");  // lines 8, 9
  CHECK_FALSE(shorter.ok());
  STRCMP_EQUAL("t.conf:9: probe_timeout_ms: probe_interval_ms = 100, probe_timeout_ms = 80: the fast path refuses "
               "it: probe_timeout must be >= probe_interval\n",
               errors_of(shorter).c_str());
  auto too_many = uplink("probe_interval_ms = 10\nprobe_timeout_ms = 630\n");
  STRCMP_CONTAINS("t.conf:9: probe_timeout_ms: ", errors_of(too_many).c_str());
  STRCMP_CONTAINS("probe_timeout / probe_interval must be < 63", errors_of(too_many).c_str());
  CHECK_TRUE(uplink("probe_interval_ms = 10\nprobe_timeout_ms = 620\n").ok());
  // [timers] keys map back from the fast path's names.
  auto hd = with("[timers]\nholddown_base_ms = 9000\nholddown_max_ms = 8000\n");  // 10-12
  STRCMP_EQUAL("t.conf:12: holddown_max_ms: the fast path refuses it: holddown_max must be >= holddown_initial\n",
               errors_of(hd).c_str());
}

TEST(Config, SwitchLevelsMayNotBeBelowAlarmLevels) {
  auto r = load_config(std::string(kMinimal) +
                           "[thresholds]\n"               // 10
                           "loss_percent = 2\n"           // 11
                           "switch_loss_percent = 1.5\n"  // 12
                           "switch_rtt_ms = 50\n"         // 13
                           "switch_mos = 3.8\n",          // 14
                       "t.conf");
  STRCMP_EQUAL("t.conf:12: switch_loss_percent (1.5) is below the alarm level loss_percent (2)\n"
               "t.conf:13: switch_rtt_ms (50) is below the alarm level rtt_ms (100)\n"
               "t.conf:14: switch_mos (3.8) is above the alarm level mos (3.6)\n",
               errors_of(r).c_str());
  auto ok = load_config(std::string(kMinimal) + "[thresholds]\nswitch_loss_percent = 5\n", "t.conf");
  CHECK_TRUE_TEXT(ok.ok(), errors_of(ok).c_str());
  DOUBLES_EQUAL(5.0, ok.config->thresholds.switch_loss_percent, 1e-9);
}

TEST(Config, TrunkStatsDefaultsAndValues) {
  auto d = load_config(kMinimal, "t.conf");
  CHECK_TRUE_TEXT(d.ok(), errors_of(d).c_str());
  LONGS_EQUAL(15, d.config->trunk_stats.window_min);
  DOUBLES_EQUAL(30.0, d.config->trunk_stats.congestion_raise_percent, 1e-9);
  DOUBLES_EQUAL(15.0, d.config->trunk_stats.congestion_clear_percent, 1e-9);
  LONGS_EQUAL(10, d.config->trunk_stats.congestion_min_calls);
  auto r = load_config(std::string(kMinimal) +
                           "[trunk_stats]\n"
                           "window_min = 5\n"
                           "congestion_raise_percent = 40.5\n"
                           "congestion_clear_percent = 20\n"
                           "congestion_min_calls = 3\n",
                       "t.conf");
  CHECK_TRUE_TEXT(r.ok(), errors_of(r).c_str());
  LONGS_EQUAL(5, r.config->trunk_stats.window_min);
  DOUBLES_EQUAL(40.5, r.config->trunk_stats.congestion_raise_percent, 1e-9);
  DOUBLES_EQUAL(20.0, r.config->trunk_stats.congestion_clear_percent, 1e-9);
  LONGS_EQUAL(3, r.config->trunk_stats.congestion_min_calls);
  Override o{"trunk_stats", "window_min", "60"};
  auto over = load_config(kMinimal, "t.conf", {o});
  CHECK_TRUE_TEXT(over.ok(), errors_of(over).c_str());
  LONGS_EQUAL(60, over.config->trunk_stats.window_min);
}

TEST(Config, TrunkStatsRangesAreCheckedAtTheirLines) {
  auto r = load_config(std::string(kMinimal) +
                           "[trunk_stats]\n"                  // 10
                           "window_min = 0\n"                 // 11
                           "congestion_min_calls = 0\n"       // 12
                           "congestion_raise_percent = 120\n" // 13
                           "congestion_clear_percent = -1\n", // 14
                       "t.conf");
  STRCMP_EQUAL("t.conf:11: window_min: must be 1..1440, got 0\n"
               "t.conf:12: congestion_min_calls: must be 1..100000, got 0\n"
               "t.conf:13: congestion_raise_percent: must be 1..100, got 120\n"
               "t.conf:14: congestion_clear_percent: must be 0..100, got -1\n",
               errors_of(r).c_str());
  // More than 24 h.
  auto day = load_config(std::string(kMinimal) + "[trunk_stats]\nwindow_min = 1441\n", "t.conf");
  STRCMP_EQUAL("t.conf:11: window_min: must be 1..1440, got 1441\n", errors_of(day).c_str());
  auto edge = load_config(std::string(kMinimal) + "[trunk_stats]\nwindow_min = 1440\n", "t.conf");
  CHECK_TRUE_TEXT(edge.ok(), errors_of(edge).c_str());
}

TEST(Config, CongestionClearMustBeBelowRaise) {
  auto same = load_config(std::string(kMinimal) +
                              "[trunk_stats]\n"                   // 10
                              "congestion_raise_percent = 25\n"   // 11
                              "congestion_clear_percent = 25\n",  // 12
                          "t.conf");
  STRCMP_EQUAL("t.conf:12: congestion_clear_percent (25) must be below congestion_raise_percent (25)\n",
               errors_of(same).c_str());
  CHECK_FALSE(same.config.has_value());
  // Only the raise level given, under the default clear level: its line.
  auto raise = load_config(std::string(kMinimal) +
                               "[trunk_stats]\n"                 // 10
                               "window_min = 5\n"                // 11
                               "congestion_raise_percent = 10\n", // 12
                           "t.conf");
  STRCMP_EQUAL("t.conf:12: congestion_clear_percent (15) must be below congestion_raise_percent (10)\n",
               errors_of(raise).c_str());
  // From the command line: the override's origin.
  Override o{"trunk_stats", "congestion_clear_percent", "31"};
  auto cli = load_config(kMinimal, "t.conf", {o});
  STRCMP_EQUAL("command-line:1: congestion_clear_percent (31) must be below congestion_raise_percent (30)\n",
               errors_of(cli).c_str());
  auto ok = load_config(std::string(kMinimal) + "[trunk_stats]\ncongestion_clear_percent = 29.9\n", "t.conf");
  CHECK_TRUE_TEXT(ok.ok(), errors_of(ok).c_str());
}

TEST(Config, UndefinedUplinkInTrunk) {
  auto r = load_config(std::string(kMinimal) + "uplinks = wan0, lte\n", "t.conf");
  STRCMP_CONTAINS("t.conf:10: trunk carrierA uses uplink 'lte', which is not defined", errors_of(r).c_str());
}

TEST(Config, NoUplinkAtAll) {
  auto r = load_config("[thresholds]\nrtt_ms = 90\n", "t.conf");
  STRCMP_CONTAINS("t.conf:1: no [uplink.NAME] section", errors_of(r).c_str());
}

TEST(Config, SnmpAndMailConsistency) {
  std::string text = std::string(kMinimal) +
                     "[alarm.snmp]\n"            // 10
                     "enabled = true\n"          // 11
                     "version = v2c\n"           // 12
                     "[alarm.email]\n"           // 13
                     "enabled = true\n"          // 14
                     "user = noc\n";             // 15
  auto r = load_config(text, "t.conf");
  std::string e = errors_of(r);
  STRCMP_CONTAINS("t.conf:10: SNMP enabled but no targets", e.c_str());
  STRCMP_CONTAINS("t.conf:12: SNMP v2c needs a community", e.c_str());
  STRCMP_CONTAINS("t.conf:14: mail enabled but no smtp_url", e.c_str());
  STRCMP_CONTAINS("t.conf:15: SMTP user given without password", e.c_str());
}

TEST(Config, CommandLineOverridesWinAndAreCheckedToo) {
  Override o1, o2;
  std::string why;
  CHECK(parse_override("thresholds.rtt_ms=80", o1, why));
  CHECK(parse_override("trunk.carrierA.sbc_port = 5070", o2, why));
  STRCMP_EQUAL("trunk.carrierA", o2.section.c_str());
  auto r = load_config(kMinimal, "t.conf", {o1, o2});
  CHECK_TRUE_TEXT(r.ok(), errors_of(r).c_str());
  LONGS_EQUAL(80, r.config->thresholds.rtt_ms);
  LONGS_EQUAL(5070, r.config->trunk("carrierA")->sbc_port);

  Override bad;
  CHECK(parse_override("thresholds.rtt_ms=-5", bad, why));
  r = load_config(kMinimal, "t.conf", {bad});
  STRCMP_CONTAINS("command-line:1: rtt_ms: must be 1..10000, got -5", errors_of(r).c_str());
  CHECK_FALSE(parse_override("thresholds", bad, why));
  CHECK_FALSE(parse_override("rtt_ms=5", bad, why));
}

TEST(Config, OverrideIntoUnknownSectionIsAnError) {
  Override o{"nosuch", "x", "1"};
  auto r = load_config(kMinimal, "t.conf", {o});
  STRCMP_CONTAINS("command-line:1: --set nosuch.x: section [nosuch]: unknown section", errors_of(r).c_str());
}

TEST(Config, UnreadableFile) {
  auto r = load_config_file("/nonexistent/trunkguard.conf");
  STRCMP_CONTAINS("/nonexistent/trunkguard.conf:0: cannot read: No such file or directory", errors_of(r).c_str());
}

TEST(Config, TooBigIsRejected) {
  std::string text(kMaxConfigBytes + 1, '#');
  CHECK_FALSE(load_config(text, "t.conf").ok());
}
