// QoS decisions on the fast path's per-uplink figures against [thresholds]:
// a limit crossed for window_s in a row is a violation; it ends after
// window_s back on the good side with a margin (hysteresis, so an uplink
// near the limit does not flap): below 80 % of an upper limit, above 105 %
// of a lower one (MOS 3.6 clears above 3.78).
//
// Two levels, watched apart: the alarm level tells the NOC early; the switch
// level, well above ordinary impairment (<= 3 % loss each way, 30 ms
// jitter), moves traffic. One limit for both would either alarm late or
// fail over on a carrier that merely loses a little.
//
//   probe RTT  > rtt_ms               -> alarm uplink_latency
//   probe loss > loss_percent         -> alarm uplink_loss
//   probe jitter > jitter_ms          -> alarm uplink_jitter (the jitter buffer copes; no switch)
//   voice MOS  < mos                  -> alarm uplink_mos
//   voice one-way delay > one_way_delay_ms -> alarm uplink_delay
//   probe RTT  > switch_rtt_ms        -> soft fault "latency" (fails over)
//   probe loss > switch_loss_percent  -> soft fault "other"   (fails over)
//   voice MOS  < switch_mos           -> soft fault "mos"     (fails over)
//
// The voice figures come from the calls carried: the media path can be bad
// while the probes are fine (a congested carrier media gateway). One-way
// delay only alarms (the probe RTT switch level covers the path). With no
// call to rate (traffic moved off the uplink, or a quiet night), a
// voice alarm stays until no figure has come for kVoiceIdleWindows windows,
// then clears as "no longer observed" (calls come and go; a quiet night
// must not leave last evening's alarm standing).
//
// Pure logic on an injected clock: the controller feeds it figures and
// carries out the actions (commands on the ring, alarms).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "control/alarms/alarm.hpp"
#include "control/config/config.hpp"
#include "dataplane/api/messages.hpp"

namespace tg::controld {

// What a violation of one kind does: raise an alarm (alarm level), or order
// a soft fault on the fast path (switch level; the failover it causes is
// reported by the switch event, not by a QoS alarm).
struct QosEffect {
  std::optional<alarm::AlarmType> alarm;
  std::optional<api::SoftFault> soft_fault;
};
#define TG_QOS_ALARM(type) (QosEffect{alarm::AlarmType::type, std::nullopt})
#define TG_QOS_SWITCH(fault) (QosEffect{std::nullopt, api::SoftFault::fault})

// name, text, unit, bad below the limit, from calls, effect
#define TG_QOS_KINDS(X)                                                                          \
  X(latency, "round-trip time", "ms", false, false, TG_QOS_ALARM(uplink_latency))                \
  X(loss, "packet loss", "%", false, false, TG_QOS_ALARM(uplink_loss))                           \
  X(jitter, "jitter", "ms", false, false, TG_QOS_ALARM(uplink_jitter))                           \
  X(mos, "voice MOS", "", true, true, TG_QOS_ALARM(uplink_mos))                                  \
  X(one_way_delay, "voice one-way delay", "ms", false, true, TG_QOS_ALARM(uplink_delay))         \
  X(latency_switch, "round-trip time", "ms", false, false, TG_QOS_SWITCH(latency))               \
  X(loss_switch, "packet loss", "%", false, false, TG_QOS_SWITCH(other))                         \
  X(mos_switch, "voice MOS", "", true, true, TG_QOS_SWITCH(mos))

enum class QosKind : uint8_t {
#define TG_X(name, text, unit, below, voice, effect) name,
  TG_QOS_KINDS(TG_X)
#undef TG_X
      count_
};
const char* qos_kind_name(QosKind);
const QosEffect& qos_kind_effect(QosKind);
inline bool qos_kind_fails_over(QosKind k) { return qos_kind_effect(k).soft_fault.has_value(); }

// A voice alarm with no figure at all clears after this many windows.
constexpr int kVoiceIdleWindows = 6;

struct QosSample {
  std::string uplink;
  uint8_t index = 0;
  bool measured = false;  // probe window has answered rounds
  double rtt_ms = 0, loss_pct = 0, jitter_ms = 0;
  // From the calls carried (UplinkMediaWire): rated voice streams and
  // streams with an RTCP round trip.
  bool mos_known = false;
  double mos = 0;
  bool delay_known = false;
  double one_way_delay_ms = 0;
};

struct QosAction {
  std::string uplink;
  uint8_t index = 0;
  QosKind kind = QosKind::latency;
  bool raise = true;        // false: clear
  double value = 0, limit = 0;
  std::string text;         // "round-trip time 182.0 ms above 100 ms for 10 s"
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
    int64_t unknown_since = -1;                 // voice kinds: no figure since
    bool violated = false;
  };
  State& state(const std::string& uplink, QosKind k);
  std::vector<State> states_[size_t(QosKind::count_)];
};

}  // namespace tg::controld
