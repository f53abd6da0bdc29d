// UplinkControl wires the failover engine to the datapath: carrier loss on
// a fake port moves the next burst to the backup, probes leave through the
// uplink and their replies keep it up, lost probes take it down, commands
// from the ring apply, and the failover timers file is read or rejected.
#include "tests/unit/drivers/dpdk/test_eal.hpp"

#include <CppUTest/TestHarness.h>

#include <unistd.h>

#include <memory>
#include <string>

#include "dataplane/fastpath/failover_file.hpp"
#include "dataplane/fastpath/uplink_control.hpp"
#include "drivers/dpdk/fake_port.hpp"
#include "tests/unit/dataplane/fastpath/frames.hpp"

using namespace tg;
using namespace tg::fastpath;
using namespace tg::fastpath::test;
using tg::drivers::FakePort;
using tg::drivers::test::bytes_of;
using tg::drivers::test::mbuf_of;
using tg::drivers::test::test_pool;

namespace {
const bool kEal = test_pool() != nullptr;
const uint32_t kLanIp = ip4(192, 0, 2, 1), kHostIp = ip4(192, 0, 2, 10);
const uint32_t kWan0Ip = ip4(198, 51, 100, 2), kGw0 = ip4(198, 51, 100, 1);
const uint32_t kWan1Ip = ip4(198, 51, 100, 18), kGw1 = ip4(198, 51, 100, 17);
const uint32_t kFar = ip4(203, 0, 113, 10);
}  // namespace

TEST_GROUP(UplinkControl) {
  std::unique_ptr<FakePort> lan, wan0, wan1;
  std::unique_ptr<Datapath> dp;
  std::unique_ptr<UplinkControl> ctl;
  failover::Config fo = failover::Config::defaults();
  TimeNs now = kNsPerSec;

  void setup() override {
    CHECK(kEal);
    lan = std::make_unique<FakePort>("lan", kLanMac);
    wan0 = std::make_unique<FakePort>("wan0", kWan0Mac);
    wan1 = std::make_unique<FakePort>("wan1", kWan1Mac);
    ForwarderConfig c;
    c.nat_capacity = 64;
    c.probe_id_base = fo.probe_ident_base;
    c.ports[0] = Interface{true, kLanMac, kLanIp, 26, 0, false};
    c.ports[1] = Interface{true, kWan0Mac, kWan0Ip, 28, kGw0, false};
    c.ports[2] = Interface{true, kWan1Mac, kWan1Ip, 28, kGw1, false};
    for (uint8_t u = 0; u < 2; ++u) {
      fo.uplinks[u].targets[0] = IpAddr::v4(kFar);
      fo.uplinks[u].target_count = 1;
    }
    drivers::Port* ports[kMaxPorts] = {lan.get(), wan0.get(), wan1.get(), nullptr, nullptr};
    // Small tables; RTP taken without SDP so tests need not set up calls.
    InspectorConfig icfg;
    icfg.streams.capacity = 64;
    icfg.streams.expect_capacity = 64;
    icfg.streams.heuristic = true;
    icfg.calls.capacity = 16;
    dp = std::make_unique<Datapath>(c, ports, test_pool(), &icfg);
    // Next hops and the host known, as after start-up.
    inject(*wan0, arp_frame(2, kGw0Mac, kGw0, kWan0Mac, kWan0Ip, kWan0Mac));
    inject(*wan1, arp_frame(2, kGw1Mac, kGw1, kWan1Mac, kWan1Ip, kWan1Mac));
    inject(*lan, arp_frame(1, kHostMac, kHostIp, Mac{}, kLanIp));
    dp->poll(kNoUplinkIndex, now);
    drop_sent();
    ctl = std::make_unique<UplinkControl>(fo, *dp, ports, nullptr, now);
  }
  void teardown() override {
    ctl.reset();
    dp.reset();
    lan.reset();
    wan0.reset();
    wan1.reset();
  }
  void inject(FakePort& p, const std::vector<uint8_t>& f) { p.inject(mbuf_of(f.data(), f.size())); }
  size_t drop_sent(FakePort* only = nullptr) {
    size_t n = 0;
    for (FakePort* p : {lan.get(), wan0.get(), wan1.get()}) {
      if (only && p != only) continue;
      for (rte_mbuf* m : p->take_sent()) {
        ++n;
        rte_pktmbuf_free(m);
      }
    }
    return n;
  }
  // Answers every probe waiting on port p (the far end echoing), else drops them.
  void echo_probes(FakePort& p, const Mac& our, const Mac& gw) {
    for (rte_mbuf* m : p.take_sent()) {
      std::vector<uint8_t> f = bytes_of(m);
      rte_pktmbuf_free(m);
      if (load_be16(f.data() + 12) != kEtherIpv4 || f[23] != kProtoIcmp) continue;
      put_mac(f.data(), our);
      put_mac(f.data() + 6, gw);
      uint32_t src = load_be32(f.data() + 26);
      store_be32(f.data() + 26, load_be32(f.data() + 30));
      store_be32(f.data() + 30, src);
      f[34] = kIcmpEchoReply;
      store_be16(f.data() + 24, 0);
      store_be16(f.data() + 24, csum(f.data() + 14, 20));
      fix_l4_checksum(f);
      inject(p, f);
    }
  }
  // Runs the loop for `ms` milliseconds of fake time, both carriers echoing
  // probes unless told otherwise.
  void run(TimeNs ms, bool wan0_answers = true, bool wan1_answers = true) {
    for (TimeNs i = 0; i < ms; ++i) {
      now += kNsPerMs;
      dp->poll(ctl->active(), now);
      ctl->tick(now);
      if (wan0_answers) echo_probes(*wan0, kWan0Mac, kGw0Mac); else drop_sent(wan0.get());
      if (wan1_answers) echo_probes(*wan1, kWan1Mac, kGw1Mac); else drop_sent(wan1.get());
    }
  }
  uint8_t out_port_of_next_packet() {
    inject(*lan, udp_frame(kLanMac, kHostMac, kHostIp, 40000, kFar, 5004));
    dp->poll(ctl->active(), now);
    for (uint8_t p = 1; p <= 2; ++p) {
      FakePort& port = p == 1 ? *wan0 : *wan1;
      for (rte_mbuf* m : port.take_sent()) {
        bool udp = rte_pktmbuf_mtod(m, const uint8_t*)[23] == kProtoUdp;
        rte_pktmbuf_free(m);
        if (udp) return p;
      }
    }
    return 0;
  }
};

TEST(UplinkControl, SelectsWan0ThenMovesOnCarrierLossWithinOneTick) {
  run(50);
  LONGS_EQUAL(0, ctl->active());
  LONGS_EQUAL(1, out_port_of_next_packet());
  wan0->set_link(false);
  now += 10 * kNsPerMs;  // one link poll period
  ctl->tick(now);
  LONGS_EQUAL(1, ctl->active());
  LONGS_EQUAL(2, out_port_of_next_packet());
  CHECK_FALSE(dp->link(1));
  const api::SwitchEvent& sw = ctl->recent_switch(ctl->recent_switch_count() - 1).uplink_switch;
  CHECK(sw.reason == api::SwitchReason::link_down);
  LONGS_EQUAL(0, sw.uplink_from);
  LONGS_EQUAL(1, sw.uplink_to);
}

TEST(UplinkControl, CallExportLearnsEverySwitchAndPublishesLiveCalls) {
  CallExporter* calls = ctl->calls();
  CHECK(calls != nullptr);
  run(50);
  const TimeNs before = now;
  LONGS_EQUAL(0, calls->uplink_at(before));
  wan0->set_link(false);
  now += 10 * kNsPerMs;
  ctl->tick(now);
  LONGS_EQUAL(1, ctl->active());
  LONGS_EQUAL(0, calls->uplink_at(before));  // a call set up before the switch: wan0
  LONGS_EQUAL(1, calls->uplink_at(now));
  const uint64_t published = calls->live_publishes();
  run(1500);  // 1.5 s of control work: the live table is republished once a second
  CHECK(calls->live_publishes() > published);
}

TEST(UplinkControl, ProbesKeepUplinkUpAndTheirLossTakesItDown) {
  run(500);
  LONGS_EQUAL(0, ctl->active());
  const api::ProbeStatsWire s = ctl->engine().probes().stats(0);
  CHECK(s.sent >= 40);
  CHECK(s.answered >= s.sent - 11);  // the last timeout's worth may be in flight
  LONGS_EQUAL(0, s.lost_rounds);
  CHECK(dp->tx_count(1, TxCounter::probes) >= 40);
  // Silent blackhole on wan0: switch after timeout + misses, well under 500 ms.
  const TimeNs fault = now;
  TimeNs switched = 0;
  for (int i = 0; i < 500 && !switched; ++i) {
    run(1, false, true);
    if (ctl->active() == 1) switched = now;
  }
  CHECK(switched != 0);
  CHECK(switched - fault < 300 * kNsPerMs);
  const api::SwitchEvent& sw = ctl->recent_switch(ctl->recent_switch_count() - 1).uplink_switch;
  CHECK(sw.reason == api::SwitchReason::probe_loss);
}

TEST(UplinkControl, StatsCarryPacketCountersAndDropReasons) {
  run(20);
  wan0->set_link(false);
  run(20);
  LONGS_EQUAL(1, ctl->active());
  // A packet routed before the switch to a dead port counts as uplink_down.
  inject(*lan, udp_frame(kLanMac, kHostMac, kHostIp, 40000, kFar, 5004));
  dp->poll(0, now);
  api::StatsBody body;
  ctl->fill_stats(body, now);
  LONGS_EQUAL(1, body.active_uplink);
  CHECK(body.switches_total >= 2);
  CHECK(body.uplinks[1].tx_packets > 0);
  CHECK(body.uplinks[0].state == api::UplinkState::down);
  LONGS_EQUAL(0, body.uplinks[0].link_up);
  LONGS_EQUAL(1, dp->forwarder().count(0, Disposition::port_down));
  LONGS_EQUAL(uint8_t(api::DropReason::uplink_down), drop_reason_of(Disposition::port_down));
  LONGS_EQUAL(kNoDropReason, drop_reason_of(Disposition::forwarded_out));
  LONGS_EQUAL(uint8_t(api::DropReason::ipv6_unconfigured), drop_reason_of(Disposition::ipv6_uplink_unconfigured));
  LONGS_EQUAL(uint8_t(api::DropReason::malformed), drop_reason_of(Disposition::nd_invalid));
}

namespace {
std::vector<uint8_t> rtp_frame(const Mac& dst, const Mac& src, uint32_t sip, uint16_t sport, uint32_t dip,
                               uint16_t dport, uint16_t seq, uint32_t ssrc) {
  auto f = udp_frame(dst, src, sip, sport, dip, dport, 172);
  uint8_t* rtp = f.data() + 42;
  rtp[0] = 0x80;
  rtp[1] = 0;  // PCMU
  store_be16(rtp + 2, seq);
  store_be32(rtp + 4, uint32_t(seq) * 160);
  store_be32(rtp + 8, ssrc);
  fix_l4_checksum(f);
  return f;
}
}  // namespace

TEST(UplinkControl, InboundMediaStoppingOnAllStreamsSwitchesAsBlackout) {
  run(50);
  LONGS_EQUAL(0, ctl->active());
  // Two calls: the LAN phones send first (SNAT mappings), the far end answers
  // through wan0; probes keep being answered throughout.
  for (uint16_t seq = 1; seq <= 60; ++seq) {
    for (uint16_t c = 0; c < 2; ++c) {
      const uint16_t port = uint16_t(40000 + 2 * c);
      inject(*lan, rtp_frame(kLanMac, kHostMac, kHostIp, port, kFar, port, seq, 0x1000 + c));
      inject(*wan0, rtp_frame(kWan0Mac, kGw0Mac, kFar, port, kWan0Ip, port, seq, 0x2000 + c));
    }
    run(20);
    drop_sent(lan.get());
  }
  LONGS_EQUAL(0, ctl->active());
  CHECK(dp->inspector()->outcome(InspectOutcome::rtp) >= 200);
  api::StatsBody body;
  ctl->fill_stats(body, now);
  LONGS_EQUAL(2, body.uplinks[0].active_streams);
  // Inbound media stops on both, outbound and probes go on.
  const TimeNs stop = now;
  TimeNs switched = 0;
  for (uint16_t seq = 61; seq <= 100 && !switched; ++seq) {
    for (uint16_t c = 0; c < 2; ++c)
      inject(*lan, rtp_frame(kLanMac, kHostMac, kHostIp, uint16_t(40000 + 2 * c), kFar, 40000, seq, 0x1000 + c));
    for (int ms = 0; ms < 20 && !switched; ++ms) {
      run(1);
      if (ctl->active() == 1) switched = now;
    }
  }
  CHECK(switched != 0);
  CHECK(switched - stop < 400 * kNsPerMs);
  const api::SwitchEvent& sw = ctl->recent_switch(ctl->recent_switch_count() - 1).uplink_switch;
  CHECK(sw.reason == api::SwitchReason::media_blackout);
  LONGS_EQUAL(2, sw.calls_affected);
}

namespace {
// Two calls flowing through wan0 for `ms`, the far end answering.
void talk(TEST_GROUP_CppUTestGroupUplinkControl& t, uint16_t& seq, int ms) {
  for (int i = 0; i < ms / 20; ++i, ++seq) {
    for (uint16_t c = 0; c < 2; ++c) {
      const uint16_t port = uint16_t(40000 + 2 * c);
      t.inject(*t.lan, rtp_frame(kLanMac, kHostMac, kHostIp, port, kFar, port, seq, 0x1000 + c));
      t.inject(*t.wan0, rtp_frame(kWan0Mac, kGw0Mac, kFar, port, kWan0Ip, port, seq, 0x2000 + c));
    }
    t.run(20);
    t.drop_sent(t.lan.get());
  }
}
}  // namespace

TEST(UplinkControl, LoopStallWithMediaInTheRingDoesNotSwitch) {
  // The process is descheduled 600 ms while both calls go on: their packets
  // wait in wan0's ring. The first control pass after it runs before the
  // ring is polled (the stall hit between poll and tick): every stream
  // looks 600 ms silent. The LAN's own packets wait in its ring too, so
  // both directions of every call look quiet together: ended media, not a
  // blackout, even without the guard (the guard alone is shown by
  // Blackout.LoopStallsAreLeftOutOfSilence and stall_test, where our side
  // keeps talking).
  for (bool guard : {true, false}) {
    fo.loop_stall = guard ? 40 * kNsPerMs : kNsPerSec;
    drivers::Port* ports[kMaxPorts] = {lan.get(), wan0.get(), wan1.get(), nullptr, nullptr};
    ctl = std::make_unique<UplinkControl>(fo, *dp, ports, nullptr, now);
    uint16_t seq = guard ? 1 : 1000;
    talk(*this, seq, 1200);
    LONGS_EQUAL(0, ctl->active());
    for (int i = 0; i < 30; ++i, ++seq)
      for (uint16_t c = 0; c < 2; ++c) {
        const uint16_t port = uint16_t(40000 + 2 * c);
        inject(*wan0, rtp_frame(kWan0Mac, kGw0Mac, kFar, port, kWan0Ip, port, seq, 0x2000 + c));
        inject(*lan, rtp_frame(kLanMac, kHostMac, kHostIp, port, kFar, port, seq, 0x1000 + c));
      }
    now += 600 * kNsPerMs;
    ctl->tick(now);
    CHECK(ctl->engine().last_loop_gap() == 600 * kNsPerMs);
    talk(*this, seq, 400);
    if (!guard) {
      LONGS_EQUAL_TEXT(1, ctl->engine().switches(), "both directions quiet in the stall: ended media, no switch");
      LONGS_EQUAL(0, ctl->active());
      break;
    }
    LONGS_EQUAL(0, ctl->active());
    LONGS_EQUAL(1, ctl->engine().switches());  // the initial selection only
    LONGS_EQUAL(1, ctl->engine().loop_stalls());
    CHECK(ctl->engine().longest_stall() >= 600 * kNsPerMs);
    CHECK(ctl->engine().decisions_deferred_stall() >= 1);
    LONGS_EQUAL(0, ctl->engine().probes().stats(0).lost_rounds);
  }
}

TEST(UplinkControl, CommandsEventsAndStatsThroughSharedMemory) {
  // The same shm objects the control daemon opens, under a private name.
  const auto names = api::ChannelNames::with_prefix("/tgfp-unit-" + std::to_string(getpid()));
  api::FastPathChannels fp;
  std::string err;
  CHECK_TRUE_TEXT(fp.create(names, 64, 16, now, err), err.c_str());
  api::ControlChannels cd;
  CHECK_TRUE_TEXT(cd.open(names, err), err.c_str());
  drivers::Port* ports[kMaxPorts] = {lan.get(), wan0.get(), wan1.get(), nullptr, nullptr};
  ctl = std::make_unique<UplinkControl>(fo, *dp, ports, &fp, now);
  run(200);
  LONGS_EQUAL(0, ctl->active());

  api::Command force{};
  force.version = api::kMessageVersion;
  force.kind = api::CommandKind::force_uplink;
  force.seq = 7;
  force.uplink = 1;
  CHECK(cd.commands.push(force));
  run(2);
  LONGS_EQUAL(1, ctl->active());
  LONGS_EQUAL(2, out_port_of_next_packet());

  // Events: the initial selection, the forced switch, the command's result.
  bool saw_switch = false, saw_result = false;
  api::Event e;
  while (cd.events.pop(e)) {
    if (e.kind == api::EventKind::uplink_switch && e.uplink_switch.reason == api::SwitchReason::forced)
      saw_switch = e.uplink_switch.uplink_to == 1;
    if (e.kind == api::EventKind::command_result)
      saw_result = e.command_result.command_seq == 7 && e.command_result.result == api::CommandResult::ok;
  }
  CHECK(saw_switch);
  CHECK(saw_result);

  run(150);  // past a stats period
  api::StatsBody body;
  CHECK(cd.stats.read(body));
  LONGS_EQUAL(1, body.active_uplink);
  CHECK(body.mode == api::SelectMode::forced);
  CHECK(body.uplinks[0].probe.answered > 0);
  CHECK(body.uplinks[1].tx_packets > 0);
  CHECK(cd.stats.heartbeat() > 100);
  ctl.reset();
  fp.unlink();
}

TEST(UplinkControl, CaptureCommandsCopyForwardedPacketsInTheLanView) {
  const std::string prefix = "/tgfp-cap-" + std::to_string(getpid());
  const auto names = api::ChannelNames::with_prefix(prefix);
  api::FastPathChannels fp;
  api::CaptureRegion ring, reader;
  std::string err;
  CHECK_TRUE_TEXT(fp.create(names, 64, 16, now, err), err.c_str());
  CHECK_TRUE_TEXT(ring.create(api::capture_shm_name(prefix), 64, now, err), err.c_str());
  api::ControlChannels cd;
  CHECK_TRUE_TEXT(cd.open(names, err), err.c_str());
  CHECK_TRUE_TEXT(reader.open(api::capture_shm_name(prefix), err), err.c_str());
  dp->attach_capture(ring.header());
  drivers::Port* ports[kMaxPorts] = {lan.get(), wan0.get(), wan1.get(), nullptr, nullptr};
  ctl = std::make_unique<UplinkControl>(fo, *dp, ports, &fp, now);
  run(50);
  auto exchange = [&](uint16_t seq) {
    inject(*lan, rtp_frame(kLanMac, kHostMac, kHostIp, 40000, kFar, 40000, seq, 0x1000));
    inject(*lan, udp_frame(kLanMac, kHostMac, kHostIp, 41000, kFar, 53));  // not RTP/SIP
    run(1);
    inject(*wan0, rtp_frame(kWan0Mac, kGw0Mac, kFar, 40000, kWan0Ip, 40000, seq, 0x2000));
    run(1);
    drop_sent(lan.get());
  };
  exchange(1);  // before the capture: not copied
  api::Command start = api::make_command(api::CommandKind::capture_start, 0, 21, now);
  start.capture.capture_id = 5;
  start.capture.snaplen = 64;
  start.capture.classes = api::kCaptureClassRtp;
  CHECK(cd.commands.push(start));
  run(2);
  CHECK_TRUE(dp->capture().active());
  for (uint16_t seq = 2; seq <= 4; ++seq) exchange(seq);
  CHECK(cd.commands.push(api::make_command(api::CommandKind::capture_stop, api::kNoUplink, 22, now)));
  run(2);
  CHECK_FALSE(dp->capture().active());
  exchange(5);  // after the stop: not copied

  api::CaptureConsumer c(reader.header());
  int out = 0, in = 0;
  while (const api::CaptureSlot* s = c.peek()) {
    LONGS_EQUAL(5, s->h.capture_id);
    CHECK(s->h.klass == api::CaptureClass::rtp);
    LONGS_EQUAL(64, s->h.cap_len);
    CHECK(s->h.orig_len > 64);
    LONGS_EQUAL(0, s->h.uplink);
    // LAN-side view both ways: the host's address, never the SNAT one.
    if (s->h.direction == api::CaptureDirection::outbound) {
      ++out;
      LONGS_EQUAL(kHostIp, load_be32(s->data + 26));
    } else {
      ++in;
      LONGS_EQUAL(kHostIp, load_be32(s->data + 30));
    }
    c.release();
  }
  LONGS_EQUAL(3, out);
  LONGS_EQUAL(3, in);
  LONGS_EQUAL(6, reader.header()->captured.load());
  LONGS_EQUAL(0, reader.header()->dropped.load());
  int results = 0;
  api::Event e;
  while (cd.events.pop(e))
    if (e.kind == api::EventKind::command_result && (e.command_result.command_seq == 21 || e.command_result.command_seq == 22)) {
      CHECK(e.command_result.result == api::CommandResult::ok);
      ++results;
    }
  LONGS_EQUAL(2, results);
  ctl.reset();
  fp.unlink();
  ring.unlink();
}

TEST_GROUP(FailoverFile) {
  failover::Config c = failover::Config::defaults();
  std::string err;
};

TEST(FailoverFile, SetsAllOrOneUplinkAndPriority) {
  CHECK_TRUE(parse_failover_config("# timers\n"
                                   "probe_interval_ms = 20\n"
                                   "probe_timeout_ms=200  # comment\n"
                                   "lte.probe_timeout_ms = 600\n"
                                   "holddown_initial_ms = 1500\n"
                                   "priority = wan1, wan0, lte\n"
                                   "loop_stall_ms = 60\n",
                                   "f", c, err));
  CHECK(c.loop_stall == 60 * kNsPerMs);
  CHECK(c.uplinks[0].timers.probe_interval == 20 * kNsPerMs);
  CHECK(c.uplinks[1].timers.probe_timeout == 200 * kNsPerMs);
  CHECK(c.uplinks[2].timers.probe_timeout == 600 * kNsPerMs);
  CHECK(c.uplinks[2].timers.holddown_initial == 1500 * kNsPerMs);
  LONGS_EQUAL(1, c.priority[0]);
  LONGS_EQUAL(0, c.priority[1]);
}

TEST(FailoverFile, RejectsWholeWithLine) {
  const failover::Config before = c;
  const char* bad[][2] = {
      {"probe_interval_ms = 20\nfoo = 1\n", "f:2: unknown key 'foo'"},
      {"wan9.probe_interval_ms = 20\n", "f:1: unknown uplink 'wan9'"},
      {"probe_interval_ms = fast\n", "f:1: probe_interval_ms needs a whole number"},
      {"probe_interval_ms\n", "f:1: expected key = value"},
      {"priority = wan0, wan1\n", "f:1: priority must name every uplink once"},
      {"priority = wan0, wan0, lte, wan1\n", "f:1: priority: more uplinks"},
      {"probe_interval_ms = 5\n", "f: "},  // failover::validate: >= 10 ms
      {"wan0.loop_stall_ms = 60\n", "f:1: loop_stall_ms applies to every uplink"},
      {"loop_stall_ms = 5000\n", "f: loop_stall must be 1..1000 ms"},
  };
  for (auto& b : bad) {
    err.clear();
    CHECK_FALSE(parse_failover_config(b[0], "f", c, err));
    if (err.rfind(b[1], 0) != 0) FAIL((std::string(b[0]) + " -> " + err).c_str());
    CHECK(c.uplinks[0].timers.probe_interval == before.uplinks[0].timers.probe_interval);
  }
}

namespace {
std::vector<uint8_t> sip_frame(const std::string& text) {
  std::vector<uint8_t> l4(8 + text.size());
  store_be16(l4.data(), 5060);
  store_be16(l4.data() + 2, 5060);
  store_be16(l4.data() + 4, uint16_t(l4.size()));
  std::copy(text.begin(), text.end(), l4.begin() + 8);
  auto f = ipv4_frame(kLanMac, kHostMac, kHostIp, kFar, kProtoUdp, l4);
  fix_l4_checksum(f);
  return f;
}
}  // namespace

TEST(UplinkControl, StatsNameTrunksInTheCallRecordsIndexOrder) {
  run(20);
  const std::string invite =
      "INVITE sip:4940333@203.0.113.10 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-1\r\n"
      "From: <sip:4930111@192.0.2.10>;tag=a\r\nTo: <sip:4940333@203.0.113.10>\r\nCall-ID: trunk-1@pbx\r\n"
      "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
  inject(*lan, sip_frame(invite));
  run(1100);  // through the datapath, then a sweep of the call export
  api::StatsBody body;
  ctl->fill_stats(body, now);
  LONGS_EQUAL(1, body.trunk_count);
  STRCMP_EQUAL("203.0.113.10", body.trunks[0].name);  // no trunk configured: named by the SBC address
  LONGS_EQUAL(1, body.trunks[0].calls_total);
  LONGS_EQUAL(1, body.trunks[0].active_calls);  // calling counts as live
  LONGS_EQUAL(0, body.trunks[0].calls_answered);
  const Call* call = dp->inspector()->calls().find("trunk-1@pbx");
  CHECK(call != nullptr);
  LONGS_EQUAL(0, call->trunk);  // what CallRecordWire::trunk carries
}

// The trunk table from the command ring: nothing changes in the call table
// until the commit of a complete table, which goes in whole.
TEST(UplinkControl, TrunkTableSwapsInWholeAtTheCommit) {
  std::vector<api::Command> cmds;
  std::string error;
  Endpoint a, b;
  CHECK_TRUE(a.addr.parse("203.0.113.10"));
  a.port = 5060;
  CHECK_TRUE(b.addr.parse("203.0.113.11"));
  CHECK_TRUE(api::encode_trunk_table({{"carrierA", a}, {"carrierB", b}}, 1, 1, now, cmds, error));
  const CallTable& calls = dp->inspector()->calls();
  for (size_t i = 0; i + 1 < cmds.size(); ++i) {
    LONGS_EQUAL(int(api::CommandResult::ok), int(ctl->apply_trunk_command(cmds[i])));
    LONGS_EQUAL(0, calls.trunk_count());  // nothing before the commit
  }
  LONGS_EQUAL(int(api::CommandResult::ok), int(ctl->apply_trunk_command(cmds.back())));
  LONGS_EQUAL(2, calls.trunk_count());
  STRCMP_EQUAL("carrierA", calls.trunk(0).name);
  CHECK_TRUE(calls.trunk(0).sbc == a);
  STRCMP_EQUAL("carrierB", calls.trunk(1).name);

  // A table with a bad item: rejected whole, counted, the old one stays.
  cmds.clear();
  CHECK_TRUE(api::encode_trunk_table({{"carrierC", b}}, 2, 10, now, cmds, error));
  cmds[1].trunk_sbc.family = 9;
  for (const api::Command& c : cmds) ctl->apply_trunk_command(c);
  LONGS_EQUAL(2, calls.trunk_count());
  CHECK_TRUE(calls.trunk(1).configured);
  LONGS_EQUAL(2, ctl->trunk_table().items_rejected());  // the bad item and the commit
  LONGS_EQUAL(1, ctl->trunk_table().tables_rejected());
  api::Command old = cmds[0];
  old.version = api::kMessageVersion + 1;
  LONGS_EQUAL(int(api::CommandResult::bad_version), int(ctl->apply_trunk_command(old)));
}

TEST(UplinkControl, MediaEndingBothWaysOrOneWayNeverSwitches) {
  // Two calls through wan0, probes answered throughout.
  run(50);
  uint16_t seq = 1;
  talk(*this, seq, 1200);
  LONGS_EQUAL(0, ctl->active());
  // Both directions stop together (the audio ended before the BYE): ended
  // media, not a blackout, however long the silence.
  for (int ms = 0; ms < 2000; ++ms) run(1);
  LONGS_EQUAL(0, ctl->active());
  LONGS_EQUAL(1, ctl->engine().switches());
  LONGS_EQUAL(2, ctl->engine().blackout().result(0).ended);
  // One-way announcements: the far end plays, the LAN side only listens.
  for (int i = 0; i < 100; ++i, ++seq) {
    for (uint16_t c = 0; c < 2; ++c) {
      const uint16_t port = uint16_t(40000 + 2 * c);
      inject(*wan0, rtp_frame(kWan0Mac, kGw0Mac, kFar, port, kWan0Ip, port, seq, 0x2000 + c));
    }
    run(20);
  }
  LONGS_EQUAL(2, ctl->engine().blackout().result(0).one_way);
  LONGS_EQUAL(0, ctl->engine().blackout().result(0).active);
  // ...and it ends: still nothing to switch for.
  for (int ms = 0; ms < 2000; ++ms) run(1);
  LONGS_EQUAL(0, ctl->active());
  LONGS_EQUAL(1, ctl->engine().switches());
}
