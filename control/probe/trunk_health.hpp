// Health of one SIP trunk over one uplink, from its OPTIONS probe results.
// A pure state machine: no I/O, time passed in by the caller (injected
// clock), every transition in one table (keepalived/bfdd style), so each is
// unit-tested. The daemon raises/clears alarms on the transitions it returns.
#pragma once
#include <cstdint>
#include <optional>

namespace tg::probe {

using TimeNs = uint64_t;
constexpr TimeNs kNsPerMs = 1'000'000;

// What one probe came back with. Declared once: enum, names, texts.
#define TG_PROBE_OUTCOMES(X)                                                          \
  X(ok, "2xx: the SBC answers")                                                       \
  X(alive, "405/501: the SBC answers but does not do OPTIONS (counted as success)")   \
  X(timeout, "no response before the probe timeout")                                 \
  X(unreachable, "408/504 or a transport error (ICMP unreachable, send failed)")     \
  X(config, "401/403/404/407/484: the trunk refuses us: configuration or account")   \
  X(overloaded, "503 with Retry-After, 486, 600: congested, will come back")         \
  X(outage, "503 without Retry-After, 480, 500, 502 and other 5xx: out of service")  \
  X(other, "any other 3xx-6xx")

enum class ProbeOutcome : uint8_t {
#define TG_X(name, text) name,
  TG_PROBE_OUTCOMES(TG_X)
#undef TG_X
      count_
};
constexpr int kProbeOutcomeCount = int(ProbeOutcome::count_);
const char* probe_outcome_name(ProbeOutcome);
const char* probe_outcome_text(ProbeOutcome);
inline bool probe_success(ProbeOutcome o) { return o == ProbeOutcome::ok || o == ProbeOutcome::alive; }

// Classifies a final response code (retry_after: the response had one).
ProbeOutcome classify_response(int status, bool retry_after);

struct ProbeResult {
  ProbeOutcome outcome = ProbeOutcome::timeout;
  int status = 0;          // SIP status; 0 for timeout / transport error
  TimeNs rtt = 0;          // request sent -> final response
};

#define TG_TRUNK_STATES(X)                                   \
  X(unknown, "not enough probes yet")                        \
  X(up, "answering")                                         \
  X(failing, "up, with fewer than down_after failures")      \
  X(down, "down_after consecutive failures")                 \
  X(recovering, "down, with fewer than up_after successes")

enum class TrunkState : uint8_t {
#define TG_X(name, text) name,
  TG_TRUNK_STATES(TG_X)
#undef TG_X
      count_
};
constexpr int kTrunkStateCount = int(TrunkState::count_);
const char* trunk_state_name(TrunkState);
// Whether calls may be sent: failing is still up, recovering still down.
inline bool trunk_usable(TrunkState s) { return s == TrunkState::up || s == TrunkState::failing; }

struct TrunkHealthConfig {
  int down_after = 3;                    // consecutive failures
  int up_after = 2;                      // consecutive successes
  TimeNs interval = 10'000 * kNsPerMs;   // between probes while up
  TimeNs retry_interval = 0;             // between probes while failing/down (0: interval)
};

// A change of usable state (unknown -> up/down, up -> down, down -> up):
// what the daemon raises or clears an alarm on.
struct TrunkTransition {
  TrunkState from, to;
  ProbeOutcome cause;    // the outcome that completed the transition
  int status;
  TimeNs at;
};

class TrunkHealth {
 public:
  explicit TrunkHealth(const TrunkHealthConfig& config = {});

  // Feeds one probe result received at `now`. Returns a transition when the
  // trunk became up or down (not for the intermediate failing/recovering).
  std::optional<TrunkTransition> on_result(const ProbeResult&, TimeNs now);
  // Whether the next probe is due at `now`, and its time.
  bool due(TimeNs now) const { return now >= next_probe_; }
  TimeNs next_probe() const { return next_probe_; }
  // The caller sent a probe at `now`: schedules the one after.
  void probe_sent(TimeNs now);

  TrunkState state() const { return state_; }
  bool usable() const { return trunk_usable(state_); }
  int consecutive_failures() const { return failures_; }
  int consecutive_successes() const { return successes_; }
  const ProbeResult& last() const { return last_; }
  ProbeOutcome last_failure() const { return last_failure_; }
  TimeNs since() const { return since_; }   // time of the last state change
  uint64_t probes() const { return probes_; }
  uint64_t outcome_count(ProbeOutcome o) const { return outcomes_[int(o)]; }

 private:
  using Handler = TrunkState (*)(TrunkHealth&);
  static TrunkState on_success_unknown(TrunkHealth&);
  static TrunkState on_failure_unknown(TrunkHealth&);
  static TrunkState on_success_up(TrunkHealth&);
  static TrunkState on_failure_up(TrunkHealth&);
  static TrunkState on_success_down(TrunkHealth&);
  static TrunkState on_failure_down(TrunkHealth&);
  // [state][0 = success, 1 = failure]
  static const Handler kTable[kTrunkStateCount][2];
  void reschedule();

  TrunkHealthConfig config_;
  TrunkState state_ = TrunkState::unknown;
  int failures_ = 0, successes_ = 0;
  ProbeResult last_;
  ProbeOutcome last_failure_ = ProbeOutcome::ok;
  TimeNs since_ = 0;
  TimeNs next_probe_ = 0;
  TimeNs last_sent_ = 0;
  uint64_t probes_ = 0;
  uint64_t outcomes_[kProbeOutcomeCount] = {};
};

}  // namespace tg::probe
