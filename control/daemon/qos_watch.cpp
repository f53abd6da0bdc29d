#include "control/daemon/qos_watch.hpp"

#include <cstdio>

namespace tg::controld {

namespace {
struct KindInfo {
  const char* name;
  const char* text;
  const char* unit;
  bool below;  // bad below the limit (MOS), else above
  bool voice;  // figure from the calls carried, else from the probes
  QosEffect effect;
};
const KindInfo kKinds[] = {
#define TG_X(name, text, unit, below, voice, effect) {#name, text, unit, below, voice, effect},
    TG_QOS_KINDS(TG_X)
#undef TG_X
};
static_assert(sizeof kKinds / sizeof *kKinds == size_t(QosKind::count_));

struct Reading {
  bool known;
  double value, limit;
};

Reading reading(const QosSample& s, QosKind k, const config::Thresholds& t) {
  switch (k) {
    case QosKind::latency: return {s.measured, s.rtt_ms, double(t.rtt_ms)};
    case QosKind::loss: return {s.measured, s.loss_pct, t.loss_percent};
    case QosKind::jitter: return {s.measured, s.jitter_ms, double(t.jitter_ms)};
    case QosKind::mos: return {s.mos_known, s.mos, t.mos};
    case QosKind::one_way_delay: return {s.delay_known, s.one_way_delay_ms, double(t.one_way_delay_ms)};
    case QosKind::latency_switch: return {s.measured, s.rtt_ms, double(t.switch_rtt_ms)};
    case QosKind::loss_switch: return {s.measured, s.loss_pct, t.switch_loss_percent};
    case QosKind::mos_switch: return {s.mos_known, s.mos, t.switch_mos};
    case QosKind::count_: break;
  }
  return {false, 0, 0};
}

// The good side with its margin: 80 % of an upper limit, 105 % of a lower one.
double clear_level(const KindInfo& k, double limit) { return k.below ? 1.05 * limit : 0.8 * limit; }
}  // namespace

const char* qos_kind_name(QosKind k) { return kKinds[size_t(k)].name; }
const QosEffect& qos_kind_effect(QosKind k) { return kKinds[size_t(k)].effect; }

QosWatch::State& QosWatch::state(const std::string& uplink, QosKind k) {
  for (State& s : states_[size_t(k)])
    if (s.uplink == uplink) return s;
  states_[size_t(k)].push_back({uplink});
  return states_[size_t(k)].back();
}

bool QosWatch::violated(const std::string& uplink, QosKind k) const {
  for (const State& s : states_[size_t(k)])
    if (s.uplink == uplink) return s.violated;
  return false;
}

std::vector<QosAction> QosWatch::evaluate(const std::vector<QosSample>& samples, const config::Thresholds& t,
                                          int64_t now) {
  std::vector<QosAction> out;
  const int64_t hold = int64_t(t.window_s) * 1000;
  for (const QosSample& s : samples) {
    for (size_t k = 0; k < size_t(QosKind::count_); ++k) {
      const KindInfo& info = kKinds[k];
      State& st = state(s.uplink, QosKind(k));
      const Reading r = reading(s, QosKind(k), t);
      char text[160];
      if (!r.known) {
        // Probe kinds: no answers at all is the fast path's probe-loss
        // fault, not a QoS value; keep the verdict. Voice kinds: no call to
        // rate; keep it for a while, then it is no longer observed.
        st.over_since = st.under_since = -1;
        if (!info.voice) continue;
        if (st.unknown_since < 0) st.unknown_since = now;
        if (!st.violated || now - st.unknown_since < kVoiceIdleWindows * hold) continue;
        st.violated = false;
        std::snprintf(text, sizeof text, "%s no longer observed: no call to rate for %d s", info.text,
                      kVoiceIdleWindows * t.window_s);
        out.push_back({s.uplink, s.index, QosKind(k), false, 0, r.limit, text});
        continue;
      }
      st.unknown_since = -1;
      const double clear = clear_level(info, r.limit);
      const bool over = info.below ? r.value < r.limit : r.value > r.limit;
      const bool under = info.below ? r.value > clear : r.value < clear;
      st.over_since = over ? (st.over_since < 0 ? now : st.over_since) : -1;
      st.under_since = under ? (st.under_since < 0 ? now : st.under_since) : -1;
      const bool change = !st.violated ? (over && now - st.over_since >= hold) : (under && now - st.under_since >= hold);
      if (!change) continue;
      st.violated = !st.violated;
      const char* side = st.violated ? (info.below ? "below" : "above") : (info.below ? "back above" : "back below");
      const char* space = info.unit[0] ? " " : "";
      std::snprintf(text, sizeof text, "%s %.*f%s%s %s %g%s%s for %d s", info.text, info.voice && info.below ? 2 : 1,
                    r.value, space, info.unit, side, st.violated ? r.limit : clear, space, info.unit, t.window_s);
      out.push_back({s.uplink, s.index, QosKind(k), st.violated, r.value, r.limit, text});
    }
  }
  return out;
}

}  // namespace tg::controld
