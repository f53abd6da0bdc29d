// tg-analyze: SIP calls and RTP streams of a capture file or a live
// interface, through the same inspection core the fast path runs.
//
//   tg-analyze [--json] FILE.pcap|FILE.pcapng
//   tg-analyze [--json] --interface IFACE --duration S
//
// Exit codes: 0 report written; 1 input unreadable (the message names the
// file or interface); 2 usage; 3 input failed part way (report covers the
// frames read before the error, the message says what happened).
#include <algorithm>
#include <boost/program_options.hpp>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "dataplane/core/inspector.hpp"
#include "drivers/capture/packet_source.hpp"
#include "tools/analyze/json_writer.hpp"
#include "tools/analyze/report.hpp"

namespace po = boost::program_options;

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

}  // namespace

int main(int argc, char** argv) {
  std::string file, interface;
  double duration_s = 0;
  uint32_t max_streams = 0, max_calls = 0;
  po::options_description desc(
      "tg-analyze: calls and RTP streams of a capture\n"
      "  tg-analyze [--json] FILE.pcap|FILE.pcapng\n"
      "  tg-analyze [--json] --interface IFACE --duration S\n"
      "Options");
  desc.add_options()("help,h", "this help")
      ("json", "JSON for machines instead of the text report")
      ("pretty", "indent the JSON")
      ("interface,i", po::value(&interface), "capture live on this interface")
      ("duration,d", po::value(&duration_s), "live capture: seconds to capture (Ctrl-C stops early)")
      ("heuristic", "also take RTP that no SDP announced (like Wireshark's rtp_udp heuristic)")
      ("max-streams", po::value(&max_streams), "RTP streams tracked at most (default: from the file size; live 16384)")
      ("max-calls", po::value(&max_calls), "calls in progress tracked at most (default: as --max-streams / 2)");
  po::options_description hidden;
  hidden.add_options()("file", po::value(&file));
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description pos;
  pos.add("file", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "tg-analyze: " << e.what() << "\n" << desc << "\n";
    return 2;
  }
  auto usage = [&](const std::string& why) {
    std::cerr << "tg-analyze: " << why << "\n" << desc << "\n";
    return 2;
  };
  bool live = !interface.empty();
  if (live == !file.empty()) return usage("give either a capture FILE or --interface IFACE");
  if (live && !(duration_s > 0 && duration_s <= 86400)) return usage("--duration must be in (0, 86400] seconds");
  if (!live && vm.count("duration")) return usage("--duration applies to --interface only");
  if (vm.count("max-streams") && (max_streams < 1 || max_streams > (1u << 22)))
    return usage("--max-streams must be 1..4194304");
  if (vm.count("max-calls") && (max_calls < 1 || max_calls > (1u << 22)))
    return usage("--max-calls must be 1..4194304");

  std::string err;
  std::unique_ptr<tg::PacketSource> source =
      live ? tg::open_live_capture(interface, uint64_t(duration_s * 1000), err)
           : tg::open_capture_file(file, err);
  if (!source) {
    std::cerr << "tg-analyze: " << err << "\n";
    return 1;
  }

  // Tables are fixed at construction and zeroed, so size them to the input:
  // a stream of a few seconds of G.711 is tens of kB of capture, so one
  // stream slot per 8 kB of file is ample (a full table is counted and the
  // report says to raise --max-streams). Calls free their records after
  // settling, so they need slots only for the calls in progress at once.
  if (!vm.count("max-streams")) {
    std::error_code fs_err;
    uint64_t by_size = 16384;  // live, or a pipe/device with no size
    if (!live) {
      uint64_t bytes = std::filesystem::file_size(file, fs_err);
      if (!fs_err) by_size = bytes / 8192;
    }
    max_streams = uint32_t(std::clamp<uint64_t>(by_size, 1024, 1u << 20));
  }
  if (!vm.count("max-calls")) max_calls = std::max<uint32_t>(512, max_streams / 2);

  // Offline: no stream expires, every stream of the file is reported.
  tg::InspectorConfig cfg;
  cfg.streams.capacity = max_streams;
  cfg.streams.expect_capacity = max_streams;
  cfg.streams.stream_idle = 0;
  cfg.streams.heuristic = vm.count("heuristic") > 0;
  cfg.calls.capacity = max_calls;
  auto inspector = std::make_unique<tg::Inspector>(cfg);
  // Call records leave the table some time after they settle; keep them all.
  tg::analyze::CallLog calls;
  calls.attach(*inspector);

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  tg::analyze::ReportInfo info;
  info.source = live ? interface : file;
  info.live = live;
  tg::CapturedFrame frame;
  bool read_error = false;
  tg::TimeNs next_tick = 0;
  while (!g_stop) {
    tg::SourceResult r = source->next(frame);
    if (r == tg::SourceResult::frame) {
      inspector->inspect(frame.data, frame.link, frame.ts);
      if (frame.data.size() < frame.wire_length) ++info.snapped;
      // Call timers (setup timeout, linger) run on capture time, once a second.
      if (frame.ts >= next_tick) {
        if (next_tick != 0) inspector->tick(frame.ts);
        next_tick = frame.ts + tg::kNsPerSec;
      }
      continue;
    }
    if (r == tg::SourceResult::idle) continue;
    if (r == tg::SourceResult::error) {
      read_error = true;
      info.read_error = source->error();
    }
    break;
  }
  info.kernel_dropped = source->dropped();
  inspector->finish(inspector->last_seen());

  if (vm.count("json")) {
    tg::analyze::JsonWriter w(vm.count("pretty") ? 2 : 0);
    tg::analyze::write_json(*inspector, calls, info, w);
    std::cout << w.str() << "\n";
  } else {
    tg::analyze::write_text(*inspector, calls, info, std::cout);
  }
  std::cout.flush();
  if (read_error) {
    std::cerr << "tg-analyze: " << info.source << ": read failed after " << inspector->frames()
              << " frames: " << info.read_error << " (report covers the frames before it)\n";
    return 3;
  }
  if (!std::cout) {
    std::cerr << "tg-analyze: writing the report failed\n";
    return 1;
  }
  return 0;
}
