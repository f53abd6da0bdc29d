// tg-pcapgen: writes pcap files of hand-made RTP edge cases (and of many
// concurrent calls for benchmarks), each with the SIP INVITE/200/ACK/BYE and
// SDP that let both tg-analyze and Wireshark learn the RTP streams.
//
//   tg-pcapgen --case NAME -o FILE [--calls N --seconds S --seed X]
//
// Every case is deterministic for a given seed. Arrival times carry a small
// pseudo-random jitter so the jitter figures are not trivially zero.
#include <pcap/pcap.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iostream>
#include <random>
#include <string>
#include <vector>

namespace po = boost::program_options;

namespace {

constexpr uint64_t kMs = 1'000'000, kSec = 1'000'000'000;
constexpr uint64_t kFrameInterval = 20 * kMs;
// Capture start: 2026-01-01 00:00:00 UTC, so files are reproducible.
constexpr uint64_t kEpoch = 1767225600ULL * kSec;

struct Ip4 {
  uint8_t b[4];
};
Ip4 ip(uint8_t a, uint8_t b, uint8_t c, uint8_t d) { return Ip4{{a, b, c, d}}; }
std::string ip_text(const Ip4& a) {
  char buf[20];
  std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", a.b[0], a.b[1], a.b[2], a.b[3]);
  return buf;
}

struct Frame {
  uint64_t t_ns;
  uint64_t order;  // tie-break: generation order
  std::vector<uint8_t> bytes;
};

void put16(std::vector<uint8_t>& v, size_t off, uint16_t x) {
  v[off] = uint8_t(x >> 8);
  v[off + 1] = uint8_t(x);
}
void put32(std::vector<uint8_t>& v, size_t off, uint32_t x) {
  put16(v, off, uint16_t(x >> 16));
  put16(v, off + 2, uint16_t(x));
}

// Ethernet II / IPv4 / UDP around `payload`. IPv4 header checksum filled;
// UDP checksum 0 (allowed for IPv4, RFC 768).
std::vector<uint8_t> udp_frame(const Ip4& src, uint16_t sport, const Ip4& dst, uint16_t dport,
                               const uint8_t* payload, size_t len) {
  std::vector<uint8_t> f(14 + 20 + 8 + len);
  const uint8_t mac_a[6] = {0x02, 0x00, 0x5e, 0x00, 0x53, 0x01};
  const uint8_t mac_b[6] = {0x02, 0x00, 0x5e, 0x00, 0x53, 0x02};
  std::memcpy(&f[0], mac_b, 6);
  std::memcpy(&f[6], mac_a, 6);
  put16(f, 12, 0x0800);
  size_t o = 14;
  f[o] = 0x45;
  f[o + 1] = 0xb8;  // DSCP EF, as voice is marked
  put16(f, o + 2, uint16_t(20 + 8 + len));
  static uint16_t ident = 0;
  put16(f, o + 4, ident++);
  f[o + 8] = 64;
  f[o + 9] = 17;
  std::memcpy(&f[o + 12], src.b, 4);
  std::memcpy(&f[o + 16], dst.b, 4);
  uint32_t sum = 0;
  for (size_t i = 0; i < 20; i += 2) sum += uint32_t(f[o + i] << 8 | f[o + i + 1]);
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  put16(f, o + 10, uint16_t(~sum));
  o += 20;
  put16(f, o, sport);
  put16(f, o + 2, dport);
  put16(f, o + 4, uint16_t(8 + len));
  if (len) std::memcpy(&f[o + 8], payload, len);
  return f;
}

struct Codec {
  const char* name;
  uint8_t pt;
  uint32_t clock;
  uint32_t ts_per_frame;
  size_t payload_bytes;
};
const Codec kPcmu{"PCMU", 0, 8000, 160, 160};
const Codec kPcma{"PCMA", 8, 8000, 160, 160};
const Codec kG729{"G729", 18, 8000, 160, 20};
const Codec kOpus{"opus", 111, 48000, 960, 80};

struct RtpPkt {
  uint64_t t_ns;
  uint16_t seq;
  uint32_t ts;
  uint32_t ssrc;
  uint8_t pt;
  bool marker = false;
  size_t payload_bytes;
};

// Output collector: frames sorted by time (then generation order) at the end.
struct Capture {
  std::vector<Frame> frames;
  uint64_t next_order = 0;
  void add(uint64_t t_ns, std::vector<uint8_t> bytes) {
    frames.push_back(Frame{t_ns, next_order++, std::move(bytes)});
  }
};

struct Leg {
  Ip4 addr;
  uint16_t rtp_port;
};

struct Call {
  int index;
  std::string call_id;
  Ip4 sip_a, sip_b;  // caller / callee signalling
  Leg a, b;          // media
  Codec codec;
};

std::string sdp_body(const Call& c, bool offer) {
  const Leg& l = offer ? c.a : c.b;
  std::string addr = ip_text(l.addr);
  std::string s;
  s += "v=0\r\n";
  s += "o=" + std::string(offer ? "pbx" : "sbc") + " " + std::to_string(1000 + c.index) + " 1 IN IP4 " + addr + "\r\n";
  s += "s=-\r\n";
  s += "c=IN IP4 " + addr + "\r\n";
  s += "t=0 0\r\n";
  s += "m=audio " + std::to_string(l.rtp_port) + " RTP/AVP " + std::to_string(c.codec.pt) + " 101\r\n";
  s += "a=rtpmap:" + std::to_string(c.codec.pt) + " " + c.codec.name + "/" + std::to_string(c.codec.clock) +
       (c.codec.pt == 111 ? "/2" : "") + "\r\n";
  s += "a=rtpmap:101 telephone-event/8000\r\n";
  s += "a=fmtp:101 0-16\r\n";
  s += "a=ptime:20\r\n";
  s += "a=sendrecv\r\n";
  return s;
}

std::string sip_message(const Call& c, const std::string& first_line, const char* cseq_method, int cseq,
                        bool from_a, const std::string& body, const std::string& branch) {
  std::string a = ip_text(c.sip_a), b = ip_text(c.sip_b);
  std::string via_host = from_a ? a : b;
  bool request = first_line.rfind("SIP/2.0", 0) != 0;
  std::string m = first_line + "\r\n";
  // Responses echo the request's Via (the caller's).
  m += "Via: SIP/2.0/UDP " + (request ? via_host : a) + ":5060;branch=" + branch + "\r\n";
  if (request) m += "Max-Forwards: 70\r\n";
  m += "From: <sip:+3120555" + std::to_string(1000 + c.index) + "@" + a + ">;tag=a" + std::to_string(c.index) + "\r\n";
  std::string to = "To: <sip:+3130555" + std::to_string(2000 + c.index) + "@" + b + ">";
  bool to_tag = !(request && std::string(cseq_method) == "INVITE") && first_line.rfind("SIP/2.0 100", 0) != 0;
  if (to_tag) to += ";tag=b" + std::to_string(c.index);
  m += to + "\r\n";
  m += "Call-ID: " + c.call_id + "\r\n";
  m += "CSeq: " + std::to_string(cseq) + " " + cseq_method + "\r\n";
  if (std::string(cseq_method) == "INVITE" && (request || first_line.rfind("SIP/2.0 200", 0) == 0))
    m += "Contact: <sip:" + std::string(from_a ? "pbx@" + a : "sbc@" + b) + ":5060>\r\n";
  m += "User-Agent: tg-pcapgen\r\n";
  if (!body.empty()) m += "Content-Type: application/sdp\r\n";
  m += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  m += body;
  return m;
}

void add_sip(Capture& cap, uint64_t t, const Call& c, bool from_a, const std::string& msg) {
  const Ip4& s = from_a ? c.sip_a : c.sip_b;
  const Ip4& d = from_a ? c.sip_b : c.sip_a;
  cap.add(t, udp_frame(s, 5060, d, 5060, reinterpret_cast<const uint8_t*>(msg.data()), msg.size()));
}

// INVITE(SDP) / 100 / 180 / 200(SDP) / ACK at `t`; returns when media may start.
uint64_t call_setup(Capture& cap, const Call& c, uint64_t t) {
  std::string br = "z9hG4bK-pg" + std::to_string(c.index);
  std::string ruri = "INVITE sip:+3130555" + std::to_string(2000 + c.index) + "@" + ip_text(c.sip_b) + " SIP/2.0";
  add_sip(cap, t, c, true, sip_message(c, ruri, "INVITE", 1, true, sdp_body(c, true), br + "-1"));
  add_sip(cap, t + 5 * kMs, c, false, sip_message(c, "SIP/2.0 100 Trying", "INVITE", 1, false, "", br + "-1"));
  add_sip(cap, t + 60 * kMs, c, false, sip_message(c, "SIP/2.0 180 Ringing", "INVITE", 1, false, "", br + "-1"));
  add_sip(cap, t + 400 * kMs, c, false, sip_message(c, "SIP/2.0 200 OK", "INVITE", 1, false, sdp_body(c, false), br + "-1"));
  std::string ack = "ACK sip:sbc@" + ip_text(c.sip_b) + ":5060 SIP/2.0";
  add_sip(cap, t + 410 * kMs, c, true, sip_message(c, ack, "ACK", 1, true, "", br + "-2"));
  return t + 420 * kMs;
}

void call_teardown(Capture& cap, const Call& c, uint64_t t) {
  std::string br = "z9hG4bK-pg" + std::to_string(c.index) + "-3";
  std::string bye = "BYE sip:sbc@" + ip_text(c.sip_b) + ":5060 SIP/2.0";
  add_sip(cap, t, c, true, sip_message(c, bye, "BYE", 2, true, "", br));
  add_sip(cap, t + 8 * kMs, c, false, sip_message(c, "SIP/2.0 200 OK", "BYE", 2, false, "", br));
}

void add_rtp(Capture& cap, const Leg& from, const Leg& to, const RtpPkt& p) {
  std::vector<uint8_t> r(12 + p.payload_bytes);
  r[0] = 0x80;
  r[1] = uint8_t((p.marker ? 0x80 : 0) | p.pt);
  put16(r, 2, p.seq);
  put32(r, 4, p.ts);
  put32(r, 8, p.ssrc);
  // Payload: PCMU/PCMA silence-ish pattern; content does not matter to stats.
  for (size_t i = 12; i < r.size(); ++i) r[i] = uint8_t(0xD5 ^ (i & 0x0F));
  // Opus: a valid RFC 6716 packet needs a TOC byte; config 15 (fullband
  // hybrid 20 ms), mono, code 0 (one frame of the remaining bytes).
  if (p.pt == kOpus.pt && r.size() > 12) r[12] = 0x78;
  cap.add(p.t_ns, udp_frame(from.addr, from.rtp_port, to.addr, to.rtp_port, r.data(), r.size()));
}

// NTP time (RFC 5905 era 0) of a capture time.
uint64_t ntp_of(uint64_t t_ns) {
  uint64_t secs = t_ns / kSec + 2208988800ULL;
  uint64_t frac = ((t_ns % kSec) << 32) / kSec;
  return secs << 32 | frac;
}

struct ReportBlock {
  uint32_t ssrc, lsr, dlsr;
};

// RTCP compound SR (+ one report block if rb) + SDES CNAME, RFC 3550 6.4.1/6.5.
void add_rtcp_sr(Capture& cap, uint64_t observed, const Leg& from, const Leg& to, uint32_t ssrc, uint64_t ntp,
                 uint32_t rtp_ts, uint32_t packets, uint32_t octets, const ReportBlock* rb, const std::string& cname) {
  std::vector<uint8_t> r(28 + (rb ? 24 : 0));
  r[0] = uint8_t(0x80 | (rb ? 1 : 0));
  r[1] = 200;
  put16(r, 2, uint16_t(r.size() / 4 - 1));
  put32(r, 4, ssrc);
  put32(r, 8, uint32_t(ntp >> 32));
  put32(r, 12, uint32_t(ntp));
  put32(r, 16, rtp_ts);
  put32(r, 20, packets);
  put32(r, 24, octets);
  if (rb) {
    put32(r, 28, rb->ssrc);  // fraction/cumulative lost and jitter left 0
    put32(r, 36, 0);
    put32(r, 44, rb->lsr);
    put32(r, 48, rb->dlsr);
  }
  size_t sdes = r.size();
  size_t chunk = 4 + 2 + cname.size() + 1;  // SSRC, CNAME item, end
  chunk = (chunk + 3) / 4 * 4;
  r.resize(sdes + 4 + chunk, 0);
  r[sdes] = 0x81;
  r[sdes + 1] = 202;
  put16(r, sdes + 2, uint16_t((4 + chunk) / 4 - 1));
  put32(r, sdes + 4, ssrc);
  r[sdes + 8] = 1;
  r[sdes + 9] = uint8_t(cname.size());
  std::memcpy(&r[sdes + 10], cname.data(), cname.size());
  cap.add(observed, udp_frame(from.addr, uint16_t(from.rtp_port + 1), to.addr, uint16_t(to.rtp_port + 1), r.data(),
                              r.size()));
}

// A plain stream: n frames from t0, 20 ms apart, each arrival delayed by a
// uniform [0, jitter_ms) network delay.
std::vector<RtpPkt> plain_stream(const Codec& c, uint32_t ssrc, uint16_t seq0, uint32_t ts0, uint64_t t0, int n,
                                 double jitter_ms, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> jit(0, jitter_ms);
  std::vector<RtpPkt> v;
  v.reserve(size_t(n));
  for (int i = 0; i < n; ++i) {
    RtpPkt p;
    p.t_ns = t0 + uint64_t(i) * kFrameInterval + uint64_t(jit(rng) * double(kMs));
    p.seq = uint16_t(seq0 + i);
    p.ts = ts0 + uint32_t(i) * c.ts_per_frame;
    p.ssrc = ssrc;
    p.pt = c.pt;
    p.payload_bytes = c.payload_bytes;
    v.push_back(p);
  }
  return v;
}

Call make_call(int index, const std::string& tag, const Codec& codec) {
  Call c;
  c.index = index;
  c.call_id = "pcapgen-" + tag + "-" + std::to_string(index) + "@198.51.100.10";
  c.sip_a = ip(198, 51, 100, 10);
  c.sip_b = ip(203, 0, 113, 20);
  c.a = Leg{ip(198, 51, 100, 10), uint16_t(20000 + 2 * (index % 20000))};
  c.b = Leg{ip(203, 0, 113, 20), uint16_t(40000 + 2 * (index % 12000))};
  c.codec = codec;
  return c;
}

// One call whose A->B stream is shaped by `shape`; B->A is a clean stream.
void edge_case(Capture& cap, const std::string& tag, std::mt19937_64& rng,
               const std::function<std::vector<RtpPkt>(uint64_t t0, std::mt19937_64&)>& shape) {
  Call c = make_call(0, tag, kPcmu);
  uint64_t t = kEpoch;
  uint64_t media = call_setup(cap, c, t);
  std::vector<RtpPkt> ab = shape(media, rng);
  std::vector<RtpPkt> ba = plain_stream(c.codec, 0x0B0B0B0B, 1000, 50000, media + 7 * kMs, 500, 4, rng);
  uint64_t end = media;
  for (const RtpPkt& p : ab) {
    add_rtp(cap, c.a, c.b, p);
    end = std::max(end, p.t_ns);
  }
  for (const RtpPkt& p : ba) {
    add_rtp(cap, c.b, c.a, p);
    end = std::max(end, p.t_ns);
  }
  call_teardown(cap, c, end + 50 * kMs);
}

constexpr uint32_t kSsrcA = 0x1234ABCD;

std::vector<RtpPkt> case_seqwrap(uint64_t t0, std::mt19937_64& rng) {
  // 500 frames from seq 65300: wraps at frame 236. One packet lost right at
  // the wrap (65535) and one just after (1), the cases Wireshark's cycle
  // heuristics treat specially.
  auto v = plain_stream(kPcmu, kSsrcA, 65300, 1000, t0, 500, 4, rng);
  std::vector<RtpPkt> out;
  for (const RtpPkt& p : v)
    if (p.seq != 65535 && p.seq != 1) out.push_back(p);
  return out;
}

std::vector<RtpPkt> case_ssrc_change(uint64_t t0, std::mt19937_64& rng) {
  // Same 5-tuple, new SSRC / seq / timestamp half way (a re-INVITE to another
  // media server, or a restarted sender): two streams, plus a stray.
  auto v = plain_stream(kPcmu, kSsrcA, 100, 5000, t0, 250, 4, rng);
  auto w = plain_stream(kPcmu, 0x55667788, 31000, 900000, t0 + 250 * kFrameInterval, 250, 4, rng);
  v.insert(v.end(), w.begin(), w.end());
  // A stray single packet of a third SSRC in between (a one-packet stream:
  // tshark prints its min delta/jitter as -1).
  RtpPkt stray{t0 + 249 * kFrameInterval + 9 * kMs, 4242, 77, 0x0000BEEF, kPcmu.pt, true, kPcmu.payload_bytes};
  v.push_back(stray);
  return v;
}

std::vector<RtpPkt> case_ts_jump(uint64_t t0, std::mt19937_64& rng) {
  // Timestamp jumps +80000 (10 s) at frame 150 without marker, then jumps
  // back below the first timestamp at frame 300 (Wireshark: "wrong
  // timestamp" from there on), sequence numbers stay continuous.
  auto v = plain_stream(kPcmu, kSsrcA, 2000, 400000, t0, 450, 4, rng);
  for (size_t i = 150; i < v.size(); ++i) v[i].ts += 80000;
  for (size_t i = 300; i < v.size(); ++i) v[i].ts = 1000 + uint32_t(i - 300) * 160;
  return v;
}

std::vector<RtpPkt> case_marker(uint64_t t0, std::mt19937_64& rng) {
  // Talkspurts with silence suppression: 100 frames, a gap, a frame with M
  // set whose timestamp reflects the silence. One gap is filled with comfort
  // noise (PT 13) every 200 ms instead of nothing.
  std::vector<RtpPkt> v;
  uint16_t seq = 7000;
  uint32_t ts = 12345;
  uint64_t t = t0;
  std::uniform_real_distribution<double> jit(0, 4);
  for (int spurt = 0; spurt < 5; ++spurt) {
    for (int i = 0; i < 100; ++i) {
      RtpPkt p{t + uint64_t(jit(rng) * double(kMs)), seq++, ts, kSsrcA, kPcmu.pt, i == 0, kPcmu.payload_bytes};
      v.push_back(p);
      ts += 160;
      t += kFrameInterval;
    }
    uint64_t gap = uint64_t(600 + 200 * spurt) * kMs;
    if (spurt == 2) {
      // CN frames during the gap (RFC 3389: 1-byte noise level).
      for (uint64_t g = 100 * kMs; g < gap; g += 200 * kMs) {
        RtpPkt cn{t + g, seq++, ts + uint32_t(g / kMs * 8), kSsrcA, 13, false, 1};
        v.push_back(cn);
      }
    }
    t += gap;
    ts += uint32_t(gap / kMs * 8);
  }
  return v;
}

std::vector<RtpPkt> case_duplicates(uint64_t t0, std::mt19937_64& rng) {
  // Every 25th frame sent twice (1 ms apart); one frame tripled; one
  // duplicate arriving 3 frames late.
  auto v = plain_stream(kPcmu, kSsrcA, 300, 0, t0, 500, 4, rng);
  std::vector<RtpPkt> out;
  for (size_t i = 0; i < v.size(); ++i) {
    out.push_back(v[i]);
    if (i % 25 == 10) {
      RtpPkt d = v[i];
      d.t_ns += kMs;
      out.push_back(d);
      if (i == 260) {
        d.t_ns += kMs;
        out.push_back(d);
      }
    }
    if (i == 400) {
      RtpPkt d = v[i];
      d.t_ns += 3 * kFrameInterval + 5 * kMs;
      out.push_back(d);
    }
  }
  return out;
}

std::vector<RtpPkt> case_reorder(uint64_t t0, std::mt19937_64& rng) {
  // Adjacent swaps every 40 frames, one frame 3 places late, and one
  // swap across the end of a 1 s window.
  auto v = plain_stream(kPcmu, kSsrcA, 40000, 777, t0, 500, 2, rng);
  for (size_t i = 20; i + 1 < v.size(); i += 40) std::swap(v[i].t_ns, v[i + 1].t_ns);
  // Frame 205 arrives after 208.
  v[205].t_ns = v[208].t_ns + 3 * kMs;
  return v;
}

std::vector<RtpPkt> case_late(uint64_t t0, std::mt19937_64& rng) {
  // Late packets: one 10 frames late, one 150 frames late (beyond RFC 3550's
  // MAX_MISORDER of 100), and the last frame of the stream arriving after
  // the two before it (Wireshark's expected uses the last seq seen).
  auto v = plain_stream(kPcmu, kSsrcA, 9000, 160000, t0, 500, 3, rng);
  v[100].t_ns = v[110].t_ns + 5 * kMs;
  v[200].t_ns = v[350].t_ns + 5 * kMs;
  v[497].t_ns = v[499].t_ns + 5 * kMs;
  return v;
}

std::vector<RtpPkt> case_loss_burst(uint64_t t0, std::mt19937_64& rng) {
  // Bursts of 1, 3 and 10 frames lost, plus ~2 % random single losses.
  auto v = plain_stream(kPcmu, kSsrcA, 12000, 99999, t0, 500, 4, rng);
  std::bernoulli_distribution drop(0.02);
  std::vector<RtpPkt> out;
  for (size_t i = 0; i < v.size(); ++i) {
    bool burst = i == 50 || (i >= 150 && i < 153) || (i >= 300 && i < 310);
    bool random_loss = i > 5 && i + 5 < v.size() && drop(rng);
    if (!burst && !random_loss) out.push_back(v[i]);
  }
  return out;
}

// Many concurrent calls, both directions, codecs cycling PCMU/PCMA/G729/opus,
// jitter up to 8 ms and 0.5 % random loss, RTCP SR with report blocks both
// ways (round trip 80 ms by LSR/DLSR); call starts spread over the first
// fifth of the run. Frames are generated and written per 20 ms tick so the
// memory stays small however long the run.
int multi_stream(pcap_dumper_t* out, int calls, int seconds, uint64_t seed) {
  const Codec codecs[] = {kPcmu, kPcma, kG729, kOpus};
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> jit(0, 8);
  std::bernoulli_distribution drop(0.005);
  struct Live {
    Call call;
    uint64_t media_start, media_end;
    uint32_t ssrc_ab, ssrc_ba;
    uint16_t seq_ab, seq_ba;
    uint32_t ts_ab, ts_ba;
    uint32_t sent_ab = 0, sent_ba = 0;
    uint64_t sr_a_seen = 0, sr_b_seen = 0;  // observed times of the last SRs
    uint32_t sr_a_mid = 0, sr_b_mid = 0;    // their NTP middle 32 bits (LSR)
    bool setup_done = false, torn_down = false;
  };
  std::vector<Live> live;
  live.reserve(size_t(calls));
  uint64_t total = uint64_t(seconds) * kSec;
  uint64_t spread = total / 5;
  for (int i = 0; i < calls; ++i) {
    Live l;
    l.call = make_call(i, "multi", codecs[i % 4]);
    uint64_t start = kEpoch + (calls > 1 ? spread * uint64_t(i) / uint64_t(calls - 1) : 0);
    l.media_start = start + 420 * kMs;
    l.media_end = kEpoch + total - 200 * kMs;
    if (l.media_end <= l.media_start + kFrameInterval) l.media_end = l.media_start + kFrameInterval * 2;
    l.ssrc_ab = uint32_t(rng());
    l.ssrc_ba = uint32_t(rng());
    l.seq_ab = uint16_t(rng());
    l.seq_ba = uint16_t(rng());
    l.ts_ab = uint32_t(rng() & 0x3FFFFFFF);
    l.ts_ba = uint32_t(rng() & 0x3FFFFFFF);
    live.push_back(l);
  }
  uint64_t written = 0;
  // A call's SIP messages are generated at once and span 410 ms: frames
  // wait here until the tick that covers their time, so the file stays in
  // time order.
  std::vector<Frame> carry;
  auto dump = [&](const Frame& f) {
    pcap_pkthdr h{};
    h.ts.tv_sec = long(f.t_ns / kSec);
    h.ts.tv_usec = long(f.t_ns % kSec / 1000);
    h.caplen = h.len = uint32_t(f.bytes.size());
    pcap_dump(reinterpret_cast<u_char*>(out), &h, f.bytes.data());
    ++written;
  };
  for (uint64_t tick = kEpoch; tick < kEpoch + total + kSec; tick += kFrameInterval) {
    Capture cap;
    for (Live& l : live) {
      uint64_t setup_at = l.media_start - 420 * kMs;
      if (!l.setup_done && setup_at < tick + kFrameInterval) {
        call_setup(cap, l.call, setup_at);  // its messages may span ticks: fine, sorted below
        l.setup_done = true;
      }
      if (l.setup_done && !l.torn_down && tick >= l.media_start && tick < l.media_end) {
        for (int dir = 0; dir < 2; ++dir) {
          uint16_t& seq = dir ? l.seq_ba : l.seq_ab;
          uint32_t& ts = dir ? l.ts_ba : l.ts_ab;
          RtpPkt p{tick + uint64_t(jit(rng) * double(kMs)) + (dir ? 3 * kMs : 0), seq++, ts,
                   dir ? l.ssrc_ba : l.ssrc_ab, l.call.codec.pt, false, l.call.codec.payload_bytes};
          ts += l.call.codec.ts_per_frame;
          ++(dir ? l.sent_ba : l.sent_ab);
          if (drop(rng)) continue;
          if (dir)
            add_rtp(cap, l.call.b, l.call.a, p);
          else
            add_rtp(cap, l.call.a, l.call.b, p);
        }
      }
      // RTCP: A's SR 1 s into the media and every 5 s, B's 2.5 s after each.
      // The capture point is 15 ms from A and 25 ms from B, so the LSR/DLSR
      // round trip is 2 x 15 + 2 x 25 = 80 ms.
      if (l.setup_done && !l.torn_down && tick >= l.media_start + kSec) {
        uint64_t phase = (tick - l.media_start - kSec) % (5 * kSec);
        for (int side = 0; side < 2; ++side) {
          uint64_t at = side ? 2500 * kMs : 0;
          uint64_t wait = (at + 5 * kSec - phase) % (5 * kSec);  // to the next scheduled SR
          if (wait >= kFrameInterval) continue;
          uint64_t seen = tick + wait;
          if (seen >= l.media_end) continue;
          const std::string cname = (side ? "sbc" : "pbx") + std::to_string(l.call.index);
          if (side == 0) {
            uint64_t sent = seen - 15 * kMs;
            ReportBlock rb{l.ssrc_ba, l.sr_b_mid, 0};
            if (l.sr_b_mid) rb.dlsr = uint32_t((sent - (l.sr_b_seen + 15 * kMs)) * 65536 / kSec);
            uint64_t ntp = ntp_of(sent);
            add_rtcp_sr(cap, seen, l.call.a, l.call.b, l.ssrc_ab, ntp, l.ts_ab, l.sent_ab,
                        l.sent_ab * uint32_t(l.call.codec.payload_bytes), l.sr_b_mid ? &rb : nullptr, cname);
            l.sr_a_seen = seen;
            l.sr_a_mid = uint32_t(ntp >> 16);
          } else if (l.sr_a_mid) {
            uint64_t sent = seen - 25 * kMs;
            ReportBlock rb{l.ssrc_ab, l.sr_a_mid, uint32_t((sent - (l.sr_a_seen + 25 * kMs)) * 65536 / kSec)};
            uint64_t ntp = ntp_of(sent);
            add_rtcp_sr(cap, seen, l.call.b, l.call.a, l.ssrc_ba, ntp, l.ts_ba, l.sent_ba,
                        l.sent_ba * uint32_t(l.call.codec.payload_bytes), &rb, cname);
            l.sr_b_seen = seen;
            l.sr_b_mid = uint32_t(ntp >> 16);
          }
        }
      }
      if (l.setup_done && !l.torn_down && tick >= l.media_end) {
        call_teardown(cap, l.call, tick + 30 * kMs);
        l.torn_down = true;
      }
    }
    for (Frame& f : cap.frames) carry.push_back(std::move(f));
    std::stable_sort(carry.begin(), carry.end(), [](const Frame& x, const Frame& y) { return x.t_ns < y.t_ns; });
    size_t n = 0;
    uint64_t horizon = tick + kFrameInterval;
    while (n < carry.size() && carry[n].t_ns < horizon) ++n;
    for (size_t i = 0; i < n; ++i) dump(carry[i]);
    carry.erase(carry.begin(), carry.begin() + long(n));
  }
  for (const Frame& f : carry) dump(f);
  std::fprintf(stderr, "tg-pcapgen: multi-stream: %d calls, %d s, %llu frames\n", calls, seconds,
               static_cast<unsigned long long>(written));
  return 0;
}

void write_all(pcap_dumper_t* out, Capture& cap) {
  std::stable_sort(cap.frames.begin(), cap.frames.end(), [](const Frame& x, const Frame& y) {
    return x.t_ns != y.t_ns ? x.t_ns < y.t_ns : x.order < y.order;
  });
  for (const Frame& f : cap.frames) {
    pcap_pkthdr h{};
    h.ts.tv_sec = long(f.t_ns / kSec);
    h.ts.tv_usec = long(f.t_ns % kSec / 1000);
    h.caplen = h.len = uint32_t(f.bytes.size());
    pcap_dump(reinterpret_cast<u_char*>(out), &h, f.bytes.data());
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string name, file;
  int calls = 100, seconds = 30;
  uint64_t seed = 1;
  po::options_description desc(
      "tg-pcapgen: write a pcap of an RTP edge case or of many concurrent calls\n"
      "cases: seqwrap ssrc-change ts-jump marker duplicates reorder late loss-burst multi-stream\n"
      "options");
  desc.add_options()("help,h", "this help")("case", po::value(&name), "case name")(
      "output,o", po::value(&file), "pcap file to write")("calls", po::value(&calls)->default_value(100),
                                                           "multi-stream: concurrent calls (1..10000)")(
      "seconds", po::value(&seconds)->default_value(30), "multi-stream: capture length (1..3600)")(
      "seed", po::value(&seed)->default_value(1), "pseudo-random seed (jitter, loss)");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    std::cerr << "tg-pcapgen: " << e.what() << "\n" << desc;
    return 2;
  }
  if (vm.count("help")) {
    std::cout << desc;
    return 0;
  }
  if (name.empty() || file.empty()) {
    std::cerr << "tg-pcapgen: --case and -o are required\n" << desc;
    return 2;
  }
  if (calls < 1 || calls > 10000 || seconds < 1 || seconds > 3600) {
    std::cerr << "tg-pcapgen: --calls must be 1..10000 and --seconds 1..3600\n";
    return 2;
  }
  using Shape = std::vector<RtpPkt> (*)(uint64_t, std::mt19937_64&);
  struct Named {
    const char* name;
    Shape shape;
  } cases[] = {{"seqwrap", case_seqwrap},       {"ssrc-change", case_ssrc_change}, {"ts-jump", case_ts_jump},
               {"marker", case_marker},         {"duplicates", case_duplicates},   {"reorder", case_reorder},
               {"late", case_late},             {"loss-burst", case_loss_burst}};
  Shape shape = nullptr;
  for (const Named& n : cases)
    if (name == n.name) shape = n.shape;
  if (!shape && name != "multi-stream") {
    std::cerr << "tg-pcapgen: unknown case '" << name << "'\n" << desc;
    return 2;
  }
  pcap_t* dead = pcap_open_dead(DLT_EN10MB, 65535);
  if (!dead) {
    std::cerr << "tg-pcapgen: pcap_open_dead failed\n";
    return 1;
  }
  pcap_dumper_t* out = pcap_dump_open(dead, file.c_str());
  if (!out) {
    std::cerr << "tg-pcapgen: " << file << ": " << pcap_geterr(dead) << "\n";
    pcap_close(dead);
    return 1;
  }
  int rc = 0;
  if (shape) {
    std::mt19937_64 rng(seed);
    Capture cap;
    edge_case(cap, name, rng, shape);
    write_all(out, cap);
  } else {
    rc = multi_stream(out, calls, seconds, seed);
  }
  if (pcap_dump_flush(out) != 0) {
    std::cerr << "tg-pcapgen: " << file << ": write failed\n";
    rc = 1;
  }
  pcap_dump_close(out);
  pcap_close(dead);
  return rc;
}
