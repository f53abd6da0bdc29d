#include <CppUTest/TestHarness.h>

#include "tools/lab/callgen/g711.hpp"
#include "tools/lab/callgen/rtp_receiver.hpp"
#include "tools/lab/callgen/sip_text.hpp"

using namespace tg::callgen;

TEST_GROUP(G711){};

TEST(G711, KnownCodeWords) {
  // ITU-T G.711 tables: silence and full scale.
  LONGS_EQUAL(0xFF, linear_to_ulaw(0));
  LONGS_EQUAL(0x80, linear_to_ulaw(32767));
  LONGS_EQUAL(0x00, linear_to_ulaw(-32768));
  LONGS_EQUAL(0xD5, linear_to_alaw(0));
  LONGS_EQUAL(0xAA, linear_to_alaw(32767));
  LONGS_EQUAL(0x2A, linear_to_alaw(-32768));
}

TEST_GROUP(SipText){};

static const char kInvite[] =
    "INVITE sip:b@203.0.113.5 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bK1\r\n"
    "v: SIP/2.0/UDP 198.51.100.9;branch=z9hG4bK2\r\n"
    "f: <sip:a@198.51.100.1>;tag=abc\r\n"
    "To: \"B\" <sip:b@203.0.113.5;user=phone>\r\n"
    "i: call-1@x\r\n"
    "CSeq: 1 INVITE\r\n"
    "Content-Length: 99\r\n\r\n"
    "v=0\r\nc=IN IP4 198.51.100.1\r\nm=video 6000 RTP/AVP 96\r\nm=audio 4000 RTP/AVP 0\r\nc=IN IP4 198.51.100.2\r\n";

TEST(SipText, FindsLongAndCompactHeaders) {
  STRCMP_EQUAL("call-1@x", std::string(sip_header(kInvite, "Call-ID", 'i')).c_str());
  STRCMP_EQUAL("abc", std::string(tag_param(sip_header(kInvite, "From", 'f'))).c_str());
  CHECK_TRUE(tag_param(sip_header(kInvite, "To", 't')).empty());
  LONGS_EQUAL(2, sip_headers(kInvite, "Via", 'v').size());
  STRCMP_EQUAL("INVITE", std::string(sip_method(kInvite)).c_str());
  LONGS_EQUAL(0, sip_status_code(kInvite));
  LONGS_EQUAL(180, sip_status_code("SIP/2.0 180 Ringing\r\n\r\n"));
  STRCMP_EQUAL("BYE", std::string(cseq_method("2 BYE")).c_str());
  STRCMP_EQUAL("sip:b@203.0.113.5;user=phone", std::string(uri_in("\"B\" <sip:b@203.0.113.5;user=phone>")).c_str());
}

TEST(SipText, SdpAudioPrefersMediaLevelConnection) {
  std::string addr;
  uint16_t port = 0;
  CHECK_TRUE(sdp_audio(sip_body(kInvite), addr, port));
  STRCMP_EQUAL("198.51.100.2", addr.c_str());
  LONGS_EQUAL(4000, port);
  CHECK_FALSE(sdp_audio("v=0\r\nm=audio 4000 RTP/AVP 0\r\n", addr, port));
}

TEST_GROUP(RtpReceiver){};

TEST(RtpReceiver, CountsLossAcrossSequenceWrap) {
  RtpReceiver r(8000);
  uint64_t t = 1'000'000'000;
  uint16_t seq = 65530;
  uint32_t ts = 0;
  for (int i = 0; i < 20; ++i, ++seq, ts += 160, t += 20'000'000) {
    if (i == 10 || i == 11) continue;  // two lost after the wrap
    r.on_packet(seq, ts, t);
  }
  LONGS_EQUAL(18, r.packets());
  LONGS_EQUAL(20, r.expected());
  LONGS_EQUAL(2, r.lost());
  DOUBLES_EQUAL(60.0, r.longest_gap_ms(), 0.001);
  DOUBLES_EQUAL(0.0, r.jitter_ms(), 0.001);  // perfectly paced
  LONGS_EQUAL(25, r.fraction_lost_since_last());  // 2/20 * 256
}

TEST(RtpReceiver, JitterFollowsRfc3550) {
  RtpReceiver r(8000);
  // Second packet 8 ms late: D = 64 units, J = 64/16 = 4 units = 0.5 ms.
  r.on_packet(1, 0, 0);
  r.on_packet(2, 160, 28'000'000);
  DOUBLES_EQUAL(0.5, r.jitter_ms(), 1e-9);
}

TEST(SipText, CseqNumberAndSipfrag) {
  LONGS_EQUAL(2, cseq_number("2 BYE"));
  LONGS_EQUAL(314159, cseq_number(" 314159 INVITE"));
  LONGS_EQUAL(0, cseq_number("BYE"));
  LONGS_EQUAL(200, sipfrag_code("SIP/2.0 200 OK\r\n"));
  LONGS_EQUAL(603, sipfrag_code("SIP/2.0 603 Declined"));
  LONGS_EQUAL(0, sipfrag_code("INVITE sip:x SIP/2.0"));
}

TEST(SipText, SdpDirectionOfferAndAnswer) {
  STRCMP_EQUAL("sendrecv", std::string(sdp_direction("v=0\r\nm=audio 4000 RTP/AVP 0\r\n")).c_str());
  STRCMP_EQUAL("sendonly", std::string(sdp_direction("v=0\r\nm=audio 4000 RTP/AVP 0\r\na=sendonly\r\n")).c_str());
  STRCMP_EQUAL("inactive", std::string(sdp_direction("v=0\na=sendrecv\nm=audio 4000 RTP/AVP 0\na=inactive\n")).c_str());
  // an attribute that merely starts with a direction word is not one
  STRCMP_EQUAL("sendrecv", std::string(sdp_direction("a=sendonlyx\r\n")).c_str());
  STRCMP_EQUAL("recvonly", std::string(sdp_answer_direction("sendonly")).c_str());
  STRCMP_EQUAL("sendonly", std::string(sdp_answer_direction("recvonly")).c_str());
  STRCMP_EQUAL("inactive", std::string(sdp_answer_direction("inactive")).c_str());
  STRCMP_EQUAL("sendrecv", std::string(sdp_answer_direction("sendrecv")).c_str());
}
