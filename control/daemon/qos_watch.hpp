// QoS decisions on the fast path's per-uplink figures (probe RTT, loss,
// jitter over its window) against [thresholds]: a limit exceeded for
// window_s in a row is a violation; it ends after window_s below 80 % of the
// limit (hysteresis, so an uplink near the limit does not flap).
//
// Two levels, watched apart: the alarm level tells the NOC early; the switch
// level, well above ordinary impairment (<= 3 % loss each way, 30 ms
// jitter), moves traffic. One limit for both would either alarm late or
// fail over on a carrier that merely loses a little.
//
//   RTT  > rtt_ms               -> alarm uplink_latency
//   loss > loss_percent         -> alarm uplink_loss
//   jitter > jitter_ms          -> alarm uplink_jitter (the jitter buffer copes; no switch)
//   RTT  > switch_rtt_ms        -> soft fault "latency" (fails over)
//   loss > switch_loss_percent  -> soft fault "other"   (fails over)
//
// Pure logic on an injected clock: the controller feeds it figures and
// carries out the actions (commands on the ring, alarms).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "control/config/config.hpp"
#include "dataplane/ipc/messages.hpp"

namespace tg::controld {

// name, text, unit, fails over (switch level) or alarm level
#define TG_QOS_KINDS(X)                              \
  X(latency, "round-trip time", "ms", false)         \
  X(loss, "packet loss", "%", false)                 \
  X(jitter, "jitter", "ms", false)                   \
  X(latency_switch, "round-trip time", "ms", true)   \
  X(loss_switch, "packet loss", "%", true)

enum class QosKind : uint8_t {
#define TG_X(name, text, unit, fails) name,
  TG_QOS_KINDS(TG_X)
#undef TG_X
      count_
};
const char* qos_kind_name(QosKind);
bool qos_kind_fails_over(QosKind);

struct QosSample {
  std::string uplink;
  uint8_t index = 0;
  bool measured = false;  // probe window has answered rounds
  double rtt_ms = 0, loss_pct = 0, jitter_ms = 0;
};

struct QosAction {
  std::string uplink;
  uint8_t index = 0;
  QosKind kind = QosKind::latency;
  bool raise = true;        // false: clear
  double value = 0, limit = 0;
  std::string text;         // "RTT 182.0 ms above 100 ms for 10 s"
};

class QosWatch {
 public:
  // Returns what changed at `now_ms` (violation started or ended).
  std::vector<QosAction> evaluate(const std::vector<QosSample>& samples, const config::Thresholds& t, int64_t now_ms);
  bool violated(const std::string& uplink, QosKind k) const;

 private:
  struct State {
    std::string uplink;
    int64_t over_since = -1, under_since = -1;  // -1: not in that condition
    bool violated = false;
  };
  State& state(const std::string& uplink, QosKind k);
  std::vector<State> states_[size_t(QosKind::count_)];
};

}  // namespace tg::controld
