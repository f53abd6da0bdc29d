#include "tools/analyze/report.hpp"

#include <algorithm>
#include <cstdio>
#include <vector>

namespace tg::analyze {

namespace {

struct StreamRef {
  uint32_t index;
  const RtpStream* s;
};

// Streams in a stable, readable order: by first packet, then creation.
std::vector<StreamRef> sorted_streams(const Inspector& in) {
  std::vector<StreamRef> v;
  v.reserve(in.streams().size());
  in.for_each_stream([&](uint32_t i, const RtpStream& s) { v.push_back({i, &s}); });
  std::sort(v.begin(), v.end(), [](const StreamRef& a, const StreamRef& b) {
    if (a.s->first_seen != b.s->first_seen) return a.s->first_seen < b.s->first_seen;
    return a.s->serial < b.s->serial;
  });
  return v;
}

std::string_view call_id_of(const Inspector& in, const CallLog& calls, uint32_t stream) {
  const Call* c = calls.find(in.stream_call(stream));
  return c ? c->call_id_text() : std::string_view();
}

// Times in reports: seconds since the first frame (-1 / null: never).
double rel_s(TimeNs t, TimeNs origin) { return t == 0 ? -1 : t >= origin ? double(t - origin) / 1e9 : 0.0; }

double seconds_since(TimeNs t, TimeNs origin) { return t >= origin ? double(t - origin) / 1e9 : 0.0; }

// A stream's payload type for reports: the first one seen (the voice codec
// normally; a stream that starts with DTMF is rare).
uint8_t report_pt(const RtpStream& s) { return s.first_payload_type; }

void json_stream(const Inspector& in, const CallLog& calls, uint32_t index, const RtpStream& s, JsonWriter& w) {
  const WiresharkRtpStats& ws = s.stats.wireshark();
  const RtpStats& st = s.stats;
  w.begin_object();
  w.field("ssrc", ssrc_text(s.ssrc));
  w.field("src", s.src.str());
  w.field("dst", s.dst.str());
  w.field("payload_type", unsigned(report_pt(s)));
  w.field("codec", s.codec_text());
  // Packets, loss, delta and jitter as Wireshark's RTP Streams shows them.
  w.field("packets", uint64_t(ws.packets));
  w.field("expected", uint64_t(ws.expected()));
  w.field("lost", int64_t(ws.lost()));
  w.field("lost_pct", ws.lost_pct(), 2);
  w.field("duplicates", uint64_t(st.duplicates()));
  w.field("reordered", uint64_t(st.late()));
  w.field("max_delta_ms", ws.max_delta_ms, 3);
  w.field("max_jitter_ms", ws.max_jitter_ms, 3);
  w.field("mean_jitter_ms", ws.mean_jitter_ms, 3);
  EModelResult q = in.streams().quality(s);
  bool rated = ws.packets > 0 && codec_is_voice(s.codec);
  w.key("mos");
  rated ? w.value(q.mos, 2) : w.null();
  w.key("r_factor");
  rated ? w.value(q.r, 1) : w.null();
  w.key("mos_min_10s");
  s.r_long_min >= 0 ? w.value(mos_from_r(s.r_long_min), 2) : w.null();
  w.key("r_factor_min_1s");
  s.r_short_min >= 0 ? w.value(double(s.r_short_min), 1) : w.null();
  w.key("call_id");
  std::string_view cid = call_id_of(in, calls, index);
  cid.empty() ? w.null() : w.value(cid);
  // Beyond the names.
  w.field("first_s", seconds_since(s.first_seen, in.first_seen()), 6);
  w.field("last_s", seconds_since(s.last_seen, in.first_seen()), 6);
  w.field("clock_rate", uint64_t(st.clock_rate()));
  w.field("sequence_errors", uint64_t(ws.sequence_errors));
  w.field("loss_bursts", uint64_t(st.bursts()));
  w.field("longest_burst", uint64_t(st.longest_burst()));
  w.field("heuristic", s.heuristic());
  w.field("direction", media_direction_name(s.direction));
  double rtt = in.streams().round_trip_ms(s);
  w.key("rtt_ms");
  rtt >= 0 ? w.value(rtt, 1) : w.null();
  w.key("rfc3550").begin_object();
  w.field("received", uint64_t(st.received()));
  w.field("expected", uint64_t(st.expected()));
  w.field("lost", int64_t(st.lost()));
  w.field("jitter_ms", st.jitter_ms(), 3);
  w.field("max_jitter_ms", st.max_jitter_ms(), 3);
  w.field("mean_jitter_ms", st.mean_jitter_ms(), 3);
  w.field("max_delta_ms", st.max_delta_ms(), 3);
  w.field("resyncs", uint64_t(st.resyncs()));
  w.end_object();
  w.key("rtcp").begin_object();
  w.field("sender_reports", uint64_t(s.rtcp.sr_count));
  w.field("receiver_reports", uint64_t(s.rtcp.rr_count));
  if (s.rtcp.rr_count > 0) {
    w.field("far_end_lost", int64_t(s.rtcp.last_rr.cumulative_lost));
    w.field("far_end_fraction_lost", s.rtcp.last_rr.fraction_lost / 256.0, 4);
    double clock = st.clock_rate() ? double(st.clock_rate()) : 8000.0;
    w.field("far_end_jitter_ms", s.rtcp.last_rr.jitter * 1000.0 / clock, 3);
  }
  w.field("bye", bool(s.flags & kStreamBye));
  w.end_object();
  w.end_object();
}

void json_counters(const Inspector& in, JsonWriter& w) {
  w.key("outcomes").begin_object();
  for (size_t i = 0; i < kInspectOutcomeCount; ++i)
    w.field(inspect_outcome_name(InspectOutcome(i)), in.outcome(InspectOutcome(i)));
  w.end_object();
  // Parser reasons, only the ones that happened (ok counts are in outcomes).
  w.key("packet_errors").begin_object();
  for (size_t i = 1; i < kPacketStatusCount; ++i)
    if (uint64_t n = in.packet_status(PacketStatus(i))) w.field(packet_status_name(PacketStatus(i)), n);
  w.end_object();
  w.key("sip_errors").begin_object();
  for (size_t i = 1; i < size_t(SipStatus::count_); ++i)
    if (uint64_t n = in.sip_status(SipStatus(i))) w.field(sip_status_name(SipStatus(i)), n);
  w.end_object();
  w.key("sdp_errors").begin_object();
  for (size_t i = 1; i < size_t(SdpStatus::count_); ++i)
    if (uint64_t n = in.sdp_status(SdpStatus(i))) w.field(sdp_status_name(SdpStatus(i)), n);
  w.end_object();
  w.key("stream_table").begin_object();
  for (size_t i = 0; i < kStreamCounterCount; ++i)
    w.field(stream_counter_name(StreamCounter(i)), in.streams().counter(StreamCounter(i)));
  w.end_object();
}

void text_streams(const Inspector& in, const CallLog& calls, std::ostream& out) {
  auto streams = sorted_streams(in);
  out << "RTP streams: " << streams.size() << "\n";
  if (streams.empty()) return;
  char line[512];
  std::snprintf(line, sizeof line, "  %-10s %-22s %-22s %-6s %7s %6s %6s %4s %4s %8s %8s %8s %5s %s\n", "SSRC",
                "Source", "Destination", "Codec", "Pkts", "Lost", "Lost%", "Dup", "Late", "MaxDlt", "MaxJit",
                "MeanJit", "MOS", "Call-ID");
  out << line;
  for (const StreamRef& ref : streams) {
    const RtpStream* s = ref.s;
    const WiresharkRtpStats& ws = s->stats.wireshark();
    bool rated = ws.packets > 0 && codec_is_voice(s->codec);
    char mos[16] = "-";
    if (rated) std::snprintf(mos, sizeof mos, "%.2f", in.streams().quality(*s).mos);
    std::string_view cid = call_id_of(in, calls, ref.index);
    std::snprintf(line, sizeof line, "  %-10s %-22s %-22s %-6s %7u %6d %6.2f %4u %4u %8.2f %8.2f %8.2f %5s %.*s\n",
                  ssrc_text(s->ssrc).c_str(), s->src.str().c_str(), s->dst.str().c_str(), s->codec_text(),
                  ws.packets, ws.lost(), ws.lost_pct(), s->stats.duplicates(), s->stats.late(), ws.max_delta_ms,
                  ws.max_jitter_ms, ws.mean_jitter_ms, mos, int(cid.empty() ? 1 : cid.size()),
                  cid.empty() ? "-" : cid.data());
    out << line;
  }
  out << "  (Pkts, Lost, MaxDlt, MaxJit, MeanJit in ms as Wireshark's RTP Streams; MOS: ITU-T G.107)\n";
}

void text_summary(const Inspector& in, const CallLog& calls, const ReportInfo& info, std::ostream& out) {
  out << "Summary: " << in.frames() << " frames, " << in.malformed() << " malformed, "
      << calls.size() << " calls, " << in.streams().size() << " RTP streams";
  if (in.frames() > 0)
    out << ", " << seconds_since(in.last_seen(), in.first_seen()) << " s of capture";
  out << "\n  by outcome:";
  for (size_t i = 0; i < kInspectOutcomeCount; ++i)
    if (uint64_t n = in.outcome(InspectOutcome(i))) out << " " << inspect_outcome_name(InspectOutcome(i)) << "=" << n;
  out << "\n";
  auto reasons = [&](const char* what, size_t count, auto get, auto name) {
    bool any = false;
    for (size_t i = 1; i < count; ++i)
      if (uint64_t n = get(i)) {
        if (!any) out << "  " << what << ":";
        any = true;
        out << " " << name(i) << "=" << n;
      }
    if (any) out << "\n";
  };
  reasons("malformed packets", kPacketStatusCount, [&](size_t i) { return in.packet_status(PacketStatus(i)); },
          [](size_t i) { return packet_status_name(PacketStatus(i)); });
  reasons("SIP errors", size_t(SipStatus::count_), [&](size_t i) { return in.sip_status(SipStatus(i)); },
          [](size_t i) { return sip_status_name(SipStatus(i)); });
  reasons("SDP errors", size_t(SdpStatus::count_), [&](size_t i) { return in.sdp_status(SdpStatus(i)); },
          [](size_t i) { return sdp_status_name(SdpStatus(i)); });
  if (uint64_t n = in.streams().counter(StreamCounter::table_full))
    out << "  warning: " << n << " RTP packets not tracked, stream table full (raise --max-streams)\n";
  if (info.snapped) out << "  note: " << info.snapped << " frames cut short by the capture's snap length\n";
  if (info.kernel_dropped) out << "  warning: the kernel dropped " << info.kernel_dropped << " frames\n";
  if (!info.read_error.empty()) out << "  warning: input failed part way: " << info.read_error << "\n";
}

void json_call(const Inspector& in, const Call& c, JsonWriter& w) {
  TimeNs origin = in.first_seen();
  w.begin_object();
  w.field("call_id", c.call_id_text());
  w.field("from", c.from_text());
  w.field("to", c.to_text());
  w.field("state", call_outcome_name(c));
  w.key("final_code");
  c.final_code ? w.value(unsigned(c.final_code)) : w.null();
  w.key("pdd_ms");
  c.pdd_ms() >= 0 ? w.value(c.pdd_ms()) : w.null();
  w.key("duration_s");
  c.duration_ms() >= 0 ? w.value(double(c.duration_ms()) / 1000.0, 3) : w.null();
  w.key("transfer");
  if (c.transfer.kind == TransferKind::none) {
    w.null();
  } else {
    w.begin_object();
    w.field("kind", transfer_kind_name(c.transfer.kind));
    w.field("result", transfer_result_name(c.transfer.result));
    w.field("by", party_name(c.transfer.by));
    w.key("code");
    c.transfer.code ? w.value(unsigned(c.transfer.code)) : w.null();
    w.field("target", c.transfer.target_text());
    w.end_object();
  }
  w.key("streams").begin_array();
  for (uint8_t i = 0; i < c.ssrc_count && i < kCallMaxSsrcs; ++i) w.value(ssrc_text(c.ssrcs[i]));
  w.end_array();
  // Beyond the names.
  w.field("call_state", call_state_name(c.state));
  w.field("ended", c.t_end != 0 && c.t_answer != 0);
  w.key("hangup");
  c.hangup == Party::none ? w.null() : w.value(party_name(c.hangup));
  w.key("srd_ms");
  c.srd_ms() >= 0 ? w.value(c.srd_ms()) : w.null();
  w.field("direction", c.direction == CallDirection::outbound ? "outbound" : "inbound");
  w.field("caller", c.caller_signal.str());
  w.field("callee", c.callee_signal.str());
  w.key("reason_cause");
  c.reason_cause >= 0 ? w.value(int(c.reason_cause)) : w.null();
  w.field("on_hold", c.on_hold);
  w.field("holds", unsigned(c.hold_count));
  w.field("sip_messages", unsigned(c.messages));
  w.field("retransmissions", unsigned(c.retransmissions));
  w.field("ended_by_timer", c.ended_by_timer);
  auto at = [&](const char* name, TimeNs t) {
    w.key(name);
    t ? w.value(rel_s(t, origin), 6) : w.null();
  };
  at("invite_s", c.t_invite);
  at("ringing_s", c.t_first_18x);
  at("answer_s", c.t_answer);
  at("end_s", c.t_end);
  w.end_object();
}

void text_calls(const Inspector& in, const CallLog& calls, std::ostream& out) {
  auto list = calls.sorted();
  out << "Calls: " << list.size() << "\n";
  if (list.empty()) return;
  char line[512];
  std::snprintf(line, sizeof line, "  %-10s %-16s %-16s %-10s %5s %7s %9s %-7s %s\n", "Start(s)", "From", "To",
                "Outcome", "Code", "PDD(ms)", "Dur(s)", "Hangup", "Call-ID");
  out << line;
  for (const Call* c : list) {
    char code[8] = "-", pdd[16] = "-", dur[16] = "-";
    if (c->final_code) std::snprintf(code, sizeof code, "%u", unsigned(c->final_code));
    if (c->pdd_ms() >= 0) std::snprintf(pdd, sizeof pdd, "%lld", (long long)c->pdd_ms());
    if (c->duration_ms() >= 0) std::snprintf(dur, sizeof dur, "%.1f", double(c->duration_ms()) / 1000.0);
    std::string from(c->from_text()), to(c->to_text()), cid(c->call_id_text());
    std::snprintf(line, sizeof line, "  %-10.3f %-16s %-16s %-10s %5s %7s %9s %-7s %s\n",
                  rel_s(c->t_invite, in.first_seen()), from.c_str(), to.c_str(), call_outcome_name(*c), code, pdd,
                  dur, c->hangup == Party::none ? "-" : party_name(c->hangup), cid.c_str());
    out << line;
    if (c->transfer.kind != TransferKind::none) {
      std::string target(c->transfer.target_text());
      out << "             transfer: " << transfer_kind_name(c->transfer.kind) << " to " << target << ", "
          << transfer_result_name(c->transfer.result) << "\n";
    }
  }
  // Per-trunk figures (RFC 6076), as the call table counted them.
  for (int t = 0; t < in.calls().trunk_count(); ++t) {
    const TrunkInfo& ti = in.calls().trunk(t);
    const TrunkCounters& k = ti.counters;
    if (k[TrunkCounter::attempts] == 0) continue;
    TrunkRatios r = trunk_ratios(k);
    std::snprintf(line, sizeof line,
                  "  trunk %s (%s): %llu attempts, %llu answered, ASR %.1f%%, SEER %.1f%%, ISA %.1f%%, "
                  "busy %.1f%%, failed %.1f%%\n",
                  ti.name, ti.sbc.str().c_str(), (unsigned long long)k[TrunkCounter::attempts],
                  (unsigned long long)k[TrunkCounter::answered], r.asr, r.seer, r.isa, r.busy_pct, r.failure_pct);
    out << line;
  }
}

void json_trunks(const Inspector& in, JsonWriter& w) {
  w.key("trunks").begin_array();
  for (int t = 0; t < in.calls().trunk_count(); ++t) {
    const TrunkInfo& ti = in.calls().trunk(t);
    const TrunkCounters& k = ti.counters;
    TrunkRatios r = trunk_ratios(k);
    w.begin_object();
    w.field("name", std::string_view(ti.name));
    w.field("sbc", ti.sbc.str());
    for (size_t i = 0; i < kTrunkCounterCount; ++i) w.field(trunk_counter_name(TrunkCounter(i)), k.v[i]);
    w.field("asr_pct", r.asr, 2);   // NaN (no attempts settled) is written as null
    w.field("ser_pct", r.ser, 2);
    w.field("seer_pct", r.seer, 2);
    w.field("isa_pct", r.isa, 2);
    w.field("busy_pct", r.busy_pct, 2);
    w.field("failure_pct", r.failure_pct, 2);
    w.field("srd_mean_ms", r.srd_mean_ms, 1);
    w.field("pdd_mean_ms", r.pdd_mean_ms, 1);
    w.field("options_rtt_mean_ms", r.options_rtt_mean_ms, 2);
    w.end_object();
  }
  w.end_array();
}

}  // namespace

const char* call_outcome_name(const Call& c) {
  if (c.t_answer != 0 || c.state == CallState::ended) return "answered";
  return call_state_name(c.state);
}

std::string ssrc_text(uint32_t ssrc) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", ssrc);
  return buf;
}

void write_json(const Inspector& in, const CallLog& calls, const ReportInfo& info, JsonWriter& w) {
  w.begin_object();
  w.key("streams").begin_array();
  for (const StreamRef& r : sorted_streams(in)) json_stream(in, calls, r.index, *r.s, w);
  w.end_array();
  w.key("calls").begin_array();
  for (const Call* c : calls.sorted()) json_call(in, *c, w);
  w.end_array();
  w.key("summary").begin_object();
  w.field("packets", in.frames());
  w.field("malformed", in.malformed());
  w.field("calls", uint64_t(calls.size()));
  w.field("streams", uint64_t(in.streams().size()));
  w.field("source", info.source);
  w.field("live", info.live);
  w.field("duration_s", seconds_since(in.last_seen(), in.first_seen()), 6);
  w.field("sip_messages", in.sip_messages());
  w.field("snapped", info.snapped);
  if (info.live) w.field("kernel_dropped", info.kernel_dropped);
  w.key("read_error");
  info.read_error.empty() ? w.null() : w.value(info.read_error);
  json_counters(in, w);
  w.key("call_table").begin_object();
  for (size_t i = 0; i < kCallTableCounterCount; ++i)
    w.field(call_table_counter_name(CallTableCounter(i)), in.calls().counter(CallTableCounter(i)));
  w.end_object();
  json_trunks(in, w);
  w.end_object();
  w.end_object();
}

void write_text(const Inspector& in, const CallLog& calls, const ReportInfo& info, std::ostream& out) {
  out << "tg-analyze: " << (info.live ? "interface " : "") << info.source << "\n\n";
  text_calls(in, calls, out);
  out << "\n";
  text_streams(in, calls, out);
  out << "\n";
  text_summary(in, calls, info, out);
}

}  // namespace tg::analyze
