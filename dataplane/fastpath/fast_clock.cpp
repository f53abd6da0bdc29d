#include "dataplane/fastpath/fast_clock.hpp"

#include <rte_cycles.h>

#include <algorithm>
#include <cmath>
#include <ctime>

namespace tg::fastpath {
namespace {

uint64_t q32_ns_per_cycle(double hz) { return uint64_t(std::llround(1e9 * 4294967296.0 / hz)); }

uint64_t read_clock(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return uint64_t(ts.tv_sec) * kNsPerSec + uint64_t(ts.tv_nsec);
}

}  // namespace

FastClock::FastClock(drivers::ClockSource& src, const FastClockConfig& cfg)
    : src_(src), cfg_(cfg), nominal_hz_(std::max<uint64_t>(src.nominal_hz(), 1)), rate_hz_(double(nominal_hz_)) {
  first_ = sample();
  publish({first_.tsc, first_.mono, q32_ns_per_cycle(rate_hz_)});
}

FastClock::Sample FastClock::sample() {
  // CLOCK_MONOTONIC between two counter reads; the tightest of three
  // brackets (a preemption inside one makes it wide).
  Sample best{};
  uint64_t best_width = UINT64_MAX;
  for (int i = 0; i < 3; ++i) {
    const uint64_t c1 = src_.cycles();
    const TimeNs m = src_.monotonic_ns();
    const uint64_t c2 = src_.cycles();
    if (c2 - c1 < best_width) {
      best_width = c2 - c1;
      best = {c1 + (c2 - c1) / 2, m};
    }
  }
  return best;
}

FastClockSnapshot FastClock::snapshot() const {
  FastClockSnapshot s;
  for (;;) {
    const uint64_t q1 = seq_.load(std::memory_order_acquire);
    s.tsc0 = tsc0_.load(std::memory_order_relaxed);
    s.ns0 = ns0_.load(std::memory_order_relaxed);
    s.ns_per_cycle_q32 = mult_.load(std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (!(q1 & 1) && seq_.load(std::memory_order_relaxed) == q1) return s;
  }
}

void FastClock::publish(const FastClockSnapshot& s) {
  const uint64_t q = seq_.load(std::memory_order_relaxed);
  seq_.store(q + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  tsc0_.store(s.tsc0, std::memory_order_relaxed);
  ns0_.store(s.ns0, std::memory_order_relaxed);
  mult_.store(s.ns_per_cycle_q32, std::memory_order_relaxed);
  seq_.store(q + 2, std::memory_order_release);
}

void FastClock::calibrate() {
  const Sample x = sample();
  ++calibrations_;
  // Rate over the whole span since start: the bracket's error (~100 ns)
  // shrinks relative to it; 100 ms already gives ~1 ppm.
  if (x.mono > first_.mono + 100 * kNsPerMs && x.tsc > first_.tsc)
    rate_hz_ = double(x.tsc - first_.tsc) * 1e9 / double(x.mono - first_.mono);
  const FastClockSnapshot old = snapshot();
  const TimeNs here = old.at(x.tsc);
  int64_t err = int64_t(x.mono - here);
  last_error_ns_ = err;
  FastClockSnapshot next{x.tsc, here, 0};
  if (err > int64_t(cfg_.step_above)) {
    next.ns0 = x.mono;  // far behind (start-up, a stall): catch up at once
    err = 0;
    ++steps_;
  }
  // Slew: the error is gone one period from now. Ahead of CLOCK_MONOTONIC
  // the clock only runs slower, never back.
  const double period = double(cfg_.period);
  const double limit = period * cfg_.max_slew_ppm / 1e6;
  const double slew = std::clamp(double(err), -limit, limit);
  next.ns_per_cycle_q32 = uint64_t(std::llround((period + slew) / (period * rate_hz_ / 1e9) * 4294967296.0));
  publish(next);
}

void FastClock::settle(TimeNs span) {
  const TimeNs until = src_.monotonic_ns() + span;
  while (src_.monotonic_ns() < until) {
  }
  // Before anyone used the clock: re-anchor on CLOCK_MONOTONIC at the
  // measured rate (the only time it may move back).
  const Sample x = sample();
  if (x.mono > first_.mono && x.tsc > first_.tsc)
    rate_hz_ = double(x.tsc - first_.tsc) * 1e9 / double(x.mono - first_.mono);
  ++calibrations_;
  publish({x.tsc, x.mono, q32_ns_per_cycle(rate_hz_)});
}

uint64_t FastClock::realtime_offset() {
  const uint64_t m1 = src_.monotonic_ns();
  const uint64_t r = src_.realtime_ns();
  const uint64_t m2 = src_.monotonic_ns();
  return r - (m1 + (m2 - m1) / 2);
}

uint64_t SystemClockSource::cycles() { return rte_get_tsc_cycles(); }
uint64_t SystemClockSource::nominal_hz() { return rte_get_tsc_hz(); }
uint64_t SystemClockSource::monotonic_ns() { return read_clock(CLOCK_MONOTONIC); }
uint64_t SystemClockSource::realtime_ns() { return read_clock(CLOCK_REALTIME); }

}  // namespace tg::fastpath
