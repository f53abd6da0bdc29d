// Failover decision figures with the default timers, on the simulated
// network of tests/unit/dataplane/failover/sim.hpp (20 ms RTP, 3 % loss
// each way, +-30 ms jitter, probe RTT 60 ms): delay from fault to decision
// for link-down and silent blackhole (probes+media, media only, probes
// only) as p50/p99/max over many trials, false switches over simulated
// hours, and the engine's own CPU cost per poll and per media scan.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tests/unit/dataplane/failover/sim.hpp"

using namespace tg;
using namespace tg::failover;
using namespace tg::failover::sim;

namespace {
Config with_probes() {
  Config c = Config::defaults();
  for (uint8_t u = 0; u < c.uplink_count; ++u) {
    c.uplinks[u].target_count = 1;
    c.uplinks[u].targets[0] = IpAddr::v4(0xC0000201 + u);
  }
  return c;
}

enum class Fault { link_down, blackhole };

double trial(const Config& cfg, int streams, Fault fault, uint32_t seed) {
  Network net(cfg, seed);
  for (auto& p : net.paths) {
    p.loss = 0.03;
    p.jitter = 30 * kMs;
  }
  net.add_streams(streams);
  std::mt19937 rng(seed);
  net.run_for(3 * kSec + std::uniform_int_distribution<TimeNs>(0, 20 * kMs)(rng));
  const TimeNs at = net.now;
  if (fault == Fault::link_down)
    net.set_link(0, false);
  else
    net.paths[0].blackhole = true;
  net.run_for(1 * kSec);
  for (const auto& s : net.sink.switches())
    if (s.uplink_from == 0) return double(s.decided_ns - at) / 1e6;
  return 1e9;
}

void report(const char* name, const Config& cfg, int streams, Fault fault, int trials) {
  std::vector<double> ms;
  for (int i = 0; i < trials; ++i) ms.push_back(trial(cfg, streams, fault, uint32_t(1000 + i)));
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double p) { return ms[std::min(ms.size() - 1, size_t(p * double(ms.size())))]; };
  std::printf("%-34s trials %4d  p50 %6.1f ms  p99 %6.1f ms  max %6.1f ms\n", name, trials, pct(0.5), pct(0.99),
              ms.back());
}
}  // namespace

int main(int argc, char** argv) {
  const int trials = argc > 1 ? std::atoi(argv[1]) : 200;
  const int hours = argc > 2 ? std::atoi(argv[2]) : 2;
  std::printf("fault -> decision, default timers (probes 10 ms / timeout 100 ms / 8 misses, blackout 120 ms)\n");
  report("link down", with_probes(), 4, Fault::link_down, trials);
  report("blackhole, probes + media (4 calls)", with_probes(), 4, Fault::blackhole, trials);
  report("blackhole, media only (4 calls)", Config::defaults(), 4, Fault::blackhole, trials);
  report("blackhole, media only (2 calls)", Config::defaults(), 2, Fault::blackhole, trials);
  report("blackhole, probes only (no calls)", with_probes(), 0, Fault::blackhole, trials);

  Network net(with_probes(), 7);
  for (auto& p : net.paths) {
    p.loss = 0.03;
    p.jitter = 30 * kMs;
  }
  net.add_streams(2);
  net.run_for(TimeNs(hours) * 3600 * kSec);
  std::printf("3 %% loss, +-30 ms jitter, 2 calls + probes, %d simulated h: %zu false switches, %d uplink downs\n",
              hours, net.sink.switches().size() - 1, net.sink.downs(0));

  // CPU cost of the decision itself (3 uplinks probing, nothing due most polls).
  Collect sink;
  Engine e(with_probes(), sink, 0);
  for (UplinkIndex u = 0; u < 3; ++u) e.on_link(u, true, 0);
  ProbeRequest req[16];
  const int polls = 2'000'000;
  auto t0 = std::chrono::steady_clock::now();
  TimeNs now = 0;
  for (int i = 0; i < polls; ++i) {
    now += 1000;  // 1 us per loop: a probe round every 10000 polls
    size_t n = e.poll(now, req, 16);
    for (size_t k = 0; k < n; ++k) e.on_probe_reply(req[k].ident, req[k].seq, now + 1);
  }
  auto t1 = std::chrono::steady_clock::now();
  std::printf("engine poll: %.1f ns per call\n", std::chrono::duration<double, std::nano>(t1 - t0).count() / polls);
  const int streams = 1000, scans = 20000;
  t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < scans; ++i) {
    now += 10 * kMs;
    e.media_scan_begin(now);
    for (int s = 0; s < streams; ++s) e.media_scan_add(StreamSample{now - kMs, 50, UplinkIndex(s % 3), 0, now - kMs, 50});
    e.media_scan_end(now);
  }
  t1 = std::chrono::steady_clock::now();
  std::printf("media scan: %.1f ns per stream (%d streams per scan)\n",
              std::chrono::duration<double, std::nano>(t1 - t0).count() / (double(scans) * streams), streams);
  return 0;
}
