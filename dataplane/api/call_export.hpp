// Shared-memory plumbing of the per-call export (records: calls.hpp).
//
//   <prefix>-cdr    RingHeader + N x CallRecordWire, SPSC, fast path -> the
//                   control daemon (the only consumer: the CDR store).
//   <prefix>-calls  CallsHeader + CallRecordWire[kMaxLiveCallsExported]: the
//                   live calls, one writer, any number of lock-free readers
//                   (control daemon, tg-cli, tg-dataplane --calls-json).
//
// The live table is published under a seqlock like the stats region: the
// sequence is odd while the writer copies, records are copied word by word
// with relaxed atomics, so a reader racing the writer sees a changed
// sequence and retries, never a half-written record.
//
// Both are optional for a reader: an older fast path does not create them
// and ControlChannels (events/commands/stats) works without them.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/api/calls.hpp"
#include "dataplane/api/ring.hpp"
#include "dataplane/api/shm.hpp"

namespace tg::api {

template <>
inline constexpr uint32_t kRingItemType<CallRecordWire> = 3;

using CdrProducer = RingProducer<CallRecordWire>;
using CdrConsumer = RingConsumer<CallRecordWire>;

constexpr uint16_t kCallsLayoutVersion = 1;

struct CallsHeader {
  std::atomic<uint32_t> magic;        // kCallsMagic, stored last at creation (release)
  uint16_t layout_version;            // kCallsLayoutVersion
  uint16_t record_version;            // kCallRecordVersion
  uint32_t record_size;               // sizeof(CallRecordWire)
  uint32_t capacity;                  // records in the region (kMaxLiveCallsExported)
  uint64_t creator_pid;
  uint64_t created_ns;
  uint8_t pad0[24];
  alignas(64) std::atomic<uint64_t> seq;  // seqlock: odd while writing
  // Under the seqlock (written between the two seq stores):
  std::atomic<uint32_t> count;        // valid records
  std::atomic<uint32_t> live_total;   // live calls in the fast path (> count: table truncated)
  std::atomic<uint64_t> updated_ns;   // fast path clock at publish
  std::atomic<uint64_t> publish_count;
  uint8_t pad1[32];
};
static_assert(sizeof(CallsHeader) == 128);
static_assert(sizeof(CallRecordWire) % sizeof(uint64_t) == 0);

constexpr size_t kCallsRegionSize = sizeof(CallsHeader) + size_t(kMaxLiveCallsExported) * sizeof(CallRecordWire);

// What a reader learns besides the records.
struct LiveCallsInfo {
  uint32_t live_total = 0;     // calls live in the fast path (may exceed the records returned)
  TimeNs updated_ns = 0;       // fast path monotonic clock of the snapshot
  uint64_t publish_count = 0;  // 0: the fast path has not published yet
};

// Writer (fast path). publish() copies `count` records (<= capacity) and is
// allocation- and syscall-free; cost is proportional to count.
class LiveCallsWriter {
 public:
  // Formats `mem` (zeroed, >= kCallsRegionSize bytes).
  void init(void* mem, uint64_t pid, TimeNs now_ns);
  bool bound() const { return h_ != nullptr; }
  // Records beyond the capacity are not exported; live_total still says how many there are.
  void publish(const CallRecordWire* records, uint32_t count, uint32_t live_total, TimeNs now_ns);

 private:
  CallsHeader* h_ = nullptr;
  CallRecordWire* records_ = nullptr;
};

// Reader (control daemon, console). Lock-free; retries while a publish is
// in progress.
class LiveCallsReader {
 public:
  bool attach(void* mem, size_t size, std::string& error);
  bool open(const std::string& shm_name, std::string& error);
  bool bound() const { return h_ != nullptr; }
  void close();
  // A consistent snapshot into `out` (replaced); false if the writer kept it
  // busy for max_tries attempts (out then empty).
  bool read(std::vector<CallRecordWire>& out, LiveCallsInfo* info = nullptr, int max_tries = 1000) const;
  uint64_t creator_pid() const { return h_->creator_pid; }

 private:
  ShmRegion shm_;
  const CallsHeader* h_ = nullptr;
  const CallRecordWire* records_ = nullptr;
};

// CDR consumer end by name (control daemon). Single consumer: only the CDR
// store may pop; the console reads the live table instead.
class CdrReader {
 public:
  bool open(const std::string& shm_name, std::string& error);
  bool bound() const { return ring_.bound(); }
  void close();
  bool pop(CallRecordWire& out) { return ring_.pop(out); }
  size_t pop_burst(CallRecordWire* out, size_t n) { return ring_.pop_burst(out, n); }
  size_t pending() { return ring_.pending(); }
  uint64_t drops() const { return ring_.drops(); }  // records the fast path could not queue
  uint32_t capacity() const { return ring_.capacity(); }
  uint64_t creator_pid() const { return creator_pid_; }

 private:
  ShmRegion shm_;
  CdrConsumer ring_;
  uint64_t creator_pid_ = 0;
};

}  // namespace tg::api
