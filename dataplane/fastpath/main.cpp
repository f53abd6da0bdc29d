// tg-dataplane: the DPDK fast path.
//   tg-dataplane [EAL args] -- --board DIR [--stats FILE] [--duration S]
// Forwards LAN <-> active uplink with SNAT on the main lcore; the same lcore
// does the control work between bursts (ARP, link polling, uplink choice,
// NAT expiry, stats) on a timer wheel of TSC deadlines.
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <boost/program_options.hpp>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "dataplane/fastpath/board.hpp"
#include "dataplane/fastpath/datapath.hpp"
#include "drivers/dpdk/dpdk_port.hpp"

namespace po = boost::program_options;
using namespace tg;
using namespace tg::fastpath;

namespace {

volatile std::sig_atomic_t g_quit = 0;
void on_signal(int) { g_quit = 1; }

struct Options {
  std::string board_dir;
  std::string stats_file;
  double duration_s = 0;
  uint32_t nat_capacity = 65536;
};

// Parses the arguments after "--". False: exit with `rc`.
bool parse_options(const std::vector<std::string>& args, Options& o, int& rc) {
  po::options_description desc("tg-dataplane [EAL args] -- options");
  desc.add_options()
      ("help,h", "this help")
      ("board", po::value(&o.board_dir)->required(), "board directory holding the port file `ports`")
      ("stats", po::value(&o.stats_file), "write JSON counters to FILE every second and at exit")
      ("duration", po::value(&o.duration_s), "exit after S seconds (benchmarks); 0: run until SIGTERM")
      ("nat-capacity", po::value(&o.nat_capacity), "SNAT mappings preallocated (default 65536)");
  try {
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(desc).run(), vm);
    if (vm.count("help")) {
      std::cout << desc;
      rc = 0;
      return false;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "tg-dataplane: " << e.what() << "\n" << desc;
    rc = 2;
    return false;
  }
  if (o.nat_capacity == 0) {
    std::cerr << "tg-dataplane: --nat-capacity must be > 0\n";
    rc = 2;
    return false;
  }
  return true;
}

class Clock {
 public:
  Clock() : hz_(rte_get_tsc_hz()) {}
  TimeNs now() const { return TimeNs((unsigned __int128)rte_get_tsc_cycles() * kNsPerSec / hz_); }

 private:
  uint64_t hz_;
};

const char* role_name(uint8_t p) { return p < kRoleCount ? kRoleNames[p] : "?"; }

// Until the failover engine drives it: the first uplink in priority order
// (wan0, wan1, lte) that is configured and has carrier.
uint8_t pick_uplink(const Board& board, const Datapath& dp) {
  for (uint8_t u = 0; u + 1 < kRoleCount; ++u) {
    const uint8_t p = uplink_port(u);
    if (board.ports[p].present && board.ports[p].itf.ip != 0 && dp.link(p)) return u;
  }
  return kNoUplinkIndex;
}

std::string stats_json(const Board& board, const Datapath& dp, uint8_t active, TimeNs now) {
  std::ostringstream j;
  const Forwarder& f = dp.forwarder();
  j << "{\"time_ns\":" << now << ",\"active_uplink\":\"" << (active == kNoUplinkIndex ? "none" : role_name(uplink_port(active)))
    << "\",\"nat_entries\":" << f.nat().size() << ",\"ports\":{";
  bool first = true;
  for (uint8_t p = 0; p < kRoleCount; ++p) {
    if (!board.ports[p].present) continue;
    if (!first) j << ",";
    first = false;
    j << "\"" << role_name(p) << "\":{\"link\":" << (dp.link(p) ? "true" : "false") << ",\"rx\":" << dp.rx_packets(p)
      << ",\"tx\":" << dp.tx_packets(p) << ",\"rx_dispositions\":{";
    bool f1 = true;
    for (size_t d = 0; d < kDispositionCount; ++d) {
      uint64_t n = f.count(p, Disposition(d));
      if (!n) continue;
      j << (f1 ? "" : ",") << "\"" << disposition_name(Disposition(d)) << "\":" << n;
      f1 = false;
    }
    j << "},\"generated\":{";
    for (size_t c = 0; c < kTxCounterCount; ++c)
      j << (c ? "," : "") << "\"" << tx_counter_name(TxCounter(c)) << "\":" << dp.tx_count(p, TxCounter(c));
    j << "}}";
  }
  j << "}}";
  return j.str();
}

void write_file_atomic(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream o(tmp, std::ios::trunc);
    o << text << "\n";
  }
  std::rename(tmp.c_str(), path.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> eal_args{argv[0]}, app_args;
  bool after = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (!after && a == "--") {
      after = true;
      continue;
    }
    (after ? app_args : eal_args).push_back(a);
  }
  Options opt;
  int rc = 0;
  if (!parse_options(app_args, opt, rc)) return rc;

  Board board;
  std::string error;
  if (!load_board(opt.board_dir + "/ports", board, error)) {
    std::cerr << "tg-dataplane: " << error << "\n";
    return 2;
  }
  if (!drivers::eal_init(eal_args, error)) {
    std::cerr << "tg-dataplane: " << error << "\n";
    return 1;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);

  rte_mempool* pool = rte_pktmbuf_pool_create("tg_mbufs", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                              int(rte_socket_id()));
  if (!pool) {
    std::cerr << "tg-dataplane: mbuf pool: " << rte_strerror(rte_errno) << "\n";
    return 1;
  }

  std::unique_ptr<drivers::DpdkPort> owned[kMaxPorts];
  drivers::Port* ports[kMaxPorts] = {};
  ForwarderConfig cfg;
  cfg.nat_capacity = opt.nat_capacity;
  for (uint8_t p = 0; p < kRoleCount; ++p) {
    BoardPort& bp = board.ports[p];
    if (!bp.present) continue;
    drivers::PortSpec spec;
    spec.role = role_name(p);
    spec.devargs = bp.devargs;
    spec.kernel_iface = bp.carrier_iface;
    owned[p] = drivers::DpdkPort::open(spec, pool, error);
    if (!owned[p]) {
      std::cerr << "tg-dataplane: port " << error << "\n";
      return 1;
    }
    ports[p] = owned[p].get();
    bp.itf.mac = owned[p]->mac();
    cfg.ports[p] = bp.itf;
  }

  auto dp = std::make_unique<Datapath>(cfg, ports, pool);
  Clock clock;
  TimeNs now = clock.now();
  const TimeNs start = now;
  TimeNs next_ms = now, next_10ms = now, next_s = now + kNsPerSec;
  uint8_t active = kNoUplinkIndex;
  // Resolve every next hop at start-up rather than on the first packet.
  for (uint8_t p = 1; p < kRoleCount; ++p)
    if (cfg.ports[p].present && cfg.ports[p].gateway) dp->forwarder().want_arp(uint8_t(p), cfg.ports[p].gateway, now);

  std::cerr << "tg-dataplane: running on lcore " << rte_lcore_id() << "\n";
  while (!g_quit) {
    dp->poll(active, now);
    now = clock.now();
    if (now < next_ms) continue;
    next_ms = now + kNsPerMs;
    dp->send_arp_requests(now);
    if (now >= next_10ms) {
      next_10ms = now + 10 * kNsPerMs;
      for (uint8_t p = 0; p < kRoleCount; ++p)
        if (owned[p]) dp->set_link(p, owned[p]->link().up);
      active = pick_uplink(board, *dp);
      dp->forwarder().nat().expire(now, 256);
    }
    if (now >= next_s) {
      next_s = now + kNsPerSec;
      if (!opt.stats_file.empty()) write_file_atomic(opt.stats_file, stats_json(board, *dp, active, now));
      if (opt.duration_s > 0 && double(now - start) / 1e9 >= opt.duration_s) break;
    }
  }
  const std::string final_stats = stats_json(board, *dp, active, now);
  if (!opt.stats_file.empty()) write_file_atomic(opt.stats_file, final_stats);
  std::cout << final_stats << std::endl;
  dp.reset();
  for (auto& o : owned) o.reset();
  rte_eal_cleanup();
  return 0;
}
