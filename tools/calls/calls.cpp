// tg-calls: the fast path's per-call export as JSON (dataplane/api/calls.hpp).
//
//   tg-calls [--shm-prefix /trunkguard] live
//       one consistent snapshot of the live-calls table
//   tg-calls [--shm-prefix /trunkguard] cdr [--count N] [--timeout S]
//       drains the CDR ring: what is queued now, or until N records arrived
//       or S seconds passed. Pops: the CDR ring has one consumer, so never
//       run this next to tg-controld's CDR store.
//
// Exit status: 0 ok, 1 shared memory missing or refused (message on stderr),
// 2 bad arguments, 3 (cdr --count) fewer records than asked within the timeout.
#include <time.h>

#include <boost/program_options.hpp>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "dataplane/core/call_table.hpp"
#include "dataplane/core/emodel.hpp"
#include "dataplane/core/json_text.hpp"
#include "dataplane/api/call_export.hpp"
#include "dataplane/api/channels.hpp"

namespace po = boost::program_options;
using namespace tg;

namespace {

template <size_t N>
std::string json_field(const char (&s)[N]) { return json::string(std::string_view(s, strnlen(s, N))); }

const char* uplink_text(uint8_t u) { return u == api::kNoUplink ? "none" : api::default_uplink_name(u); }

void media_json(std::ostream& j, const api::CallMediaWire& m) {
  char ssrc[16];
  std::snprintf(ssrc, sizeof ssrc, "0x%08x", m.ssrc);
  j << "{\"seen\":" << ((m.flags & api::kMediaSeen) ? "true" : "false")
    << ",\"announced\":" << ((m.flags & api::kMediaAnnounced) ? "true" : "false")
    << ",\"on_hold\":" << ((m.flags & api::kMediaOnHold) ? "true" : "false")
    << ",\"comfort_noise\":" << ((m.flags & api::kMediaComfortNoise) ? "true" : "false") << ",\"ssrc\":\"" << ssrc
    << "\",\"payload_type\":" << int(m.payload_type) << ",\"packets\":" << m.packets << ",\"expected\":" << m.expected
    << ",\"lost\":" << m.lost << ",\"loss_pct\":"
    << (m.expected ? std::round(10000.0 * double(m.lost > 0 ? m.lost : 0) / double(m.expected)) / 100 : 0.0)
    << ",\"jitter_ms\":" << double(m.jitter_us) / 1000 << ",\"max_jitter_ms\":" << double(m.max_jitter_us) / 1000
    << ",\"max_gap_ms\":" << m.max_gap_ms << ",\"mos\":";
  if (m.mos_x100) j << double(m.mos_x100) / 100 << ",\"r_factor\":" << double(m.r_x10) / 10;
  else j << "null,\"r_factor\":null";
  j << ",\"streams\":" << int(m.streams) << ",\"rtp_packets\":" << m.rtp_packets << ",\"dtmf_packets\":" << m.dtmf_packets
    << ",\"dtmf_events\":" << m.dtmf_events << ",\"dtmf_payload_type\":";
  if (m.dtmf_payload_type) j << int(m.dtmf_payload_type);
  else j << "null";
  j << "}";
}

std::string iso_time(uint64_t realtime_ns) {
  const time_t t = time_t(realtime_ns / 1'000'000'000ull);
  tm utc{};
  gmtime_r(&t, &utc);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, unsigned(realtime_ns / 1'000'000 % 1000));
  return buf;
}

// Trunk names by index, from the stats region (empty if it cannot be read).
std::vector<std::string> g_trunk_names;
void load_trunk_names(const api::ChannelNames& names) {
  api::StatsReader stats;
  std::string err;
  auto body = std::make_unique<api::StatsBody>();
  if (!stats.open(names.stats, err) || !stats.read(*body)) return;
  for (uint32_t i = 0; i < body->trunk_count && i < api::kMaxTrunks; ++i)
    g_trunk_names.emplace_back(body->trunks[i].name, strnlen(body->trunks[i].name, sizeof body->trunks[i].name));
}

void record_json(std::ostream& j, const api::CallRecordWire& r) {
  const auto state = CallState(r.state);
  j << "{\"call_id\":" << json_field(r.call_id) << ",\"from\":" << json_field(r.from_user)
    << ",\"to\":" << json_field(r.to_user) << ",\"state\":\"" << call_state_name(state) << "\",\"direction\":\""
    << (CallDirection(r.direction) == CallDirection::inbound ? "inbound" : "outbound") << "\",\"uplink\":\""
    << uplink_text(r.uplink) << "\",\"trunk_index\":";
  if (r.trunk == UINT8_MAX) j << "null";
  else j << int(r.trunk);
  j << ",\"trunk\":";
  if (r.trunk < g_trunk_names.size()) j << json::string(g_trunk_names[r.trunk]);
  else j << "null";
  j << ",\"final_code\":" << r.final_code << ",\"hangup\":\"" << party_name(Party(r.hangup))
    << "\",\"ended_by_timer\":" << (r.ended_by_timer ? "true" : "false") << ",\"reason_cause\":";
  if (r.reason_cause < 0) j << "null";
  else j << r.reason_cause;
  j << ",\"pdd_ms\":";
  if (r.pdd_ms < 0) j << "null";
  else j << r.pdd_ms;
  j << ",\"srd_ms\":";
  if (r.srd_ms < 0) j << "null";
  else j << r.srd_ms;
  j << ",\"hold_count\":" << r.hold_count << ",\"retransmissions\":" << r.retransmissions
    << ",\"bye_code\":" << r.bye_code << ",\"ack_ns\":" << r.ack_ns << ",\"ok_retransmissions\":" << r.ok_retransmissions
    << ",\"uplink_switches\":" << int(r.uplink_switches) << ",\"uplinks\":[";
  for (int i = 0; i < r.uplink_count && i < api::kMaxCallUplinks; ++i)
    j << (i ? "," : "") << "{\"uplink\":\"" << uplink_text(r.uplinks[i].uplink) << "\",\"since_ns\":" << r.uplinks[i].since_ns
      << ",\"since\":\"" << iso_time(r.uplinks[i].since_ns + r.realtime_offset_ns) << "\"}";
  j << "]"
    << ",\"invite_ns\":" << r.invite_ns << ",\"answer_ns\":" << r.answer_ns << ",\"end_ns\":" << r.end_ns
    << ",\"start\":\"" << iso_time(r.invite_ns + r.realtime_offset_ns) << "\",\"duration_ms\":";
  if (r.answer_ns && r.end_ns >= r.answer_ns) j << (r.end_ns - r.answer_ns) / 1'000'000;
  else j << "null";
  j << ",\"transfer\":";
  if (TransferKind(r.transfer_kind) == TransferKind::none) {
    j << "null";
  } else {
    j << "{\"kind\":\"" << transfer_kind_name(TransferKind(r.transfer_kind)) << "\",\"result\":\""
      << transfer_result_name(TransferResult(r.transfer_result)) << "\",\"code\":" << r.transfer_code
      << ",\"target\":" << json_field(r.transfer_target) << "}";
  }
  j << ",\"caller_to_callee\":";
  media_json(j, r.media[api::kMediaCallerToCallee]);
  j << ",\"callee_to_caller\":";
  media_json(j, r.media[api::kMediaCalleeToCaller]);
  j << "}";
}

uint64_t mono_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000ull + uint64_t(ts.tv_nsec);
}

int live(const api::ChannelNames& names) {
  api::LiveCallsReader reader;
  std::string err;
  if (!reader.open(names.calls, err)) {
    std::cerr << "tg-calls: " << err << "\n";
    return 1;
  }
  std::vector<api::CallRecordWire> calls;
  api::LiveCallsInfo info;
  if (!reader.read(calls, &info)) {
    std::cerr << "tg-calls: " << names.calls << ": the writer kept the table busy (fast path stuck mid-publish?)\n";
    return 1;
  }
  std::ostringstream j;
  j << "{\"creator_pid\":" << reader.creator_pid() << ",\"publish_count\":" << info.publish_count
    << ",\"updated_ns\":" << info.updated_ns << ",\"live_total\":" << info.live_total << ",\"calls\":[";
  for (size_t i = 0; i < calls.size(); ++i) {
    if (i) j << ",";
    record_json(j, calls[i]);
  }
  j << "]}\n";
  std::cout << j.str();
  return 0;
}

int cdr(const api::ChannelNames& names, uint64_t count, double timeout_s) {
  api::CdrReader reader;
  std::string err;
  if (!reader.open(names.cdr, err)) {
    std::cerr << "tg-calls: " << err << "\n";
    return 1;
  }
  std::vector<api::CallRecordWire> got;
  const uint64_t deadline = mono_ns() + uint64_t(timeout_s * 1e9);
  api::CallRecordWire r;
  for (;;) {
    while (reader.pop(r)) got.push_back(r);
    if (count == 0 || got.size() >= count || mono_ns() >= deadline) break;
    timespec pause{0, 20'000'000};  // a tool, not the fast path: poll gently
    nanosleep(&pause, nullptr);
  }
  std::ostringstream j;
  j << "{\"creator_pid\":" << reader.creator_pid() << ",\"dropped\":" << reader.drops() << ",\"records\":[";
  for (size_t i = 0; i < got.size(); ++i) {
    if (i) j << ",";
    record_json(j, got[i]);
  }
  j << "]}\n";
  std::cout << j.str();
  return count && got.size() < count ? 3 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string prefix(api::kDefaultShmPrefix), what;
  uint64_t count = 0;
  double timeout_s = 10;
  po::options_description desc("tg-calls [options] live|cdr");
  desc.add_options()("help,h", "this help")(
      "shm-prefix", po::value(&prefix), "shared-memory prefix of tg-dataplane (default /trunkguard)")(
      "count", po::value(&count), "cdr: wait until N records arrived (exit 3 if not within --timeout)")(
      "timeout", po::value(&timeout_s), "cdr: seconds to wait with --count (default 10)");
  po::options_description hidden;
  hidden.add_options()("what", po::value(&what));
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description pos;
  pos.add("what", 1);
  try {
    po::variables_map vm;
    po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
    if (vm.count("help")) {
      std::cout << desc;
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "tg-calls: " << e.what() << "\n" << desc;
    return 2;
  }
  if (!(timeout_s >= 0 && timeout_s <= 86400)) {
    std::cerr << "tg-calls: --timeout must be within 0..86400 seconds\n";
    return 2;
  }
  const api::ChannelNames names = api::ChannelNames::with_prefix(prefix);
  load_trunk_names(names);
  if (what == "live") return live(names);
  if (what == "cdr") return cdr(names, count, timeout_s);
  std::cerr << "tg-calls: say what to read: 'live' or 'cdr'\n" << desc;
  return 2;
}
