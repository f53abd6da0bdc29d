// The fast path's clock: CLOCK_MONOTONIC nanoseconds read from the cycle
// counter, without a syscall on the worker.
//
// DPDK's rte_get_tsc_hz() is an estimate rounded to a multiple of 10 MHz
// (2690 MHz for a 2694.889 MHz TSC: +1817 ppm), so a clock built on it alone
// runs 0.18 % fast and drifts ~6.5 s a hour from CLOCK_MONOTONIC: call
// durations come out long and every time converted to wall time with an
// offset taken later is early. Instead the control work measures the
// counter's rate against CLOCK_MONOTONIC over ever longer spans
// (calibrate(), about once a second) and publishes a snapshot
// {tsc0, ns0, ns per cycle}; the worker turns a counter read into ns with
// that snapshot. Each new snapshot starts where the old one stands at the
// same instant (the clock never jumps back) and slews the remaining error
// away over the next period, so the clock stays within microseconds of
// CLOCK_MONOTONIC and its stamps can be converted to wall time with
// CLOCK_REALTIME - CLOCK_MONOTONIC.
//
// The snapshot is published under a seqlock of relaxed atomics: the
// calibrating lcore may differ from the reading one.
#pragma once
#include <atomic>
#include <cstdint>

#include "common/bytes.hpp"
#include "drivers/clock/clock_source.hpp"

namespace tg::fastpath {

struct FastClockConfig {
  TimeNs period = kNsPerSec;          // calibrate() is called about this often
  TimeNs step_above = 50 * kNsPerMs;  // an error this large is stepped (forward only), not slewed
  uint32_t max_slew_ppm = 100'000;    // slew at most 10 %: the rate stays positive
};

// Conversion parameters: ns = ns0 + (cycles - tsc0) * ns_per_cycle_q32 / 2^32.
struct FastClockSnapshot {
  uint64_t tsc0 = 0;
  TimeNs ns0 = 0;
  uint64_t ns_per_cycle_q32 = 0;
  TimeNs at(uint64_t tsc) const {
    const int64_t d = int64_t(tsc - tsc0);  // a read racing a newer snapshot may be just before tsc0
    const unsigned __int128 mag = (unsigned __int128)(d < 0 ? uint64_t(-d) : uint64_t(d)) * ns_per_cycle_q32 >> 32;
    return d < 0 ? ns0 - TimeNs(mag) : ns0 + TimeNs(mag);
  }
};

class FastClock {
 public:
  // Starts on the platform's nominal rate, anchored at CLOCK_MONOTONIC now.
  explicit FastClock(drivers::ClockSource& src, const FastClockConfig& cfg = {});

  // Worker: CLOCK_MONOTONIC ns from one counter read; no syscall, no lock.
  TimeNs now() const { return snapshot().at(src_.cycles()); }
  FastClockSnapshot snapshot() const;

  // Control work: one (counter, CLOCK_MONOTONIC) sample, a new rate from
  // the span since the first sample, a new snapshot. Cheap (three clock reads).
  void calibrate();
  // Start-up, before the clock is used: sample over `span` of
  // CLOCK_MONOTONIC (spinning) and re-anchor, so the first stamps are
  // already right to a few ppm rather than to DPDK's rounding.
  void settle(TimeNs span);

  // CLOCK_REALTIME - CLOCK_MONOTONIC (= - this clock, within its error):
  // turns the clock's stamps into wall time. Control path.
  uint64_t realtime_offset();

  double rate_hz() const { return rate_hz_; }           // measured (nominal until the first span)
  uint64_t nominal_hz() const { return nominal_hz_; }
  int64_t last_error_ns() const { return last_error_ns_; }  // CLOCK_MONOTONIC - this clock at the last calibrate()
  uint64_t steps() const { return steps_; }
  uint64_t calibrations() const { return calibrations_; }

 private:
  struct Sample {
    uint64_t tsc;
    TimeNs mono;
  };
  Sample sample();
  void publish(const FastClockSnapshot& s);

  drivers::ClockSource& src_;
  FastClockConfig cfg_;
  uint64_t nominal_hz_;
  double rate_hz_;
  Sample first_{};
  int64_t last_error_ns_ = 0;
  uint64_t steps_ = 0, calibrations_ = 0;
  std::atomic<uint64_t> seq_{0};
  std::atomic<uint64_t> tsc0_{0}, ns0_{0}, mult_{0};
};

// The real source: the TSC through DPDK, the kernel's clocks through vDSO.
class SystemClockSource final : public drivers::ClockSource {
 public:
  uint64_t cycles() override;
  uint64_t nominal_hz() override;
  uint64_t monotonic_ns() override;
  uint64_t realtime_ns() override;
};

}  // namespace tg::fastpath
