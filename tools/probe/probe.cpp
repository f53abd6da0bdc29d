// tg-probe: SIP OPTIONS probes to one trunk from one local (uplink) address,
// through the daemon's own OptionsProber and TrunkHealth. One JSON line per
// probe on stdout: what came back, and the trunk state it leads to.
//
//   tg-probe --bind 192.0.2.1 --target sip:203.0.113.5:5060            one shot
//   tg-probe --bind 192.0.2.1 --target sip:203.0.113.5 --count 0
//            --interval-ms 1000 --timeout-ms 500 --duration-s 60       loop
//
// Exit status: one shot: 0 when the SBC answered (2xx, 405, 501), 1 when not;
// loop: 0 when it ran to its end; 2 on bad usage or when it cannot bind.
#include <getopt.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "control/probe/options_prober.hpp"
#include "control/probe/trunk_health.hpp"
#include "dataplane/core/json_text.hpp"

using namespace tg::probe;

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }


void usage(FILE* to) {
  std::fputs(
      "usage: tg-probe --bind ADDR --target SIP-URI [options]\n"
      "  --bind ADDR            local address of the uplink to probe from (required)\n"
      "  --port N               local SIP port (default: any free port)\n"
      "  --target URI           the trunk's SBC, e.g. sip:203.0.113.5:5060 (required)\n"
      "  --name NAME            trunk name in the output (default: the target)\n"
      "  --timeout-ms N         no final response by then = timeout (default 2000)\n"
      "  --interval-ms N        between probes while up (default 1000)\n"
      "  --retry-interval-ms N  between probes while failing/down (default: interval)\n"
      "  --down-after N         consecutive failures for down (default 3)\n"
      "  --up-after N           consecutive successes for up (default 2)\n"
      "  --count N              probes to send, 0 = until --duration-s or a signal (default 1)\n"
      "  --duration-s N         stop sending after N seconds (default: no limit)\n",
      to);
}

bool parse_int(const char* text, long min, long max, long& out) {
  char* end = nullptr;
  long v = std::strtol(text, &end, 10);
  if (!end || *end || v < min || v > max) return false;
  out = v;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  ProberConfig pc;
  TrunkHealthConfig hc;
  hc.interval = 1000 * kNsPerMs;
  std::string target, name;
  long count = 1, duration_s = 0, retry_ms = -1;
  static const option opts[] = {
      {"bind", required_argument, nullptr, 'b'},        {"port", required_argument, nullptr, 'p'},
      {"target", required_argument, nullptr, 't'},      {"name", required_argument, nullptr, 'n'},
      {"timeout-ms", required_argument, nullptr, 'T'},  {"interval-ms", required_argument, nullptr, 'i'},
      {"retry-interval-ms", required_argument, nullptr, 'r'},
      {"down-after", required_argument, nullptr, 'd'},  {"up-after", required_argument, nullptr, 'u'},
      {"count", required_argument, nullptr, 'c'},       {"duration-s", required_argument, nullptr, 'D'},
      {"help", no_argument, nullptr, 'h'},              {nullptr, 0, nullptr, 0},
  };
  int c;
  long v;
  auto bad = [](const char* what, const char* text) {
    std::fprintf(stderr, "tg-probe: bad %s: %s\n", what, text);
    return 2;
  };
  while ((c = getopt_long(argc, argv, "", opts, nullptr)) != -1) {
    switch (c) {
      case 'b': pc.bind_address = optarg; break;
      case 'p': if (!parse_int(optarg, 0, 65535, v)) return bad("--port", optarg); pc.bind_port = uint16_t(v); break;
      case 't': target = optarg; break;
      case 'n': name = optarg; break;
      case 'T': if (!parse_int(optarg, 10, 32000, v)) return bad("--timeout-ms", optarg); pc.timeout = TimeNs(v) * kNsPerMs; break;
      case 'i': if (!parse_int(optarg, 10, 3600000, v)) return bad("--interval-ms", optarg); hc.interval = TimeNs(v) * kNsPerMs; break;
      case 'r': if (!parse_int(optarg, 10, 3600000, v)) return bad("--retry-interval-ms", optarg); retry_ms = v; break;
      case 'd': if (!parse_int(optarg, 1, 100, v)) return bad("--down-after", optarg); hc.down_after = int(v); break;
      case 'u': if (!parse_int(optarg, 1, 100, v)) return bad("--up-after", optarg); hc.up_after = int(v); break;
      case 'c': if (!parse_int(optarg, 0, 100000000, count)) return bad("--count", optarg); break;
      case 'D': if (!parse_int(optarg, 1, 86400 * 365, duration_s)) return bad("--duration-s", optarg); break;
      case 'h': usage(stdout); return 0;
      default: usage(stderr); return 2;
    }
  }
  if (optind != argc || pc.bind_address.empty() || target.empty()) {
    usage(stderr);
    return 2;
  }
  if (name.empty()) name = target;
  hc.retry_interval = retry_ms > 0 ? TimeNs(retry_ms) * kNsPerMs : 0;

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);

  ProbeLoop loop;
  std::string error;
  auto prober = OptionsProber::create(loop, pc, &error);
  if (!prober) {
    std::fprintf(stderr, "tg-probe: %s\n", error.c_str());
    return 2;
  }
  const std::string local = prober->local_uri();
  TrunkHealth health(hc);
  const TimeNs start = monotonic_ns();
  const TimeNs stop_sending = duration_s ? start + TimeNs(duration_s) * 1'000'000'000ULL : 0;
  long sent = 0, answered = 0;
  bool last_success = false;

  auto report = [&](const ProbeReport& r) {
    TimeNs now = monotonic_ns();
    auto tr = health.on_result(r.result, now);
    last_success = probe_success(r.result.outcome);
    answered += last_success;
    std::string line = "{\"trunk\":" + tg::json::string(name) + ",\"target\":" + tg::json::string(r.target) +
                       ",\"local\":" + tg::json::string(local) + ",\"seq\":" + std::to_string(health.probes()) +
                       ",\"t_ms\":" + std::to_string((now - start) / kNsPerMs) +
                       ",\"outcome\":\"" + probe_outcome_name(r.result.outcome) + "\"" +
                       ",\"status\":" + std::to_string(r.result.status) + ",\"reason\":" + tg::json::string(r.reason);
    char rtt[32];
    std::snprintf(rtt, sizeof(rtt), "%.3f", double(r.result.rtt) / double(kNsPerMs));
    line += std::string(",\"rtt_ms\":") + rtt + ",\"state\":\"" + trunk_state_name(health.state()) + "\"" +
            ",\"usable\":" + (health.usable() ? "true" : "false") +
            ",\"failures\":" + std::to_string(health.consecutive_failures()) +
            ",\"successes\":" + std::to_string(health.consecutive_successes()) + ",\"transition\":";
    if (tr) {
      line += std::string("{\"from\":\"") + trunk_state_name(tr->from) + "\",\"to\":\"" + trunk_state_name(tr->to) +
              "\",\"cause\":\"" + probe_outcome_name(tr->cause) + "\"}";
    } else {
      line += "null";
    }
    line += "}\n";
    std::fputs(line.c_str(), stdout);
    std::fflush(stdout);
  };

  while (!g_stop) {
    TimeNs now = monotonic_ns();
    bool may_send = (count == 0 || sent < count) && (!stop_sending || now < stop_sending);
    if (!may_send && prober->in_flight() == 0) break;
    // One probe at a time: the interval runs from one send to the next.
    if (may_send && prober->in_flight() == 0 && health.due(now)) {
      if (!prober->probe(target, report, &error)) {
        std::fprintf(stderr, "tg-probe: %s\n", error.c_str());
        return 2;
      }
      health.probe_sent(now);
      ++sent;
    }
    loop.step(10);
  }
  if (count == 1) return last_success ? 0 : 1;
  return 0;
}
