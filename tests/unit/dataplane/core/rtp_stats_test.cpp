#include "dataplane/core/rtp_stats.hpp"

#include <CppUTest/TestHarness.h>

#include <initializer_list>

namespace {

struct Pkt {
  uint16_t seq;
  uint32_t ts;
  double at_ms;
  uint8_t pt = 0;
  bool marker = false;
};

tg::RtpHeader hdr(const Pkt& p) {
  tg::RtpHeader h;
  h.seq = p.seq;
  h.timestamp = p.ts;
  h.payload_type = p.pt;
  h.marker = p.marker;
  h.ssrc = 0x1234;
  return h;
}

tg::TimeNs at(double ms) { return tg::TimeNs(1'000'000'000'000ULL + uint64_t(ms * 1e6)); }

// Seqs at 20 ms spacing, timestamp 160 * seq (G.711 20 ms frames).
void feed_seqs(tg::RtpStats& s, std::initializer_list<uint16_t> seqs) {
  double t = 0;
  for (uint16_t q : seqs) {
    s.on_packet(hdr({q, 160u * q, t}), 8000, at(t));
    t += 20;
  }
}

}  // namespace

TEST_GROUP(RtpStats){};

TEST(RtpStats, ClockRates) {
  LONGS_EQUAL(8000, tg::rtp_clock_rate(0, "PCMU", 8000));
  LONGS_EQUAL(8000, tg::rtp_clock_rate(8, "", 0));
  LONGS_EQUAL(8000, tg::rtp_clock_rate(18, "G729", 8000));
  LONGS_EQUAL(8000, tg::rtp_clock_rate(9, "G722", 16000));  // RFC 3551 exception
  LONGS_EQUAL(48000, tg::rtp_clock_rate(111, "opus", 48000));
  LONGS_EQUAL(48000, tg::rtp_clock_rate(111, "OPUS", 0));
  LONGS_EQUAL(0, tg::rtp_clock_rate(101, "telephone-event", 8000));
  LONGS_EQUAL(0, tg::rtp_clock_rate(120, "", 0));
  LONGS_EQUAL(16000, tg::rtp_clock_rate(120, "AMR-WB", 16000));
}

TEST(RtpStats, InOrderStreamHasNoLossNoJitter) {
  tg::RtpStats s;
  feed_seqs(s, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  LONGS_EQUAL(10, s.packets());
  CHECK_TRUE(s.valid());
  // RFC 3550 A.1: the first packet is consumed by probation (MIN_SEQUENTIAL 2).
  LONGS_EQUAL(9, s.received());
  LONGS_EQUAL(9, s.expected());
  LONGS_EQUAL(0, s.lost());
  DOUBLES_EQUAL(0, s.jitter_ts(), 1e-9);
  DOUBLES_EQUAL(20.0, s.max_delta_ms(), 1e-9);
  const tg::WiresharkRtpStats& w = s.wireshark();
  LONGS_EQUAL(10, w.packets);
  LONGS_EQUAL(10, w.expected());
  LONGS_EQUAL(0, w.lost());
  DOUBLES_EQUAL(20.0, w.max_delta_ms, 1e-9);
  DOUBLES_EQUAL(0, w.max_jitter_ms, 1e-9);
  CHECK_FALSE(w.problem);
}

TEST(RtpStats, SequenceWrap) {
  tg::RtpStats s;
  double t = 0;
  for (uint16_t q : {65533, 65534, 65535, 0, 1, 2}) {
    s.on_packet(hdr({q, uint32_t(t * 8), t}), 8000, at(t));
    t += 20;
  }
  LONGS_EQUAL(65536 + 2, s.extended_max());
  // base_seq 65534 (validated by the 2nd packet): 65534..65538 = 5.
  LONGS_EQUAL(5, s.expected());
  LONGS_EQUAL(0, s.lost());
  const tg::WiresharkRtpStats& w = s.wireshark();
  LONGS_EQUAL(1, w.cycles);
  LONGS_EQUAL(6, w.expected());
  LONGS_EQUAL(0, w.lost());
  CHECK_FALSE(w.problem);
}

TEST(RtpStats, WrapWithLossAcrossZero) {
  tg::RtpStats s;
  double t = 0;
  uint32_t ts = 4000000000u;  // the 32-bit timestamp wraps too, later
  for (uint16_t q : {65530, 65531, 65532, 2, 3}) {  // 65533..1 lost (5)
    uint16_t step = uint16_t(q - 65530);
    s.on_packet(hdr({q, ts + 160u * step, t}), 8000, at(t));
    t += 20.0 * (q == 65532 ? 6 : 1);
  }
  LONGS_EQUAL(5, s.lost());
  LONGS_EQUAL(1, s.bursts());
  LONGS_EQUAL(5, s.longest_burst());
  const tg::WiresharkRtpStats& w = s.wireshark();
  // 2 < first seq while in time: one cycle; 65532 -> 2 is a wrap with loss.
  LONGS_EQUAL(1, w.cycles);
  LONGS_EQUAL(3 + 65536 - 65530 + 1, w.expected());
  LONGS_EQUAL(5, w.lost());
  LONGS_EQUAL(1, w.sequence_errors);
  DOUBLES_EQUAL(0, w.max_jitter_ms, 1e-9);
}

TEST(RtpStats, TimestampWrapIsWrongTimestampForWireshark) {
  // Wireshark 4.0 only accepts timestamps < 2^31 after the FIRST one, and
  // its wrap branch can never be true: after a 32-bit timestamp wrap every
  // packet is "wrong timestamp" (no jitter, no delta). Lost stays right.
  tg::RtpStats s;
  uint32_t ts = 0xFFFFFE00u;
  double t = 0;
  for (uint16_t q = 1; q <= 6; ++q, t += 20, ts += 160) s.on_packet(hdr({q, ts, t}), 8000, at(t));
  const tg::WiresharkRtpStats& w = s.wireshark();
  CHECK_TRUE(w.problem);
  LONGS_EQUAL(0, w.lost());
  DOUBLES_EQUAL(20.0, w.max_delta_ms, 1e-9);  // packets 2..4 before the wrap
  // RFC 3550 is unaffected: modulo arithmetic, no jitter.
  DOUBLES_EQUAL(0, s.jitter_ts(), 1e-9);
}

TEST(RtpStats, LossBurstCountsAndGilbertRuns) {
  tg::RtpStats s;
  feed_seqs(s, {1, 2, 3, 6, 7, 8, 10, 11});
  // RFC: base 2, max 11 -> 10 expected, received 2,3,6,7,8,10,11 = 7.
  LONGS_EQUAL(10, s.expected());
  LONGS_EQUAL(3, s.lost());
  LONGS_EQUAL(2, s.bursts());
  LONGS_EQUAL(2, s.longest_burst());
  const tg::LossRuns& r = s.runs();
  LONGS_EQUAL(2, r.found_lost);
  LONGS_EQUAL(1, r.lost_lost);
  LONGS_EQUAL(2, r.lost_found);
  LONGS_EQUAL(4, r.found_found);  // 2->3, 6->7, 7->8, 10->11
  // p = 2/6, q = 2/3 -> BurstR = 1 / (1/3 + 2/3) = 1.
  DOUBLES_EQUAL(1.0, r.burst_r(), 1e-9);
  const tg::WiresharkRtpStats& w = s.wireshark();
  LONGS_EQUAL(11, w.expected());
  LONGS_EQUAL(3, w.lost());
  LONGS_EQUAL(2, w.sequence_errors);
  CHECK_TRUE(w.problem);
}

TEST(RtpStats, BurstyLossRaisesBurstR) {
  tg::LossRuns r;
  r.found_found = 90;
  r.found_lost = 1;
  r.lost_lost = 8;
  r.lost_found = 1;
  // p = 1/91, q = 1/9 -> 1 / 0.12210 = 8.19
  DOUBLES_EQUAL(1.0 / (1.0 / 91 + 1.0 / 9), r.burst_r(), 1e-9);
  tg::LossRuns none;
  DOUBLES_EQUAL(1.0, none.burst_r(), 1e-12);
}

TEST(RtpStats, DuplicatesAndReordering) {
  // Same capture as tg-pcapgen's hand check: tshark 4.0.17 printed lost -1,
  // max delta 20.000, max jitter 5.649, mean jitter 2.937.
  tg::RtpStats s;
  feed_seqs(s, {1, 2, 3, 5, 4, 6, 6, 7});
  LONGS_EQUAL(1, s.duplicates());
  LONGS_EQUAL(1, s.late());
  // RFC: base 2, max 7 -> 6 expected; received 2,3,5,4,6,6,7 = 7.
  LONGS_EQUAL(6, s.expected());
  LONGS_EQUAL(-1, s.lost());
  const tg::WiresharkRtpStats& w = s.wireshark();
  LONGS_EQUAL(8, w.packets);
  LONGS_EQUAL(-1, w.lost());
  DOUBLES_EQUAL(20.0, w.max_delta_ms, 1e-9);
  DOUBLES_EQUAL(5.649, w.max_jitter_ms, 0.0005);
  DOUBLES_EQUAL(2.937, w.mean_jitter_ms, 0.0005);
  LONGS_EQUAL(3, w.sequence_errors);  // 5 (gap), 4 (late), 6 (dup)
}

TEST(RtpStats, LateLastPacketLowersWiresharkExpected) {
  // tshark 4.0.17 on this order: Lost -3 (expected uses the LAST seq, 5).
  tg::RtpStats s;
  feed_seqs(s, {1, 2, 3, 4, 6, 7, 8, 5});
  const tg::WiresharkRtpStats& w = s.wireshark();
  LONGS_EQUAL(5, w.expected());
  LONGS_EQUAL(-3, w.lost());
  DOUBLES_EQUAL(6.030, w.max_jitter_ms, 0.0005);
  DOUBLES_EQUAL(1.364, w.mean_jitter_ms, 0.0005);
  // RFC: nothing lost in the end, one late packet.
  LONGS_EQUAL(0, s.lost());
  LONGS_EQUAL(1, s.late());
  LONGS_EQUAL(0, s.duplicates());
}

TEST(RtpStats, JitterFromArrivalVariation) {
  // tshark 4.0.17: max delta 30.000, max jitter 1.679, mean jitter 0.874.
  tg::RtpStats s;
  const double arr[] = {0, 20, 45, 60, 80, 100, 130, 140, 160, 180};
  for (uint16_t i = 0; i < 10; ++i) s.on_packet(hdr({uint16_t(100 + i), 160u * i, arr[i]}), 8000, at(arr[i]));
  const tg::WiresharkRtpStats& w = s.wireshark();
  DOUBLES_EQUAL(30.0, w.max_delta_ms, 1e-9);
  DOUBLES_EQUAL(1.679, w.max_jitter_ms, 0.0005);
  DOUBLES_EQUAL(0.874, w.mean_jitter_ms, 0.0005);
  // RFC 3550 A.8 in timestamp units: validated at packet 2, samples from
  // packet 3 on. |D| in ms: 5,5,0,0,10,10,0,0 -> x8 units.
  double j = 0;
  for (double d : {5.0, 5.0, 0.0, 0.0, 10.0, 10.0, 0.0, 0.0}) j += (d * 8 - j) / 16;
  DOUBLES_EQUAL(j, s.jitter_ts(), 1e-9);
  DOUBLES_EQUAL(j / 8, s.jitter_ms(), 1e-9);
  DOUBLES_EQUAL(30.0, s.max_delta_ms(), 1e-9);
}

TEST(RtpStats, OpusJitterInItsOwnClock) {
  tg::RtpStats s;
  // 48 kHz, 20 ms = 960 units; third packet 8 ms late.
  s.on_packet(hdr({1, 0, 0, 111}), 48000, at(0));
  s.on_packet(hdr({2, 960, 20, 111}), 48000, at(20));
  s.on_packet(hdr({3, 1920, 48, 111}), 48000, at(48));
  DOUBLES_EQUAL(8.0 * 48 / 16, s.jitter_ts(), 1e-6);
  DOUBLES_EQUAL(0.5, s.jitter_ms(), 1e-6);
  DOUBLES_EQUAL(0.5, s.wireshark().max_jitter_ms, 1e-9);
}

TEST(RtpStats, MarkerPacketLeftOutOfWiresharkMaxDelta) {
  tg::RtpStats with_marker, without;
  // Talkspurt: 5 packets, 920 ms silence, next packet carries M with a
  // timestamp that matches its arrival (so no jitter either way).
  for (tg::RtpStats* s : {&with_marker, &without}) {
    for (uint16_t q = 0; q < 5; ++q) s->on_packet(hdr({q, 160u * q, 20.0 * q}), 8000, at(20.0 * q));
    uint16_t f = s->on_packet(hdr({5, 8u * 1000, 1000, 0, s == &with_marker}), 8000, at(1000));
    s->on_packet(hdr({6, 8u * 1020, 1020}), 8000, at(1020));
    if (s == &with_marker) CHECK_TRUE(f & tg::kRtpFlagMarker);
  }
  DOUBLES_EQUAL(20.0, with_marker.wireshark().max_delta_ms, 1e-9);
  DOUBLES_EQUAL(920.0, without.wireshark().max_delta_ms, 1e-9);
  DOUBLES_EQUAL(0.0, with_marker.wireshark().max_jitter_ms, 1e-9);
  // Our own max inter-packet delta is the raw arrival gap.
  DOUBLES_EQUAL(920.0, with_marker.max_delta_ms(), 1e-9);
}

TEST(RtpStats, ComfortNoiseAndFollowingPacketLeftOut) {
  tg::RtpStats s;
  for (uint16_t q = 0; q < 3; ++q) s.on_packet(hdr({q, 160u * q, 20.0 * q}), 8000, at(20.0 * q));
  // CN at 200 ms (delta 160), then voice at 500 ms (delta 300): both skipped.
  uint16_t f = s.on_packet(hdr({3, 8u * 200, 200, 13}), 8000, at(200));
  CHECK_TRUE(f & tg::kRtpFlagComfortNoise);
  s.on_packet(hdr({4, 8u * 500, 500}), 8000, at(500));
  s.on_packet(hdr({5, 8u * 530, 530}), 8000, at(530));
  DOUBLES_EQUAL(30.0, s.wireshark().max_delta_ms, 1e-9);
}

TEST(RtpStats, TimestampJumpBackIsWrongTimestampForWireshark) {
  tg::RtpStats s;
  for (uint16_t q = 1; q <= 3; ++q)
    s.on_packet(hdr({q, 100000u + 160u * (q - 1), 20.0 * (q - 1)}), 8000, at(20.0 * (q - 1)));
  for (uint16_t q = 4; q <= 6; ++q)
    s.on_packet(hdr({q, 50u + 160u * (q - 4), 20.0 * (q - 1)}), 8000, at(20.0 * (q - 1)));
  const tg::WiresharkRtpStats& w = s.wireshark();
  CHECK_TRUE(w.problem);
  LONGS_EQUAL(0, w.lost());
  DOUBLES_EQUAL(20.0, w.max_delta_ms, 1e-9);
  DOUBLES_EQUAL(0.0, w.max_jitter_ms, 1e-9);
  // RFC A.8 takes the jump: transit -100000 -> 430 at packet 4 (d = 100430),
  // then steady: 100430/16 decayed twice by 15/16.
  DOUBLES_EQUAL(100430.0 / 16 * 15 / 16 * 15 / 16, s.jitter_ts(), 1e-6);
}

TEST(RtpStats, BigSequenceJumpResyncsAfterTwoPackets) {
  tg::RtpStats s;
  feed_seqs(s, {1, 2, 3, 20000, 20001, 20002});
  LONGS_EQUAL(1, s.resyncs());
  // After the restart: base 20001, received 20001, 20002.
  LONGS_EQUAL(2, s.received());
  LONGS_EQUAL(2, s.expected());
  LONGS_EQUAL(0, s.lost());
  // Wireshark does not resync: 19996 lost.
  LONGS_EQUAL(20002, s.wireshark().expected());
  LONGS_EQUAL(19996, s.wireshark().lost());
}

TEST(RtpStats, VeryLatePacketIsNotCountedAsReordered) {
  tg::RtpStats s;
  double t = 0;
  for (uint16_t q = 1; q <= 300; ++q, t += 20) s.on_packet(hdr({q, 160u * q, t}), 8000, at(t));
  // 150 behind: more than MAX_MISORDER (100), held as a possible restart.
  uint16_t f = s.on_packet(hdr({150, 160u * 150, t}), 8000, at(t));
  CHECK_TRUE(f & tg::kRtpFlagBadJump);
  LONGS_EQUAL(0, s.late());
  LONGS_EQUAL(0, s.duplicates());
  LONGS_EQUAL(0, s.lost());
  // 90 behind, inside the 128-entry window and already seen: duplicate.
  f = s.on_packet(hdr({210, 160u * 210, t}), 8000, at(t));
  CHECK_TRUE(f & tg::kRtpFlagDuplicate);
}

TEST(RtpStats, OneSecondWindowsCountLoss) {
  tg::RtpStats s;
  double t = 0;
  uint16_t flags = 0;
  for (uint16_t q = 1; q <= 60; ++q, t += 20) {
    if (q >= 10 && q <= 14) continue;  // 5 lost in the first second
    flags |= s.on_packet(hdr({q, 160u * q, t}), 8000, at(t));
  }
  CHECK_TRUE(flags & tg::kRtpFlagWindowShort);
  const tg::RtpWindow& w = s.window_short();
  CHECK_TRUE(w.valid);
  // Window [0, 1000): seqs 2..50 (seq 1 is in probation) = 49 expected.
  LONGS_EQUAL(49, w.expected);
  LONGS_EQUAL(44, w.received);
  LONGS_EQUAL(5, w.lost);
  DOUBLES_EQUAL(100.0 * 5 / 49, w.loss_pct(), 1e-9);
  LONGS_EQUAL(1, w.bursts);
  LONGS_EQUAL(5, w.longest_burst);
  // Long window still open.
  CHECK_FALSE(s.window_long().valid);
  LONGS_EQUAL(54, s.open_window_long().received);
}

TEST(RtpStats, SilentWindowsCloseOnAdvance) {
  tg::RtpStats s;
  feed_seqs(s, {1, 2, 3});
  LONGS_EQUAL(0, s.advance(at(999)));
  uint16_t f = s.advance(at(3500));
  CHECK_TRUE(f & tg::kRtpFlagWindowShort);
  CHECK_FALSE(f & tg::kRtpFlagWindowLong);
  // Windows [1000,2000) and [2000,3000) had no packet: the last closed one
  // is empty and not valid.
  CHECK_FALSE(s.window_short().valid);
  CHECK_EQUAL(at(2000), s.window_short().start);
  CHECK_EQUAL(at(3000), s.open_window_short().start);
}

TEST(RtpStats, FractionLostPerInterval) {
  tg::RtpStats s;
  feed_seqs(s, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  LONGS_EQUAL(0, s.take_fraction_lost());
  feed_seqs(s, {11, 12, 15, 16});  // 13, 14 lost of 6 expected
  LONGS_EQUAL((2 << 8) / 6, s.take_fraction_lost());
}
