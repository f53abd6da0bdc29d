// tg-callgen: a real SIP/RTP user agent pair over UDP sockets. UAC places N
// calls (INVITE+SDP, ACK, BYE after D s); UAS answers (100, 180, 200+SDP).
// Both send G.711 (or G.729/Opus-sized) RTP at 20 ms pacing and RTCP SR
// every few seconds, and print a JSON summary of what they received per
// stream. Single thread, epoll, every loop bounded by --max-time.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "dataplane/core/emodel.hpp"
#include "dataplane/core/json_text.hpp"
#include "tools/lab/callgen/g711.hpp"
#include "tools/lab/callgen/rtp_receiver.hpp"
#include "tools/lab/callgen/sip_text.hpp"

namespace po = boost::program_options;
using namespace tg::callgen;

namespace {

constexpr uint64_t kMs = 1'000'000, kSec = 1'000'000'000;
constexpr uint64_t kPacketInterval = 20 * kMs;
constexpr uint64_t kT1 = 500 * kMs, kT2 = 4 * kSec, kTimerB = 32 * kSec;
// A BYE ends the session when it is sent (RFC 3261 15.1.1); its transaction
// only waits for the 200. A far end that answered, lost its 200 and then
// exited never answers the retransmissions: give up after 4 tries, not 32 s.
constexpr uint64_t kByeWait = 4 * kSec;

const char* reason_of_code(int code);

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

uint64_t mono_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * kSec + uint64_t(ts.tv_nsec);
}

uint64_t ntp_now() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t secs = uint64_t(ts.tv_sec) + 2208988800ULL;  // 1900 epoch
  uint64_t frac = (uint64_t(ts.tv_nsec) << 32) / kSec;
  return secs << 32 | frac;
}

struct Codec {
  const char* option;
  const char* rtpmap;
  uint8_t pt;
  uint32_t clock_rate;
  uint32_t ts_step;       // per 20 ms
  size_t payload_bytes;   // per 20 ms
};

const Codec kCodecs[] = {
    {"pcmu", "PCMU/8000", 0, 8000, 160, 160},
    {"pcma", "PCMA/8000", 8, 8000, 160, 160},
    {"g729", "G729/8000", 18, 8000, 160, 20},
    {"opus", "opus/48000/2", 111, 48000, 960, 80},
};

struct Addr {
  sockaddr_storage ss{};
  socklen_t len = 0;
  std::string ip;
  uint16_t port = 0;
  int family() const { return ss.ss_family; }
  std::string str() const { return family() == AF_INET6 ? "[" + ip + "]:" + std::to_string(port) : ip + ":" + std::to_string(port); }
  std::string hostport() const { return str(); }
};

bool make_addr(const std::string& ip, uint16_t port, Addr& out) {
  out = Addr{};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out.ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out.ss);
  if (inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    out.len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    out.len = sizeof(sockaddr_in6);
  } else {
    return false;
  }
  out.ip = ip;
  out.port = port;
  return true;
}

// "198.51.100.1:5060" or "[2001:db8::1]:5060"
bool parse_endpoint(const std::string& text, Addr& out) {
  std::string host, port;
  if (!text.empty() && text[0] == '[') {
    size_t end = text.find("]:");
    if (end == std::string::npos) return false;
    host = text.substr(1, end - 1);
    port = text.substr(end + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string::npos) return false;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  char* endp = nullptr;
  long p = std::strtol(port.c_str(), &endp, 10);
  if (port.empty() || *endp || p <= 0 || p > 65535) return false;
  return make_addr(host, uint16_t(p), out);
}

Addr from_sockaddr(const sockaddr_storage& ss) {
  Addr a;
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET6) {
    auto* s = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &s->sin6_addr, buf, sizeof buf);
    make_addr(buf, ntohs(s->sin6_port), a);
  } else {
    auto* s = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &s->sin_addr, buf, sizeof buf);
    make_addr(buf, ntohs(s->sin_port), a);
  }
  return a;
}

int open_udp(const Addr& local, std::string& err) {
  int fd = socket(local.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    err = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  int buf = 1 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&local.ss), local.len) != 0) {
    err = "bind " + local.str() + ": " + std::strerror(errno);
    close(fd);
    return -1;
  }
  return fd;
}


struct Options {
  bool uac = true;
  Addr local, remote;
  bool have_remote = false;
  int calls = 1;
  double duration_s = 10;
  double rate = 10;
  const Codec* codec = &kCodecs[0];
  uint16_t rtp_base = 20000;
  double max_time_s = 0;
  int answer_code = 200;
  int ring_ms = 100;
  double rtcp_interval_s = 5;
  std::string from_user = "tgcaller", to_user = "tgcallee";
  std::string summary_path;
  // UAC: put each answered call on hold (re-INVITE a=sendonly) after
  // hold_at_s for hold_for_s, then resume (a=sendrecv); 0 = never.
  double hold_at_s = 0, hold_for_s = 5;
  // UAC: transfer each answered call (REFER) after transfer_at_s; 0 = never.
  double transfer_at_s = 0;
  std::string transfer_to;  // Refer-To URI (default sip:transfer@REMOTE)
  // UAS: outcome the transferee reports in its final NOTIFY (sipfrag).
  int transfer_code = 200;
  // Symmetric RTP (RFC 4961) / SBC-style latching: send media to where the
  // peer's RTP comes from, not only to the SDP address. That is how a carrier
  // SBC reaches a PBX behind NAT, and why a failover that keeps the NAT port
  // keeps the audio: the far end re-latches to the backup uplink's address.
  bool latch = false;
  // UAC: RFC 4733 telephone events (DTMF) sent dtmf_at_s into each call, on
  // their own SSRC with payload type 101 (as many PBXs and SIPp's pcaps do).
  std::string dtmf;
  double dtmf_at_s = 2;
  // UAS: final response to a BYE (404: the dialog is unknown at the far end).
  int bye_code = 200;
};

struct RxStream {
  uint32_t ssrc = 0;
  std::string src;
  RtpReceiver rx;
};

enum class CallState { idle, calling, ringing, answered, ending, done, failed };

const char* state_name(CallState s) {
  switch (s) {
    case CallState::idle: return "idle";
    case CallState::calling: return "calling";
    case CallState::ringing: return "ringing";
    case CallState::answered: return "answered";
    case CallState::ending: return "ending";
    case CallState::done: return "completed";
    case CallState::failed: return "failed";
  }
  return "?";
}

struct Call {
  int index = 0;
  CallState state = CallState::idle;
  std::string call_id, local_tag, remote_tag;
  uint32_t cseq = 1;
  int final_code = 0;
  // UAS: the INVITE as received (to build responses) and where it came from.
  std::string invite;
  Addr signalling_peer;
  // UAC: dialog route for ACK/BYE.
  std::string remote_target;
  std::vector<std::string> route;
  std::string invite_branch;
  // media
  int rtp_fd = -1, rtcp_fd = -1;
  uint16_t rtp_port = 0;
  Addr media_remote, rtcp_remote;
  bool media_known = false, sending = false, first_packet = true;
  uint32_t ssrc = 0, rtp_ts = 0;
  uint16_t seq = 0;
  // DTMF: next packet time, digit and packet within it (9 per digit: 6 + 3 end).
  uint64_t dtmf_next = 0;
  size_t dtmf_digit = 0;
  int dtmf_packet = 0;
  uint32_t dtmf_ssrc = 0;
  uint16_t dtmf_seq = 0;
  uint64_t dtmf_sent = 0;
  uint64_t next_rtp = 0, next_rtcp = 0, sent_packets = 0, sent_octets = 0, sent_rtcp = 0;
  std::vector<RxStream> rx;
  uint32_t last_sr_middle = 0;     // LSR for our report blocks
  uint64_t last_sr_arrival = 0;
  double rtt_ms = -1;
  // SIP timers
  std::string retx_msg;
  Addr retx_to;
  uint64_t retx_at = 0, retx_interval = 0, retx_deadline = 0;
  uint64_t answer_at = 0, bye_at = 0, invite_at = 0;
  uint64_t started = 0, answered_at = 0;
  // Mid-call: hold/resume re-INVITEs and transfer (REFER + NOTIFY sipfrag).
  std::string direction = "sendrecv";   // what our SDP offers/answers
  uint64_t hold_at = 0, resume_at = 0, refer_at = 0;
  uint32_t reinvite_cseq = 0;            // UAC: re-INVITE awaiting its 2xx
  uint32_t last_invite_cseq = 1;         // UAS: tells re-INVITE from retransmission
  int holds = 0;
  int transfer_code = 0;                 // final sipfrag status seen (UAC) / sent (UAS)
  int relatched = 0;                     // media destination changes by latching
  std::string uas_contact;               // UAS: the caller's Contact (NOTIFY target)
};

class CallGen {
 public:
  explicit CallGen(Options o) : opt_(std::move(o)), rng_(std::random_device{}()) {}

  int run();

 private:
  bool setup(std::string& err);
  bool open_media(Call& c, std::string& err);
  void send_sip(const std::string& msg, const Addr& to);
  // Retransmits msg from T1, doubling up to T2, until answered or `timeout`.
  void arm_retx(Call& c, const std::string& msg, const Addr& to, uint64_t now, uint64_t timeout = kTimerB);
  void on_sip(std::string_view msg, const Addr& from, uint64_t now);
  void uac_response(Call& c, std::string_view msg, int code, uint64_t now);
  void uas_request(std::string_view msg, const Addr& from, uint64_t now);
  void on_rtp(Call& c, const uint8_t* p, size_t n, const Addr& from, uint64_t now);
  void on_rtcp(Call& c, const uint8_t* p, size_t n, uint64_t now);
  void start_invite(Call& c, uint64_t now);
  void send_bye(Call& c, uint64_t now);
  void send_rtp(Call& c);
  void send_dtmf(Call& c, uint64_t now);
  void send_rtcp(Call& c, uint64_t now);
  void start_media(Call& c, uint64_t now);
  void stop_media(Call& c) { c.sending = false; }
  void timers(uint64_t now, uint64_t& next_due);
  std::string sdp(const Call& c) const;
  void send_reinvite(Call& c, const char* direction, uint64_t now);
  void send_refer(Call& c, uint64_t now);
  void uas_notify(Call& c, int code, bool final);
  void on_notify(Call& c, std::string_view msg, uint64_t now);
  std::string response(const Call& c, std::string_view req, int code, const char* reason, bool with_sdp) const;
  std::string token(size_t n);
  bool finished() const;
  void write_summary(uint64_t elapsed) const;
  Call* by_call_id(std::string_view id) {
    auto it = by_id_.find(std::string(id));
    return it == by_id_.end() ? nullptr : &calls_[it->second];
  }

  Options opt_;
  std::mt19937_64 rng_;
  int sip_fd_ = -1, ep_ = -1;
  std::vector<Call> calls_;
  std::map<std::string, size_t> by_id_;
  int placed_ = 0, ended_ = 0;
  uint64_t next_invite_ = 0;
  std::vector<uint8_t> tone_;  // one second of encoded tone, sliced per packet
};

std::string CallGen::token(size_t n) {
  static const char k[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string s(n, 'x');
  for (auto& ch : s) ch = k[rng_() % 36];
  return s;
}

bool CallGen::setup(std::string& err) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  ep_ = epoll_create1(EPOLL_CLOEXEC);
  sip_fd_ = open_udp(opt_.local, err);
  if (sip_fd_ < 0) return false;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = ~uint64_t(0);
  epoll_ctl(ep_, EPOLL_CTL_ADD, sip_fd_, &ev);
  calls_.resize(size_t(opt_.calls));
  for (int i = 0; i < opt_.calls; ++i) calls_[size_t(i)].index = i;
  // A 1 kHz-ish tone at -10 dBFS; Opus/G.729 get the same bytes as filler
  // since the generator does not carry those encoders.
  tone_.resize(8000);
  for (size_t i = 0; i < tone_.size(); ++i) {
    int16_t s = int16_t(10000 * std::sin(2 * M_PI * 1004.0 * double(i) / 8000.0));
    tone_[i] = opt_.codec->pt == 8 ? linear_to_alaw(s) : linear_to_ulaw(s);
  }
  return true;
}

bool CallGen::open_media(Call& c, std::string& err) {
  c.rtp_port = uint16_t(opt_.rtp_base + 2 * c.index);
  Addr a, b;
  make_addr(opt_.local.ip, c.rtp_port, a);
  make_addr(opt_.local.ip, uint16_t(c.rtp_port + 1), b);
  c.rtp_fd = open_udp(a, err);
  if (c.rtp_fd < 0) return false;
  c.rtcp_fd = open_udp(b, err);
  if (c.rtcp_fd < 0) return false;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = uint64_t(c.index) << 1;
  epoll_ctl(ep_, EPOLL_CTL_ADD, c.rtp_fd, &ev);
  ev.data.u64 = uint64_t(c.index) << 1 | 1;
  epoll_ctl(ep_, EPOLL_CTL_ADD, c.rtcp_fd, &ev);
  c.ssrc = uint32_t(rng_());
  c.seq = uint16_t(rng_());
  c.rtp_ts = uint32_t(rng_());
  return true;
}

void CallGen::send_sip(const std::string& msg, const Addr& to) {
  sendto(sip_fd_, msg.data(), msg.size(), 0, reinterpret_cast<const sockaddr*>(&to.ss), to.len);
}

void CallGen::arm_retx(Call& c, const std::string& msg, const Addr& to, uint64_t now, uint64_t timeout) {
  c.retx_msg = msg;
  c.retx_to = to;
  c.retx_interval = kT1;
  c.retx_at = now + kT1;
  c.retx_deadline = now + timeout;
}

std::string CallGen::sdp(const Call& c) const {
  const char* ipv = opt_.local.family() == AF_INET6 ? "IP6" : "IP4";
  std::ostringstream s;
  s << "v=0\r\no=tg-callgen " << c.ssrc << " 1 IN " << ipv << ' ' << opt_.local.ip << "\r\ns=tg-callgen\r\n"
    << "c=IN " << ipv << ' ' << opt_.local.ip << "\r\nt=0 0\r\n"
    << "m=audio " << c.rtp_port << " RTP/AVP " << int(opt_.codec->pt) << (opt_.dtmf.empty() ? "" : " 101") << "\r\n"
    << "a=rtpmap:" << int(opt_.codec->pt) << ' ' << opt_.codec->rtpmap << "\r\n"
    << (opt_.dtmf.empty() ? "" : "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n")
    << "a=ptime:20\r\na=" << c.direction << "\r\n";
  return s.str();
}

void CallGen::start_invite(Call& c, uint64_t now) {
  c.call_id = token(16) + "@tg-callgen";
  c.local_tag = token(10);
  c.invite_branch = "z9hG4bK" + token(12);
  c.state = CallState::calling;
  c.started = now;
  by_id_[c.call_id] = size_t(c.index);
  std::string body = sdp(c);
  std::ostringstream m;
  std::string ruri = "sip:" + opt_.to_user + "@" + opt_.remote.hostport();
  m << "INVITE " << ruri << " SIP/2.0\r\n"
    << "Via: SIP/2.0/UDP " << opt_.local.hostport() << ";branch=" << c.invite_branch << ";rport\r\n"
    << "Max-Forwards: 70\r\n"
    << "From: <sip:" << opt_.from_user << "@" << opt_.local.hostport() << ">;tag=" << c.local_tag << "\r\n"
    << "To: <" << ruri << ">\r\n"
    << "Call-ID: " << c.call_id << "\r\nCSeq: 1 INVITE\r\n"
    << "Contact: <sip:" << opt_.from_user << "@" << opt_.local.hostport() << ">\r\n"
    << "User-Agent: tg-callgen\r\nContent-Type: application/sdp\r\n"
    << "Content-Length: " << body.size() << "\r\n\r\n"
    << body;
  send_sip(m.str(), opt_.remote);
  arm_retx(c, m.str(), opt_.remote, now);
}

// In-dialog request from the UAC (ACK for 2xx, BYE): new branch, route set.
static std::string in_dialog(const Options& o, const Call& c, const char* method, uint32_t cseq, const std::string& branch,
                             const std::string& extra_headers = {}, const std::string& body = {},
                             const char* content_type = "application/sdp") {
  std::ostringstream m;
  std::string target = c.remote_target.empty() ? "sip:" + o.to_user + "@" + o.remote.hostport() : c.remote_target;
  m << method << ' ' << target << " SIP/2.0\r\n"
    << "Via: SIP/2.0/UDP " << o.local.hostport() << ";branch=" << branch << ";rport\r\n"
    << "Max-Forwards: 70\r\n";
  for (auto& r : c.route) m << "Route: " << r << "\r\n";
  m << "From: <sip:" << o.from_user << "@" << o.local.hostport() << ">;tag=" << c.local_tag << "\r\n"
    << "To: <sip:" << o.to_user << "@" << o.remote.hostport() << ">" << (c.remote_tag.empty() ? "" : ";tag=")
    << c.remote_tag << "\r\n"
    << "Call-ID: " << c.call_id << "\r\nCSeq: " << cseq << ' ' << method << "\r\n"
    << "Contact: <sip:" << o.from_user << "@" << o.local.hostport() << ">\r\n"
    << extra_headers << "User-Agent: tg-callgen\r\n";
  if (!body.empty()) m << "Content-Type: " << content_type << "\r\n";
  m << "Content-Length: " << body.size() << "\r\n\r\n" << body;
  return m.str();
}

void CallGen::send_bye(Call& c, uint64_t now) {
  stop_media(c);
  c.state = CallState::ending;
  ++c.cseq;
  std::string msg = in_dialog(opt_, c, "BYE", c.cseq, "z9hG4bK" + token(12));
  send_sip(msg, opt_.remote);
  arm_retx(c, msg, opt_.remote, now, kByeWait);
}

// Hold (sendonly) or resume (sendrecv): RFC 3264 8.4. The far end answers
// recvonly and stops sending while held, which is what the appliance's
// blackout detector must not mistake for a dead uplink.
void CallGen::send_reinvite(Call& c, const char* direction, uint64_t now) {
  c.direction = direction;
  c.reinvite_cseq = ++c.cseq;
  std::string msg = in_dialog(opt_, c, "INVITE", c.cseq, "z9hG4bK" + token(12), {}, sdp(c));
  send_sip(msg, opt_.remote);
  arm_retx(c, msg, opt_.remote, now);
}

// Blind transfer (RFC 3515): the far end reports the outcome in NOTIFYs.
void CallGen::send_refer(Call& c, uint64_t now) {
  std::string target = opt_.transfer_to.empty() ? "sip:transfer@" + opt_.remote.hostport() : opt_.transfer_to;
  std::string hdrs = "Refer-To: <" + target + ">\r\nReferred-By: <sip:" + opt_.from_user + "@" +
                     opt_.local.hostport() + ">\r\n";
  std::string msg = in_dialog(opt_, c, "REFER", ++c.cseq, "z9hG4bK" + token(12), hdrs);
  send_sip(msg, opt_.remote);
  arm_retx(c, msg, opt_.remote, now);
}

// UAC side: a NOTIFY with the transfer's progress. A final 2xx ends our part
// of the call (the transferor hangs up, RFC 5589 6.1).
void CallGen::on_notify(Call& c, std::string_view msg, uint64_t now) {
  int code = sipfrag_code(sip_body(msg));
  if (code < 200) return;
  c.transfer_code = code;
  if (code < 300 && c.state == CallState::answered) send_bye(c, now);
}

// UAS side: NOTIFY in the dialog the INVITE made: From/To swapped, the
// caller's Contact as target, the Record-Route set in order as the route.
void CallGen::uas_notify(Call& c, int code, bool final) {
  std::ostringstream body;
  body << "SIP/2.0 " << code << ' ' << (code == 100 ? "Trying" : reason_of_code(code)) << "\r\n";
  std::string b = body.str();
  std::ostringstream m;
  std::string target = c.uas_contact.empty() ? "sip:" + c.signalling_peer.hostport() : c.uas_contact;
  m << "NOTIFY " << target << " SIP/2.0\r\n"
    << "Via: SIP/2.0/UDP " << opt_.local.hostport() << ";branch=z9hG4bK" << token(12) << ";rport\r\n"
    << "Max-Forwards: 70\r\n";
  for (auto r : sip_headers(c.invite, "Record-Route")) m << "Route: " << r << "\r\n";
  std::string_view to = sip_header(c.invite, "To", 't');
  m << "From: " << to << (tag_param(to).empty() ? ";tag=" + c.local_tag : "") << "\r\n"
    << "To: " << sip_header(c.invite, "From", 'f') << "\r\n"
    << "Call-ID: " << c.call_id << "\r\nCSeq: " << ++c.cseq << " NOTIFY\r\n"
    << "Contact: <sip:" << opt_.to_user << "@" << opt_.local.hostport() << ">\r\n"
    << "Event: refer\r\nSubscription-State: " << (final ? "terminated;reason=noresource" : "active;expires=60")
    << "\r\nContent-Type: message/sipfrag;version=2.0\r\nContent-Length: " << b.size() << "\r\n\r\n" << b;
  send_sip(m.str(), c.signalling_peer);
}

void CallGen::start_media(Call& c, uint64_t now) {
  c.sending = c.media_known;
  if (opt_.uac && !opt_.dtmf.empty()) {
    c.dtmf_ssrc = uint32_t(rng_());
    c.dtmf_next = now + uint64_t(opt_.dtmf_at_s * double(kSec));
  }
  c.next_rtp = now;
  c.next_rtcp = now + uint64_t(opt_.rtcp_interval_s * double(kSec));
}

void CallGen::uac_response(Call& c, std::string_view msg, int code, uint64_t now) {
  std::string_view method = cseq_method(sip_header(msg, "CSeq"));
  if (method == "BYE") {
    if (code >= 200 && c.state == CallState::ending) {
      c.state = CallState::done;
      c.retx_at = 0;
      ++ended_;
    }
    return;
  }
  if (method == "REFER") {
    if (code >= 200) c.retx_at = 0;
    if (code >= 300 && !c.transfer_code) c.transfer_code = code;  // refused outright
    return;
  }
  if (method != "INVITE") return;
  uint32_t cseq = cseq_number(sip_header(msg, "CSeq"));
  if (c.reinvite_cseq && cseq == c.reinvite_cseq) {  // answer to our hold/resume
    if (code >= 200) {
      c.retx_at = 0;
      if (code < 300) send_sip(in_dialog(opt_, c, "ACK", cseq, "z9hG4bK" + token(12)), opt_.remote);
      c.reinvite_cseq = 0;
      c.sending = c.media_known && c.direction != "inactive" && c.direction != "recvonly";
    }
    return;
  }
  if (code < 200) {
    if (c.state == CallState::calling) {
      c.state = CallState::ringing;
      c.retx_at = 0;  // provisional stops INVITE retransmission (Timer A)
    }
    return;
  }
  std::string tag(tag_param(sip_header(msg, "To", 't')));
  if (code >= 300) {
    // ACK for a non-2xx final: same branch as the INVITE, hop by hop.
    std::ostringstream m;
    std::string ruri = "sip:" + opt_.to_user + "@" + opt_.remote.hostport();
    m << "ACK " << ruri << " SIP/2.0\r\nVia: SIP/2.0/UDP " << opt_.local.hostport() << ";branch=" << c.invite_branch
      << ";rport\r\nMax-Forwards: 70\r\nFrom: <sip:" << opt_.from_user << "@" << opt_.local.hostport()
      << ">;tag=" << c.local_tag << "\r\nTo: " << sip_header(msg, "To", 't') << "\r\nCall-ID: " << c.call_id
      << "\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n";
    send_sip(m.str(), opt_.remote);
    if (c.state == CallState::calling || c.state == CallState::ringing) {
      c.state = CallState::failed;
      c.final_code = code;
      c.retx_at = 0;
      ++ended_;
    }
    return;
  }
  // 2xx: (re)send ACK; the first one also sets up the dialog and media.
  if (c.state == CallState::calling || c.state == CallState::ringing) {
    c.final_code = code;
    c.remote_tag = tag;
    c.remote_target = std::string(uri_in(sip_header(msg, "Contact", 'm')));
    auto rr = sip_headers(msg, "Record-Route");
    c.route.clear();
    for (auto it = rr.rbegin(); it != rr.rend(); ++it) c.route.emplace_back(*it);
    std::string ip;
    uint16_t port = 0;
    if (sdp_audio(sip_body(msg), ip, port) && make_addr(ip, port, c.media_remote)) {
      make_addr(ip, uint16_t(port + 1), c.rtcp_remote);
      c.media_known = true;
    }
    c.state = CallState::answered;
    c.answered_at = now;
    c.retx_at = 0;
    c.bye_at = now + uint64_t(opt_.duration_s * double(kSec));
    if (opt_.hold_at_s > 0) c.hold_at = now + uint64_t(opt_.hold_at_s * double(kSec));
    if (opt_.transfer_at_s > 0) c.refer_at = now + uint64_t(opt_.transfer_at_s * double(kSec));
    start_media(c, now);
  }
  if (c.state == CallState::answered) send_sip(in_dialog(opt_, c, "ACK", 1, "z9hG4bK" + token(12)), opt_.remote);
}

std::string CallGen::response(const Call& c, std::string_view req, int code, const char* reason, bool with_sdp) const {
  std::ostringstream m;
  m << "SIP/2.0 " << code << ' ' << reason << "\r\n";
  for (auto v : sip_headers(req, "Via", 'v')) m << "Via: " << v << "\r\n";
  for (auto v : sip_headers(req, "Record-Route")) m << "Record-Route: " << v << "\r\n";
  m << "From: " << sip_header(req, "From", 'f') << "\r\n";
  std::string_view to = sip_header(req, "To", 't');
  m << "To: " << to;
  if (tag_param(to).empty() && code > 100 && !c.local_tag.empty()) m << ";tag=" << c.local_tag;
  m << "\r\nCall-ID: " << sip_header(req, "Call-ID", 'i') << "\r\nCSeq: " << sip_header(req, "CSeq") << "\r\n";
  if (code >= 180 && code < 300) m << "Contact: <sip:" << opt_.to_user << "@" << opt_.local.hostport() << ">\r\n";
  m << "Server: tg-callgen\r\n";
  if (code == 486 || code == 503) m << "Retry-After: 30\r\n";
  if (with_sdp) {
    std::string body = sdp(c);
    m << "Content-Type: application/sdp\r\nContent-Length: " << body.size() << "\r\n\r\n" << body;
  } else {
    m << "Content-Length: 0\r\n\r\n";
  }
  return m.str();
}

const char* reason_of_code(int code) {
  switch (code) {
    case 200: return "OK";
    case 404: return "Not Found";
    case 408: return "Request Timeout";
    case 480: return "Temporarily Unavailable";
    case 486: return "Busy Here";
    case 500: return "Server Internal Error";
    case 503: return "Service Unavailable";
    case 600: return "Busy Everywhere";
    default: return "Response";
  }
}

void CallGen::uas_request(std::string_view msg, const Addr& from, uint64_t now) {
  std::string_view method = sip_method(msg);
  std::string_view call_id = sip_header(msg, "Call-ID", 'i');
  Call* c = by_call_id(call_id);
  if (method == "INVITE") {
    uint32_t cseq = cseq_number(sip_header(msg, "CSeq"));
    if (c && c->state == CallState::answered && cseq > c->last_invite_cseq) {
      // re-INVITE: answer the offered direction and follow it ourselves
      c->last_invite_cseq = cseq;
      c->direction = sdp_answer_direction(sdp_direction(sip_body(msg)));
      c->sending = c->media_known && (c->direction == "sendrecv" || c->direction == "sendonly");
      if (c->direction == "recvonly") ++c->holds;
      std::string ok = response(*c, msg, 200, "OK", true);
      send_sip(ok, from);
      arm_retx(*c, ok, from, now);
      return;
    }
    if (c) {  // retransmission: repeat the last response
      if (!c->retx_msg.empty()) send_sip(c->retx_msg, c->signalling_peer);
      return;
    }
    if (placed_ >= opt_.calls) {
      Call none;
      send_sip(response(none, msg, 486, "Busy Here", false), from);
      return;
    }
    c = &calls_[size_t(placed_++)];
    by_id_[std::string(call_id)] = size_t(c->index);
    c->call_id = std::string(call_id);
    c->invite = std::string(msg);
    c->signalling_peer = from;
    c->local_tag = token(10);
    c->remote_tag = std::string(tag_param(sip_header(msg, "From", 'f')));
    c->uas_contact = std::string(uri_in(sip_header(msg, "Contact", 'm')));
    c->last_invite_cseq = cseq;
    c->started = now;
    std::string ip;
    uint16_t port = 0;
    if (sdp_audio(sip_body(msg), ip, port) && make_addr(ip, port, c->media_remote)) {
      make_addr(ip, uint16_t(port + 1), c->rtcp_remote);
      c->media_known = true;
    }
    send_sip(response(*c, msg, 100, "Trying", false), from);
    std::string ringing = response(*c, msg, 180, "Ringing", false);
    send_sip(ringing, from);
    c->retx_msg = ringing;  // resent if the INVITE is retransmitted
    c->state = CallState::ringing;
    c->answer_at = now + uint64_t(opt_.ring_ms) * kMs;
    return;
  }
  if (!c) {
    if (method != "ACK") send_sip(response(Call{}, msg, 481, "Call/Transaction Does Not Exist", false), from);
    return;
  }
  if (method == "ACK") {
    if (c->state == CallState::answered) c->retx_at = 0;  // stops 200 retransmission
    else if (c->state == CallState::failed) c->retx_at = 0;
    return;
  }
  if (method == "BYE") {
    if (opt_.bye_code == 200) send_sip(response(*c, msg, 200, "OK", false), from);
    else send_sip(response(*c, msg, opt_.bye_code, opt_.bye_code == 404 ? "Not Found" : "Refused", false), from);
    if (c->state == CallState::answered || c->state == CallState::ringing) {
      stop_media(*c);
      c->state = CallState::done;
      c->retx_at = 0;
      ++ended_;
    }
    return;
  }
  if (method == "REFER" && c->state == CallState::answered) {
    // The transferee: accept, report progress and the configured outcome.
    send_sip(response(*c, msg, 202, "Accepted", false), from);
    uas_notify(*c, 100, false);
    uas_notify(*c, opt_.transfer_code, true);
    c->transfer_code = opt_.transfer_code;
    return;
  }
  if (method == "CANCEL") {
    send_sip(response(*c, msg, 200, "OK", false), from);
    if (c->state == CallState::ringing) {
      send_sip(response(*c, c->invite, 487, "Request Terminated", false), c->signalling_peer);
      c->state = CallState::failed;
      c->final_code = 487;
      c->answer_at = 0;
      ++ended_;
    }
    return;
  }
  send_sip(response(*c, msg, 200, "OK", false), from);  // OPTIONS, INFO, UPDATE ...
}

void CallGen::on_sip(std::string_view msg, const Addr& from, uint64_t now) {
  int code = sip_status_code(msg);
  if (code == 0 && !opt_.uac) {
    uas_request(msg, from, now);
    return;
  }
  Call* c = by_call_id(sip_header(msg, "Call-ID", 'i'));
  if (!c) return;
  if (code) {
    uac_response(*c, msg, code, now);
  } else if (sip_method(msg) == "BYE") {  // the far end hung up first
    send_sip(response(*c, msg, 200, "OK", false), from);
    if (c->state == CallState::answered) {
      stop_media(*c);
      c->state = CallState::done;
      ++ended_;
    }
  } else if (sip_method(msg) != "ACK") {
    send_sip(response(*c, msg, 200, "OK", false), from);
    if (sip_method(msg) == "NOTIFY") on_notify(*c, msg, now);
  }
}

void CallGen::on_rtp(Call& c, const uint8_t* p, size_t n, const Addr& from, uint64_t now) {
  if (n < 12 || (p[0] >> 6) != 2) return;
  uint16_t seq = uint16_t(p[2] << 8 | p[3]);
  uint32_t ts = uint32_t(p[4]) << 24 | uint32_t(p[5]) << 16 | uint32_t(p[6]) << 8 | p[7];
  uint32_t ssrc = uint32_t(p[8]) << 24 | uint32_t(p[9]) << 16 | uint32_t(p[10]) << 8 | p[11];
  RxStream* s = nullptr;
  for (auto& r : c.rx)
    if (r.ssrc == ssrc) s = &r;
  if (!s) {
    if (c.rx.size() >= 8) return;  // bounded: a call carries few SSRCs
    c.rx.push_back(RxStream{ssrc, from.str(), RtpReceiver(opt_.codec->clock_rate)});
    s = &c.rx.back();
  }
  s->rx.on_packet(seq, ts, now);
  if (opt_.latch && (from.ip != c.media_remote.ip || from.port != c.media_remote.port)) {
    c.media_remote = from;
    make_addr(from.ip, uint16_t(from.port + 1), c.rtcp_remote);
    c.media_known = true;
    ++c.relatched;
    if (c.state == CallState::answered && !c.sending && c.direction != "recvonly" && c.direction != "inactive") {
      c.sending = true;
      c.next_rtp = now;
    }
  }
}

void CallGen::on_rtcp(Call& c, const uint8_t* p, size_t n, uint64_t now) {
  if (n < 8 || (p[0] >> 6) != 2) return;
  uint8_t pt = p[1];
  size_t blocks_at = 0;
  if (pt == 200 && n >= 28) {
    uint64_t ntp = uint64_t(p[8]) << 56 | uint64_t(p[9]) << 48 | uint64_t(p[10]) << 40 | uint64_t(p[11]) << 32 |
                   uint64_t(p[12]) << 24 | uint64_t(p[13]) << 16 | uint64_t(p[14]) << 8 | p[15];
    c.last_sr_middle = uint32_t(ntp >> 16);
    c.last_sr_arrival = now;
    blocks_at = 28;
  } else if (pt == 201) {
    blocks_at = 8;
  } else {
    return;
  }
  int count = p[0] & 0x1F;
  for (int i = 0; i < count && blocks_at + 24 <= n; ++i, blocks_at += 24) {
    const uint8_t* b = p + blocks_at;
    uint32_t ssrc = uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 | b[3];
    uint32_t lsr = uint32_t(b[16]) << 24 | uint32_t(b[17]) << 16 | uint32_t(b[18]) << 8 | b[19];
    uint32_t dlsr = uint32_t(b[20]) << 24 | uint32_t(b[21]) << 16 | uint32_t(b[22]) << 8 | b[23];
    if (ssrc != c.ssrc || lsr == 0) continue;
    // RFC 3550 6.4.1: RTT = A - LSR - DLSR, in 1/65536 s.
    uint32_t a = uint32_t(ntp_now() >> 16);
    int64_t rtt = int64_t(uint32_t(a - lsr - dlsr));
    if (rtt >= 0 && rtt < (int64_t(10) << 16)) c.rtt_ms = double(rtt) * 1000.0 / 65536.0;
  }
}

// One RFC 4733 packet of the current digit: 6 with a growing duration, then
// the end packet sent 3 times; the next digit 100 ms later.
void CallGen::send_dtmf(Call& c, uint64_t now) {
  static const char kEvents[] = "0123456789*#";
  const char d = opt_.dtmf[c.dtmf_digit];
  const char* e = std::strchr(kEvents, d);
  const uint8_t event = uint8_t(e ? e - kEvents : 0);
  const bool end = c.dtmf_packet >= 6;
  const uint16_t duration = uint16_t(160 * std::min(c.dtmf_packet + 1, 6));
  const uint32_t ts = uint32_t(c.dtmf_digit * 8000 + 1000);
  uint8_t pkt[16];
  pkt[0] = 0x80;
  pkt[1] = uint8_t(101 | (c.dtmf_packet == 0 ? 0x80 : 0));
  pkt[2] = uint8_t(c.dtmf_seq >> 8);
  pkt[3] = uint8_t(c.dtmf_seq);
  for (int i = 0; i < 4; ++i) pkt[4 + i] = uint8_t(ts >> (24 - 8 * i));
  for (int i = 0; i < 4; ++i) pkt[8 + i] = uint8_t(c.dtmf_ssrc >> (24 - 8 * i));
  pkt[12] = event;
  pkt[13] = uint8_t((end ? 0x80 : 0) | 10);  // E bit, volume -10 dBm0
  pkt[14] = uint8_t(duration >> 8);
  pkt[15] = uint8_t(duration);
  sendto(c.rtp_fd, pkt, sizeof pkt, 0, reinterpret_cast<const sockaddr*>(&c.media_remote.ss), c.media_remote.len);
  ++c.dtmf_seq;
  ++c.dtmf_sent;
  if (++c.dtmf_packet < 9) {
    c.dtmf_next = now + kPacketInterval;
    return;
  }
  c.dtmf_packet = 0;
  c.dtmf_next = ++c.dtmf_digit < opt_.dtmf.size() ? now + 100 * kSec / 1000 : 0;
}

void CallGen::send_rtp(Call& c) {
  uint8_t pkt[12 + 1500];
  size_t n = opt_.codec->payload_bytes;
  pkt[0] = 0x80;
  pkt[1] = uint8_t(opt_.codec->pt | (c.first_packet ? 0x80 : 0));
  pkt[2] = uint8_t(c.seq >> 8);
  pkt[3] = uint8_t(c.seq);
  for (int i = 0; i < 4; ++i) pkt[4 + i] = uint8_t(c.rtp_ts >> (24 - 8 * i));
  for (int i = 0; i < 4; ++i) pkt[8 + i] = uint8_t(c.ssrc >> (24 - 8 * i));
  size_t off = size_t(c.sent_packets * n) % (tone_.size() - n);
  std::memcpy(pkt + 12, tone_.data() + off, n);
  sendto(c.rtp_fd, pkt, 12 + n, 0, reinterpret_cast<const sockaddr*>(&c.media_remote.ss), c.media_remote.len);
  c.first_packet = false;
  ++c.seq;
  c.rtp_ts += opt_.codec->ts_step;
  ++c.sent_packets;
  c.sent_octets += n;
}

void CallGen::send_rtcp(Call& c, uint64_t now) {
  uint8_t b[28 + 24 + 64];
  const RxStream* r = c.rx.empty() ? nullptr : &c.rx.back();
  int rc = r ? 1 : 0;
  size_t len = 28 + size_t(rc) * 24;
  auto put32 = [&](size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) b[at + size_t(i)] = uint8_t(v >> (24 - 8 * i));
  };
  b[0] = uint8_t(0x80 | rc);
  b[1] = 200;
  b[2] = 0;
  b[3] = uint8_t(len / 4 - 1);
  put32(4, c.ssrc);
  uint64_t ntp = ntp_now();
  put32(8, uint32_t(ntp >> 32));
  put32(12, uint32_t(ntp));
  put32(16, c.rtp_ts);
  put32(20, uint32_t(c.sent_packets));
  put32(24, uint32_t(c.sent_octets));
  if (r) {
    RxStream& rs = const_cast<RxStream&>(*r);
    put32(28, rs.ssrc);
    int64_t lost = rs.rx.lost();
    if (lost > 0x7FFFFF) lost = 0x7FFFFF;
    if (lost < -0x800000) lost = -0x800000;
    put32(32, uint32_t(rs.rx.fraction_lost_since_last()) << 24 | (uint32_t(lost) & 0xFFFFFF));
    put32(36, rs.rx.extended_max());
    put32(40, rs.rx.jitter_units());
    put32(44, c.last_sr_middle);
    uint32_t dlsr = c.last_sr_middle ? uint32_t((now - c.last_sr_arrival) * 65536 / kSec) : 0;
    put32(48, dlsr);
  }
  // SDES CNAME: RFC 3550 6.1 wants it in every compound packet.
  const char cname[] = "tg-callgen";
  size_t sdes = len;
  size_t item = 2 + sizeof(cname) - 1;
  size_t chunk = 4 + item + 1;               // SSRC, item, END
  size_t padded = (chunk + 3) & ~size_t(3);
  b[sdes] = 0x81;
  b[sdes + 1] = 202;
  b[sdes + 2] = 0;
  b[sdes + 3] = uint8_t((4 + padded) / 4 - 1);
  put32(sdes + 4, c.ssrc);
  b[sdes + 8] = 1;
  b[sdes + 9] = uint8_t(sizeof(cname) - 1);
  std::memcpy(b + sdes + 10, cname, sizeof(cname) - 1);
  std::memset(b + sdes + 10 + sizeof(cname) - 1, 0, padded - (4 + item));
  len = sdes + 4 + padded;
  sendto(c.rtcp_fd, b, len, 0, reinterpret_cast<const sockaddr*>(&c.rtcp_remote.ss), c.rtcp_remote.len);
  ++c.sent_rtcp;
}

void CallGen::timers(uint64_t now, uint64_t& due) {
  auto consider = [&](uint64_t t) {
    if (t && t < due) due = t;
  };
  if (opt_.uac && placed_ < opt_.calls) {
    while (placed_ < opt_.calls && next_invite_ <= now) {
      start_invite(calls_[size_t(placed_++)], now);
      next_invite_ += uint64_t(double(kSec) / opt_.rate);
    }
    if (placed_ < opt_.calls) consider(next_invite_);
  }
  for (auto& c : calls_) {
    if (c.state == CallState::idle) continue;
    if (c.retx_at && c.retx_at <= now) {
      if (now >= c.retx_deadline) {
        c.retx_at = 0;
        if (c.state == CallState::calling || c.state == CallState::ringing) {
          c.state = CallState::failed;  // Timer B: no final response
          c.final_code = 408;
          ++ended_;
        } else if (c.state == CallState::ending) {
          c.state = CallState::done;  // BYE unanswered: the dialog is over anyway
          ++ended_;
        }
      } else {
        send_sip(c.retx_msg, c.retx_to);
        c.retx_interval = std::min(c.retx_interval * 2, kT2);
        c.retx_at = std::min(now + c.retx_interval, c.retx_deadline);  // give up on time, not at the next try
      }
    }
    consider(c.retx_at);
    if (c.answer_at && c.answer_at <= now) {
      c.answer_at = 0;
      if (opt_.answer_code == 200) {
        std::string ok = response(c, c.invite, 200, "OK", true);
        send_sip(ok, c.signalling_peer);
        arm_retx(c, ok, c.signalling_peer, now);
        c.state = CallState::answered;
        c.final_code = 200;
        c.answered_at = now;
        start_media(c, now);
      } else {
        std::string fail = response(c, c.invite, opt_.answer_code, reason_of_code(opt_.answer_code), false);
        send_sip(fail, c.signalling_peer);
        c.retx_msg = fail;
        c.state = CallState::failed;
        c.final_code = opt_.answer_code;
        ++ended_;
      }
    }
    consider(c.answer_at);
    if (c.state == CallState::answered && !c.reinvite_cseq) {
      if (c.hold_at && c.hold_at <= now) {
        c.hold_at = 0;
        ++c.holds;
        c.resume_at = now + uint64_t(opt_.hold_for_s * double(kSec));
        send_reinvite(c, "sendonly", now);
      } else if (c.resume_at && c.resume_at <= now) {
        c.resume_at = 0;
        send_reinvite(c, "sendrecv", now);
      } else if (c.refer_at && c.refer_at <= now) {
        c.refer_at = 0;
        send_refer(c, now);
      }
    }
    if (c.state == CallState::answered) {
      consider(c.hold_at);
      consider(c.resume_at);
      consider(c.refer_at);
    }
    if (c.bye_at && c.bye_at <= now && c.state == CallState::answered) {
      c.bye_at = 0;
      send_bye(c, now);
      consider(c.retx_at);
    }
    consider(c.state == CallState::answered ? c.bye_at : 0);
    if (c.sending && c.dtmf_next && c.dtmf_next <= now && c.dtmf_digit < opt_.dtmf.size()) send_dtmf(c, now);
    consider(c.sending ? c.dtmf_next : 0);
    if (c.sending) {
      int burst = 0;
      while (c.next_rtp <= now && burst++ < 10) {
        send_rtp(c);
        c.next_rtp += kPacketInterval;
      }
      if (c.next_rtp <= now) c.next_rtp = now + kPacketInterval;  // stalled: resume, do not flood
      if (c.next_rtcp <= now) {
        send_rtcp(c, now);
        c.next_rtcp += uint64_t(opt_.rtcp_interval_s * double(kSec));
      }
      consider(c.next_rtp);
      consider(c.next_rtcp);
    }
  }
}

bool CallGen::finished() const { return ended_ >= opt_.calls; }

void CallGen::write_summary(uint64_t elapsed) const {
  std::ostringstream j;
  int attempted = 0, answered = 0, completed = 0, failed = 0;
  for (auto& c : calls_) {
    if (c.state == CallState::idle) continue;
    ++attempted;
    if (c.answered_at) ++answered;
    if (c.state == CallState::done) ++completed;
    if (c.state == CallState::failed || (c.state != CallState::done && !c.answered_at)) ++failed;
  }
  j << "{\"mode\":\"" << (opt_.uac ? "uac" : "uas") << "\",\"codec\":\"" << opt_.codec->option
    << "\",\"elapsed_s\":" << double(elapsed) / 1e9 << ",\"calls\":{\"attempted\":" << attempted
    << ",\"answered\":" << answered << ",\"completed\":" << completed << ",\"failed\":" << failed << "},\"call_list\":[";
  bool first_call = true;
  for (auto& c : calls_) {
    if (c.state == CallState::idle) continue;
    j << (first_call ? "" : ",") << "{\"call_id\":" << tg::json::string(c.call_id) << ",\"state\":\"" << state_name(c.state)
      << "\",\"final_code\":" << c.final_code << ",\"local_ssrc\":\"";
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%08x", c.ssrc);
    j << hex << "\",\"sent_packets\":" << c.sent_packets << ",\"sent_dtmf_packets\":" << c.dtmf_sent << ",\"sent_rtcp\":" << c.sent_rtcp << ",\"rtt_ms\":";
    if (c.rtt_ms >= 0) j << c.rtt_ms; else j << "null";
    j << ",\"holds\":" << c.holds << ",\"relatched\":" << c.relatched << ",\"transfer\":";
    if (c.transfer_code) j << "{\"code\":" << c.transfer_code << ",\"ok\":" << (c.transfer_code < 300 ? "true" : "false") << "}";
    else j << "null";
    j << ",\"received\":[";
    bool first_stream = true;
    for (auto& r : c.rx) {
      std::snprintf(hex, sizeof hex, "0x%08x", r.ssrc);
      j << (first_stream ? "" : ",") << "{\"ssrc\":\"" << hex << "\",\"src\":" << tg::json::string(r.src)
        << ",\"packets\":" << r.rx.packets() << ",\"expected\":" << r.rx.expected() << ",\"lost\":" << r.rx.lost()
        << ",\"longest_gap_ms\":" << r.rx.longest_gap_ms() << ",\"jitter_ms\":" << r.rx.jitter_ms();
      // What a listener on this side would rate (G.107): loss as measured;
      // delay = half the RTCP RTT when known plus a jitter buffer of twice
      // the measured jitter, a common de-jitter sizing. Random loss assumed.
      tg::EModelInput in;
      in.codec = tg::codec_from_encoding(std::string_view(opt_.codec->rtpmap).substr(0, std::string_view(opt_.codec->rtpmap).find('/')));
      in.ppl_pct = r.rx.expected() ? 100.0 * double(std::max<int64_t>(0, r.rx.lost())) / double(r.rx.expected()) : 0;
      in.one_way_delay_ms = (c.rtt_ms > 0 ? c.rtt_ms / 2 : 0) + 2 * r.rx.jitter_ms();
      tg::EModelResult q = tg::emodel_rate(in);
      j << ",\"r_factor\":" << std::round(q.r * 10) / 10 << ",\"mos\":" << std::round(q.mos * 100) / 100 << "}";
      first_stream = false;
    }
    j << "]}";
    first_call = false;
  }
  j << "]}\n";
  if (opt_.summary_path.empty()) {
    std::cout << j.str() << std::flush;
  } else {
    std::ofstream f(opt_.summary_path);
    f << j.str();
  }
}

int CallGen::run() {
  std::string err;
  if (!setup(err)) {
    std::cerr << "tg-callgen: " << err << "\n";
    return 2;
  }
  for (auto& c : calls_) {
    if (!open_media(c, err)) {
      std::cerr << "tg-callgen: " << err << "\n";
      return 2;
    }
  }
  uint64_t start = mono_ns();
  uint64_t deadline = start + uint64_t(opt_.max_time_s * double(kSec));
  next_invite_ = start;
  std::vector<uint8_t> buf(65536);
  epoll_event events[64];
  while (!g_stop && !finished()) {
    uint64_t now = mono_ns();
    if (now >= deadline) {
      std::cerr << "tg-callgen: --max-time reached with " << (opt_.calls - ended_) << " call(s) unfinished\n";
      break;
    }
    uint64_t due = deadline;
    timers(now, due);
    if (finished()) break;  // a timer ended the last call: nothing left to wait for
    now = mono_ns();
    int timeout_ms = due > now ? int((due - now + kMs - 1) / kMs) : 0;
    int n = epoll_wait(ep_, events, 64, timeout_ms);
    if (n < 0 && errno != EINTR) {
      std::cerr << "tg-callgen: epoll_wait: " << std::strerror(errno) << "\n";
      break;
    }
    for (int i = 0; i < n; ++i) {
      uint64_t tag = events[i].data.u64;
      for (int guard = 0; guard < 256; ++guard) {  // drain, bounded
        sockaddr_storage from{};
        socklen_t flen = sizeof from;
        int fd = tag == ~uint64_t(0) ? sip_fd_ : (tag & 1 ? calls_[tag >> 1].rtcp_fd : calls_[tag >> 1].rtp_fd);
        ssize_t got = recvfrom(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &flen);
        if (got <= 0) break;
        uint64_t t = mono_ns();
        if (tag == ~uint64_t(0)) {
          on_sip(std::string_view(reinterpret_cast<const char*>(buf.data()), size_t(got)), from_sockaddr(from), t);
        } else if (tag & 1) {
          on_rtcp(calls_[tag >> 1], buf.data(), size_t(got), t);
        } else {
          on_rtp(calls_[tag >> 1], buf.data(), size_t(got), from_sockaddr(from), t);
        }
      }
    }
  }
  write_summary(mono_ns() - start);
  int good = 0;
  for (auto& c : calls_) good += c.state == CallState::done;
  return good == opt_.calls ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description desc(
      "tg-callgen: SIP/RTP call generator (UDP)\n"
      "  tg-callgen --mode uac --local IP:PORT --remote IP:PORT [--calls N --duration S ...]\n"
      "  tg-callgen --mode uas --local IP:PORT [--calls N ...]\nOptions");
  std::string mode, local, remote, codec = "pcmu";
  Options o;
  int rtp_base = 20000;
  desc.add_options()("help,h", "this help")
      ("mode", po::value(&mode)->required(), "uac (places calls) or uas (answers them)")
      ("local", po::value(&local)->required(), "SIP address to bind, IP:PORT ([v6]:PORT); RTP uses the same IP")
      ("remote", po::value(&remote), "uac: where INVITEs go (the UAS or a proxy), IP:PORT")
      ("calls", po::value(&o.calls)->default_value(1), "uac: calls to place; uas: calls to answer, then exit")
      ("duration", po::value(&o.duration_s)->default_value(10), "uac: seconds each call lasts before BYE")
      ("rate", po::value(&o.rate)->default_value(10), "uac: new calls per second")
      ("codec", po::value(&codec)->default_value("pcmu"), "pcmu | pcma | g729 | opus (payload type, clock, size)")
      ("rtp-base", po::value(&rtp_base)->default_value(20000), "first local RTP port (call i uses base+2i, RTCP +1)")
      ("answer-code", po::value(&o.answer_code)->default_value(200), "uas: final response (200, 486, 503, ...)")
      ("ring-ms", po::value(&o.ring_ms)->default_value(100), "uas: time between 180 and the final response")
      ("rtcp-interval", po::value(&o.rtcp_interval_s)->default_value(5), "seconds between RTCP SR")
      ("from-user", po::value(&o.from_user)->default_value("tgcaller"), "uac: From user part")
      ("to-user", po::value(&o.to_user)->default_value("tgcallee"), "uac: To/Request-URI user part")
      ("max-time", po::value(&o.max_time_s)->default_value(0), "hard bound in seconds (default: enough for the calls)")
      ("summary", po::value(&o.summary_path), "write the JSON summary to FILE instead of stdout")
      ("hold-at", po::value(&o.hold_at_s)->default_value(0), "uac: put each call on hold after S seconds (0: never)")
      ("hold-for", po::value(&o.hold_for_s)->default_value(5), "uac: seconds on hold before resuming")
      ("transfer-at", po::value(&o.transfer_at_s)->default_value(0), "uac: transfer (REFER) each call after S seconds (0: never)")
      ("transfer-to", po::value(&o.transfer_to), "uac: Refer-To URI (default sip:transfer@REMOTE)")
      ("transfer-code", po::value(&o.transfer_code)->default_value(200), "uas: transfer outcome reported in the final NOTIFY")
      ("dtmf", po::value(&o.dtmf), "uac: DTMF digits sent as RFC 4733 events (PT 101, own SSRC) in each call")
      ("dtmf-at", po::value(&o.dtmf_at_s)->default_value(2), "uac: seconds after the answer the DTMF starts")
      ("bye-code", po::value(&o.bye_code)->default_value(200), "uas: response to a BYE (404: dialog unknown)")
      ("latch", po::bool_switch(&o.latch), "send RTP to where the peer's RTP comes from (symmetric RTP, SBC latching)");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "tg-callgen: " << e.what() << "\n" << desc << "\n";
    return 2;
  }
  auto bad = [&](const std::string& why) {
    std::cerr << "tg-callgen: " << why << "\n";
    return 2;
  };
  if (mode != "uac" && mode != "uas") return bad("--mode must be uac or uas");
  o.uac = mode == "uac";
  if (!parse_endpoint(local, o.local)) return bad("--local: expected IP:PORT, got '" + local + "'");
  if (o.uac) {
    if (remote.empty()) return bad("--remote is required in uac mode");
    if (!parse_endpoint(remote, o.remote)) return bad("--remote: expected IP:PORT, got '" + remote + "'");
    if (o.remote.family() != o.local.family()) return bad("--local and --remote must be the same address family");
  }
  o.codec = nullptr;
  for (auto& c : kCodecs)
    if (codec == c.option) o.codec = &c;
  if (!o.codec) return bad("--codec must be pcmu, pcma, g729 or opus");
  if (o.calls < 1 || o.calls > 10000) return bad("--calls must be 1..10000");
  if (!(o.duration_s > 0 && o.duration_s <= 86400)) return bad("--duration must be in (0, 86400]");
  if (!(o.rate > 0 && o.rate <= 1000)) return bad("--rate must be in (0, 1000]");
  if (!(o.rtcp_interval_s >= 0.5)) return bad("--rtcp-interval must be >= 0.5");
  if (rtp_base < 1024 || rtp_base + 2 * o.calls > 65535) return bad("--rtp-base + 2 * --calls must fit in 1024..65535");
  if (o.answer_code < 200 || o.answer_code > 699) return bad("--answer-code must be 200..699");
  o.rtp_base = uint16_t(rtp_base);
  if (o.max_time_s <= 0) {
    o.max_time_s = o.uac ? o.calls / o.rate + o.duration_s + 40 : 3600;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  return CallGen(std::move(o)).run();
}
