#include "control/diagnose/call_view.hpp"

#include <cmath>
#include <cstring>

#include "dataplane/core/call_table.hpp"

namespace tg::diag {

namespace {

using Json = nlohmann::json;

template <size_t N>
std::string field(const char (&a)[N]) {
  return std::string(a, strnlen(a, N));
}

double round_to(double v, int digits) {
  double f = std::pow(10.0, digits);
  return std::round(v * f) / f;
}

Json media_json(const api::CallMediaWire& m) {
  bool seen = (m.flags & api::kMediaSeen) || m.packets > 0;
  Json j{{"seen", seen}, {"packets", m.packets}};
  j["mos"] = m.mos_x100 ? Json(m.mos_x100 / 100.0) : Json(nullptr);
  j["loss_pct"] = seen ? Json(round_to(media_loss_pct(m), 2)) : Json(nullptr);
  j["jitter_ms"] = seen ? Json(round_to(m.jitter_us / 1000.0, 1)) : Json(nullptr);
  j["max_jitter_ms"] = seen ? Json(round_to(m.max_jitter_us / 1000.0, 1)) : Json(nullptr);
  j["lost"] = m.lost;
  j["max_gap_ms"] = m.max_gap_ms;
  // Every RTP packet of the direction, all streams (DTMF on its own SSRC too).
  j["rtp_packets"] = m.rtp_packets;
  j["streams"] = m.streams;
  j["dtmf_packets"] = m.dtmf_packets;
  j["dtmf_events"] = m.dtmf_events;
  j["dtmf_payload_type"] = m.dtmf_payload_type ? Json(m.dtmf_payload_type) : Json(nullptr);
  j["on_hold"] = (m.flags & api::kMediaOnHold) != 0;
  return j;
}

int64_t wall_ms(const api::CallRecordWire& r, uint64_t ns) { return int64_t((ns + r.realtime_offset_ns) / 1'000'000); }

Json opt_ms(int32_t v) { return v >= 0 ? Json(v) : Json(nullptr); }

}  // namespace

int media_out_index(const api::CallRecordWire& r) {
  // Outbound calls start on the LAN: the caller's media goes to the carrier.
  return CallDirection(r.direction) == CallDirection::outbound ? api::kMediaCallerToCallee
                                                              : api::kMediaCalleeToCaller;
}

std::string trunk_of(const api::CallRecordWire& r, const ViewContext& c) {
  if (r.trunk == UINT8_MAX) return "-";
  std::string n = c.trunk_name ? c.trunk_name(r.trunk) : std::string();
  return n.empty() ? "trunk" + std::to_string(r.trunk) : n;
}

std::string uplink_named(uint8_t u, const ViewContext& c) {
  if (u == api::kNoUplink) return "-";
  std::string n = c.uplink_name ? c.uplink_name(u) : std::string();
  return n.empty() ? "uplink" + std::to_string(u) : n;
}

std::string uplink_of(const api::CallRecordWire& r, const ViewContext& c) { return uplink_named(r.uplink, c); }

std::string uplinks_of(const api::CallRecordWire& r, const ViewContext& c) {
  std::string s;
  for (int i = 0; i < r.uplink_count && i < api::kMaxCallUplinks; ++i)
    s += (i ? " " : "") + uplink_named(r.uplinks[i].uplink, c) + "@" +
         std::to_string(int64_t((r.uplinks[i].since_ns + r.realtime_offset_ns) / 1'000'000));
  return s.empty() ? uplink_of(r, c) : s;
}

Json call_json(const api::CallRecordWire& r, const ViewContext& c) {
  Json j;
  j["call_id"] = field(r.call_id);
  j["from"] = field(r.from_user);
  j["to"] = field(r.to_user);
  j["trunk"] = trunk_of(r, c);
  j["uplink"] = uplink_of(r, c);
  j["direction"] = CallDirection(r.direction) == CallDirection::outbound ? "outbound" : "inbound";
  j["state"] = call_state_name(CallState(r.state));
  j["final_code"] = r.final_code ? Json(r.final_code) : Json(nullptr);
  j["started_unix_ms"] = r.invite_ns ? Json(wall_ms(r, r.invite_ns)) : Json(nullptr);
  j["answered_unix_ms"] = r.answer_ns ? Json(wall_ms(r, r.answer_ns)) : Json(nullptr);
  j["ended_unix_ms"] = r.end_ns ? Json(wall_ms(r, r.end_ns)) : Json(nullptr);
  Json ups = Json::array();
  for (int i = 0; i < r.uplink_count && i < api::kMaxCallUplinks; ++i)
    ups.push_back({{"uplink", uplink_named(r.uplinks[i].uplink, c)}, {"since_unix_ms", wall_ms(r, r.uplinks[i].since_ns)}});
  j["uplinks"] = ups;
  j["uplink_switches"] = r.uplink_switches;
  j["bye_code"] = r.bye_code ? Json(r.bye_code) : Json(nullptr);
  j["ack_seen"] = r.ack_ns != 0;
  j["ok_retransmissions"] = r.ok_retransmissions;
  uint64_t until = r.end_ns ? r.end_ns : c.now_ns;
  j["duration_s"] = r.answer_ns && until > r.answer_ns ? Json(round_to(double(until - r.answer_ns) / 1e9, 1))
                                                       : Json(r.answer_ns ? Json(0) : Json(nullptr));
  j["setup_s"] = until > r.invite_ns && r.invite_ns
                     ? Json(round_to(double((r.answer_ns ? r.answer_ns : until) - r.invite_ns) / 1e9, 1))
                     : Json(nullptr);
  j["pdd_ms"] = opt_ms(r.pdd_ms);
  j["srd_ms"] = opt_ms(r.srd_ms);
  j["hangup"] = party_name(Party(r.hangup));
  if (TransferKind(r.transfer_kind) != TransferKind::none)
    j["transfer"] = {{"kind", transfer_kind_name(TransferKind(r.transfer_kind))},
                     {"result", transfer_result_name(TransferResult(r.transfer_result))},
                     {"code", r.transfer_code},
                     {"target", field(r.transfer_target)}};
  j["media"] = {{"out", media_json(r.media[media_out_index(r)])}, {"in", media_json(r.media[media_in_index(r)])}};
  return j;
}

Json diagnosis_json(const Diagnosis& d, const api::CallRecordWire* last, const ViewContext& c) {
  Json j;
  j["call_id"] = d.call_id;
  j["live"] = d.live;
  j["verdict"] = verdict_name(d.verdict);
  j["summary"] = verdict_summary(d.verdict);
  j["explanation"] = d.findings.empty() ? std::string() : d.main().explanation;
  j["advice"] = d.findings.empty() ? std::string() : d.main().advice;
  Json more = Json::array();
  for (size_t i = 1; i < d.findings.size(); ++i)
    more.push_back({{"verdict", verdict_name(d.findings[i].verdict)},
                    {"summary", verdict_summary(d.findings[i].verdict)},
                    {"explanation", d.findings[i].explanation},
                    {"advice", d.findings[i].advice}});
  j["also"] = more;
  if (last) j["call"] = call_json(*last, c);
  return j;
}

std::string to_hex(const api::CallRecordWire& r) {
  static const char kDigits[] = "0123456789abcdef";
  const auto* p = reinterpret_cast<const uint8_t*>(&r);
  std::string s(sizeof r * 2, '0');
  for (size_t i = 0; i < sizeof r; ++i) {
    s[2 * i] = kDigits[p[i] >> 4];
    s[2 * i + 1] = kDigits[p[i] & 15];
  }
  return s;
}

bool from_hex(const std::string& hex, api::CallRecordWire& out) {
  if (hex.size() != sizeof out * 2) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  auto* p = reinterpret_cast<uint8_t*>(&out);
  for (size_t i = 0; i < sizeof out; ++i) {
    int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    p[i] = uint8_t(hi << 4 | lo);
  }
  out.call_id[sizeof out.call_id - 1] = '\0';
  return out.version == api::kCallRecordVersion;
}

}  // namespace tg::diag
