// Call-tracking benchmark: SIP messages/s through CallTable::on_sip on one
// core, for many concurrent calls (each: INVITE with SDP, 100, 180, 200 with
// SDP, ACK, BYE, 200), interleaved so the table holds every call at once.
//   bench-calls [--calls N] [--seconds S]
// Two figures: the table alone (messages parsed beforehand) and parse_sip +
// parse_sdp + table. Also prints bytes per call and the heap allocations made
// inside the timed loops (must be 0).
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
#include "dataplane/core/call_table.hpp"


namespace {

using Clock = std::chrono::steady_clock;
using namespace tg;

struct Msg {
  std::string text;
  bool up;
  SipMessage sip;
  SdpSession sdp;
  bool has_sdp = false;
};

std::string sdp_body(const std::string& ip, int port) {
  return "v=0\r\no=- 1 1 IN IP4 " + ip + "\r\ns=-\r\nc=IN IP4 " + ip + "\r\nt=0 0\r\nm=audio " +
         std::to_string(port) + " RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=ptime:20\r\n";
}

std::string message(const std::string& first, const std::string& call_id, int cseq, const char* method,
                    const std::string& from_tag, const std::string& to_tag, bool caller_side,
                    const std::string& body = "") {
  std::string a = "<sip:+4989111@198.51.100.2>;tag=" + from_tag;
  std::string b = "<sip:+4930123456@203.0.113.10>" + (to_tag.empty() ? "" : ";tag=" + to_tag);
  std::string s = first + "\r\nVia: SIP/2.0/UDP 198.51.100.2:5060;branch=z9hG4bK" + call_id + method +
                  "\r\nFrom: " + (caller_side ? a : b) + "\r\nTo: " + (caller_side ? b : a) +
                  "\r\nCall-ID: " + call_id + "\r\nCSeq: " + std::to_string(cseq) + " " + method +
                  "\r\nContact: <sip:pbx@198.51.100.2>\r\nUser-Agent: bench\r\n";
  if (!body.empty()) s += "Content-Type: application/sdp\r\n";
  return s + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// Messages of `calls` calls, step by step across all calls (so every call is
// live at once), each with its direction.
std::vector<Msg> make_messages(int calls) {
  std::vector<std::vector<std::pair<std::string, bool>>> per;
  for (int i = 0; i < calls; ++i) {
    std::string id = std::to_string(i) + "-b84c76e66710@198.51.100.2";
    std::string ft = "f" + std::to_string(i), tt = "t" + std::to_string(i);
    std::string ruri = "INVITE sip:+4930123456@203.0.113.10 SIP/2.0";
    per.push_back({
        {message(ruri, id, 1, "INVITE", ft, "", true, sdp_body("198.51.100.2", 10000 + 2 * (i % 20000))), true},
        {message("SIP/2.0 100 Trying", id, 1, "INVITE", ft, "", true), false},
        {message("SIP/2.0 180 Ringing", id, 1, "INVITE", ft, tt, true), false},
        {message("SIP/2.0 200 OK", id, 1, "INVITE", ft, tt, true, sdp_body("203.0.113.20", 20000 + 2 * (i % 20000))),
         false},
        {message("ACK sip:+4930123456@203.0.113.10 SIP/2.0", id, 1, "ACK", ft, tt, true), true},
        {message("BYE sip:+4930123456@203.0.113.10 SIP/2.0", id, 2, "BYE", ft, tt, true), true},
        {message("SIP/2.0 200 OK", id, 2, "BYE", ft, tt, true), false},
    });
  }
  std::vector<Msg> out;
  out.reserve(size_t(calls) * 7);
  for (size_t step = 0; step < 7; ++step)
    for (int i = 0; i < calls; ++i) out.push_back(Msg{per[i][step].first, per[i][step].second, {}, {}, false});
  for (Msg& m : out) {
    if (parse_sip(m.text, m.sip) != SipStatus::ok) {
      std::fprintf(stderr, "bench-calls: generated message does not parse\n");
      std::exit(1);
    }
    m.has_sdp = !m.sip.body.empty() && parse_sdp(m.sip.body, m.sdp) == SdpStatus::ok;
  }
  return out;
}

struct Result {
  double seconds = 0;
  uint64_t messages = 0, passes = 0, allocations = 0, answered = 0, completed = 0;
};

template <class Feed>
Result run(const std::vector<Msg>& msgs, int calls, double seconds, Feed feed) {
  Endpoint pbx, sbc;
  pbx.addr.parse("198.51.100.2");
  pbx.port = 5060;
  sbc.addr.parse("203.0.113.10");
  sbc.port = 5060;
  Result r;
  auto start = Clock::now();
  while (std::chrono::duration<double>(Clock::now() - start).count() < seconds) {
    CallTableConfig cfg;
    cfg.capacity = uint32_t(calls);
    CallTable table(cfg);  // not timed: allocates
    table.add_trunk("carrierA", sbc);
    uint64_t a0 = tg::bench::heap_allocations();
    auto t0 = Clock::now();
    TimeNs now = kNsPerSec;
    for (const Msg& m : msgs) {
      now += 1000;  // 1 us apart
      feed(table, m, m.up ? pbx : sbc, m.up ? sbc : pbx, now);
    }
    table.expire(now + 3600 * kNsPerSec);
    r.seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    r.allocations += tg::bench::heap_allocations() - a0;
    r.messages += msgs.size();
    ++r.passes;
    r.answered += table.trunk(0).counters[TrunkCounter::answered];
    r.completed += table.trunk(0).counters[TrunkCounter::completed];
  }
  return r;
}

void print(const char* what, const Result& r, int calls) {
  std::printf("%-22s %12.0f messages/s  %10.0f calls/s  (%llu passes, completed %llu/%llu, allocations %llu)\n",
              what, double(r.messages) / r.seconds, double(r.passes) * calls / r.seconds,
              static_cast<unsigned long long>(r.passes), static_cast<unsigned long long>(r.completed),
              static_cast<unsigned long long>(r.passes * uint64_t(calls)),
              static_cast<unsigned long long>(r.allocations));
}

}  // namespace

int main(int argc, char** argv) {
  int calls = 10000;
  double seconds = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--calls")) calls = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--seconds")) seconds = std::atof(argv[i + 1]);
  }
  if (calls <= 0 || seconds <= 0) {
    std::fprintf(stderr, "usage: bench-calls [--calls N] [--seconds S]\n");
    return 2;
  }
  std::vector<Msg> msgs = make_messages(calls);
  std::printf("call table: %d concurrent calls, %zu messages per pass, %zu bytes per call record "
              "(+8 index), %zu bytes per call budget\n",
              calls, msgs.size(), sizeof(Call), kCallBytesPerCall);
  Result table_only = run(msgs, calls, seconds / 2, [](CallTable& t, const Msg& m, const Endpoint& s,
                                                       const Endpoint& d, TimeNs now) {
    t.on_sip(m.sip, m.has_sdp ? &m.sdp : nullptr, s, d, now);
  });
  Result with_parse = run(msgs, calls, seconds / 2, [](CallTable& t, const Msg& m, const Endpoint& s,
                                                       const Endpoint& d, TimeNs now) {
    SipMessage sip;
    SdpSession sdp;
    if (parse_sip(m.text, sip) != SipStatus::ok) return;
    bool has_sdp = !sip.body.empty() && parse_sdp(sip.body, sdp) == SdpStatus::ok;
    t.on_sip(sip, has_sdp ? &sdp : nullptr, s, d, now);
  });
  print("table only", table_only, calls);
  print("parse_sip+sdp+table", with_parse, calls);
  bool ok = table_only.allocations == 0 && with_parse.allocations == 0 &&
            table_only.completed == table_only.passes * uint64_t(calls);
  if (!ok) std::printf("FAIL: allocations in the timed loop or calls not all tracked\n");
  return ok ? 0 : 1;
}
