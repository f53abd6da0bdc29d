#include "dataplane/fastpath/failover_file.hpp"

#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

namespace tg::fastpath {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Sets one timer field; false if the key is unknown.
bool set_field(std::string_view key, uint32_t v, failover::HealthTimers& t, failover::BlackoutConfig& b) {
  const TimeNs ms = TimeNs(v) * kNsPerMs;
  if (key == "probe_interval_ms") t.probe_interval = ms;
  else if (key == "probe_timeout_ms") t.probe_timeout = ms;
  else if (key == "miss_threshold") t.miss_threshold = v;
  else if (key == "holddown_initial_ms") t.holddown_initial = ms;
  else if (key == "holddown_max_ms") t.holddown_max = ms;
  else if (key == "holddown_decay_ms") t.holddown_decay = ms;
  else if (key == "blackout_ms") b.blackout = ms;
  else if (key == "flow_min_packets") b.flow_min_packets = v;
  else if (key == "blackout_min_streams") b.min_streams = v;
  else if (key == "blackout_quorum_pct") b.quorum_pct = v;
  else return false;
  return true;
}

int uplink_by_name(const failover::Config& c, std::string_view name) {
  for (uint8_t u = 0; u < c.uplink_count; ++u)
    if (name == c.uplinks[u].name) return u;
  return -1;
}

}  // namespace

bool parse_failover_config(std::string_view text, const std::string& file, failover::Config& inout,
                           std::string& error) {
  failover::Config c = inout;
  int line_no = 0;
  while (!text.empty()) {
    ++line_no;
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    auto fail = [&](const std::string& what) {
      error = file + ":" + std::to_string(line_no) + ": " + what;
      return false;
    };
    if (size_t h = line.find('#'); h != std::string_view::npos) line = line.substr(0, h);
    line = trim(line);
    if (line.empty()) continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) return fail("expected key = value");
    std::string_view key = trim(line.substr(0, eq)), val = trim(line.substr(eq + 1));
    if (key == "priority") {
      uint8_t n = 0;
      while (!val.empty()) {
        size_t comma = val.find(',');
        std::string_view name = trim(val.substr(0, comma));
        val.remove_prefix(comma == std::string_view::npos ? val.size() : comma + 1);
        int u = uplink_by_name(c, name);
        if (u < 0) return fail("priority: unknown uplink '" + std::string(name) + "'");
        if (n >= c.uplink_count) return fail("priority: more uplinks than there are");
        c.priority[n++] = uint8_t(u);
      }
      if (n != c.uplink_count) return fail("priority must name every uplink once");
      continue;
    }
    int only = -1;
    if (size_t dot = key.find('.'); dot != std::string_view::npos) {
      only = uplink_by_name(c, key.substr(0, dot));
      if (only < 0) return fail("unknown uplink '" + std::string(key.substr(0, dot)) + "'");
      key = key.substr(dot + 1);
    }
    uint32_t v = 0;
    auto r = std::from_chars(val.data(), val.data() + val.size(), v);
    if (r.ec != std::errc() || r.ptr != val.data() + val.size())
      return fail(std::string(key) + " needs a whole number, got '" + std::string(val) + "'");
    if (key == "loop_stall_ms") {  // global: the loop is one for all uplinks
      if (only >= 0) return fail("loop_stall_ms applies to every uplink (no uplink prefix)");
      c.loop_stall = TimeNs(v) * kNsPerMs;
      continue;
    }
    for (uint8_t u = 0; u < c.uplink_count; ++u) {
      if (only >= 0 && u != only) continue;
      if (!set_field(key, v, c.uplinks[u].timers, c.uplinks[u].blackout))
        return fail("unknown key '" + std::string(key) + "'");
    }
  }
  std::string why;
  if (!failover::validate(c, why)) {
    error = file + ": " + why;
    return false;
  }
  inout = c;
  return true;
}

bool load_failover_config(const std::string& path, failover::Config& inout, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = path + ": cannot open";
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_failover_config(ss.str(), path, inout, error);
}

}  // namespace tg::fastpath
