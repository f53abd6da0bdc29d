// Stats region: seqlock publish/read, a reader thread never sees a torn
// body, version and size checks refuse other builds clearly.
#include <CppUTest/TestHarness.h>

#include <thread>
#include <vector>

#include "dataplane/api/stats.hpp"

using namespace tg::api;

namespace {
struct StatsMem {
  StatsMem() : words(kStatsRegionSize / 8 + 1, 0) {}
  void* data() { return words.data(); }
  std::vector<uint64_t> words;
};
}  // namespace

TEST_GROUP(Stats) {};

TEST(Stats, PublishThenReadGivesTheSameBody) {
  StatsMem m;
  StatsWriter w;
  w.init(m.data(), 123, 5);
  StatsReader r;
  std::string err;
  CHECK_TRUE(r.attach(m.data(), kStatsRegionSize, err));
  LONGS_EQUAL(123, r.creator_pid());
  auto body = std::make_unique<StatsBody>();
  *body = {};
  body->active_uplink = kUplinkWan1;
  body->mode = SelectMode::forced;
  body->uplinks[1].state = UplinkState::suspect;
  body->uplinks[1].probe.rtt_avg_us = 23456;
  body->trunks[63].rtp_packets = 987654321;
  w.publish(*body);
  w.heartbeat(77);
  auto got = std::make_unique<StatsBody>();
  CHECK_TRUE(r.read(*got));
  LONGS_EQUAL(kUplinkWan1, got->active_uplink);
  CHECK(got->mode == SelectMode::forced);
  CHECK(got->uplinks[1].state == UplinkState::suspect);
  LONGS_EQUAL(23456, got->uplinks[1].probe.rtt_avg_us);
  LONGS_EQUAL(987654321, got->trunks[63].rtp_packets);
  LONGS_EQUAL(1, r.heartbeat());
  LONGS_EQUAL(77, r.heartbeat_ns());
}

TEST(Stats, ReaderRefusesOtherVersionsAndSizes) {
  StatsMem m;
  StatsReader r;
  std::string err;
  CHECK_FALSE(r.attach(m.data(), kStatsRegionSize, err));
  STRCMP_CONTAINS("magic", err.c_str());
  StatsWriter w;
  w.init(m.data(), 1, 0);
  auto* h = static_cast<StatsHeader*>(m.data());
  h->version = kStatsVersion + 1;
  CHECK_FALSE(r.attach(m.data(), kStatsRegionSize, err));
  const std::string expect = "stats region version " + std::to_string(kStatsVersion + 1) + ", this build reads version " +
                             std::to_string(kStatsVersion);
  STRCMP_CONTAINS(expect.c_str(), err.c_str());
  h->version = kStatsVersion;
  h->body_size = sizeof(StatsBody) + 8;
  CHECK_FALSE(r.attach(m.data(), kStatsRegionSize, err));
  STRCMP_CONTAINS("body size", err.c_str());
  h->body_size = sizeof(StatsBody);
  CHECK_FALSE(r.attach(m.data(), kStatsRegionSize - 8, err));
  CHECK_FALSE(r.attach(m.data(), 10, err));
  STRCMP_CONTAINS("too small", err.c_str());
  CHECK_TRUE(r.attach(m.data(), kStatsRegionSize, err));
}

TEST(Stats, ReaderThreadNeverSeesATornBody) {
  // Each publish writes the same value n into fields at both ends of the
  // body; a torn copy would show two different values.
  StatsMem m;
  StatsWriter w;
  w.init(m.data(), 1, 0);
  StatsReader r;
  std::string err;
  CHECK_TRUE(r.attach(m.data(), kStatsRegionSize, err));
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> reads{0}, torn{0};
  std::thread reader([&] {
    auto b = std::make_unique<StatsBody>();
    uint64_t last = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      if (!r.read(*b, 100)) continue;
      if (b->publish_count != b->trunks[kMaxTrunks - 1].calls_total || b->publish_count != b->uplinks[0].rx_packets ||
          b->publish_count < last)
        ++torn;
      last = b->publish_count;
      ++reads;
    }
  });
  auto body = std::make_unique<StatsBody>();
  *body = {};
  for (uint64_t n = 1; n <= 20000 || reads.load() < 100; ++n) {
    body->publish_count = n;
    body->uplinks[0].rx_packets = n;
    body->trunks[kMaxTrunks - 1].calls_total = n;
    w.publish(*body);
    if (n > 5'000'000) break;  // bound: the reader thread did not get scheduled
  }
  stop = true;
  reader.join();
  LONGS_EQUAL(0, torn.load());
  CHECK(reads.load() > 0);
}
