#include "dataplane/core/inspector.hpp"

#include <cstring>
#include <set>
#include <string>
#include <vector>

// After the standard headers: CppUTest's leak detector redefines new.
#include <CppUTest/TestHarness.h>

#include "tests/unit/dataplane/core/frame_builder.hpp"

using namespace tg;
using namespace tg::test;

namespace {

// 192.0.2.1 caller (SIP 5060, RTP 20000), 192.0.2.2 callee (SIP 5060, RTP 30000).
constexpr uint32_t kCaller = 0xC0000201, kCallee = 0xC0000202;
constexpr uint16_t kCallerRtp = 20000, kCalleeRtp = 30000;

std::vector<uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

std::string sdp(const char* ip, uint16_t port, const char* direction = "sendrecv") {
  return std::string("v=0\r\no=- 1 1 IN IP4 ") + ip + "\r\ns=-\r\nc=IN IP4 " + ip + "\r\nt=0 0\r\nm=audio " +
         std::to_string(port) + " RTP/AVP 0 13\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:13 CN/8000\r\na=" + direction +
         "\r\n";
}

std::string sip(const std::string& start, const char* cseq, const std::string& body = "", bool with_to_tag = true,
                const char* call_id = "call-1@test") {
  std::string m = start + "\r\n";
  m += "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-";
  m += cseq[0];
  m += "\r\nFrom: <sip:alice@192.0.2.1>;tag=from1\r\n";
  m += std::string("To: <sip:bob@192.0.2.2>") + (with_to_tag ? ";tag=to1" : "") + "\r\n";
  m += std::string("Call-ID: ") + call_id + "\r\nCSeq: " + cseq + "\r\nContact: <sip:x@192.0.2.1>\r\n";
  if (!body.empty()) m += "Content-Type: application/sdp\r\n";
  m += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return m;
}

struct Removed {
  std::vector<std::string> call_ids;
  static void hook(const Call& c, CallRef, void* self) {
    static_cast<Removed*>(self)->call_ids.emplace_back(c.call_id_text());
  }
};

struct Lab {
  InspectorConfig cfg;
  std::unique_ptr<Inspector> in;
  TimeNs now = 1'000 * kNsPerSec;
  Removed removed;

  explicit Lab(bool heuristic = false) {
    cfg.streams.capacity = 64;
    cfg.streams.expect_capacity = 64;
    cfg.streams.heuristic = heuristic;
    cfg.calls.capacity = 16;
    in = std::make_unique<Inspector>(cfg);
    in->set_call_removed_hook(&Removed::hook, &removed);
  }
  InspectOutcome send(const std::vector<uint8_t>& f, uint8_t ingress = kIngressUnknown) {
    // Exactly-sized copy: ASan catches any read past the frame.
    std::vector<uint8_t> copy(f);
    return in->inspect(Bytes(copy.data(), copy.size()), LinkType::ethernet, now, ingress);
  }
  InspectOutcome caller_sip(const std::string& m) { return send(frame(kIpProtoUdp, kCaller, 5060, kCallee, 5060, bytes_of(m))); }
  InspectOutcome callee_sip(const std::string& m) { return send(frame(kIpProtoUdp, kCallee, 5060, kCaller, 5060, bytes_of(m))); }

  void setup_call(const char* call_id = "call-1@test") {
    CHECK(caller_sip(sip("INVITE sip:bob@192.0.2.2 SIP/2.0", "1 INVITE", sdp("192.0.2.1", kCallerRtp), false,
                         call_id)) == InspectOutcome::sip);
    now += 10 * kNsPerMs;
    CHECK(callee_sip(sip("SIP/2.0 100 Trying", "1 INVITE", "", false, call_id)) == InspectOutcome::sip);
    now += 90 * kNsPerMs;
    CHECK(callee_sip(sip("SIP/2.0 180 Ringing", "1 INVITE", "", true, call_id)) == InspectOutcome::sip);
    now += 500 * kNsPerMs;
    CHECK(callee_sip(sip("SIP/2.0 200 OK", "1 INVITE", sdp("192.0.2.2", kCalleeRtp), true, call_id)) ==
          InspectOutcome::sip);
    now += 5 * kNsPerMs;
    CHECK(caller_sip(sip("ACK sip:bob@192.0.2.2 SIP/2.0", "1 ACK", "", true, call_id)) == InspectOutcome::sip);
  }
  // n packets each way, 20 ms apart; caller ingress 1, callee ingress 2.
  void media(int n, uint16_t first_seq = 100, uint8_t pt = 0) {
    for (int i = 0; i < n; ++i) {
      now += 20 * kNsPerMs;
      uint16_t seq = uint16_t(first_seq + i);
      CHECK(send(frame(kIpProtoUdp, kCaller, kCallerRtp, kCallee, kCalleeRtp, rtp(seq, seq * 160u, 0xAAAA0001, pt)),
                 1) == InspectOutcome::rtp);
      CHECK(send(frame(kIpProtoUdp, kCallee, kCalleeRtp, kCaller, kCallerRtp, rtp(seq, seq * 160u, 0xBBBB0002, pt)),
                 2) == InspectOutcome::rtp);
    }
  }
  uint32_t stream_to(uint16_t dst_port) const {
    uint32_t found = kNoStream;
    in->for_each_stream([&](uint32_t i, const RtpStream& s) {
      if (s.dst.port == dst_port) found = i;
    });
    return found;
  }
};

}  // namespace

TEST_GROUP(Inspector){};

TEST(Inspector, OutcomeListHasUniqueNamesAndTexts) {
  std::set<std::string> names;
  for (size_t i = 0; i < kInspectOutcomeCount; ++i) {
    names.insert(inspect_outcome_name(InspectOutcome(i)));
    CHECK(std::strlen(inspect_outcome_text(InspectOutcome(i))) > 0);
  }
  LONGS_EQUAL(kInspectOutcomeCount, names.size());
  CHECK_FALSE(inspect_outcome_malformed(InspectOutcome::rtp));
  CHECK(inspect_outcome_malformed(InspectOutcome::malformed_sip));
}

TEST(Inspector, CallSignallingAndMediaAreTrackedAndLinked) {
  Lab lab;
  lab.setup_call();
  lab.media(50);
  LONGS_EQUAL(5, lab.in->outcome(InspectOutcome::sip));
  LONGS_EQUAL(100, lab.in->outcome(InspectOutcome::rtp));
  LONGS_EQUAL(105, lab.in->frames());
  LONGS_EQUAL(0, lab.in->malformed());
  LONGS_EQUAL(2, lab.in->streams().size());

  const Call* call = lab.in->calls().find("call-1@test");
  CHECK(call != nullptr);
  LONGS_EQUAL(200, call->final_code);
  LONGS_EQUAL(2, call->ssrc_count);
  std::set<uint32_t> ssrcs(call->ssrcs, call->ssrcs + call->ssrc_count);
  CHECK(ssrcs.count(0xAAAA0001) && ssrcs.count(0xBBBB0002));

  uint32_t to_callee = lab.stream_to(kCalleeRtp), to_caller = lab.stream_to(kCallerRtp);
  CHECK(to_callee != kNoStream && to_caller != kNoStream);
  CallRef ref = lab.in->stream_call(to_callee);
  CHECK(ref.valid());
  CHECK(lab.in->calls().get(ref) == call);
  CHECK(lab.in->calls().get(lab.in->stream_call(to_caller)) == call);

  const RtpStream* s = lab.in->streams().get(to_callee);
  LONGS_EQUAL(50, s->stats.wireshark().packets);
  LONGS_EQUAL(0, s->stats.wireshark().lost());
}

TEST(Inspector, ActivityViewGivesIngressRecentCountAndEnd) {
  Lab lab;
  lab.setup_call();
  lab.media(75);  // 1.5 s
  StreamActivityView v = lab.in->activity(lab.stream_to(kCalleeRtp));
  LONGS_EQUAL(1, v.ingress);
  LONGS_EQUAL(lab.now, v.last_arrival);
  CHECK(v.recent_packets >= 48 && v.recent_packets <= 52);  // 50 packets/s
  LONGS_EQUAL(0, v.flags);
  StreamActivityView w = lab.in->activity(lab.stream_to(kCallerRtp));
  LONGS_EQUAL(2, w.ingress);

  int seen = 0;
  lab.in->for_each_activity([&](const StreamActivityView& a) {
    ++seen;
    CHECK(a.stream != kNoStream);
  });
  LONGS_EQUAL(2, seen);

  lab.now += 5 * kNsPerMs;
  CHECK(lab.caller_sip(sip("BYE sip:bob@192.0.2.2 SIP/2.0", "2 BYE")) == InspectOutcome::sip);
  CHECK(lab.callee_sip(sip("SIP/2.0 200 OK", "2 BYE")) == InspectOutcome::sip);
  CHECK(lab.in->activity(lab.stream_to(kCalleeRtp)).flags & kActivityEnded);
}

TEST(Inspector, ComfortNoiseIsFlaggedUntilVoiceReturns) {
  Lab lab;
  lab.setup_call();
  lab.media(5);
  lab.media(3, 105, 13);
  CHECK(lab.in->activity(lab.stream_to(kCalleeRtp)).flags & kActivityComfortNoise);
  lab.media(2, 108, 0);
  CHECK_FALSE(lab.in->activity(lab.stream_to(kCalleeRtp)).flags & kActivityComfortNoise);
}

TEST(Inspector, HoldFromReinviteFlagsTheStreamTowardsTheHolder) {
  Lab lab;
  lab.setup_call();
  lab.media(5);
  // The caller puts the call on hold: it will send, but wants nothing back.
  lab.now += 20 * kNsPerMs;
  CHECK(lab.caller_sip(sip("INVITE sip:bob@192.0.2.2 SIP/2.0", "3 INVITE", sdp("192.0.2.1", kCallerRtp, "sendonly"))) ==
        InspectOutcome::sip);
  CHECK(lab.callee_sip(sip("SIP/2.0 200 OK", "3 INVITE", sdp("192.0.2.2", kCalleeRtp, "recvonly"))) ==
        InspectOutcome::sip);
  CHECK(lab.caller_sip(sip("ACK sip:bob@192.0.2.2 SIP/2.0", "3 ACK")) == InspectOutcome::sip);
  CHECK(lab.in->activity(lab.stream_to(kCallerRtp)).flags & kActivityOnHold);
  CHECK_FALSE(lab.in->activity(lab.stream_to(kCalleeRtp)).flags & kActivityOnHold);
}

TEST(Inspector, RtpWithoutSdpIsOtherUnlessHeuristic) {
  for (bool heuristic : {false, true}) {
    Lab lab(heuristic);
    InspectOutcome last = InspectOutcome::other;
    for (uint16_t i = 0; i < 5; ++i) {
      lab.now += 20 * kNsPerMs;
      last = lab.send(frame(kIpProtoUdp, kCaller, 40000, kCallee, 40002, rtp(i, i * 160u, 0x1234)));
    }
    CHECK(last == (heuristic ? InspectOutcome::rtp : InspectOutcome::other));
  }
}

TEST(Inspector, MalformedInputIsCountedByReason) {
  Lab lab;
  // IPv4 header cut short.
  std::vector<uint8_t> f = frame(kIpProtoUdp, kCaller, 1, kCallee, 2, bytes_of("x"));
  f.resize(14 + 10);
  CHECK(lab.send(f) == InspectOutcome::malformed_packet);
  LONGS_EQUAL(1, lab.in->packet_status(PacketStatus::ipv4_truncated));
  // Garbage on the SIP port.
  CHECK(lab.caller_sip("INVITE nonsense\r\n\r\n") == InspectOutcome::malformed_sip);
  // SIP keepalive (RFC 5626) is not an error.
  CHECK(lab.caller_sip("\r\n\r\n") == InspectOutcome::other);
  // A call whose SDP is broken is still tracked.
  CHECK(lab.caller_sip(sip("INVITE sip:bob@192.0.2.2 SIP/2.0", "1 INVITE", "v=9\r\nnot sdp\r\n", false, "bad-sdp")) ==
        InspectOutcome::malformed_sdp);
  CHECK(lab.in->calls().find("bad-sdp") != nullptr);
  CHECK(lab.in->sdp_status(SdpStatus::ok) == 0);
  // Not RTP to an address an SDP announced.
  lab.setup_call();
  std::vector<uint8_t> not_rtp(40, 0x00);  // version 0
  CHECK(lab.send(frame(kIpProtoUdp, kCaller, kCallerRtp, kCallee, kCalleeRtp, not_rtp)) == InspectOutcome::malformed_rtp);
  LONGS_EQUAL(4, lab.in->malformed());
  // Not malformed: ARP, a fragment, other UDP.
  std::vector<uint8_t> arp = {0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x06};
  arp.resize(60, 0);
  CHECK(lab.send(arp) == InspectOutcome::other);
  CHECK(lab.send(frame(kIpProtoUdp, kCaller, 1, kCallee, 2, bytes_of("abc"), 0x2000)) == InspectOutcome::fragment);
  CHECK(lab.send(frame(kIpProtoUdp, kCaller, 53, kCallee, 53, bytes_of("dns?"))) == InspectOutcome::other);
  LONGS_EQUAL(4, lab.in->malformed());
}

TEST(Inspector, SipOverTcpTwoMessagesInOneSegmentPartialAndTls) {
  Lab lab;
  std::string two = sip("OPTIONS sip:bob@192.0.2.2 SIP/2.0", "1 OPTIONS", "", false, "opt-1") +
                    sip("OPTIONS sip:bob@192.0.2.2 SIP/2.0", "2 OPTIONS", "", false, "opt-2");
  CHECK(lab.send(frame(kIpProtoTcp, kCaller, 40000, kCallee, 5060, bytes_of(two))) == InspectOutcome::sip);
  LONGS_EQUAL(2, lab.in->sip_messages());
  // A message whose body continues in the next segment.
  std::string cut = sip("INVITE sip:bob@192.0.2.2 SIP/2.0", "1 INVITE", sdp("192.0.2.1", kCallerRtp), false, "tcp-1");
  cut.resize(cut.size() - 20);
  CHECK(lab.send(frame(kIpProtoTcp, kCaller, 40000, kCallee, 5060, bytes_of(cut))) == InspectOutcome::sip_partial);
  CHECK(lab.send(frame(kIpProtoTcp, kCaller, 40000, kCallee, 5060, bytes_of("a=sendrecv\r\n"))) ==
        InspectOutcome::sip_partial);
  // TLS on 5061 and a bare TCP ACK.
  std::vector<uint8_t> tls = {0x17, 0x03, 0x03, 0x00, 0x10};
  tls.resize(21, 0xAB);
  CHECK(lab.send(frame(kIpProtoTcp, kCaller, 40001, kCallee, 5061, tls)) == InspectOutcome::sip_tls);
  CHECK(lab.send(frame(kIpProtoTcp, kCaller, 40000, kCallee, 5060, {})) == InspectOutcome::other);
  LONGS_EQUAL(0, lab.in->malformed());
}

TEST(Inspector, SipOnAnotherPortIsFoundByLooking) {
  Lab lab;
  CHECK(lab.send(frame(kIpProtoUdp, kCaller, 5080, kCallee, 5090,
                       bytes_of(sip("OPTIONS sip:bob@192.0.2.2 SIP/2.0", "1 OPTIONS", "", false, "o")))) ==
        InspectOutcome::sip);
}

TEST(Inspector, FinishHandsEveryCallToTheHookOnce) {
  Lab lab;
  lab.setup_call("call-a");
  lab.setup_call("call-b");
  lab.in->finish(lab.now);
  LONGS_EQUAL(2, lab.removed.call_ids.size());
  std::set<std::string> ids(lab.removed.call_ids.begin(), lab.removed.call_ids.end());
  CHECK(ids.count("call-a") && ids.count("call-b"));
  lab.in->finish(lab.now);
  LONGS_EQUAL(2, lab.removed.call_ids.size());
}

TEST(Inspector, SdpInsideAMultipartBodyIsLearned) {
  // SIP-I style: SDP and ISUP in multipart/mixed (RFC 3204).
  Lab lab;
  std::string body = "--b1\r\nContent-Type: application/ISUP;version=itu-t92+\r\n\r\n\x01\x02\x03\r\n"
                     "--b1\r\nContent-Type: application/sdp\r\n\r\n" +
                     sdp("192.0.2.1", kCallerRtp) + "--b1--\r\n";
  std::string invite = sip("INVITE sip:bob@192.0.2.2 SIP/2.0", "1 INVITE", body, false, "sip-i");
  size_t at = invite.find("Content-Type: application/sdp\r\n");
  invite.replace(at, 31, "Content-Type: multipart/mixed;boundary=b1\r\n");
  CHECK(lab.caller_sip(invite) == InspectOutcome::sip);
  LONGS_EQUAL(1, lab.in->sdp_status(SdpStatus::ok));
  CHECK(lab.in->streams().expected(Endpoint{IpAddr::v4(kCaller), kCallerRtp}));
  // A multipart body without SDP is no error.
  std::string no_sdp = sip("INVITE sip:bob@192.0.2.2 SIP/2.0", "1 INVITE",
                           "--b1\r\nContent-Type: application/ISUP\r\n\r\nxx\r\n--b1--\r\n", false, "isup-only");
  no_sdp.replace(no_sdp.find("Content-Type: application/sdp\r\n"), 31, "Content-Type: multipart/mixed;boundary=b1\r\n");
  CHECK(lab.caller_sip(no_sdp) == InspectOutcome::sip);
  LONGS_EQUAL(0, lab.in->malformed());
}

TEST(Inspector, CallsAnsweredFromOneSharedMediaAddressKeepTheirOwnStreams) {
  // A media server answers every call from 192.0.2.2:30000; the callers
  // offer their own ports. All three calls are set up before any media (the
  // order that bound every outbound stream to the last answer when the
  // expectation was keyed by the SDP destination alone).
  Lab lab;
  const char* ids[] = {"shared-1@test", "shared-2@test", "shared-3@test"};
  const uint16_t ports[] = {20000, 20002, 20004};
  for (int c = 0; c < 3; ++c) {
    lab.caller_sip(sip("INVITE sip:bob@192.0.2.2 SIP/2.0", "1 INVITE", sdp("192.0.2.1", ports[c]), false, ids[c]));
    lab.now += 50 * kNsPerMs;
    lab.callee_sip(sip("SIP/2.0 200 OK", "1 INVITE", sdp("192.0.2.2", kCalleeRtp), true, ids[c]));
    lab.now += 5 * kNsPerMs;
    lab.caller_sip(sip("ACK sip:bob@192.0.2.2 SIP/2.0", "1 ACK", "", true, ids[c]));
  }
  for (int i = 0; i < 20; ++i) {
    lab.now += 20 * kNsPerMs;
    const uint16_t seq = uint16_t(100 + i);
    for (int c = 0; c < 3; ++c) {
      CHECK(lab.send(frame(kIpProtoUdp, kCaller, ports[c], kCallee, kCalleeRtp, rtp(seq, seq * 160u, 0xA000 + c, 0)), 1) ==
            InspectOutcome::rtp);
      CHECK(lab.send(frame(kIpProtoUdp, kCallee, kCalleeRtp, kCaller, ports[c], rtp(seq, seq * 160u, 0xB000 + c, 0)), 2) ==
            InspectOutcome::rtp);
    }
  }
  LONGS_EQUAL(6, lab.in->streams().size());
  int checked = 0;
  lab.in->for_each_stream([&](uint32_t i, const RtpStream& s) {
    const bool outbound = s.dst.port == kCalleeRtp;
    const uint16_t caller_port = outbound ? s.src.port : s.dst.port;
    const int c = (caller_port - 20000) / 2;
    const Call* call = lab.in->calls().get(lab.in->stream_call(i));
    CHECK_TEXT(call != nullptr, "stream without its call");
    STRCMP_EQUAL(ids[c], std::string(call->call_id_text()).c_str());
    LONGS_EQUAL(20, s.stats.wireshark().packets);
    ++checked;
  });
  LONGS_EQUAL(6, checked);
  for (int c = 0; c < 3; ++c) {
    const Call* call = lab.in->calls().find(ids[c]);
    CHECK(call != nullptr);
    LONGS_EQUAL(2, call->ssrc_count);  // its own two SSRCs, one each way
    std::set<uint32_t> ssrcs(call->ssrcs, call->ssrcs + call->ssrc_count);
    CHECK(ssrcs.count(0xA000u + c) && ssrcs.count(0xB000u + c));
  }
}

TEST(Inspector, AnEndedCallsStreamTakenOverByANewCallsSdpIsNotTheNewCallsMedia) {
  // e2e_faults' false media blackout (issue 17): calls on the same ports
  // right after earlier ones ended. The new offer names the old inbound
  // stream's destination; both calls are their slot's first use, so the
  // generations coincide. Until the stream has a packet again it is the
  // old call's ended media, never "answered and silent" in the new call.
  Lab lab;
  lab.setup_call("old@test");
  lab.media(20);
  lab.caller_sip(sip("BYE sip:bob@192.0.2.2 SIP/2.0", "2 BYE", "", true, "old@test"));
  lab.callee_sip(sip("SIP/2.0 200 OK", "2 BYE", "", true, "old@test"));
  lab.now += 500 * kNsPerMs;
  lab.setup_call("new@test");
  const Call* fresh = lab.in->calls().find("new@test");
  CHECK(fresh != nullptr);
  const uint32_t in_stream = lab.stream_to(kCallerRtp);
  CHECK(in_stream != kNoStream);
  CHECK_TRUE(lab.in->activity(in_stream).flags & kActivityEnded);
  CHECK_FALSE(lab.in->stream_call(in_stream).valid());
  // Media again: the stream is the new call's.
  lab.media(5, 200);
  CHECK_FALSE(lab.in->activity(in_stream).flags & kActivityEnded);
  CHECK(lab.in->calls().get(lab.in->stream_call(in_stream)) == lab.in->calls().find("new@test"));
}
