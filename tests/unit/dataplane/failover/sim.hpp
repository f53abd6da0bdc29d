// A small discrete-time network for engine tests: RTP streams from the far
// side arriving over the active uplink, echo probes answered by targets,
// each uplink with its own loss, delay and jitter, faults injectable. Runs
// on a 1 ms tick with the engine's injected clock; seeded, so repeatable.
#pragma once
#include <queue>
#include <random>
#include <vector>

#include "dataplane/failover/engine.hpp"

namespace tg::failover::sim {

constexpr TimeNs kMs = kNsPerMs;
constexpr TimeNs kSec = kNsPerSec;

struct Collect final : EventSink {
  std::vector<api::Event> events;
  void emit(const api::Event& e) override { events.push_back(e); }
  std::vector<api::SwitchEvent> switches() const {
    std::vector<api::SwitchEvent> out;
    for (const auto& e : events)
      if (e.kind == api::EventKind::uplink_switch) out.push_back(e.uplink_switch);
    return out;
  }
  int downs(UplinkIndex u) const {
    int n = 0;
    for (const auto& e : events)
      if (e.kind == api::EventKind::uplink_state && e.uplink_state.uplink == u && e.uplink_state.to == api::UplinkState::down) ++n;
    return n;
  }
};

struct Path {
  double loss = 0.0;           // per packet, each direction of a probe counted once
  TimeNs one_way = 30 * kMs;   // mean one-way delay; probe RTT = 2x, jitter applied once
  TimeNs jitter = 0;           // uniform +- this
  bool blackhole = false;      // silently drops everything
  bool link = true;            // carrier
};

class Network {
 public:
  Network(const Config& cfg, uint32_t seed, TimeNs start = 1 * kSec)
      : engine(cfg, sink, start), now(start), rng_(seed) {
    for (uint8_t u = 0; u < cfg.uplink_count; ++u) engine.on_link(u, true, now);
  }

  void add_streams(int n, uint8_t flags = 0) {
    for (int i = 0; i < n; ++i) streams_.push_back(Stream{now + TimeNs(i) * 3 * kMs, 0, {}, flags});
  }

  void set_link(UplinkIndex u, bool up) {
    paths[u].link = up;
    engine.on_link(u, up, now);
  }

  // The engine's thread is descheduled for d: the network goes on, nothing
  // is polled. The first pass after it (run here too) does the worst order:
  // media scan and probe timeouts before the rx backlog is drained (stamped
  // then, like the fast path stamps packets when it polls them).
  void stall(TimeNs d) {
    stalled_until_ = now + d;
    run_until(stalled_until_);
  }
  // The loop passes only every `period` (a starved process); 0: every 1 ms.
  void starve(TimeNs period) { pass_every_ = period; }

  void run_for(TimeNs d) { run_until(now + d); }
  void run_until(TimeNs end) {
    while (now < end) step();
  }

  Path paths[kMaxUplinks];
  Collect sink;
  Engine engine;
  TimeNs now;
  TimeNs scan_every = 10 * kMs;

 private:
  struct Stream {
    TimeNs next_send;
    TimeNs last_rx;
    FlowMeter meter;
    uint8_t flags;
  };
  struct Arrival {
    TimeNs at;
    int stream;        // >= 0: RTP for this stream; -1: probe reply
    uint16_t ident, seq;
    bool operator>(const Arrival& o) const { return at > o.at; }
  };

  bool passes(UplinkIndex u) {
    const Path& p = paths[u];
    if (!p.link || p.blackhole) return false;
    return std::uniform_real_distribution<double>(0, 1)(rng_) >= p.loss;
  }
  TimeNs delay(UplinkIndex u) {
    const Path& p = paths[u];
    int64_t j = p.jitter ? std::uniform_int_distribution<int64_t>(-int64_t(p.jitter), int64_t(p.jitter))(rng_) : 0;
    int64_t d = int64_t(p.one_way) + j;
    return TimeNs(d < int64_t(kMs) ? int64_t(kMs) : d);
  }

  void drain() {
    while (!arrivals_.empty() && arrivals_.top().at <= now) {
      Arrival a = arrivals_.top();
      arrivals_.pop();
      if (a.stream >= 0) {
        Stream& s = streams_[size_t(a.stream)];
        s.last_rx = now;  // stamped when polled
        s.meter.on_packet(now);
      } else {
        engine.on_probe_reply(a.ident, a.seq, now);
      }
    }
  }

  void scan(UplinkIndex active) {
    engine.media_scan_begin(now);
    // The LAN side talks all along (a blackhole is on the carrier side): its
    // packets reach the box every 20 ms.
    for (const Stream& s : streams_)
      engine.media_scan_add(StreamSample{s.last_rx, s.meter.recent(s.last_rx), active, s.flags, now - (now % (20 * kMs)), 50});
    engine.media_scan_end(now);
    if (active != kNoUplink) engine.set_active_calls(active, uint32_t(streams_.size()));
  }

  void send_probes() {
    ProbeRequest req[16];
    size_t n = engine.poll(now, req, 16);
    for (size_t i = 0; i < n; ++i) {
      UplinkIndex u = req[i].uplink;
      if (passes(u) && passes(u)) arrivals_.push({now + paths[u].one_way + delay(u), -1, req[i].ident, req[i].seq});
    }
  }

  void send_media() {
    const UplinkIndex active = engine.active_uplink();
    for (size_t i = 0; i < streams_.size(); ++i) {
      Stream& s = streams_[i];
      while (s.next_send <= now) {  // 20 ms ptime from the far side
        if (!(s.flags & kStreamOnHold) && active != kNoUplink && passes(active))
          arrivals_.push({s.next_send + delay(active), int(i), 0, 0});
        s.next_send += 20 * kMs;
      }
    }
  }

  void step() {
    now += kMs;
    if (now < stalled_until_ || (pass_every_ && now % pass_every_ != 0)) {
      send_media();  // the far side does not stall
      return;
    }
    engine.loop_pass(now);
    if (stalled_until_) {
      stalled_until_ = 0;
      if (!streams_.empty()) scan(engine.active_uplink());
      send_probes();
    }
    drain();
    send_media();
    const UplinkIndex active = engine.active_uplink();
    send_probes();
    if (now >= next_scan_ && !streams_.empty()) {
      next_scan_ = now - now % scan_every + scan_every;
      scan(active);
    }
  }

  TimeNs stalled_until_ = 0;
  TimeNs next_scan_ = 0;
  TimeNs pass_every_ = 0;
  std::vector<Stream> streams_;
  std::priority_queue<Arrival, std::vector<Arrival>, std::greater<Arrival>> arrivals_;
  std::mt19937_64 rng_;
};

}  // namespace tg::failover::sim
