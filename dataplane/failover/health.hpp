// Health of one uplink: a table-driven state machine (FRR bfdd style: one
// handler per state). Time is always passed in; nothing here reads a clock.
//
// Every input first updates the fault mask / miss counter (common code),
// then the current state's handler decides the transition. States, inputs
// and the transition table: dataplane/failover/README.md.
#pragma once
#include <cstdint>

#include "dataplane/failover/config.hpp"
#include "dataplane/api/uplink.hpp"

namespace tg::failover {

using api::UplinkState;

#define TG_HEALTH_INPUTS(X)                                     \
  X(link_up, "carrier up")                                      \
  X(link_down, "carrier down")                                  \
  X(probe_ok, "a probe round answered in time")                 \
  X(probe_lost, "a probe round timed out")                      \
  X(blackout_on, "media blackout detected")                     \
  X(blackout_off, "media blackout no longer detected")          \
  X(soft_raise, "control daemon raised a soft fault")           \
  X(soft_clear, "control daemon cleared a soft fault")          \
  X(admin_down, "operator disabled the uplink")                 \
  X(admin_up, "operator enabled the uplink")                    \
  X(timer, "time passed (hold-down expiry, penalty decay)")

enum class HealthInput : uint8_t {
#define TG_X(name, text) name,
  TG_HEALTH_INPUTS(TG_X)
#undef TG_X
      count_
};
const char* health_input_name(HealthInput);

class UplinkHealth {
 public:
  // Starts down (carrier unknown) with no penalty. The first recovery after
  // start needs no hold-down: only an uplink that has been up can flap.
  void reset(const HealthTimers& timers, TimeNs now);
  void set_timers(const HealthTimers& timers) { timers_ = timers; }

  // soft: soft_fault_bit() for soft_raise/soft_clear. onset: when the fault
  // began if known earlier than now (the lost probe round's send time, media
  // onset); 0 = now. Returns true if the state changed.
  // Probe fault: miss_threshold consecutive lost rounds, or at least 3/4 as
  // many whose send times span the miss window ((miss_threshold - 1) x
  // probe_interval): a starved loop sends rounds late, and detection must
  // follow time, not the round count.
  bool handle(HealthInput in, TimeNs now, uint8_t soft = 0, TimeNs onset = 0);

  UplinkState state() const { return state_; }
  bool usable() const { return api::uplink_usable(state_); }
  uint8_t fault_mask() const { return faults_; }
  uint8_t soft_faults() const { return soft_; }
  bool link_up() const { return !(faults_ & api::kFault_link); }
  uint32_t misses() const { return misses_; }
  TimeNs since() const { return since_; }                // last state change
  TimeNs fault_onset() const { return fault_onset_; }    // of the current/last down period
  TimeNs holddown() const;                               // what the next recovery needs
  TimeNs recovery_deadline() const { return clean_since_ + recovery_holddown_; }  // in recovering
  uint32_t penalty() const { return penalty_; }          // flap level, decays
  uint64_t flaps_total() const { return flaps_total_; }
  UplinkState previous_state() const { return prev_state_; }
  const HealthTimers& timers() const { return timers_; }

  // Handlers, public for the dispatch table only.
  using Handler = void (*)(UplinkHealth&, HealthInput, TimeNs);
  static void on_down(UplinkHealth&, HealthInput, TimeNs);
  static void on_recovering(UplinkHealth&, HealthInput, TimeNs);
  static void on_suspect(UplinkHealth&, HealthInput, TimeNs);
  static void on_up(UplinkHealth&, HealthInput, TimeNs);
  static void on_admin_down(UplinkHealth&, HealthInput, TimeNs);

 private:
  void update_faults(HealthInput in, TimeNs now, uint8_t soft, TimeNs onset);
  bool probe_run_is_fault(TimeNs last_sent) const;
  void go(UplinkState to, TimeNs now);
  void go_down(TimeNs now);           // from a usable or recovering state: a flap
  void go_recovering(TimeNs now);
  void decay(TimeNs now);

  HealthTimers timers_;
  UplinkState state_ = UplinkState::down;
  UplinkState prev_state_ = UplinkState::down;
  uint8_t faults_ = api::kFault_link;
  uint8_t soft_ = 0;
  bool ever_up_ = false;
  uint32_t misses_ = 0;
  uint32_t penalty_ = 0;
  uint64_t flaps_total_ = 0;
  TimeNs since_ = 0;
  TimeNs miss_onset_ = 0;
  TimeNs fault_onset_ = 0;
  TimeNs clean_since_ = 0;
  TimeNs recovery_holddown_ = 0;
  TimeNs decay_from_ = 0;
};

}  // namespace tg::failover
