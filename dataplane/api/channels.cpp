#include "dataplane/api/channels.hpp"

#include <unistd.h>

namespace tg::api {

ChannelNames ChannelNames::with_prefix(std::string_view prefix) {
  std::string p(prefix);
  return {p + "-events", p + "-commands", p + "-stats", p + "-cdr", p + "-calls"};
}

bool FastPathChannels::create(const ChannelNames& names, uint32_t event_capacity, uint32_t command_capacity,
                              uint64_t now_ns, std::string& error, uint32_t cdr_capacity) {
  if (!RingLayout<Event>::valid_capacity(event_capacity) || !RingLayout<Command>::valid_capacity(command_capacity) ||
      !RingLayout<CallRecordWire>::valid_capacity(cdr_capacity))
    return error = "ring capacities must be powers of two >= 2", false;
  const uint64_t pid = uint64_t(getpid());
  if (!events_shm_.create(names.events, RingLayout<Event>::bytes_for(event_capacity), error)) return false;
  if (!commands_shm_.create(names.commands, RingLayout<Command>::bytes_for(command_capacity), error)) return false;
  if (!stats_shm_.create(names.stats, kStatsRegionSize, error)) return false;
  if (!cdr_shm_.create(names.cdr, RingLayout<CallRecordWire>::bytes_for(cdr_capacity), error)) return false;
  if (!calls_shm_.create(names.calls, kCallsRegionSize, error)) return false;
  events.bind(RingLayout<Event>::init(events_shm_.data(), event_capacity, kMessageVersion, pid, now_ns));
  commands.bind(RingLayout<Command>::init(commands_shm_.data(), command_capacity, kMessageVersion, pid, now_ns));
  stats.init(stats_shm_.data(), pid, now_ns);
  cdr.bind(RingLayout<CallRecordWire>::init(cdr_shm_.data(), cdr_capacity, kCallRecordVersion, pid, now_ns));
  live_calls.init(calls_shm_.data(), pid, now_ns);
  names_ = names;
  return true;
}

void FastPathChannels::unlink() {
  ShmRegion::unlink(names_.events);
  ShmRegion::unlink(names_.commands);
  ShmRegion::unlink(names_.stats);
  ShmRegion::unlink(names_.cdr);
  ShmRegion::unlink(names_.calls);
}

bool ControlChannels::open(const ChannelNames& names, std::string& error) {
  if (!events_shm_.open(names.events, error)) return false;
  RingHeader* ev = RingLayout<Event>::attach(events_shm_.data(), events_shm_.size(), kMessageVersion, error);
  if (!ev) return error = names.events + ": " + error, false;
  if (!commands_shm_.open(names.commands, error)) return false;
  RingHeader* cmd = RingLayout<Command>::attach(commands_shm_.data(), commands_shm_.size(), kMessageVersion, error);
  if (!cmd) return error = names.commands + ": " + error, false;
  if (!stats.open(names.stats, error)) return false;
  events.bind(ev);
  commands.bind(cmd);
  return true;
}

}  // namespace tg::api
