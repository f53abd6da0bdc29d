// Capture ring: slots through many wraparounds in order, a full ring drops
// and counts (never overwrites unread slots), snaplen truncation, the
// filter (uplink, direction, class, host), command checks, the fast path's
// own deadline, and the header checks of a reader.
#include <CppUTest/TestHarness.h>

#include <unistd.h>

#include <memory>
#include <vector>

#include "dataplane/api/capture.hpp"

using namespace tg::api;

namespace {
struct CaptureMem {
  explicit CaptureMem(uint32_t cap) : words(CaptureLayout::bytes_for(cap) / 8 + 1, 0) {
    h = CaptureLayout::init(words.data(), cap, 1, 0);
  }
  size_t size() const { return words.size() * 8; }
  std::vector<uint64_t> words;  // 8-aligned, zeroed
  CaptureHeader* h;
};

// Ethernet + IPv4 + UDP, `len` bytes in all; byte 42.. carries `tag`.
std::vector<uint8_t> frame(uint16_t len, uint32_t src, uint32_t dst, uint8_t tag = 0, bool vlan = false) {
  std::vector<uint8_t> f(len, 0);
  size_t o = 12;
  if (vlan) {
    f[o] = 0x81, f[o + 1] = 0x00, f[o + 2] = 0, f[o + 3] = 7;
    o += 4;
  }
  f[o] = 0x08, f[o + 1] = 0x00;
  uint8_t* ip = f.data() + o + 2;
  ip[0] = 0x45;
  ip[9] = 17;
  for (int i = 0; i < 4; ++i) ip[12 + i] = uint8_t(src >> (24 - 8 * i)), ip[16 + i] = uint8_t(dst >> (24 - 8 * i));
  if (len > 42) f[42] = tag;
  return f;
}

Command start(uint32_t id, uint32_t snaplen = kCaptureMaxSnap, uint8_t uplink = kNoUplink, uint8_t classes = 0,
              uint32_t host = 0, uint32_t max_ms = 0) {
  Command c = make_command(CommandKind::capture_start, uplink, 1, 0);
  c.capture.capture_id = id;
  c.capture.snaplen = snaplen;
  c.capture.classes = classes;
  c.capture.host_v4 = host;
  c.capture.max_duration_ms = max_ms;
  return c;
}
constexpr uint32_t kA = 0xC0000201;  // 192.0.2.1
constexpr uint32_t kB = 0xCB007105;  // 203.0.113.5
}  // namespace

TEST_GROUP(Capture) {};

TEST(Capture, SlotsInOrderAcrossManyWraparounds) {
  CaptureMem m(8);
  CaptureProducer p(m.h);
  CaptureConsumer c(m.h);
  CHECK_FALSE(p.active());
  auto f = frame(100, kA, kB);
  CHECK_FALSE(p.offer(f.data(), 100, 5, 0, CaptureDirection::outbound, CaptureClass::sip));  // not started
  LONGS_EQUAL(int(CommandResult::ok), int(p.apply(start(7), 1000, 5'000'000'000, 3)));
  CHECK_TRUE(p.active());
  LONGS_EQUAL(7, m.h->capture_id.load());
  LONGS_EQUAL(int64_t(5'000'000'000 - 1000), m.h->wall_offset_ns.load());
  uint8_t next_push = 0, next_pop = 0;
  for (int round = 0; round < 50; ++round) {  // 250 slots through 8
    for (int i = 0; i < 5; ++i) {
      f[42] = next_push++;
      CHECK_TRUE(p.offer(f.data(), 100, 2000 + round, 1, CaptureDirection::inbound, CaptureClass::rtp));
    }
    while (const CaptureSlot* s = c.peek()) {
      LONGS_EQUAL(next_pop++, s->data[42]);
      LONGS_EQUAL(7, s->h.capture_id);
      LONGS_EQUAL(100, s->h.orig_len);
      LONGS_EQUAL(100, s->h.cap_len);
      LONGS_EQUAL(1, s->h.uplink);
      LONGS_EQUAL(int(CaptureDirection::inbound), int(s->h.direction));
      LONGS_EQUAL(int(CaptureClass::rtp), int(s->h.klass));
      LONGS_EQUAL(2000 + round, s->h.time_ns);
      c.release();
    }
  }
  LONGS_EQUAL(250, next_pop);
  LONGS_EQUAL(250, m.h->captured.load());
  LONGS_EQUAL(0, m.h->dropped.load());
}

TEST(Capture, FullRingDropsAndCountsWithoutOverwriting) {
  CaptureMem m(4);
  CaptureProducer p(m.h);
  CaptureConsumer c(m.h);
  p.apply(start(1), 0, 0, 3);
  auto f = frame(60, kA, kB);
  for (uint8_t i = 0; i < 10; ++i) {
    f[42] = i;
    CHECK_EQUAL(i < 4, p.offer(f.data(), 60, i, 0, CaptureDirection::outbound, CaptureClass::sip));
  }
  LONGS_EQUAL(10, m.h->matched.load());
  LONGS_EQUAL(4, m.h->captured.load());
  LONGS_EQUAL(6, m.h->dropped.load());
  LONGS_EQUAL(4, c.pending());
  for (uint8_t i = 0; i < 4; ++i) {  // the first four, untouched by the refused ones
    const CaptureSlot* s = c.peek();
    CHECK(s != nullptr);
    LONGS_EQUAL(i, s->data[42]);
    c.release();
  }
  CHECK(c.peek() == nullptr);
  f[42] = 99;
  CHECK_TRUE(p.offer(f.data(), 60, 11, 0, CaptureDirection::outbound, CaptureClass::sip));  // room again
  LONGS_EQUAL(99, c.peek()->data[42]);
}

TEST(Capture, SnaplenTruncatesAndKeepsTheOriginalLength) {
  CaptureMem m(4);
  CaptureProducer p(m.h);
  CaptureConsumer c(m.h);
  p.apply(start(2, 64), 0, 0, 3);
  auto big = frame(1500, kA, kB, 0x5A);
  auto small = frame(60, kA, kB);
  CHECK_TRUE(p.offer(big.data(), 1500, 1, 0, CaptureDirection::outbound, CaptureClass::rtp));
  CHECK_TRUE(p.offer(small.data(), 60, 2, 0, CaptureDirection::outbound, CaptureClass::rtp));
  const CaptureSlot* s = c.peek();
  LONGS_EQUAL(1500, s->h.orig_len);
  LONGS_EQUAL(64, s->h.cap_len);
  LONGS_EQUAL(0x5A, s->data[42]);
  c.release();
  s = c.peek();
  LONGS_EQUAL(60, s->h.orig_len);
  LONGS_EQUAL(60, s->h.cap_len);
  LONGS_EQUAL(1, m.h->truncated.load());
  // Largest frame a slot holds whole, and one byte more.
  p.apply(start(3), 0, 0, 3);
  auto edge = frame(uint16_t(kCaptureMaxSnap + 1), kA, kB);
  CHECK_TRUE(p.offer(edge.data(), uint16_t(kCaptureMaxSnap), 1, 0, CaptureDirection::outbound, CaptureClass::rtp));
  CHECK_TRUE(p.offer(edge.data(), uint16_t(kCaptureMaxSnap + 1), 1, 0, CaptureDirection::outbound, CaptureClass::rtp));
  LONGS_EQUAL(1, m.h->truncated.load());  // counters restarted with capture 3
}

TEST(Capture, FilterOnUplinkDirectionClassAndHost) {
  auto f = frame(80, kA, kB);
  auto tagged = frame(84, kB, 0xC6336401, 0, true);
  CaptureFilter all;
  CHECK_TRUE(capture_matches(all, f.data(), 80, 2, CaptureDirection::inbound, CaptureClass::other));
  CaptureFilter up = all;
  up.uplink = 1;
  CHECK_TRUE(capture_matches(up, f.data(), 80, 1, CaptureDirection::outbound, CaptureClass::other));
  CHECK_FALSE(capture_matches(up, f.data(), 80, 0, CaptureDirection::outbound, CaptureClass::other));
  CaptureFilter dir = all;
  dir.directions = kCaptureDirIn;
  CHECK_TRUE(capture_matches(dir, f.data(), 80, 0, CaptureDirection::inbound, CaptureClass::other));
  CHECK_FALSE(capture_matches(dir, f.data(), 80, 0, CaptureDirection::outbound, CaptureClass::other));
  CaptureFilter sip = all;
  sip.classes = kCaptureClassSip;
  CHECK_TRUE(capture_matches(sip, f.data(), 80, 0, CaptureDirection::inbound, CaptureClass::sip));
  CHECK_FALSE(capture_matches(sip, f.data(), 80, 0, CaptureDirection::inbound, CaptureClass::rtp));
  CHECK_FALSE(capture_matches(sip, f.data(), 80, 0, CaptureDirection::inbound, CaptureClass::other));
  CaptureFilter both = all;
  both.classes = kCaptureClassAll;
  CHECK_TRUE(capture_matches(both, f.data(), 80, 0, CaptureDirection::inbound, CaptureClass::rtp));
  CHECK_FALSE(capture_matches(both, f.data(), 80, 0, CaptureDirection::inbound, CaptureClass::other));
  CaptureFilter host = all;
  host.host_v4 = kB;
  CHECK_TRUE(capture_matches(host, f.data(), 80, 0, CaptureDirection::outbound, CaptureClass::other));       // dst
  CHECK_TRUE(capture_matches(host, tagged.data(), 84, 0, CaptureDirection::outbound, CaptureClass::other));  // src, VLAN
  host.host_v4 = 0xC6336401;
  CHECK_TRUE(capture_matches(host, tagged.data(), 84, 0, CaptureDirection::outbound, CaptureClass::other));
  CHECK_FALSE(capture_matches(host, f.data(), 80, 0, CaptureDirection::outbound, CaptureClass::other));
  CHECK_FALSE(capture_matches(host, f.data(), 20, 0, CaptureDirection::outbound, CaptureClass::other));  // truncated
  auto v6 = f;
  v6[12] = 0x86, v6[13] = 0xDD;
  CHECK_FALSE(capture_matches(host, v6.data(), 80, 0, CaptureDirection::outbound, CaptureClass::other));
}

TEST(Capture, CommandsAreCheckedAndStopEndsTheCapture) {
  CaptureMem m(4);
  CaptureProducer p(m.h);
  LONGS_EQUAL(int(CommandResult::bad_capture), int(p.apply(start(0), 0, 0, 3)));            // id 0
  LONGS_EQUAL(int(CommandResult::bad_capture), int(p.apply(start(1, 0), 0, 0, 3)));         // snaplen 0
  LONGS_EQUAL(int(CommandResult::bad_capture), int(p.apply(start(1, kCaptureMaxSnap + 1), 0, 0, 3)));
  LONGS_EQUAL(int(CommandResult::bad_capture), int(p.apply(start(1, 100, kNoUplink, 0x80), 0, 0, 3)));
  LONGS_EQUAL(int(CommandResult::bad_uplink), int(p.apply(start(1, 100, 3), 0, 0, 3)));
  Command old = start(1);
  old.version = kMessageVersion + 1;
  LONGS_EQUAL(int(CommandResult::bad_version), int(p.apply(old, 0, 0, 3)));
  CHECK_FALSE(p.active());
  LONGS_EQUAL(0, m.h->capture_id.load());

  LONGS_EQUAL(int(CommandResult::ok), int(p.apply(start(9, 100, 2, kCaptureClassSip), 10, 0, 3)));
  auto f = frame(80, kA, kB);
  CHECK_FALSE(p.offer(f.data(), 80, 11, 1, CaptureDirection::outbound, CaptureClass::sip));
  CHECK_TRUE(p.offer(f.data(), 80, 11, 2, CaptureDirection::outbound, CaptureClass::sip));
  LONGS_EQUAL(int(CommandResult::ok), int(p.apply(make_command(CommandKind::capture_stop, kNoUplink, 2, 0), 50, 0, 3)));
  CHECK_FALSE(p.active());
  LONGS_EQUAL(0, m.h->capture_id.load());
  LONGS_EQUAL(9, m.h->last_capture_id.load());
  LONGS_EQUAL(50, m.h->stopped_ns.load());
  CHECK_FALSE(p.offer(f.data(), 80, 60, 2, CaptureDirection::outbound, CaptureClass::sip));
  LONGS_EQUAL(1, m.h->captured.load());  // stays readable after the stop

  CaptureProducer unbound;
  LONGS_EQUAL(int(CommandResult::no_capture), int(unbound.apply(start(1), 0, 0, 3)));
  LONGS_EQUAL(int(CommandResult::bad_kind), int(p.apply(make_command(CommandKind::auto_select, kNoUplink, 3, 0), 0, 0, 3)));
}

TEST(Capture, FastPathStopsByItselfAtMaxDuration) {
  CaptureMem m(4);
  CaptureProducer p(m.h);
  p.apply(start(4, 100, kNoUplink, 0, 0, 2000), 1'000'000'000, 0, 3);  // 2 s from t=1 s
  CHECK_FALSE(p.expire(2'999'999'999));
  CHECK_TRUE(p.active());
  CHECK_TRUE(p.expire(3'000'000'000));
  CHECK_FALSE(p.active());
  LONGS_EQUAL(0, m.h->capture_id.load());
  CHECK_FALSE(p.expire(4'000'000'000));
  p.apply(start(5), 0, 0, 3);  // no limit
  CHECK_FALSE(p.expire(~0ull));
}

TEST(Capture, ReaderRefusesForeignRegionsAndNamedRegionWorks) {
  CaptureMem m(4);
  std::string err;
  CHECK(CaptureLayout::attach(m.words.data(), m.size(), err) == m.h);
  CHECK(CaptureLayout::attach(m.words.data(), 100, err) == nullptr);
  STRCMP_CONTAINS("too small", err.c_str());
  CHECK(CaptureLayout::attach(m.words.data(), sizeof(CaptureHeader) + kCaptureSlotSize, err) == nullptr);
  STRCMP_CONTAINS("capacity", err.c_str());
  m.h->layout_version = 9;
  CHECK(CaptureLayout::attach(m.words.data(), m.size(), err) == nullptr);
  STRCMP_CONTAINS("layout version 9 != 1", err.c_str());
  std::vector<uint64_t> zero(64, 0);
  CHECK(CaptureLayout::attach(zero.data(), 512, err) == nullptr);
  STRCMP_CONTAINS("magic", err.c_str());

  const std::string name = capture_shm_name("/tgunit-" + std::to_string(getpid()));
  CaptureRegion fp, ctl;
  CHECK_FALSE(fp.create(name, 6, 0, err));
  STRCMP_CONTAINS("power of two", err.c_str());
  CHECK_TEXT(fp.create(name, 8, 0, err), err.c_str());
  CHECK_TEXT(ctl.open(name, err), err.c_str());
  LONGS_EQUAL(8, ctl.header()->capacity);
  CaptureProducer p(fp.header());
  CaptureConsumer c(ctl.header());
  p.apply(start(3), 0, 0, 1);
  auto f = frame(70, kA, kB, 0x33);
  CHECK_TRUE(p.offer(f.data(), 70, 1, 0, CaptureDirection::outbound, CaptureClass::other));
  LONGS_EQUAL(0x33, c.peek()->data[42]);
  fp.unlink();
  CaptureRegion gone;
  CHECK_FALSE(gone.open(name, err));
}
