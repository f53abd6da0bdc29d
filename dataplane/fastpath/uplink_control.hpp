// Control work of tg-dataplane's main lcore, between bursts: carrier polling,
// the failover engine (probes out, replies in, hold-downs), commands from
// the control daemon, events and stats to shared memory. The forwarding
// loop only reads active() once per pass (an acquire load): the switch
// takes effect on the next burst. Nothing here blocks; the shared-memory
// rings count drops instead.
#pragma once
#include <cstdint>

#include "dataplane/failover/engine.hpp"
#include "dataplane/fastpath/call_export.hpp"
#include "dataplane/fastpath/datapath.hpp"
#include "dataplane/api/channels.hpp"
#include "dataplane/api/trunk_table.hpp"
#include "drivers/dpdk/port.hpp"

namespace tg::fastpath {

struct ControlPeriods {
  TimeNs link_poll = 10 * kNsPerMs;    // carrier of every port
  TimeNs engine = 1 * kNsPerMs;        // probes due, timeouts, hold-downs, commands
  TimeNs stats = 100 * kNsPerMs;       // publish the shared-memory stats
  TimeNs media = 10 * kNsPerMs;        // blackout scan over the inspector's streams
};

// Where a datapath disposition lands in the shared per-uplink drop counters.
// kNoDropReason: not a drop (forwarded, answered, consumed).
constexpr uint8_t kNoDropReason = 0xFF;
uint8_t drop_reason_of(Disposition d);

class UplinkControl final : public failover::EventSink {
 public:
  // ports[p]: the same ports the datapath uses (link status). channels may
  // be nullptr (no control daemon: events are kept in the recent list only).
  // With an inspector, also exports calls (CDR ring, live-calls table).
  UplinkControl(const failover::Config& config, Datapath& dp, drivers::Port* const* ports,
                api::FastPathChannels* channels, TimeNs now, ControlPeriods periods = {},
                const CallExportConfig& call_export = {});

  uint8_t active() const { return engine_.active_uplink(); }
  void tick(TimeNs now);

  const failover::Engine& engine() const { return engine_; }
  // nullptr without an inspector.
  CallExporter* calls() { return calls_.get(); }
  const CallExporter* calls() const { return calls_.get(); }
  uint64_t events_emitted() const { return events_; }
  uint64_t events_dropped() const { return channels_ ? channels_->events.drops() : 0; }
  // Fills the whole stats body: engine figures plus packet counters.
  void fill_stats(api::StatsBody& body, TimeNs now) const;

  // The last switches, oldest first (for the JSON stats and tests).
  static constexpr uint32_t kRecentSwitches = 16;
  uint32_t recent_switch_count() const { return recent_n_ < kRecentSwitches ? recent_n_ : kRecentSwitches; }
  const api::Event& recent_switch(uint32_t i) const {
    const uint32_t first = recent_n_ < kRecentSwitches ? 0 : recent_n_ % kRecentSwitches;
    return recent_[(first + i) % kRecentSwitches];
  }

  // The loop's gap before the pass that decided recent_switch(i): a switch
  // seen late because the process was descheduled shows here.
  TimeNs recent_switch_loop_gap(uint32_t i) const {
    const uint32_t first = recent_n_ < kRecentSwitches ? 0 : recent_n_ % kRecentSwitches;
    return recent_gap_[(first + i) % kRecentSwitches];
  }

  void emit(const api::Event& event) override;

  // The trunk table as tg-controld last sent it (trunk_* commands).
  const api::TrunkTableAssembler& trunk_table() const { return trunk_table_; }
  // One trunk_* command: assembled, and at a complete commit swapped into
  // the call table whole (this runs between bursts, on the lcore that
  // inspects: no packet sees half a table).
  api::CommandResult apply_trunk_command(const api::Command& cmd);

 private:
  void poll_links(TimeNs now);
  void scan_media(TimeNs now);
  void fill_trunks(api::StatsBody& body) const;

  failover::Engine engine_;
  Datapath& dp_;
  drivers::Port* ports_[kMaxPorts] = {};
  api::FastPathChannels* channels_;
  ControlPeriods periods_;
  TimeNs next_link_ = 0, next_engine_ = 0, next_stats_ = 0, next_media_ = 0;
  uint32_t inbound_streams_[kMaxUplinkPorts] = {};  // flowing, per uplink, at the last scan
  // The LAN side's newest stream at scan `scan`, per call slot (key: the
  // call's generation) and per LAN endpoint (a direct-mapped index by hash,
  // key: the hash's upper half). Preallocated, stamped, never cleared.
  struct LanTalk {
    TimeNs last = 0;
    uint32_t recent = 0;
    uint32_t key = 0;
    uint32_t scan = 0;
  };
  std::unique_ptr<LanTalk[]> talk_;
  uint32_t talk_slots_ = 0;
  std::unique_ptr<LanTalk[]> talk_by_endpoint_;
  uint32_t talk_endpoints_ = 1;  // a power of two
  uint32_t talk_scan_ = 0;
  bool link_known_[kMaxPorts] = {};
  bool link_[kMaxPorts] = {};
  uint64_t events_ = 0;
  uint64_t publishes_ = 0;
  api::Event recent_[kRecentSwitches] = {};
  TimeNs recent_gap_[kRecentSwitches] = {};
  uint32_t recent_n_ = 0;
  api::StatsBody body_{};  // reused: ~8 kB, not on the stack each publish
  std::unique_ptr<CallExporter> calls_;
  api::TrunkTableAssembler trunk_table_;
};

}  // namespace tg::fastpath
