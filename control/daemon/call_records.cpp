#include "control/daemon/call_records.hpp"

#include <syslog.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <ctime>
#include <sstream>

#include "control/alarms/alarm.hpp"

namespace tg::controld {

using mgmt::Error;
using mgmt::ErrorCode;
using mgmt::Json;

namespace {

template <size_t N>
std::string field(const char (&a)[N]) {
  return std::string(a, strnlen(a, N));
}

int64_t wall_ms_of(const api::CallRecordWire& r, uint64_t mono_ns) {
  return mono_ns ? int64_t((mono_ns + r.realtime_offset_ns) / 1'000'000) : 0;
}

Json pct_json(double v) { return std::isfinite(v) ? Json(std::round(v * 10) / 10) : Json(nullptr); }

// RFC 6076 / E.411 outcome sets (dataplane/core/call_table.cpp keeps the
// same lists for the fast path's own counters).
bool seer_effective(uint16_t code) { return code == 200 || code == 480 || code == 486 || code == 600 || code == 603; }
bool isa_ineffective(uint16_t code) { return code == 408 || code == 500 || code == 503 || code == 504; }

// "15m", "2h", "1d", "90s" (relative to now), "2026-11-23T10:00:00Z", or
// milliseconds since the epoch.
bool parse_since(const std::string& s, int64_t now_ms, int64_t& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (end && *end == '\0' && v >= 0) return out = v, true;
  if (end && end != s.c_str() && end[1] == '\0' && v >= 0) {
    int64_t unit = *end == 's' ? 1000 : *end == 'm' ? 60'000 : *end == 'h' ? 3'600'000 : *end == 'd' ? 86'400'000 : 0;
    if (!unit) return false;
    out = now_ms - int64_t(v) * unit;
    return true;
  }
  std::tm tm{};
  const char* rest = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!rest) rest = strptime(s.c_str(), "%Y-%m-%d", &tm);
  if (!rest || (*rest && std::strcmp(rest, "Z") != 0)) return false;
  out = int64_t(timegm(&tm)) * 1000;
  return true;
}

}  // namespace

// ------------------------------------------------------------ shm feed

void ShmCallFeed::maintain() {
  if (!fp_.attached()) {
    if (cdr_.bound()) cdr_.close();
    if (live_.bound()) live_.close();
    error_ = "fast path not running (" + fp_.status() + ")";
    return;
  }
  uint64_t pid = fp_.pid();
  if (cdr_.bound() && cdr_.creator_pid() != pid) cdr_.close();   // restarted: fresh regions
  if (live_.bound() && live_.creator_pid() != pid) live_.close();
  if (cdr_.bound() && live_.bound()) return;
  // A fast path without the call regions (older build) is retried now and
  // then, not on every loop round.
  if (retry_++ % 50 != 0) return;
  std::string why;
  if (!cdr_.bound() && !cdr_.open(names_.cdr, why)) error_ = why;
  if (!live_.bound() && !live_.open(names_.calls, why)) error_ = why;
  if (cdr_.bound() && live_.bound()) error_.clear();
}

size_t ShmCallFeed::poll_cdrs(api::CallRecordWire* out, size_t n) {
  maintain();
  return cdr_.bound() ? cdr_.pop_burst(out, n) : 0;
}

bool ShmCallFeed::read_live(std::vector<api::CallRecordWire>& out, uint64_t& published_ns, std::string& why) {
  maintain();
  if (!live_.bound()) return why = error_, false;
  api::LiveCallsInfo info;
  if (!live_.read(out, &info)) return why = "the fast path kept the live-calls table busy", false;
  if (info.publish_count == 0) return why = "the fast path has not published its live calls yet", false;
  published_ns = info.updated_ns;
  return true;
}

CallOutcome outcome_of(const api::CallRecordWire& r, int64_t end_wall_ms) {
  CallOutcome c;
  c.end_ms = end_wall_ms;
  c.pdd_ms = r.pdd_ms;
  c.srd_ms = r.srd_ms;
  c.final_code = r.final_code;
  c.state = r.state;
  c.hangup = r.hangup;
  c.transfer_kind = r.transfer_kind;
  c.transfer_result = r.transfer_result;
  c.answered = r.answer_ns != 0;
  c.ended_by_timer = r.ended_by_timer != 0;
  if (r.answer_ns && r.end_ns > r.answer_ns) c.duration_ms = uint32_t(std::min<uint64_t>((r.end_ns - r.answer_ns) / 1'000'000, UINT32_MAX));
  return c;
}

void count_call(TrunkCounters& t, const CallOutcome& c) {
  using C = TrunkCounter;
  const auto state = CallState(c.state);
  t[C::attempts] += 1;
  if (call_state_live(state) && state != CallState::answered) return;  // not settled (should not be in a CDR)
  t[C::settled] += 1;
  if (c.answered) {
    t[C::answered] += 1;
    if (c.final_code == 200) t[C::answered_200] += 1;
  }
  switch (state) {
    case CallState::busy: t[C::busy] += 1; break;
    case CallState::failed: t[C::failed] += 1; break;
    case CallState::timeout: t[C::timeouts] += 1; break;
    case CallState::rejected: t[C::rejected] += 1; break;
    case CallState::cancelled: t[C::cancelled] += 1; break;
    case CallState::redirected: t[C::redirected] += 1; break;
    default: break;
  }
  if (seer_effective(c.final_code)) t[C::seer_effective] += 1;
  if (isa_ineffective(c.final_code) || state == CallState::timeout) t[C::isa_ineffective] += 1;
  if (c.srd_ms >= 0) {
    t[C::srd_count] += 1;
    t[C::srd_sum_ms] += uint64_t(c.srd_ms);
    t.srd_max_ms = std::max(t.srd_max_ms, uint32_t(c.srd_ms));
  }
  if (c.pdd_ms >= 0) {
    t[C::pdd_count] += 1;
    t[C::pdd_sum_ms] += uint64_t(c.pdd_ms);
    t.pdd_max_ms = std::max(t.pdd_max_ms, uint32_t(c.pdd_ms));
  }
  if (c.answered) {
    if (c.ended_by_timer) {
      t[C::expired] += 1;
    } else if (state == CallState::ended) {
      t[C::completed] += 1;
      if (Party(c.hangup) == Party::caller) t[C::hangup_caller] += 1;
      if (Party(c.hangup) == Party::callee) t[C::hangup_callee] += 1;
    }
    t[C::duration_sum_ms] += c.duration_ms;
  }
  if (TransferKind(c.transfer_kind) != TransferKind::none) {
    t[C::transfers] += 1;
    if (TransferResult(c.transfer_result) == TransferResult::succeeded) t[C::transfers_ok] += 1;
    if (TransferResult(c.transfer_result) == TransferResult::failed) t[C::transfers_failed] += 1;
  }
}

// ------------------------------------------------------------ trunk stats

void TrunkCallStats::add(const std::string& trunk, const CallOutcome& c) {
  PerTrunk& p = trunks_[trunk];
  count_call(p.total.counters, c);
  // CDRs arrive in end order per ring; keep the deque sorted anyway (a
  // late one goes where it belongs).
  auto at = std::upper_bound(p.recent.begin(), p.recent.end(), c.end_ms,
                             [](int64_t t, const CallOutcome& o) { return t < o.end_ms; });
  p.recent.insert(at, c);
  while (p.recent.size() > opt_.max_samples) p.recent.pop_front();
}

void TrunkCallStats::expire(PerTrunk& p, int64_t now_ms) {
  while (!p.recent.empty() && p.recent.front().end_ms < now_ms - opt_.window_ms) p.recent.pop_front();
}

TrunkFigures TrunkCallStats::window(const std::string& trunk, int64_t now_ms) {
  TrunkFigures f;
  auto it = trunks_.find(trunk);
  if (it != trunks_.end()) {
    expire(it->second, now_ms);
    for (const CallOutcome& c : it->second.recent) count_call(f.counters, c);
  }
  f.ratios = trunk_ratios(f.counters);
  return f;
}

TrunkFigures TrunkCallStats::total(const std::string& trunk) const {
  TrunkFigures f;
  auto it = trunks_.find(trunk);
  if (it != trunks_.end()) f = it->second.total;
  f.ratios = trunk_ratios(f.counters);
  return f;
}

std::vector<std::string> TrunkCallStats::trunks() const {
  std::vector<std::string> v;
  for (const auto& [name, p] : trunks_) v.push_back(name);
  return v;
}

Json figures_json(const TrunkFigures& f) {
  using C = TrunkCounter;
  const TrunkCounters& t = f.counters;
  const TrunkRatios& r = f.ratios;
  auto ms = [](double v) { return std::isfinite(v) ? Json(std::round(v)) : Json(nullptr); };
  return {{"attempts", t[C::attempts]},
          {"answered", t[C::answered]},
          {"busy", t[C::busy]},
          {"failed", t[C::failed] + t[C::timeouts]},
          {"rejected", t[C::rejected]},
          {"cancelled", t[C::cancelled]},
          {"redirected", t[C::redirected]},
          {"asr_pct", pct_json(r.asr)},
          {"ser_pct", pct_json(r.ser)},
          {"seer_pct", pct_json(r.seer)},
          {"isa_pct", pct_json(r.isa)},
          {"busy_pct", pct_json(r.busy_pct)},
          {"failure_pct", pct_json(r.failure_pct)},
          {"srd_mean_ms", ms(r.srd_mean_ms)},
          {"srd_max_ms", t[C::srd_count] ? Json(t.srd_max_ms) : Json(nullptr)},
          {"pdd_mean_ms", ms(r.pdd_mean_ms)},
          {"pdd_max_ms", t[C::pdd_count] ? Json(t.pdd_max_ms) : Json(nullptr)},
          {"transfers", t[C::transfers]},
          {"transfers_failed", t[C::transfers_failed]}};
}

CongestionState next_congestion(bool was, const TrunkFigures& w, const CongestionOptions& o) {
  CongestionState s;
  s.settled = w.counters[TrunkCounter::settled];
  s.busy_pct = std::isfinite(w.ratios.busy_pct) ? w.ratios.busy_pct : 0;
  if (s.settled < o.min_calls)
    s.congested = was && s.settled > 0 && s.busy_pct >= o.clear_pct;  // too few calls to raise; clear when quiet
  else
    s.congested = was ? s.busy_pct >= o.clear_pct : s.busy_pct >= o.raise_pct;
  return s;
}

// ------------------------------------------------------------ call records

CallRecords::CallRecords(CallFeed& feed, Clock clock, Log log, Options o)
    : feed_(feed), clock_(std::move(clock)), log_(std::move(log)), opt_(o),
      stats_buf_(std::make_unique<api::StatsBody>()), stats_(o.stats) {
  started_ms_ = clock_.wall_ms();
}

void CallRecords::configure(const config::Config& c) {
  opt_.diagnose.mos_min = c.thresholds.mos;
  opt_.diagnose.loss_max_pct = c.thresholds.loss_percent;
  opt_.diagnose.jitter_max_ms = c.thresholds.jitter_ms;
  const config::TrunkStatsConfig& ts = c.trunk_stats;
  const int64_t window_ms = int64_t(ts.window_min) * 60'000;
  const CongestionOptions cong{ts.congestion_raise_percent, ts.congestion_clear_percent,
                               uint64_t(ts.congestion_min_calls)};
  if (window_ms != stats_.options().window_ms || cong.raise_pct != opt_.congestion.raise_pct ||
      cong.clear_pct != opt_.congestion.clear_pct || cong.min_calls != opt_.congestion.min_calls)
    last_check_ms_ = 0;  // judge the trunks by the new rules at the next tick, not up to 1 s later
  stats_.set_window_ms(window_ms);
  opt_.congestion = cong;
  trunk_labels_.clear();
  trunk_by_sbc_.clear();
  for (const auto& t : c.trunks) {
    trunk_labels_[t.name] = t.description;
    trunk_by_sbc_[t.sbc_address] = t.name;
  }
}

void CallRecords::refresh_names() {
  uint64_t now = clock_.mono_ns();
  if (names_read_ns_ && now - names_read_ns_ < 1'000'000'000ull) return;
  names_read_ns_ = now;
  if (!read_stats_ || !read_stats_(*stats_buf_)) return;
  const api::StatsBody& s = *stats_buf_;
  for (uint32_t i = 0; i < s.trunk_count && i < api::kMaxTrunks; ++i)
    trunk_names_[uint8_t(i)] = field(s.trunks[i].name);
  for (uint8_t i = 0; i < s.uplink_count && i < api::kMaxUplinks; ++i) uplink_names_[i] = field(s.uplinks[i].name);
}

std::string CallRecords::trunk_name(uint8_t i) {
  auto it = trunk_names_.find(i);
  if (it == trunk_names_.end() || it->second.empty()) {
    // A fast path that publishes no trunk table: with one trunk configured,
    // its first (automatic) trunk is that one's SBC.
    if (i == 0 && trunk_labels_.size() == 1) return trunk_labels_.begin()->first;
    return "trunk" + std::to_string(i);
  }
  // A fast path without configured trunks names them by SBC address: show
  // the configuration's name for that SBC.
  auto conf = trunk_by_sbc_.find(it->second);
  return conf != trunk_by_sbc_.end() ? conf->second : it->second;
}

std::string CallRecords::uplink_name(uint8_t i) {
  auto it = uplink_names_.find(i);
  return it != uplink_names_.end() && !it->second.empty() ? it->second : api::default_uplink_name(i);
}

// now_ns: the fast path's clock (live calls); 0 for finished calls.
diag::ViewContext CallRecords::view(uint64_t now_ns) {
  diag::ViewContext v;
  v.trunk_name = [this](uint8_t i) { return trunk_name(i); };
  v.uplink_name = [this](uint8_t i) { return uplink_name(i); };
  v.now_ns = now_ns;
  return v;
}

store::CallRecord CallRecords::to_row(const api::CallRecordWire& r) {
  diag::ViewContext v = view();
  store::CallRecord c;
  c.call_id = field(r.call_id);
  c.from = field(r.from_user);
  c.to = field(r.to_user);
  c.trunk = diag::trunk_of(r, v);
  c.uplink = diag::uplink_of(r, v);
  c.start_ms = wall_ms_of(r, r.invite_ns);
  c.answer_ms = wall_ms_of(r, r.answer_ns);
  c.end_ms = wall_ms_of(r, r.end_ns);
  c.final_code = r.final_code;
  const auto state = CallState(r.state);
  c.state = call_state_name(state);
  c.hangup = party_name(Party(r.hangup));
  if (r.ended_by_timer)
    c.end_reason = "idle timer";
  else if (state == CallState::ended)
    c.end_reason = std::string(party_name(Party(r.hangup))) + " BYE" +
                   (r.bye_code >= 300 ? " answered " + std::to_string(r.bye_code) : std::string());
  else
    c.end_reason = c.state;
  c.pdd_ms = r.pdd_ms;
  c.srd_ms = r.srd_ms;
  c.direction = CallDirection(r.direction) == CallDirection::outbound ? "outbound" : "inbound";
  auto quality = [](const api::CallMediaWire& m) {
    return store::StreamQuality{m.mos_x100 / 100.0, diag::media_loss_pct(m), m.jitter_us / 1000.0, m.packets,
                                m.rtp_packets, m.dtmf_packets, m.dtmf_events};
  };
  c.outbound = quality(r.media[diag::media_out_index(r)]);
  c.inbound = quality(r.media[diag::media_in_index(r)]);
  c.reason_cause = r.reason_cause;
  c.transfer_kind = transfer_kind_name(TransferKind(r.transfer_kind));
  c.transfer_result = TransferKind(r.transfer_kind) == TransferKind::none
                          ? std::string()
                          : std::string(transfer_result_name(TransferResult(r.transfer_result)));
  c.transfer_code = r.transfer_code;
  c.transfer_target = field(r.transfer_target);
  diag::Diagnosis d = diag::diagnose(r, opt_.diagnose);
  c.verdict = diag::verdict_name(d.verdict);
  c.diagnosis = d.main().explanation;
  c.raw = diag::to_hex(r);
  c.uplinks = diag::uplinks_of(r, v);
  c.uplink_switches = r.uplink_switches;
  c.bye_code = r.bye_code;
  c.ack_ms = wall_ms_of(r, r.ack_ns);
  c.ok_retransmissions = r.ok_retransmissions;
  return c;
}

void CallRecords::handle_cdr(const api::CallRecordWire& r) {
  count(CallRecordCounter::cdrs);
  if (r.version != api::kCallRecordVersion) {
    count(CallRecordCounter::cdrs_bad_version);
    return;
  }
  store::CallRecord row = to_row(r);
  int64_t end_ms = row.end_ms ? row.end_ms : clock_.wall_ms();
  if (r.trunk != UINT8_MAX) stats_.add(row.trunk, outcome_of(r, end_ms));
  recent_.push_back(r);
  while (recent_.size() > opt_.recent_keep) recent_.pop_front();
  if (!store_) return;
  if (store_->record_call(row)) {
    count(CallRecordCounter::cdrs_stored);
  } else {
    // Not fatal: the call stays in recent_ and in the trunk figures.
    if (counter(CallRecordCounter::cdrs_store_errors) == 0)
      log_(LOG_ERR, "call record store: " + store_->last_error());
    count(CallRecordCounter::cdrs_store_errors);
  }
}

void CallRecords::tick() {
  refresh_names();
  api::CallRecordWire batch[32];
  size_t done = 0, n;
  while (done < opt_.max_cdrs_per_tick && (n = feed_.poll_cdrs(batch, 32)) > 0) {
    for (size_t i = 0; i < n; ++i) handle_cdr(batch[i]);
    done += n;
  }
  int64_t now = clock_.wall_ms();
  if (now - last_check_ms_ >= 1000) {
    last_check_ms_ = now;
    check_congestion();
  }
}

bool CallRecords::congested(const std::string& trunk) const {
  auto it = congested_.find(trunk);
  return it != congested_.end() && it->second;
}

void CallRecords::check_congestion() {
  int64_t now = clock_.wall_ms();
  for (const std::string& trunk : stats_.trunks()) {
    bool was = congested(trunk);
    TrunkFigures w = stats_.window(trunk, now);
    CongestionState s = next_congestion(was, w, opt_.congestion);
    if (s.congested == was) continue;
    congested_[trunk] = s.congested;
    char text[160];
    std::snprintf(text, sizeof text, "busy %.1f %% of %llu calls in the last %lld min", s.busy_pct,
                  static_cast<unsigned long long>(s.settled), static_cast<long long>(stats_.options().window_ms / 60000));
    log_(s.congested ? LOG_WARNING : LOG_NOTICE,
         "trunk " + trunk + (s.congested ? ": congestion, " : ": congestion over, ") + text);
    count(s.congested ? CallRecordCounter::congestion_raised : CallRecordCounter::congestion_cleared);
    if (!alarms_) continue;
    auto label = trunk_labels_.find(trunk);
    alarm::ManagedObject obj{alarm::ObjectKind::trunk, trunk, label == trunk_labels_.end() ? "" : label->second};
    if (s.congested) {
      alarm::RaiseRequest req;
      req.type = alarm::AlarmType::trunk_congestion;
      req.object = obj;
      req.detail = text;
      req.action = "no failover: busy answers are the carrier's capacity, not an outage";
      alarms_->raise(req);
    } else {
      alarms_->clear(alarm::AlarmType::trunk_congestion, obj, text);
    }
  }
}

// ------------------------------------------------------------- console

Json CallRecords::show_calls(const Json& args, Error& error, bool& failed) {
  if (!mgmt::args_only(args, {}, error)) return failed = true, Json();
  std::vector<api::CallRecordWire> live;
  std::string why;
  uint64_t fp_now = 0;
  if (!feed_.read_live(live, fp_now, why)) {
    failed = true;
    error = {ErrorCode::fastpath_unavailable, "live calls not available: " + why, {}};
    return {};
  }
  refresh_names();
  std::sort(live.begin(), live.end(), [](const auto& a, const auto& b) { return a.invite_ns < b.invite_ns; });
  diag::ViewContext v = view(fp_now);
  Json list = Json::array();
  for (const auto& r : live) list.push_back(diag::call_json(r, v));
  return {{"calls", list}, {"count", live.size()}, {"source", "tg-controld (fast path live table)"}};
}

Json CallRecords::diagnose_call(const Json& args, Error& error, bool& failed) {
  std::string id;
  if (!mgmt::args_only(args, {"call_id"}, error) || !mgmt::arg_string(args, "call_id", id, error))
    return failed = true, Json();
  // Records keep the first 79 bytes of a Call-ID.
  std::string key = id.substr(0, sizeof(api::CallRecordWire::call_id) - 1);
  auto same = [&](const api::CallRecordWire& r) { return field(r.call_id) == key; };
  std::vector<api::CallRecordWire> attempts;
  std::string source;
  for (const auto& r : recent_)
    if (same(r)) attempts.push_back(r);
  if (!attempts.empty()) source = "recent call records";
  if (attempts.empty() && store_) {
    for (const auto& row : store_->calls_by_id(key)) {
      api::CallRecordWire r{};
      if (diag::from_hex(row.raw, r)) attempts.push_back(r);
    }
    if (!attempts.empty()) source = "call-record store";
  }
  std::vector<api::CallRecordWire> live;
  std::string why;
  uint64_t fp_now = 0;
  if (feed_.read_live(live, fp_now, why))
    for (const auto& r : live)
      if (same(r)) {
        attempts.push_back(r);
        source = "live calls";
      }
  if (attempts.empty()) {
    failed = true;
    std::string where = "live calls, the last " + std::to_string(recent_.size()) + " finished calls";
    where += store_ ? ", the call-record store" : " (the store is not running: " + store_why_ + ")";
    error = {ErrorCode::bad_argument, "no call '" + id + "' in " + where, {}};
    return {};
  }
  refresh_names();
  diag::Options o = opt_.diagnose;
  o.now_ns = fp_now;
  diag::Diagnosis d = diag::diagnose(attempts, o);
  Json j = diag::diagnosis_json(d, &attempts.back(), view(fp_now));
  j["source"] = source;
  j["attempts"] = attempts.size();
  return j;
}

Json CallRecords::export_calls(const Json& args, Error& error, bool& failed) {
  std::string format = "csv", since, until;
  bool unexported = false, mark = false;
  int64_t limit = opt_.export_limit;
  if (!mgmt::args_only(args, {"format", "since", "until", "unexported", "mark", "limit"}, error) ||
      !mgmt::arg_string(args, "format", format, error, false) || !mgmt::arg_string(args, "since", since, error, false) ||
      !mgmt::arg_string(args, "until", until, error, false) ||
      !mgmt::arg_int(args, "limit", limit, error, 1, opt_.export_limit, false))
    return failed = true, Json();
  for (const char* k : {"unexported", "mark"}) {
    if (!args.contains(k)) continue;
    if (!args[k].is_boolean()) {
      failed = true;
      error = {ErrorCode::bad_argument, std::string(k) + " must be true or false", {}};
      return {};
    }
    (std::string(k) == "mark" ? mark : unexported) = args[k].get<bool>();
  }
  if (format != "csv" && format != "json") {
    failed = true;
    error = {ErrorCode::bad_argument, "format must be csv or json, got '" + format + "'", {}};
    return {};
  }
  store::ExportQuery q;
  int64_t now = clock_.wall_ms();
  for (auto [text, out, name] : {std::tuple{&since, &q.since_ms, "since"}, std::tuple{&until, &q.until_ms, "until"}}) {
    if (text->empty()) continue;
    if (!parse_since(*text, now, *out)) {
      failed = true;
      error = {ErrorCode::bad_argument,
               std::string(name) + " '" + *text +
                   "' is not a time: use 15m, 2h, 1d (ago), 2026-11-23T10:00:00Z or ms since the epoch",
               {}};
      return {};
    }
  }
  q.only_unexported = unexported;
  q.mark_exported = mark;
  q.limit = limit;
  if (!store_) {
    failed = true;
    error = {ErrorCode::not_available, "not available: " + store_why_, {}};
    return {};
  }
  std::ostringstream out;
  int64_t rows = store_->export_calls(out, format == "json" ? store::Format::json : store::Format::csv, q);
  if (rows < 0) {
    failed = true;
    error = {ErrorCode::io_error, "export failed: " + store_->last_error(), {}};
    return {};
  }
  return {{"format", format}, {"rows", rows}, {"more", rows >= limit}, {"data", out.str()}};
}

Json CallRecords::trunk_figures() {
  Json j = Json::object();
  int64_t now = clock_.wall_ms();
  for (const std::string& t : stats_.trunks()) {
    Json w = figures_json(stats_.window(t, now));
    w["window_s"] = stats_.options().window_ms / 1000;
    Json total = figures_json(stats_.total(t));
    total["since_unix_ms"] = started_ms_;
    j[t] = {{"window", w}, {"since_start", total}, {"congested", congested(t)}};
  }
  return j;
}

void CallRecords::install(Controller& ctl) {
  ctl.hooks.show_calls = [this](const Json& a, Error& e, bool& f) { return show_calls(a, e, f); };
  ctl.hooks.diagnose_call = [this](const Json& a, Error& e, bool& f) { return diagnose_call(a, e, f); };
  ctl.hooks.export_calls = [this](const Json& a, Error& e, bool& f) { return export_calls(a, e, f); };
  ctl.hooks.trunk_call_figures = [this] { return trunk_figures(); };
  auto applied = ctl.hooks.on_config_applied;
  ctl.hooks.on_config_applied = [this, applied](const config::Config& c) {
    configure(c);
    if (applied) applied(c);
  };
}

}  // namespace tg::controld
