// Per-call records in tg-controld: the fast path's CDR ring and live-calls
// table (dataplane/api/calls.hpp) turned into
//   - CDR rows in the event store (control/store), each with its diagnosis,
//     exported as CSV/JSON (`export calls`); rows written while the uplinks
//     are down wait in the store and go out with the next export;
//   - per-trunk figures from the CDRs, over a sliding window and since the
//     daemon started: ASR, SER, SEER, ISA (RFC 6076, same definitions as
//     dataplane/core/call_table.hpp), busy % kept apart from failure %,
//     mean/max SRD and PDD (`show trunks`);
//   - a congestion alarm (trunk_congestion) when a trunk's busy ratio stays
//     high: congestion is not an outage and never fails an uplink over;
//   - `show calls` (live table) and `diagnose call CALL-ID` (live calls, recent
//     CDRs, then the store).
// Single threaded: tick() and the console handlers run on the daemon's loop.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "control/daemon/controller.hpp"
#include "control/diagnose/call_view.hpp"
#include "control/diagnose/diagnose.hpp"
#include "control/store/store.hpp"
#include "dataplane/core/call_table.hpp"
#include "dataplane/api/call_export.hpp"
#include "dataplane/api/calls.hpp"
#include "dataplane/api/channels.hpp"
#include "dataplane/api/stats.hpp"

namespace tg::alarm {
class AlarmManager;
}

namespace tg::controld {

// What the fast path publishes per call (shared memory in the daemon, a
// fake in tests).
class CallFeed {
 public:
  virtual ~CallFeed() = default;
  // Finished calls from the CDR ring, oldest first; 0 when empty or absent.
  virtual size_t poll_cdrs(api::CallRecordWire* out, size_t n) = 0;
  // A consistent copy of the live-calls table and the fast path's clock when
  // it was published (the records' times are on that clock, which need not
  // be this process's CLOCK_MONOTONIC); false (why) when absent/busy.
  virtual bool read_live(std::vector<api::CallRecordWire>& out, uint64_t& published_ns, std::string& why) = 0;
  // CDRs the producer dropped (ring full) since it started; 0 if unknown.
  virtual uint64_t cdrs_dropped() const { return 0; }
};

// What the trunk figures need of one finished call (32 bytes: a window of
// many thousand calls stays small).
struct CallOutcome {
  int64_t end_ms = 0;          // wall clock
  int32_t pdd_ms = -1, srd_ms = -1;
  uint32_t duration_ms = 0;    // answered calls
  uint16_t final_code = 0;
  uint8_t state = 0;           // tg::CallState
  uint8_t hangup = 0;          // tg::Party
  uint8_t transfer_kind = 0, transfer_result = 0;
  bool answered = false, ended_by_timer = false;
};
static_assert(sizeof(CallOutcome) <= 32);
CallOutcome outcome_of(const api::CallRecordWire& r, int64_t end_wall_ms);

// The real feed: <prefix>-cdr (this daemon is its only consumer) and
// <prefix>-calls. Opens them when the fast path is there and again when it
// was restarted (another creator pid than the stats region's).
class ShmCallFeed final : public CallFeed {
 public:
  ShmCallFeed(const std::string& shm_prefix, FastPath& fp) : names_(api::ChannelNames::with_prefix(shm_prefix)), fp_(fp) {}
  size_t poll_cdrs(api::CallRecordWire* out, size_t n) override;
  bool read_live(std::vector<api::CallRecordWire>& out, uint64_t& published_ns, std::string& why) override;
  uint64_t cdrs_dropped() const override { return cdr_.bound() ? cdr_.drops() : 0; }
  std::string status() const { return error_.empty() ? "attached" : error_; }

 private:
  void maintain();
  api::ChannelNames names_;
  FastPath& fp_;
  api::CdrReader cdr_;
  api::LiveCallsReader live_;
  std::string error_ = "not attached yet";
  uint32_t retry_ = 0;
};

// Adds one finished call to a trunk's counters, the way the fast path's call
// table counts it (so window figures and the fast path's totals agree).
void count_call(TrunkCounters& t, const CallOutcome& c);

struct TrunkFigures {
  TrunkCounters counters;
  TrunkRatios ratios{};  // computed by trunk_ratios(counters)
};

// Per-trunk figures from CDRs: a sliding window (by call end time) and
// totals since start. Bounded: at most max_samples calls kept per trunk in
// the window (the oldest go first; the window then covers less time and
// says so).
class TrunkCallStats {
 public:
  struct Options {
    int64_t window_ms = 15 * 60 * 1000;
    size_t max_samples = 50'000;
  };
  TrunkCallStats() : TrunkCallStats(Options{}) {}
  explicit TrunkCallStats(Options o) : opt_(o) {}
  void add(const std::string& trunk, const CallOutcome& c);
  TrunkFigures window(const std::string& trunk, int64_t now_ms);
  TrunkFigures total(const std::string& trunk) const;
  std::vector<std::string> trunks() const;
  const Options& options() const { return opt_; }
  // A reload: totals and the calls inside the new window stay; a shorter
  // window drops the older calls at the next look, a longer one fills up
  // with the calls that end from now on.
  void set_window_ms(int64_t ms) { opt_.window_ms = ms; }

 private:
  struct PerTrunk {
    TrunkFigures total;
    std::deque<CallOutcome> recent;  // by end time
  };
  void expire(PerTrunk& p, int64_t now_ms);
  Options opt_;
  std::map<std::string, PerTrunk> trunks_;
};

mgmt::Json figures_json(const TrunkFigures& f);

// Busy-ratio congestion with hysteresis: raised at >= raise_pct of at least
// min_calls settled calls in the window, cleared below clear_pct. Defaults
// are [trunk_stats]'s (config::TrunkStatsConfig).
struct CongestionOptions {
  double raise_pct = 30.0;
  double clear_pct = 15.0;
  uint64_t min_calls = 10;
};
struct CongestionState {
  bool congested = false;
  double busy_pct = 0;
  uint64_t settled = 0;
};
// Next state from the window's figures (pure; tested).
CongestionState next_congestion(bool was, const TrunkFigures& window, const CongestionOptions& o);

#define TG_CALL_RECORD_COUNTERS(X)                                  \
  X(cdrs, "call records read from the fast path's CDR ring")        \
  X(cdrs_stored, "call records written to the store")               \
  X(cdrs_store_errors, "call records the store could not write")    \
  X(cdrs_bad_version, "call records of an unknown version skipped") \
  X(congestion_raised, "trunk congestion alarms raised")            \
  X(congestion_cleared, "trunk congestion alarms cleared")

enum class CallRecordCounter {
#define TG_X(name, text) name,
  TG_CALL_RECORD_COUNTERS(TG_X)
#undef TG_X
      count_
};

class CallRecords {
 public:
  using Log = Controller::Log;
  struct Options {
    TrunkCallStats::Options stats;
    CongestionOptions congestion;
    diag::Options diagnose;
    size_t recent_keep = 2000;          // finished calls kept in memory (diagnose without the store)
    size_t max_cdrs_per_tick = 4096;    // bounded work per loop round
    int64_t export_limit = 5000;        // rows per export answer (a few MB at most)
  };

  // store and alarms may be null (not running): the matching parts say so.
  CallRecords(CallFeed& feed, Clock clock, Log log, Options o);
  CallRecords(CallFeed& feed, Clock clock, Log log) : CallRecords(feed, std::move(clock), std::move(log), Options{}) {}
  void set_store(store::Store* s, std::string why_not = {}) {
    store_ = s;
    store_why_ = std::move(why_not);
  }
  void set_alarms(alarm::AlarmManager* a) { alarms_ = a; }
  // Trunk and uplink names by index (from the fast path's stats).
  void set_stats_source(std::function<bool(api::StatsBody&)> read_stats) { read_stats_ = std::move(read_stats); }
  // QoS thresholds for diagnoses; [trunk_stats] window and congestion
  // levels; labels for alarm texts. Also a reload: the figures, the
  // congestion state and the recent calls stay (see set_window_ms).
  void configure(const config::Config& c);

  // Drains the CDR ring; about once a second re-evaluates congestion.
  void tick();
  // Sets the controller's hooks (show.calls, diagnose.call, export.calls, trunk figures).
  void install(Controller& ctl);

  // Console handlers (mgmt JSON in, JSON out).
  mgmt::Json show_calls(const mgmt::Json& args, mgmt::Error& error, bool& failed);
  mgmt::Json diagnose_call(const mgmt::Json& args, mgmt::Error& error, bool& failed);
  mgmt::Json export_calls(const mgmt::Json& args, mgmt::Error& error, bool& failed);
  mgmt::Json trunk_figures();  // {"carrierA": {"window":{...}, "since_start":{...}, "congested":..}}

  TrunkCallStats& stats() { return stats_; }
  bool congested(const std::string& trunk) const;
  uint64_t counter(CallRecordCounter c) const { return counters_[size_t(c)]; }
  // CDR row for the store (exposed for tests).
  store::CallRecord to_row(const api::CallRecordWire& r);

 private:
  void refresh_names();
  std::string trunk_name(uint8_t i);
  std::string uplink_name(uint8_t i);
  diag::ViewContext view(uint64_t now_ns = 0);
  void handle_cdr(const api::CallRecordWire& r);
  void check_congestion();
  void count(CallRecordCounter c) { ++counters_[size_t(c)]; }

  CallFeed& feed_;
  Clock clock_;
  Log log_;
  Options opt_;
  store::Store* store_ = nullptr;
  std::string store_why_ = "the event store is not running in this daemon";
  alarm::AlarmManager* alarms_ = nullptr;
  std::function<bool(api::StatsBody&)> read_stats_;
  std::unique_ptr<api::StatsBody> stats_buf_;
  std::map<uint8_t, std::string> trunk_names_, uplink_names_;
  std::map<std::string, std::string> trunk_labels_;  // name -> description
  std::map<std::string, std::string> trunk_by_sbc_;  // SBC address -> configured trunk name
  uint64_t names_read_ns_ = 0;
  TrunkCallStats stats_;
  std::map<std::string, bool> congested_;
  std::deque<api::CallRecordWire> recent_;
  int64_t last_check_ms_ = 0;
  int64_t started_ms_ = 0;
  uint64_t counters_[size_t(CallRecordCounter::count_)] = {};
};

}  // namespace tg::controld
