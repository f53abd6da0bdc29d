// SPSC rings: order, wraparound, drops when full, header checks, and a
// consumer in another thread seeing every item exactly once, in order.
#include <CppUTest/TestHarness.h>

#include <thread>
#include <vector>

#include "dataplane/api/ring.hpp"

using namespace tg::api;

namespace {
struct RingMem {
  explicit RingMem(uint32_t cap) : bytes(RingLayout<Event>::bytes_for(cap) / 8 + 1, 0) {}
  void* data() { return bytes.data(); }
  size_t size() const { return bytes.size() * 8; }
  std::vector<uint64_t> bytes;  // 8-aligned, zeroed
};
Event make(uint32_t seq) {
  Event e{};
  e.version = kMessageVersion;
  e.kind = EventKind::uplink_state;
  e.seq = seq;
  e.time_ns = seq * 1000ull;
  return e;
}
}  // namespace

TEST_GROUP(Ring) {};

TEST(Ring, PushPopInOrderAcrossManyWraparounds) {
  RingMem m(8);
  RingHeader* h = RingLayout<Event>::init(m.data(), 8, kMessageVersion, 1, 0);
  EventProducer p(h);
  EventConsumer c(h);
  uint32_t next_push = 0, next_pop = 0;
  for (int round = 0; round < 100; ++round) {  // 100 * 5 items through 8 slots
    for (int i = 0; i < 5; ++i) CHECK_TRUE(p.push(make(next_push++)));
    Event out[8];
    size_t n = c.pop_burst(out, 8);
    LONGS_EQUAL(5, n);
    for (size_t i = 0; i < n; ++i) LONGS_EQUAL(next_pop++, out[i].seq);
  }
  LONGS_EQUAL(0, p.drops());
  LONGS_EQUAL(500, h->pushed.load());
  Event e;
  CHECK_FALSE(c.pop(e));
}

TEST(Ring, FullRingDropsAndCountsNeverOverwrites) {
  RingMem m(4);
  RingHeader* h = RingLayout<Event>::init(m.data(), 4, kMessageVersion, 1, 0);
  EventProducer p(h);
  EventConsumer c(h);
  for (uint32_t i = 0; i < 4; ++i) CHECK_TRUE(p.push(make(i)));
  CHECK_FALSE(p.push(make(99)));
  CHECK_FALSE(p.push(make(100)));
  LONGS_EQUAL(2, p.drops());
  LONGS_EQUAL(2, c.drops());
  LONGS_EQUAL(4, c.pending());
  Event e;
  CHECK_TRUE(c.pop(e));
  LONGS_EQUAL(0, e.seq);  // oldest kept
  CHECK_TRUE(p.push(make(4)));  // room again after one pop
  for (uint32_t want = 1; want <= 4; ++want) {
    CHECK_TRUE(c.pop(e));
    LONGS_EQUAL(want, e.seq);
  }
  CHECK_FALSE(c.pop(e));
}

TEST(Ring, AttachChecksMagicVersionSizeCapacity) {
  RingMem m(8);
  std::string err;
  POINTERS_EQUAL(nullptr, RingLayout<Event>::attach(m.data(), m.size(), kMessageVersion, err));
  STRCMP_CONTAINS("magic", err.c_str());

  RingLayout<Event>::init(m.data(), 8, kMessageVersion, 1, 0);
  CHECK(RingLayout<Event>::attach(m.data(), m.size(), kMessageVersion, err) != nullptr);

  POINTERS_EQUAL(nullptr, RingLayout<Event>::attach(m.data(), m.size(), kMessageVersion + 1, err));
  STRCMP_CONTAINS("item version 1 != 2", err.c_str());

  POINTERS_EQUAL(nullptr, RingLayout<Command>::attach(m.data(), m.size(), kMessageVersion, err));
  STRCMP_CONTAINS("item type 1 != 2", err.c_str());
  static_cast<RingHeader*>(m.data())->item_size = 65;
  POINTERS_EQUAL(nullptr, RingLayout<Event>::attach(m.data(), m.size(), kMessageVersion, err));
  STRCMP_CONTAINS("item size 65 != 64", err.c_str());
  static_cast<RingHeader*>(m.data())->item_size = 64;

  static_cast<RingHeader*>(m.data())->layout_version = 7;
  POINTERS_EQUAL(nullptr, RingLayout<Event>::attach(m.data(), m.size(), kMessageVersion, err));
  STRCMP_CONTAINS("layout version 7 != 1", err.c_str());
  static_cast<RingHeader*>(m.data())->layout_version = kRingLayoutVersion;

  POINTERS_EQUAL(nullptr, RingLayout<Event>::attach(m.data(), RingLayout<Event>::bytes_for(4), kMessageVersion, err));
  STRCMP_CONTAINS("capacity", err.c_str());
  CHECK_FALSE(RingLayout<Event>::valid_capacity(6));
  CHECK_FALSE(RingLayout<Event>::valid_capacity(1));
  CHECK_TRUE(RingLayout<Event>::valid_capacity(1024));
}

TEST(Ring, ConsumerInAnotherThreadGetsEveryItemInOrder) {
  constexpr uint32_t kItems = 200000;
  RingMem m(64);
  RingHeader* h = RingLayout<Event>::init(m.data(), 64, kMessageVersion, 1, 0);
  EventProducer p(h);
  EventConsumer c(h);
  std::atomic<bool> bad{false};
  std::thread reader([&] {
    uint32_t want = 0;
    Event out[16];
    while (want < kItems) {
      size_t n = c.pop_burst(out, 16);
      for (size_t i = 0; i < n; ++i) {
        if (out[i].seq != want || out[i].time_ns != want * 1000ull) bad = true;
        ++want;
      }
      if (n == 0) std::this_thread::yield();
    }
  });
  for (uint32_t i = 0; i < kItems;) {
    if (p.push(make(i)))
      ++i;
    else
      std::this_thread::yield();  // the test retries; the fast path would count the drop
  }
  reader.join();
  CHECK_FALSE(bad.load());
  LONGS_EQUAL(kItems, h->pushed.load());
}

TEST(Ring, CommandRingCarriesTimers) {
  RingMem m(4);
  RingHeader* h = RingLayout<Command>::init(m.data(), 4, kMessageVersion, 1, 0);
  CommandProducer p(h);
  CommandConsumer c(h);
  Command cmd{};
  cmd.version = kMessageVersion;
  cmd.kind = CommandKind::set_timers;
  cmd.seq = 42;
  cmd.uplink = kNoUplink;
  cmd.timers.probe_interval_ms = 10;
  cmd.timers.blackout_quorum_pct = 75;
  CHECK_TRUE(p.push(cmd));
  Command got{};
  CHECK_TRUE(c.pop(got));
  LONGS_EQUAL(42, got.seq);
  LONGS_EQUAL(75, got.timers.blackout_quorum_pct);
  CHECK(got.kind == CommandKind::set_timers);
}
