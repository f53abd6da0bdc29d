// Named shared memory: the fast path creates the three objects, a control
// side opens them by name and talks both ways; stale and foreign objects
// are refused with a clear error.
#include <CppUTest/TestHarness.h>

#include <unistd.h>

#include "dataplane/api/channels.hpp"

using namespace tg::api;

namespace {
std::string test_prefix(const char* what) {
  return "/tgunit-" + std::to_string(getpid()) + "-" + what;
}
}  // namespace

TEST_GROUP(Channels) {};

TEST(Channels, CreateOpenAndTalkBothWays) {
  ChannelNames names = ChannelNames::with_prefix(test_prefix("ok"));
  STRCMP_EQUAL((test_prefix("ok") + "-events").c_str(), names.events.c_str());
  FastPathChannels fp;
  std::string err;
  CHECK_TEXT(fp.create(names, 16, 8, 1000, err), err.c_str());
  ControlChannels ctl;
  CHECK_TEXT(ctl.open(names, err), err.c_str());
  LONGS_EQUAL(getpid(), ctl.creator_pid());

  Event ev{};
  ev.version = kMessageVersion;
  ev.kind = EventKind::uplink_switch;
  ev.uplink_switch.uplink_to = kUplinkWan1;
  CHECK_TRUE(fp.events.push(ev));
  Event got{};
  CHECK_TRUE(ctl.events.pop(got));
  LONGS_EQUAL(kUplinkWan1, got.uplink_switch.uplink_to);

  Command cmd{};
  cmd.version = kMessageVersion;
  cmd.kind = CommandKind::force_uplink;
  cmd.uplink = kUplinkLte;
  CHECK_TRUE(ctl.commands.push(cmd));
  Command gc{};
  CHECK_TRUE(fp.commands.pop(gc));
  LONGS_EQUAL(kUplinkLte, gc.uplink);

  auto body = std::make_unique<StatsBody>();
  *body = {};
  body->active_uplink = kUplinkLte;
  fp.stats.publish(*body);
  CHECK_TRUE(ctl.stats.read(*body));
  LONGS_EQUAL(kUplinkLte, body->active_uplink);
  fp.unlink();
  ControlChannels late;
  CHECK_FALSE(late.open(names, err));
  STRCMP_CONTAINS("No such file", err.c_str());
}

TEST(Channels, RefusesOtherVersionAndBadNames) {
  ChannelNames names = ChannelNames::with_prefix(test_prefix("ver"));
  FastPathChannels fp;
  std::string err;
  CHECK_TRUE(fp.create(names, 16, 8, 0, err));
  ShmRegion raw;
  CHECK_TRUE(raw.open(names.events, err));
  static_cast<RingHeader*>(raw.data())->item_version = kMessageVersion + 1;
  ControlChannels ctl;
  CHECK_FALSE(ctl.open(names, err));
  STRCMP_CONTAINS(names.events.c_str(), err.c_str());
  STRCMP_CONTAINS("item version 2 != 1", err.c_str());
  fp.unlink();

  FastPathChannels bad;
  CHECK_FALSE(bad.create(names, 12, 8, 0, err));
  STRCMP_CONTAINS("powers of two", err.c_str());
  ShmRegion r;
  CHECK_FALSE(r.create("no-slash", 64, err));
  CHECK_FALSE(r.create("/a/b", 64, err));
}

TEST(Channels, RecreateReplacesStaleObject) {
  ChannelNames names = ChannelNames::with_prefix(test_prefix("stale"));
  std::string err;
  {
    FastPathChannels first;
    CHECK_TRUE(first.create(names, 16, 8, 0, err));
    Event ev{};
    CHECK_TRUE(first.events.push(ev));  // left behind by a "crashed" fast path
  }
  FastPathChannels second;
  CHECK_TRUE(second.create(names, 32, 8, 0, err));
  ControlChannels ctl;
  CHECK_TRUE(ctl.open(names, err));
  LONGS_EQUAL(0, ctl.events.pending());
  LONGS_EQUAL(32, ctl.events.capacity());
  second.unlink();
}

#include <sys/wait.h>
#include <time.h>

namespace {
uint64_t mono_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000ull + uint64_t(ts.tv_nsec);
}
// Control side in a child process: opens by name, reads kEvents in order,
// answers each with a command. Exit code says what went wrong.
constexpr uint32_t kEvents = 20000;
int control_process(const ChannelNames& names) {
  ControlChannels ctl;
  std::string err;
  const uint64_t deadline = mono_ns() + 20'000'000'000ull;
  while (!ctl.open(names, err))
    if (mono_ns() > deadline) return 10;
  uint32_t want = 0;
  Event ev;
  while (want < kEvents) {
    if (mono_ns() > deadline) return 11;
    if (!ctl.events.pop(ev)) continue;
    if (ev.seq != want || ev.version != kMessageVersion) return 12;
    Command c{};
    c.version = kMessageVersion;
    c.kind = CommandKind::auto_select;
    c.seq = want;
    while (!ctl.commands.push(c))
      if (mono_ns() > deadline) return 13;
    ++want;
  }
  return 0;
}
}  // namespace

TEST(Channels, ControlDaemonInAnotherProcess) {
  ChannelNames names = ChannelNames::with_prefix(test_prefix("fork"));
  FastPathChannels fp;
  std::string err;
  CHECK_TRUE(fp.create(names, 256, 256, 0, err));
  fflush(nullptr);
  pid_t child = fork();
  if (child == 0) _exit(control_process(names));
  CHECK(child > 0);
  uint32_t next = 0, answered = 0;
  const uint64_t deadline = mono_ns() + 30'000'000'000ull;
  Command c;
  while (answered < kEvents && mono_ns() < deadline) {
    if (next < kEvents) {
      Event ev{};
      ev.version = kMessageVersion;
      ev.kind = EventKind::uplink_state;
      ev.seq = next;
      if (fp.events.push(ev)) ++next;
    }
    while (fp.commands.pop(c)) {
      if (c.seq != answered) break;
      ++answered;
    }
  }
  int status = 0;
  waitpid(child, &status, 0);
  fp.unlink();
  CHECK_TRUE(WIFEXITED(status));
  LONGS_EQUAL(0, WEXITSTATUS(status));
  LONGS_EQUAL(kEvents, answered);
}
