// The typed configuration of tg-controld and the loader that produces it:
// pre-scan (lines, syntax, known sections/keys), command-line overrides,
// Boost.Program_options typed parse, per-option checks, cross-field checks.
// A configuration is produced whole or not at all.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "control/config/ini.hpp"
#include "dataplane/api/messages.hpp"

namespace tg::config {

struct BoxConfig {
  std::string name, location;
  std::string mgmt_socket, admin_group, operator_group, pidfile, state_dir;
  int rollback_keep = 10;
  std::string log, log_level;
};

struct UplinkConfig {
  std::string name;        // wan0, wan1, lte, up3
  std::string role;        // wan | lte
  std::string device, carrier;
  bool dhcp = false;
  std::string address;     // without prefix; empty with dhcp
  int prefix = 0;
  std::string gateway;     // empty with dhcp and no gateway given
  std::vector<std::string> probe_targets;
  int probe_interval_ms = 0, probe_timeout_ms = 0;
  int priority = 0;
  bool enabled = true;
};

struct TrunkConfig {
  std::string name, description;
  std::string sbc_address, domain, transport;
  int sbc_port = 0;
  int options_interval_ms = 0, options_timeout_ms = 0;
  int down_after = 0, up_after = 0;
  std::vector<std::string> uplinks;  // resolved: all uplinks when not given
  bool sbc_port_given = false;  // sbc_port in the file: the fast path matches that port only, else any
};

struct SnmpTarget {
  std::string host;
  int port = 162;
};

struct SnmpConfig {
  bool enabled = false;
  std::string version, community, user, security_level;
  std::string auth_protocol, auth_key, priv_protocol, priv_key, engine_id;
  std::vector<SnmpTarget> targets;
  std::string notification;  // trap | inform
  int inform_timeout_ms = 0, inform_retries = 0;
};

struct EmailConfig {
  bool enabled = false;
  std::string smtp_url, starttls, user, password, from;
  std::vector<std::string> recipients;
  int rate_limit_per_hour = 0, group_window_s = 0, timeout_ms = 0;
};

struct SyslogConfig {
  bool enabled = true;
  std::string remote, facility, app_name;
};

// Alarm levels (the anchors) and, apart, the higher levels at which
// the daemon moves traffic off an uplink (see control/daemon/qos_watch.hpp).
struct Thresholds {
  int one_way_delay_ms = 150, rtt_ms = 100;
  double mos = 3.6, loss_percent = 1.0;
  int jitter_ms = 30, window_s = 10;
  int switch_rtt_ms = 200;
  double switch_loss_percent = 10.0;
  double switch_mos = 3.1;  // G.107 R ~62: many users dissatisfied
};

// Per-trunk call figures from the CDRs (control/daemon/call_records.hpp):
// the sliding window of `show trunks` and the busy-ratio congestion alarm
// (raised at >= raise of at least min_calls settled calls, cleared below
// clear; congestion never fails an uplink over).
struct TrunkStatsConfig {
  int window_min = 15;
  double congestion_raise_percent = 30.0, congestion_clear_percent = 15.0;
  int congestion_min_calls = 10;
};

struct Timers {
  int miss_count = 8;
  int holddown_base_ms = 5000, holddown_max_ms = 300000, holddown_decay_ms = 600000;
  int failback_holddown_ms = 30000;
  int blackout_ms = 150, blackout_min_streams = 2, quorum_percent = 60, flow_min_packets = 5;
};

struct StoreConfig {
  std::string path;
  int64_t max_rows = 0;
  int64_t max_size_mb = 0;
  int64_t notify_retention_h = 168;  // delivered notices kept, then purged
};

struct CaptureConfig {
  std::string dir;            // pcap files; default STATE_DIR/captures
  int64_t max_packets = 0;    // caps of one capture (a request may ask less)
  int64_t max_mb = 0;
  int64_t max_duration_s = 0;
};

struct Config {
  BoxConfig box;
  std::vector<UplinkConfig> uplinks;  // in file order
  std::vector<TrunkConfig> trunks;
  SnmpConfig snmp;
  EmailConfig email;
  SyslogConfig syslog;
  Thresholds thresholds;
  TrunkStatsConfig trunk_stats;
  Timers timers;
  StoreConfig store;
  CaptureConfig capture;

  const UplinkConfig* uplink(std::string_view name) const;
  const TrunkConfig* trunk(std::string_view name) const;
};

// One --set SECTION.KEY=VALUE from the command line.
struct Override {
  std::string section, key, value;
};
// Parses "trunk.carrierA.sbc_port=5070"; false with why on bad syntax.
bool parse_override(std::string_view text, Override& out, std::string& why);

struct LoadResult {
  std::optional<Config> config;      // set only when errors is empty
  std::vector<ConfigError> errors;   // in line order
  bool ok() const { return errors.empty(); }
  std::string error_text() const;    // one "FILE:LINE: message" per line
};

// A configuration is a few kB; anything this big is not one (and would make
// the candidate diff slow).
inline constexpr size_t kMaxConfigBytes = 256 * 1024;

// `file` names the text in errors (a path, or "candidate").
LoadResult load_config(std::string_view text, const std::string& file, const std::vector<Override>& overrides = {});
// The factory defaults with only a [box] section (`box_text`): what the
// daemon runs on when the file is rejected at boot and no good one is left
// (no uplink, no trunk: the console, the alarms and config_rejected work).
LoadResult load_factory_defaults(std::string_view box_text, const std::string& file,
                                 const std::vector<Override>& overrides = {});
LoadResult load_config_file(const std::string& path, const std::vector<Override>& overrides = {});

// The failover timers of one uplink as tg-controld pushes them to the fast
// path (set_timers). Validation checks exactly this with the fast path's own
// rule (api::check_timers, dataplane/api/timers.hpp), so a valid file is never refused there.
api::TimersWire fastpath_timers(const Config& c, const UplinkConfig& u);

// Reads a whole file; false with why (strerror) if it cannot.
bool read_file(const std::string& path, std::string& out, std::string& why);

}  // namespace tg::config
