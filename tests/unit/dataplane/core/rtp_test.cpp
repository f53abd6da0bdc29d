#include "dataplane/core/rtp.hpp"

#include <CppUTest/TestHarness.h>

#include <cstring>
#include <vector>

namespace {

using tg::RtpStatus;

// Builders write network byte order by hand so the tests do not depend on
// the code under test for encoding.
struct Buf {
  std::vector<uint8_t> b;
  Buf& u8(uint8_t v) { b.push_back(v); return *this; }
  Buf& u16(uint16_t v) { u8(uint8_t(v >> 8)); return u8(uint8_t(v)); }
  Buf& u32(uint32_t v) { u16(uint16_t(v >> 16)); return u16(uint16_t(v)); }
  Buf& zeros(size_t n) { b.insert(b.end(), n, 0); return *this; }
  tg::Bytes bytes() const { return {b.data(), b.size()}; }
};

Buf rtp_fixed(uint8_t first, uint8_t second, uint16_t seq, uint32_t ts, uint32_t ssrc) {
  Buf b;
  b.u8(first).u8(second).u16(seq).u32(ts).u32(ssrc);
  return b;
}

// 24-byte report block.
void report_block(Buf& b, uint32_t ssrc, uint8_t frac, uint32_t cum24, uint32_t ext_seq,
                  uint32_t jitter, uint32_t lsr, uint32_t dlsr) {
  b.u32(ssrc).u8(frac).u8(uint8_t(cum24 >> 16)).u8(uint8_t(cum24 >> 8)).u8(uint8_t(cum24));
  b.u32(ext_seq).u32(jitter).u32(lsr).u32(dlsr);
}

}  // namespace

TEST_GROUP(Rtp){};

TEST(Rtp, ParsesFixedHeader) {
  Buf b = rtp_fixed(0x80, 0x80 | 8, 0xFFFE, 0x01020304, 0x1234ABCD);
  b.zeros(160);
  tg::RtpHeader h;
  LONGS_EQUAL(int(RtpStatus::ok), int(tg::parse_rtp(b.bytes(), h)));
  LONGS_EQUAL(8, h.payload_type);
  CHECK_TRUE(h.marker);
  CHECK_FALSE(h.padding);
  LONGS_EQUAL(0xFFFE, h.seq);
  LONGS_EQUAL(0x01020304u, h.timestamp);
  LONGS_EQUAL(0x1234ABCDu, h.ssrc);
  LONGS_EQUAL(160, h.payload.size());
  POINTERS_EQUAL(b.b.data() + 12, h.payload.data());
}

TEST(Rtp, SkipsCsrcAndExtensionAndStripsPadding) {
  // V=2 P=1 X=1 CC=2, PT 0.
  Buf b = rtp_fixed(0x80 | 0x20 | 0x10 | 2, 0, 7, 160, 1);
  b.u32(0xAAAA0001).u32(0xAAAA0002);        // CSRCs
  b.u16(0xBEDE).u16(2).u32(0x11223344).u32(0x55667788);  // extension, 2 words
  b.u8(0x42).u8(0x43).u8(0x44);            // payload (3)
  b.u8(0).u8(0).u8(3);                     // padding of 3, count included
  tg::RtpHeader h;
  LONGS_EQUAL(int(RtpStatus::ok), int(tg::parse_rtp(b.bytes(), h)));
  LONGS_EQUAL(2, h.csrc_count);
  CHECK_TRUE(h.extension);
  CHECK_TRUE(h.padding);
  LONGS_EQUAL(3, h.payload.size());
  LONGS_EQUAL(0x42, h.payload[0]);
  LONGS_EQUAL(0x44, h.payload[2]);
}

TEST(Rtp, RejectsMalformed) {
  tg::RtpHeader h;
  Buf shortb = rtp_fixed(0x80, 0, 1, 2, 3);
  shortb.b.pop_back();
  LONGS_EQUAL(int(RtpStatus::truncated), int(tg::parse_rtp(shortb.bytes(), h)));

  Buf v1 = rtp_fixed(0x40, 0, 1, 2, 3);
  LONGS_EQUAL(int(RtpStatus::bad_version), int(tg::parse_rtp(v1.bytes(), h)));

  Buf csrc = rtp_fixed(0x80 | 3, 0, 1, 2, 3);
  csrc.u32(1).u32(2);  // claims 3 CSRCs, has 2
  LONGS_EQUAL(int(RtpStatus::bad_csrc), int(tg::parse_rtp(csrc.bytes(), h)));

  Buf ext = rtp_fixed(0x80 | 0x10, 0, 1, 2, 3);
  ext.u16(0xBEDE).u16(3).u32(0);  // claims 3 words, has 1
  LONGS_EQUAL(int(RtpStatus::bad_extension), int(tg::parse_rtp(ext.bytes(), h)));

  Buf ext_hdr = rtp_fixed(0x80 | 0x10, 0, 1, 2, 3);
  ext_hdr.u16(0xBEDE);  // extension header itself cut
  LONGS_EQUAL(int(RtpStatus::bad_extension), int(tg::parse_rtp(ext_hdr.bytes(), h)));

  Buf pad = rtp_fixed(0x80 | 0x20, 0, 1, 2, 3);
  pad.u8(1).u8(5);  // 2 bytes after header, padding says 5
  LONGS_EQUAL(int(RtpStatus::bad_padding), int(tg::parse_rtp(pad.bytes(), h)));

  Buf pad0 = rtp_fixed(0x80 | 0x20, 0, 1, 2, 3);
  pad0.u8(1).u8(0);
  LONGS_EQUAL(int(RtpStatus::bad_padding), int(tg::parse_rtp(pad0.bytes(), h)));

  Buf pad_into_header = rtp_fixed(0x80 | 0x20, 0, 1, 2, 3);
  pad_into_header.b.back() = 13;  // only the header, last byte says 13
  LONGS_EQUAL(int(RtpStatus::bad_padding), int(tg::parse_rtp(pad_into_header.bytes(), h)));
}

TEST(Rtp, EmptyPayloadIsValid) {
  Buf b = rtp_fixed(0x80, 13, 1, 2, 3);
  tg::RtpHeader h;
  LONGS_EQUAL(int(RtpStatus::ok), int(tg::parse_rtp(b.bytes(), h)));
  LONGS_EQUAL(0, h.payload.size());
  LONGS_EQUAL(13, h.payload_type);
}

TEST(Rtp, StatusNames) {
  STRCMP_EQUAL("ok", tg::rtp_status_name(RtpStatus::ok));
  STRCMP_EQUAL("rtcp_bad_block", tg::rtp_status_name(RtpStatus::rtcp_bad_block));
  STRCMP_EQUAL("invalid", tg::rtp_status_name(RtpStatus::count_));
}

TEST(Rtp, TellsRtcpFromRtp) {
  Buf sr;
  sr.u8(0x80).u8(200).u16(6).zeros(24);
  CHECK_TRUE(tg::looks_like_rtcp(sr.bytes()));
  Buf rr;
  rr.u8(0x80).u8(201).u16(1).u32(5);
  CHECK_TRUE(tg::looks_like_rtcp(rr.bytes()));
  // RTP PCMU with marker: second byte 0x80 = 128, not RTCP.
  Buf rtp = rtp_fixed(0x80, 0x80, 1, 2, 3);
  CHECK_FALSE(tg::looks_like_rtcp(rtp.bytes()));
  // RTP dynamic PT 96 with marker: 224, outside 192..223.
  Buf rtp96 = rtp_fixed(0x80, 0x80 | 96, 1, 2, 3);
  CHECK_FALSE(tg::looks_like_rtcp(rtp96.bytes()));
  Buf v1;
  v1.u8(0x40).u8(200).u16(6).zeros(4);
  CHECK_FALSE(tg::looks_like_rtcp(v1.bytes()));
  CHECK_FALSE(tg::looks_like_rtcp(tg::Bytes{}));
}

TEST(Rtp, ParsesCompoundSrWithBlocksSdesAndBye) {
  Buf b;
  // SR with 2 report blocks: 4 header + 24 sender + 48 = 76 bytes = 19 words.
  b.u8(0x80 | 2).u8(200).u16(18);
  b.u32(0x11111111).u32(0xE1A2B3C4).u32(0xD5E6F708).u32(0x00ABCDEF).u32(1500).u32(240000);
  report_block(b, 0x22222222, 25, 12, 0x0001FFFF, 37, 0xB3C4D5E6, 0x00018000);
  report_block(b, 0x33333333, 0, 0xFFFFFE, 100, 0, 0, 0);  // cumulative lost -2
  // SDES: one chunk, CNAME "ab", padded to a word boundary: 4+4+4+... = 12.
  b.u8(0x81).u8(202).u16(2).u32(0x11111111).u8(1).u8(2).u8('a').u8('b');
  // BYE one SSRC.
  b.u8(0x81).u8(203).u16(1).u32(0x11111111);
  tg::RtcpPacket p;
  LONGS_EQUAL(int(RtpStatus::ok), int(tg::parse_rtcp(b.bytes(), p)));
  CHECK_TRUE(p.is_sr);
  LONGS_EQUAL(0x11111111u, p.sender_ssrc);
  CHECK_EQUAL(0xE1A2B3C4D5E6F708ull, p.ntp_timestamp);
  LONGS_EQUAL(0xB3C4D5E6u, tg::ntp_middle32(p.ntp_timestamp));
  LONGS_EQUAL(0x00ABCDEFu, p.rtp_timestamp);
  LONGS_EQUAL(1500u, p.sender_packets);
  LONGS_EQUAL(240000u, p.sender_octets);
  LONGS_EQUAL(2, p.block_count);
  LONGS_EQUAL(0x22222222u, p.blocks[0].ssrc);
  LONGS_EQUAL(25, p.blocks[0].fraction_lost);
  LONGS_EQUAL(12, p.blocks[0].cumulative_lost);
  LONGS_EQUAL(0x0001FFFFu, p.blocks[0].highest_seq);
  LONGS_EQUAL(37u, p.blocks[0].jitter);
  LONGS_EQUAL(0xB3C4D5E6u, p.blocks[0].lsr);
  LONGS_EQUAL(0x00018000u, p.blocks[0].dlsr);
  LONGS_EQUAL(-2, p.blocks[1].cumulative_lost);
  CHECK_TRUE(p.has_bye);
  CHECK_FALSE(p.xr_voip.present);
}

TEST(Rtp, ParsesRrWithXrVoipMetrics) {
  Buf b;
  b.u8(0x81).u8(201).u16(7).u32(0xAAAA0001);
  report_block(b, 0xBBBB0002, 5, 3, 2000, 80, 0x12345678, 65536);
  // XR: header, SSRC, then an unknown block type 4 (RRT, 2 words body) and VoIP metrics.
  b.u8(0x80).u8(207).u16(1 + 3 + 9).u32(0xAAAA0001);
  b.u8(4).u8(0).u16(2).u32(0x01020304).u32(0x05060708);
  b.u8(7).u8(0).u16(8).u32(0xBBBB0002);
  b.u8(12).u8(3).u8(40).u8(2);          // loss, discard, burst density, gap density
  b.u16(120).u16(5000);                 // burst, gap duration
  b.u16(150).u16(60);                   // round trip, end system delay
  b.u8(uint8_t(-20)).u8(uint8_t(-65)).u8(127).u8(16);  // signal, noise, RERL, Gmin
  b.u8(88).u8(127).u8(41).u8(42);       // R, ext R, MOS-LQ, MOS-CQ
  b.u8(0xC0).u8(0).u16(40);             // RX config, reserved, JB nominal
  b.u16(80).u16(200);                   // JB max, abs max
  tg::RtcpPacket p;
  LONGS_EQUAL(int(RtpStatus::ok), int(tg::parse_rtcp(b.bytes(), p)));
  CHECK_FALSE(p.is_sr);
  LONGS_EQUAL(0xAAAA0001u, p.sender_ssrc);
  LONGS_EQUAL(1, p.block_count);
  LONGS_EQUAL(3, p.blocks[0].cumulative_lost);
  LONGS_EQUAL(65536u, p.blocks[0].dlsr);
  const tg::RtcpXrVoip& x = p.xr_voip;
  CHECK_TRUE(x.present);
  LONGS_EQUAL(0xBBBB0002u, x.ssrc);
  LONGS_EQUAL(12, x.loss_rate);
  LONGS_EQUAL(3, x.discard_rate);
  LONGS_EQUAL(40, x.burst_density);
  LONGS_EQUAL(2, x.gap_density);
  LONGS_EQUAL(120, x.burst_duration_ms);
  LONGS_EQUAL(5000, x.gap_duration_ms);
  LONGS_EQUAL(150, x.round_trip_delay_ms);
  LONGS_EQUAL(60, x.end_system_delay_ms);
  LONGS_EQUAL(-20, x.signal_level);
  LONGS_EQUAL(-65, x.noise_level);
  LONGS_EQUAL(127, x.rerl);
  LONGS_EQUAL(16, x.gmin);
  LONGS_EQUAL(88, x.r_factor);
  LONGS_EQUAL(127, x.ext_r_factor);
  LONGS_EQUAL(41, x.mos_lq);
  LONGS_EQUAL(42, x.mos_cq);
  LONGS_EQUAL(0xC0, x.rx_config);
  LONGS_EQUAL(40, x.jb_nominal);
  LONGS_EQUAL(80, x.jb_maximum);
  LONGS_EQUAL(200, x.jb_abs_max);
}

TEST(Rtp, RrWithoutBlocksAndPaddedLastPacket) {
  Buf b;
  b.u8(0x80).u8(201).u16(1).u32(0x01010101);
  // XR with padding: header + SSRC + 4 padding bytes (count 4).
  b.u8(0xA0).u8(207).u16(2).u32(0x01010101).u8(0).u8(0).u8(0).u8(4);
  tg::RtcpPacket p;
  LONGS_EQUAL(int(RtpStatus::ok), int(tg::parse_rtcp(b.bytes(), p)));
  LONGS_EQUAL(0, p.block_count);
  CHECK_FALSE(p.xr_voip.present);
}

TEST(Rtp, RtcpRejectsMalformed) {
  tg::RtcpPacket p;
  LONGS_EQUAL(int(RtpStatus::truncated), int(tg::parse_rtcp(tg::Bytes{}, p)));

  Buf sdes_first;
  sdes_first.u8(0x81).u8(202).u16(1).u32(5);
  LONGS_EQUAL(int(RtpStatus::rtcp_bad_type), int(tg::parse_rtcp(sdes_first.bytes(), p)));

  Buf too_long;
  too_long.u8(0x80).u8(201).u16(5).u32(5);  // says 24 bytes, has 8
  LONGS_EQUAL(int(RtpStatus::rtcp_bad_length), int(tg::parse_rtcp(too_long.bytes(), p)));

  Buf blocks_missing;
  blocks_missing.u8(0x82).u8(201).u16(7).u32(5);  // RC 2 but room for 1
  report_block(blocks_missing, 1, 0, 0, 0, 0, 0, 0);
  LONGS_EQUAL(int(RtpStatus::rtcp_bad_block), int(tg::parse_rtcp(blocks_missing.bytes(), p)));

  Buf sr_short;
  sr_short.u8(0x80).u8(200).u16(3).u32(5).u32(0).u32(0);  // sender info cut
  LONGS_EQUAL(int(RtpStatus::rtcp_bad_length), int(tg::parse_rtcp(sr_short.bytes(), p)));

  Buf tail;
  tail.u8(0x80).u8(201).u16(1).u32(5).u8(0x81).u8(202);  // 2 trailing bytes
  LONGS_EQUAL(int(RtpStatus::rtcp_bad_length), int(tg::parse_rtcp(tail.bytes(), p)));

  Buf bad_second;
  bad_second.u8(0x80).u8(201).u16(1).u32(5).u8(0x40).u8(202).u16(0);
  LONGS_EQUAL(int(RtpStatus::bad_version), int(tg::parse_rtcp(bad_second.bytes(), p)));

  Buf xr_cut;
  xr_cut.u8(0x80).u8(201).u16(1).u32(5);
  xr_cut.u8(0x80).u8(207).u16(3).u32(5).u8(7).u8(0).u16(8).u32(9);  // VoIP block says 36 bytes
  LONGS_EQUAL(int(RtpStatus::rtcp_bad_block), int(tg::parse_rtcp(xr_cut.bytes(), p)));

  Buf xr_voip_short;
  xr_voip_short.u8(0x80).u8(201).u16(1).u32(5);
  xr_voip_short.u8(0x80).u8(207).u16(3).u32(5).u8(7).u8(0).u16(1).u32(9);  // VoIP block of 8 bytes
  LONGS_EQUAL(int(RtpStatus::rtcp_bad_block), int(tg::parse_rtcp(xr_voip_short.bytes(), p)));

  Buf bad_pad;
  bad_pad.u8(0xA0).u8(201).u16(1).u32(0x00000009);  // padding 9 > body 4
  LONGS_EQUAL(int(RtpStatus::rtcp_bad_length), int(tg::parse_rtcp(bad_pad.bytes(), p)));
}

TEST(Rtp, KeepsAtMost31BlocksAcrossSrAndRr) {
  Buf b;
  b.u8(0x80 | 31).u8(201).u16(uint16_t(1 + 31 * 6)).u32(1);
  for (uint32_t i = 0; i < 31; ++i) report_block(b, 100 + i, 0, 0, 0, 0, 0, 0);
  b.u8(0x82).u8(201).u16(1 + 12).u32(1);
  report_block(b, 200, 0, 0, 0, 0, 0, 0);
  report_block(b, 201, 0, 0, 0, 0, 0, 0);
  tg::RtcpPacket p;
  LONGS_EQUAL(int(RtpStatus::ok), int(tg::parse_rtcp(b.bytes(), p)));
  LONGS_EQUAL(31, p.block_count);
  LONGS_EQUAL(130u, p.blocks[30].ssrc);
}

TEST(Rtp, RrContinuationAppendsBlocks) {
  Buf b;
  b.u8(0x81).u8(200).u16(12).u32(7).zeros(20);
  report_block(b, 10, 0, 0, 0, 0, 0, 0);
  b.u8(0x81).u8(201).u16(7).u32(7);
  report_block(b, 11, 0, 0, 0, 0, 0, 0);
  tg::RtcpPacket p;
  LONGS_EQUAL(int(RtpStatus::ok), int(tg::parse_rtcp(b.bytes(), p)));
  CHECK_TRUE(p.is_sr);
  LONGS_EQUAL(2, p.block_count);
  LONGS_EQUAL(11u, p.blocks[1].ssrc);
}
