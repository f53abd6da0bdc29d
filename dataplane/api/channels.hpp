// The shared-memory objects between tg-dataplane and the control daemon,
// with their default names. The fast path creates them at start
// (replacing stale ones); the control daemon opens them and re-opens when
// creator_pid() changes or the heartbeat stops (fast path restarted).
//
//   <prefix>-events    SPSC ring of Event,   fast path -> control
//   <prefix>-commands  SPSC ring of Command, control -> fast path
//   <prefix>-stats     StatsHeader + StatsBody (seqlock)
//   <prefix>-cdr       SPSC ring of CallRecordWire, fast path -> CDR store
//   <prefix>-calls     CallsHeader + live CallRecordWire table (seqlock)
// The last two (call_export.hpp) are opened on their own by their readers
// (LiveCallsReader, CdrReader), so ControlChannels still opens a fast path
// built before them.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "dataplane/api/call_export.hpp"
#include "dataplane/api/ring.hpp"
#include "dataplane/api/shm.hpp"
#include "dataplane/api/stats.hpp"

namespace tg::api {

constexpr std::string_view kDefaultShmPrefix = "/trunkguard";
constexpr uint32_t kDefaultEventRingCapacity = 1024;
constexpr uint32_t kDefaultCommandRingCapacity = 256;

struct ChannelNames {
  std::string events, commands, stats, cdr, calls;
  static ChannelNames with_prefix(std::string_view prefix = kDefaultShmPrefix);
};

// Fast-path side.
class FastPathChannels {
 public:
  bool create(const ChannelNames& names, uint32_t event_capacity, uint32_t command_capacity,
              uint64_t now_ns, std::string& error, uint32_t cdr_capacity = kDefaultCdrRingCapacity);
  void unlink();  // at clean shutdown
  EventProducer events;
  CommandConsumer commands;
  StatsWriter stats;
  CdrProducer cdr;              // one record per finished call; full ring counts drops
  LiveCallsWriter live_calls;   // republished about once a second

 private:
  ChannelNames names_;
  ShmRegion events_shm_, commands_shm_, stats_shm_, cdr_shm_, calls_shm_;
};

// Control-daemon / console side.
class ControlChannels {
 public:
  bool open(const ChannelNames& names, std::string& error);
  // pid of the fast path that created the stats region (changes on restart).
  uint64_t creator_pid() const { return stats.bound() ? stats.creator_pid() : 0; }
  EventConsumer events;
  CommandProducer commands;
  StatsReader stats;

 private:
  ShmRegion events_shm_, commands_shm_;
};

}  // namespace tg::api
