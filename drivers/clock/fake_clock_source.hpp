// Test double of ClockSource: one true time line (ns) the test advances; the
// cycle counter runs at true_hz (what the hardware really does), the
// platform claims nominal_hz, CLOCK_REALTIME is the monotonic time plus an
// offset the test may step (an NTP step). Every read may advance time by
// read_cost_ns, so code that spins on the clock terminates.
#pragma once
#include <cstdint>

#include "drivers/clock/clock_source.hpp"

namespace tg::drivers {

class FakeClockSource final : public ClockSource {
 public:
  FakeClockSource(uint64_t true_hz, uint64_t nominal_hz, uint64_t start_ns = 1'000'000'000ull)
      : true_hz_(true_hz), nominal_hz_(nominal_hz), now_ns_(start_ns) {}

  uint64_t cycles() override {
    tick();
    return cycles_at(now_ns_);
  }
  uint64_t nominal_hz() override { return nominal_hz_; }
  uint64_t monotonic_ns() override {
    tick();
    return now_ns_;
  }
  uint64_t realtime_ns() override {
    tick();
    return now_ns_ + realtime_offset_ns_;
  }

  void advance(uint64_t ns) { now_ns_ += ns; }
  uint64_t now_ns() const { return now_ns_; }
  uint64_t cycles_at(uint64_t ns) const { return uint64_t((unsigned __int128)ns * true_hz_ / 1'000'000'000ull); }
  void set_realtime_offset(uint64_t ns) { realtime_offset_ns_ = ns; }
  void set_read_cost(uint64_t ns) { read_cost_ns_ = ns; }

 private:
  void tick() { now_ns_ += read_cost_ns_; }
  uint64_t true_hz_, nominal_hz_;
  uint64_t now_ns_;
  uint64_t realtime_offset_ns_ = 1'700'000'000ull * 1'000'000'000ull;
  uint64_t read_cost_ns_ = 0;
};

}  // namespace tg::drivers
