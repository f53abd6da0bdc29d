#include "dataplane/core/sip.hpp"

#include <CppUTest/TestHarness.h>

#include <memory>
#include <string>

using namespace tg;

namespace {

// Parses from a heap copy of exactly the message's size, so ASan catches
// any read past the end of the view.
struct Sip {
  std::unique_ptr<char[]> buf;
  SipMessage m;
  SipStatus status;
  explicit Sip(const std::string& text, bool stream = false) : buf(new char[text.size() + 1]) {
    text.copy(buf.get(), text.size());
    status = parse_sip(std::string_view(buf.get(), text.size()), m, stream);
  }
};

std::string s(std::string_view v) { return std::string(v); }

// Captured from a PBX-to-carrier INVITE (addresses moved to documentation ranges).
const std::string kInviteSdp =
    "v=0\r\n"
    "o=- 8234 8234 IN IP4 198.51.100.10\r\n"
    "s=call\r\n"
    "c=IN IP4 198.51.100.10\r\n"
    "t=0 0\r\n"
    "m=audio 40000 RTP/AVP 0 8 101\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=ptime:20\r\n";

const std::string kInvite =
    "INVITE sip:+4930123456@203.0.113.5:5060;user=phone SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 198.51.100.10:5060;branch=z9hG4bK-524287-1---a1b2c3;rport\r\n"
    "Max-Forwards: 70\r\n"
    "Contact: <sip:1000@198.51.100.10:5060;transport=udp>\r\n"
    "To: <sip:+4930123456@203.0.113.5>\r\n"
    "From: \"Front Desk\" <sip:1000@198.51.100.10>;tag=9fxced76sl\r\n"
    "Call-ID: 3848276298220188511@198.51.100.10\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY\r\n"
    "Content-Type: application/sdp\r\n"
    "User-Agent: Asterisk PBX 18.9.0\r\n"
    "Content-Length: " +
    std::to_string(kInviteSdp.size()) + "\r\n\r\n" + kInviteSdp;

std::string response(int code, const std::string& reason, const std::string& extra = "",
                     const std::string& body = "") {
  return "SIP/2.0 " + std::to_string(code) + " " + reason + "\r\n" +
         "Via: SIP/2.0/UDP 198.51.100.10:5060;branch=z9hG4bK-524287-1---a1b2c3;received=198.51.100.10\r\n"
         "From: \"Front Desk\" <sip:1000@198.51.100.10>;tag=9fxced76sl\r\n"
         "To: <sip:+4930123456@203.0.113.5>" +
         (code > 100 ? ";tag=as6c1f6a32" : "") +
         "\r\n"
         "Call-ID: 3848276298220188511@198.51.100.10\r\n"
         "CSeq: 314159 INVITE\r\n" +
         extra + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace

TEST_GROUP(Sip){};

TEST(Sip, InviteWithSdp) {
  Sip p(kInvite);
  STRCMP_EQUAL("ok", sip_status_name(p.status));
  CHECK_TRUE(p.m.is_request);
  CHECK_TRUE(p.m.method == SipMethod::invite);
  STRCMP_EQUAL("INVITE", s(p.m.method_text).c_str());
  STRCMP_EQUAL("sip:+4930123456@203.0.113.5:5060;user=phone", s(p.m.request_uri).c_str());
  STRCMP_EQUAL("3848276298220188511@198.51.100.10", s(p.m.call_id).c_str());
  LONGS_EQUAL(314159, p.m.cseq);
  CHECK_TRUE(p.m.cseq_method == SipMethod::invite);
  STRCMP_EQUAL("sip:1000@198.51.100.10", s(p.m.from_uri).c_str());
  STRCMP_EQUAL("9fxced76sl", s(p.m.from_tag).c_str());
  STRCMP_EQUAL("Front Desk", s(p.m.from_display).c_str());
  STRCMP_EQUAL("sip:+4930123456@203.0.113.5", s(p.m.to_uri).c_str());
  CHECK_TRUE(p.m.to_tag.empty());
  STRCMP_EQUAL("z9hG4bK-524287-1---a1b2c3", s(p.m.via_branch).c_str());
  STRCMP_EQUAL("198.51.100.10:5060", s(p.m.via_sent_by).c_str());
  STRCMP_EQUAL("sip:1000@198.51.100.10:5060;transport=udp", s(p.m.contact_uri).c_str());
  STRCMP_EQUAL("application/sdp", s(p.m.content_type).c_str());
  STRCMP_EQUAL("Asterisk PBX 18.9.0", s(p.m.user_agent).c_str());
  LONGS_EQUAL(long(kInviteSdp.size()), p.m.content_length);
  STRCMP_EQUAL(kInviteSdp.c_str(), s(p.m.body).c_str());
  LONGS_EQUAL(long(kInvite.size()), long(p.m.message_length));
  LONGS_EQUAL(11, p.m.header_count);
  STRCMP_EQUAL("+4930123456", s(sip_uri_user(p.m.request_uri)).c_str());
}

TEST(Sip, ProvisionalAndFinalResponses) {
  struct Case {
    int code;
    const char* reason;
    bool to_tag;
  } cases[] = {{100, "Trying", false}, {180, "Ringing", true}, {183, "Session Progress", true},
               {200, "OK", true}};
  for (const Case& c : cases) {
    std::string body = c.code == 183 || c.code == 200 ? kInviteSdp : "";
    std::string extra = c.code == 100 ? "" : "Contact: <sip:+4930123456@203.0.113.5:5060>\r\nServer: Carrier SBC 4.2\r\n";
    if (!body.empty()) extra += "Content-Type: application/sdp\r\n";
    Sip p(response(c.code, c.reason, extra, body));
    STRCMP_EQUAL("ok", sip_status_name(p.status));
    CHECK_FALSE(p.m.is_request);
    LONGS_EQUAL(c.code, p.m.status_code);
    STRCMP_EQUAL(c.reason, s(p.m.reason_phrase).c_str());
    CHECK_TRUE(p.m.cseq_method == SipMethod::invite);
    CHECK_TRUE(p.m.method == SipMethod::unknown);
    CHECK_EQUAL(c.to_tag, !p.m.to_tag.empty());
    STRCMP_EQUAL(body.c_str(), s(p.m.body).c_str());
    if (c.code != 100) STRCMP_EQUAL("Carrier SBC 4.2", s(p.m.user_agent).c_str());
  }
}

TEST(Sip, ByeWithQ850Reason) {
  Sip p(
      "BYE sip:1000@198.51.100.10:5060 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK0b1d.7e5f2c01\r\n"
      "From: <sip:+4930123456@203.0.113.5>;tag=as6c1f6a32\r\n"
      "To: \"Front Desk\" <sip:1000@198.51.100.10>;tag=9fxced76sl\r\n"
      "Call-ID: 3848276298220188511@198.51.100.10\r\n"
      "CSeq: 102 BYE\r\n"
      "Reason: Q.850;cause=16;text=\"Normal call clearing\", SIP;cause=200\r\n"
      "Content-Length: 0\r\n\r\n");
  STRCMP_EQUAL("ok", sip_status_name(p.status));
  CHECK_TRUE(p.m.method == SipMethod::bye);
  CHECK_TRUE(p.m.cseq_method == SipMethod::bye);
  LONGS_EQUAL(102, p.m.cseq);
  STRCMP_EQUAL("Q.850", s(p.m.reason_protocol).c_str());
  LONGS_EQUAL(16, p.m.reason_cause);
  STRCMP_EQUAL("Normal call clearing", s(p.m.reason_text).c_str());
  STRCMP_EQUAL("Q.850;cause=16;text=\"Normal call clearing\", SIP;cause=200", s(p.m.reason).c_str());
  LONGS_EQUAL(0, p.m.content_length);
  LONGS_EQUAL(0, p.m.body.size());
}

TEST(Sip, Cancel) {
  Sip p(
      "CANCEL sip:+4930123456@203.0.113.5:5060;user=phone SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 198.51.100.10:5060;branch=z9hG4bK-524287-1---a1b2c3;rport\r\n"
      "From: \"Front Desk\" <sip:1000@198.51.100.10>;tag=9fxced76sl\r\n"
      "To: <sip:+4930123456@203.0.113.5>\r\n"
      "Call-ID: 3848276298220188511@198.51.100.10\r\n"
      "CSeq: 314159 CANCEL\r\n"
      "Reason: SIP ;cause=200 ;text=\"Call completed elsewhere\"\r\n"
      "Content-Length: 0\r\n\r\n");
  STRCMP_EQUAL("ok", sip_status_name(p.status));
  CHECK_TRUE(p.m.method == SipMethod::cancel);
  STRCMP_EQUAL("z9hG4bK-524287-1---a1b2c3", s(p.m.via_branch).c_str());
  STRCMP_EQUAL("SIP", s(p.m.reason_protocol).c_str());
  LONGS_EQUAL(200, p.m.reason_cause);
  STRCMP_EQUAL("Call completed elsewhere", s(p.m.reason_text).c_str());
}

TEST(Sip, ReferAndNotifySipfrag) {
  Sip refer(
      "REFER sip:+4930123456@203.0.113.5:5060 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 198.51.100.10:5060;branch=z9hG4bKref1\r\n"
      "From: <sip:1000@198.51.100.10>;tag=9fxced76sl\r\n"
      "To: <sip:+4930123456@203.0.113.5>;tag=as6c1f6a32\r\n"
      "Call-ID: 3848276298220188511@198.51.100.10\r\n"
      "CSeq: 103 REFER\r\n"
      "Refer-To: <sip:2000@198.51.100.10?Replaces=abc%40host%3Bto-tag%3D1>\r\n"
      "Referred-By: <sip:1000@198.51.100.10>\r\n"
      "Contact: <sip:1000@198.51.100.10>\r\n"
      "Content-Length: 0\r\n\r\n");
  STRCMP_EQUAL("ok", sip_status_name(refer.status));
  CHECK_TRUE(refer.m.method == SipMethod::refer);
  STRCMP_EQUAL("sip:2000@198.51.100.10?Replaces=abc%40host%3Bto-tag%3D1", s(refer.m.refer_to).c_str());

  const std::string frag = "SIP/2.0 200 OK\r\n";
  Sip notify(
      "NOTIFY sip:1000@198.51.100.10 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bKnot1\r\n"
      "From: <sip:+4930123456@203.0.113.5>;tag=as6c1f6a32\r\n"
      "To: <sip:1000@198.51.100.10>;tag=9fxced76sl\r\n"
      "Call-ID: 3848276298220188511@198.51.100.10\r\n"
      "CSeq: 2 NOTIFY\r\n"
      "Event: refer;id=103\r\n"
      "Subscription-State: terminated;reason=noresource\r\n"
      "Content-Type: message/sipfrag;version=2.0\r\n"
      "Content-Length: " + std::to_string(frag.size()) + "\r\n\r\n" + frag);
  STRCMP_EQUAL("ok", sip_status_name(notify.status));
  CHECK_TRUE(notify.m.method == SipMethod::notify);
  STRCMP_EQUAL("refer", s(notify.m.event).c_str());
  STRCMP_EQUAL("103", s(notify.m.event_id).c_str());
  STRCMP_EQUAL("terminated", s(notify.m.subscription_state).c_str());
  STRCMP_EQUAL("noresource", s(notify.m.subscription_reason).c_str());
  STRCMP_EQUAL("message/sipfrag", s(notify.m.content_type).c_str());
  LONGS_EQUAL(200, sipfrag_status(notify.m.body));
  LONGS_EQUAL(100, sipfrag_status("SIP/2.0 100 Trying"));
  LONGS_EQUAL(503, sipfrag_status("  SIP/2.0 503 Service Unavailable\r\n"));
  LONGS_EQUAL(0, sipfrag_status("SIP/2.0 20 OK"));
  LONGS_EQUAL(0, sipfrag_status("SIP/2.0 700 Nope"));
  LONGS_EQUAL(0, sipfrag_status("SIP/2.0"));
  LONGS_EQUAL(0, sipfrag_status("INVITE sip:x SIP/2.0"));
  LONGS_EQUAL(0, sipfrag_status(""));
}

TEST(Sip, BusyWithRetryAfter) {
  Sip p(response(486, "Busy Here", "Retry-After: 120 (in a meeting);duration=3600\r\n"));
  STRCMP_EQUAL("ok", sip_status_name(p.status));
  LONGS_EQUAL(486, p.m.status_code);
  LONGS_EQUAL(120, p.m.retry_after);
  Sip plain(response(503, "Service Unavailable", "Retry-After: 30\r\n"));
  LONGS_EQUAL(30, plain.m.retry_after);
  Sip huge(response(503, "Service Unavailable", "Retry-After: 99999999999\r\n"));
  LONGS_EQUAL(-1, huge.m.retry_after);  // beyond any sane value: treated as absent
  Sip junk(response(503, "Service Unavailable", "Retry-After: soon\r\n"));
  LONGS_EQUAL(-1, junk.m.retry_after);
  Sip none(response(486, "Busy Here"));
  LONGS_EQUAL(-1, none.m.retry_after);
}

TEST(Sip, CompactHeaderForms) {
  Sip p(
      "INVITE sip:bob@203.0.113.5 SIP/2.0\r\n"
      "v: SIP/2.0/TCP 198.51.100.20;branch=z9hG4bKcompact\r\n"
      "f: Alice <sip:alice@198.51.100.20>;tag=1928301774\r\n"
      "t: sip:bob@203.0.113.5\r\n"
      "i: a84b4c76e66710@pc33.example\r\n"
      "CSeq: 1 INVITE\r\n"
      "m: <sip:alice@198.51.100.20>\r\n"
      "c: application/sdp\r\n"
      "l: 4\r\n"
      "r: sip:carol@203.0.113.7\r\n"
      "o: refer\r\n"
      "\r\n"
      "v=0\n");
  STRCMP_EQUAL("ok", sip_status_name(p.status));
  STRCMP_EQUAL("z9hG4bKcompact", s(p.m.via_branch).c_str());
  STRCMP_EQUAL("198.51.100.20", s(p.m.via_sent_by).c_str());
  STRCMP_EQUAL("Alice", s(p.m.from_display).c_str());
  STRCMP_EQUAL("1928301774", s(p.m.from_tag).c_str());
  STRCMP_EQUAL("sip:bob@203.0.113.5", s(p.m.to_uri).c_str());
  STRCMP_EQUAL("a84b4c76e66710@pc33.example", s(p.m.call_id).c_str());
  STRCMP_EQUAL("sip:alice@198.51.100.20", s(p.m.contact_uri).c_str());
  STRCMP_EQUAL("application/sdp", s(p.m.content_type).c_str());
  LONGS_EQUAL(4, p.m.content_length);
  STRCMP_EQUAL("sip:carol@203.0.113.7", s(p.m.refer_to).c_str());
  STRCMP_EQUAL("refer", s(p.m.event).c_str());
  STRCMP_EQUAL("v=0\n", s(p.m.body).c_str());
}

TEST(Sip, FoldedHeadersAndOddSpacing) {
  Sip p(
      "OPTIONS sip:203.0.113.5 SIP/2.0\r\n"
      "Via: SIP / 2.0 / UDP\r\n"
      "   198.51.100.10:5062 ;branch=z9hG4bKfold\r\n"
      "From:<sip:probe@198.51.100.10>;tag=p1\r\n"
      "To   :   <sip:203.0.113.5>\r\n"
      "call-id: folded-1\r\n"
      "CSEQ:\r\n"
      "\t7\r\n"
      " OPTIONS\r\n"
      "Subject: a long\r\n"
      "\tsubject, folded\r\n"
      "Content-Length:0\r\n\r\n");
  STRCMP_EQUAL("ok", sip_status_name(p.status));
  STRCMP_EQUAL("z9hG4bKfold", s(p.m.via_branch).c_str());
  STRCMP_EQUAL("198.51.100.10:5062", s(p.m.via_sent_by).c_str());
  STRCMP_EQUAL("p1", s(p.m.from_tag).c_str());
  STRCMP_EQUAL("sip:203.0.113.5", s(p.m.to_uri).c_str());
  STRCMP_EQUAL("folded-1", s(p.m.call_id).c_str());
  LONGS_EQUAL(7, p.m.cseq);
  CHECK_TRUE(p.m.cseq_method == SipMethod::options);
  LONGS_EQUAL(7, p.m.header_count);
}

TEST(Sip, BareLfLineEndings) {
  Sip p("BYE sip:a@198.51.100.1 SIP/2.0\nCall-ID: lf\nCSeq: 2 BYE\nFrom: <sip:b@x>;tag=1\n\n");
  STRCMP_EQUAL("ok", sip_status_name(p.status));
  STRCMP_EQUAL("lf", s(p.m.call_id).c_str());
  STRCMP_EQUAL("1", s(p.m.from_tag).c_str());
}

TEST(Sip, FirstHeaderOccurrenceWins) {
  Sip p(response(200, "OK",
                 "Via: SIP/2.0/UDP 192.0.2.99;branch=z9hG4bKsecond\r\n"
                 "Call-ID: forged\r\n"
                 "User-Agent: ua\r\nServer: srv\r\n"));
  STRCMP_EQUAL("3848276298220188511@198.51.100.10", s(p.m.call_id).c_str());
  STRCMP_EQUAL("z9hG4bK-524287-1---a1b2c3", s(p.m.via_branch).c_str());
  STRCMP_EQUAL("ua", s(p.m.user_agent).c_str());
}

TEST(Sip, Ipv6AndMultiValueVia) {
  Sip p(
      "SIP/2.0 200 OK\r\n"
      "Via: SIP/2.0/TCP [2001:db8::10]:5061;branch=z9hG4bKv6a;alias, SIP/2.0/UDP 192.0.2.7;branch=z9hG4bKnext\r\n"
      "Via: SIP/2.0/UDP 192.0.2.8;branch=z9hG4bKthird\r\n"
      "From: \"Quote \\\" and <angle>\" <sip:a@[2001:db8::10]>;tag=x1\r\n"
      "To: <sip:b@[2001:db8::20]>;tag=y2\r\n"
      "Call-ID: v6\r\n"
      "CSeq: 5 OPTIONS\r\n"
      "Reason: SIP;cause=480;text=\"Temporarily \\\"away\\\"; back soon\"\r\n"
      "Content-Length: 0\r\n\r\n");
  STRCMP_EQUAL("ok", sip_status_name(p.status));
  STRCMP_EQUAL("[2001:db8::10]:5061", s(p.m.via_sent_by).c_str());
  STRCMP_EQUAL("z9hG4bKv6a", s(p.m.via_branch).c_str());
  STRCMP_EQUAL("sip:a@[2001:db8::10]", s(p.m.from_uri).c_str());
  STRCMP_EQUAL("x1", s(p.m.from_tag).c_str());
  STRCMP_EQUAL("Quote \\\" and <angle>", s(p.m.from_display).c_str());  // raw, escapes kept
  STRCMP_EQUAL("y2", s(p.m.to_tag).c_str());
  LONGS_EQUAL(480, p.m.reason_cause);
  STRCMP_EQUAL("Temporarily \\\"away\\\"; back soon", s(p.m.reason_text).c_str());
}

TEST(Sip, UnterminatedNameAddrLeavesFieldsEmpty) {
  Sip p("BYE sip:a@b SIP/2.0\r\nCall-ID: u\r\nCSeq: 1 BYE\r\nFrom: \"Open <sip:a@b>;tag=1\r\n"
        "To: <sip:c@d;tag=2\r\n\r\n");
  STRCMP_EQUAL("ok", sip_status_name(p.status));  // the dialog is still identified by Call-ID
  CHECK_TRUE(p.m.from_uri.empty());
  CHECK_TRUE(p.m.from_tag.empty());
  CHECK_TRUE(p.m.to_uri.empty());
}

TEST(Sip, ContactForms) {
  std::string base = "REGISTER sip:203.0.113.5 SIP/2.0\r\nCall-ID: r1\r\nCSeq: 1 REGISTER\r\n";
  Sip star(base + "Contact: *\r\nExpires: 0\r\n\r\n");
  STRCMP_EQUAL("*", s(star.m.contact_uri).c_str());
  Sip multi(base + "Contact: \"A, B\" <sip:a@198.51.100.1>;q=0.7, <sip:b@198.51.100.2>\r\n\r\n");
  STRCMP_EQUAL("sip:a@198.51.100.1", s(multi.m.contact_uri).c_str());
  Sip bare(base + "Contact: sip:c@198.51.100.3;expires=60\r\n\r\n");
  STRCMP_EQUAL("sip:c@198.51.100.3", s(bare.m.contact_uri).c_str());
  CHECK_TRUE(bare.m.method == SipMethod::register_);
}

TEST(Sip, MalformedMessagesHaveTheirStatus) {
  struct Case {
    const char* text;
    SipStatus want;
  } cases[] = {
      {"", SipStatus::not_sip},
      {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", SipStatus::not_sip},
      {"\x80\x00\x12\x34 binary", SipStatus::not_sip},
      {"INVITE sip:a@b SIP/2.0", SipStatus::incomplete},
      {"INVITE sip:a@b SIP/2.0\r\nCall-ID: x\r\n", SipStatus::incomplete},
      {"INVITE sip:a@b SIP/2.0\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\r", SipStatus::incomplete},
      {"INVITE sip:a@b SIP/3.0\r\n\r\n", SipStatus::bad_start_line},
      {"INVITE  SIP/2.0\r\n\r\n", SipStatus::bad_start_line},
      {"INVITE sip:a@b SIP/2.0 extra\r\n\r\n", SipStatus::bad_start_line},
      {"FOO sip:a@b x SIP/2.0\r\n\r\n", SipStatus::bad_start_line},
      {"FOO sip:a@b SIP/2.0 x\r\n\r\n", SipStatus::not_sip},
      {"SIP/2.0 20 OK\r\n\r\n", SipStatus::bad_start_line},
      {"SIP/2.0 700 Weird\r\n\r\n", SipStatus::bad_start_line},
      {"SIP/2.0 099 Low\r\n\r\n", SipStatus::bad_start_line},
      {"SIP/2.0 2000 OK\r\n\r\n", SipStatus::bad_start_line},
      {"SIP/1.0 200 OK\r\n\r\n", SipStatus::bad_start_line},
      {"BYE sip:a@b SIP/2.0\r\n folded first\r\n\r\n", SipStatus::bad_header},
      {"BYE sip:a@b SIP/2.0\r\nno colon here\r\n\r\n", SipStatus::bad_header},
      {"BYE sip:a@b SIP/2.0\r\nBad Name: x\r\n\r\n", SipStatus::bad_header},
      {"BYE sip:a@b SIP/2.0\r\n: empty name\r\n\r\n", SipStatus::bad_header},
      {"BYE sip:a@b SIP/2.0\r\nCSeq: 1 BYE\r\n\r\n", SipStatus::missing_call_id},
      {"BYE sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\n", SipStatus::missing_cseq},
      {"BYE sip:a@b SIP/2.0\r\nCall-ID: x\r\nCSeq: BYE\r\n\r\n", SipStatus::missing_cseq},
      {"BYE sip:a@b SIP/2.0\r\nCall-ID: x\r\nCSeq: 1 BYE extra\r\n\r\n", SipStatus::missing_cseq},
      {"BYE sip:a@b SIP/2.0\r\nCall-ID: x\r\nCSeq: 99999999999 BYE\r\n\r\n", SipStatus::missing_cseq},
      {"BYE sip:a@b SIP/2.0\r\nCall-ID: x\r\nCSeq: 1 BYE\r\nContent-Length: -1\r\n\r\n",
       SipStatus::bad_content_length},
      {"BYE sip:a@b SIP/2.0\r\nCall-ID: x\r\nCSeq: 1 BYE\r\nContent-Length: 12abc\r\n\r\n",
       SipStatus::bad_content_length},
      {"BYE sip:a@b SIP/2.0\r\nCall-ID: x\r\nCSeq: 1 BYE\r\nl: 1\r\nContent-Length: 2\r\n\r\nab",
       SipStatus::bad_content_length},
      {"BYE sip:a@b SIP/2.0\r\nCall-ID: x\r\nCSeq: 1 BYE\r\nContent-Length: 10\r\n\r\nshort",
       SipStatus::body_truncated},
  };
  for (const Case& c : cases) {
    Sip p(c.text);
    if (p.status != c.want) {
      std::string msg = std::string("input: ") + c.text + " got " + sip_status_name(p.status);
      FAIL(msg.c_str());
    }
  }
}

TEST(Sip, CallIdSurvivesLaterErrors) {
  // The call tracker still wants the Call-ID of a message it counts as bad.
  Sip p("BYE sip:a@b SIP/2.0\r\nCall-ID: keep-me\r\nCSeq: 1 BYE\r\nContent-Length: x\r\n\r\n");
  LONGS_EQUAL(int(SipStatus::bad_content_length), int(p.status));
  STRCMP_EQUAL("keep-me", s(p.m.call_id).c_str());
}

TEST(Sip, EveryPrefixOfAnInviteIsIncompleteOrTruncated) {
  // A message cut anywhere (e.g. by a snap length or a TCP segment boundary)
  // is reported, never mistaken for a whole one.
  for (size_t cut = 0; cut < kInvite.size(); ++cut) {
    Sip p(kInvite.substr(0, cut));
    CHECK_TRUE(p.status != SipStatus::ok);
    CHECK_TRUE(p.status == SipStatus::incomplete || p.status == SipStatus::body_truncated ||
               p.status == SipStatus::not_sip);
    if (cut > 8) CHECK_TRUE(p.status != SipStatus::not_sip);
  }
}

TEST(Sip, TcpStreamFraming) {
  const std::string bye =
      "BYE sip:a@198.51.100.1 SIP/2.0\r\nCall-ID: t1\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n";
  const std::string both = kInvite + bye;
  Sip first(both, true);
  STRCMP_EQUAL("ok", sip_status_name(first.status));
  LONGS_EQUAL(long(kInvite.size()), long(first.m.message_length));
  STRCMP_EQUAL(kInviteSdp.c_str(), s(first.m.body).c_str());
  Sip second(both.substr(first.m.message_length), true);
  STRCMP_EQUAL("ok", sip_status_name(second.status));
  CHECK_TRUE(second.m.method == SipMethod::bye);

  // No Content-Length: over a stream the body is empty, over UDP it is the rest.
  const std::string nolen = "ACK sip:a@b SIP/2.0\r\nCall-ID: t2\r\nCSeq: 1 ACK\r\n\r\nNEXT";
  Sip stream(nolen, true);
  LONGS_EQUAL(0, stream.m.body.size());
  LONGS_EQUAL(long(nolen.size() - 4), long(stream.m.message_length));
  Sip dgram(nolen, false);
  STRCMP_EQUAL("NEXT", s(dgram.m.body).c_str());
  LONGS_EQUAL(long(nolen.size()), long(dgram.m.message_length));
}

TEST(Sip, KeepAlivesBeforeAMessageAreSkipped) {
  const std::string msg = "\r\n\r\n" + kInvite;
  Sip p(msg, true);
  STRCMP_EQUAL("ok", sip_status_name(p.status));
  CHECK_TRUE(p.m.method == SipMethod::invite);
  LONGS_EQUAL(long(msg.size()), long(p.m.message_length));  // keep-alive bytes included
  LONGS_EQUAL(int(SipStatus::not_sip), int(Sip("\r\n\r\n", true).status));
  LONGS_EQUAL(int(SipStatus::not_sip), int(Sip("\n", true).status));
  LONGS_EQUAL(int(SipStatus::incomplete), int(Sip("\r\nINVITE sip:a@b SIP/2.0", true).status));
}

TEST(Sip, LooksLikeSip) {
  CHECK_TRUE(looks_like_sip("SIP/2.0 200 OK\r\n"));
  CHECK_TRUE(looks_like_sip("INVITE sip:a@b SIP/2.0\r\n"));
  CHECK_TRUE(looks_like_sip("SUBSCRIBE sip:a@b SIP/2.0\r\n"));
  CHECK_TRUE(looks_like_sip("ACK sip:a@b SIP/2.0\r\n"));
  CHECK_FALSE(looks_like_sip("\x80\x08\x00\x01rtp"));
  CHECK_FALSE(looks_like_sip("GET / HTTP/1.1\r\n"));
  CHECK_FALSE(looks_like_sip("invite sip:a@b SIP/2.0\r\n"));  // methods are case-sensitive
  CHECK_FALSE(looks_like_sip("BYE"));
  CHECK_FALSE(looks_like_sip(""));
  CHECK_FALSE(looks_like_sip("\r\n\r\n"));  // keep-alive
}

TEST(Sip, UriUser) {
  STRCMP_EQUAL("+4930123", s(sip_uri_user("sip:+4930123@host;x")).c_str());
  STRCMP_EQUAL("alice", s(sip_uri_user("<sips:alice:secret@host>")).c_str());
  STRCMP_EQUAL("+4930", s(sip_uri_user("tel:+4930;phone-context=x")).c_str());
  STRCMP_EQUAL("555", s(sip_uri_user("sip:555;npdi@host")).c_str());
  CHECK_TRUE(sip_uri_user("sip:host.example").empty());
  CHECK_TRUE(sip_uri_user("http://x@y").empty());
  CHECK_TRUE(sip_uri_user("").empty());
}

TEST(Sip, MethodAndStatusNames) {
  CHECK_TRUE(sip_method_from("NOTIFY") == SipMethod::notify);
  CHECK_TRUE(sip_method_from("notify") == SipMethod::unknown);
  CHECK_TRUE(sip_method_from("") == SipMethod::unknown);
  STRCMP_EQUAL("REFER", sip_method_name(SipMethod::refer));
  STRCMP_EQUAL("body_truncated", sip_status_name(SipStatus::body_truncated));
  STRCMP_EQUAL("no Call-ID header", sip_status_text(SipStatus::missing_call_id));
  STRCMP_EQUAL("invalid", sip_status_name(SipStatus::count_));
}
