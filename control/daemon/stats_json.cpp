#include "control/daemon/stats_json.hpp"

#include <cmath>
#include <cstring>

namespace tg::controld {

using mgmt::Json;

double round_to(double v, int decimals) {
  double f = std::pow(10.0, decimals);
  return std::round(v * f) / f;
}

std::string stats_name(const char* name, size_t size) { return std::string(name, strnlen(name, size)); }

std::string faults_text(uint8_t mask) {
  char buf[64];
  return api::fault_mask_text(mask, buf, sizeof buf);
}
std::string soft_text(uint8_t mask) {
  std::string out;
  for (uint8_t i = 0; i < uint8_t(api::SoftFault::count_); ++i)
    if (mask & (1u << i)) out += std::string(out.empty() ? "" : "+") + api::soft_fault_name(api::SoftFault(i));
  return out.empty() ? "none" : out;
}

void add_uplink_stats(Json& j, const api::UplinkStatsWire& st, bool active, uint64_t now_ns) {
  j["state"] = api::uplink_state_name(st.state);
  j["active"] = active;
  j["link_up"] = st.link_up != 0;
  j["faults"] = faults_text(st.fault_mask);
  j["soft_faults"] = soft_text(st.soft_faults);
  j["misses"] = st.misses;
  j["since_s"] = st.state_since_ns && now_ns >= st.state_since_ns
                     ? Json(round_to(double(now_ns - st.state_since_ns) / 1e9, 1))
                     : Json(nullptr);
  j["holddown_ms"] = st.holddown_ms;
  j["flaps"] = st.flaps;
  const auto& p = st.probe;
  if (p.window_rounds > 0) {
    j["rtt_ms"] = round_to(p.rtt_avg_us / 1000.0, 2);
    j["rtt_min_ms"] = round_to(p.rtt_min_us / 1000.0, 2);
    j["rtt_max_ms"] = round_to(p.rtt_max_us / 1000.0, 2);
    j["jitter_ms"] = round_to(p.jitter_us / 1000.0, 2);
    j["loss_pct"] = round_to(p.loss_ppm / 10000.0, 2);
  } else {
    j["rtt_ms"] = j["jitter_ms"] = j["loss_pct"] = nullptr;
  }
  j["probe_rounds"] = p.window_rounds;
  j["active_calls"] = st.active_calls;
  j["active_streams"] = st.active_streams;
  // Inbound voice through this uplink (UplinkMediaWire), flat so the
  // console keeps its table; null where no stream gives the figure.
  const auto& m = st.media;
  j["mos"] = m.rated ? Json(round_to(m.mos_avg_x100 / 100.0, 2)) : Json(nullptr);
  j["one_way_delay_ms"] = m.delay_streams ? Json(round_to(m.one_way_delay_avg_us / 1000.0, 1)) : Json(nullptr);
  j["media_streams"] = m.streams;
  j["media_rated"] = m.rated;
  j["media_mos_min"] = m.rated ? Json(round_to(m.mos_min_x100 / 100.0, 2)) : Json(nullptr);
  j["media_loss_pct"] = m.rated ? Json(round_to(m.loss_ppm / 10000.0, 2)) : Json(nullptr);
  j["media_jitter_ms"] = m.streams ? Json(round_to(m.jitter_avg_us / 1000.0, 2)) : Json(nullptr);
  j["one_way_delay_max_ms"] = m.delay_streams ? Json(round_to(m.one_way_delay_max_us / 1000.0, 1)) : Json(nullptr);
}

Json uplinks_from_stats(const api::StatsBody& s, uint64_t now_ns) {
  Json list = Json::array();
  for (int i = 0; i < s.uplink_count && i < api::kMaxUplinks; ++i) {
    Json j{{"name", stats_name(s.uplinks[i].name, sizeof s.uplinks[i].name)}, {"configured", false}};
    add_uplink_stats(j, s.uplinks[i], i == s.active_uplink, now_ns);
    list.push_back(j);
  }
  auto name = [&](uint8_t i) {
    return i == api::kNoUplink || i >= api::kMaxUplinks ? Json(nullptr)
                                                         : Json(stats_name(s.uplinks[i].name, sizeof s.uplinks[i].name));
  };
  return {{"uplinks", list}, {"active", name(s.active_uplink)}, {"mode", api::select_mode_name(s.mode)},
          {"forced", name(s.forced_uplink)}};
}

Json counters_from_stats(const api::StatsBody& s) {
  Json fp{{"publish_count", s.publish_count},       {"switches_total", s.switches_total},
          {"events_dropped", s.events_dropped},     {"commands_applied", s.commands_applied},
          {"commands_rejected", s.commands_rejected}};
  Json ups = Json::array();
  for (int i = 0; i < s.uplink_count && i < api::kMaxUplinks; ++i) {
    const auto& u = s.uplinks[i];
    Json drops = Json::object();
    for (size_t d = 0; d < size_t(api::DropReason::count_); ++d)
      if (u.drops[d]) drops[api::drop_reason_name(api::DropReason(d))] = u.drops[d];
    ups.push_back({{"name", stats_name(u.name, sizeof u.name)},
                   {"rx_packets", u.rx_packets},
                   {"rx_bytes", u.rx_bytes},
                   {"tx_packets", u.tx_packets},
                   {"tx_bytes", u.tx_bytes},
                   {"probes_sent", u.probe.sent},
                   {"probes_answered", u.probe.answered},
                   {"probes_late", u.probe.late},
                   {"probe_rounds_lost", u.probe.lost_rounds},
                   {"flaps_total", u.flaps_total},
                   {"drops", drops}});
  }
  fp["uplinks"] = ups;
  return fp;
}

}  // namespace tg::controld
