// RTP stream accounting benchmark: the inspection core's per-packet path
// (parse_packet, SIP+SDP -> StreamTable::expect, UDP -> StreamTable::on_udp
// with RFC 3550 / Wireshark statistics and per-window E-model) over every
// frame of a capture held in memory, on one core.
//   bench-streams CAPTURE [--seconds S]
// Each pass starts from a fresh table (built outside the timed region), so
// every pass learns the same calls and sees the same packets. Prints
// packets/s, the streams tracked, the bytes per stream, and the heap
// allocations made inside the timed loops (must be 0).
#include <pcap/pcap.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "tests/bench/alloc_count.hpp"
#include "dataplane/core/packet.hpp"
#include "dataplane/core/sdp.hpp"
#include "dataplane/core/sip.hpp"
#include "dataplane/core/stream_table.hpp"


namespace {

using Clock = std::chrono::steady_clock;

struct Frame {
  size_t offset, size;
  tg::TimeNs at;
};

struct Capture {
  std::vector<uint8_t> arena;
  std::vector<Frame> frames;
  tg::LinkType link = tg::LinkType::ethernet;
};

bool load(const char* path, Capture& cap) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline(path, err);
  if (!p) {
    std::fprintf(stderr, "bench-streams: %s\n", err);
    return false;
  }
  int dlt = pcap_datalink(p);
  if (dlt != DLT_EN10MB) {
    std::fprintf(stderr, "bench-streams: %s: link type %d, want Ethernet\n", path, dlt);
    pcap_close(p);
    return false;
  }
  pcap_pkthdr* h;
  const u_char* d;
  while (pcap_next_ex(p, &h, &d) == 1) {
    Frame f{cap.arena.size(), h->caplen,
            tg::TimeNs(h->ts.tv_sec) * tg::kNsPerSec + tg::TimeNs(h->ts.tv_usec) * 1000};
    cap.arena.insert(cap.arena.end(), d, d + h->caplen);
    cap.frames.push_back(f);
  }
  pcap_close(p);
  return true;
}

uint64_t g_sink = 0;

// The inspector's per-packet media path.
void inspect(tg::StreamTable& t, tg::Bytes frame, tg::LinkType link, tg::TimeNs now) {
  tg::PacketInfo p;
  if (tg::parse_packet(frame, link, p) != tg::PacketStatus::ok || p.ip_proto != tg::kIpProtoUdp) return;
  std::string_view text = tg::as_text(p.payload);
  if (tg::looks_like_sip(text)) {
    tg::SipMessage m;
    if (tg::parse_sip(text, m) != tg::SipStatus::ok || m.body.empty()) return;
    tg::SdpSession s;
    if (tg::parse_sdp(m.body, s) != tg::SdpStatus::ok) return;
    for (uint8_t i = 0; i < s.media_count && i < tg::kSdpMaxMedia; ++i) {
      if (s.media[i].port == 0) continue;
      t.expect(tg::Endpoint{s.media[i].connection, s.media[i].port}, 0, tg::RtpMediaInfo::from_sdp(s.media[i]),
               now);
    }
    return;
  }
  tg::UdpMediaResult r = t.on_udp(p.src(), p.dst(), p.payload, now);
  g_sink += r.flags;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench-streams CAPTURE [--seconds S]\n");
    return 2;
  }
  double seconds = 3;
  for (int i = 2; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::atof(argv[i + 1]);
  Capture cap;
  if (!load(argv[1], cap) || cap.frames.empty()) return 1;

  tg::StreamTableConfig cfg;
  cfg.capacity = 20000;
  cfg.expect_capacity = 40000;
  cfg.stream_idle = 0;
  uint64_t packets = 0, allocations = 0;
  double elapsed = 0;
  uint32_t streams = 0;
  uint64_t rtp = 0;
  int passes = 0;
  while (elapsed < seconds || passes == 0) {
    auto table = std::make_unique<tg::StreamTable>(cfg);  // not timed: allocates
    uint64_t a0 = tg::bench::heap_allocations();
    auto t0 = Clock::now();
    for (const Frame& f : cap.frames)
      inspect(*table, {cap.arena.data() + f.offset, f.size}, cap.link, f.at);
    auto t1 = Clock::now();
    allocations += tg::bench::heap_allocations() - a0;
    elapsed += std::chrono::duration<double>(t1 - t0).count();
    packets += cap.frames.size();
    streams = table->size();
    rtp = table->counter(tg::StreamCounter::rtp_packets);
    ++passes;
  }
  std::printf("capture: %zu frames, %u RTP streams, %llu RTP packets per pass\n", cap.frames.size(), streams,
              static_cast<unsigned long long>(rtp));
  std::printf("stream accounting (parse + SDP learn + RTP/RTCP stats + E-model windows): %.0f packets/s "
              "(%d passes, %.2f s)\n",
              double(packets) / elapsed, passes, elapsed);
  std::printf("memory per stream: %zu bytes entry (+ <= 21 bytes index/free list)\n", sizeof(tg::RtpStream));
  std::printf("allocations in timed loops: %llu\n", static_cast<unsigned long long>(allocations));
  std::printf("(flags checksum %llu)\n", static_cast<unsigned long long>(g_sink));
  return allocations == 0 ? 0 : 1;
}
