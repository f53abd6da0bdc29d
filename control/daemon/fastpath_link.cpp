#include "control/daemon/fastpath_link.hpp"

namespace tg::controld {

bool ShmFastPath::maintain(uint64_t now_ns) {
  if (channels_) {
    uint64_t hb = channels_->stats.heartbeat();
    if (hb != last_heartbeat_) {
      last_heartbeat_ = hb;
      heartbeat_seen_ns_ = now_ns;
      stale_ = false;
      return false;
    }
    stale_ = now_ns - heartbeat_seen_ns_ > kStaleNs;
    if (!stale_) return false;
  }
  if (tried_ && now_ns - last_try_ns_ < kRetryNs) return false;
  tried_ = true;
  last_try_ns_ = now_ns;
  auto fresh = std::make_unique<api::ControlChannels>();
  std::string why;
  if (!fresh->open(names_, why)) {
    if (!channels_) error_ = why;
    return false;
  }
  // Stale mapping: only switch if the regions belong to another fast path
  // (a restarted one recreates them); the same stuck one stays attached.
  if (channels_ && fresh->creator_pid() == channels_->creator_pid()) return false;
  channels_ = std::move(fresh);
  error_.clear();
  last_heartbeat_ = channels_->stats.heartbeat();
  heartbeat_seen_ns_ = now_ns;
  stale_ = false;
  return true;
}

std::string ShmFastPath::status() const {
  if (!channels_) return "not attached: " + (error_.empty() ? std::string("not tried yet") : error_);
  std::string s = "attached to pid " + std::to_string(channels_->creator_pid());
  if (stale_) s += ", heartbeat stopped";
  return s;
}

bool ShmFastPath::read_stats(api::StatsBody& out) { return channels_ && channels_->stats.read(out); }

size_t ShmFastPath::poll_events(api::Event* out, size_t n) {
  return channels_ ? channels_->events.pop_burst(out, n) : 0;
}

bool ShmFastPath::push_command(const api::Command& c) { return channels_ && channels_->commands.push(c); }

}  // namespace tg::controld
