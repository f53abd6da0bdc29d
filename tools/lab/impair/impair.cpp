// tg-impair: delay, jitter and loss for the lab's carrier routers, the part
// of `tc netem` this kernel lacks (no sch_netem here). Packets that an nft
// rule sends to NFQUEUE N are held and accepted later: verdicts are issued
// when each packet's release time comes, so delay and jitter are real (and
// jitter reorders, as on a real path). Loss is decided here too.
//
//   tg-impair --queue N --params FILE [--seed S] [--max-time S]
//
// FILE holds "delay_ms=D jitter_ms=J loss_pct=P" (any subset, whitespace or
// newline separated); it is re-read when it changes, so a lab script alters
// a running impairment by rewriting it. A missing file means no impairment.
#include <arpa/inet.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <queue>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace po = boost::program_options;

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

uint64_t mono_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000ULL + uint64_t(ts.tv_nsec);
}

struct Params {
  double delay_ms = 0, jitter_ms = 0, loss_pct = 0;
};

// Parses "key=value" words; false + error for anything else.
bool parse_params(const std::string& text, Params& out, std::string& error) {
  Params p;
  std::istringstream in(text);
  std::string word;
  while (in >> word) {
    auto eq = word.find('=');
    if (eq == std::string::npos) return error = "expected key=value, got '" + word + "'", false;
    std::string key = word.substr(0, eq), value = word.substr(eq + 1);
    char* end = nullptr;
    double v = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0' || v < 0) return error = "bad number in '" + word + "'", false;
    if (key == "delay_ms") p.delay_ms = v;
    else if (key == "jitter_ms") p.jitter_ms = v;
    else if (key == "loss_pct" && v <= 100) p.loss_pct = v;
    else return error = "unknown or out-of-range '" + word + "'", false;
  }
  out = p;
  return true;
}

struct Held {
  uint64_t release_ns;
  uint32_t id;
  bool operator>(const Held& o) const { return release_ns > o.release_ns; }
};

struct State {
  nfq_q_handle* queue = nullptr;
  Params params;
  std::mt19937_64 rng;
  std::priority_queue<Held, std::vector<Held>, std::greater<Held>> held;
  uint64_t seen = 0, dropped = 0, delayed = 0;
};

int on_packet(nfq_q_handle* qh, nfgenmsg*, nfq_data* data, void* arg) {
  auto& s = *static_cast<State*>(arg);
  auto* hdr = nfq_get_msg_packet_hdr(data);
  if (!hdr) return 0;
  uint32_t id = ntohl(hdr->packet_id);
  ++s.seen;
  std::uniform_real_distribution<double> u(0.0, 1.0);
  if (s.params.loss_pct > 0 && u(s.rng) * 100.0 < s.params.loss_pct) {
    ++s.dropped;
    return nfq_set_verdict(qh, id, NF_DROP, 0, nullptr);
  }
  double d = s.params.delay_ms;
  if (s.params.jitter_ms > 0) d += (u(s.rng) * 2.0 - 1.0) * s.params.jitter_ms;
  if (d <= 0) return nfq_set_verdict(qh, id, NF_ACCEPT, 0, nullptr);
  ++s.delayed;
  s.held.push({mono_ns() + uint64_t(d * 1e6), id});
  return 0;
}

void release_due(State& s, uint64_t now) {
  while (!s.held.empty() && s.held.top().release_ns <= now) {
    nfq_set_verdict(s.queue, s.held.top().id, NF_ACCEPT, 0, nullptr);
    s.held.pop();
  }
}

bool reload(const std::string& path, timespec& mtime, State& s) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    if (mtime.tv_sec != 0) s.params = Params{}, mtime = {};
    return true;
  }
  if (st.st_mtim.tv_sec == mtime.tv_sec && st.st_mtim.tv_nsec == mtime.tv_nsec) return true;
  mtime = st.st_mtim;
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string error;
  Params p;
  if (!parse_params(text.str(), p, error)) {
    std::cerr << "tg-impair: " << path << ": " << error << " (keeping previous settings)\n";
    return false;
  }
  s.params = p;
  std::cerr << "tg-impair: delay " << p.delay_ms << " ms, jitter " << p.jitter_ms << " ms, loss "
            << p.loss_pct << " %\n";
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  unsigned queue_num = 0, seed = 1;
  double max_time = 0;
  std::string params_path;
  po::options_description desc("tg-impair --queue N --params FILE");
  desc.add_options()("help,h", "this help")
      ("queue", po::value(&queue_num)->required(), "NFQUEUE number the nft rule sends packets to")
      ("params", po::value(&params_path)->required(), "file with delay_ms= jitter_ms= loss_pct= (re-read on change)")
      ("seed", po::value(&seed)->default_value(1), "random seed (loss and jitter are reproducible)")
      ("max-time", po::value(&max_time)->default_value(0), "exit after this many seconds (0: on SIGTERM)");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    if (vm.count("help")) return std::cout << desc << "\n", 0;
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "tg-impair: " << e.what() << "\n" << desc << "\n";
    return 2;
  }

  State s;
  s.rng.seed(seed);
  nfq_handle* h = nfq_open();
  if (!h) return std::cerr << "tg-impair: nfq_open: " << std::strerror(errno) << "\n", 1;
  s.queue = nfq_create_queue(h, uint16_t(queue_num), on_packet, &s);
  if (!s.queue) {
    std::cerr << "tg-impair: cannot bind NFQUEUE " << queue_num << ": " << std::strerror(errno) << "\n";
    return 1;
  }
  // Only the verdict matters: no payload copies. Fail open if the queue
  // overflows so the lab never silently blackholes because of this tool.
  nfq_set_mode(s.queue, NFQNL_COPY_META, 0);
  nfq_set_queue_maxlen(s.queue, 65536);
  nfq_set_queue_flags(s.queue, NFQA_CFG_F_FAIL_OPEN, NFQA_CFG_F_FAIL_OPEN);

  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  timespec mtime{};
  reload(params_path, mtime, s);
  int fd = nfq_fd(h);
  std::vector<char> buf(65536);
  const uint64_t start = mono_ns();
  uint64_t next_reload = start;
  while (!g_stop) {
    uint64_t now = mono_ns();
    if (max_time > 0 && now - start > uint64_t(max_time * 1e9)) break;
    release_due(s, now);
    if (now >= next_reload) reload(params_path, mtime, s), next_reload = now + 100'000'000ULL;
    int timeout_ms = 100;
    if (!s.held.empty()) {
      uint64_t due = s.held.top().release_ns;
      timeout_ms = due <= now ? 0 : int(std::min<uint64_t>(100, (due - now) / 1'000'000ULL));
    }
    pollfd p{fd, POLLIN, 0};
    int r = poll(&p, 1, timeout_ms);
    if (r < 0 && errno != EINTR) break;
    if (r > 0) {
      for (int i = 0; i < 64; ++i) {  // drain what is queued, bounded
        ssize_t n = recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
        if (n <= 0) break;
        nfq_handle_packet(h, buf.data(), int(n));
      }
    }
  }
  // Let the held packets go rather than dropping them on exit.
  release_due(s, UINT64_MAX);
  std::cerr << "tg-impair: seen " << s.seen << ", dropped " << s.dropped << ", delayed " << s.delayed << "\n";
  nfq_destroy_queue(s.queue);
  nfq_close(h);
  return 0;
}
