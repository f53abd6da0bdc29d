// Syslog that is not there: deferred with back-off, delivered once it is.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "control/notify/syslog.hpp"

#include <CppUTest/TestHarness.h>  // last: its new/delete macros break std headers

using namespace tg::notify;
namespace al = tg::alarm;

namespace {

std::vector<Delivery> one(int64_t id) {
  Delivery d;
  d.notice.id = id;
  d.notice.key = "alarm:" + std::to_string(id) + ":1";
  d.notice.event_ms = 1795428754123;
  d.notice.type = al::AlarmType::trunk_down;
  d.notice.object_kind = al::ObjectKind::trunk;
  d.notice.object_name = "carrierA";
  d.notice.severity = al::Severity::critical;
  d.notice.text = "carrierA SIP trunk unreachable";
  d.channel = "syslog";
  return {d};
}

}  // namespace

TEST_GROUP(SyslogDeferred) {
  std::string dir, path;
  int fd = -1;
  void setup() override {
    char tmpl[] = "/tmp/tg-syslog-test.XXXXXX";
    dir = mkdtemp(tmpl);
    path = dir + "/log";
  }
  void teardown() override {
    if (fd >= 0) close(fd);
    unlink(path.c_str());
    rmdir(dir.c_str());
  }
  // A local syslog daemon appears: a datagram socket bound at `path`.
  void start_syslogd() {
    fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path.c_str());
    CHECK_EQUAL(0, bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa));
  }
  std::string received() {
    char buf[2048];
    ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    return n > 0 ? std::string(buf, size_t(n)) : std::string();
  }
};

TEST(SyslogDeferred, MissingDevLogBacksOffWithOneStableErrorThenDelivers) {
  SyslogOptions o;
  o.local_socket = path;
  o.hostname = "gw1";
  SyslogSender s(o);
  SendOutcome r = s.send(one(1), 10'000);
  CHECK_TRUE(r.delivered.empty());
  STRCMP_CONTAINS(": No such file or directory (syslog unavailable: deferred, retried with back-off)",
                  r.error.c_str());
  const std::string first = r.error;
  start_syslogd();
  // Inside the back-off (1 s): not tried, same text (logged once upstream).
  r = s.send(one(1), 10'500);
  CHECK_TRUE(r.delivered.empty());
  STRCMP_EQUAL(first.c_str(), r.error.c_str());
  std::string err;
  CHECK_FALSE(s.log_event(10'600, 5, "FAILOVER", "wan0", "best effort", err));
  STRCMP_EQUAL(first.c_str(), err.c_str());
  STRCMP_EQUAL("", received().c_str());
  // After it: delivered, and the back-off is reset.
  r = s.send(one(1), 11'000);
  LONGS_EQUAL(1, r.delivered.size());
  STRCMP_EQUAL("", r.error.c_str());
  STRCMP_CONTAINS("carrierA SIP trunk unreachable", received().c_str());
  CHECK_TRUE(s.log_event(11'001, 5, "FAILOVER", "wan0", "now it goes", err));
  STRCMP_CONTAINS("now it goes", received().c_str());
}

TEST(SyslogDeferred, BackOffDoublesUpToTheCap) {
  SyslogOptions o;
  o.local_socket = path;
  o.retry_max_ms = 4000;
  SyslogSender s(o);
  // Failures at 0, 1 s, 3 s, 7 s, 11 s: waits 1, 2, 4, 4 s.
  const al::WallMs tries[] = {0, 1000, 3000, 7000, 11000};
  for (al::WallMs t : tries) {
    CHECK_TRUE(s.send(one(1), t).delivered.empty());
    start_syslogd();  // present, but only looked at once the wait is over
    CHECK_TRUE(s.send(one(1), t + 999).delivered.empty());
    close(fd), fd = -1;
    unlink(path.c_str());
  }
  start_syslogd();
  CHECK_TRUE(s.send(one(1), 14'999).delivered.empty());
  LONGS_EQUAL(1, s.send(one(1), 15'000).delivered.size());
}
