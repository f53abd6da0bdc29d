// ServiceNotifier speaks the service manager's datagram protocol: READY=1
// once, WATCHDOG=1 every third of WATCHDOG_USEC and no more often, nothing
// at all without WATCHDOG_USEC. A real socket plays systemd's end.
#include <CppUTest/TestHarness.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "drivers/service/service_notify.hpp"

using tg::drivers::ServiceNotifier;

namespace {

struct Manager {
  int fd = -1;
  std::string path;
  Manager() {
    path = "/tmp/tg-notify-test-" + std::to_string(getpid());
    ::unlink(path.c_str());
    fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    path.copy(a.sun_path, sizeof a.sun_path - 1);
    CHECK(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  }
  ~Manager() {
    ::close(fd);
    ::unlink(path.c_str());
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    ::unsetenv("WATCHDOG_PID");
  }
  std::string next() {
    char buf[512];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, size_t(n)) : std::string();
  }
};

void expect_watchdog(const char* usec) {
  ::setenv("WATCHDOG_USEC", usec, 1);
  ::setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
}

}  // namespace

TEST_GROUP(ServiceNotifier){};

TEST(ServiceNotifier, ReadyCarriesStatus) {
  Manager m;
  ServiceNotifier n;
  n.ready("forwarding on 4 ports");
  STRCMP_EQUAL("READY=1\nSTATUS=forwarding on 4 ports", m.next().c_str());
  n.stopping();
  STRCMP_EQUAL("STOPPING=1", m.next().c_str());
}

TEST(ServiceNotifier, KicksEveryThirdOfTheInterval) {
  Manager m;
  expect_watchdog("3000000");  // 3 s
  ServiceNotifier n;
  CHECK(n.watchdog_enabled());
  LONGS_EQUAL(1000000000, n.kick_interval_ns());
  n.kick(5'000'000'000);
  STRCMP_EQUAL("WATCHDOG=1", m.next().c_str());
  n.kick(5'999'999'999);  // not due yet
  STRCMP_EQUAL("", m.next().c_str());
  n.kick(6'000'000'000);
  STRCMP_EQUAL("WATCHDOG=1", m.next().c_str());
}

TEST(ServiceNotifier, NoWatchdogNoKicks) {
  Manager m;
  ServiceNotifier n;
  CHECK_FALSE(n.watchdog_enabled());
  n.kick(1);
  n.kick(10'000'000'000);
  STRCMP_EQUAL("", m.next().c_str());
}

TEST(ServiceNotifier, WatchdogMeantForAnotherProcessIsIgnored) {
  Manager m;
  ::setenv("WATCHDOG_USEC", "3000000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(getpid() + 1).c_str(), 1);
  ServiceNotifier n;
  CHECK_FALSE(n.watchdog_enabled());
}
