
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "control/notify/format.hpp"
#include "control/notify/smtp.hpp"
#include "control/notify/snmp.hpp"
#include "control/notify/syslog.hpp"

#include <CppUTest/TestHarness.h>  // last: its new/delete macros break std headers

using namespace tg::notify;
namespace al = tg::alarm;

namespace {

Notice blackhole(int64_t id, WallMs created = 0) {
  Notice n;
  n.id = id;
  n.key = "alarm:" + std::to_string(id) + ":1";
  n.created_ms = created;
  n.event_ms = 1795428754123;  // 2026-11-23T10:12:34.123Z
  n.alarm_id = 12;
  n.type = al::AlarmType::uplink_blackhole;
  n.object_kind = al::ObjectKind::uplink;
  n.object_name = "wan0";
  n.object_label = "Carrier A";
  n.severity = al::Severity::critical;
  n.event_type = al::EventType::communicationsAlarm;
  n.probable_cause = al::ProbableCause::receiveFailure;
  n.specific_problem = "silent blackhole";
  n.text = "wan0 (Carrier A) silent blackhole: no RTP on 12 calls for 180 ms; traffic switched to wan1 "
           "(Carrier B) in 212 ms; 12 calls affected";
  n.calls_affected = 12;
  return n;
}

std::vector<Delivery> deliveries(std::vector<Notice> v, uint32_t attempts = 0) {
  std::vector<Delivery> d;
  for (auto& n : v) {
    Delivery x;
    x.notice = n;
    x.channel = "email";
    x.attempts = attempts;
    d.push_back(x);
  }
  return d;
}

class FakeTransport : public MailTransport {
 public:
  std::string send(const SmtpOptions&, const std::string& message) override {
    if (!error.empty()) return error;
    mails.push_back(message);
    return "";
  }
  std::string error;
  std::vector<std::string> mails;
};

SmtpOptions mail_opts() {
  SmtpOptions o;
  o.url = "smtp://127.0.0.1:2525";
  o.starttls = "none";
  o.from = "gw1@example.net";
  o.recipients = {"noc@example.net", "oncall@example.net"};
  o.rate_limit_per_hour = 60;  // one per minute
  o.burst = 2;
  o.group_window_s = 10;
  o.box_name = "gw1";
  return o;
}

}  // namespace

TEST_GROUP(Format){};

TEST(Format, SingleMailCarriesTextAndX733Fields) {
  MailMessage m = format_mail({blackhole(5)}, "gw1");
  STRCMP_EQUAL("[TrunkGuard gw1] CRITICAL raised: wan0 (Carrier A) silent blackhole", m.subject.c_str());
  STRCMP_EQUAL("<tg-5@gw1>", m.message_id.c_str());
  CHECK(m.body.rfind(blackhole(5).text + "\r\n", 0) == 0);
  CHECK(m.body.find("Probable cause:   receiveFailure (17)\r\n") != std::string::npos);
  CHECK(m.body.find("Time:             2026-11-23T10:12:34.123Z\r\n") != std::string::npos);
  std::string wire = render_mail(m, "gw1@example.net", {"a@example.net", "b@example.net"}, 1795428754123);
  CHECK(wire.find("Date: Mon, 23 Nov 2026 10:12:34 +0000\r\n") != std::string::npos);
  CHECK(wire.find("To: a@example.net, b@example.net\r\n") != std::string::npos);
  CHECK(wire.find("\r\n\r\n" + blackhole(5).text) != std::string::npos);
}

TEST(Format, DigestListsEveryNotice) {
  Notice a = blackhole(5), b = blackhole(6), c = blackhole(7);
  b.severity = al::Severity::cleared;
  b.transition = al::Transition::cleared;
  b.text = "wan0 (Carrier A) silent blackhole cleared after 2 min";
  c.grouped = true;
  MailMessage m = format_mail({a, b, c}, "gw1");
  STRCMP_EQUAL("[TrunkGuard gw1] 3 alarm notifications (2 critical, 1 cleared) during an alarm storm",
               m.subject.c_str());
  STRCMP_EQUAL("<tg-5-7@gw1>", m.message_id.c_str());
  CHECK(m.body.find("CLEARED cleared #12  wan0 (Carrier A) silent blackhole cleared after 2 min\r\n") !=
        std::string::npos);
}

TEST(Format, SyslogRfc5424) {
  Notice n = blackhole(5);
  n.object_name = "wan\"0]";
  std::string s = format_syslog(n, syslog_facility_code("local0"), "gw1", "trunkguard", 77);
  // local0 (16) * 8 + crit (2) = 130
  STRCMP_EQUAL(
      ("<130>1 2026-11-23T10:12:34.123Z gw1 trunkguard 77 ALARM [tgAlarm@32473 id=\"12\" notice=\"5\" "
      "state=\"raised\" type=\"uplink_blackhole\" object=\"wan\\\"0\\]\" objectKind=\"uplink\" "
      "severity=\"critical\" eventType=\"communicationsAlarm\" probableCause=\"17\" calls=\"12\"] " +
          std::string(blackhole(5).text)).c_str(),
      s.c_str());
  LONGS_EQUAL(-1, syslog_facility_code("local8"));
  LONGS_EQUAL(3, syslog_facility_code("daemon"));
  LONGS_EQUAL(5, syslog_severity(al::Severity::cleared));
}

TEST(Format, DateAndTime) {
  auto d = date_and_time(1795428754123);
  LONGS_EQUAL(2026, d[0] * 256 + d[1]);
  LONGS_EQUAL(11, d[2]);
  LONGS_EQUAL(23, d[3]);
  LONGS_EQUAL(10, d[4]);
  LONGS_EQUAL(12, d[5]);
  LONGS_EQUAL(34, d[6]);
  LONGS_EQUAL(1, d[7]);
  LONGS_EQUAL('+', d[8]);
}

TEST_GROUP(SmtpPacing){};

TEST(SmtpPacing, FirstGoesAtOnceThenGroupWindowCollects) {
  auto t = std::make_unique<FakeTransport>();
  FakeTransport* tr = t.get();
  SmtpSender s(mail_opts(), std::move(t));
  LONGS_EQUAL(1, s.send(deliveries({blackhole(1, 1000)}), 1000).delivered.size());
  auto due = deliveries({blackhole(2, 3000), blackhole(3, 5000)});
  SendOutcome o = s.send(due, 10'999);
  CHECK_TRUE(o.delivered.empty() && o.error.empty());  // within 10 s of the last mail
  o = s.send(due, 11'000);
  LONGS_EQUAL(2, o.delivered.size());
  LONGS_EQUAL(2, tr->mails.size());
  CHECK(tr->mails[0].find("Subject: [TrunkGuard gw1] CRITICAL raised: wan0 (Carrier A) silent blackhole") !=
        std::string::npos);
  CHECK(tr->mails[1].find("Subject: [TrunkGuard gw1] 2 alarm notifications") != std::string::npos);
}

TEST(SmtpPacing, RateLimitTurnsAStormIntoDigests) {
  auto t = std::make_unique<FakeTransport>();
  FakeTransport* tr = t.get();
  SmtpOptions o = mail_opts();
  o.group_window_s = 0;
  SmtpSender s(o, std::move(t));
  WallMs now = 100'000;
  // burst of 2 single mails, then the bucket is empty
  LONGS_EQUAL(1, s.send(deliveries({blackhole(1)}), now).delivered.size());
  LONGS_EQUAL(1, s.send(deliveries({blackhole(2)}), now).delivered.size());
  std::vector<Notice> storm;
  for (int i = 3; i < 40; ++i) storm.push_back(blackhole(i));
  SendOutcome r = s.send(deliveries(storm), now + 30'000);
  CHECK_TRUE(r.delivered.empty() && r.error.empty());  // held: half a token
  r = s.send(deliveries(storm), now + 60'000);           // one token: one digest with all 37
  LONGS_EQUAL(37, r.delivered.size());
  LONGS_EQUAL(3, tr->mails.size());
  CHECK(tr->mails[2].find("37 alarm notifications") != std::string::npos);
}

// The lab's e2e_alarms run at 10:27:07: group_window_s = 0 ("one mail per
// notification"), tokens to spare; three notices queued while the previous
// mail was on the wire (a clear, a major raise, the change to critical).
// They went out as one digest without the critical alarm's own subject and
// X.733 fields, so a NOC rule on "Severity: critical" never saw it.
TEST(SmtpPacing, NoGroupWindowNoticesQueuedMeanwhileGoOneMailEach) {
  auto t = std::make_unique<FakeTransport>();
  FakeTransport* tr = t.get();
  SmtpOptions o = mail_opts();
  o.group_window_s = 0;
  o.rate_limit_per_hour = 3600;
  o.burst = 5;
  SmtpSender s(o, std::move(t));
  LONGS_EQUAL(1, s.send(deliveries({blackhole(10)}), 7'471).delivered.size());
  Notice cleared = blackhole(11), major = blackhole(12), critical = blackhole(13);
  cleared.transition = al::Transition::cleared;
  cleared.severity = al::Severity::cleared;
  major.severity = al::Severity::major;
  critical.transition = al::Transition::changed;
  critical.text = "carrierA SIP trunk unreachable: no failover (no uplink reaches it)";
  SendOutcome r = s.send(deliveries({cleared, major, critical}), 8'069);
  CHECK_TRUE(r.error.empty());
  LONGS_EQUAL(3, r.delivered.size());
  LONGS_EQUAL(4, tr->mails.size());
  CHECK(tr->mails[3].find("Subject: [TrunkGuard gw1] CRITICAL changed: ") != std::string::npos);
  CHECK(tr->mails[3].find("Severity:         critical\r\n") != std::string::npos);
  CHECK(tr->mails[3].find("no uplink reaches it") != std::string::npos);
  // Fewer tokens than notices: the rate limit still makes one digest.
  std::vector<Notice> many;
  for (int i = 14; i < 20; ++i) many.push_back(blackhole(i));
  r = s.send(deliveries(many), 8'070);
  LONGS_EQUAL(6, r.delivered.size());
  LONGS_EQUAL(5, tr->mails.size());
  CHECK(tr->mails[4].find("6 alarm notifications") != std::string::npos);
}

// A failure part-way: the mails sent stay delivered, the rest is retried.
TEST(SmtpPacing, OneMailEachStopsAtTheFirstFailure) {
  class FailSecond : public MailTransport {
   public:
    std::string send(const SmtpOptions&, const std::string&) override { return ++n == 2 ? "421 busy" : ""; }
    int n = 0;
  };
  SmtpOptions o = mail_opts();
  o.group_window_s = 0;
  o.burst = 5;
  SmtpSender s(o, std::make_unique<FailSecond>());
  SendOutcome r = s.send(deliveries({blackhole(1), blackhole(2), blackhole(3)}), 1000);
  LONGS_EQUAL(1, r.delivered.size());
  LONGS_EQUAL(1, r.delivered[0]);
  STRCMP_EQUAL("421 busy", r.error.c_str());
}

TEST(SmtpPacing, ErrorFailsBatchAndRetryIsNotHeld) {
  auto t = std::make_unique<FakeTransport>();
  FakeTransport* tr = t.get();
  SmtpSender s(mail_opts(), std::move(t));
  tr->error = "smtp://127.0.0.1:2525: Couldn't connect to server";
  SendOutcome r = s.send(deliveries({blackhole(1, 0)}), 20'000);
  STRCMP_EQUAL("smtp://127.0.0.1:2525: Couldn't connect to server", r.error.c_str());
  CHECK_TRUE(r.delivered.empty());
  tr->error.clear();
  r = s.send(deliveries({blackhole(2, 20'000)}), 20'000);  // first mail: not held
  LONGS_EQUAL(1, r.delivered.size());
  r = s.send(deliveries({blackhole(3, 21'000)}), 22'000);  // fresh, inside the window: held
  CHECK_TRUE(r.delivered.empty() && r.error.empty());
  // a retry goes at once even inside the group window of the last mail
  r = s.send(deliveries({blackhole(3, 21'000)}, 1), 22'000);
  LONGS_EQUAL(1, r.delivered.size());
}

TEST(SmtpPacing, Validation) {
  SmtpOptions o = mail_opts();
  STRCMP_EQUAL("", validate(o).c_str());
  o.url = "http://x";
  CHECK(!validate(o).empty());
  o = mail_opts();
  o.recipients.clear();
  STRCMP_EQUAL("no recipients", validate(o).c_str());
}

TEST_GROUP(SnmpOptions){};

TEST(SnmpOptions, Validation) {
  SnmpOptions o;
  o.target = "127.0.0.1:1162";
  STRCMP_EQUAL("", validate(o).c_str());
  o.version = "v3";
  STRCMP_EQUAL("v3 needs a user", validate(o).c_str());
  o.user = "noc";
  o.auth_key = "short";
  STRCMP_EQUAL("auth_key must have 8 characters or more", validate(o).c_str());
  o.auth_key = "authpass123";
  o.priv_key = "privpass123";
  STRCMP_EQUAL("", validate(o).c_str());
  o.priv_protocol = "ROT13";
  CHECK(!validate(o).empty());
  o.priv_protocol = "AES";
  o.engine_id = "0x80001f88zz";
  STRCMP_EQUAL("engine_id must be 5..32 bytes in hex", validate(o).c_str());
  o.engine_id = "0x8000000001020304";
  STRCMP_EQUAL("", validate(o).c_str());
}

TEST(SnmpOptions, ChannelNameDefaultsPort) {
  SnmpOptions o;
  o.target = "192.0.2.9";
  SnmpSender s(o);
  STRCMP_EQUAL("snmp:192.0.2.9:162", s.channel().c_str());
}

TEST_GROUP(Syslog){};

TEST(Syslog, TcpRefusedIsAFailedDelivery) {
  SyslogOptions o;
  o.remote = "tcp://127.0.0.1:1";  // nothing listens on port 1
  SyslogSender s(o);
  SendOutcome r = s.send(deliveries({blackhole(1)}), 0);
  CHECK_TRUE(r.delivered.empty());
  CHECK(r.error.find("tcp://127.0.0.1:1") != std::string::npos);
  o.remote = "ftp://x";
  CHECK(!validate(o).empty());
}

TEST(Syslog, TcpOctetCountedFramesReachTheCollector) {
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  CHECK_EQUAL(0, bind(ls, reinterpret_cast<sockaddr*>(&sa), sizeof sa));
  socklen_t len = sizeof sa;
  getsockname(ls, reinterpret_cast<sockaddr*>(&sa), &len);
  CHECK_EQUAL(0, listen(ls, 4));
  SyslogOptions o;
  o.remote = "tcp://127.0.0.1:" + std::to_string(ntohs(sa.sin_port));
  o.hostname = "gw1";
  o.facility = "local0";
  SyslogSender s(o);
  SendOutcome r = s.send(deliveries({blackhole(1), blackhole(2)}), 0);
  LONGS_EQUAL(2, r.delivered.size());
  std::string err;
  CHECK_TRUE(s.log_event(1795428754123, 5, "FAILOVER", "wan0", "traffic switched from wan0 to wan1 in 212 ms", err));
  int c = accept(ls, nullptr, nullptr);
  CHECK(c >= 0);
  std::string got;
  char buf[4096];
  // three frames; read until the last one is complete
  while (got.find("in 212 ms") == std::string::npos) {
    ssize_t n = read(c, buf, sizeof buf);
    if (n <= 0) break;
    got.append(buf, size_t(n));
  }
  close(c);
  close(ls);
  // RFC 6587: "LEN SP MSG", MSG exactly LEN octets
  size_t pos = 0;
  std::vector<std::string> frames;
  while (pos < got.size()) {
    size_t sp = got.find(' ', pos);
    size_t n = std::stoul(got.substr(pos, sp - pos));
    frames.push_back(got.substr(sp + 1, n));
    pos = sp + 1 + n;
  }
  LONGS_EQUAL(3, frames.size());
  CHECK(frames[0].rfind("<130>1 2026-11-23T10:12:34.123Z gw1 trunkguard ", 0) == 0);
  CHECK(frames[1].find("notice=\"2\"") != std::string::npos);
  CHECK(frames[2].rfind("<133>1 2026-11-23T10:12:34.123Z gw1 trunkguard ", 0) == 0);
  CHECK(frames[2].find(" FAILOVER [tgEvent@32473 object=\"wan0\"] traffic switched from wan0 to wan1 in 212 ms") !=
        std::string::npos);
}
