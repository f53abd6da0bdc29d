#include "control/mgmt/server.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <thread>

#include "control/mgmt/client.hpp"
#include "control/mgmt/protocol.hpp"

// CppUTest last: its leak detector redefines new.
#include <CppUTest/TestHarness.h>

using namespace tg::mgmt;

TEST_GROUP(Server) {
  std::string dir, path;
  Server server;
  std::atomic<bool> stop{false};
  std::thread loop;
  void setup() override {
    char tmpl[] = "/tmp/tg-mgmt-test.XXXXXX";
    dir = mkdtemp(tmpl);
    path = dir + "/sub/mgmt.sock";
    server.set_policy(AccessPolicy::resolve("root", ""));
    server.set_handler([](const Peer& p, Role r, std::string_view line) {
      return ok_response(nullptr, Json{{"echo", std::string(line)}, {"user", p.user}, {"role", role_name(r)}});
    });
  }
  void start() {
    loop = std::thread([this] {
      while (!stop) server.run_once(5);
    });
  }
  void teardown() override {
    stop = true;
    if (loop.joinable()) loop.join();
    server.close();
    CHECK(std::system(("rm -rf '" + dir + "'").c_str()) == 0);
  }
};

TEST(Server, AnswersOneLinePerRequestWithPeerIdentity) {
  std::string why;
  CHECK_TRUE_TEXT(server.listen(path, why), why.c_str());
  start();
  Client c;
  CHECK_TRUE_TEXT(c.connect(path, why), why.c_str());
  std::string line;
  CHECK(c.raw("first\nsecond\n", line, why));
  Json j = Json::parse(line);
  STRCMP_EQUAL("first", j["result"]["echo"].get<std::string>().c_str());
  STRCMP_EQUAL("admin", j["result"]["role"].get<std::string>().c_str());
  CHECK(c.read_line(line, why, 2000));
  STRCMP_EQUAL("second", Json::parse(line)["result"]["echo"].get<std::string>().c_str());
  Json resp;
  CHECK(c.call("hello", Json::object(), resp, why));
  CHECK(resp["result"]["echo"].get<std::string>().find("\"cmd\":\"hello\"") != std::string::npos);
}

TEST(Server, OverlongLineIsRefusedAndTheConnectionClosed) {
  std::string why;
  CHECK(server.listen(path, why));
  start();
  Client c;
  CHECK(c.connect(path, why));
  std::string line;
  CHECK(c.raw(std::string(kMaxLineBytes + 10, 'x'), line, why));
  STRCMP_EQUAL("too_long", Json::parse(line)["error"]["code"].get<std::string>().c_str());
  CHECK_FALSE(c.read_line(line, why, 2000));
  STRCMP_EQUAL("tg-controld closed the connection", why.c_str());
}

TEST(Server, StaleSocketIsReplacedLiveOneIsNot) {
  std::string why;
  CHECK(server.listen(path, why));
  Server second;
  CHECK_FALSE(second.listen(path, why));
  STRCMP_CONTAINS("another tg-controld is running", why.c_str());
  // A crashed daemon leaves the file behind without a listener.
  int fd = server.clients() == 0 ? 0 : -1;
  LONGS_EQUAL(0, fd);
  server.close();
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
  CHECK(bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  close(s);  // file stays, nobody listens
  CHECK_TRUE_TEXT(second.listen(path, why), why.c_str());
  second.close();
}

TEST(Server, NotASocketIsAnError) {
  std::string why;
  CHECK(std::system(("mkdir -p '" + dir + "/sub' && touch '" + path + "'").c_str()) == 0);
  CHECK_FALSE(server.listen(path, why));
  STRCMP_CONTAINS("exists and is not a socket", why.c_str());
}

TEST(Server, ClientReportsAnAbsentDaemonPlainly) {
  Client c;
  std::string why;
  CHECK_FALSE(c.connect(dir + "/nothing.sock", why));
  STRCMP_CONTAINS("nothing.sock: No such file or directory", why.c_str());
}

TEST(Server, TooManyClientsGetBusy) {
  std::string why;
  CHECK(server.listen(path, why));
  start();
  std::vector<std::unique_ptr<Client>> clients;
  for (size_t i = 0; i < Server::kMaxClients; ++i) {
    clients.push_back(std::make_unique<Client>());
    CHECK(clients.back()->connect(path, why));
    Json r;
    CHECK(clients.back()->call("hello", Json::object(), r, why));
  }
  Client extra;
  CHECK(extra.connect(path, why));
  std::string line;
  CHECK(extra.read_line(line, why, 2000));
  STRCMP_EQUAL("busy", Json::parse(line)["error"]["code"].get<std::string>().c_str());
}

// A deferred answer: the loop serves other clients meanwhile, and the
// deferring client's next request waits behind it (answers stay in order).
TEST(Server, DeferredAnswerLetsOthersThroughAndKeepsOrder) {
  Server::Reply held;
  server.set_handler([&](const Peer&, Role, std::string_view line) -> std::string {
    if (line == "slow") {
      held = server.defer();
      return "";
    }
    if (line == "release" && held) {
      held("slow-done\n");
      held = nullptr;
    }
    return std::string(line) + "-done\n";
  });
  std::string why;
  CHECK_TRUE_TEXT(server.listen(path, why), why.c_str());
  start();
  Client a, b;
  CHECK_TRUE_TEXT(a.connect(path, why), why.c_str());
  CHECK_TRUE_TEXT(b.connect(path, why), why.c_str());
  std::atomic<bool> a_answered{false};
  std::string a1, a2, why_a;
  bool a_ok = false;
  std::thread ta([&] {
    a_ok = a.raw("slow\nafter\n", a1, why_a, 5000) && a.read_line(a2, why_a, 5000);
    a_answered = true;
  });
  std::string line;
  usleep(100'000);
  CHECK_FALSE(a_answered.load());  // nothing yet: it waits
  CHECK_TRUE_TEXT(b.raw("hello\n", line, why, 2000), why.c_str());  // another client is served meanwhile
  STRCMP_EQUAL("hello-done", line.c_str());
  CHECK_FALSE(a_answered.load());
  CHECK_TRUE_TEXT(b.raw("release\n", line, why, 2000), why.c_str());
  STRCMP_EQUAL("release-done", line.c_str());
  ta.join();
  CHECK_TRUE_TEXT(a_ok, why_a.c_str());
  STRCMP_EQUAL("slow-done", a1.c_str());
  STRCMP_EQUAL("after-done", a2.c_str());  // answered after the deferred one, not before
}
