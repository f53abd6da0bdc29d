// Alarm path benchmark: what one alarm costs before it leaves the box.
//   bench-notify [--notices N] [--dir DIR]
// 1. AlarmManager raise+clear pairs per second (in memory).
// 2. NotifyQueue::enqueue latency (one SQLite transaction, synchronous=FULL,
//    3 channels): median and p99, on the file system of DIR.
// 3. Dispatcher drain throughput to in-process senders that accept all
//    (queue bookkeeping only, no network).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "control/alarms/alarm.hpp"
#include "control/notify/queue.hpp"
#include "control/notify/sender.hpp"

using namespace tg;
using Clock = std::chrono::steady_clock;

namespace {
class AcceptAll : public notify::Sender {
 public:
  explicit AcceptAll(std::string ch) : ch_(std::move(ch)) {}
  const std::string& channel() const override { return ch_; }
  size_t batch_limit() const override { return 64; }
  notify::SendOutcome send(const std::vector<notify::Delivery>& due, alarm::WallMs) override {
    notify::SendOutcome o;
    for (const auto& d : due) o.delivered.push_back(d.notice.id);
    return o;
  }

 private:
  std::string ch_;
};
double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }
}  // namespace

int main(int argc, char** argv) {
  int n = 500;
  std::string dir = "/tmp";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--notices")) n = atoi(argv[i + 1]);
    if (!strcmp(argv[i], "--dir")) dir = argv[i + 1];
  }

  // 1. alarm manager
  alarm::WallMs now = 1'795'000'000'000;
  size_t notified = 0;
  alarm::ManagerOptions mo;
  mo.storm_threshold = 1u << 30;
  alarm::AlarmManager am([&] { return now; }, mo, [&](const alarm::AlarmNotification&) { ++notified; });
  alarm::RaiseRequest r;
  r.type = alarm::AlarmType::uplink_blackhole;
  r.object = {alarm::ObjectKind::uplink, "wan0", "Carrier A"};
  r.detail = "no RTP on 12 calls for 180 ms";
  r.calls_affected = 12;
  const int pairs = 200000;
  auto t = Clock::now();
  for (int i = 0; i < pairs; ++i) {
    ++now;
    am.raise(r);
    am.clear(r.type, r.object, "RTP flowing again");
  }
  double el = ms_since(t);
  printf("alarm manager: %.0f raise+clear pairs/s (%d pairs, %zu notifications)\n", pairs / (el / 1000), pairs,
         notified);

  // 2. durable enqueue
  std::string path = dir + "/bench-notify-" + std::to_string(getpid()) + ".db";
  notify::NotifyQueue q;
  std::string err;
  if (!q.open(path, err)) {
    fprintf(stderr, "bench-notify: %s\n", err.c_str());
    return 1;
  }
  notify::Dispatcher disp(q, [&] { return now; });
  for (const char* ch : {"snmp:192.0.2.1:162", "email", "syslog"}) disp.add(std::make_unique<AcceptAll>(ch));
  std::vector<double> lat;
  notify::Notice notice;
  notice.type = alarm::AlarmType::uplink_blackhole;
  notice.text = "wan0 (Carrier A) silent blackhole: no RTP on 12 calls for 180 ms";
  t = Clock::now();
  for (int i = 0; i < n; ++i) {
    notice.key = "bench:" + std::to_string(i);
    auto t1 = Clock::now();
    if (!disp.enqueue(notice, err)) {
      fprintf(stderr, "bench-notify: %s\n", err.c_str());
      return 1;
    }
    lat.push_back(ms_since(t1));
  }
  el = ms_since(t);
  std::sort(lat.begin(), lat.end());
  printf("durable enqueue (3 channels, fsync): median %.2f ms, p99 %.2f ms, %.0f notices/s (%d, %s)\n",
         lat[lat.size() / 2], lat[lat.size() * 99 / 100], n / (el / 1000), n, dir.c_str());

  // 3. drain
  t = Clock::now();
  size_t delivered = 0;
  while (q.pending()) delivered += disp.run_once().delivered;
  el = ms_since(t);
  printf("dispatcher drain (queue bookkeeping only): %.0f deliveries/s (%zu)\n", delivered / (el / 1000), delivered);
  for (const char* suffix : {"", "-wal", "-shm"}) unlink((path + suffix).c_str());
  return 0;
}
