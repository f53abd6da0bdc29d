#include "control/daemon/fastpath_link.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>

// CppUTest last: its leak detector redefines new.
#include <CppUTest/TestHarness.h>

using namespace tg;
using namespace tg::controld;

// The real shared-memory link against real API channels created here (the
// fast path's side), including a "restart" by another process.
TEST_GROUP(ShmFastPath) {
  std::string prefix;
  api::ChannelNames names;
  void setup() override {
    prefix = "/tgcd-unit-" + std::to_string(getpid());
    names = api::ChannelNames::with_prefix(prefix);
  }
  void teardown() override {
    api::ShmRegion::unlink(names.events);
    api::ShmRegion::unlink(names.commands);
    api::ShmRegion::unlink(names.stats);
  }
};

TEST(ShmFastPath, AbsentFastPathIsReportedAndRetried) {
  ShmFastPath link(prefix);
  CHECK_FALSE(link.maintain(1'000'000'000));
  CHECK_FALSE(link.attached());
  STRCMP_CONTAINS("not attached: ", link.status().c_str());
  STRCMP_CONTAINS(names.events.c_str(), link.status().c_str());
  api::StatsBody body;
  CHECK_FALSE(link.read_stats(body));
  api::Command c{};
  CHECK_FALSE(link.push_command(c));
}

TEST(ShmFastPath, AttachesReadsStatsAndCarriesEventsAndCommands) {
  api::FastPathChannels fp;
  std::string why;
  CHECK_TRUE_TEXT(fp.create(names, 64, 16, 1, why), why.c_str());
  ShmFastPath link(prefix);
  CHECK(link.maintain(1'000'000'000));  // attached now
  CHECK(link.attached());
  CHECK(link.alive());
  LONGS_EQUAL(getpid(), link.pid());
  api::StatsBody pub{};
  pub.uplink_count = 1;
  std::strcpy(pub.uplinks[0].name, "wan0");
  pub.switches_total = 7;
  fp.stats.publish(pub);
  api::StatsBody got{};
  CHECK(link.read_stats(got));
  LONGS_EQUAL(7, got.switches_total);
  STRCMP_EQUAL("wan0", got.uplinks[0].name);

  api::Event e{};
  e.version = api::kMessageVersion;
  e.kind = api::EventKind::uplink_state;
  e.seq = 1;
  CHECK(fp.events.push(e));
  api::Event out[4];
  LONGS_EQUAL(1, link.poll_events(out, 4));
  LONGS_EQUAL(int(api::EventKind::uplink_state), int(out[0].kind));

  api::Command c{};
  c.version = api::kMessageVersion;
  c.kind = api::CommandKind::auto_select;
  c.seq = 9;
  CHECK(link.push_command(c));
  api::Command rc{};
  CHECK(fp.commands.pop(rc));
  LONGS_EQUAL(9, rc.seq);
  fp.unlink();
}

TEST(ShmFastPath, StoppedHeartbeatIsStaleAndARestartedFastPathIsPickedUp) {
  api::FastPathChannels fp;
  std::string why;
  CHECK(fp.create(names, 64, 16, 1, why));
  ShmFastPath link(prefix);
  uint64_t t = 1'000'000'000;
  CHECK(link.maintain(t));
  fp.stats.heartbeat(t);
  CHECK_FALSE(link.maintain(t += 100'000'000));
  CHECK(link.alive());
  // No heartbeat for longer than kStaleNs: stale, but the same process
  // still owns the regions, so the link stays with it.
  CHECK_FALSE(link.maintain(t += ShmFastPath::kStaleNs + 1));
  CHECK_FALSE(link.alive());
  STRCMP_CONTAINS("heartbeat stopped", link.status().c_str());
  uint64_t old_pid = link.pid();

  // A new fast path process recreates the regions under the same names.
  int ready[2];
  CHECK(pipe(ready) == 0);
  pid_t child = fork();
  if (child == 0) {
    api::FastPathChannels again;
    std::string e;
    bool ok = again.create(names, 64, 16, 1, e);
    char b = ok ? 'y' : 'n';
    if (write(ready[1], &b, 1) != 1) _exit(2);
    pause();  // until the parent kills it
    _exit(0);
  }
  char b = 0;
  CHECK(read(ready[0], &b, 1) == 1);
  CHECK_EQUAL('y', b);
  CHECK(link.maintain(t += ShmFastPath::kRetryNs + 1));  // re-attached
  CHECK(link.pid() != old_pid);
  LONGS_EQUAL(child, link.pid());
  CHECK(link.alive());
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  close(ready[0]);
  close(ready[1]);
}
