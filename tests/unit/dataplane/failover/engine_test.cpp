// Engine: the whole decision with an injected clock, against the targets:
// link-down decided at once, silent blackhole with calls up < 200 ms, no
// switch under 3 % loss and +-30 ms jitter, failback only after hold-down,
// operator and control-daemon commands, event records.
#include <CppUTest/TestHarness.h>

#include <algorithm>

#include "tests/unit/dataplane/failover/sim.hpp"

using namespace tg;
using namespace tg::failover;
using namespace tg::failover::sim;
using R = api::SwitchReason;

namespace {
Config with_probes(uint8_t targets_per_uplink = 1) {
  Config c = Config::defaults();
  for (uint8_t u = 0; u < c.uplink_count; ++u) {
    c.uplinks[u].target_count = targets_per_uplink;
    for (uint8_t t = 0; t < targets_per_uplink; ++t) c.uplinks[u].targets[t] = IpAddr::v4(0xC0000201 + u * 16 + t);
  }
  return c;
}

void impair_all(Network& net, double loss, TimeNs jitter) {
  for (auto& p : net.paths) {
    p.loss = loss;
    p.jitter = jitter;
  }
}

api::Command command(api::CommandKind kind, UplinkIndex u = kNoUplink, api::SoftFault reason = api::SoftFault::latency) {
  api::Command c{};
  c.version = api::kMessageVersion;
  c.kind = kind;
  c.uplink = u;
  c.reason = reason;
  c.seq = 7;
  return c;
}

// Runs a healthy network, blackholes wan0 at a random point and returns
// the switch decision's delay after the fault (or a huge value).
TimeNs blackhole_decision_delay(const Config& cfg, int streams, uint32_t seed, R* reason = nullptr,
                                TimeNs* first_seen_error = nullptr) {
  Network net(cfg, seed);
  impair_all(net, 0.03, 30 * kMs);
  net.add_streams(streams);
  std::mt19937 rng(seed);
  net.run_for(5 * kSec + std::uniform_int_distribution<TimeNs>(0, 100 * kMs)(rng));
  const TimeNs fault = net.now;
  net.paths[0].blackhole = true;
  net.run_for(2 * kSec);
  for (const auto& s : net.sink.switches()) {
    if (s.uplink_from != 0) continue;
    if (reason) *reason = s.reason;
    if (first_seen_error) *first_seen_error = s.fault_first_seen_ns > fault ? s.fault_first_seen_ns - fault : fault - s.fault_first_seen_ns;
    return s.decided_ns - fault;
  }
  return ~TimeNs(0);
}
}  // namespace

TEST_GROUP(Engine) {};

TEST(Engine, SelectsWan0AtStartAndPublishesIt) {
  Collect sink;
  Config cfg = Config::defaults();
  Engine e(cfg, sink, 0);
  LONGS_EQUAL(kNoUplink, e.active_uplink());
  e.on_link(1, true, 1 * kMs);
  LONGS_EQUAL(1, e.active_uplink());
  e.on_link(0, true, 2 * kMs);  // first time up: no hold-down, preferred wins
  LONGS_EQUAL(0, e.active_uplink());
  auto sw = sink.switches();
  LONGS_EQUAL(2, sw.size());
  CHECK(sw[0].reason == R::initial);
  CHECK(sw[1].reason == R::failback);
  LONGS_EQUAL(0, e.active_uplink_atomic().load());
}

TEST(Engine, LinkDownIsDecidedInTheSameCall) {
  Network net(with_probes(), 1);
  net.add_streams(6);
  net.run_for(2 * kSec);
  const TimeNs fault = net.now;
  net.set_link(0, false);
  LONGS_EQUAL(1, net.engine.active_uplink());  // before any further tick
  auto sw = net.sink.switches().back();
  CHECK(sw.reason == R::link_down);
  LONGS_EQUAL(fault, sw.fault_first_seen_ns);
  LONGS_EQUAL(fault, sw.decided_ns);
  LONGS_EQUAL(fault, sw.switched_ns);
  LONGS_EQUAL(0, sw.uplink_from);
  LONGS_EQUAL(1, sw.uplink_to);
  LONGS_EQUAL(6, sw.calls_affected);
  LONGS_EQUAL(api::kFault_link, sw.fault_mask & api::kFault_link);
  // A port that reports when the carrier dropped: that is the fault's onset.
  net.set_link(0, true);
  net.run_for(10 * kSec + 50 * kMs);  // back after the hold-down
  LONGS_EQUAL(0, net.engine.active_uplink());
  const TimeNs dropped = net.now - 3 * kMs;
  net.paths[0].link = false;
  net.engine.on_link(0, false, net.now, dropped);
  auto sw2 = net.sink.switches().back();
  LONGS_EQUAL(dropped, sw2.fault_first_seen_ns);
  LONGS_EQUAL(net.now, sw2.decided_ns);
}

TEST(Engine, NoSwitchUnderThreePercentLossAndThirtyMsJitter) {
  // 3 seeds x 10 simulated minutes, 4 calls of 20 ms RTP, 10 ms probes to
  // one target per uplink (a lost probe or reply loses the round).
  for (uint32_t seed = 1; seed <= 3; ++seed) {
    Network net(with_probes(), seed);
    impair_all(net, 0.03, 30 * kMs);
    net.add_streams(4);
    net.run_for(600 * kSec);
    LONGS_EQUAL_TEXT(1, net.sink.switches().size(), "only the initial selection");
    LONGS_EQUAL(0, net.sink.downs(0));
    // Only the start-up events: up <-> suspect on single losses makes none.
    LONGS_EQUAL(4, net.sink.events.size());  // 3 x down->up, 1 switch
    CHECK(net.engine.health(0).flaps_total() == 0);
    api::ProbeStatsWire p = net.engine.probes().stats(0);
    CHECK(p.lost_rounds > 1000);  // the impairment really was there
    CHECK(p.jitter_us > 10'000);
  }
}

TEST(Engine, NoSwitchForMediaAloneUnderImpairment) {
  // Without probes the media rule alone must hold: 2 calls (the minimum), 30 min.
  Network net(Config::defaults(), 9);
  impair_all(net, 0.03, 30 * kMs);
  net.add_streams(2);
  net.run_for(1800 * kSec);
  LONGS_EQUAL(1, net.sink.switches().size());
}

TEST(Engine, BlackholeWithCallsUpDecidedWithin200ms) {
  TimeNs worst_both = 0, worst_media = 0, worst_probe = 0;
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    R reason{};
    TimeNs onset_err = 0;
    worst_both = std::max(worst_both, blackhole_decision_delay(with_probes(), 4, seed));
    TimeNs media = blackhole_decision_delay(Config::defaults(), 4, seed, &reason, &onset_err);
    CHECK(reason == R::media_blackout);
    CHECK(onset_err < 80 * kMs);  // onset = last packet seen, at most one in-flight time off
    worst_media = std::max(worst_media, media);
    TimeNs probe = blackhole_decision_delay(with_probes(), 0, seed, &reason, &onset_err);
    CHECK(reason == R::probe_loss);
    CHECK(onset_err < 80 * kMs);  // first lost round was sent about one RTT before the fault
    worst_probe = std::max(worst_probe, probe);
  }
  CHECK_TEXT(worst_both < 200 * kMs, "probes + media");
  CHECK_TEXT(worst_media < 200 * kMs, "media only");
  CHECK_TEXT(worst_probe < 200 * kMs, "probes only");
}

TEST(Engine, HeldCallsDoNotMakeABlackout) {
  Network net(Config::defaults(), 3);
  net.add_streams(4, kStreamOnHold);
  net.run_for(3 * kSec);
  net.paths[0].blackhole = true;
  net.run_for(3 * kSec);
  LONGS_EQUAL(1, net.sink.switches().size());
  LONGS_EQUAL(0, net.engine.blackout().result(0).active);
  LONGS_EQUAL(4, net.engine.blackout().result(0).streams);
}

TEST(Engine, FailbackOnlyAfterTheHoldDownAndItGrowsWithFlaps) {
  Network net(with_probes(), 4);
  net.add_streams(2);
  net.run_for(2 * kSec);
  TimeNs holddown = 10 * kSec;
  for (int flap = 0; flap < 3; ++flap) {
    net.set_link(0, false);
    LONGS_EQUAL(1, net.engine.active_uplink());
    net.run_for(1 * kSec);
    net.set_link(0, true);
    const TimeNs back = net.now;
    net.run_until(back + holddown - 20 * kMs);
    LONGS_EQUAL_TEXT(1, net.engine.active_uplink(), "still in hold-down");
    net.run_until(back + holddown + 20 * kMs);
    LONGS_EQUAL_TEXT(0, net.engine.active_uplink(), "failback after hold-down");
    auto sw = net.sink.switches().back();
    CHECK(sw.reason == R::failback);
    CHECK(sw.decided_ns >= back + holddown);
    holddown *= 2;
  }
}

TEST(Engine, BlackholedPreferredUplinkIsLeftAgainAfterFailback) {
  // Media only: wan0 stays blackholed, hold-down passes, traffic fails back,
  // the streams that were flowing go silent on wan0 and the engine leaves it.
  Network net(Config::defaults(), 5);
  net.add_streams(4);
  net.run_for(2 * kSec);
  net.paths[0].blackhole = true;
  net.run_for(1 * kSec);
  LONGS_EQUAL(1, net.engine.active_uplink());
  net.run_for(10 * kSec);  // hold-down 10 s after the blackout cleared
  auto sw = net.sink.switches();
  CHECK(sw.size() >= 4);
  CHECK(sw[2].reason == R::failback);
  CHECK(sw[3].reason == R::media_blackout);
  CHECK(sw[3].decided_ns - sw[2].decided_ns < 200 * kMs);
  LONGS_EQUAL(1, net.engine.active_uplink());
  LONGS_EQUAL(2, net.engine.health(0).penalty());  // next hold-down 20 s
}

TEST(Engine, ForceAndAutoCommands) {
  Network net(with_probes(), 6);
  net.run_for(1 * kSec);
  CHECK(net.engine.apply(command(api::CommandKind::force_uplink, 2), net.now) == api::CommandResult::ok);
  LONGS_EQUAL(2, net.engine.active_uplink());
  auto sw = net.sink.switches().back();
  CHECK(sw.reason == R::forced);
  CHECK(sw.mode == api::SelectMode::forced);
  LONGS_EQUAL(net.now, sw.fault_first_seen_ns);
  // Forced uplink loses its carrier: traffic goes by priority, comes back when it returns.
  net.set_link(2, false);
  LONGS_EQUAL(0, net.engine.active_uplink());
  net.run_for(1 * kSec);
  net.set_link(2, true);
  net.run_for(100 * kMs);
  LONGS_EQUAL(2, net.engine.active_uplink());  // hold-down ignored: the operator asked
  CHECK(net.engine.apply(command(api::CommandKind::auto_select), net.now) == api::CommandResult::ok);
  LONGS_EQUAL(0, net.engine.active_uplink());
  CHECK(net.sink.switches().back().reason == R::auto_mode);
  // Forcing a dead uplink is accepted, reported, and changes nothing yet.
  net.set_link(1, false);
  CHECK(net.engine.apply(command(api::CommandKind::force_uplink, 1), net.now) == api::CommandResult::ok_uplink_down);
  LONGS_EQUAL(0, net.engine.active_uplink());
  CHECK(net.engine.mode() == api::SelectMode::forced);
  LONGS_EQUAL(1, net.engine.forced_uplink());
}

TEST(Engine, SoftFaultFromControlDaemonSwitchesAndClears) {
  Network net(with_probes(), 7);
  net.add_streams(3);
  net.run_for(1 * kSec);
  CHECK(net.engine.apply(command(api::CommandKind::soft_fault_raise, 0, api::SoftFault::mos), net.now) ==
        api::CommandResult::ok);
  LONGS_EQUAL(1, net.engine.active_uplink());
  auto sw = net.sink.switches().back();
  CHECK(sw.reason == R::soft_fault);
  LONGS_EQUAL(api::soft_fault_bit(api::SoftFault::mos), sw.soft_faults);
  LONGS_EQUAL(3, sw.calls_affected);
  net.run_for(5 * kSec);
  net.engine.apply(command(api::CommandKind::soft_fault_clear, 0, api::SoftFault::mos), net.now);
  CHECK(net.engine.health(0).state() == api::UplinkState::recovering);
  net.run_for(10 * kSec + 20 * kMs);
  LONGS_EQUAL(0, net.engine.active_uplink());
  // Soft faults on every uplink: forward on the preferred soft-faulted one.
  for (UplinkIndex u = 0; u < 3; ++u) net.engine.apply(command(api::CommandKind::soft_fault_raise, u), net.now);
  LONGS_EQUAL(0, net.engine.active_uplink());
}

TEST(Engine, AdminDownMovesTrafficAndAdminUpNeedsHoldDown) {
  Network net(with_probes(), 8);
  net.run_for(1 * kSec);
  net.engine.apply(command(api::CommandKind::admin_down, 0), net.now);
  LONGS_EQUAL(1, net.engine.active_uplink());
  CHECK(net.sink.switches().back().reason == R::admin_down);
  uint64_t sent = net.engine.probes().stats(0).sent;
  net.run_for(1 * kSec);
  LONGS_EQUAL(sent, net.engine.probes().stats(0).sent);
  net.engine.apply(command(api::CommandKind::admin_up, 0), net.now);
  CHECK(net.engine.health(0).state() == api::UplinkState::recovering);
  net.run_for(10 * kSec + 50 * kMs);
  LONGS_EQUAL(0, net.engine.active_uplink());
  CHECK(net.engine.probes().stats(0).sent > sent);
}

TEST(Engine, BadCommandsAreRejectedAndCounted) {
  Collect sink;
  Engine e(Config::defaults(), sink, 0);
  api::Command c = command(api::CommandKind::force_uplink, 1);
  c.version = 99;
  CHECK(e.apply(c, 1) == api::CommandResult::bad_version);
  c = command(api::CommandKind::force_uplink, 1);
  c.kind = api::CommandKind(42);
  CHECK(e.apply(c, 1) == api::CommandResult::bad_kind);
  CHECK(e.apply(command(api::CommandKind::force_uplink, 3), 1) == api::CommandResult::bad_uplink);
  CHECK(e.apply(command(api::CommandKind::soft_fault_raise, 0, api::SoftFault(9)), 1) == api::CommandResult::bad_reason);
  api::Command t = command(api::CommandKind::set_timers, kNoUplink);
  t.timers = to_wire(HealthTimers{}, BlackoutConfig{});
  t.timers.probe_interval_ms = 5;
  CHECK(e.apply(t, 1) == api::CommandResult::bad_timers);
  LONGS_EQUAL(5, e.commands_rejected());
  LONGS_EQUAL(0, e.commands_applied());
  CHECK(e.mode() == api::SelectMode::auto_select);
  const api::Event& last = sink.events.back();
  CHECK(last.kind == api::EventKind::command_result);
  CHECK(last.command_result.result == api::CommandResult::bad_timers);
  LONGS_EQUAL(7, last.command_result.command_seq);
}

TEST(Engine, SetTimersAppliesAtRunTime) {
  Network net(with_probes(), 10);
  net.run_for(1 * kSec);
  api::Command t = command(api::CommandKind::set_timers, 0);
  HealthTimers h;
  h.miss_threshold = 3;
  BlackoutConfig b;
  t.timers = to_wire(h, b);
  CHECK(net.engine.apply(t, net.now) == api::CommandResult::ok);
  LONGS_EQUAL(3, net.engine.health(0).timers().miss_threshold);
  LONGS_EQUAL(8, net.engine.health(1).timers().miss_threshold);
  const TimeNs fault = net.now;
  net.paths[0].blackhole = true;
  net.run_for(1 * kSec);
  auto sw = net.sink.switches().back();
  CHECK(sw.reason == R::probe_loss);
  CHECK(sw.decided_ns - fault < 150 * kMs);
}

TEST(Engine, EventsAreVersionedAndSequenced) {
  Network net(with_probes(), 11);
  net.run_for(1 * kSec);
  net.set_link(0, false);
  uint32_t seq = 0;
  for (const auto& ev : net.sink.events) {
    LONGS_EQUAL(api::kMessageVersion, ev.version);
    LONGS_EQUAL(seq++, ev.seq);
  }
  bool saw_down = false;
  for (const auto& ev : net.sink.events)
    if (ev.kind == api::EventKind::uplink_state && ev.uplink_state.uplink == 0 && ev.uplink_state.to == api::UplinkState::down) {
      saw_down = true;
      CHECK(ev.uplink_state.from == api::UplinkState::up || ev.uplink_state.from == api::UplinkState::suspect);
      LONGS_EQUAL(10'000, ev.uplink_state.holddown_ms);
      LONGS_EQUAL(1, ev.uplink_state.flaps);
    }
  CHECK_TRUE(saw_down);
}

TEST(Engine, FillStats) {
  Network net(with_probes(), 12);
  impair_all(net, 0.03, 30 * kMs);
  net.add_streams(2);
  net.run_for(5 * kSec);
  net.set_link(2, false);
  auto body = std::make_unique<api::StatsBody>();
  *body = {};
  net.engine.fill_stats(*body);
  LONGS_EQUAL(0, body->active_uplink);
  LONGS_EQUAL(3, body->uplink_count);
  CHECK(body->mode == api::SelectMode::auto_select);
  STRCMP_EQUAL("wan0", body->uplinks[0].name);
  STRCMP_EQUAL("lte", body->uplinks[2].name);
  CHECK(body->uplinks[2].state == api::UplinkState::down);
  LONGS_EQUAL(0, body->uplinks[2].link_up);
  LONGS_EQUAL(1, body->uplinks[0].link_up);
  CHECK(body->uplinks[0].probe.rtt_avg_us > 50'000 && body->uplinks[0].probe.rtt_avg_us < 70'000);
  CHECK(body->uplinks[0].probe.jitter_us > 10'000 && body->uplinks[0].probe.jitter_us < 30'000);
  CHECK(body->uplinks[0].probe.loss_ppm < 150'000);  // ~6 %: 3 % each way
  LONGS_EQUAL(100, body->uplinks[0].probe.window_rounds);
  LONGS_EQUAL(2, body->uplinks[0].active_calls);
  LONGS_EQUAL(1, body->switches_total);
}

TEST(Engine, RingSinkAndCommandRingEndToEnd) {
  // The fast path's wiring: commands popped from the ring, events pushed to
  // the event ring; a full event ring drops and counts, the engine goes on.
  std::vector<uint64_t> ev_mem(api::RingLayout<api::Event>::bytes_for(4) / 8 + 1);
  std::vector<uint64_t> cmd_mem(api::RingLayout<api::Command>::bytes_for(4) / 8 + 1);
  api::RingHeader* eh = api::RingLayout<api::Event>::init(ev_mem.data(), 4, api::kMessageVersion, 1, 0);
  api::RingHeader* ch = api::RingLayout<api::Command>::init(cmd_mem.data(), 4, api::kMessageVersion, 1, 0);
  api::EventProducer ev_out(eh);
  api::EventConsumer ev_in(eh);
  api::CommandProducer ctl(ch);
  api::CommandConsumer fp(ch);
  RingEventSink sink(ev_out);
  Engine e(Config::defaults(), sink, 0);
  for (UplinkIndex u = 0; u < 3; ++u) e.on_link(u, true, kMs);
  CHECK_TRUE(ctl.push(api::make_force(2, 11, 5 * kMs)));
  CHECK_TRUE(ctl.push(api::make_soft_fault(true, 0, api::SoftFault::sip_outage, 12, 5 * kMs)));
  api::Command c;
  while (fp.pop(c)) e.apply(c, 6 * kMs);
  LONGS_EQUAL(2, e.active_uplink());
  CHECK(ev_out.drops() > 0);  // 3 state + 2 switch + 2 results + ... > 4 slots
  api::Event got[4];
  LONGS_EQUAL(4, ev_in.pop_burst(got, 4));
  LONGS_EQUAL(0, got[0].seq);
  // Gaps in seq tell the reader how many it lost.
  e.apply(api::make_auto(13, 7 * kMs), 7 * kMs);
  api::Event next;
  CHECK_TRUE(ev_in.pop(next));
  CHECK(next.seq > got[3].seq + 1);
  LONGS_EQUAL(1, e.active_uplink());  // auto, and wan0 has the SIP outage
}

TEST(Engine, StreamsLeftOnAnUplinkNoLongerCarryingCallsMakeNoBlackout) {
  // After a failback to wan0 the far ends still sent to wan1 for a while,
  // then stopped: the streams last seen on wan1 fall silent by design.
  Collect sink;
  Engine e(Config::defaults(), sink, 0);
  e.on_link(0, true, kMs);
  e.on_link(1, true, kMs);
  LONGS_EQUAL(0, e.active_uplink());
  const TimeNs t = 10 * kSec;
  auto scan = [&](TimeNs now, UplinkIndex u, TimeNs last) {
    e.media_scan_begin(now);
    for (int i = 0; i < 2; ++i) e.media_scan_add(StreamSample{last, 50, u, 0, now, 50});  // our side talks
    e.media_scan_end(now);
  };
  scan(t, 1, t);
  scan(t + 500 * kMs, 1, t);  // silent 500 ms on wan1
  CHECK(e.health(1).state() == api::UplinkState::up);
  LONGS_EQUAL(0, e.health(1).fault_mask());
  // The same silence on the uplink that carries the calls is a blackout.
  scan(t + 600 * kMs, 0, t + 100 * kMs);
  scan(t + 1100 * kMs, 0, t + 100 * kMs);
  LONGS_EQUAL(1, e.active_uplink());
  CHECK(sink.switches().back().reason == R::media_blackout);
}

TEST(Engine, FailbackOnlyEverMovesToAMorePreferredUplink) {
  // wan0 carries traffic as the last resort while its hold-down runs; LTE's
  // hold-down ends first. Moving wan0 -> LTE is right (wan0 is not usable
  // yet) but it is not a failback; wan0's own end of hold-down is.
  Collect sink;
  Engine e(Config::defaults(), sink, 0);
  ProbeRequest req[16];
  for (UplinkIndex u = 0; u < 3; ++u) e.on_link(u, true, kMs);
  LONGS_EQUAL(0, e.active_uplink());
  e.on_link(0, false, 1000 * kMs);
  e.on_link(1, false, 1100 * kMs);
  e.on_link(2, false, 1200 * kMs);
  e.on_link(2, true, 1300 * kMs);  // hold-down until 11.3 s
  e.on_link(0, true, 1400 * kMs);  // hold-down until 11.4 s
  LONGS_EQUAL(0, e.active_uplink());
  CHECK(sink.switches().back().reason == R::last_resort);
  for (TimeNs t = 1400 * kMs; t <= 12 * kSec; t += 10 * kMs) e.poll(t, req, 16);
  auto sw = sink.switches();
  // initial, wan0->wan1 (link), wan1->lte (link), lte->wan0 (last resort),
  // wan0->lte (wan0 still in hold-down), lte->wan0 (failback).
  LONGS_EQUAL(6, sw.size());
  CHECK(sw[4].uplink_from == 0 && sw[4].uplink_to == 2);
  CHECK(sw[4].reason == R::holddown);
  CHECK(sw[5].uplink_from == 2 && sw[5].uplink_to == 0);
  CHECK(sw[5].reason == R::failback);
  for (const auto& s : sw)
    if (s.reason == R::failback) CHECK_TEXT(s.uplink_to < s.uplink_from, "failback to a less preferred uplink");
  STRCMP_EQUAL("holddown", api::switch_reason_name(R::holddown));
}
