#include "control/probe/trunk_health.hpp"

#include <algorithm>

#include "common/names.hpp"

namespace tg::probe {

const char* probe_outcome_name(ProbeOutcome o) {
  static const char* const t[] = {TG_PROBE_OUTCOMES(TG_NAME_OF)};
  return pick_name(t, size_t(o));
}

const char* probe_outcome_text(ProbeOutcome o) {
  static const char* const t[] = {TG_PROBE_OUTCOMES(TG_TEXT_OF)};
  return pick_name(t, size_t(o));
}

const char* trunk_state_name(TrunkState s) {
  static const char* const t[] = {TG_TRUNK_STATES(TG_NAME_OF)};
  return pick_name(t, size_t(s));
}

ProbeOutcome classify_response(int status, bool retry_after) {
  if (status >= 200 && status < 300) return ProbeOutcome::ok;
  switch (status) {
    // RFC 3261 11.2: a UAS may answer OPTIONS like INVITE, or refuse the
    // method; either way the SBC is there and processing requests.
    case 405: case 501:
      return ProbeOutcome::alive;
    case 408: case 504:
      return ProbeOutcome::unreachable;
    case 401: case 403: case 404: case 407: case 484:
      return ProbeOutcome::config;
    case 486: case 600:
      return ProbeOutcome::overloaded;
    // 503 with Retry-After is an overload with a promised return (RFC 3261
    // 21.5.4); without it the SBC is out of service for us.
    case 503:
      return retry_after ? ProbeOutcome::overloaded : ProbeOutcome::outage;
    case 480:
      return ProbeOutcome::outage;
    default:
      break;
  }
  if (status >= 500 && status < 600) return ProbeOutcome::outage;
  return ProbeOutcome::other;
}

// One row per state, one column per event (success, failure). The handlers
// only count and pick the next state; on_result does the rest.
const TrunkHealth::Handler TrunkHealth::kTable[kTrunkStateCount][2] = {
    /* unknown    */ {&TrunkHealth::on_success_unknown, &TrunkHealth::on_failure_unknown},
    /* up         */ {&TrunkHealth::on_success_up, &TrunkHealth::on_failure_up},
    /* failing    */ {&TrunkHealth::on_success_up, &TrunkHealth::on_failure_up},
    /* down       */ {&TrunkHealth::on_success_down, &TrunkHealth::on_failure_down},
    /* recovering */ {&TrunkHealth::on_success_down, &TrunkHealth::on_failure_down},
};

TrunkState TrunkHealth::on_success_unknown(TrunkHealth& h) {
  h.failures_ = 0;
  return ++h.successes_ >= h.config_.up_after ? TrunkState::up : TrunkState::unknown;
}
TrunkState TrunkHealth::on_failure_unknown(TrunkHealth& h) {
  h.successes_ = 0;
  return ++h.failures_ >= h.config_.down_after ? TrunkState::down : TrunkState::unknown;
}
// up and failing: one success clears the failure run.
TrunkState TrunkHealth::on_success_up(TrunkHealth& h) {
  h.failures_ = 0;
  ++h.successes_;
  return TrunkState::up;
}
TrunkState TrunkHealth::on_failure_up(TrunkHealth& h) {
  h.successes_ = 0;
  return ++h.failures_ >= h.config_.down_after ? TrunkState::down : TrunkState::failing;
}
// down and recovering: up_after successes in a row, any failure starts over.
TrunkState TrunkHealth::on_success_down(TrunkHealth& h) {
  h.failures_ = 0;
  return ++h.successes_ >= h.config_.up_after ? TrunkState::up : TrunkState::recovering;
}
TrunkState TrunkHealth::on_failure_down(TrunkHealth& h) {
  h.successes_ = 0;
  ++h.failures_;
  return TrunkState::down;
}

TrunkHealth::TrunkHealth(const TrunkHealthConfig& config) : config_(config) {
  config_.down_after = std::max(1, config_.down_after);
  config_.up_after = std::max(1, config_.up_after);
  if (config_.retry_interval == 0) config_.retry_interval = config_.interval;
}

void TrunkHealth::probe_sent(TimeNs now) {
  last_sent_ = now;
  reschedule();
}

void TrunkHealth::reschedule() {
  // While in doubt, probe at the retry pace to decide sooner.
  bool doubtful = state_ != TrunkState::up;
  next_probe_ = last_sent_ + (doubtful ? config_.retry_interval : config_.interval);
}

std::optional<TrunkTransition> TrunkHealth::on_result(const ProbeResult& r, TimeNs now) {
  ++probes_;
  ++outcomes_[int(r.outcome)];
  last_ = r;
  bool success = probe_success(r.outcome);
  if (!success) last_failure_ = r.outcome;
  TrunkState from = state_;
  TrunkState to = kTable[int(from)][success ? 0 : 1](*this);
  if (to == from) return std::nullopt;
  state_ = to;
  since_ = now;
  reschedule();  // the pace follows the new state from the last send
  // Only a change of usability (or leaving unknown) is news for the NOC.
  bool was_known = from != TrunkState::unknown;
  if (was_known && trunk_usable(from) == trunk_usable(to)) return std::nullopt;
  if (!was_known && to == TrunkState::unknown) return std::nullopt;
  return TrunkTransition{from, to, r.outcome, r.status, now};
}

}  // namespace tg::probe
