// OptionsProber over loopback against a small scripted SIP responder in the
// test (the unit-test boundary; the real kamailio is in the integration test).
#include "control/probe/options_prober.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <vector>

#include <CppUTest/TestHarness.h>

using namespace tg::probe;

namespace {

constexpr TimeNs ms(uint64_t v) { return v * kNsPerMs; }

// A UDP socket on 127.0.0.1 that answers OPTIONS with a scripted status.
struct Responder {
  int fd = -1;
  uint16_t port = 0;
  int requests = 0;
  std::string last_request;
  Responder() {
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    socklen_t n = sizeof(a);
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
    port = ntohs(a.sin_port);
  }
  ~Responder() { close(); }
  void close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  std::string uri() const { return "sip:127.0.0.1:" + std::to_string(port); }

  static std::string header(const std::string& msg, const char* name) {
    std::string key = std::string("\r\n") + name + ":";
    size_t at = msg.find(key);
    if (at == std::string::npos) return {};
    size_t end = msg.find("\r\n", at + 2);
    return msg.substr(at + 2, end - at - 2);
  }
  // Answers every pending request with `status` (0: stay silent).
  void serve(int status, const char* phrase, const std::string& extra = "") {
    char buf[4096];
    sockaddr_in from{};
    socklen_t n = sizeof(from);
    ssize_t len;
    while ((len = recvfrom(fd, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &n)) > 0) {
      std::string req(buf, size_t(len));
      ++requests;
      last_request = req;
      if (status == 0) continue;
      std::string resp = "SIP/2.0 " + std::to_string(status) + " " + phrase + "\r\n" + header(req, "Via") +
                         "\r\n" + header(req, "From") + "\r\n" + header(req, "To") + ";tag=sbc1\r\n" +
                         header(req, "Call-ID") + "\r\n" + header(req, "CSeq") + "\r\n" + extra +
                         "Content-Length: 0\r\n\r\n";
      sendto(fd, resp.data(), resp.size(), 0, reinterpret_cast<sockaddr*>(&from), n);
    }
  }
};

struct Probe {
  ProbeLoop loop;
  std::unique_ptr<OptionsProber> prober;
  std::vector<ProbeReport> reports;
  explicit Probe(TimeNs timeout = ms(1000)) {
    ProberConfig cfg;
    cfg.bind_address = "127.0.0.1";
    cfg.timeout = timeout;
    std::string error;
    prober = OptionsProber::create(loop, cfg, &error);
    CHECK_TRUE_TEXT(prober != nullptr, error.c_str());
  }
  void send(const std::string& target) {
    std::string error;
    CHECK_TRUE_TEXT(prober->probe(target, [this](const ProbeReport& r) { reports.push_back(r); }, &error),
                    error.c_str());
  }
  // Steps the loop, letting the responder answer, until a report or deadline.
  void wait(Responder* r, int status, const char* phrase, const std::string& extra = "",
            TimeNs limit = ms(5000)) {
    TimeNs deadline = monotonic_ns() + limit;
    size_t want = reports.size() + 1;
    while (reports.size() < want && monotonic_ns() < deadline) {
      loop.step(5);
      if (r) r->serve(status, phrase, extra);
    }
    LONGS_EQUAL(want, reports.size());
  }
};

}  // namespace

TEST_GROUP(OptionsProber){};

TEST(OptionsProber, OkAnswerWithRoundTrip) {
  Responder sbc;
  Probe p;
  p.send(sbc.uri());
  LONGS_EQUAL(1, p.prober->in_flight());
  p.wait(&sbc, 200, "OK");
  const ProbeReport& r = p.reports[0];
  STRCMP_EQUAL("ok", probe_outcome_name(r.result.outcome));
  LONGS_EQUAL(200, r.result.status);
  STRCMP_EQUAL("OK", r.reason.c_str());
  CHECK_FALSE(r.local);
  CHECK_TRUE(r.result.rtt > 0 && r.result.rtt < ms(1000));
  LONGS_EQUAL(0, p.prober->in_flight());
  // The request is a proper out-of-dialog OPTIONS from the bound address.
  CHECK_TRUE(sbc.last_request.rfind("OPTIONS " + sbc.uri() + " SIP/2.0\r\n", 0) == 0);
  CHECK_TRUE(Responder::header(sbc.last_request, "From").find("sip:trunkguard@127.0.0.1") != std::string::npos);
  CHECK_TRUE(Responder::header(sbc.last_request, "From").find(";tag=") != std::string::npos);
  CHECK_TRUE(Responder::header(sbc.last_request, "CSeq").find("OPTIONS") != std::string::npos);
  CHECK_TRUE(p.prober->local_uri().rfind("sip:127.0.0.1:", 0) == 0);
}

TEST(OptionsProber, ServiceUnavailableWithAndWithoutRetryAfter) {
  Responder sbc;
  Probe p;
  p.send(sbc.uri());
  p.wait(&sbc, 503, "Service Unavailable", "Retry-After: 30\r\n");
  p.send(sbc.uri());
  p.wait(&sbc, 503, "Service Unavailable");
  p.send(sbc.uri());
  p.wait(&sbc, 403, "Forbidden");
  STRCMP_EQUAL("overloaded", probe_outcome_name(p.reports[0].result.outcome));
  STRCMP_EQUAL("outage", probe_outcome_name(p.reports[1].result.outcome));
  STRCMP_EQUAL("config", probe_outcome_name(p.reports[2].result.outcome));
  LONGS_EQUAL(503, p.reports[1].result.status);
}

TEST(OptionsProber, SilenceTimesOutAtOurTimeoutNotTimerF) {
  Responder sbc;
  Probe p(ms(300));
  TimeNs start = monotonic_ns();
  p.send(sbc.uri());
  p.wait(&sbc, 0, "");
  TimeNs took = monotonic_ns() - start;
  const ProbeReport& r = p.reports[0];
  STRCMP_EQUAL("timeout", probe_outcome_name(r.result.outcome));
  LONGS_EQUAL(0, r.result.status);
  CHECK_TRUE(took >= ms(290));
  CHECK_TRUE_TEXT(took < ms(2000), std::to_string(took / kNsPerMs).c_str());
  CHECK_TRUE(sbc.requests >= 1);
  LONGS_EQUAL(0, p.prober->in_flight());
}

// A reload shortens the timeout of a running agent: the next probe uses it.
TEST(OptionsProber, SetTimeoutAppliesToTheNextProbe) {
  Responder sbc;
  Probe p(ms(5000));
  p.prober->set_timeout(ms(300));
  TimeNs start = monotonic_ns();
  p.send(sbc.uri());
  p.wait(&sbc, 0, "");
  TimeNs took = monotonic_ns() - start;
  STRCMP_EQUAL("timeout", probe_outcome_name(p.reports[0].result.outcome));
  CHECK_TRUE(took >= ms(290));
  CHECK_TRUE_TEXT(took < ms(2000), std::to_string(took / kNsPerMs).c_str());
}

TEST(OptionsProber, ClosedPortIsAFailureBeforeOrAtTimeout) {
  Responder gone;
  std::string uri = gone.uri();
  gone.close();
  Probe p(ms(500));
  p.send(uri);
  p.wait(nullptr, 0, "");
  ProbeOutcome o = p.reports[0].result.outcome;
  CHECK_TRUE_TEXT(o == ProbeOutcome::unreachable || o == ProbeOutcome::timeout, probe_outcome_name(o));
  CHECK_FALSE(probe_success(o));
}

TEST(OptionsProber, ManyInFlightEachAnsweredOnce) {
  Responder sbc;
  Probe p;
  for (int i = 0; i < 5; ++i) p.send(sbc.uri());
  LONGS_EQUAL(5, p.prober->in_flight());
  TimeNs deadline = monotonic_ns() + ms(5000);
  while (p.reports.size() < 5 && monotonic_ns() < deadline) {
    p.loop.step(5);
    sbc.serve(200, "OK");
  }
  LONGS_EQUAL(5, p.reports.size());
  // Nothing more arrives later (retransmitted 200s are absorbed by the transaction).
  for (int i = 0; i < 20; ++i) {
    p.loop.step(5);
    sbc.serve(200, "OK");
  }
  LONGS_EQUAL(5, p.reports.size());
}

TEST(OptionsProber, RejectsBadTargetAndUnbindableAddress) {
  Probe p;
  std::string error;
  CHECK_FALSE(p.prober->probe("mailto:noc@example.org", [](const ProbeReport&) {}, &error));
  CHECK_FALSE(error.empty());
  LONGS_EQUAL(0, p.prober->in_flight());

  ProberConfig cfg;
  cfg.bind_address = "192.0.2.250";  // not an address of this host
  std::string bind_error;
  CHECK_TRUE(OptionsProber::create(p.loop, cfg, &bind_error) == nullptr);
  CHECK_TRUE(bind_error.find("192.0.2.250") != std::string::npos);
}

TEST(OptionsProber, DestroyedWithProbesInFlightCallsNothing) {
  Responder sbc;
  ProbeLoop loop;
  int calls = 0;
  {
    ProberConfig cfg;
    cfg.bind_address = "127.0.0.1";
    auto prober = OptionsProber::create(loop, cfg, nullptr);
    CHECK_TRUE(prober != nullptr);
    CHECK_TRUE(prober->probe(sbc.uri(), [&](const ProbeReport&) { ++calls; }));
  }
  for (int i = 0; i < 20; ++i) {
    loop.step(5);
    sbc.serve(200, "OK");
  }
  LONGS_EQUAL(0, calls);
}

// A target our agent has no transport for ([::1] from an IPv4-bound agent):
// sofia fails at once, inside nta_outgoing_tcreate; the report must still
// come from the loop, never from inside probe(). No packet leaves the host.
TEST(OptionsProber, ImmediateLocalFailureIsReportedFromTheLoop) {
  Probe p;
  bool inside = false, called_inside = false;
  std::vector<ProbeReport> got;
  std::string error;
  inside = true;
  bool sent = p.prober->probe("sip:[::1]:5", [&](const ProbeReport& r) {
    called_inside |= inside;
    got.push_back(r);
  }, &error);
  inside = false;
  CHECK_FALSE(called_inside);
  if (!sent) {
    CHECK_FALSE(error.empty());  // refused up front: also fine, but said why
    return;
  }
  TimeNs deadline = monotonic_ns() + ms(3000);
  while (got.empty() && monotonic_ns() < deadline) p.loop.step(5);
  LONGS_EQUAL(1, got.size());
  CHECK_FALSE(probe_success(got[0].result.outcome));
  LONGS_EQUAL(0, p.prober->in_flight());
}
