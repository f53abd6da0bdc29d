// The control daemon's view of the fast path: the shared-memory stats
// region, event ring and command ring (dataplane/api). The fast path may be
// absent (not started yet, crashed, restarted): the daemon keeps serving
// what it knows, and re-attaches when the regions come (back).
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "dataplane/api/channels.hpp"
#include "dataplane/api/messages.hpp"
#include "dataplane/api/stats.hpp"

namespace tg::controld {

// Interface so the controller is tested against a fake fast path.
class FastPath {
 public:
  virtual ~FastPath() = default;
  // Attach / re-attach; called from the daemon's loop. Returns true when
  // it (re)attached during this call (the daemon then pushes its timers).
  virtual bool maintain(uint64_t now_ns) = 0;
  virtual bool attached() const = 0;
  // Attached and the heartbeat moved recently.
  virtual bool alive() const = 0;
  // "attached to pid 123" or why not ("/trunkguard-stats: No such file...").
  virtual std::string status() const = 0;
  virtual uint64_t pid() const = 0;
  virtual bool read_stats(api::StatsBody& out) = 0;
  virtual size_t poll_events(api::Event* out, size_t n) = 0;
  // Never blocks; false if the ring is full or not attached.
  virtual bool push_command(const api::Command& c) = 0;
};

class ShmFastPath final : public FastPath {
 public:
  // A heartbeat that does not move for this long means the fast path is
  // gone (or stuck); the link then looks for fresh regions.
  static constexpr uint64_t kStaleNs = 1'500'000'000;
  static constexpr uint64_t kRetryNs = 500'000'000;

  explicit ShmFastPath(std::string shm_prefix) : names_(api::ChannelNames::with_prefix(shm_prefix)) {}
  bool maintain(uint64_t now_ns) override;
  bool attached() const override { return channels_ != nullptr; }
  bool alive() const override { return channels_ && !stale_; }
  std::string status() const override;
  uint64_t pid() const override { return channels_ ? channels_->creator_pid() : 0; }
  bool read_stats(api::StatsBody& out) override;
  size_t poll_events(api::Event* out, size_t n) override;
  bool push_command(const api::Command& c) override;
  // Why the last attach failed (empty when attached); changes are logged.
  const std::string& last_error() const { return error_; }

 private:
  api::ChannelNames names_;
  std::unique_ptr<api::ControlChannels> channels_;
  std::string error_;
  uint64_t last_try_ns_ = 0;
  uint64_t last_heartbeat_ = 0, heartbeat_seen_ns_ = 0;
  bool stale_ = false;
  bool tried_ = false;
};

}  // namespace tg::controld
