#include "control/daemon/controller.hpp"
#include "control/daemon/stats_json.hpp"
#include "dataplane/api/trunk_table.hpp"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <syslog.h>
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <set>
#include <thread>

namespace tg::controld {

using mgmt::Error;
using mgmt::ErrorCode;
using mgmt::Peer;
using mgmt::Role;

namespace {

constexpr const char* kCounterNames[] = {
#define TG_X(name, text) #name,
    TG_CONTROLD_COUNTERS(TG_X)
#undef TG_X
};
constexpr const char* kCounterTexts[] = {
#define TG_X(name, text) text,
    TG_CONTROLD_COUNTERS(TG_X)
#undef TG_X
};

uint64_t clock_ns(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000ull + uint64_t(ts.tv_nsec);
}

std::string read_sys(const std::string& path) {
  std::ifstream in(path);
  std::string s;
  std::getline(in, s);
  return s;
}

Error not_available(std::string why) { return {ErrorCode::not_available, "not available: " + std::move(why), {}}; }

}  // namespace

Clock Clock::system() {
  return {[] { return clock_ns(CLOCK_MONOTONIC); }, [] { return int64_t(clock_ns(CLOCK_REALTIME) / 1'000'000); },
          [](int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }};
}

// The command table: name, least role, one-line summary (shown by "help").
const Controller::Command Controller::kCommands[] = {
    {"hello", Role::operator_, "protocol and daemon version, your role", &Controller::cmd_hello},
    {"help", Role::operator_, "this list", &Controller::cmd_help},
    {"show.version", Role::operator_, "software version, uptime, config file, fast path", &Controller::cmd_show_version},
    {"show.uplinks", Role::operator_, "uplinks: state, active, RTT/loss/jitter, since", &Controller::cmd_show_uplinks},
    {"show.trunks", Role::operator_, "SIP trunks: OPTIONS state, calls, ASR", &Controller::cmd_show_trunks},
    {"show.calls", Role::operator_, "live calls", &Controller::cmd_show_calls},
    {"show.alarms", Role::operator_, "active alarms (args: history=true)", &Controller::cmd_show_alarms},
    {"show.failover.history", Role::operator_, "uplink switches with detection/switch times (args: last)",
     &Controller::cmd_show_failover_history},
    {"show.fault-report", Role::operator_, "fault reports (args: n)", &Controller::cmd_show_fault_report},
    {"show.counters", Role::operator_, "fast path and daemon counters", &Controller::cmd_show_counters},
    {"show.interfaces", Role::operator_, "kernel interfaces and fast-path ports", &Controller::cmd_show_interfaces},
    {"show.config", Role::operator_, "configuration (args: which=running|candidate|diff|history)",
     &Controller::cmd_show_config},
    {"config.set", Role::admin, "set an option in the candidate (args: section, key, value)", &Controller::cmd_config_set},
    {"config.delete", Role::admin, "delete an option or section from the candidate (args: section, key)",
     &Controller::cmd_config_delete},
    {"config.check", Role::operator_, "validate the candidate", &Controller::cmd_config_check},
    {"config.commit", Role::admin, "validate and apply the candidate (args: comment)", &Controller::cmd_config_commit},
    {"config.rollback", Role::admin, "load history entry N into the candidate (args: n)", &Controller::cmd_config_rollback},
    {"config.discard", Role::admin, "drop candidate edits", &Controller::cmd_config_discard},
    {"failover.force", Role::admin, "force traffic onto an uplink (args: uplink)", &Controller::cmd_failover_force},
    {"failover.auto", Role::admin, "return to automatic uplink selection", &Controller::cmd_failover_auto},
    {"test.trunk", Role::admin, "send OPTIONS now and show the answer (args: trunk)", &Controller::cmd_test_trunk},
    {"capture.start", Role::admin,
     "start writing a pcap (args: uplink, filter=all|sip|rtp|sip+rtp, host, duration, packets, bytes, snaplen)",
     &Controller::cmd_capture},
    {"capture.stop", Role::admin, "stop the capture", &Controller::cmd_capture_stop},
    {"show.capture", Role::operator_, "the running or last capture: file, packets, bytes, drops",
     &Controller::cmd_show_capture},
    {"diagnose.call", Role::operator_, "why a call failed (args: call_id)", &Controller::cmd_diagnose_call},
    {"export.calls", Role::operator_, "call records as CSV/JSON (args: format, since, until, unexported, mark, limit)",
     &Controller::cmd_export_calls},
};

Controller::Controller(config::ConfigStore& store, FastPath& fastpath, Clock clock, Log log)
    : store_(store), fp_(fastpath), clock_(std::move(clock)), log_(std::move(log)),
      stats_buf_(std::make_unique<api::StatsBody>()) {
  started_wall_ms_ = clock_.wall_ms();
  started_ns_ = clock_.mono_ns();
}

std::string Controller::handle(const Peer& peer, Role role, std::string_view line) {
  mgmt::Request req;
  Error error;
  Json id;
  count(Counter::requests);
  if (!mgmt::parse_request(line, req, error, id)) {
    count(Counter::request_errors);
    return mgmt::error_response(id, error);
  }
  const Command* cmd = nullptr;
  for (const Command& c : kCommands)
    if (req.cmd == c.name) cmd = &c;
  if (!cmd) {
    count(Counter::request_errors);
    return mgmt::error_response(id, {ErrorCode::unknown_command,
                                     "unknown command \"" + req.cmd + "\" (\"help\" lists them)", {}});
  }
  if (role < cmd->min_role) {
    count(Counter::request_errors);
    return mgmt::error_response(
        id, {ErrorCode::permission_denied,
             std::string(cmd->name) + " needs admin rights: root or group " + store_.running().box.admin_group +
                 "; " + peer.user + " has " + mgmt::role_name(role),
             {}});
  }
  bool failed = false;
  request_id_ = id;
  deferred_ = false;
  Json result = (this->*(cmd->fn))(req.args, peer, role, error, failed);
  if (deferred_ && !failed) return {};  // answered later through answer_later()
  if (failed) {
    count(Counter::request_errors);
    return mgmt::error_response(id, error);
  }
  return mgmt::ok_response(id, result);
}

Controller::Later Controller::answer_later(Error& error) {
  if (!defer_answer || outstanding_ >= kMaxOutstanding) {
    count(Counter::deferred_refused);
    error = {ErrorCode::busy,
             defer_answer ? std::to_string(outstanding_) + " answers outstanding: try again when they are in"
                          : "this daemon cannot answer later",
             {}};
    return nullptr;
  }
  Answer answer = defer_answer();
  if (!answer) {
    error = {ErrorCode::internal, "no request to answer later", {}};
    return nullptr;
  }
  deferred_ = true;
  ++outstanding_;
  return [this, id = request_id_, answer](const Json& result, const Error& error, bool failed) {
    --outstanding_;
    if (failed) count(Counter::request_errors);
    answer(failed ? mgmt::error_response(id, error) : mgmt::ok_response(id, result));
  };
}

// ------------------------------------------------------------------ events

void Controller::tick() {
  if (fp_.maintain(clock_.mono_ns())) {
    count(Counter::fastpath_attaches);
    event_seq_known_ = false;
    have_names_ = false;
    log_(LOG_NOTICE, "fast path " + fp_.status());
    push_timers();
    // A restarted fast path knows no trunks but its --trunk ones: send ours.
    push_trunks();
    // A restarted fast path knows nothing of our soft faults: tell it again.
    for (const auto& u : store_.running().uplinks)
      for (size_t k = 0; k < size_t(QosKind::count_); ++k)
        if (qos_kind_fails_over(QosKind(k)) && qos_.violated(u.name, QosKind(k)) && uplink_index(u.name) >= 0)
          push_soft_fault(uint8_t(uplink_index(u.name)), *qos_kind_effect(QosKind(k)).soft_fault, true);
    for (const auto& [uplink, reason] : soft_faults_)
      if (uplink_index(uplink) >= 0) push_soft_fault(uint8_t(uplink_index(uplink)), reason, true);
  }
  drain_events();
  expire_commands();
  tick_capture();
  uint64_t now = clock_.mono_ns();
  if (now - last_qos_ns_ >= 1'000'000'000ull) {
    last_qos_ns_ = now;
    check_qos();
  }
}

void Controller::set_soft_fault(const std::string& uplink, api::SoftFault reason, bool raise) {
  bool changed = raise ? soft_faults_.insert({uplink, reason}).second : soft_faults_.erase({uplink, reason}) > 0;
  if (!changed) return;
  log_(raise ? LOG_WARNING : LOG_NOTICE, "uplink " + uplink + ": soft fault " + api::soft_fault_name(reason) +
                                             (raise ? " raised" : " cleared"));
  int index = uplink_index(uplink);
  if (index >= 0 && fp_.attached()) push_soft_fault(uint8_t(index), reason, raise);
}

void Controller::push_soft_fault(uint8_t uplink, api::SoftFault reason, bool raise) {
  api::Command c{};
  c.version = api::kMessageVersion;
  c.kind = raise ? api::CommandKind::soft_fault_raise : api::CommandKind::soft_fault_clear;
  c.seq = command_seq_++;
  c.sent_ns = clock_.mono_ns();
  c.uplink = uplink;
  c.reason = reason;
  if (fp_.push_command(c))
    count(Counter::commands_sent);
  else
    count(Counter::commands_ring_full);
}

// RTT/loss/jitter of every uplink's probes and MOS/one-way delay of the
// calls it carries against [thresholds]; violations of the kinds that fail
// over become soft faults on the fast path (which then leaves that uplink,
// or does not fail over onto it), the others become alarms.
void Controller::check_qos() {
  if (!fp_.alive()) return;
  api::StatsBody& s = *stats_buf_;
  if (!stats(s)) return;
  std::vector<QosSample> samples;
  for (const auto& u : store_.running().uplinks) {
    int idx = uplink_index(u.name);
    if (idx < 0 || idx >= s.uplink_count) continue;
    const auto& p = s.uplinks[idx].probe;
    // An uplink with a hard fault (link, probes, blackout) is the fast
    // path's business: its figures (all rounds lost) are not a QoS level,
    // and an alarm on them would outlast the fault by a window.
    const bool hard = (s.uplinks[idx].fault_mask & api::kHardFaults) != 0;
    bool measured = p.window_rounds > 0 && p.answered > 0 && p.loss_ppm < 1'000'000 && !hard;
    QosSample q{u.name, uint8_t(idx), measured, p.rtt_avg_us / 1000.0, p.loss_ppm / 10000.0, p.jitter_us / 1000.0};
    // Voice through this uplink: rated calls (10 s windows) and RTCP round trips.
    const api::UplinkMediaWire& m = s.uplinks[idx].media;
    q.mos_known = !hard && m.rated > 0;
    q.mos = m.mos_avg_x100 / 100.0;
    q.delay_known = !hard && m.delay_streams > 0;
    q.one_way_delay_ms = m.one_way_delay_avg_us / 1000.0;
    samples.push_back(q);
  }
  for (const QosAction& a : qos_.evaluate(samples, store_.running().thresholds, int64_t(clock_.mono_ns() / 1000000))) {
    if (a.raise) count(Counter::qos_violations);
    log_(a.raise ? LOG_WARNING : LOG_NOTICE, "uplink " + a.uplink + ": " + a.text);
    if (auto fault = qos_kind_effect(a.kind).soft_fault) push_soft_fault(a.index, *fault, a.raise);
    if (hooks.on_qos) hooks.on_qos(a);
  }
}

void Controller::drain_events() {
  api::Event batch[32];
  size_t n;
  while ((n = fp_.poll_events(batch, 32)) > 0)
    for (size_t i = 0; i < n; ++i) handle_event(batch[i]);
}

void Controller::handle_event(const api::Event& e) {
  count(Counter::events);
  if (event_seq_known_ && e.seq != last_event_seq_ + 1) {
    uint32_t lost = e.seq - last_event_seq_ - 1;
    count(Counter::events_lost, lost);
    log_(LOG_WARNING, "fast path events lost: " + std::to_string(lost) + " (ring overflow)");
  }
  event_seq_known_ = true;
  last_event_seq_ = e.seq;
  if (e.version != api::kMessageVersion || size_t(e.kind) >= size_t(api::EventKind::count_)) {
    count(Counter::events_unknown);
    return;
  }
  switch (e.kind) {
    case api::EventKind::uplink_switch: {
      const auto& s = e.uplink_switch;
      SwitchRecord r;
      r.wall_ms = clock_.wall_ms();
      r.from = s.uplink_from == api::kNoUplink ? "none" : uplink_name(s.uplink_from);
      r.to = s.uplink_to == api::kNoUplink ? "none" : uplink_name(s.uplink_to);
      r.reason = api::switch_reason_name(s.reason);
      r.reason_text = api::switch_reason_text(s.reason);
      if (s.reason == api::SwitchReason::soft_fault) r.reason += " (" + soft_text(s.soft_faults) + ")";
      r.mode = api::select_mode_name(s.mode);
      auto ms = [](uint64_t a, uint64_t b) { return b >= a ? round_to(double(b - a) / 1e6, 3) : 0.0; };
      r.detection_ms = s.fault_first_seen_ns ? ms(s.fault_first_seen_ns, s.decided_ns) : 0;
      r.switch_ms = ms(s.decided_ns, s.switched_ns);
      r.total_ms = s.fault_first_seen_ns ? ms(s.fault_first_seen_ns, s.switched_ns) : r.switch_ms;
      r.calls_affected = s.calls_affected;
      r.faults = faults_text(s.fault_mask);
      char text[256];
      std::snprintf(text, sizeof text,
                    "failover: %s -> %s, reason %s, faults %s, detected in %.1f ms, switched in %.1f ms, %u calls "
                    "affected",
                    r.from.c_str(), r.to.c_str(), r.reason.c_str(), r.faults.c_str(), r.detection_ms, r.switch_ms,
                    r.calls_affected);
      log_(s.reason == api::SwitchReason::initial ? LOG_INFO : LOG_WARNING, text);
      switches_.push_back(r);
      if (switches_.size() > kMaxSwitchHistory) switches_.pop_front();
      if (hooks.on_switch) hooks.on_switch(r);
      break;
    }
    case api::EventKind::uplink_state: {
      const auto& s = e.uplink_state;
      std::string name = uplink_name(s.uplink);
      log_(s.to == api::UplinkState::down ? LOG_WARNING : LOG_INFO,
           "uplink " + name + ": " + api::uplink_state_name(s.from) + " -> " + api::uplink_state_name(s.to) +
               " (faults " + faults_text(s.fault_mask) + ", hold-down " + std::to_string(s.holddown_ms) + " ms)");
      if (hooks.on_uplink_state) hooks.on_uplink_state(name, s);
      break;
    }
    case api::EventKind::command_result: {
      const auto& c = e.command_result;
      bool accepted = c.result == api::CommandResult::ok || c.result == api::CommandResult::ok_uplink_down;
      count(accepted ? Counter::commands_accepted : Counter::commands_rejected);
      if (!accepted)
        log_(LOG_WARNING, std::string("fast path rejected command ") +
                              api::command_kind_name(api::CommandKind(c.command_kind)) + ": " +
                              api::command_result_text(c.result));
      else if (api::CommandKind(c.command_kind) == api::CommandKind::set_timers)
        count(Counter::timers_applied);
      else if (api::CommandKind(c.command_kind) == api::CommandKind::trunk_table_commit)
        count(Counter::trunk_tables_applied);
      if (auto it = awaited_.find(c.command_seq); it != awaited_.end()) {
        CommandDone done = std::move(it->second.done);
        awaited_.erase(it);
        done(true, c.result, {});
      }
      break;
    }
    default:
      count(Counter::events_unknown);
  }
}

bool Controller::send_command(api::Command c, int timeout_ms, CommandDone done, Error& error) {
  if (!fp_.attached()) {
    error = {ErrorCode::fastpath_unavailable, "fast path not running (" + fp_.status() + ")", {}};
    return false;
  }
  c.version = api::kMessageVersion;
  c.seq = command_seq_++;
  c.sent_ns = clock_.mono_ns();
  if (!fp_.push_command(c)) {
    count(Counter::commands_ring_full);
    error = {ErrorCode::fastpath_unavailable, "fast path command ring is full (fast path stuck?)", {}};
    return false;
  }
  count(Counter::commands_sent);
  awaited_[c.seq] = {c.sent_ns + uint64_t(timeout_ms) * 1'000'000ull, timeout_ms, std::move(done)};
  return true;
}

void Controller::expire_commands() {
  const uint64_t now = clock_.mono_ns();
  for (auto it = awaited_.begin(); it != awaited_.end();) {
    if (now < it->second.deadline_ns) {
      ++it;
      continue;
    }
    Awaited a = std::move(it->second);
    it = awaited_.erase(it);
    count(Counter::commands_unanswered);
    a.done(false, api::CommandResult{},
           {ErrorCode::fastpath_unavailable,
            "fast path did not answer within " + std::to_string(a.timeout_ms) + " ms (" + fp_.status() + ")", {}});
  }
}

void Controller::push_timers() {
  if (!fp_.attached()) return;
  const config::Config& c = store_.running();
  for (const auto& u : c.uplinks) {
    int index = uplink_index(u.name);
    if (index < 0) continue;
    api::Command cmd{};
    cmd.version = api::kMessageVersion;
    cmd.kind = api::CommandKind::set_timers;
    cmd.seq = command_seq_++;
    cmd.sent_ns = clock_.mono_ns();
    cmd.uplink = uint8_t(index);
    cmd.timers = config::fastpath_timers(c, u);
    if (fp_.push_command(cmd))
      count(Counter::commands_sent);
    else
      count(Counter::commands_ring_full);
  }
}

// The trunk table the fast path counts calls by: our [trunk.NAME] sections
// with an IP address for SBC. Sent whole (begin, items, commit) every time:
// the fast path swaps it in at the commit or keeps the table it has.
void Controller::push_trunks() {
  if (!fp_.attached()) return;
  std::vector<api::TrunkEntry> table;
  for (const config::TrunkConfig& t : store_.running().trunks) {
    api::TrunkEntry e{t.name, {}};
    if (!e.sbc.addr.parse(t.sbc_address)) {
      log_(LOG_NOTICE, "trunk " + t.name + ": SBC " + t.sbc_address +
                           " is a DNS name: the fast path counts its calls under the address they go to");
      continue;
    }
    e.sbc.port = t.sbc_port_given ? uint16_t(t.sbc_port) : 0;
    table.push_back(std::move(e));
  }
  if (++trunk_generation_ == 0) trunk_generation_ = 1;
  std::vector<api::Command> commands;
  std::string error;
  if (!api::encode_trunk_table(table, trunk_generation_, command_seq_, clock_.mono_ns(), commands, error)) {
    log_(LOG_ERR, "trunk table not sent to the fast path: " + error);
    return;
  }
  command_seq_ += uint32_t(commands.size());
  for (const api::Command& c : commands) count(fp_.push_command(c) ? Counter::commands_sent : Counter::commands_ring_full);
}

void Controller::apply(const std::string& why) {
  log_(LOG_NOTICE, "configuration applied (" + why + ")");
  if (on_policy_change) on_policy_change();
  push_timers();
  push_trunks();
  if (hooks.on_config_applied) hooks.on_config_applied(store_.running());
}

void Controller::reload() {
  auto r = store_.reload("SIGHUP", clock_.wall_ms() / 1000);
  if (!r.ok()) {
    std::string text = r.error_text();
    if (!text.empty() && text.back() == '\n') text.pop_back();
    log_(LOG_ERR, "reload rejected, running configuration unchanged:\n" + text);
    if (hooks.on_config_rejected) hooks.on_config_rejected(r.errors.front().str());
    return;
  }
  apply("reloaded " + store_.running_path());
}

bool Controller::stats(api::StatsBody& out) {
  if (!fp_.attached() || !fp_.read_stats(out)) return false;
  for (uint8_t i = 0; i < api::kMaxUplinks && i < out.uplink_count; ++i) {
    std::memcpy(uplink_names_[i], out.uplinks[i].name, sizeof uplink_names_[i]);
    uplink_names_[i][sizeof uplink_names_[i] - 1] = '\0';
  }
  have_names_ = out.uplink_count > 0;
  return true;
}

std::string Controller::uplink_name(uint8_t index) const {
  if (index >= api::kMaxUplinks) return "uplink" + std::to_string(index);
  if (have_names_ && uplink_names_[index][0]) return uplink_names_[index];
  return api::default_uplink_name(index);
}

int Controller::uplink_index(const std::string& name) const {
  for (uint8_t i = 0; i < api::kMaxUplinks; ++i)
    if (uplink_name(i) == name) return i;
  return -1;
}

// ---------------------------------------------------------------- commands

Json Controller::cmd_hello(const Json& args, const Peer& peer, Role role, Error& error, bool& failed) {
  if (!mgmt::args_only(args, {}, error)) return failed = true, Json();
  return {{"protocol", mgmt::kProtocolVersion}, {"daemon", "tg-controld"}, {"version", version},
          {"user", peer.user}, {"uid", peer.uid}, {"role", mgmt::role_name(role)}};
}

Json Controller::cmd_help(const Json& args, const Peer&, Role role, Error& error, bool& failed) {
  if (!mgmt::args_only(args, {}, error)) return failed = true, Json();
  Json list = Json::array();
  for (const Command& c : kCommands)
    list.push_back({{"cmd", c.name}, {"summary", c.summary}, {"allowed", role >= c.min_role},
                    {"needs", mgmt::role_name(c.min_role)}});
  return {{"commands", list}};
}

Json Controller::cmd_show_version(const Json& args, const Peer&, Role, Error& error, bool& failed) {
  if (!mgmt::args_only(args, {}, error)) return failed = true, Json();
  const auto& box = store_.running().box;
  auto h = store_.history();
  Json j{{"software", "TrunkGuard"},
         {"daemon", "tg-controld"},
         {"version", version},
         {"protocol", mgmt::kProtocolVersion},
         {"box", box.name},
         {"location", box.location},
         {"started_unix_ms", started_wall_ms_},
         {"uptime_s", (clock_.mono_ns() - started_ns_) / 1'000'000'000ull},
         {"config_file", store_.running_path()},
         {"config_sequence", h.empty() ? 0 : h.front().sequence},
         {"candidate_changed", store_.candidate_changed()}};
  j["fastpath"] = {{"attached", fp_.attached()}, {"alive", fp_.alive()}, {"status", fp_.status()},
                   {"pid", fp_.pid()}};
  return j;
}

Json Controller::uplink_json(const config::UplinkConfig* cfg, const api::UplinkStatsWire* st, bool active,
                             uint64_t now_ns) const {
  Json j;
  j["name"] = cfg ? cfg->name : std::string(st->name, strnlen(st->name, sizeof st->name));
  j["configured"] = cfg != nullptr;
  if (cfg) {
    j["carrier"] = cfg->carrier;
    j["role"] = cfg->role;
    j["device"] = cfg->device;
    j["address"] = cfg->dhcp ? "dhcp" : cfg->address + "/" + std::to_string(cfg->prefix);
    j["priority"] = cfg->priority;
    j["enabled"] = cfg->enabled;
  }
  if (!st) {
    j["state"] = "unknown";
    return j;
  }
  add_uplink_stats(j, *st, active, now_ns);
  return j;
}

Json Controller::cmd_show_uplinks(const Json& args, const Peer&, Role, Error& error, bool& failed) {
  if (!mgmt::args_only(args, {}, error)) return failed = true, Json();
  const config::Config& c = store_.running();
  api::StatsBody& s = *stats_buf_;
  bool have = stats(s);
  uint64_t now = clock_.mono_ns();
  Json list = Json::array();
  std::set<int> shown;
  for (const auto& u : c.uplinks) {
    int idx = uplink_index(u.name);
    const api::UplinkStatsWire* st = have && idx >= 0 && idx < s.uplink_count ? &s.uplinks[idx] : nullptr;
    list.push_back(uplink_json(&u, st, have && idx == s.active_uplink, now));
    shown.insert(idx);
  }
  // Ports the fast path has but the configuration does not name.
  for (int i = 0; have && i < s.uplink_count && i < api::kMaxUplinks; ++i)
    if (!shown.count(i)) list.push_back(uplink_json(nullptr, &s.uplinks[i], i == s.active_uplink, now));
  Json j{{"uplinks", list}};
  j["fastpath"] = {{"attached", fp_.attached()}, {"alive", fp_.alive()}, {"status", fp_.status()}};
  if (have) {
    j["active"] = s.active_uplink == api::kNoUplink ? Json(nullptr) : Json(uplink_name(s.active_uplink));
    j["mode"] = api::select_mode_name(s.mode);
    j["forced"] = s.forced_uplink == api::kNoUplink ? Json(nullptr) : Json(uplink_name(s.forced_uplink));
  }
  return j;
}

Json Controller::cmd_show_trunks(const Json& args, const Peer&, Role, Error& error, bool& failed) {
  if (!mgmt::args_only(args, {}, error)) return failed = true, Json();
  api::StatsBody& s = *stats_buf_;
  bool have = stats(s);
  Json probes = hooks.trunk_probe_states ? hooks.trunk_probe_states() : Json(nullptr);
  Json figures = hooks.trunk_call_figures ? hooks.trunk_call_figures() : Json(nullptr);
  Json list = Json::array();
  for (const auto& t : store_.running().trunks) {
    Json j{{"name", t.name},
           {"description", t.description},
           {"sbc", t.sbc_address + ":" + std::to_string(t.sbc_port)},
           {"transport", t.transport},
           {"uplinks", t.uplinks}};
    if (probes.is_object() && probes.contains(t.name))
      j["options"] = probes[t.name];
    else
      j["options"] = {{"state", "unknown"}, {"why", "OPTIONS prober not running in this daemon"}};
    const api::TrunkStatsWire* ts = nullptr;
    for (uint32_t i = 0; have && i < s.trunk_count && i < api::kMaxTrunks; ++i)
      if (t.name == std::string(s.trunks[i].name, strnlen(s.trunks[i].name, sizeof s.trunks[i].name)))
        ts = &s.trunks[i];
    if (ts) {
      j["active_calls"] = ts->active_calls;
      j["calls_total"] = ts->calls_total;
      j["calls_answered"] = ts->calls_answered;
      j["calls_failed"] = ts->calls_failed;
      j["asr_pct"] = ts->calls_total ? Json(round_to(100.0 * double(ts->calls_answered) / double(ts->calls_total), 1))
                                     : Json(nullptr);
      j["mos"] = ts->mos_x100 ? Json(ts->mos_x100 / 100.0) : Json(nullptr);
      j["jitter_ms"] = round_to(ts->jitter_us / 1000.0, 2);
      j["rtp_lost"] = ts->rtp_lost;
    }
    if (figures.is_object() && figures.contains(t.name)) j["calls"] = figures[t.name];
    list.push_back(j);
  }
  return {{"trunks", list}, {"fastpath", {{"attached", fp_.attached()}, {"status", fp_.status()}}}};
}

Json Controller::cmd_show_calls(const Json& args, const Peer&, Role, Error& error, bool& failed) {
  if (hooks.show_calls) return hooks.show_calls(args, error, failed);
  if (!mgmt::args_only(args, {}, error)) return failed = true, Json();
  failed = true;
  error = not_available("the fast path publishes per-trunk and per-uplink call counts only (see show trunks, "
                        "show uplinks); per-call MOS/loss/jitter needs the call-record store");
  return {};
}

Json Controller::cmd_show_alarms(const Json& args, const Peer&, Role, Error& error, bool& failed) {
  if (!mgmt::args_only(args, {"history"}, error)) return failed = true, Json();
  bool history = args.value("history", false);
  auto& fn = history ? hooks.show_alarm_history : hooks.show_alarms;
  if (!fn) {
    failed = true;
    error = not_available("the alarm manager is not running in this daemon");
    return {};
  }
  return fn();
}

Json Controller::cmd_show_failover_history(const Json& args, const Peer&, Role, Error& error, bool& failed) {
  if (!mgmt::args_only(args, {"last"}, error)) return failed = true, Json();
  int64_t last = int64_t(kMaxSwitchHistory);
  if (!mgmt::arg_int(args, "last", last, error, 1, int64_t(kMaxSwitchHistory), false)) return failed = true, Json();
  Json list = Json::array();
  size_t start = switches_.size() > size_t(last) ? switches_.size() - size_t(last) : 0;
  for (size_t i = start; i < switches_.size(); ++i) {
    const SwitchRecord& r = switches_[i];
    list.push_back({{"time_unix_ms", r.wall_ms},
                    {"from", r.from},
                    {"to", r.to},
                    {"reason", r.reason},
                    {"reason_text", r.reason_text},
                    {"mode", r.mode},
                    {"faults", r.faults},
                    {"detection_ms", r.detection_ms},
                    {"switch_ms", r.switch_ms},
                    {"total_ms", r.total_ms},
                    {"calls_affected", r.calls_affected}});
  }
  return {{"switches", list},
          {"since_unix_ms", started_wall_ms_},
          {"note", "switches seen since this daemon started"}};
}

Json Controller::cmd_show_fault_report(const Json& args, const Peer&, Role, Error& error, bool& failed) {
  if (!mgmt::args_only(args, {"n"}, error)) return failed = true, Json();
  int64_t n = 1;
  if (!mgmt::arg_int(args, "n", n, error, 1, 1000, false)) return failed = true, Json();
  if (!hooks.fault_report) {
    failed = true;
    error = not_available("fault reports come from the event store, which is not running in this daemon");
    return {};
  }
  return hooks.fault_report(int(n));
}

Json Controller::cmd_show_counters(const Json& args, const Peer&, Role, Error& error, bool& failed) {
  if (!mgmt::args_only(args, {}, error)) return failed = true, Json();
  Json daemon = Json::object();
  for (size_t i = 0; i < size_t(Counter::count_); ++i) daemon[kCounterNames[i]] = counters_[i];
  Json j{{"daemon", daemon}};
  api::StatsBody& s = *stats_buf_;
  if (stats(s)) {
    Json fp = counters_from_stats(s);
    for (size_t i = 0; i < fp["uplinks"].size(); ++i) fp["uplinks"][i]["name"] = uplink_name(uint8_t(i));
    j["fastpath"] = fp;
  } else {
    j["fastpath"] = {{"attached", false}, {"status", fp_.status()}};
  }
  Json texts = Json::object();
  for (size_t i = 0; i < size_t(Counter::count_); ++i) texts[kCounterNames[i]] = kCounterTexts[i];
  j["daemon_help"] = texts;
  if (hooks.alarm_counters) j["alarms"] = hooks.alarm_counters();
  return j;
}

Json Controller::cmd_show_interfaces(const Json& args, const Peer&, Role, Error& error, bool& failed) {
  if (!mgmt::args_only(args, {}, error)) return failed = true, Json();
  std::map<std::string, Json> ifs;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) == 0) {
    for (ifaddrs* a = list; a; a = a->ifa_next) {
      Json& j = ifs[a->ifa_name];
      if (j.is_null()) {
        j = {{"name", a->ifa_name}, {"addresses", Json::array()}};
        j["up"] = (a->ifa_flags & IFF_UP) != 0;
        j["running"] = (a->ifa_flags & IFF_RUNNING) != 0;
      }
      if (a->ifa_addr && (a->ifa_addr->sa_family == AF_INET || a->ifa_addr->sa_family == AF_INET6)) {
        char buf[INET6_ADDRSTRLEN] = {};
        const void* src = a->ifa_addr->sa_family == AF_INET
                              ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr)
                              : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(a->ifa_addr)->sin6_addr);
        ::inet_ntop(a->ifa_addr->sa_family, src, buf, sizeof buf);
        int prefix = 0;
        if (a->ifa_netmask) {
          const auto* m = reinterpret_cast<const uint8_t*>(
              a->ifa_addr->sa_family == AF_INET
                  ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(a->ifa_netmask)->sin_addr)
                  : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(a->ifa_netmask)->sin6_addr));
          for (int b = 0; b < (a->ifa_addr->sa_family == AF_INET ? 4 : 16); ++b) prefix += __builtin_popcount(m[b]);
        }
        j["addresses"].push_back(std::string(buf) + "/" + std::to_string(prefix));
      }
    }
    ::freeifaddrs(list);
  }
  Json kernel = Json::array();
  for (auto& [name, j] : ifs) {
    std::string base = "/sys/class/net/" + name;
    j["operstate"] = read_sys(base + "/operstate");
    j["mac"] = read_sys(base + "/address");
    std::string mtu = read_sys(base + "/mtu");
    j["mtu"] = mtu.empty() ? 0 : std::atoi(mtu.c_str());
    for (const char* c : {"rx_packets", "tx_packets", "rx_errors", "tx_errors", "rx_dropped", "tx_dropped"}) {
      std::string v = read_sys(base + "/statistics/" + c);
      j[c] = v.empty() ? 0 : std::strtoull(v.c_str(), nullptr, 10);
    }
    for (const auto& u : store_.running().uplinks)
      if (u.device == name) j["uplink"] = u.name;
    kernel.push_back(j);
  }
  Json j{{"kernel", kernel}};
  if (hooks.kernel_links) j["netlink"] = hooks.kernel_links();
  api::StatsBody& s = *stats_buf_;
  if (stats(s)) {
    Json ports = Json::array();
    for (int i = 0; i < s.uplink_count && i < api::kMaxUplinks; ++i)
      ports.push_back({{"name", uplink_name(uint8_t(i))},
                       {"link_up", s.uplinks[i].link_up != 0},
                       {"state", api::uplink_state_name(s.uplinks[i].state)},
                       {"rx_packets", s.uplinks[i].rx_packets},
                       {"tx_packets", s.uplinks[i].tx_packets}});
    j["fastpath_ports"] = ports;
  } else {
    j["fastpath_ports"] = nullptr;
    j["fastpath_status"] = fp_.status();
  }
  return j;
}

Json Controller::cmd_show_config(const Json& args, const Peer&, Role role, Error& error, bool& failed) {
  if (!mgmt::args_only(args, {"which"}, error)) return failed = true, Json();
  std::string which = "running";
  if (!mgmt::arg_string(args, "which", which, error, false)) return failed = true, Json();
  // Operators read the configuration but not its passwords and keys.
  auto shown = [&](const std::string& text) { return role == Role::admin ? text : config::mask_secrets(text); };
  if (which == "running") return {{"which", which}, {"file", store_.running_path()}, {"text", shown(store_.running_text())}};
  if (which == "candidate")
    return {{"which", which}, {"changed", store_.candidate_changed()}, {"text", shown(store_.candidate_text())}};
  if (which == "diff")
    return {{"which", which},
            {"changed", store_.candidate_changed()},
            {"text", config::unified_diff(shown(store_.running_text()), shown(store_.candidate_text()), "running",
                                          "candidate")}};
  if (which == "history") {
    Json list = Json::array();
    for (const auto& h : store_.history())
      list.push_back({{"index", h.index}, {"sequence", h.sequence}, {"time_unix", h.time}, {"user", h.user},
                      {"comment", h.comment}});
    return {{"which", which}, {"entries", list}};
  }
  failed = true;
  error = {ErrorCode::bad_argument, "which must be running, candidate, diff or history, got '" + which + "'", {}};
  return {};
}

Json Controller::cmd_config_set(const Json& args, const Peer& peer, Role, Error& error, bool& failed) {
  std::string section, key, value;
  if (!mgmt::args_only(args, {"section", "key", "value"}, error) || !mgmt::arg_string(args, "section", section, error) ||
      !mgmt::arg_string(args, "key", key, error) || !mgmt::arg_string(args, "value", value, error))
    return failed = true, Json();
  if (auto why = store_.set(section, key, value)) {
    failed = true;
    error = {ErrorCode::bad_argument, *why, {}};
    return {};
  }
  log_(LOG_INFO, peer.user + ": candidate set " + section + "." + key);
  return {{"changed", store_.candidate_changed()}};
}

Json Controller::cmd_config_delete(const Json& args, const Peer& peer, Role, Error& error, bool& failed) {
  std::string section, key;
  if (!mgmt::args_only(args, {"section", "key"}, error) || !mgmt::arg_string(args, "section", section, error) ||
      !mgmt::arg_string(args, "key", key, error, false))
    return failed = true, Json();
  std::optional<std::string> k;
  if (!key.empty()) k = key;
  if (auto why = store_.remove(section, k)) {
    failed = true;
    error = {ErrorCode::bad_argument, *why, {}};
    return {};
  }
  log_(LOG_INFO, peer.user + ": candidate delete " + section + (k ? "." + *k : ""));
  return {{"changed", store_.candidate_changed()}};
}

Json Controller::cmd_config_check(const Json& args, const Peer&, Role, Error& error, bool& failed) {
  if (!mgmt::args_only(args, {}, error)) return failed = true, Json();
  auto r = store_.check();
  if (!r.ok()) {
    failed = true;
    error = {ErrorCode::config_invalid, std::to_string(r.errors.size()) + " error(s) in the candidate", {}};
    for (const auto& e : r.errors) error.details.push_back(e.str());
    return {};
  }
  return {{"valid", true}, {"changed", store_.candidate_changed()}};
}

Json Controller::cmd_config_commit(const Json& args, const Peer& peer, Role, Error& error, bool& failed) {
  std::string comment;
  if (!mgmt::args_only(args, {"comment"}, error) || !mgmt::arg_string(args, "comment", comment, error, false))
    return failed = true, Json();
  auto r = store_.commit(peer.user, comment, clock_.wall_ms() / 1000);
  if (!r.ok) {
    count(Counter::commits_rejected);
    failed = true;
    if (!r.errors.empty()) {
      error = {ErrorCode::config_invalid,
               "commit rejected: " + std::to_string(r.errors.size()) +
                   " error(s) in the candidate; the running configuration is unchanged",
               {}};
      for (const auto& e : r.errors) error.details.push_back(e.str());
    } else {
      error = {ErrorCode::io_error, "commit failed, running configuration unchanged: " + r.io_error, {}};
    }
    log_(LOG_WARNING, peer.user + ": " + error.message);
    return {};
  }
  if (!r.changed) return {{"changed", false}, {"message", "no changes to commit"}};
  count(Counter::commits);
  apply("commit " + std::to_string(r.sequence) + " by " + peer.user + (comment.empty() ? "" : ": " + comment));
  return {{"changed", true}, {"sequence", r.sequence}};
}

Json Controller::cmd_config_rollback(const Json& args, const Peer& peer, Role, Error& error, bool& failed) {
  int64_t n = 0;
  if (!mgmt::args_only(args, {"n"}, error) || !mgmt::arg_int(args, "n", n, error, 0, 1000)) return failed = true, Json();
  if (auto why = store_.rollback(int(n))) {
    failed = true;
    error = {ErrorCode::bad_argument, *why, {}};
    return {};
  }
  log_(LOG_INFO, peer.user + ": candidate loaded from rollback " + std::to_string(n));
  return {{"changed", store_.candidate_changed()},
          {"message", "configuration " + std::to_string(n) + " loaded into the candidate; commit applies it"}};
}

Json Controller::cmd_config_discard(const Json& args, const Peer&, Role, Error& error, bool& failed) {
  if (!mgmt::args_only(args, {}, error)) return failed = true, Json();
  store_.discard();
  return {{"changed", false}};
}

Json Controller::cmd_failover_force(const Json& args, const Peer& peer, Role, Error& error, bool& failed) {
  std::string name;
  if (!mgmt::args_only(args, {"uplink"}, error) || !mgmt::arg_string(args, "uplink", name, error))
    return failed = true, Json();
  api::StatsBody& s = *stats_buf_;
  stats(s);  // refresh the index <-> name map
  int idx = uplink_index(name);
  if (idx < 0 || !store_.running().uplink(name)) {
    std::string known;
    for (const auto& u : store_.running().uplinks) known += (known.empty() ? "" : ", ") + u.name;
    failed = true;
    error = {ErrorCode::bad_argument, "no uplink '" + name + "' (configured: " + known + ")", {}};
    return {};
  }
  api::Command c{};
  c.kind = api::CommandKind::force_uplink;
  c.uplink = uint8_t(idx);
  Later later = answer_later(error);
  if (!later) return failed = true, Json();
  auto verdict = [this, later, name, user = peer.user](bool answered, api::CommandResult result, const Error& e) {
    if (!answered) return later({}, e, true);
    if (result != api::CommandResult::ok && result != api::CommandResult::ok_uplink_down)
      return later({}, {ErrorCode::bad_argument, std::string("fast path rejected it: ") + api::command_result_text(result), {}},
                   true);
    log_(LOG_WARNING, user + ": failover forced to " + name + " (" + api::command_result_text(result) + ")");
    later({{"uplink", name}, {"result", api::command_result_name(result)}, {"message", api::command_result_text(result)}},
          {}, false);
  };
  if (!send_command(c, 1000, verdict, error)) later({}, error, true);
  return {};
}

Json Controller::cmd_failover_auto(const Json& args, const Peer& peer, Role, Error& error, bool& failed) {
  if (!mgmt::args_only(args, {}, error)) return failed = true, Json();
  api::Command c{};
  c.kind = api::CommandKind::auto_select;
  c.uplink = api::kNoUplink;
  Later later = answer_later(error);
  if (!later) return failed = true, Json();
  auto verdict = [this, later, user = peer.user](bool answered, api::CommandResult result, const Error& e) {
    if (!answered) return later({}, e, true);
    if (result != api::CommandResult::ok)
      return later({}, {ErrorCode::bad_argument, std::string("fast path rejected it: ") + api::command_result_text(result), {}},
                   true);
    log_(LOG_NOTICE, user + ": failover back to automatic selection");
    later({{"result", api::command_result_name(result)}, {"message", api::command_result_text(result)}}, {}, false);
  };
  if (!send_command(c, 1000, verdict, error)) later({}, error, true);
  return {};
}

Json Controller::cmd_test_trunk(const Json& args, const Peer&, Role, Error& error, bool& failed) {
  std::string trunk;
  if (!mgmt::args_only(args, {"trunk"}, error) || !mgmt::arg_string(args, "trunk", trunk, error))
    return failed = true, Json();
  failed = true;
  if (!store_.running().trunk(trunk)) {
    std::string known;
    for (const auto& t : store_.running().trunks) known += (known.empty() ? "" : ", ") + t.name;
    error = {ErrorCode::bad_argument, "no trunk '" + trunk + "' (configured: " + (known.empty() ? "none" : known) + ")", {}};
    return {};
  }
  if (!hooks.test_trunk) {
    error = not_available("the SIP OPTIONS prober is not running in this daemon");
    return {};
  }
  Later later = answer_later(error);
  if (!later) return {};
  std::string why;
  if (!hooks.test_trunk(trunk, [later](Json answers) { later(answers, {}, false); }, why))
    later({}, {ErrorCode::not_available, why, {}}, true);
  failed = false;
  return {};
}

Json Controller::cmd_diagnose_call(const Json& args, const Peer&, Role, Error& error, bool& failed) {
  if (hooks.diagnose_call) return hooks.diagnose_call(args, error, failed);
  std::string call_id;
  if (!mgmt::args_only(args, {"call_id"}, error) || !mgmt::arg_string(args, "call_id", call_id, error))
    return failed = true, Json();
  failed = true;
  error = not_available("call diagnosis needs the call-record store, which is not running in this daemon");
  return {};
}

Json Controller::cmd_export_calls(const Json& args, const Peer&, Role, Error& error, bool& failed) {
  if (hooks.export_calls) return hooks.export_calls(args, error, failed);
  failed = true;
  error = not_available("call records come from the call-record store, which is not running in this daemon");
  return {};
}

}  // namespace tg::controld
