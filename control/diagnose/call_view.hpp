// One JSON shape for a call, shared by tg-controld (show calls, diagnose
// call) and tg-cli (the same commands read from shared memory when the
// daemon is down), so both print the same thing. Media is given per
// direction as the NOC reads it: "out" = PBX -> carrier, "in" = carrier -> PBX.
#pragma once
#include <nlohmann/json.hpp>

#include <functional>
#include <string>

#include "control/diagnose/diagnose.hpp"
#include "dataplane/api/calls.hpp"

namespace tg::diag {

using Names = std::function<std::string(uint8_t index)>;  // trunk or uplink index -> name

struct ViewContext {
  Names trunk_name;    // unset or empty answer: "trunkN" / "-"
  Names uplink_name;
  uint64_t now_ns = 0;  // fast-path clock, for durations of live calls
};

// Index of CallRecordWire::media for "out" (PBX -> carrier) and "in".
int media_out_index(const api::CallRecordWire& r);
inline int media_in_index(const api::CallRecordWire& r) { return 1 - media_out_index(r); }

std::string trunk_of(const api::CallRecordWire& r, const ViewContext& c);
std::string uplink_of(const api::CallRecordWire& r, const ViewContext& c);  // at the INVITE
std::string uplink_named(uint8_t uplink, const ViewContext& c);
// Every uplink the call used with the wall time (unix ms) it started on it:
// "wan0@1765012345678 wan1@1765012349012" (the store's uplinks column).
std::string uplinks_of(const api::CallRecordWire& r, const ViewContext& c);

// {"call_id","from","to","trunk","uplink","direction","state","final_code",
//  "started_unix_ms","duration_s","setup_s","pdd_ms","srd_ms",
//  "media":{"out":{"mos","loss_pct","jitter_ms","packets","seen"},"in":{...}}, ...}
nlohmann::json call_json(const api::CallRecordWire& r, const ViewContext& c);

// {"call_id","live","verdict","summary","explanation","advice",
//  "findings":[{"verdict","summary","explanation","advice"}...], "call":call_json}
nlohmann::json diagnosis_json(const Diagnosis& d, const api::CallRecordWire* last, const ViewContext& c);

// The record as hex text (the store keeps it for exact re-diagnosis) and back.
std::string to_hex(const api::CallRecordWire& r);
bool from_hex(const std::string& hex, api::CallRecordWire& out);

}  // namespace tg::diag
