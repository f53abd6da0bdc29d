// tg-dataplane --config FILE: the failover timers the fast path starts with
// (the control daemon may replace them at run time with set_timers). One
// `key = value` per line, '#' comments; a key applies to every uplink, or to
// one when prefixed with its name ("lte.probe_timeout_ms = 500"). Keys are
// the api::TimersWire names:
//   probe_interval_ms probe_timeout_ms miss_threshold holddown_initial_ms
//   holddown_max_ms holddown_decay_ms blackout_ms flow_min_packets
//   blackout_min_streams blackout_quorum_pct
// and, global only, `priority = wan0, wan1, lte` and `loop_stall_ms` (a gap
// between two loop passes longer than this is a stall: failover::Config). The result goes through
// failover::validate; any error rejects the file whole (FILE:LINE: what).
#pragma once
#include <string>
#include <string_view>

#include "dataplane/failover/config.hpp"

namespace tg::fastpath {

bool parse_failover_config(std::string_view text, const std::string& file, failover::Config& inout, std::string& error);
bool load_failover_config(const std::string& path, failover::Config& inout, std::string& error);

}  // namespace tg::fastpath
