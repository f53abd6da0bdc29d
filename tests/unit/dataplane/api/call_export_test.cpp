// Per-call export plumbing: the CDR ring (order across wraparound, drops
// counted when full, header checks) and the live-calls table (seqlock: a
// racing reader never returns a torn snapshot, a stuck writer is reported,
// other versions are refused), opened by name next to the other channels.
#include <CppUTest/TestHarness.h>

#include <unistd.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "dataplane/api/channels.hpp"

using namespace tg::api;

namespace {
std::string test_prefix(const char* what) { return "/tgunit-calls-" + std::to_string(getpid()) + "-" + what; }

CallRecordWire record(uint32_t n) {
  CallRecordWire r{};
  r.version = kCallRecordVersion;
  r.final_code = 200;
  r.invite_ns = n;
  std::snprintf(r.call_id, sizeof r.call_id, "call-%u@test", n);
  r.media[kMediaCallerToCallee].packets = n;
  r.media[kMediaCalleeToCaller].packets = n + 1;
  return r;
}

// Every byte of a record of generation g is derived from g, so a record
// mixing two generations is visible.
CallRecordWire generation_record(uint32_t g, uint32_t index) {
  CallRecordWire r;
  std::memset(&r, int(g & 0xff), sizeof r);
  r.invite_ns = (uint64_t(g) << 32) | index;
  return r;
}
bool consistent(const CallRecordWire& r, uint32_t g) {
  const auto* b = reinterpret_cast<const uint8_t*>(&r);
  for (size_t i = 0; i < sizeof r; ++i) {
    if (i >= offsetof(CallRecordWire, invite_ns) && i < offsetof(CallRecordWire, invite_ns) + 8) continue;
    if (b[i] != uint8_t(g & 0xff)) return false;
  }
  return uint32_t(r.invite_ns >> 32) == g;
}

struct Exported {
  explicit Exported(const char* what, uint32_t cdr_capacity = 8) : names(ChannelNames::with_prefix(test_prefix(what))) {
    std::string err;
    ok = fp.create(names, 16, 8, 1000, err, cdr_capacity);
    if (!ok) FAIL(err.c_str());
  }
  ~Exported() { fp.unlink(); }
  ChannelNames names;
  FastPathChannels fp;
  bool ok = false;
};
}  // namespace

TEST_GROUP(CallExport) {};

TEST(CallExport, NamesFollowThePrefix) {
  ChannelNames n = ChannelNames::with_prefix("/x");
  STRCMP_EQUAL("/x-cdr", n.cdr.c_str());
  STRCMP_EQUAL("/x-calls", n.calls.c_str());
}

TEST(CallExport, CdrRingKeepsOrderAcrossWraparoundByName) {
  Exported ex("wrap", 8);
  CdrReader cdr;
  std::string err;
  CHECK_TEXT(cdr.open(ex.names.cdr, err), err.c_str());
  LONGS_EQUAL(8, cdr.capacity());
  LONGS_EQUAL(getpid(), cdr.creator_pid());
  uint32_t pushed = 0, popped = 0;
  for (int round = 0; round < 50; ++round) {  // 50 * 5 records through 8 slots
    for (int i = 0; i < 5; ++i) CHECK_TRUE(ex.fp.cdr.push(record(pushed++)));
    CallRecordWire out[8];
    size_t n = cdr.pop_burst(out, 8);
    LONGS_EQUAL(5, n);
    for (size_t i = 0; i < n; ++i, ++popped) {
      LONGS_EQUAL(popped, out[i].invite_ns);
      LONGS_EQUAL(popped + 1, out[i].media[kMediaCalleeToCaller].packets);
      STRCMP_EQUAL(("call-" + std::to_string(popped) + "@test").c_str(), out[i].call_id);
    }
  }
  LONGS_EQUAL(0, cdr.drops());
  CallRecordWire r;
  CHECK_FALSE(cdr.pop(r));
}

TEST(CallExport, FullCdrRingRefusesAndCountsDrops) {
  Exported ex("full", 4);
  CdrReader cdr;
  std::string err;
  CHECK_TRUE(cdr.open(ex.names.cdr, err));
  for (uint32_t i = 0; i < 4; ++i) CHECK_TRUE(ex.fp.cdr.push(record(i)));
  CHECK_FALSE(ex.fp.cdr.push(record(4)));
  CHECK_FALSE(ex.fp.cdr.push(record(5)));
  LONGS_EQUAL(2, ex.fp.cdr.drops());
  LONGS_EQUAL(2, cdr.drops());
  LONGS_EQUAL(4, cdr.pending());
  CallRecordWire r;
  for (uint32_t i = 0; i < 4; ++i) {  // the oldest survive, nothing overwritten
    CHECK_TRUE(cdr.pop(r));
    LONGS_EQUAL(i, r.invite_ns);
  }
  CHECK_TRUE(ex.fp.cdr.push(record(6)));  // room again
  CHECK_TRUE(cdr.pop(r));
  LONGS_EQUAL(6, r.invite_ns);
}

TEST(CallExport, CdrReaderRefusesOtherVersionsAndOtherRings) {
  Exported ex("cdrver");
  std::string err;
  CdrReader cdr;
  CHECK_FALSE(cdr.open(ex.names.events, err));  // an event ring is not a CDR ring
  STRCMP_CONTAINS("item", err.c_str());
  CHECK_FALSE(cdr.bound());
  ShmRegion raw;
  CHECK_TRUE(raw.open(ex.names.cdr, err));
  static_cast<RingHeader*>(raw.data())->item_version = kCallRecordVersion + 1;
  CHECK_FALSE(cdr.open(ex.names.cdr, err));
  STRCMP_CONTAINS(ex.names.cdr.c_str(), err.c_str());
  STRCMP_CONTAINS("item version 3 != 2", err.c_str());
  CHECK_FALSE(cdr.bound());
}

TEST(CallExport, LiveTablePublishThenRead) {
  Exported ex("live");
  LiveCallsReader live;
  std::string err;
  CHECK_TEXT(live.open(ex.names.calls, err), err.c_str());
  std::vector<CallRecordWire> got;
  LiveCallsInfo info;
  CHECK_TRUE(live.read(got, &info));  // created, nothing published yet
  LONGS_EQUAL(0, got.size());
  LONGS_EQUAL(0, info.publish_count);

  std::vector<CallRecordWire> recs;
  for (uint32_t i = 0; i < 3; ++i) recs.push_back(record(10 + i));
  ex.fp.live_calls.publish(recs.data(), 3, 3, 777);
  CHECK_TRUE(live.read(got, &info));
  LONGS_EQUAL(3, got.size());
  LONGS_EQUAL(3, info.live_total);
  LONGS_EQUAL(777, info.updated_ns);
  LONGS_EQUAL(1, info.publish_count);
  STRCMP_EQUAL("call-12@test", got[2].call_id);
  LONGS_EQUAL(0, std::memcmp(&recs[1], &got[1], sizeof(CallRecordWire)));

  ex.fp.live_calls.publish(recs.data(), 1, 1, 888);  // calls ended: the table shrinks
  CHECK_TRUE(live.read(got, &info));
  LONGS_EQUAL(1, got.size());
  LONGS_EQUAL(2, info.publish_count);
}

TEST(CallExport, LiveTableTruncatesAtCapacityButTellsTheTotal) {
  Exported ex("cap");
  std::vector<CallRecordWire> recs(kMaxLiveCallsExported + 5);
  for (uint32_t i = 0; i < recs.size(); ++i) recs[i] = record(i);
  ex.fp.live_calls.publish(recs.data(), uint32_t(recs.size()), uint32_t(recs.size()), 1);
  LiveCallsReader live;
  std::string err;
  CHECK_TRUE(live.open(ex.names.calls, err));
  std::vector<CallRecordWire> got;
  LiveCallsInfo info;
  CHECK_TRUE(live.read(got, &info));
  LONGS_EQUAL(kMaxLiveCallsExported, got.size());
  LONGS_EQUAL(kMaxLiveCallsExported + 5, info.live_total);
  LONGS_EQUAL(kMaxLiveCallsExported - 1, got.back().invite_ns);
}

TEST(CallExport, ReaderReportsAWriterStuckMidPublish) {
  Exported ex("stuck");
  CallRecordWire r = record(1);
  ex.fp.live_calls.publish(&r, 1, 1, 1);
  ShmRegion raw;
  std::string err;
  CHECK_TRUE(raw.open(ex.names.calls, err));
  auto* h = static_cast<CallsHeader*>(raw.data());
  h->seq.fetch_add(1);  // a writer that died between its two sequence stores
  LiveCallsReader live;
  CHECK_TRUE(live.open(ex.names.calls, err));
  std::vector<CallRecordWire> got;
  CHECK_FALSE(live.read(got, nullptr, 50));
  LONGS_EQUAL(0, got.size());
  h->seq.fetch_add(1);
  CHECK_TRUE(live.read(got));
  LONGS_EQUAL(1, got.size());
}

TEST(CallExport, RacingReaderNeverSeesATornSnapshot) {
  Exported ex("race");
  std::vector<CallRecordWire> recs(64);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> snapshots{0}, torn{0};
  LiveCallsReader live;
  std::string err;
  CHECK_TRUE(live.open(ex.names.calls, err));
  std::thread reader([&] {
    std::vector<CallRecordWire> got;
    LiveCallsInfo info;
    while (!stop.load(std::memory_order_relaxed)) {
      if (!live.read(got, &info)) continue;
      if (got.empty()) continue;
      const uint32_t g = uint32_t(got[0].invite_ns >> 32);
      // generation g publishes (g % 64) + 1 records, all of generation g
      bool ok = got.size() == (g % 64) + 1 && info.live_total == g;
      for (auto& r : got) ok = ok && consistent(r, g);
      if (!ok) torn.fetch_add(1);
      snapshots.fetch_add(1);
    }
  });
  for (uint32_t g = 1; g < 20000; ++g) {
    const uint32_t n = (g % 64) + 1;
    for (uint32_t i = 0; i < n; ++i) recs[i] = generation_record(g, i);
    ex.fp.live_calls.publish(recs.data(), n, g, g);
    if (g % 1000 == 0) std::this_thread::yield();
  }
  // Let the reader take at least a few snapshots of the final state.
  for (int i = 0; i < 100000 && snapshots.load() < 10; ++i) std::this_thread::yield();
  stop.store(true);
  reader.join();
  LONGS_EQUAL(0, torn.load());
  CHECK(snapshots.load() >= 10);
}

TEST(CallExport, LiveReaderRefusesOtherVersionsAndSizes) {
  Exported ex("ver");
  ShmRegion raw;
  std::string err;
  CHECK_TRUE(raw.open(ex.names.calls, err));
  auto* h = static_cast<CallsHeader*>(raw.data());
  LiveCallsReader live;

  h->record_version = kCallRecordVersion + 1;
  CHECK_FALSE(live.open(ex.names.calls, err));
  STRCMP_CONTAINS(ex.names.calls.c_str(), err.c_str());
  STRCMP_CONTAINS("call record version 3, this build reads version 2", err.c_str());
  CHECK_FALSE(live.bound());
  h->record_version = kCallRecordVersion;

  h->layout_version = kCallsLayoutVersion + 1;
  CHECK_FALSE(live.open(ex.names.calls, err));
  STRCMP_CONTAINS("layout version", err.c_str());
  h->layout_version = kCallsLayoutVersion;

  h->record_size = sizeof(CallRecordWire) + 8;
  CHECK_FALSE(live.open(ex.names.calls, err));
  STRCMP_CONTAINS("record size", err.c_str());
  h->record_size = sizeof(CallRecordWire);

  h->capacity = kMaxLiveCallsExported * 2;  // would read past the mapping
  CHECK_FALSE(live.open(ex.names.calls, err));
  STRCMP_CONTAINS("capacity", err.c_str());
  h->capacity = kMaxLiveCallsExported;

  CHECK_FALSE(live.open(ex.names.stats, err));  // the stats region is not a calls table
  STRCMP_CONTAINS("magic", err.c_str());
  CHECK_TRUE(live.open(ex.names.calls, err));
}

TEST(CallExport, ControlChannelsStillOpenAFastPathWithoutCallExport) {
  Exported ex("old");
  // An older fast path never created the two call objects.
  ShmRegion::unlink(ex.names.cdr);
  ShmRegion::unlink(ex.names.calls);
  ControlChannels ctl;
  std::string err;
  CHECK_TEXT(ctl.open(ex.names, err), err.c_str());
  LiveCallsReader live;
  CHECK_FALSE(live.open(ex.names.calls, err));
  STRCMP_CONTAINS("No such file", err.c_str());
  CdrReader cdr;
  CHECK_FALSE(cdr.open(ex.names.cdr, err));
  STRCMP_CONTAINS("No such file", err.c_str());
}
