// bench-inspect: packets/s of the inspection core (Inspector::inspect: L2-L4
// parse, SIP/SDP, stream table, RTP statistics) on one core, over a capture
// held in memory so no I/O is measured. Each pass starts from a fresh
// Inspector (built outside the timed loop) and feeds every frame once.
//
//   bench-inspect FILE [--passes N]
//
// Prints one JSON object: frames, passes, best and median packets/s, ns per
// packet of the best pass, heap allocations made inside the timed loops
// (must be 0: the per-packet path never allocates; the bench fails
// otherwise), and what the inspector found (sanity: a bench that tracks
// nothing measures nothing).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "tests/bench/alloc_count.hpp"
#include "dataplane/core/inspector.hpp"
#include "drivers/capture/packet_source.hpp"


namespace {

struct Frame {
  size_t offset;
  uint32_t length;
  tg::TimeNs ts;
  tg::LinkType link;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench-inspect FILE [--passes N]\n");
    return 2;
  }
  std::string path = argv[1];
  int passes = 5;
  for (int i = 2; i + 1 < argc; i += 2)
    if (std::strcmp(argv[i], "--passes") == 0) passes = std::max(1, std::atoi(argv[i + 1]));

  std::string err;
  auto src = tg::open_capture_file(path, err);
  if (!src) {
    std::fprintf(stderr, "bench-inspect: %s\n", err.c_str());
    return 1;
  }
  std::vector<uint8_t> bytes;
  std::vector<Frame> frames;
  std::error_code ec;
  if (uint64_t size = std::filesystem::file_size(path, ec); !ec) bytes.reserve(size);  // frames < file
  tg::CapturedFrame f;
  tg::SourceResult r;
  while ((r = src->next(f)) == tg::SourceResult::frame) {
    frames.push_back({bytes.size(), uint32_t(f.data.size()), f.ts, f.link});
    bytes.insert(bytes.end(), f.data.begin(), f.data.end());
  }
  if (r == tg::SourceResult::error || frames.empty()) {
    std::fprintf(stderr, "bench-inspect: %s: %s\n", path.c_str(),
                 frames.empty() ? "no frames" : src->error().c_str());
    return 1;
  }

  tg::InspectorConfig cfg;
  cfg.streams.capacity = 16384;
  cfg.streams.expect_capacity = 16384;
  std::vector<double> pps;
  uint64_t rtp = 0, sip = 0, streams = 0, calls = 0, malformed = 0, allocations = 0;
  for (int p = 0; p < passes; ++p) {
    auto in = std::make_unique<tg::Inspector>(cfg);
    uint64_t a0 = tg::bench::heap_allocations();
    auto t0 = std::chrono::steady_clock::now();
    for (const Frame& fr : frames)
      in->inspect(tg::Bytes(bytes.data() + fr.offset, fr.length), fr.link, fr.ts);
    auto t1 = std::chrono::steady_clock::now();
    allocations += tg::bench::heap_allocations() - a0;
    double s = std::chrono::duration<double>(t1 - t0).count();
    pps.push_back(double(frames.size()) / s);
    rtp = in->outcome(tg::InspectOutcome::rtp);
    sip = in->outcome(tg::InspectOutcome::sip);
    streams = in->streams().size();
    calls = in->calls().counter(tg::CallTableCounter::calls_created);
    malformed = in->malformed();
  }
  std::vector<double> sorted = pps;
  std::sort(sorted.begin(), sorted.end());
  double best = sorted.back(), median = sorted[sorted.size() / 2];
  std::printf(
      "{\"frames\":%zu,\"passes\":%d,\"best_pps\":%.0f,\"median_pps\":%.0f,\"ns_per_packet\":%.1f,"
      "\"allocations\":%llu,\"rtp\":%llu,\"sip\":%llu,\"streams\":%llu,\"calls\":%llu,\"malformed\":%llu}\n",
      frames.size(), passes, best, median, 1e9 / best, (unsigned long long)allocations, (unsigned long long)rtp,
      (unsigned long long)sip, (unsigned long long)streams, (unsigned long long)calls, (unsigned long long)malformed);
  if (allocations) std::fprintf(stderr, "bench-inspect: the per-packet path allocated %llu times\n",
                                (unsigned long long)allocations);
  return rtp > 0 && allocations == 0 ? 0 : 1;
}
