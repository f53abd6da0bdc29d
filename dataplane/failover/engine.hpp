// The failover decision, as tg-dataplane uses it. One Engine, driven from
// one thread (the fast path's control/main lcore) with injected time; the
// forwarding lcores only read active_uplink() each burst (grout's
// active-backup bond: the decision picks, the forwarding loop reads).
//
// Each loop of that thread:
//   engine.loop_pass(now);                    // every pass, first: notices loop stalls
//   n = engine.poll(now, probes, cap);        // timeouts, hold-downs, probes to send
//   ... build and send the n probes ...
//   engine.on_probe_reply(ident, seq, now);   // for each echo reply received
//   engine.on_link(uplink, up, now);          // when a port's link status changes
//   engine.apply(command, now);               // for each command popped from the ring
// Every ~10 ms:
//   engine.media_scan_begin(now); for each stream: engine.media_scan_add(sample);
//   engine.media_scan_end(now);
//   engine.set_active_calls(uplink, calls);   // whenever known
// Selection runs after every input, so a link-down switches in that call.
//
// Loop stalls: a gap > Config::loop_stall between two loop_pass() calls
// means the thread was descheduled; what arrived meanwhile waits in the rx
// rings and is stamped late. So the stall's time does not count: probe
// rounds in flight get their deadline moved by it, and media silence is
// counted without it. Real faults during a stall are decided once the loop
// has watched for the usual time; faults after it are not delayed. Link
// status is not affected. Held-back decisions: decisions_deferred_stall().
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "dataplane/failover/blackout.hpp"
#include "dataplane/failover/config.hpp"
#include "dataplane/failover/health.hpp"
#include "dataplane/failover/probe.hpp"
#include "dataplane/failover/selector.hpp"
#include "dataplane/api/messages.hpp"
#include "dataplane/api/ring.hpp"
#include "dataplane/api/stats.hpp"

namespace tg::failover {

// Where the engine's events go: the fast path pushes them to the event ring
// (which counts drops and never blocks); tests collect them.
class EventSink {
 public:
  virtual void emit(const api::Event& event) = 0;

 protected:
  ~EventSink() = default;
};

// The fast path's sink: the event ring (a full ring counts the drop).
class RingEventSink final : public EventSink {
 public:
  explicit RingEventSink(api::EventProducer& ring) : ring_(ring) {}
  void emit(const api::Event& event) override { ring_.push(event); }

 private:
  api::EventProducer& ring_;
};

class Engine {
 public:
  // config must pass validate(). Selects the first uplink once links are known.
  Engine(const Config& config, EventSink& sink, TimeNs now);

  // Forwarding lcores: one acquire load per burst. kNoUplink until an uplink is up.
  UplinkIndex active_uplink() const { return active_.load(std::memory_order_acquire); }
  const std::atomic<UplinkIndex>& active_uplink_atomic() const { return active_; }

  // onset: when the port reported the change, if earlier than now (0 = now).
  void on_link(UplinkIndex uplink, bool up, TimeNs now, TimeNs onset = 0);
  ReplyMatch on_probe_reply(uint16_t ident, uint16_t seq, TimeNs now);
  void loop_pass(TimeNs now);
  size_t poll(TimeNs now, ProbeRequest* out, size_t cap);

  void media_scan_begin(TimeNs now);
  void media_scan_add(const StreamSample& sample) { blackout_.add(sample); }
  void media_scan_end(TimeNs now);

  void set_active_calls(UplinkIndex uplink, uint32_t calls);
  // Validates and applies one command; emits a command_result event.
  api::CommandResult apply(const api::Command& command, TimeNs now);
  // Commands another part of the fast path applied (capture): the verdict
  // goes out in this engine's event sequence, so the reader sees no gap.
  void report_command_result(const api::Command& c, api::CommandResult r, TimeNs now) { emit_command_result(c, r, now); }

  // Fills the failover part of a stats body (mode, active, per-uplink health
  // and probe figures); the fast path adds packet counters and trunks.
  void fill_stats(api::StatsBody& body) const;

  const UplinkHealth& health(UplinkIndex uplink) const { return health_[uplink]; }
  const ProbeScheduler& probes() const { return probes_; }
  const BlackoutDetector& blackout() const { return blackout_; }
  api::SelectMode mode() const { return mode_; }
  UplinkIndex forced_uplink() const { return forced_; }
  const Config& config() const { return config_; }
  uint64_t switches() const { return switches_; }
  uint64_t commands_applied() const { return commands_applied_; }
  uint64_t commands_rejected() const { return commands_rejected_; }
  uint64_t loop_stalls() const { return loop_stalls_; }
  TimeNs longest_stall() const { return longest_stall_; }
  TimeNs last_stall_end() const { return stall_end_; }
  // Gap before the latest loop_pass(): with a switch, how late the loop saw its cause.
  TimeNs last_loop_gap() const { return last_gap_; }
  // (stall, uplink, rule) where the stall guard held back a decision: a
  // blackout on the active uplink, or probe rounds in flight whose deadline moved.
  uint64_t decisions_deferred_stall() const { return deferred_stall_; }

 private:
  void on_round_lost(const RoundOutcome& o, TimeNs now);
  void update_probing(UplinkIndex u, TimeNs now);
  void feed(UplinkIndex u, HealthInput in, TimeNs now, uint8_t soft = 0, TimeNs onset = 0);
  void reselect(TimeNs now);
  int preference(UplinkIndex u) const;  // position in the priority list, 0 = most preferred
  api::SwitchReason reason_for(UplinkIndex from, UplinkIndex to, const Selection& sel, TimeNs& first_seen) const;
  void emit_state(UplinkIndex u, TimeNs now);
  void emit_command_result(const api::Command& c, api::CommandResult r, TimeNs now);
  api::Event make_event(api::EventKind kind, TimeNs now);

  Config config_;
  EventSink& sink_;
  UplinkHealth health_[kMaxUplinks];
  ProbeScheduler probes_;
  BlackoutDetector blackout_;
  api::SelectMode mode_ = api::SelectMode::auto_select;
  UplinkIndex forced_ = kNoUplink;
  TimeNs mode_changed_ns_ = 0;
  bool mode_changed_ = false;
  TimeNs carrying_since_[kMaxUplinks] = {};
  uint32_t calls_[kMaxUplinks] = {};
  TimeNs last_ok_sent_[kMaxUplinks] = {};  // newest answered round: older losses are reordering, not a run
  uint32_t event_seq_ = 0;
  uint64_t switches_ = 0;
  uint64_t commands_applied_ = 0;
  uint64_t commands_rejected_ = 0;
  TimeNs last_pass_ = 0;
  TimeNs last_gap_ = 0;
  TimeNs stall_end_ = 0;
  LoopStalls stalls_;
  TimeNs longest_stall_ = 0;
  uint64_t loop_stalls_ = 0;
  uint64_t deferred_stall_ = 0;
  bool deferred_media_[kMaxUplinks] = {};  // this stall's media deferral counted
  alignas(64) std::atomic<UplinkIndex> active_{kNoUplink};
};

}  // namespace tg::failover
