#include "control/daemon/qos_watch.hpp"

// CppUTest last: its leak detector redefines new.
#include <CppUTest/TestHarness.h>

using namespace tg;
using namespace tg::controld;

namespace {
QosSample sample(double rtt, double loss = 0, double jitter = 1, bool measured = true) {
  return {"wan0", 0, measured, rtt, loss, jitter};
}
}  // namespace

TEST_GROUP(QosWatch) {
  QosWatch w;
  config::Thresholds t;  // rtt 100 ms, loss 1 %, jitter 30 ms, window 10 s
};

TEST(QosWatch, ViolationNeedsTheWholeWindow) {
  CHECK(w.evaluate({sample(150)}, t, 0).empty());
  CHECK(w.evaluate({sample(150)}, t, 9'999).empty());
  auto a = w.evaluate({sample(160)}, t, 10'000);
  LONGS_EQUAL(1, a.size());
  CHECK(a[0].raise);
  LONGS_EQUAL(int(QosKind::latency), int(a[0].kind));
  STRCMP_EQUAL("round-trip time 160.0 ms above 100 ms for 10 s", a[0].text.c_str());
  CHECK(w.violated("wan0", QosKind::latency));
  CHECK(w.evaluate({sample(160)}, t, 11'000).empty());  // raised once
}

TEST(QosWatch, ABriefSpikeDoesNothing) {
  w.evaluate({sample(150)}, t, 0);
  w.evaluate({sample(50)}, t, 5'000);  // dipped below: the window restarts
  CHECK(w.evaluate({sample(150)}, t, 10'000).empty());
  CHECK(w.evaluate({sample(150)}, t, 19'999).empty());
  LONGS_EQUAL(1, w.evaluate({sample(150)}, t, 20'000).size());
}

TEST(QosWatch, ClearNeedsEightyPercentForTheWindow) {
  w.evaluate({sample(150)}, t, 0);
  w.evaluate({sample(150)}, t, 10'000);
  CHECK(w.evaluate({sample(90)}, t, 11'000).empty());   // below the limit, above 80 %
  CHECK(w.evaluate({sample(90)}, t, 30'000).empty());
  CHECK(w.evaluate({sample(70)}, t, 31'000).empty());
  auto a = w.evaluate({sample(70)}, t, 41'000);
  LONGS_EQUAL(1, a.size());
  CHECK_FALSE(a[0].raise);
  STRCMP_EQUAL("round-trip time 70.0 ms back below 80 ms for 10 s", a[0].text.c_str());
}

TEST(QosWatch, LossAndJitterAreSeparateAndOnlySomeFailOver) {
  w.evaluate({sample(10, 2.5, 45)}, t, 0);
  auto a = w.evaluate({sample(10, 2.5, 45)}, t, 10'000);
  LONGS_EQUAL(2, a.size());
  LONGS_EQUAL(int(QosKind::loss), int(a[0].kind));
  LONGS_EQUAL(int(QosKind::jitter), int(a[1].kind));
  CHECK_FALSE(qos_kind_fails_over(QosKind::loss));
  CHECK_FALSE(qos_kind_fails_over(QosKind::jitter));
  CHECK(qos_kind_fails_over(QosKind::loss_switch));
  CHECK(qos_kind_fails_over(QosKind::latency_switch));
}

// DEVELOPERS.md: no false failover under ordinary impairment (3 % loss each
// way, ~6 % of probe rounds; 30 ms jitter). 1 % already alarms.
TEST(QosWatch, OrdinaryImpairmentAlarmsButNeverSwitches) {
  for (int64_t now = 0; now <= 60'000; now += 1000)
    for (const QosAction& a : w.evaluate({sample(40, 6.0, 30)}, t, now)) {
      CHECK_FALSE_TEXT(qos_kind_fails_over(a.kind), a.text.c_str());
      LONGS_EQUAL(int(QosKind::loss), int(a.kind));  // jitter 30 is not above 30
    }
  CHECK(w.violated("wan0", QosKind::loss));
  CHECK_FALSE(w.violated("wan0", QosKind::loss_switch));
  QosWatch one;  // 1.5 % alarms too
  one.evaluate({sample(10, 1.5)}, t, 0);
  LONGS_EQUAL(1, one.evaluate({sample(10, 1.5)}, t, 10'000).size());
}

TEST(QosWatch, HeavyLossAndHighRttReachTheSwitchLevels) {
  w.evaluate({sample(250, 12)}, t, 0);
  auto a = w.evaluate({sample(250, 12)}, t, 10'000);
  LONGS_EQUAL(4, a.size());  // latency, loss alarms; latency, loss switches
  LONGS_EQUAL(int(QosKind::latency_switch), int(a[2].kind));
  LONGS_EQUAL(int(QosKind::loss_switch), int(a[3].kind));
  STRCMP_EQUAL("packet loss 12.0 % above 10 % for 10 s", a[3].text.c_str());
  // Back under the switch level but above the alarm level: traffic may
  // return, the alarm stays.
  w.evaluate({sample(60, 5)}, t, 11'000);
  auto b = w.evaluate({sample(60, 5)}, t, 21'000);
  LONGS_EQUAL(3, b.size());
  LONGS_EQUAL(int(QosKind::latency), int(b[0].kind));  // 60 < 80 ms: alarm level clears too
  LONGS_EQUAL(int(QosKind::latency_switch), int(b[1].kind));
  LONGS_EQUAL(int(QosKind::loss_switch), int(b[2].kind));
  CHECK_FALSE(b[2].raise);
  CHECK(w.violated("wan0", QosKind::loss));
  t.switch_loss_percent = 4;  // configurable
  QosWatch low;
  low.evaluate({sample(10, 5)}, t, 0);
  CHECK(low.evaluate({sample(10, 5)}, t, 10'000).size() == 2);
}

TEST(QosWatch, NoFiguresKeepsTheVerdict) {
  w.evaluate({sample(150)}, t, 0);
  w.evaluate({sample(150)}, t, 10'000);
  CHECK(w.evaluate({sample(0, 0, 0, false)}, t, 30'000).empty());
  CHECK(w.violated("wan0", QosKind::latency));
}

TEST(QosWatch, ThresholdsComeFromTheConfig) {
  t.rtt_ms = 300;
  t.window_s = 2;
  w.evaluate({sample(150)}, t, 0);
  CHECK(w.evaluate({sample(150)}, t, 5'000).empty());
}

namespace {
// Probes fine (10 ms, no loss); the calls' own figures as given.
QosSample voice(double mos, double owd_ms = -1) {
  QosSample s = sample(10);
  s.mos_known = mos > 0;
  s.mos = mos;
  s.delay_known = owd_ms >= 0;
  s.one_way_delay_ms = owd_ms;
  return s;
}
}  // namespace

// MOS is bad below its limit: raised after a window under 3.6, cleared
// only after a window above 3.78 (105 %), alarm level only.
TEST(QosWatch, LowMosRaisesAnAlarmAndClearsAboveTheMargin) {
  CHECK(w.evaluate({voice(3.4)}, t, 0).empty());
  CHECK(w.evaluate({voice(3.4)}, t, 9'999).empty());
  auto a = w.evaluate({voice(3.41)}, t, 10'000);
  LONGS_EQUAL(1, a.size());
  LONGS_EQUAL(int(QosKind::mos), int(a[0].kind));
  CHECK(a[0].raise);
  CHECK_FALSE(qos_kind_fails_over(QosKind::mos));
  STRCMP_EQUAL("voice MOS 3.41 below 3.6 for 10 s", a[0].text.c_str());
  CHECK(w.evaluate({voice(3.7)}, t, 11'000).empty());   // above the limit, inside the margin
  CHECK(w.evaluate({voice(3.7)}, t, 30'000).empty());
  CHECK(w.evaluate({voice(4.1)}, t, 31'000).empty());
  auto b = w.evaluate({voice(4.1)}, t, 41'000);
  LONGS_EQUAL(1, b.size());
  CHECK_FALSE(b[0].raise);
  STRCMP_EQUAL("voice MOS 4.10 back above 3.78 for 10 s", b[0].text.c_str());
  CHECK_FALSE(w.violated("wan0", QosKind::mos));
}

TEST(QosWatch, GoodMosNeverAlarms) {
  for (int64_t now = 0; now <= 60'000; now += 1000) CHECK(w.evaluate({voice(4.2, 40)}, t, now).empty());
}

TEST(QosWatch, OneWayDelayAboveG114Alarms) {
  w.evaluate({voice(4.0, 180)}, t, 0);
  auto a = w.evaluate({voice(4.0, 180)}, t, 10'000);
  LONGS_EQUAL(1, a.size());
  LONGS_EQUAL(int(QosKind::one_way_delay), int(a[0].kind));
  STRCMP_EQUAL("voice one-way delay 180.0 ms above 150 ms for 10 s", a[0].text.c_str());
  CHECK_FALSE(qos_kind_fails_over(QosKind::one_way_delay));
  w.evaluate({voice(4.0, 110)}, t, 11'000);
  auto b = w.evaluate({voice(4.0, 110)}, t, 21'000);
  LONGS_EQUAL(1, b.size());
  CHECK_FALSE(b[0].raise);
  t.one_way_delay_ms = 50;  // configurable
  QosWatch low;
  low.evaluate({voice(4.0, 60)}, t, 0);
  LONGS_EQUAL(1, low.evaluate({voice(4.0, 60)}, t, 10'000).size());
}

// No call to rate: the voice verdict stands for kVoiceIdleWindows windows
// (calls come and go), then clears as no longer observed. A call coming
// back in time with a bad figure keeps it raised, without a second raise.
TEST(QosWatch, VoiceAlarmWithNoCallsClearsAfterIdleWindows) {
  w.evaluate({voice(3.3)}, t, 0);
  LONGS_EQUAL(1, w.evaluate({voice(3.3)}, t, 10'000).size());
  const int64_t idle = int64_t(kVoiceIdleWindows) * t.window_s * 1000;
  CHECK(w.evaluate({voice(0)}, t, 11'000).empty());
  CHECK(w.evaluate({voice(0)}, t, 11'000 + idle - 1).empty());
  CHECK(w.evaluate({voice(3.3)}, t, 11'000 + idle - 1).empty());  // a call again: still bad
  CHECK(w.evaluate({voice(0)}, t, 12'000 + idle).empty());        // its idle time restarted
  auto a = w.evaluate({voice(0)}, t, 12'000 + 2 * idle);
  LONGS_EQUAL(1, a.size());
  CHECK_FALSE(a[0].raise);
  LONGS_EQUAL(int(QosKind::mos), int(a[0].kind));
  STRCMP_EQUAL("voice MOS no longer observed: no call to rate for 60 s", a[0].text.c_str());
  // Probe kinds keep their verdict with no figures (NoFiguresKeepsTheVerdict).
}

TEST(QosWatch, EachUplinkHasItsOwnVoiceVerdict) {
  QosSample wan1 = voice(4.3, 20);
  wan1.uplink = "wan1";
  wan1.index = 1;
  w.evaluate({voice(3.2), wan1}, t, 0);
  auto a = w.evaluate({voice(3.2), wan1}, t, 10'000);
  LONGS_EQUAL(1, a.size());
  STRCMP_EQUAL("wan0", a[0].uplink.c_str());
  CHECK_FALSE(w.violated("wan1", QosKind::mos));
}

// Below switch_mos (default 3.1) the calls themselves move traffic: the
// media path can be bad while the probes are fine. After the switch the
// uplink carries no call to rate; the soft fault is withdrawn once it has
// not been observed for kVoiceIdleWindows windows (the fast path's
// hold-down and flap damping govern any return).
TEST(QosWatch, MosBelowTheSwitchLevelFailsOver) {
  w.evaluate({voice(2.8)}, t, 0);
  auto a = w.evaluate({voice(2.8)}, t, 10'000);
  LONGS_EQUAL(2, a.size());
  LONGS_EQUAL(int(QosKind::mos), int(a[0].kind));
  LONGS_EQUAL(int(QosKind::mos_switch), int(a[1].kind));
  CHECK(qos_kind_fails_over(QosKind::mos_switch));
  STRCMP_EQUAL("voice MOS 2.80 below 3.1 for 10 s", a[1].text.c_str());
  const int64_t idle = int64_t(kVoiceIdleWindows) * t.window_s * 1000;
  CHECK(w.evaluate({voice(0)}, t, 11'000).empty());
  auto b = w.evaluate({voice(0)}, t, 11'000 + idle);
  LONGS_EQUAL(2, b.size());
  CHECK_FALSE(b[1].raise);
  LONGS_EQUAL(int(QosKind::mos_switch), int(b[1].kind));
  // Ordinary impairment rates well above it (G.711, 3 % loss: ~4.1).
  QosWatch fine;
  for (int64_t now = 0; now <= 60'000; now += 1000) CHECK(fine.evaluate({voice(3.5)}, t, now).size() <= 1);
  CHECK_FALSE(fine.violated("wan0", QosKind::mos_switch));
}
