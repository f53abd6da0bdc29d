#include "control/notify/queue.hpp"

#include <unistd.h>

#include <cstdlib>
#include <map>
#include <string>

#include "control/notify/sender.hpp"

#include <CppUTest/TestHarness.h>  // last: its new/delete macros break std headers

using namespace tg::notify;
namespace al = tg::alarm;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/tg-notify-test-XXXXXX";
    path = mkdtemp(t);
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
  std::string file(const char* n) const { return path + "/" + n; }
};

Notice notice(int i) {
  Notice n;
  n.key = "alarm:" + std::to_string(i) + ":" + std::to_string(i);
  n.alarm_id = uint64_t(i);
  n.seq = uint64_t(i);
  n.type = al::AlarmType::trunk_down;
  n.object_kind = al::ObjectKind::trunk;
  n.object_name = "carrierA";
  n.severity = al::Severity::critical;
  n.text = "carrierA SIP trunk unreachable: notice " + std::to_string(i);
  n.event_ms = 1000 + i;
  return n;
}

const std::vector<std::string> kChannels = {"snmp:127.0.0.1:162", "email"};

}  // namespace

TEST_GROUP(NotifyQueue) {
  TempDir dir;
  Backoff backoff{1000, 8000, 2};
};

TEST(NotifyQueue, BackoffDoublesAndCaps) {
  LONGS_EQUAL(1000, backoff.delay(1));
  LONGS_EQUAL(2000, backoff.delay(2));
  LONGS_EQUAL(4000, backoff.delay(3));
  LONGS_EQUAL(8000, backoff.delay(4));
  LONGS_EQUAL(8000, backoff.delay(30));
}

TEST(NotifyQueue, EnqueueIsPendingPerChannelUntilDelivered) {
  NotifyQueue q(backoff);
  std::string err;
  CHECK_TRUE_TEXT(q.open(dir.file("q.db"), err), err.c_str());
  CHECK_TRUE(q.enqueue(notice(1), kChannels, 5000, err));
  CHECK_TRUE(q.enqueue(notice(2), kChannels, 5001, err));
  LONGS_EQUAL(4, q.pending());
  LONGS_EQUAL(2, q.pending("email"));

  auto due = q.due("email", 5001, 10);
  LONGS_EQUAL(2, due.size());
  STRCMP_EQUAL("alarm:1:1", due[0].notice.key.c_str());  // oldest first
  STRCMP_EQUAL("carrierA SIP trunk unreachable: notice 1", due[0].notice.text.c_str());
  CHECK_TRUE(due[0].notice.type == al::AlarmType::trunk_down);
  CHECK_TRUE(due[0].notice.severity == al::Severity::critical);
  LONGS_EQUAL(5000, due[0].notice.created_ms);
  LONGS_EQUAL(1001, due[0].notice.event_ms);

  CHECK_TRUE(q.mark_delivered("email", {due[0].notice.id, due[1].notice.id}, 5002));
  LONGS_EQUAL(0, q.pending("email"));
  LONGS_EQUAL(2, q.pending("snmp:127.0.0.1:162"));  // the other channel still owes them
  CHECK_TRUE(q.due("email", 99999, 10).empty());
}

TEST(NotifyQueue, SameKeyTwiceIsOneNotice) {
  NotifyQueue q(backoff);
  std::string err;
  CHECK_TRUE(q.open(dir.file("q.db"), err));
  CHECK_TRUE(q.enqueue(notice(7), kChannels, 1, err));
  CHECK_TRUE(q.enqueue(notice(7), kChannels, 2, err));
  LONGS_EQUAL(1, q.due("email", 10, 10).size());
  // even after delivery, a replay does not queue it again
  auto d = q.due("email", 10, 10);
  q.mark_delivered("email", {d[0].notice.id}, 11);
  CHECK_TRUE(q.enqueue(notice(7), kChannels, 12, err));
  LONGS_EQUAL(0, q.pending("email"));
}

TEST(NotifyQueue, FailureBacksOff) {
  NotifyQueue q(backoff);
  std::string err;
  CHECK_TRUE(q.open(dir.file("q.db"), err));
  q.enqueue(notice(1), {"email"}, 0, err);
  auto d = q.due("email", 0, 10);
  CHECK_TRUE(q.mark_failed("email", {d[0].notice.id}, 100, "connection refused"));
  CHECK_TRUE(q.due("email", 1099, 10).empty());
  d = q.due("email", 1100, 10);
  LONGS_EQUAL(1, d.size());
  LONGS_EQUAL(1, d[0].attempts);
  STRCMP_EQUAL("connection refused", d[0].last_error.c_str());
  q.mark_failed("email", {d[0].notice.id}, 1100, "connection refused");
  CHECK_TRUE(q.due("email", 3099, 10).empty());  // 2 s after the second failure
  LONGS_EQUAL(1, q.due("email", 3100, 10).size());
  LONGS_EQUAL(3100, *q.next_due("email"));
  auto st = q.status();
  LONGS_EQUAL(1, st.size());
  STRCMP_EQUAL("email", st[0].channel.c_str());
  LONGS_EQUAL(1, st[0].pending);
  LONGS_EQUAL(2, st[0].max_attempts);
  STRCMP_EQUAL("connection refused", st[0].last_error.c_str());
}

TEST(NotifyQueue, SurvivesReopen) {
  std::string err;
  int64_t id = 0;
  {
    NotifyQueue q(backoff);
    CHECK_TRUE(q.open(dir.file("q.db"), err));
    q.enqueue(notice(1), kChannels, 0, err);
    q.enqueue(notice(2), kChannels, 0, err);
    auto d = q.due("email", 0, 10);
    id = d[0].notice.id;
    q.mark_delivered("email", {id}, 1);
    q.mark_failed("email", {d[1].notice.id}, 1, "timeout");
  }
  NotifyQueue q(backoff);
  CHECK_TRUE(q.open(dir.file("q.db"), err));
  LONGS_EQUAL(3, q.pending());
  auto d = q.due("email", 5000, 10);
  LONGS_EQUAL(1, d.size());
  STRCMP_EQUAL("alarm:2:2", d[0].notice.key.c_str());
  LONGS_EQUAL(1, d[0].attempts);
  // ids keep growing after a restart (AUTOINCREMENT): no reuse of a delivered id
  q.enqueue(notice(3), kChannels, 6000, err);
  auto all = q.due("snmp:127.0.0.1:162", 6000, 10);
  CHECK(all.back().notice.id > id);
}

TEST(NotifyQueue, OpenFailsWithReason) {
  NotifyQueue q;
  std::string err;
  CHECK_FALSE(q.open("/nonexistent-dir/x/q.db", err));
  CHECK(err.find("/nonexistent-dir/x/q.db") != std::string::npos);
  CHECK_FALSE(q.enqueue(notice(1), kChannels, 0, err));
}

TEST(NotifyQueue, PurgeDropsOnlyFullyDelivered) {
  NotifyQueue q(backoff);
  std::string err;
  CHECK_TRUE(q.open(dir.file("q.db"), err));
  q.enqueue(notice(1), kChannels, 0, err);
  auto d = q.due("email", 0, 10);
  q.mark_delivered("email", {d[0].notice.id}, 10);
  LONGS_EQUAL(1, q.purge_delivered(100));
  LONGS_EQUAL(1, q.pending());  // snmp copy kept, and its notice with it
  LONGS_EQUAL(1, q.due("snmp:127.0.0.1:162", 0, 10).size());
}

TEST(NotifyQueue, PurgeAfterRetentionBoundsTheQueue) {
  NotifyQueue q(backoff);
  std::string err;
  CHECK_TRUE(q.open(dir.file("q.db"), err));
  for (int i = 1; i <= 50; ++i) {
    CHECK_TRUE(q.enqueue(notice(i), kChannels, 1000 + i, err));
    for (const auto& ch : kChannels) CHECK_TRUE(q.mark_delivered(ch, {q.due(ch, 99999, 1)[0].notice.id}, 2000 + i));
  }
  LONGS_EQUAL(0, q.purge_delivered(2000));  // all delivered after: kept
  LONGS_EQUAL(20, q.purge_delivered(2011));  // delivered before 2011: notices 1..10, both channels
  size_t delivered = 0;
  for (const auto& c : q.status()) delivered += c.delivered;
  LONGS_EQUAL(80, delivered);
  LONGS_EQUAL(80, q.purge_delivered(99999));
  CHECK_TRUE(q.status().empty());  // nothing left: the file stops growing
  CHECK_TRUE(q.enqueue(notice(1), kChannels, 5000, err));  // a purged key may come again
  LONGS_EQUAL(2, q.pending());
}

TEST(NotifyQueue, BacklogIsWhatWaitsPerChannel) {
  NotifyQueue q(backoff);
  std::string err;
  CHECK_TRUE(q.open(dir.file("q.db"), err));
  CHECK_TRUE(q.backlog().empty());
  CHECK_TRUE(q.enqueue(notice(1), kChannels, 5000, err));
  CHECK_TRUE(q.enqueue(notice(2), kChannels, 6000, err));
  CHECK_TRUE(q.enqueue(notice(3), kChannels, 7000, err));
  auto d = q.due("email", 99999, 10);
  CHECK_TRUE(q.mark_delivered("email", {d[0].notice.id}, 7100));
  CHECK_TRUE(q.mark_failed("email", {d[1].notice.id, d[2].notice.id}, 7200, "connection refused"));
  auto b = q.backlog();
  LONGS_EQUAL(2, b.size());
  STRCMP_EQUAL("email", b[0].channel.c_str());
  LONGS_EQUAL(2, b[0].pending);
  LONGS_EQUAL(6000, b[0].oldest_pending_ms);  // the delivered one no longer counts
  LONGS_EQUAL(1, b[0].max_attempts);
  STRCMP_EQUAL("connection refused", b[0].last_error.c_str());
  STRCMP_EQUAL("snmp:127.0.0.1:162", b[1].channel.c_str());
  LONGS_EQUAL(3, b[1].pending);
  LONGS_EQUAL(5000, b[1].oldest_pending_ms);
  // The same figures as the full status (which also counts what was delivered).
  for (const auto& c : q.status())
    for (const auto& w : b)
      if (w.channel == c.channel) LONGS_EQUAL(c.pending, w.pending);
}

TEST(NotifyQueue, RemovedChannelsBacklogIsDropped) {
  NotifyQueue q(backoff);
  std::string err;
  CHECK_TRUE(q.open(dir.file("q.db"), err));
  CHECK_TRUE(q.enqueue(notice(1), kChannels, 5000, err));
  CHECK_TRUE(q.enqueue(notice(2), {"email"}, 5001, err));
  CHECK_TRUE(q.mark_delivered("snmp:127.0.0.1:162", {q.due("snmp:127.0.0.1:162", 99999, 1)[0].notice.id}, 5002));
  LONGS_EQUAL(0, q.drop_channels_except(kChannels));  // both still configured
  LONGS_EQUAL(2, q.drop_channels_except({"snmp:127.0.0.1:162"}));  // email removed
  LONGS_EQUAL(0, q.pending());
  CHECK_TRUE(q.backlog().empty());
  auto st = q.status();  // the delivered snmp copy stays (purged after the retention)
  LONGS_EQUAL(1, st.size());
  LONGS_EQUAL(1, st[0].delivered);
  LONGS_EQUAL(1, q.purge_delivered(99999));
  CHECK_TRUE(q.status().empty());  // notice 2 went with its last delivery
  CHECK_TRUE(q.enqueue(notice(3), kChannels, 6000, err));
  LONGS_EQUAL(2, q.drop_channels_except({}));  // no receiver at all
}

TEST(NotifyQueue, NoticeFromAlarmNotification) {
  al::AlarmNotification n;
  n.seq = 9;
  n.transition = al::Transition::cleared;
  n.alarm.id = 4;
  n.alarm.type = al::AlarmType::uplink_link_down;
  n.alarm.object = {al::ObjectKind::uplink, "wan0", "Carrier A"};
  n.alarm.severity = al::Severity::critical;
  n.alarm.text = "raise text";
  n.alarm.clear_text = "clear text";
  n.alarm.changed_ms = 100;
  n.alarm.cleared_ms = 200;
  Notice x = notice_from(n);
  STRCMP_EQUAL("alarm:4:cleared:200", x.key.c_str());
  CHECK_TRUE(x.severity == al::Severity::cleared);
  STRCMP_EQUAL("clear text", x.text.c_str());
  LONGS_EQUAL(200, x.event_ms);
  LONGS_EQUAL(8, int(x.probable_cause));
  STRCMP_EQUAL("link down", x.specific_problem.c_str());
}

// ---------------------------------------------------------------- dispatcher

namespace {
// A receiver that can be up or down and remembers what it got.
class FakeSender : public Sender {
 public:
  explicit FakeSender(std::string ch) : ch_(std::move(ch)) {}
  const std::string& channel() const override { return ch_; }
  size_t batch_limit() const override { return 4; }
  SendOutcome send(const std::vector<Delivery>& due, WallMs) override {
    SendOutcome o;
    for (const Delivery& d : due) {
      if (!up || (fail_after >= 0 && int(o.delivered.size()) >= fail_after)) {
        o.error = "receiver down";
        return o;
      }
      got[d.notice.key]++;
      o.delivered.push_back(d.notice.id);
    }
    return o;
  }
  bool up = true;
  int fail_after = -1;
  std::map<std::string, int> got;

 private:
  std::string ch_;
};
}  // namespace

TEST_GROUP(Dispatcher) {
  TempDir dir;
  WallMs now = 1'000'000;
};

TEST(Dispatcher, DownReceiverGetsEverythingOnceAfterItReturns) {
  NotifyQueue q(Backoff{500, 4000, 2});
  std::string err;
  CHECK_TRUE(q.open(dir.file("q.db"), err));
  Dispatcher disp(q, [this] { return now; });
  auto snmp = std::make_unique<FakeSender>("snmp:x");
  auto mail = std::make_unique<FakeSender>("email");
  FakeSender* s = snmp.get();
  FakeSender* m = mail.get();
  disp.add(std::move(snmp));
  disp.add(std::move(mail));
  s->up = false;
  for (int i = 1; i <= 10; ++i) CHECK_TRUE(disp.enqueue(notice(i), err));

  // mail is up: everything goes out in batches of 4; SNMP backs off
  for (int pass = 0; pass < 3; ++pass) disp.run_once();
  LONGS_EQUAL(10, m->got.size());
  LONGS_EQUAL(10, q.pending("snmp:x"));
  LONGS_EQUAL(0, q.pending("email"));

  // partial success: 2 go, then it breaks; those 2 are not sent again
  s->up = true;
  s->fail_after = 2;
  now += 500;
  auto r = disp.run_once();
  LONGS_EQUAL(2, r.delivered);
  LONGS_EQUAL(2, r.failed);  // the rest of that batch of 4
  LONGS_EQUAL(1, r.errors.size());
  STRCMP_EQUAL("snmp:x: receiver down", r.errors[0].c_str());

  s->fail_after = -1;
  for (int i = 0; i < 40 && q.pending("snmp:x"); ++i) {
    now += 1000;
    disp.run_once();
  }
  LONGS_EQUAL(0, q.pending());
  LONGS_EQUAL(10, s->got.size());
  for (auto& [key, count] : s->got) LONGS_EQUAL_TEXT(1, count, key.c_str());
  for (auto& [key, count] : m->got) LONGS_EQUAL_TEXT(1, count, key.c_str());
}

TEST(Dispatcher, OneDueRetryFlushesTheWholeChannel) {
  NotifyQueue q(Backoff{1000, 60000, 2});
  std::string err;
  CHECK_TRUE(q.open(dir.file("q.db"), err));
  Dispatcher disp(q, [this] { return now; });
  auto mail = std::make_unique<FakeSender>("email");
  FakeSender* m = mail.get();
  disp.add(std::move(mail));
  m->up = false;
  disp.enqueue(notice(1), err);
  disp.run_once();  // fails: next try in 1 s
  now += 1000;
  disp.run_once();  // fails again: next try in 2 s
  disp.enqueue(notice(2), err);
  disp.run_once();  // notice 2 is due now; notice 1 is waiting but goes along
  m->up = true;
  now += 1000;
  disp.enqueue(notice(3), err);
  auto r = disp.run_once();
  LONGS_EQUAL(3, r.delivered);
  LONGS_EQUAL(0, q.pending());
}
