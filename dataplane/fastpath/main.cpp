// tg-dataplane: the DPDK fast path.
//   tg-dataplane [EAL args] -- --board DIR [--config FILE] [--stats FILE] [--duration S]
// Forwards LAN <-> active uplink with SNAT on the main lcore; the same lcore
// does the control work between bursts (UplinkControl: carrier, probes, the
// failover engine, commands, events, shared-memory stats; NAT expiry) on TSC
// deadlines, so a switch is seen by the very next burst.
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <getopt.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "board/board.hpp"
#include "dataplane/fastpath/datapath.hpp"
#include "dataplane/fastpath/failover_file.hpp"
#include "dataplane/fastpath/fast_clock.hpp"
#include "dataplane/fastpath/trunks.hpp"
#include "dataplane/fastpath/uplink_control.hpp"
#include "dataplane/api/channels.hpp"
#include "drivers/dpdk/dpdk_port.hpp"
#include "drivers/service/service_notify.hpp"

using namespace tg;
using namespace tg::fastpath;

namespace {

volatile std::sig_atomic_t g_quit = 0;
void on_signal(int) { g_quit = 1; }

struct Options {
  std::string board_dir;
  std::string config_file;
  std::string shm_prefix = std::string(api::kDefaultShmPrefix);
  std::string stats_file;
  double duration_s = 0;
  uint32_t nat_capacity = 65536;
  uint32_t nat6_capacity = 16384;
  uint32_t mbufs = 8191;
  uint32_t streams = 4096;
  uint32_t calls = 4096;
  double call_linger_s = 32;
  uint32_t capture_slots = api::kDefaultCaptureSlots;
  bool no_inspect = false;
  std::string kernel_ports = "61000-65535";
  std::vector<TrunkSbc> trunk_sbcs;  // --trunk NAME=ADDR[:PORT], parsed
};

// One option: its name, whether it takes a value, and the help line.
struct OptionHelp {
  const char* name;
  const char* arg;  // nullptr: a switch
  const char* text;
};
constexpr OptionHelp kOptions[] = {
    {"help", nullptr, "this help"},
    {"board", "DIR", "board directory holding the port file `ports` (required)"},
    {"config", "FILE", "failover timers file (dataplane/fastpath/failover_file.hpp)"},
    {"shm-prefix", "NAME", "shared-memory names for events, commands, stats (default /trunkguard); 'none' to run without"},
    {"stats", "FILE", "write JSON counters to FILE every 100 ms and at exit"},
    {"duration", "S", "exit after S seconds (benchmarks); 0: run until SIGTERM"},
    {"nat-capacity", "N", "SNAT mappings preallocated (default 65536)"},
    {"nat6-capacity", "N", "IPv6 SNAT mappings preallocated (default 16384)"},
    {"streams", "N", "RTP streams the inspection core tracks (default 4096)"},
    {"calls", "N", "SIP calls the inspection core tracks (default 4096)"},
    {"trunk", "NAME=ADDR[:PORT]", "(IPv6: NAME=[ADDR]:PORT) a SIP trunk by its SBC, repeatable; calls to it are outbound, from it "
                                  "inbound. tg-controld replaces these with its [trunk.NAME] table when it attaches "
                                  "(without either: trunks named by SBC address)"},
    {"call-linger", "S", "seconds a settled call stays to absorb retransmissions before its record goes to the CDR ring (default 32 = 64*T1)"},
    {"capture-slots", "N", "2 kB slots of the packet-capture ring <prefix>-capture (power of two, default 1024; 0: no capture)"},
    {"no-inspect", nullptr, "forward without inspection (no media-blackout input)"},
    {"kernel-ports", "LO-HI", "UDP/TCP ports kept for the box's own sockets behind the taps (default 61000-65535; also set as the kernel's ephemeral range)"},
    {"mbufs", "N", "packet buffers (default 8191; net_pcap infinite_rx holds its whole file)"},
};

void print_help(std::ostream& out) {
  out << "tg-dataplane [EAL args] -- options\n";
  for (const OptionHelp& o : kOptions)
    out << "  --" << o.name << (o.arg ? std::string(" ") + o.arg : "") << "\n      " << o.text << "\n";
}

template <class T>
bool parse_number(const char* name, const char* text, T& out) {
  std::istringstream in(text);
  T v{};
  if (!(in >> v) || !in.eof()) {
    std::cerr << "tg-dataplane: --" << name << ": '" << text << "' is not a number\n";
    return false;
  }
  out = v;
  return true;
}

// Parses the arguments after "--". False: exit with `rc`.
bool parse_options(const std::vector<std::string>& args, Options& o, int& rc) {
  std::vector<option> longopts;
  for (const OptionHelp& h : kOptions) longopts.push_back({h.name, h.arg ? required_argument : no_argument, nullptr, 0});
  longopts.push_back({nullptr, 0, nullptr, 0});
  std::vector<char*> argv{const_cast<char*>("tg-dataplane")};
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  rc = 2;
  optind = 1;
  opterr = 0;
  int index = 0;
  for (int c; (c = getopt_long(int(argv.size() - 1), argv.data(), "h", longopts.data(), &index)) != -1;) {
    if (c == '?') {
      std::cerr << "tg-dataplane: unknown option or missing value: " << argv[size_t(optind - 1)] << "\n";
      print_help(std::cerr);
      return false;
    }
    const std::string name = c == 'h' ? "help" : kOptions[index].name;
    const char* v = optarg;
    bool ok = true;
    if (name == "help") {
      print_help(std::cout);
      rc = 0;
      return false;
    } else if (name == "board") o.board_dir = v;
    else if (name == "config") o.config_file = v;
    else if (name == "shm-prefix") o.shm_prefix = v;
    else if (name == "stats") o.stats_file = v;
    else if (name == "duration") ok = parse_number("duration", v, o.duration_s);
    else if (name == "nat-capacity") ok = parse_number("nat-capacity", v, o.nat_capacity);
    else if (name == "nat6-capacity") ok = parse_number("nat6-capacity", v, o.nat6_capacity);
    else if (name == "streams") ok = parse_number("streams", v, o.streams);
    else if (name == "calls") ok = parse_number("calls", v, o.calls);
    else if (name == "call-linger") ok = parse_number("call-linger", v, o.call_linger_s);
    else if (name == "capture-slots") ok = parse_number("capture-slots", v, o.capture_slots);
    else if (name == "no-inspect") o.no_inspect = true;
    else if (name == "kernel-ports") o.kernel_ports = v;
    else if (name == "mbufs") ok = parse_number("mbufs", v, o.mbufs);
    else if (name == "trunk") {
      std::string trunk, error;
      Endpoint sbc;
      if (!parse_trunk_spec(v, trunk, sbc, error)) {
        std::cerr << "tg-dataplane: " << error << "\n";
        return false;
      }
      // A later --trunk of the same name wins.
      std::erase_if(o.trunk_sbcs, [&](const TrunkSbc& t) { return t.first == trunk; });
      o.trunk_sbcs.emplace_back(trunk, sbc);
    }
    if (!ok) return false;
  }
  if (optind < int(argv.size() - 1)) {
    std::cerr << "tg-dataplane: unexpected argument " << argv[size_t(optind)] << "\n";
    return false;
  }
  if (o.board_dir.empty()) {
    std::cerr << "tg-dataplane: the option '--board' is required but missing\n";
    print_help(std::cerr);
    return false;
  }
  if (!o.trunk_sbcs.empty() && o.no_inspect) {
    std::cerr << "tg-dataplane: --trunk needs inspection (drop --no-inspect)\n";
    return false;
  }
  if (!(o.call_linger_s >= 0 && o.call_linger_s <= 3600)) {
    std::cerr << "tg-dataplane: --call-linger must be within 0..3600 seconds\n";
    return false;
  }
  if (o.nat_capacity == 0 || o.nat6_capacity == 0 || o.streams == 0 || o.calls == 0) {
    std::cerr << "tg-dataplane: --nat-capacity, --nat6-capacity, --streams and --calls must be > 0\n";
    return false;
  }
  rc = 0;
  return true;
}

using board::kRoleCount;
static_assert(kRoleCount <= kMaxPorts);
const char* role_name(uint8_t p) { return p < kRoleCount ? board::kRoleNames[p] : "?"; }

// The forwarding interface of a board port (its MAC comes from the device).
Interface interface_of(const board::BoardPort& bp, const Mac& mac) {
  Interface i;
  i.present = bp.present;
  i.mac = mac;
  i.ip = bp.addr.ip;
  i.prefix_len = bp.addr.prefix_len;
  i.gateway = bp.addr.gateway;
  i.has_tap = !bp.tap_iface.empty();
  i.gateway_mac_static = bp.addr.gateway_mac_static;
  i.gateway_mac = bp.addr.gateway_mac;
  i.accept_any_mac = bp.addr.accept_any_mac;
  i.has_ip6 = bp.addr.has_ip6;
  i.ip6 = bp.addr.ip6;
  i.prefix6_len = bp.addr.prefix6_len;
  i.has_gateway6 = bp.addr.has_gateway6;
  i.gateway6 = bp.addr.gateway6;
  return i;
}

std::string stats_json(const board::Board& board, const Datapath& dp, const UplinkControl& ctl, TimeNs start, TimeNs now) {
  std::ostringstream j;
  const Forwarder& f = dp.forwarder();
  const uint8_t active = ctl.active();
  const failover::Engine& e = ctl.engine();
  j << "{\"time_ns\":" << now << ",\"elapsed_ns\":" << now - start << ",\"active_uplink\":\"" << (active == kNoUplinkIndex ? "none" : role_name(uplink_port(active)))
    << "\",\"mode\":\"" << api::select_mode_name(e.mode()) << "\",\"switches\":" << e.switches()
    << ",\"events\":" << ctl.events_emitted() << ",\"events_dropped\":" << ctl.events_dropped()
    << ",\"loop\":{\"stalls\":" << e.loop_stalls() << ",\"longest_stall_us\":" << e.longest_stall() / 1000
    << ",\"last_stall_end_ns\":" << e.last_stall_end() << ",\"decision_deferred_stall\":" << e.decisions_deferred_stall() << "}"
    << ",\"nat_entries\":" << f.nat().size() << ",\"nat6_entries\":" << f.nat6().size() << ",\"memory\":{\"nat_table_bytes\":" << f.nat().memory_bytes()
    << ",\"nat_capacity\":" << f.nat().capacity() << ",\"nat_bytes_per_mapping\":" << NatTable::kBytesPerMapping
    << ",\"nat_fixed_bytes\":" << NatTable::kFixedBytes << ",\"nat6_table_bytes\":" << f.nat6().memory_bytes()
    << ",\"nat6_bytes_per_mapping\":" << Nat6Table::kBytesPerMapping;
  if (const Inspector* in = dp.inspector()) {
    // Stream record plus the inspector's activity slot; the table's index
    // adds at most 21 bytes more (dataplane/README.md).
    j << ",\"inspector_bytes_per_stream\":" << kRtpStreamBytes + 16 << ",\"inspector_stream_capacity\":" << in->streams().capacity();
  }
  if (ctl.calls())
    j << ",\"call_export_bytes_per_call\":" << sizeof(CallMediaSlot) << ",\"call_export_staging_bytes\":"
      << sizeof(api::CallRecordWire) * api::kMaxLiveCallsExported;
  j << "}";
  if (const CallExporter* cx = ctl.calls())
    j << ",\"calls\":{\"live\":" << cx->live_total() << ",\"live_exported\":" << cx->live_count()
      << ",\"live_publishes\":" << cx->live_publishes() << ",\"cdr_records\":" << cx->cdr_records()
      << ",\"cdr_dropped\":" << cx->cdr_dropped() << "}";
  const api::TrunkTableAssembler& tt = ctl.trunk_table();
  j << ",\"trunk_table\":{\"generation\":" << tt.generation() << ",\"trunks\":" << tt.size()
    << ",\"commits\":" << tt.tables_committed() << ",\"rejected_tables\":" << tt.tables_rejected()
    << ",\"rejected_items\":" << tt.items_rejected() << "}";
  if (const Inspector* in = dp.inspector()) {
    j << ",\"inspection\":{\"frames\":" << in->frames();
    for (size_t o = 0; o < kInspectOutcomeCount; ++o)
      if (in->outcome(InspectOutcome(o))) j << ",\"" << inspect_outcome_name(InspectOutcome(o)) << "\":" << in->outcome(InspectOutcome(o));
    j << "}";
  }
  j << ",\"uplinks\":{";
  for (uint8_t u = 0; u < e.config().uplink_count; ++u) {
    const failover::UplinkHealth& h = e.health(u);
    const api::ProbeStatsWire ps = e.probes().stats(u);
    char faults[64];
    j << (u ? "," : "") << "\"" << e.config().uplinks[u].name << "\":{\"state\":\"" << api::uplink_state_name(h.state())
      << "\",\"faults\":\"" << api::fault_mask_text(h.fault_mask(), faults, sizeof faults) << "\",\"misses\":" << h.misses()
      << ",\"probes\":{\"sent\":" << ps.sent << ",\"answered\":" << ps.answered << ",\"late\":" << ps.late
      << ",\"lost_rounds\":" << ps.lost_rounds << ",\"answered_after_stall\":" << e.probes().answered_after_stall(u) << ",\"rtt_avg_us\":" << ps.rtt_avg_us << ",\"jitter_us\":" << ps.jitter_us
      << ",\"loss_ppm\":" << ps.loss_ppm << "}";
    if (const CallExporter* cx = ctl.calls()) {
      const api::UplinkMediaWire& m = cx->uplink_media(u);
      j << ",\"media\":{\"streams\":" << m.streams << ",\"rated\":" << m.rated << ",\"mos_avg\":" << m.mos_avg_x100 / 100.0
        << ",\"mos_min\":" << m.mos_min_x100 / 100.0 << ",\"loss_ppm\":" << m.loss_ppm << ",\"jitter_avg_us\":" << m.jitter_avg_us
        << ",\"delay_streams\":" << m.delay_streams << ",\"one_way_delay_avg_us\":" << m.one_way_delay_avg_us
        << ",\"one_way_delay_max_us\":" << m.one_way_delay_max_us << "}";
    }
    j << "}";
  }
  j << "},\"recent_switches\":[";
  for (uint32_t i = 0; i < ctl.recent_switch_count(); ++i) {
    const api::SwitchEvent& sw = ctl.recent_switch(i).uplink_switch;
    auto name = [](uint8_t u) { return u == api::kNoUplink ? "none" : api::default_uplink_name(u); };
    j << (i ? "," : "") << "{\"from\":\"" << name(sw.uplink_from) << "\",\"to\":\"" << name(sw.uplink_to)
      << "\",\"reason\":\"" << api::switch_reason_name(sw.reason) << "\",\"fault_first_seen_ns\":" << sw.fault_first_seen_ns
      << ",\"decided_ns\":" << sw.decided_ns << ",\"loop_gap_us\":" << ctl.recent_switch_loop_gap(i) / 1000 << "}";
  }
  j << "],\"ports\":{";
  bool first = true;
  for (uint8_t p = 0; p < kRoleCount; ++p) {
    if (!board.ports[p].present) continue;
    if (!first) j << ",";
    first = false;
    j << "\"" << role_name(p) << "\":{\"link\":" << (dp.link(p) ? "true" : "false") << ",\"rx\":" << dp.rx_packets(p)
      << ",\"tx\":" << dp.tx_packets(p) << ",\"to_kernel\":" << dp.to_kernel_packets(p)
      << ",\"from_kernel\":" << dp.from_kernel_packets(p) << ",\"rx_dispositions\":{";
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

// The tap mirrors the port's IPv6 address too, so the box's own IPv6
// sockets work through the exception path.
bool set_tap_ipv6(const std::string& tap, const Interface& itf, std::string& error) {
  uint8_t a[16];
  std::memcpy(a, itf.ip6.data(), 16);
  return drivers::kernel_iface_set_ipv6(tap, a, itf.prefix6_len, error);
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

  board::Board board;
  std::string error;
  if (!board::load_board(opt.board_dir + "/ports", board, error)) {
    std::cerr << "tg-dataplane: " << error << "\n";
    return 2;
  }
  // Failover: defaults, the board's probe targets, then the timers file.
  failover::Config fo = failover::Config::defaults();
  for (uint8_t u = 0; u < fo.uplink_count; ++u) {
    fo.uplinks[u].target_count = 0;
    if (uplink_port(u) >= kRoleCount) continue;
    const board::BoardPort& bp = board.ports[uplink_port(u)];
    for (uint32_t t : bp.probe_targets)
      if (fo.uplinks[u].target_count < failover::kMaxProbeTargets)
        fo.uplinks[u].targets[fo.uplinks[u].target_count++] = IpAddr::v4(t);
  }
  if (!opt.config_file.empty() && !load_failover_config(opt.config_file, fo, error)) {
    std::cerr << "tg-dataplane: " << error << "\n";
    return 2;
  }
  if (!failover::validate(fo, error)) {
    std::cerr << "tg-dataplane: failover config: " << error << "\n";
    return 2;
  }
  if (!drivers::eal_init(eal_args, error)) {
    std::cerr << "tg-dataplane: " << error << "\n";
    return 1;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);

  rte_mempool* pool = rte_pktmbuf_pool_create("tg_mbufs", opt.mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                              int(rte_socket_id()));
  if (!pool) {
    std::cerr << "tg-dataplane: mbuf pool: " << rte_strerror(rte_errno) << "\n";
    return 1;
  }

  uint16_t kport_lo = 0, kport_hi = 0;
  if (std::sscanf(opt.kernel_ports.c_str(), "%hu-%hu", &kport_lo, &kport_hi) != 2 || kport_lo < 1024 ||
      kport_hi < kport_lo) {
    std::cerr << "tg-dataplane: --kernel-ports needs LO-HI within 1024-65535\n";
    return 2;
  }
  std::unique_ptr<drivers::DpdkPort> owned[kMaxPorts], taps[kMaxPorts];
  drivers::Port* ports[kMaxPorts] = {};
  ForwarderConfig cfg;
  cfg.nat_capacity = opt.nat_capacity;
  cfg.nat6_capacity = opt.nat6_capacity;
  cfg.probe_id_base = fo.probe_ident_base;
  for (uint8_t p = 0; p < kRoleCount; ++p) {
    const board::BoardPort& bp = board.ports[p];
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
    cfg.ports[p] = interface_of(bp, owned[p]->mac());
  }
  // Exception path: one net_tap per port that asks for it, with the port's
  // MAC and address, so the kernel's sockets work as if on the port.
  bool any_tap = false;
  for (uint8_t p = 0; p < kRoleCount; ++p) {
    const board::BoardPort& bp = board.ports[p];
    if (!bp.present || bp.tap_iface.empty()) continue;
    const Interface& itf = cfg.ports[p];
    char mac[18];
    std::snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", itf.mac[0], itf.mac[1], itf.mac[2],
                  itf.mac[3], itf.mac[4], itf.mac[5]);
    drivers::PortSpec spec;
    spec.role = std::string(role_name(p)) + " tap";
    spec.devargs = "net_tap" + std::to_string(p) + ",iface=" + bp.tap_iface + ",mac=" + mac;
    spec.rx_desc = spec.tx_desc = 256;
    taps[p] = drivers::DpdkPort::open(spec, pool, error);
    if (!taps[p] || (itf.ip && !drivers::kernel_iface_set_ipv4(bp.tap_iface, itf.ip, itf.prefix_len, error)) ||
        (itf.has_ip6 && !set_tap_ipv6(bp.tap_iface, itf, error))) {
      std::cerr << "tg-dataplane: exception path " << error << "\n";
      return 1;
    }
    any_tap = true;
  }
  if (any_tap) {
    cfg.kernel_port_lo = kport_lo;
    cfg.kernel_port_hi = kport_hi;
    // The kernel's own connections must take their source ports from the
    // range the NAT leaves alone.
    std::ofstream range("/proc/sys/net/ipv4/ip_local_port_range");
    range << kport_lo << " " << kport_hi << "\n";
    if (!range.flush()) std::cerr << "tg-dataplane: warning: cannot set ip_local_port_range\n";
  }

  InspectorConfig icfg;
  icfg.streams.capacity = opt.streams;
  icfg.streams.expect_capacity = opt.streams;
  icfg.calls.capacity = opt.calls;
  icfg.calls.linger = TimeNs(opt.call_linger_s * 1e9);
  auto dp = std::make_unique<Datapath>(cfg, ports, pool, opt.no_inspect ? nullptr : &icfg);
  for (uint8_t p = 0; p < kRoleCount; ++p)
    if (taps[p]) dp->set_tap(p, taps[p].get());
  if (!opt.trunk_sbcs.empty()) {
    std::vector<CallTable::TrunkSpec> specs;
    for (const auto& [name, sbc] : opt.trunk_sbcs) specs.push_back({name, sbc});
    if (!dp->inspector()->calls().set_trunks(specs.data(), specs.size())) {
      std::cerr << "tg-dataplane: --trunk: more than " << kMaxTrunks << " trunks\n";
      return 2;
    }
  }
  // CLOCK_MONOTONIC from the TSC, its rate measured rather than DPDK's rounded estimate.
  SystemClockSource clock_source;
  FastClock clock(clock_source);
  clock.settle(100 * kNsPerMs);
  std::fprintf(stderr, "tg-dataplane: TSC %.3f MHz against CLOCK_MONOTONIC; DPDK estimates %.3f MHz (a clock on it runs %+.0f ppm)\n",
               clock.rate_hz() / 1e6, double(clock.nominal_hz()) / 1e6,
               (double(clock.nominal_hz()) / clock.rate_hz() - 1) * -1e6);
  TimeNs now = clock.now();
  const TimeNs start = now;

  std::unique_ptr<api::FastPathChannels> channels;
  if (opt.shm_prefix != "none") {
    channels = std::make_unique<api::FastPathChannels>();
    if (!channels->create(api::ChannelNames::with_prefix(opt.shm_prefix), api::kDefaultEventRingCapacity,
                          api::kDefaultCommandRingCapacity, now, error)) {
      std::cerr << "tg-dataplane: shared memory: " << error << "\n";
      return 1;
    }
  }
  // Packet capture ring: tg-controld starts/stops captures over the command ring.
  api::CaptureRegion capture_ring;
  if (channels && opt.capture_slots) {
    if (!capture_ring.create(api::capture_shm_name(opt.shm_prefix), opt.capture_slots, now, error)) {
      std::cerr << "tg-dataplane: capture ring: " << error << "\n";
      return 1;
    }
    dp->attach_capture(capture_ring.header());
  }
  // Resolve every next hop at start-up rather than on the first packet.
  auto resolve_gateways = [&](bool with_static) {
    for (uint8_t p = 1; p < kRoleCount; ++p) {
      const Interface& i = cfg.ports[p];
      if (!i.present) continue;
      if (i.gateway && (with_static || !i.gateway_mac_static)) dp->forwarder().want_arp(p, i.gateway, now);
      if (i.has_gateway6) dp->forwarder().want_nd(p, i.gateway6, now);
    }
  };
  resolve_gateways(true);
  auto ctl = std::make_unique<UplinkControl>(fo, *dp, ports, channels.get(), now);
  if (CallExporter* cx = ctl->calls()) cx->note_realtime_offset(now, clock.realtime_offset());

  std::cerr << "tg-dataplane: running on lcore " << rte_lcore_id() << "\n";
  // systemd (Type=notify, WatchdogSec=): ready once the ports are open; the
  // kicks come from the forwarding loop itself, so a stopped loop is restarted.
  drivers::ServiceNotifier service;
  service.ready("forwarding on lcore " + std::to_string(rte_lcore_id()));
  TimeNs next_10ms = now, next_file = now, next_calibration = now + kNsPerSec, next_arp_refresh = now + 30 * kNsPerSec;
  while (!g_quit) {
    // One acquire load per pass: a switch decided in tick() below applies
    // to the next burst.
    // Packets are stamped with the time of this very burst: a stale `now`
    // (the 10 ms work below, a stats file written) would date them early.
    dp->poll(ctl->active(), clock.now());
    now = clock.now();
    ctl->tick(now);
    if (now < next_10ms) continue;
    next_10ms = now + 10 * kNsPerMs;
    service.kick(now);
    dp->forwarder().nat().expire(now, 256);
    dp->forwarder().nat6().expire(now, 256);
    if (Inspector* in = dp->inspector()) in->tick(now, 256);
    if (now >= next_arp_refresh) {
      // Re-resolve next hops now and then: a replaced carrier router gets a
      // new MAC and may never send us an ARP of its own.
      next_arp_refresh = now + 30 * kNsPerSec;
      resolve_gateways(false);
    }
    if (now >= next_calibration) {
      next_calibration = now + kNsPerSec;
      clock.calibrate();
    }
    if (now >= next_file) {
      next_file = now + 100 * kNsPerMs;
      // Follows wall-clock steps (NTP) within 100 ms; records convert each
      // call with the offset of its own time.
      if (CallExporter* cx = ctl->calls()) cx->note_realtime_offset(now, clock.realtime_offset());
      if (!opt.stats_file.empty()) write_file_atomic(opt.stats_file, stats_json(board, *dp, *ctl, start, now));
      if (opt.duration_s > 0 && double(now - start) / 1e9 >= opt.duration_s) break;
    }
  }
  // Calls still in the table (lingering, or live: state says which) get
  // their record now rather than never; the CDR store may drain the ring
  // before it re-attaches to the next fast path.
  service.stopping();
  if (Inspector* in = dp->inspector()) in->calls().flush();
  const std::string final_stats = stats_json(board, *dp, *ctl, start, now);
  if (!opt.stats_file.empty()) write_file_atomic(opt.stats_file, final_stats);
  std::cout << final_stats << std::endl;
  ctl.reset();
  if (channels) channels->unlink();
  if (capture_ring.header()) capture_ring.unlink();
  dp.reset();
  for (auto& o : owned) o.reset();
  for (auto& t : taps) t.reset();
  rte_eal_cleanup();
  return 0;
}
