// Test double of the fast path for the daemon's unit tests.
#pragma once
#include <cstring>
#include <deque>
#include <vector>

#include "control/daemon/fastpath_link.hpp"

namespace tg::controld {

// Fast path double: stats set by the test, events queued by the test or
// produced as answers to commands (like the real fast path would).
class FakeFastPath : public FastPath {
 public:
  bool present = true, answers = true, ring_full = false;
  bool attach_now = false;
  api::CommandResult verdict = api::CommandResult::ok;
  api::StatsBody body{};
  std::deque<api::Event> events;
  std::vector<api::Command> commands;
  uint32_t seq = 1;

  bool maintain(uint64_t) override {
    bool r = attach_now;
    attach_now = false;
    return r;
  }
  bool attached() const override { return present; }
  bool alive() const override { return present; }
  std::string status() const override { return present ? "attached to pid 42" : "not attached: test"; }
  uint64_t pid() const override { return present ? 42 : 0; }
  bool read_stats(api::StatsBody& out) override {
    if (!present) return false;
    out = body;
    return true;
  }
  size_t poll_events(api::Event* out, size_t n) override {
    size_t k = 0;
    while (k < n && !events.empty()) {
      out[k++] = events.front();
      events.pop_front();
    }
    return k;
  }
  bool push_command(const api::Command& c) override {
    if (ring_full) return false;
    commands.push_back(c);
    if (answers) {
      api::Event e{};
      e.version = api::kMessageVersion;
      e.kind = api::EventKind::command_result;
      e.seq = seq++;
      e.command_result.command_seq = c.seq;
      e.command_result.command_kind = uint16_t(c.kind);
      e.command_result.result = verdict;
      events.push_back(e);
    }
    return true;
  }
  void add_switch(uint8_t from, uint8_t to, api::SwitchReason why, uint64_t fault, uint64_t decided, uint64_t done,
                  uint32_t calls) {
    api::Event e{};
    e.version = api::kMessageVersion;
    e.kind = api::EventKind::uplink_switch;
    e.seq = seq++;
    e.uplink_switch.uplink_from = from;
    e.uplink_switch.uplink_to = to;
    e.uplink_switch.reason = why;
    e.uplink_switch.fault_first_seen_ns = fault;
    e.uplink_switch.decided_ns = decided;
    e.uplink_switch.switched_ns = done;
    e.uplink_switch.calls_affected = calls;
    e.uplink_switch.fault_mask = api::kFault_probe;
    events.push_back(e);
  }
};

}  // namespace tg::controld
