// The fast path's published figures as JSON, shared by the daemon (merged
// with the configuration) and the console (read straight from shared memory
// when the daemon is down). One shape for both, so tg-cli formats one thing.
#pragma once
#include <cstdint>

#include "control/mgmt/protocol.hpp"
#include "dataplane/api/stats.hpp"

namespace tg::controld {

// state, active, link_up, faults, rtt/jitter/loss, since_s... of one uplink.
void add_uplink_stats(mgmt::Json& j, const api::UplinkStatsWire& st, bool active, uint64_t now_ns);
// {"uplinks":[...], "active", "mode", "forced"} from the stats body alone.
mgmt::Json uplinks_from_stats(const api::StatsBody& s, uint64_t now_ns);
// Per-uplink traffic, probe and drop counters plus the fast path's totals.
mgmt::Json counters_from_stats(const api::StatsBody& s);
std::string stats_name(const char* name, size_t size);  // NUL-terminated or full field
std::string faults_text(uint8_t mask);  // FaultBit mask: "link+probe" or "none"
std::string soft_text(uint8_t mask);    // soft_fault_bit() mask: "latency+loss" or "none"
double round_to(double v, int decimals);

}  // namespace tg::controld
