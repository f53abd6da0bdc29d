#include "dataplane/core/sdp.hpp"

#include <CppUTest/TestHarness.h>

#include <memory>
#include <string>

using namespace tg;

namespace {

// Exact-size heap copy so ASan sees reads past the body.
struct Sdp {
  std::unique_ptr<char[]> buf;
  SdpSession sess;
  SdpStatus status;
  explicit Sdp(const std::string& text) : buf(new char[text.size() + 1]) {
    text.copy(buf.get(), text.size());
    status = parse_sdp(std::string_view(buf.get(), text.size()), sess);
  }
};

std::string s(std::string_view v) { return std::string(v); }

}  // namespace

TEST_GROUP(Sdp){};

TEST(Sdp, G711OfferWithTelephoneEvent) {
  Sdp p(
      "v=0\r\n"
      "o=- 8234 8235 IN IP4 198.51.100.10\r\n"
      "s=Asterisk\r\n"
      "c=IN IP4 198.51.100.10\r\n"
      "t=0 0\r\n"
      "m=audio 40000 RTP/AVP 0 8 101\r\n"
      "a=rtpmap:0 PCMU/8000\r\n"
      "a=rtpmap:8 PCMA/8000\r\n"
      "a=rtpmap:101 telephone-event/8000\r\n"
      "a=fmtp:101 0-16\r\n"
      "a=ptime:20\r\n"
      "a=maxptime:150\r\n"
      "a=sendrecv\r\n");
  STRCMP_EQUAL("ok", sdp_status_name(p.status));
  STRCMP_EQUAL("8234", s(p.sess.session_id).c_str());
  STRCMP_EQUAL("8235", s(p.sess.session_version).c_str());
  STRCMP_EQUAL("-", s(p.sess.origin_user).c_str());
  LONGS_EQUAL(1, p.sess.media_count);
  const SdpMedia& m = p.sess.media[0];
  STRCMP_EQUAL("audio", s(m.type).c_str());
  STRCMP_EQUAL("RTP/AVP", s(m.proto).c_str());
  LONGS_EQUAL(40000, m.port);
  STRCMP_EQUAL("198.51.100.10", m.connection.str().c_str());  // inherited from session
  LONGS_EQUAL(3, m.format_count);
  LONGS_EQUAL(0, m.formats[0]);
  LONGS_EQUAL(8, m.formats[1]);
  LONGS_EQUAL(101, m.formats[2]);
  LONGS_EQUAL(3, m.rtpmap_count);
  LONGS_EQUAL(20, m.ptime_ms);
  CHECK_TRUE(m.direction == MediaDirection::sendrecv);
  const RtpMap* te = m.find_rtpmap(101);
  CHECK_TRUE(te != nullptr);
  STRCMP_EQUAL("telephone-event", s(te->encoding).c_str());
  LONGS_EQUAL(8000, te->clock_rate);
  CHECK_FALSE(p.sess.on_hold());
}

TEST(Sdp, OpusAndStaticTypesWithoutRtpmap) {
  Sdp p(
      "v=0\n"
      "o=bob 1 1 IN IP6 2001:db8::5\n"
      "s=-\n"
      "t=0 0\n"
      "m=audio 5004 RTP/AVP 111 18 9\n"
      "c=IN IP6 2001:db8::5\n"
      "a=rtpmap:111 opus/48000/2\n"
      "a=ptime:20.0\n");
  STRCMP_EQUAL("ok", sdp_status_name(p.status));
  const SdpMedia& m = p.sess.media[0];
  STRCMP_EQUAL("2001:db8::5", m.connection.str().c_str());
  CHECK_TRUE(p.sess.connection.empty());
  const RtpMap* opus = m.find_rtpmap(111);
  CHECK_TRUE(opus != nullptr);
  STRCMP_EQUAL("opus", s(opus->encoding).c_str());
  LONGS_EQUAL(48000, opus->clock_rate);
  LONGS_EQUAL(2, opus->channels);
  const RtpMap* g729 = m.find_rtpmap(18);
  CHECK_TRUE(g729 != nullptr);
  STRCMP_EQUAL("G729", s(g729->encoding).c_str());
  LONGS_EQUAL(8000, m.find_rtpmap(9)->clock_rate);  // G722 keeps the 8000 RTP clock
  CHECK_TRUE(m.find_rtpmap(112) == nullptr);        // dynamic without rtpmap: unknown
  CHECK_TRUE(m.find_rtpmap(2) == nullptr);          // unassigned static
  LONGS_EQUAL(20, m.ptime_ms);
}

TEST(Sdp, SessionAndMediaLevelDirectionAndConnection) {
  Sdp p(
      "v=0\r\n"
      "o=- 1 2 IN IP4 198.51.100.1\r\n"
      "s=-\r\n"
      "c=IN IP4 198.51.100.1\r\n"
      "t=0 0\r\n"
      "a=sendonly\r\n"
      "m=audio 4000 RTP/AVP 0\r\n"
      "m=audio 4002 RTP/AVP 8\r\n"
      "c=IN IP4 203.0.113.9/127\r\n"
      "a=recvonly\r\n"
      "m=video 0 RTP/AVP 31\r\n"
      "a=inactive\r\n");
  STRCMP_EQUAL("ok", sdp_status_name(p.status));
  LONGS_EQUAL(3, p.sess.media_count);
  CHECK_TRUE(p.sess.direction == MediaDirection::sendonly);
  CHECK_TRUE(p.sess.media[0].direction == MediaDirection::sendonly);  // inherited
  STRCMP_EQUAL("198.51.100.1", p.sess.media[0].connection.str().c_str());
  CHECK_TRUE(p.sess.media[1].direction == MediaDirection::recvonly);  // overrides
  STRCMP_EQUAL("203.0.113.9", p.sess.media[1].connection.str().c_str());
  CHECK_TRUE(p.sess.media[2].direction == MediaDirection::inactive);
  LONGS_EQUAL(0, p.sess.media[2].port);
  CHECK_TRUE(p.sess.on_hold());
  STRCMP_EQUAL("sendonly", media_direction_name(p.sess.media[0].direction));
}

TEST(Sdp, HoldForms) {
  Sdp legacy("v=0\r\nc=IN IP4 0.0.0.0\r\nm=audio 4000 RTP/AVP 0\r\n");
  CHECK_TRUE(legacy.sess.on_hold());
  Sdp inactive("v=0\r\nc=IN IP4 198.51.100.1\r\nm=audio 4000 RTP/AVP 0\r\na=inactive\r\n");
  CHECK_TRUE(inactive.sess.on_hold());
  Sdp recvonly("v=0\r\nc=IN IP4 198.51.100.1\r\nm=audio 4000 RTP/AVP 0\r\na=recvonly\r\n");
  CHECK_FALSE(recvonly.sess.on_hold());  // the held party answers recvonly; not itself on hold
  Sdp active("v=0\r\nc=IN IP4 198.51.100.1\r\nm=audio 4000 RTP/AVP 0\r\n");
  CHECK_FALSE(active.sess.on_hold());
}

TEST(Sdp, RtcpAttributes) {
  Sdp p("v=0\r\nc=IN IP4 198.51.100.1\r\nm=audio 4000 RTP/AVP 0\r\na=rtcp:4005 IN IP4 198.51.100.1\r\n"
        "m=audio 4010 RTP/SAVPF 0\r\na=rtcp-mux\r\n");
  STRCMP_EQUAL("ok", sdp_status_name(p.status));
  LONGS_EQUAL(4005, p.sess.media[0].rtcp_port);
  CHECK_FALSE(p.sess.media[0].rtcp_mux);
  CHECK_TRUE(p.sess.media[1].rtcp_mux);
  LONGS_EQUAL(0, p.sess.media[1].rtcp_port);
}

TEST(Sdp, NonRtpMediaKeepNamedFormats) {
  Sdp p("v=0\r\nc=IN IP4 198.51.100.1\r\nm=image 4000 udptl t38\r\nm=audio 4002/2 RTP/AVP 0\r\n");
  STRCMP_EQUAL("ok", sdp_status_name(p.status));
  LONGS_EQUAL(2, p.sess.media_count);
  LONGS_EQUAL(0, p.sess.media[0].format_count);
  LONGS_EQUAL(4002, p.sess.media[1].port);
}

TEST(Sdp, FqdnConnectionLeavesAddressEmpty) {
  Sdp p("v=0\r\nc=IN IP4 media.example.net\r\nm=audio 4000 RTP/AVP 0\r\n");
  STRCMP_EQUAL("ok", sdp_status_name(p.status));
  CHECK_TRUE(p.sess.media[0].connection.empty());
}

TEST(Sdp, MediaBeyondTheLimitAreCounted) {
  std::string body = "v=0\r\nc=IN IP4 198.51.100.1\r\n";
  for (int i = 0; i < kSdpMaxMedia + 3; ++i)
    body += "m=audio " + std::to_string(4000 + 2 * i) + " RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\nc=IN IP4 198.51.100.2\r\n";
  Sdp p(body);
  STRCMP_EQUAL("ok", sdp_status_name(p.status));
  LONGS_EQUAL(kSdpMaxMedia, p.sess.media_count);
  LONGS_EQUAL(3, p.sess.media_dropped);
  STRCMP_EQUAL("198.51.100.1", p.sess.connection.str().c_str());  // dropped c= lines do not leak
}

TEST(Sdp, ManyFormatsAndRtpmapsStayBounded) {
  std::string body = "v=0\r\nc=IN IP4 198.51.100.1\r\nm=audio 4000 RTP/AVP";
  for (int pt = 96; pt < 96 + 24; ++pt) body += " " + std::to_string(pt);
  body += "\r\n";
  for (int pt = 96; pt < 96 + 24; ++pt) body += "a=rtpmap:" + std::to_string(pt) + " X/8000\r\n";
  body += "a=rtpmap:96 opus/48000/2\r\n";  // repeated type replaces the earlier map
  Sdp p(body);
  STRCMP_EQUAL("ok", sdp_status_name(p.status));
  LONGS_EQUAL(kSdpMaxFormats, p.sess.media[0].format_count);
  LONGS_EQUAL(kSdpMaxFormats, p.sess.media[0].rtpmap_count);
  STRCMP_EQUAL("opus", s(p.sess.media[0].find_rtpmap(96)->encoding).c_str());
}

TEST(Sdp, MalformedBodiesHaveTheirStatus) {
  struct Case {
    const char* text;
    SdpStatus want;
  } cases[] = {
      {"", SdpStatus::empty},
      {"\r\n\r\n", SdpStatus::empty},
      {"o=- 1 1 IN IP4 198.51.100.1\r\nv=0\r\n", SdpStatus::bad_version},
      {"v=1\r\n", SdpStatus::bad_version},
      {"v=\r\n", SdpStatus::bad_version},
      {"v=0\r\nthis is not sdp\r\n", SdpStatus::bad_line},
      {"v=0\r\n=x\r\n", SdpStatus::bad_line},
      {"v=0\r\nc\r\n", SdpStatus::bad_line},
      {"v=0\r\nc=IN IP4\r\n", SdpStatus::bad_connection},
      {"v=0\r\nc=ATM NSAP 1\r\n", SdpStatus::bad_connection},
      {"v=0\r\nc=IN IP5 1.2.3.4\r\n", SdpStatus::bad_connection},
      {"v=0\r\nc=IN IP4 300.1.2.3\r\n", SdpStatus::bad_connection},
      {"v=0\r\nc=IN IP4 2001:db8::1\r\n", SdpStatus::bad_connection},
      {"v=0\r\nc=IN IP4 198.51.100.1 extra\r\n", SdpStatus::bad_connection},
      {"v=0\r\nm=audio\r\n", SdpStatus::bad_media},
      {"v=0\r\nm=audio 70000 RTP/AVP 0\r\n", SdpStatus::bad_media},
      {"v=0\r\nm=audio x RTP/AVP 0\r\n", SdpStatus::bad_media},
      {"v=0\r\nm=audio 4000/x RTP/AVP 0\r\n", SdpStatus::bad_media},
      {"v=0\r\nm=audio 4000 RTP/AVP 128\r\n", SdpStatus::bad_media},
      {"v=0\r\nm=audio 4000 RTP/AVP PCMU\r\n", SdpStatus::bad_media},
      {"v=0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:x PCMU/8000\r\n", SdpStatus::bad_rtpmap},
      {"v=0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0\r\n", SdpStatus::bad_rtpmap},
      {"v=0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU\r\n", SdpStatus::bad_rtpmap},
      {"v=0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/0\r\n", SdpStatus::bad_rtpmap},
      {"v=0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 /8000\r\n", SdpStatus::bad_rtpmap},
      {"v=0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000/0\r\n", SdpStatus::bad_rtpmap},
      {"v=0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000 x\r\n", SdpStatus::bad_rtpmap},
  };
  for (const Case& c : cases) {
    Sdp p(c.text);
    if (p.status != c.want) {
      std::string msg = std::string("input: ") + c.text + " got " + sdp_status_name(p.status);
      FAIL(msg.c_str());
    }
  }
}

TEST(Sdp, EveryPrefixParsesWithoutOverrun) {
  const std::string body =
      "v=0\r\no=- 1 1 IN IP4 198.51.100.1\r\ns=-\r\nc=IN IP4 198.51.100.1\r\nt=0 0\r\n"
      "m=audio 4000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=ptime:30\r\n";
  for (size_t cut = 0; cut <= body.size(); ++cut) {
    Sdp p(body.substr(0, cut));
    CHECK_TRUE(size_t(p.status) < kSdpStatusCount);
    if (cut == body.size()) LONGS_EQUAL(30, p.sess.media[0].ptime_ms);
  }
}

TEST(Sdp, StaticTableAndNames) {
  LONGS_EQUAL(8000, static_rtpmap(0)->clock_rate);
  STRCMP_EQUAL("PCMA", s(static_rtpmap(8)->encoding).c_str());
  CHECK_TRUE(static_rtpmap(96) == nullptr);
  STRCMP_EQUAL("bad_rtpmap", sdp_status_name(SdpStatus::bad_rtpmap));
  STRCMP_EQUAL("m= malformed", sdp_status_text(SdpStatus::bad_media));
  STRCMP_EQUAL("invalid", sdp_status_name(SdpStatus::count_));
}
