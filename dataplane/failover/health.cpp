#include "dataplane/failover/health.hpp"

namespace tg::failover {

const char* health_input_name(HealthInput in) {
#define TG_X(name, text) #name,
  static const char* const names[] = {TG_HEALTH_INPUTS(TG_X)};
#undef TG_X
  return size_t(in) < size_t(HealthInput::count_) ? names[size_t(in)] : "?";
}

namespace {
// Indexed by UplinkState; order must follow TG_UPLINK_STATES.
constexpr UplinkHealth::Handler kHandlers[] = {
    &UplinkHealth::on_down, &UplinkHealth::on_recovering, &UplinkHealth::on_suspect,
    &UplinkHealth::on_up,   &UplinkHealth::on_admin_down,
};
static_assert(std::size(kHandlers) == size_t(UplinkState::count_));
constexpr uint32_t kMaxPenalty = 32;
}  // namespace

void UplinkHealth::reset(const HealthTimers& timers, TimeNs now) {
  *this = UplinkHealth{};
  timers_ = timers;
  since_ = now;
  decay_from_ = now;
}

bool UplinkHealth::handle(HealthInput in, TimeNs now, uint8_t soft, TimeNs onset) {
  const UplinkState before = state_;
  update_faults(in, now, soft, onset);
  decay(now);
  kHandlers[size_t(state_)](*this, in, now);
  return state_ != before;
}

TimeNs UplinkHealth::holddown() const {
  if (!ever_up_) return 0;
  // initial after the first flap, doubling with each further one, capped.
  TimeNs hd = timers_.holddown_initial;
  for (uint32_t p = 1; p < penalty_ && hd < timers_.holddown_max; ++p) hd *= 2;
  return hd < timers_.holddown_max ? hd : timers_.holddown_max;
}

void UplinkHealth::update_faults(HealthInput in, TimeNs now, uint8_t soft, TimeNs onset) {
  const TimeNs at = onset ? onset : now;
  const uint8_t old = faults_;
  TimeNs cause_onset = at;
  switch (in) {
    case HealthInput::link_up: faults_ &= uint8_t(~api::kFault_link); break;
    case HealthInput::link_down: faults_ |= api::kFault_link; break;
    case HealthInput::probe_ok:
      misses_ = 0;
      faults_ &= uint8_t(~api::kFault_probe);
      break;
    case HealthInput::probe_lost:
      if (misses_++ == 0) miss_onset_ = at;
      if (probe_run_is_fault(at)) faults_ |= api::kFault_probe;
      cause_onset = miss_onset_;  // the run of misses began with the first lost round
      break;
    case HealthInput::blackout_on: faults_ |= api::kFault_blackout; break;
    case HealthInput::blackout_off: faults_ &= uint8_t(~api::kFault_blackout); break;
    case HealthInput::soft_raise:
      soft_ |= soft;
      if (soft_) faults_ |= api::kFault_soft;
      break;
    case HealthInput::soft_clear:
      soft_ &= uint8_t(~soft);
      if (!soft_) faults_ &= uint8_t(~api::kFault_soft);
      break;
    case HealthInput::admin_down: faults_ |= api::kFault_admin; break;
    case HealthInput::admin_up: faults_ &= uint8_t(~api::kFault_admin); break;
    case HealthInput::timer:
    case HealthInput::count_: break;
  }
  // The onset of a down period is the first fault that appeared on a clean uplink.
  constexpr uint8_t kNotAdmin = uint8_t(~api::kFault_admin);
  if (!(old & kNotAdmin) && (faults_ & kNotAdmin)) fault_onset_ = cause_onset;
}

bool UplinkHealth::probe_run_is_fault(TimeNs last_sent) const {
  const uint32_t n = timers_.miss_threshold;
  if (misses_ >= n) return true;
  // Time-based: a run whose send times cover the miss window is a fault with
  // fewer rounds when a starved loop sent them late, but never with fewer
  // than 3/4 of them: at 6 % round loss (3 % each way) a run of 6 starts
  // once in ~2e7 rounds, a run of 4 once in ~8e4 (minutes at 100 rounds/s).
  const uint32_t min_lost = (3 * n + 3) / 4;
  return misses_ >= min_lost && last_sent >= miss_onset_ + TimeNs(n - 1) * timers_.probe_interval;
}

void UplinkHealth::decay(TimeNs now) {
  if (!usable()) return;
  // Penalty halves per holddown_decay of continuous usable time.
  while (penalty_ && now >= decay_from_ + timers_.holddown_decay) {
    penalty_ >>= 1;
    decay_from_ += timers_.holddown_decay;
  }
  if (!penalty_) decay_from_ = now;
}

void UplinkHealth::go(UplinkState to, TimeNs now) {
  if (to == state_) return;
  if (api::uplink_usable(to) && !usable()) {
    decay_from_ = now;
    ever_up_ = true;
  }
  prev_state_ = state_;
  state_ = to;
  since_ = now;
}

void UplinkHealth::go_down(TimeNs now) {
  if (penalty_ < kMaxPenalty) ++penalty_;
  ++flaps_total_;
  go(UplinkState::down, now);
}

void UplinkHealth::go_recovering(TimeNs now) {
  clean_since_ = now;
  recovery_holddown_ = holddown();
  go(UplinkState::recovering, now);
  on_recovering(*this, HealthInput::timer, now);  // a zero hold-down passes at once
}

void UplinkHealth::on_down(UplinkHealth& h, HealthInput, TimeNs now) {
  if (h.faults_ & api::kFault_admin) return h.go(UplinkState::admin_down, now);
  if (h.faults_) return;
  // Only an uplink that has been up can flap: the first recovery is immediate.
  if (!h.ever_up_) return h.go(h.misses_ ? UplinkState::suspect : UplinkState::up, now);
  h.go_recovering(now);
}

void UplinkHealth::on_recovering(UplinkHealth& h, HealthInput, TimeNs now) {
  if (h.faults_ & api::kFault_admin) return h.go(UplinkState::admin_down, now);
  if (h.faults_) return h.go_down(now);  // unstable while proving itself: counts as a flap
  if (now >= h.clean_since_ + h.recovery_holddown_)
    h.go(h.misses_ ? UplinkState::suspect : UplinkState::up, now);
}

void UplinkHealth::on_suspect(UplinkHealth& h, HealthInput, TimeNs now) {
  if (h.faults_ & api::kFault_admin) return h.go(UplinkState::admin_down, now);
  if (h.faults_) return h.go_down(now);
  if (h.misses_ == 0) h.go(UplinkState::up, now);
}

void UplinkHealth::on_up(UplinkHealth& h, HealthInput, TimeNs now) {
  if (h.faults_ & api::kFault_admin) return h.go(UplinkState::admin_down, now);
  if (h.faults_) return h.go_down(now);
  if (h.misses_ > 0) h.go(UplinkState::suspect, now);
}

void UplinkHealth::on_admin_down(UplinkHealth& h, HealthInput in, TimeNs now) {
  if (h.faults_ & api::kFault_admin) return;
  // Enabled again: not a flap; the usual rules (hold-down once it has been up) apply.
  h.go(UplinkState::down, now);
  on_down(h, in, now);
}

}  // namespace tg::failover
