#include "dataplane/core/stream_table.hpp"

#include <CppUTest/TestHarness.h>

#include <vector>

#include "tests/unit/dataplane/core/frame_builder.hpp"

namespace {

using tg::Endpoint;
using tg::StreamCounter;
using tg::TimeNs;
using tg::kNsPerMs;

Endpoint ep(const char* ip, uint16_t port) {
  Endpoint e;
  CHECK_TRUE(e.addr.parse(ip));
  e.port = port;
  return e;
}

std::vector<uint8_t> rtp(uint16_t seq, uint32_t ts, uint32_t ssrc, uint8_t pt = 0, bool marker = false) {
  std::vector<uint8_t> b = {0x80, uint8_t((marker ? 0x80 : 0) | pt), uint8_t(seq >> 8), uint8_t(seq),
                            uint8_t(ts >> 24), uint8_t(ts >> 16), uint8_t(ts >> 8), uint8_t(ts),
                            uint8_t(ssrc >> 24), uint8_t(ssrc >> 16), uint8_t(ssrc >> 8), uint8_t(ssrc)};
  b.resize(12 + 160, 0xFF);
  return b;
}

tg::Bytes bytes(const std::vector<uint8_t>& v) { return {v.data(), v.size()}; }

tg::RtpMediaInfo pcmu_media(tg::MediaDirection dir = tg::MediaDirection::sendrecv) {
  tg::RtpMediaInfo m;
  m.add(0, tg::Codec::pcmu, 8000);
  m.add(101, tg::Codec::telephone_event, 0);
  m.direction = dir;
  return m;
}

const TimeNs kT0 = 1000 * tg::kNsPerSec;

// n packets of 20 ms G.711 from src to dst starting at seq0 / t0.
void send(tg::StreamTable& t, const Endpoint& src, const Endpoint& dst, uint32_t ssrc, uint16_t seq0, int n,
          TimeNs t0, uint8_t pt = 0, uint32_t ts_step = 160) {
  for (int i = 0; i < n; ++i) {
    auto p = rtp(uint16_t(seq0 + i), ts_step * uint32_t(i), ssrc, pt);
    t.on_udp(src, dst, bytes(p), t0 + TimeNs(i) * 20 * kNsPerMs);
  }
}

using tg::test::Rtcp;

}  // namespace

TEST_GROUP(StreamTable){};

TEST(StreamTable, LearnsStreamFromSdpExpectation) {
  tg::StreamTable t({});
  Endpoint a = ep("198.51.100.1", 4000), b = ep("203.0.113.5", 5004);
  CHECK_TRUE(t.expect(b, 17, pcmu_media(), kT0));
  CHECK_TRUE(t.expected(b));
  // RTCP side (port + 1) is expected too, no rtcp-mux.
  CHECK_TRUE(t.expected(ep("203.0.113.5", 5005)));
  send(t, a, b, 0x1234ABCD, 100, 50, kT0);
  LONGS_EQUAL(1, t.size());
  const tg::RtpStream* s = t.find(a, b, 0x1234ABCD);
  CHECK_TRUE(s != nullptr);
  LONGS_EQUAL(17, s->call_slot);
  CHECK(s->codec == tg::Codec::pcmu);
  LONGS_EQUAL(8000, s->clock_rate_for(0));
  LONGS_EQUAL(0, s->clock_rate_for(101));
  LONGS_EQUAL(50, s->stats.wireshark().packets);
  LONGS_EQUAL(0, s->stats.wireshark().lost());
  CHECK_FALSE(s->heuristic());
  LONGS_EQUAL(50, t.counter(StreamCounter::rtp_packets));
  LONGS_EQUAL(1, t.counter(StreamCounter::streams_created));
  // 50 packets span 980 ms: no 1 s window closed yet; the 51st closes it.
  DOUBLES_EQUAL(-1, s->r_short, 0);
  send(t, a, b, 0x1234ABCD, 150, 1, kT0 + 1000 * kNsPerMs);
  DOUBLES_EQUAL(93.2, s->r_short, 0.01);
  CHECK(t.media_state(0, kT0) == tg::StreamMediaState::flowing);
}

TEST(StreamTable, UnexpectedUdpIsNotRtpWithoutHeuristic) {
  tg::StreamTable t({});
  send(t, ep("198.51.100.1", 4000), ep("203.0.113.5", 5004), 1, 1, 3, kT0);
  LONGS_EQUAL(0, t.size());
  LONGS_EQUAL(3, t.counter(StreamCounter::not_rtp));
}

TEST(StreamTable, HeuristicLearningWhenEnabled) {
  tg::StreamTableConfig cfg;
  cfg.heuristic = true;
  tg::StreamTable t(cfg);
  send(t, ep("198.51.100.1", 4000), ep("203.0.113.5", 5004), 1, 1, 3, kT0);
  // SIP port and privileged ports are not taken as RTP.
  send(t, ep("198.51.100.1", 5060), ep("203.0.113.5", 5060), 2, 1, 3, kT0);
  send(t, ep("198.51.100.1", 53), ep("203.0.113.5", 4000), 3, 1, 3, kT0);
  LONGS_EQUAL(1, t.size());
  LONGS_EQUAL(1, t.counter(StreamCounter::streams_heuristic));
  const tg::RtpStream* s = t.find(ep("198.51.100.1", 4000), ep("203.0.113.5", 5004), 1);
  CHECK_TRUE(s != nullptr);
  CHECK_TRUE(s->heuristic());
  LONGS_EQUAL(tg::kNoCallSlot, s->call_slot);
}

TEST(StreamTable, SsrcChangeStartsANewStream) {
  tg::StreamTable t({});
  Endpoint a = ep("198.51.100.1", 4000), b = ep("203.0.113.5", 5004);
  t.expect(b, 3, pcmu_media(), kT0);
  send(t, a, b, 0xAAAA, 1, 10, kT0);
  send(t, a, b, 0xBBBB, 5000, 10, kT0 + 200 * kNsPerMs);
  LONGS_EQUAL(2, t.size());
  LONGS_EQUAL(1, t.counter(StreamCounter::streams_ssrc_change));
  LONGS_EQUAL(10, t.find(a, b, 0xAAAA)->stats.wireshark().packets);
  LONGS_EQUAL(10, t.find(a, b, 0xBBBB)->stats.wireshark().packets);
  LONGS_EQUAL(0, t.find(a, b, 0xBBBB)->stats.wireshark().lost());
}

TEST(StreamTable, FullTableCountsAndDrops) {
  tg::StreamTableConfig cfg;
  cfg.capacity = 2;
  tg::StreamTable t(cfg);
  Endpoint b = ep("203.0.113.5", 5004);
  t.expect(b, 1, pcmu_media(), kT0);
  send(t, ep("198.51.100.1", 4000), b, 1, 1, 2, kT0);
  send(t, ep("198.51.100.2", 4000), b, 2, 1, 2, kT0);
  auto p = rtp(1, 0, 3);
  tg::UdpMediaResult r = t.on_udp(ep("198.51.100.3", 4000), b, bytes(p), kT0);
  CHECK(r.kind == tg::UdpMediaKind::dropped);
  LONGS_EQUAL(tg::kNoStream, r.stream);
  LONGS_EQUAL(2, t.size());
  LONGS_EQUAL(1, t.counter(StreamCounter::table_full));
  // Existing streams keep being tracked.
  p = rtp(3, 320, 1);
  r = t.on_udp(ep("198.51.100.1", 4000), b, bytes(p), kT0 + 40 * kNsPerMs);
  CHECK(r.kind == tg::UdpMediaKind::rtp);
}

TEST(StreamTable, ExpectationTableFull) {
  tg::StreamTableConfig cfg;
  cfg.expect_capacity = 3;
  tg::StreamTable t(cfg);
  CHECK_TRUE(t.expect(ep("203.0.113.5", 5004), 1, pcmu_media(), kT0));  // 2 entries
  CHECK_FALSE(t.expect(ep("203.0.113.6", 5004), 2, pcmu_media(), kT0)); // needs 2, 1 left
  LONGS_EQUAL(1, t.counter(StreamCounter::expect_full));
  tg::RtpMediaInfo mux = pcmu_media();
  mux.rtcp_mux = true;
  CHECK_TRUE(t.expect(ep("203.0.113.6", 5004), 2, mux, kT0));  // 1 entry
  LONGS_EQUAL(3, t.expect_size());
  // Refreshing an existing one needs no room.
  CHECK_TRUE(t.expect(ep("203.0.113.5", 5004), 1, pcmu_media(), kT0));
}

TEST(StreamTable, IdleStreamsExpireAndSlotsAreReused) {
  tg::StreamTableConfig cfg;
  cfg.capacity = 200;
  cfg.stream_idle = tg::kNsPerSec;
  cfg.heuristic = true;
  tg::StreamTable t(cfg);
  struct Hook {
    int retired = 0;
  } hook;
  t.set_retire_hook([](const tg::RtpStream&, void* ctx) { ++static_cast<Hook*>(ctx)->retired; }, &hook);
  Endpoint b = ep("203.0.113.5", 5004);
  // 200 streams; the odd ones keep talking, the even ones go quiet.
  for (uint16_t i = 0; i < 200; ++i) send(t, ep("198.51.100.1", uint16_t(10000 + 2 * i)), b, i, 1, 1, kT0);
  LONGS_EQUAL(200, t.size());
  for (uint16_t i = 1; i < 200; i += 2) {
    auto p = rtp(2, 160, i);
    t.on_udp(ep("198.51.100.1", uint16_t(10000 + 2 * i)), b, bytes(p), kT0 + 1500 * kNsPerMs);
  }
  // A small budget visits only part of the table.
  LONGS_EQUAL(5, t.expire(kT0 + 2 * tg::kNsPerSec, 10));
  LONGS_EQUAL(95, t.expire(kT0 + 2 * tg::kNsPerSec));
  LONGS_EQUAL(100, hook.retired);
  LONGS_EQUAL(100, t.size());
  LONGS_EQUAL(100, t.counter(StreamCounter::streams_expired));
  // Every survivor is still found after the backward-shift deletions.
  for (uint16_t i = 0; i < 200; ++i) {
    const tg::RtpStream* s = t.find(ep("198.51.100.1", uint16_t(10000 + 2 * i)), b, i);
    if (i % 2) {
      CHECK_TRUE(s != nullptr);
      LONGS_EQUAL(2, s->stats.packets());
    } else {
      CHECK_TRUE(s == nullptr);
    }
  }
  // Freed entries are reused: 100 new streams fit again.
  for (uint16_t i = 0; i < 100; ++i) send(t, ep("198.51.100.2", uint16_t(10000 + 2 * i)), b, i, 1, 1, kT0 + 3 * tg::kNsPerSec);
  LONGS_EQUAL(200, t.size());
  LONGS_EQUAL(0, t.counter(StreamCounter::table_full));
  size_t n = 0;
  t.for_each([&](const tg::RtpStream&) { ++n; });
  LONGS_EQUAL(200, n);
}

TEST(StreamTable, ExpectationsExpireUnlessMediaFlows) {
  tg::StreamTableConfig cfg;
  cfg.expect_idle = 10 * tg::kNsPerSec;
  cfg.stream_idle = 0;  // keep streams
  tg::StreamTable t(cfg);
  Endpoint a = ep("198.51.100.1", 4000), b = ep("203.0.113.5", 5004), c = ep("203.0.113.6", 5004);
  t.expect(b, 1, pcmu_media(), kT0);
  t.expect(c, 2, pcmu_media(), kT0);
  send(t, a, b, 1, 1, 1, kT0);
  send(t, a, b, 1, 2, 1, kT0 + 9 * tg::kNsPerSec);
  t.expire(kT0 + 15 * tg::kNsPerSec);
  CHECK_TRUE(t.expected(b));   // media 6 s ago
  CHECK_FALSE(t.expected(c));  // nothing for 15 s
  CHECK_FALSE(t.expected(ep("203.0.113.5", 5005)));  // RTCP side: no RTCP seen
  t.unexpect(b);
  CHECK_FALSE(t.expected(b));
  LONGS_EQUAL(0, t.expect_size());
}

TEST(StreamTable, HoldFromSdpDirection) {
  tg::StreamTable t({});
  Endpoint a = ep("198.51.100.1", 4000), b = ep("203.0.113.5", 5004);
  t.expect(b, 1, pcmu_media(), kT0);
  send(t, a, b, 7, 1, 3, kT0);
  tg::UdpMediaResult r = t.on_udp(a, b, bytes(rtp(4, 480, 7)), kT0 + 60 * kNsPerMs);
  CHECK(t.media_state(r.stream, kT0) == tg::StreamMediaState::flowing);
  // re-INVITE: b's owner goes sendonly (puts the call on hold).
  t.expect(b, 1, pcmu_media(tg::MediaDirection::sendonly), kT0 + tg::kNsPerSec);
  CHECK(t.media_state(r.stream, kT0) == tg::StreamMediaState::on_hold);
  t.expect(b, 1, pcmu_media(tg::MediaDirection::sendrecv), kT0 + 2 * tg::kNsPerSec);
  CHECK(t.media_state(r.stream, kT0) == tg::StreamMediaState::flowing);
  // Comfort noise is silence, not a blackout.
  r = t.on_udp(a, b, bytes(rtp(5, 640, 7, 13)), kT0 + 80 * kNsPerMs);
  CHECK(t.media_state(r.stream, kT0) == tg::StreamMediaState::comfort_noise);
}

TEST(StreamTable, OpusClockFromSdp) {
  tg::SdpSession sdp;
  const char* body =
      "v=0\r\no=- 1 1 IN IP4 203.0.113.5\r\ns=-\r\nc=IN IP4 203.0.113.5\r\nt=0 0\r\n"
      "m=audio 5004 RTP/AVP 111 101\r\na=rtpmap:111 opus/48000/2\r\n"
      "a=rtpmap:101 telephone-event/8000\r\na=rtcp-mux\r\na=ptime:20\r\n";
  LONGS_EQUAL(int(tg::SdpStatus::ok), int(tg::parse_sdp(body, sdp)));
  tg::RtpMediaInfo m = tg::RtpMediaInfo::from_sdp(sdp.media[0]);
  LONGS_EQUAL(2, m.codec_count);
  CHECK_TRUE(m.rtcp_mux);
  LONGS_EQUAL(20, m.ptime_ms);
  LONGS_EQUAL(48000, m.find(111)->clock_rate);
  CHECK(m.find(111)->codec == tg::Codec::opus);
  LONGS_EQUAL(0, m.find(101)->clock_rate);
  tg::StreamTable t({});
  Endpoint a = ep("198.51.100.1", 4000), b = ep("203.0.113.5", 5004);
  t.expect(b, 9, m, kT0);
  CHECK_FALSE(t.expected(ep("203.0.113.5", 5005)));  // rtcp-mux: no second entry
  // 960 units per 20 ms; third packet 8 ms late -> jitter 8/16 = 0.5 ms.
  t.on_udp(a, b, bytes(rtp(1, 0, 5, 111)), kT0);
  t.on_udp(a, b, bytes(rtp(2, 960, 5, 111)), kT0 + 20 * kNsPerMs);
  t.on_udp(a, b, bytes(rtp(3, 1920, 5, 111)), kT0 + 48 * kNsPerMs);
  const tg::RtpStream* s = t.find(a, b, 5);
  CHECK(s->codec == tg::Codec::opus);
  DOUBLES_EQUAL(0.5, s->stats.wireshark().max_jitter_ms, 1e-9);
  DOUBLES_EQUAL(0.5, s->stats.jitter_ms(), 1e-6);
  // RTCP on the same port (mux) is recognised as RTCP.
  Rtcp rr;
  rr.rr(0x99, 5, 0, 0);
  tg::UdpMediaResult r = t.on_udp(ep("198.51.100.9", 4000), ep("198.51.100.1", 4000), rr.bytes(), kT0);
  CHECK(r.kind == tg::UdpMediaKind::none);  // neither side advertised
  r = t.on_udp(a, b, rr.bytes(), kT0);
  CHECK(r.kind == tg::UdpMediaKind::rtcp);
  LONGS_EQUAL(9, r.call_slot);
}

TEST(StreamTable, RoundTripFromSrAndRrBothWays) {
  tg::StreamTable t({});
  Endpoint a = ep("198.51.100.1", 4000), b = ep("203.0.113.5", 5004);
  Endpoint a_rtcp = ep("198.51.100.1", 4001), b_rtcp = ep("203.0.113.5", 5005);
  t.expect(a, 1, pcmu_media(), kT0);
  t.expect(b, 1, pcmu_media(), kT0);
  send(t, a, b, 0xA, 1, 5, kT0);
  send(t, b, a, 0xB, 1, 5, kT0);
  const tg::RtpStream* ab = t.find(a, b, 0xA);
  const tg::RtpStream* ba = t.find(b, a, 0xB);
  DOUBLES_EQUAL(-1, t.round_trip_ms(*ab), 0);
  // A's SR (NTP middle 32 = 0x00010000) seen at +1000 ms; B's RR quoting it
  // with DLSR 250 ms seen at +1300 ms: segment us<->B = 50 ms.
  Rtcp sr_a;
  sr_a.sr(0xA, 0x0000000100000000ULL);
  CHECK(t.on_udp(a_rtcp, b_rtcp, sr_a.bytes(), kT0 + 1000 * kNsPerMs).kind == tg::UdpMediaKind::rtcp);
  Rtcp rr_b;
  rr_b.rr(0xB, 0xA, 0x00010000, 16384);
  t.on_udp(b_rtcp, a_rtcp, rr_b.bytes(), kT0 + 1300 * kNsPerMs);
  DOUBLES_EQUAL(50.0, ab->rtcp.rtt_segment_ms, 1e-3);
  LONGS_EQUAL(1, ab->rtcp.sr_count);
  LONGS_EQUAL(1, ab->rtcp.rr_count);
  // Only one direction known: no round trip yet.
  DOUBLES_EQUAL(-1, t.round_trip_ms(*ab), 0);
  // B's SR seen at +2000 ms, A's RR with DLSR 125 ms at +2220: 95 ms.
  Rtcp sr_b;
  sr_b.sr(0xB, 0x0000000280000000ULL);
  t.on_udp(b_rtcp, a_rtcp, sr_b.bytes(), kT0 + 2000 * kNsPerMs);
  Rtcp rr_a;
  rr_a.rr(0xA, 0xB, 0x00028000, 8192);
  t.on_udp(a_rtcp, b_rtcp, rr_a.bytes(), kT0 + 2220 * kNsPerMs);
  DOUBLES_EQUAL(95.0, ba->rtcp.rtt_segment_ms, 1e-3);
  DOUBLES_EQUAL(145.0, t.round_trip_ms(*ab), 1e-3);
  DOUBLES_EQUAL(145.0, t.round_trip_ms(*ba), 1e-3);
  LONGS_EQUAL(2, t.counter(StreamCounter::rtt_samples));
  // Quality uses RTT/2 = 72.5 ms one way.
  tg::EModelInput in;
  in.codec = tg::Codec::pcmu;
  in.one_way_delay_ms = 72.5;
  DOUBLES_EQUAL(tg::emodel_rate(in).r, t.quality(*ab).r, 0.001);
  // An RR quoting an LSR we never saw gives no sample.
  Rtcp stale;
  stale.rr(0xB, 0xA, 0x12345678, 0);
  t.on_udp(b_rtcp, a_rtcp, stale.bytes(), kT0 + 3000 * kNsPerMs);
  LONGS_EQUAL(2, t.counter(StreamCounter::rtt_samples));
  // RTCP about nobody we know.
  Rtcp other;
  other.rr(0x77, 0x88, 0, 0);
  t.on_udp(b_rtcp, a_rtcp, other.bytes(), kT0);
  LONGS_EQUAL(1, t.counter(StreamCounter::rtcp_unmatched));
}

TEST(StreamTable, ByeEndsStreamAndMalformedCounted) {
  tg::StreamTable t({});
  Endpoint a = ep("198.51.100.1", 4000), b = ep("203.0.113.5", 5004);
  t.expect(b, 1, pcmu_media(), kT0);
  tg::UdpMediaResult r = t.on_udp(a, b, bytes(rtp(1, 0, 0xA)), kT0);
  Rtcp bye;
  bye.u8(0x80).u8(201).u16(1).u32(0xA);  // RR without blocks
  bye.u8(0x81).u8(203).u16(1).u32(0xA);
  t.on_udp(ep("198.51.100.1", 4001), ep("203.0.113.5", 5005), bye.bytes(), kT0);
  CHECK(t.media_state(r.stream, kT0) == tg::StreamMediaState::ended);
  // Garbage to the expected RTP and RTCP ports.
  std::vector<uint8_t> junk = {0x12, 0x34, 0x56};
  CHECK(t.on_udp(a, b, bytes(junk), kT0).kind == tg::UdpMediaKind::malformed);
  CHECK(t.on_udp(a, ep("203.0.113.5", 5005), bytes(junk), kT0).kind == tg::UdpMediaKind::malformed);
  LONGS_EQUAL(1, t.counter(StreamCounter::rtp_malformed));
  LONGS_EQUAL(1, t.counter(StreamCounter::rtcp_malformed));
}

TEST(StreamTable, XrVoipMetricsKeptOnTheStream) {
  tg::StreamTable t({});
  Endpoint a = ep("198.51.100.1", 4000), b = ep("203.0.113.5", 5004);
  t.expect(b, 1, pcmu_media(), kT0);
  t.expect(a, 1, pcmu_media(), kT0);
  t.on_udp(a, b, bytes(rtp(1, 0, 0xA)), kT0);
  Rtcp x;
  x.u8(0x80).u8(201).u16(1).u32(0xB);  // RR, no blocks, from B
  x.u8(0x80).u8(207).u16(10).u32(0xB).u8(7).u8(0).u16(8).u32(0xA);
  x.u8(12).u8(0).u8(0).u8(0).u16(0).u16(0).u16(150).u16(0);
  x.u8(0).u8(0).u8(0).u8(0).u8(85).u8(127).u8(40).u8(39).u8(0).u8(0).u16(0).u16(0).u16(0);
  tg::UdpMediaResult r = t.on_udp(ep("203.0.113.5", 5005), ep("198.51.100.1", 4001), x.bytes(), kT0);
  CHECK(r.kind == tg::UdpMediaKind::rtcp);
  const tg::RtpStream* s = t.find(a, b, 0xA);
  CHECK_TRUE(s->rtcp.xr_voip.present);
  LONGS_EQUAL(150, s->rtcp.xr_voip.round_trip_delay_ms);
  LONGS_EQUAL(85, s->rtcp.xr_voip.r_factor);
}

TEST(StreamTable, CounterNames) {
  STRCMP_EQUAL("table_full", tg::stream_counter_name(StreamCounter::table_full));
  STRCMP_EQUAL("streams removed after idle timeout", tg::stream_counter_text(StreamCounter::streams_expired));
  STRCMP_EQUAL("invalid", tg::stream_counter_name(StreamCounter::count_));
}

TEST(StreamTable, SilentStreamWindowsCloseOnAdvance) {
  tg::StreamTable t({});
  Endpoint a = ep("198.51.100.1", 4000), b = ep("203.0.113.5", 5004);
  t.expect(b, 1, pcmu_media(), kT0);
  send(t, a, b, 1, 1, 60, kT0);  // 1.2 s of media
  tg::UdpMediaResult r = t.on_udp(a, b, bytes(rtp(61, 9600, 1)), kT0 + 1200 * kNsPerMs);
  const tg::RtpStream* s = t.get(r.stream);
  DOUBLES_EQUAL(93.2, s->r_short, 0.01);
  t.advance(r.stream, kT0 + 3500 * kNsPerMs);
  DOUBLES_EQUAL(-1, s->r_short, 0);        // empty window: no rating
  DOUBLES_EQUAL(93.2, s->r_short_min, 0.01);  // worst rated window kept
}

TEST(StreamTable, SymmetricRtpFromAnAdvertisedEndpoint) {
  // Only B's SDP is known; B sends from the address it advertised to a NATed
  // address no SDP named (RFC 4961 symmetric RTP). Wireshark decodes it
  // through B's SDP conversation, and so do we.
  tg::StreamTable t({});
  Endpoint b = ep("203.0.113.5", 5004), nat = ep("192.0.2.77", 61000);
  t.expect(b, 4, pcmu_media(), kT0);
  send(t, b, nat, 0xB, 1, 5, kT0);
  const tg::RtpStream* s = t.find(b, nat, 0xB);
  CHECK_TRUE(s != nullptr);
  LONGS_EQUAL(4, s->call_slot);
  CHECK_FALSE(s->heuristic());
  LONGS_EQUAL(5, s->stats.packets());
  // From and to nobody advertised: still not RTP.
  send(t, ep("192.0.2.78", 61000), nat, 0xC, 1, 5, kT0);
  LONGS_EQUAL(1, t.size());
}

TEST(StreamTable, LossLowersWindowRatingMoreWithoutPlc) {
  // 1 s window with 2 of 49 lost (random): Ie,eff = 95 * p / (p + Bpl).
  for (bool plc : {true, false}) {
    tg::StreamTableConfig cfg;
    cfg.g711_plc = plc;
    tg::StreamTable t(cfg);
    Endpoint a = ep("198.51.100.1", 4000), b = ep("203.0.113.5", 5004);
    t.expect(b, 1, pcmu_media(), kT0);
    for (uint16_t q = 1; q <= 51; ++q) {
      if (q == 20 || q == 40) continue;
      t.on_udp(a, b, bytes(rtp(q, 160u * q, 1)), kT0 + TimeNs(q - 1) * 20 * kNsPerMs);
    }
    const tg::RtpStream* s = t.find(a, b, 1);
    double ppl = 100.0 * 2 / 49;
    const tg::RtpWindow& w = s->stats.window_short();
    LONGS_EQUAL(2, w.lost);
    // Transitions 2..50: 44 found->found, 2 found->lost, 2 lost->found.
    DOUBLES_EQUAL(1.0 / (2.0 / 46 + 2.0 / 2), w.runs.burst_r(), 1e-9);
    double ie = 95 * ppl / (ppl / w.runs.burst_r() + (plc ? 25.1 : 4.3));
    DOUBLES_EQUAL(93.206 - ie, s->r_short, 0.01);
  }
}

TEST(StreamTable, PairWinsOverTheSharedDestination) {
  tg::StreamTable t({});
  const Endpoint server = ep("203.0.113.5", 6000);
  const Endpoint a = ep("192.0.2.10", 20000), b = ep("192.0.2.10", 20002);
  // Offers (dst alone), then answers from one shared address with the pair.
  CHECK_TRUE(t.expect(a, 1, pcmu_media(), kT0));
  CHECK_TRUE(t.expect(b, 2, pcmu_media(), kT0));
  CHECK_TRUE(t.expect(server, 1, pcmu_media(), kT0, a));
  CHECK_TRUE(t.pair(a, server, 1, kT0));
  CHECK_TRUE(t.expect(server, 2, pcmu_media(), kT0, b));
  CHECK_TRUE(t.pair(b, server, 2, kT0));
  LONGS_EQUAL(1, t.expected_call(server, a));  // a -> server: call 1, not the last answer's 2
  LONGS_EQUAL(2, t.expected_call(server, b));
  LONGS_EQUAL(1, t.expected_call(a, server));
  LONGS_EQUAL(2, t.expected_call(b, server));
  // A sender no SDP named (NAT): the destination alone, last SDP wins.
  LONGS_EQUAL(2, t.expected_call(server, ep("198.51.100.7", 4000)));
  LONGS_EQUAL(tg::kNoCallSlot, t.expected_call(ep("198.51.100.8", 1), ep("198.51.100.7", 4000)));
  CHECK_FALSE(t.pair(ep("198.51.100.9", 1), server, 3, kT0));  // nothing offered there
}
