#include "control/daemon/qos_watch.hpp"

#include <cstdio>
#include <iterator>

namespace tg::controld {

namespace {
struct KindInfo {
  const char* name;
  const char* text;
  const char* unit;
  bool fails;
};
constexpr KindInfo kKinds[] = {
#define TG_X(name, text, unit, fails) {#name, text, unit, fails},
    TG_QOS_KINDS(TG_X)
#undef TG_X
};
}  // namespace

const char* qos_kind_name(QosKind k) { return kKinds[size_t(k)].name; }
bool qos_kind_fails_over(QosKind k) { return kKinds[size_t(k)].fails; }

QosWatch::State& QosWatch::state(const std::string& uplink, QosKind k) {
  for (State& s : states_[size_t(k)])
    if (s.uplink == uplink) return s;
  states_[size_t(k)].push_back({uplink, -1, -1, false});
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
    const double values[] = {s.rtt_ms, s.loss_pct, s.jitter_ms, s.rtt_ms, s.loss_pct};
    const double limits[] = {double(t.rtt_ms), t.loss_percent, double(t.jitter_ms), double(t.switch_rtt_ms),
                             t.switch_loss_percent};
    static_assert(std::size(values) == size_t(QosKind::count_));
    for (size_t k = 0; k < size_t(QosKind::count_); ++k) {
      State& st = state(s.uplink, QosKind(k));
      if (!s.measured) {
        // No figures (no probe answers at all): that is the fast path's
        // probe-loss fault, not a QoS value; keep the current verdict.
        st.over_since = st.under_since = -1;
        continue;
      }
      double v = values[k], limit = limits[k];
      bool over = v > limit, under = v < 0.8 * limit;
      st.over_since = over ? (st.over_since < 0 ? now : st.over_since) : -1;
      st.under_since = under ? (st.under_since < 0 ? now : st.under_since) : -1;
      bool change = !st.violated ? (over && now - st.over_since >= hold) : (under && now - st.under_since >= hold);
      if (!change) continue;
      st.violated = !st.violated;
      char text[160];
      std::snprintf(text, sizeof text, "%s %.1f %s %s %g %s for %d s", kKinds[k].text, v, kKinds[k].unit,
                    st.violated ? "above" : "back below", st.violated ? limit : 0.8 * limit, kKinds[k].unit,
                    t.window_s);
      out.push_back({s.uplink, s.index, QosKind(k), st.violated, v, limit, text});
    }
  }
  return out;
}

}  // namespace tg::controld
