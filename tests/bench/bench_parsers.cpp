// Parser micro benchmark: parse_packet + parse_sip/parse_sdp/parse_rtp/parse_rtcp
// over every frame of a capture, held in memory, on one core.
//   bench-parsers CAPTURE [--seconds S]
// Prints packets/s for the whole per-packet path and for each parser alone,
// and the number of heap allocations made inside the timed loops (must be 0).
// Rates are the best 0.1 s slice of each run (see run_for).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "tests/bench/alloc_count.hpp"
#include "dataplane/core/packet.hpp"
#include "dataplane/core/rtp.hpp"
#include "dataplane/core/sdp.hpp"
#include "dataplane/core/sip.hpp"
#include "drivers/capture/packet_source.hpp"


namespace {

using Clock = std::chrono::steady_clock;

struct Frame {
  size_t offset, size;
  tg::LinkType link;
};

struct Capture {
  std::vector<uint8_t> arena;  // all frames back to back, so the loop reads memory, not pcap
  std::vector<Frame> frames;
  tg::Bytes bytes(const Frame& f) const { return {arena.data() + f.offset, f.size}; }
};

// Keeps results observable so the optimiser cannot drop a parse.
uint64_t g_sink = 0;

struct Counts {
  uint64_t packets = 0, sip = 0, sdp = 0, rtp = 0, rtcp = 0, other = 0, malformed = 0;
};

// The inspector's per-packet path: L2-L4, then SIP (+SDP) or RTP/RTCP.
void inspect(tg::Bytes frame, tg::LinkType link, Counts& c) {
  tg::PacketInfo p;
  tg::PacketStatus ps = tg::parse_packet(frame, link, p);
  ++c.packets;
  if (ps != tg::PacketStatus::ok) {
    c.malformed += tg::packet_status_malformed(ps);
    ++c.other;
    return;
  }
  std::string_view text = tg::as_text(p.payload);
  if (tg::looks_like_sip(text)) {
    tg::SipMessage m;
    tg::SipStatus ss = tg::parse_sip(text, m, p.ip_proto == tg::kIpProtoTcp);
    ++c.sip;
    g_sink += uint64_t(ss) + m.cseq;
    if (ss == tg::SipStatus::ok && !m.body.empty() && m.content_type == "application/sdp") {
      tg::SdpSession s;
      g_sink += uint64_t(tg::parse_sdp(m.body, s)) + s.media[0].port;
      ++c.sdp;
    }
  } else if (p.ip_proto == tg::kIpProtoUdp && tg::looks_like_rtcp(p.payload)) {
    tg::RtcpPacket r;
    g_sink += uint64_t(tg::parse_rtcp(p.payload, r)) + r.block_count;
    ++c.rtcp;
  } else if (p.ip_proto == tg::kIpProtoUdp) {
    tg::RtpHeader h;
    g_sink += uint64_t(tg::parse_rtp(p.payload, h)) + h.seq;
    ++c.rtp;
  } else {
    ++c.other;
  }
}

// Runs `body` (one pass over `per_pass` items) for `seconds`, in slices of
// about 0.1 s, and returns the best slice's items/s: on a shared, noisy
// machine the fastest slice is the closest to what the code costs.
template <typename Body>
double run_for(double seconds, uint64_t per_pass, Body body, uint64_t& allocations) {
  constexpr double kSlice = 0.1;
  double best = 0;
  uint64_t before = tg::bench::heap_allocations();
  auto start = Clock::now();
  do {
    uint64_t passes = 0;
    auto slice_start = Clock::now();
    double elapsed = 0;
    do {
      body();
      ++passes;
      elapsed = std::chrono::duration<double>(Clock::now() - slice_start).count();
    } while (elapsed < kSlice);
    double rate = double(passes * per_pass) / elapsed;
    if (rate > best) best = rate;
  } while (std::chrono::duration<double>(Clock::now() - start).count() < seconds);
  allocations += tg::bench::heap_allocations() - before;
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  std::string path;
  double seconds = 2.0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--seconds" && i + 1 < argc) seconds = std::atof(argv[++i]);
    else if (path.empty() && a[0] != '-') path = a;
    else {
      std::fprintf(stderr, "usage: bench-parsers CAPTURE [--seconds S]\n");
      return 2;
    }
  }
  if (path.empty() || seconds <= 0) {
    std::fprintf(stderr, "usage: bench-parsers CAPTURE [--seconds S]\n");
    return 2;
  }
  std::string err;
  auto src = tg::open_capture_file(path, err);
  if (!src) {
    std::fprintf(stderr, "bench-parsers: %s\n", err.c_str());
    return 1;
  }
  Capture cap;
  tg::CapturedFrame cf;
  tg::SourceResult r;
  while ((r = src->next(cf)) == tg::SourceResult::frame) {
    cap.frames.push_back({cap.arena.size(), cf.data.size(), cf.link});
    cap.arena.insert(cap.arena.end(), cf.data.begin(), cf.data.end());
  }
  if (r == tg::SourceResult::error) {
    std::fprintf(stderr, "bench-parsers: %s: %s\n", path.c_str(), src->error().c_str());
    return 1;
  }
  if (cap.frames.empty()) {
    std::fprintf(stderr, "bench-parsers: %s: no frames\n", path.c_str());
    return 1;
  }

  // Payloads for the per-parser loops, found once outside the timing.
  std::vector<tg::Bytes> sip, rtp, rtcp;
  Counts mix;
  for (const Frame& f : cap.frames) {
    inspect(cap.bytes(f), f.link, mix);
    tg::PacketInfo p;
    if (tg::parse_packet(cap.bytes(f), f.link, p) != tg::PacketStatus::ok) continue;
    if (tg::looks_like_sip(tg::as_text(p.payload))) sip.push_back(p.payload);
    else if (p.ip_proto == tg::kIpProtoUdp && tg::looks_like_rtcp(p.payload)) rtcp.push_back(p.payload);
    else if (p.ip_proto == tg::kIpProtoUdp) rtp.push_back(p.payload);
  }
  std::printf("capture: %s\n", path.c_str());
  std::printf("frames: %zu (sip %llu, sdp bodies %llu, rtp %llu, rtcp %llu, other %llu, malformed %llu)\n",
              cap.frames.size(), (unsigned long long)mix.sip, (unsigned long long)mix.sdp,
              (unsigned long long)mix.rtp, (unsigned long long)mix.rtcp, (unsigned long long)mix.other,
              (unsigned long long)mix.malformed);

  uint64_t allocations = 0;
  Counts c;
  double full = run_for(seconds, cap.frames.size(), [&] {
    for (const Frame& f : cap.frames) inspect(cap.bytes(f), f.link, c);
  }, allocations);
  double l2l4 = run_for(seconds, cap.frames.size(), [&] {
    for (const Frame& f : cap.frames) {
      tg::PacketInfo p;
      g_sink += uint64_t(tg::parse_packet(cap.bytes(f), f.link, p)) + p.src_port;
    }
  }, allocations);
  std::printf("inspect path (parse_packet + SIP/SDP/RTP/RTCP): %.2f Mpps, %.1f ns/packet\n", full / 1e6,
              1e9 / full);
  std::printf("parse_packet alone: %.2f Mpps, %.1f ns/packet\n", l2l4 / 1e6, 1e9 / l2l4);
  if (!sip.empty()) {
    double rate = run_for(seconds, sip.size(), [&] {
      for (tg::Bytes b : sip) {
        tg::SipMessage m;
        g_sink += uint64_t(tg::parse_sip(tg::as_text(b), m)) + m.cseq;
      }
    }, allocations);
    size_t bytes = 0;
    for (tg::Bytes b : sip) bytes += b.size();
    std::printf("parse_sip alone: %.0f messages/s, %.1f ns/message (mean %zu bytes)\n", rate, 1e9 / rate,
                bytes / sip.size());
  }
  if (!rtp.empty()) {
    double rate = run_for(seconds, rtp.size(), [&] {
      for (tg::Bytes b : rtp) {
        tg::RtpHeader h;
        g_sink += uint64_t(tg::parse_rtp(b, h)) + h.seq;
      }
    }, allocations);
    std::printf("parse_rtp alone: %.2f Mpps, %.1f ns/packet\n", rate / 1e6, 1e9 / rate);
  }
  std::printf("heap allocations in timed loops: %llu\n", (unsigned long long)allocations);
  std::printf("(checksum %llu)\n", (unsigned long long)(g_sink & 0xffff));
  return allocations == 0 ? 0 : 1;
}
