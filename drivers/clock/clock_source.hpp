// The clocks the fast path reads, behind one small interface (Grenning): the
// real one is the CPU's cycle counter plus the kernel's CLOCK_MONOTONIC and
// CLOCK_REALTIME (dataplane/fastpath/fast_clock.cpp); tests inject
// FakeClockSource with a cycle counter of any true rate and drift.
#pragma once
#include <cstdint>

namespace tg::drivers {

class ClockSource {
 public:
  virtual ~ClockSource() = default;
  // Cycle counter (TSC): cheap, no syscall; the only read on the worker.
  virtual uint64_t cycles() = 0;
  // What the platform claims the counter's rate is (DPDK rounds its estimate
  // to a multiple of 10 MHz: a starting point, never the truth).
  virtual uint64_t nominal_hz() = 0;
  // CLOCK_MONOTONIC and CLOCK_REALTIME in ns (vDSO; control path only).
  virtual uint64_t monotonic_ns() = 0;
  virtual uint64_t realtime_ns() = 0;
};

}  // namespace tg::drivers
