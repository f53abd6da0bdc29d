// Capture writer and the capture commands: slots become pcap records with
// wall-clock nanosecond timestamps and their original length; packet, byte
// and duration bounds end a capture (fake clock); slots of an older capture
// are skipped; the console commands check their arguments (nothing starts
// on a bad one), start the fast path's capture, stop it, and the daemon
// stops it by itself at a bound.
#include "control/daemon/capture_writer.hpp"

#include <pcap/pcap.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "control/config/atomic_file.hpp"
#include "control/daemon/controller.hpp"
#include "tests/unit/control/daemon/fake_fastpath.hpp"

// CppUTest last: its leak detector redefines new.
#include <CppUTest/TestHarness.h>

using namespace tg;
using namespace tg::controld;
using mgmt::Json;

namespace {

struct Ring {
  explicit Ring(uint32_t cap) : words(api::CaptureLayout::bytes_for(cap) / 8 + 1, 0) {
    h = api::CaptureLayout::init(words.data(), cap, 1, 0);
    producer.bind(h);
  }
  std::vector<uint64_t> words;
  api::CaptureHeader* h;
  api::CaptureProducer producer;
  // Starts capture `id` in the fast path's role; fast path clock 0 = wall 1.7e18 ns.
  void start(uint32_t id, uint32_t snaplen = api::kCaptureMaxSnap, uint8_t classes = 0) {
    api::Command c = api::make_command(api::CommandKind::capture_start, api::kNoUplink, 1, 0);
    c.capture.capture_id = id;
    c.capture.snaplen = snaplen;
    c.capture.classes = classes;
    CHECK(producer.apply(c, 0, 1'700'000'000'000'000'000, 3) == api::CommandResult::ok);
  }
  void packet(uint16_t len, uint64_t t_ns, uint8_t tag) {
    std::vector<uint8_t> f(len, 0);
    f[12] = 0x08;
    f[14] = 0x45;
    f[len - 1] = tag;
    producer.offer(f.data(), len, t_ns, 0, api::CaptureDirection::outbound, api::CaptureClass::rtp);
  }
};

struct Record {
  uint64_t ts_ns;
  uint32_t caplen, len;
  uint8_t last;
};

std::vector<Record> read_pcap(const std::string& path, int* precision = nullptr) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
  CHECK_TEXT(p != nullptr, err);
  std::vector<Record> out;
  pcap_pkthdr* h;
  const u_char* d;
  while (pcap_next_ex(p, &h, &d) == 1)
    out.push_back({uint64_t(h->ts.tv_sec) * 1'000'000'000ull + uint64_t(h->ts.tv_usec), h->caplen, h->len,
                   d[h->caplen - 1]});
  LONGS_EQUAL(DLT_EN10MB, pcap_datalink(p));
  if (precision) *precision = pcap_get_tstamp_precision(p);
  pcap_close(p);
  return out;
}

std::string temp_dir() {
  char tmpl[] = "/tmp/tg-capture-test.XXXXXX";
  return mkdtemp(tmpl);
}

}  // namespace

TEST_GROUP(CaptureWriter) {
  std::string dir;
  void setup() override { dir = temp_dir(); }
  void teardown() override { CHECK(std::system(("rm -rf '" + dir + "'").c_str()) == 0); }
  CaptureCaps caps(uint64_t packets = 1000, uint64_t bytes = 1 << 20, uint32_t duration = 60) {
    return {dir + "/caps", packets, bytes, duration};
  }
};

TEST(CaptureWriter, SlotsBecomePcapRecordsWithWallClockNanoseconds) {
  Ring ring(16);
  CaptureWriter w("", caps());
  w.attach(ring.h);
  CaptureSpec spec;
  std::string why;
  CHECK_TRUE_TEXT(w.check(spec, why), why.c_str());
  LONGS_EQUAL(60, spec.duration_s);  // 0 = the cap
  CHECK_TRUE_TEXT(w.begin(spec, 5, 0, 1'700'000'000'000, why), why.c_str());
  ring.start(5, 100);
  for (uint8_t i = 0; i < 40; ++i) {  // more than the ring holds: drained as it goes
    ring.packet(uint16_t(i % 2 ? 300 : 60), 1'000'000ull * i + 123, i);
    if (i % 8 == 7) CHECK_FALSE(w.drain(1'000'000ull * i));
  }
  CHECK_TRUE(w.running());
  Json st = w.status(40'000'000);
  STRCMP_EQUAL("running", st["state"].get<std::string>().c_str());
  LONGS_EQUAL(40, st["packets"].get<int>());
  LONGS_EQUAL(0, st["drops"].get<int>());
  ring.producer.apply(api::make_command(api::CommandKind::capture_stop, api::kNoUplink, 2, 0), 50, 0, 3);
  w.finish(50'000'000, CaptureEnd::stopped);
  CHECK_FALSE(w.running());
  st = w.status(60'000'000);
  STRCMP_EQUAL("stopped", st["state"].get<std::string>().c_str());
  STRCMP_EQUAL("stopped", st["end"].get<std::string>().c_str());
  LONGS_EQUAL(20, st["truncated"].get<int>());  // the 300-byte ones, cut to 100
  const std::string file = st["file"].get<std::string>();
  STRCMP_EQUAL((dir + "/caps/capture-20231114T221320Z-5.pcap").c_str(), file.c_str());
  int precision = -1;
  auto recs = read_pcap(file, &precision);
  LONGS_EQUAL(PCAP_TSTAMP_PRECISION_NANO, precision);
  LONGS_EQUAL(40, recs.size());
  for (uint8_t i = 0; i < 40; ++i) {
    LONGS_EQUAL(1'700'000'000'000'000'000ull + 1'000'000ull * i + 123, recs[i].ts_ns);
    LONGS_EQUAL(i % 2 ? 300 : 60, recs[i].len);
    LONGS_EQUAL(i % 2 ? 100 : 60, recs[i].caplen);
    if (i % 2 == 0) LONGS_EQUAL(i, recs[i].last);
  }
  LONGS_EQUAL(24 + 20 * (16 + 60) + 20 * (16 + 100), st["bytes"].get<int>());
  struct stat sb {};
  CHECK(stat(file.c_str(), &sb) == 0);
  LONGS_EQUAL(st["bytes"].get<long>(), sb.st_size);
  LONGS_EQUAL(0640, sb.st_mode & 0777);  // call audio: not for everyone
}

TEST(CaptureWriter, PacketByteAndDurationBoundsEndTheCapture) {
  std::string why;
  {
    Ring ring(64);
    CaptureWriter w("", caps(10));
    w.attach(ring.h);
    CaptureSpec s;
    s.packets = 5;
    CHECK(w.check(s, why));
    CHECK(w.begin(s, 1, 0, 0, why));
    ring.start(1);
    for (uint8_t i = 0; i < 8; ++i) ring.packet(60, i, i);
    CHECK_TRUE(w.drain(1));
    CHECK(w.limit() == CaptureEnd::packets);
    w.finish(2, CaptureEnd::stopped);
    Json st = w.status(3);
    STRCMP_EQUAL("packets", st["end"].get<std::string>().c_str());
    LONGS_EQUAL(5, read_pcap(st["file"]).size());
    LONGS_EQUAL(3, st["over_limit"].get<int>());
  }
  {
    Ring ring(64);
    CaptureWriter w("", caps());
    w.attach(ring.h);
    CaptureSpec s;
    s.bytes = 24 + 3 * (16 + 100) + 50;  // three records and part of a fourth
    CHECK(w.check(s, why));
    CHECK(w.begin(s, 2, 0, 0, why));
    ring.start(2);
    for (uint8_t i = 0; i < 6; ++i) ring.packet(100, i, i);
    CHECK_TRUE(w.drain(1));
    w.finish(2, CaptureEnd::stopped);
    Json st = w.status(3);
    STRCMP_EQUAL("bytes", st["end"].get<std::string>().c_str());
    LONGS_EQUAL(3, read_pcap(st["file"]).size());
    CHECK(st["bytes"].get<uint64_t>() <= s.bytes);
  }
  {
    Ring ring(64);
    CaptureWriter w("", caps());
    w.attach(ring.h);
    CaptureSpec s;
    s.duration_s = 5;
    CHECK(w.check(s, why));
    CHECK(w.begin(s, 3, 1'000'000'000, 0, why));
    ring.start(3);
    CHECK_FALSE(w.drain(5'999'999'999));
    ring.packet(60, 1, 1);
    CHECK_TRUE(w.drain(6'000'000'000));
    w.finish(6'000'000'000, CaptureEnd::stopped);
    Json st = w.status(7'000'000'000);
    STRCMP_EQUAL("duration", st["end"].get<std::string>().c_str());
    DOUBLES_EQUAL(5.0, st["elapsed_s"].get<double>(), 1e-9);
    LONGS_EQUAL(1, st["packets"].get<int>());
  }
}

TEST(CaptureWriter, RequestsAboveTheCapsAreRefusedAndOldSlotsSkipped) {
  CaptureWriter w("", caps(100, 1 << 20, 60));
  std::string why;
  CaptureSpec s;
  s.duration_s = 61;
  CHECK_FALSE(w.check(s, why));
  STRCMP_EQUAL("duration 61 s is above the limit 60 s (capture.max_duration_s)", why.c_str());
  s = {};
  s.packets = 101;
  CHECK_FALSE(w.check(s, why));
  STRCMP_CONTAINS("capture.max_packets", why.c_str());
  s = {};
  s.bytes = 30;
  CHECK_FALSE(w.check(s, why));
  STRCMP_CONTAINS("no room", why.c_str());
  s = {};
  s.snaplen = api::kCaptureMaxSnap + 1;
  CHECK_FALSE(w.check(s, why));

  // Unread slots of an earlier capture, and late ones, are not this file's.
  Ring ring(16);
  w.attach(ring.h);
  ring.start(7);
  for (uint8_t i = 0; i < 3; ++i) ring.packet(60, i, i);
  s = {};
  CHECK(w.check(s, why));
  CHECK(w.begin(s, 8, 0, 0, why));
  ring.start(8);
  ring.packet(60, 10, 42);
  w.drain(1);
  CaptureSpec again;
  CHECK_FALSE(w.begin(again, 9, 0, 0, why));
  STRCMP_CONTAINS("already running", why.c_str());
  w.finish(2, CaptureEnd::stopped);
  auto recs = read_pcap(w.status(3)["file"]);
  LONGS_EQUAL(1, recs.size());
  LONGS_EQUAL(42, recs[0].last);

  CaptureWriter bad("", {"/proc/no/such/dir", 10, 1 << 20, 60});
  bad.attach(ring.h);
  CHECK_FALSE(bad.begin(s, 10, 0, 0, why));
  STRCMP_CONTAINS("capture directory /proc/no", why.c_str());
  CHECK_FALSE(bad.running());
  STRCMP_EQUAL("none", bad.status(0)["state"].get<std::string>().c_str());
  CaptureWriter no_ring("/tgunit-no-such-capture-ring", caps());
  CHECK_FALSE(no_ring.begin(s, 11, 0, 0, why));
  STRCMP_CONTAINS("fast path capture ring", why.c_str());
}

// ----------------------------------------------------- console commands

namespace {
const char* kConf =
    "[box]\n"
    "admin_group = root\n"
    "[uplink.wan0]\n"
    "role = wan\n"
    "device = wan0\n"
    "address = 198.51.100.2/28\n"
    "gateway = 198.51.100.1\n"
    "probe_targets = 203.0.113.10\n"
    "priority = 1\n"
    "[uplink.wan1]\n"
    "role = wan\n"
    "device = wan1\n"
    "address = 198.51.100.18/28\n"
    "gateway = 198.51.100.17\n"
    "probe_targets = 203.0.113.10\n"
    "priority = 2\n";

// The fake fast path also plays the capture producer, as tg-dataplane does.
class CapturingFastPath : public FakeFastPath {
 public:
  explicit CapturingFastPath(Ring& r) : ring(r) {}
  Ring& ring;
  bool push_command(const api::Command& c) override {
    if (c.kind == api::CommandKind::capture_start || c.kind == api::CommandKind::capture_stop)
      verdict = ring.producer.apply(c, 0, 0, 2);
    return FakeFastPath::push_command(c);
  }
};
}  // namespace

TEST_GROUP(CaptureCommands) {
  std::string dir;
  std::unique_ptr<Ring> ring;
  std::unique_ptr<CapturingFastPath> fp;
  std::unique_ptr<config::ConfigStore> store;
  std::unique_ptr<Controller> ctl;
  std::unique_ptr<CaptureWriter> writer;
  uint64_t now_ns = 1'000'000'000;
  mgmt::Peer root{1, 0, 0, {}, "root"};
  std::vector<std::string> later;  // answers given after handle() returned

  void setup() override {
    dir = temp_dir();
    std::string why;
    CHECK(config::write_file_atomically(dir + "/c.conf", kConf, why));
    store = std::make_unique<config::ConfigStore>();
    auto r = store->open({dir + "/c.conf", dir + "/history", {}});
    CHECK_TRUE_TEXT(r.ok(), r.error_text().c_str());
    ring = std::make_unique<Ring>(64);
    fp = std::make_unique<CapturingFastPath>(*ring);
    fp->body.uplink_count = 2;
    std::strcpy(fp->body.uplinks[0].name, "wan0");
    std::strcpy(fp->body.uplinks[1].name, "wan1");
    Clock clock{[this] { return now_ns; }, [] { return int64_t(1700000000000); },
                [this](int ms) { now_ns += uint64_t(ms) * 1000000; }};
    ctl = std::make_unique<Controller>(*store, *fp, clock, [](int, const std::string&) {});
    ctl->defer_answer = [this]() -> Controller::Answer {
      return [this](const std::string& line) { later.push_back(line); };
    };
    writer = std::make_unique<CaptureWriter>("", CaptureCaps{dir + "/pcaps", 1000, 1 << 20, 30});
    writer->attach(ring->h);
    ctl->capture_writer = writer.get();
  }
  void teardown() override {
    ctl.reset();
    CHECK(std::system(("rm -rf '" + dir + "'").c_str()) == 0);
  }
  Json admin(const std::string& cmd, Json args = Json::object()) {
    std::string line = mgmt::request_line(7, cmd, args);
    line.pop_back();
    // Capture commands wait for the fast path's verdict: it comes from tick().
    size_t before = later.size();
    std::string out = ctl->handle(root, mgmt::Role::admin, line);
    for (int i = 0; out.empty() && i <= 1000; ++i) {
      if (later.size() > before) {
        out = later.back();
        break;
      }
      now_ns += 1'000'000;
      ctl->tick();
    }
    return Json::parse(out);
  }
  static std::string message(const Json& r) { return r["ok"].get<bool>() ? "ok" : r["error"]["message"].get<std::string>(); }
  size_t files() {
    std::string cmd = "ls '" + dir + "/pcaps' 2>/dev/null | wc -l > '" + dir + "/n'";
    CHECK(std::system(cmd.c_str()) == 0);
    FILE* f = std::fopen((dir + "/n").c_str(), "r");
    int n = 0;
    CHECK(std::fscanf(f, "%d", &n) == 1);
    std::fclose(f);
    return size_t(n);
  }
};

TEST(CaptureCommands, BadArgumentsAreRejectedAndNothingStarts) {
  const std::pair<Json, const char*> cases[] = {
      {{{"filter", "voice"}}, "filter 'voice' is not one of all, sip, rtp, sip+rtp"},
      {{{"uplink", "wan7"}}, "no uplink 'wan7' (configured: wan0, wan1)"},
      {{{"host", "2001:db8::1"}}, "IPv6 host filters are not supported yet"},
      {{{"host", "192.0.2.300"}}, "is not an IPv4 address"},
      {{{"duration", 31}}, "duration 31 s is above the limit 30 s (capture.max_duration_s)"},
      {{{"duration", 0}}, "duration"},
      {{{"snaplen", 5000}}, "snaplen"},
      {{{"packets", "many"}}, "packets"},
      {{{"colour", "red"}}, "colour"},
  };
  for (const auto& [args, text] : cases) {
    Json r = admin("capture.start", args);
    CHECK_FALSE_TEXT(r["ok"].get<bool>(), args.dump().c_str());
    STRCMP_CONTAINS(text, message(r).c_str());
  }
  CHECK(fp->commands.empty());
  CHECK_FALSE(writer->running());
  LONGS_EQUAL(0, files());
  Json r = admin("capture.stop");
  STRCMP_CONTAINS("no capture is running", message(r).c_str());
  fp->present = false;
  r = admin("capture.start");
  STRCMP_EQUAL("fastpath_unavailable", r["error"]["code"].get<std::string>().c_str());
  LONGS_EQUAL(0, files());
}

TEST(CaptureCommands, StartWritesWhatTheFastPathCopiesStopClosesTheFile) {
  Json r = admin("capture.start", {{"filter", "sip+rtp"}, {"uplink", "wan1"}, {"host", "192.0.2.10"}, {"duration", 10}});
  CHECK_TRUE_TEXT(r["ok"].get<bool>(), r.dump().c_str());
  STRCMP_EQUAL("running", r["result"]["state"].get<std::string>().c_str());
  STRCMP_EQUAL("sip+rtp uplink wan1 host 192.0.2.10", r["result"]["filter"].get<std::string>().c_str());
  const api::Command& c = fp->commands.back();
  CHECK(c.kind == api::CommandKind::capture_start);
  LONGS_EQUAL(1, c.uplink);
  LONGS_EQUAL(0xC000020A, c.capture.host_v4);
  LONGS_EQUAL(api::kCaptureClassAll, c.capture.classes);
  LONGS_EQUAL(12000, c.capture.max_duration_ms);
  LONGS_EQUAL(c.capture.capture_id, ring->h->capture_id.load());
  Json again = admin("capture.start");
  STRCMP_CONTAINS("already running", message(again).c_str());

  // The fast path copies; the daemon's tick writes. Filter is the fast path's job.
  for (uint8_t i = 0; i < 5; ++i) {
    std::vector<uint8_t> f(80, 0);
    f[12] = 0x08, f[14] = 0x45, f[29] = 10, f[26] = 192, f[28] = 2;  // src 192.0.2.10
    ring->producer.offer(f.data(), 80, i, 1, api::CaptureDirection::outbound, api::CaptureClass::sip);
  }
  ctl->tick();
  r = admin("show.capture");
  LONGS_EQUAL(5, r["result"]["packets"].get<int>());
  r = admin("capture.stop");
  CHECK_TRUE_TEXT(r["ok"].get<bool>(), r.dump().c_str());
  STRCMP_EQUAL("stopped", r["result"]["state"].get<std::string>().c_str());
  LONGS_EQUAL(5, r["result"]["packets"].get<int>());
  LONGS_EQUAL(0, r["result"]["drops"].get<int>());
  LONGS_EQUAL(0, ring->h->capture_id.load());
  LONGS_EQUAL(5, read_pcap(r["result"]["file"]).size());
}

TEST(CaptureCommands, TheDaemonStopsTheCaptureAtABound) {
  Json r = admin("capture.start", {{"packets", 3}});
  CHECK_TRUE_TEXT(r["ok"].get<bool>(), r.dump().c_str());
  for (uint8_t i = 0; i < 4; ++i) ring->packet(60, i, i);
  ctl->tick();  // limit reached: capture_stop sent, the fake applies it at once
  CHECK(fp->commands.back().kind == api::CommandKind::capture_stop);
  ctl->tick();
  CHECK_FALSE(writer->running());
  r = admin("show.capture");
  STRCMP_EQUAL("packets", r["result"]["end"].get<std::string>().c_str());
  LONGS_EQUAL(3, r["result"]["packets"].get<int>());

  // A fast path that rejects the start leaves no file behind.
  size_t before = files();
  fp->verdict = api::CommandResult::no_capture;
  ring->producer = api::CaptureProducer();  // unbound: answers no_capture
  r = admin("capture.start");
  STRCMP_CONTAINS("fast path rejected it: the fast path has no capture ring", message(r).c_str());
  LONGS_EQUAL(before, files());
  CHECK_FALSE(writer->running());
}
