#include "dataplane/fastpath/call_export.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace tg::fastpath {
namespace {

uint32_t clamp_u32(double v) {
  if (!(v > 0)) return 0;  // also NaN
  return v >= double(UINT32_MAX) ? UINT32_MAX : uint32_t(std::lround(v));
}

// MOS x100 of a G.107 R (>= 0), as every export field carries it.
uint16_t mos_x100(float r) { return uint16_t(std::lround(mos_from_r(double(r)) * 100.0)); }

// NUL-terminated prefix of `text` into dst[N].
template <size_t N>
void copy_text(char (&dst)[N], std::string_view text) {
  const size_t n = std::min(text.size(), N - 1);
  std::memcpy(dst, text.data(), n);
  std::memset(dst + n, 0, N - n);
}

int32_t ms_or_none(int64_t ms) { return ms < 0 ? -1 : ms > INT32_MAX ? INT32_MAX : int32_t(ms); }

bool same_addr(const Endpoint& a, const Endpoint& b) { return b.port != 0 && a.addr == b.addr; }

// One stream's counts into its direction's.
void add_stream(DirectionCounts& d, uint32_t packets, uint32_t dtmf_packets, uint16_t dtmf_events, uint8_t dtmf_pt) {
  ++d.streams;
  d.rtp_packets += packets;
  d.dtmf_packets += dtmf_packets;
  d.dtmf_events = uint16_t(std::min<uint32_t>(UINT16_MAX, d.dtmf_events + dtmf_events));
  if (dtmf_pt) d.dtmf_payload_type = dtmf_pt;
}

}  // namespace

CallExporter::CallExporter(Inspector& in, api::CdrProducer* cdr, api::LiveCallsWriter* live, TimeNs now,
                           const CallExportConfig& cfg, uint8_t initial_uplink)
    : in_(in),
      cdr_(cdr && cdr->bound() ? cdr : nullptr),
      live_(live && live->bound() ? live : nullptr),
      cfg_(cfg),
      slots_(std::make_unique<CallMediaSlot[]>(in.calls().capacity())),
      staging_(std::make_unique<api::CallRecordWire[]>(api::kMaxLiveCallsExported)),
      next_sweep_(now),
      initial_uplink_(initial_uplink) {
  if (cfg_.stream_budget == 0) cfg_.stream_budget = 1;
  if (cfg_.call_budget == 0) cfg_.call_budget = 1;
  in_.set_call_removed_hook(&CallExporter::on_removed_hook, this);
}

CallExporter::~CallExporter() { in_.set_call_removed_hook(nullptr, nullptr); }

void CallExporter::note_switch(TimeNs when, uint8_t from, uint8_t to) {
  switches_[switch_count_ % kSwitchHistory] = Switch{when, from, to};
  ++switch_count_;
}

void CallExporter::note_realtime_offset(TimeNs when, uint64_t offset_ns) {
  if (offset_count_) {
    const uint64_t last = offsets_[(offset_count_ - 1) % kOffsetHistory].offset_ns;
    const uint64_t moved = offset_ns > last ? offset_ns - last : last - offset_ns;
    if (moved <= 100'000) return;
  }
  offsets_[offset_count_ % kOffsetHistory] = OffsetChange{when, offset_ns};
  ++offset_count_;
}

uint64_t CallExporter::realtime_offset_at(TimeNs t) const {
  const uint32_t kept = std::min(offset_count_, kOffsetHistory);
  if (kept == 0) return 0;
  for (uint32_t i = 0; i < kept; ++i) {  // newest first
    const OffsetChange& o = offsets_[(offset_count_ - 1 - i) % kOffsetHistory];
    if (o.when <= t) return o.offset_ns;
  }
  return offsets_[(offset_count_ - kept) % kOffsetHistory].offset_ns;  // before the oldest kept: its best guess
}

uint8_t CallExporter::uplink_at(TimeNs t) const {
  const uint32_t kept = std::min(switch_count_, kSwitchHistory);
  for (uint32_t i = 0; i < kept; ++i) {  // newest first
    const Switch& s = switches_[(switch_count_ - 1 - i) % kSwitchHistory];
    if (s.when <= t) return s.to;
  }
  if (kept == 0) return initial_uplink_;
  return switches_[(switch_count_ - kept) % kSwitchHistory].from;  // before the oldest kept switch
}

int CallExporter::direction_of(const Call& c, const RtpStream& s) {
  // Exact SDP endpoints first (RTP goes to the address the receiver's SDP
  // gave; symmetric RTP comes from it), then the address alone (a re-INVITE
  // moved the port).
  if (c.callee_media.port && s.dst == c.callee_media) return api::kMediaCallerToCallee;
  if (c.caller_media.port && s.dst == c.caller_media) return api::kMediaCalleeToCaller;
  if (c.caller_media.port && s.src == c.caller_media) return api::kMediaCallerToCallee;
  if (c.callee_media.port && s.src == c.callee_media) return api::kMediaCalleeToCaller;
  if (same_addr(s.dst, c.callee_media)) return api::kMediaCallerToCallee;
  if (same_addr(s.dst, c.caller_media)) return api::kMediaCalleeToCaller;
  return -1;
}

void CallExporter::fill_media(const RtpStream& s, api::CallMediaWire& m) const {
  std::memset(&m, 0, sizeof m);
  const RtpStats& st = s.stats;
  m.ssrc = s.ssrc;
  // Counted from the first packet (no RFC 3550 probation), as Wireshark
  // does, so packets + lost == expected holds for the reader.
  const WiresharkRtpStats& ws = st.wireshark();
  m.packets = ws.packets;
  m.expected = ws.packets ? ws.expected() : 0;
  m.lost = ws.lost();
  m.jitter_us = clamp_u32(st.jitter_ms() * 1000.0);
  m.max_jitter_us = clamp_u32(st.max_jitter_ms() * 1000.0);
  m.max_gap_ms = clamp_u32(st.max_delta_ms());
  // Worst closed 10 s window; a call too short for one: the last 1 s
  // window, or if that one was empty (a gap), the worst 1 s window.
  const float r = s.r_long_min >= 0 ? s.r_long_min : s.r_short >= 0 ? s.r_short : s.r_short_min;
  if (r >= 0) {
    m.r_x10 = uint16_t(std::min(1000L, std::lround(double(r) * 10.0)));
    m.mos_x100 = mos_x100(r);
    if (m.r_x10 == 0) m.r_x10 = 1;  // 0 means "no figure": R 0.0 is a (dreadful) figure
  }
  m.payload_type = s.first_payload_type;
  for (uint8_t i = 0; i < s.codec_count && i < kRtpMaxCodecs; ++i)
    if (s.codecs[i].codec == s.codec && s.codec != Codec::unknown) {
      m.payload_type = s.codecs[i].payload_type;
      break;
    }
  m.flags = api::kMediaSeen;
  if (s.flags & kStreamHeld) m.flags |= api::kMediaOnHold;
  if (s.flags & kStreamComfortNoise) m.flags |= api::kMediaComfortNoise;
}

void CallExporter::add_to_uplink(uint32_t index, const RtpStream& s, TimeNs now) {
  const StreamActivityView a = in_.activity(index);
  // Streams the LAN sends (kIngressLan) were measured before any uplink.
  if (a.ingress >= api::kMaxUplinks) return;
  if (a.flags & (kActivityEnded | kActivityOnHold)) return;
  if (s.last_seen + cfg_.media_fresh < now) return;
  UplinkSums& u = uplink_sums_[a.ingress];
  ++u.streams;
  u.jitter_sum_us += clamp_u32(s.stats.jitter_ms() * 1000.0);
  // Both ends' RTCP gave a segment: the end-to-end round trip; G.107's
  // one-way delay is half of it, as the stream's own rating assumes.
  if (const double rtt_ms = in_.streams().round_trip_ms(s); rtt_ms > 0) {
    const uint32_t owd_us = clamp_u32(rtt_ms * 500.0);
    ++u.delay_n;
    u.delay_sum_us += owd_us;
    u.delay_max_us = std::max(u.delay_max_us, owd_us);
  }
  if (s.r_long < 0) return;  // younger than one 10 s window
  const uint16_t mos = mos_x100(s.r_long);
  ++u.rated;
  u.mos_sum += mos;
  if (u.rated == 1 || mos < u.mos_min_x100) u.mos_min_x100 = mos;
  const RtpWindow& w = s.stats.window_long();
  u.expected += w.expected;
  u.lost += w.lost > 0 ? uint64_t(w.lost) : 0;
}

void CallExporter::publish_uplinks() {
  for (uint8_t i = 0; i < api::kMaxUplinks; ++i) {
    const UplinkSums& x = uplink_sums_[i];
    api::UplinkMediaWire& m = uplinks_[i];
    m = api::UplinkMediaWire{};
    m.streams = x.streams;
    m.rated = x.rated;
    m.mos_avg_x100 = x.rated ? uint16_t(x.mos_sum / x.rated) : 0;
    m.mos_min_x100 = x.mos_min_x100;
    m.loss_ppm = x.expected ? uint32_t(std::min<uint64_t>(1'000'000, x.lost * 1'000'000 / x.expected)) : 0;
    m.jitter_avg_us = x.streams ? uint32_t(x.jitter_sum_us / x.streams) : 0;
    m.delay_streams = x.delay_n;
    m.one_way_delay_avg_us = x.delay_n ? uint32_t(x.delay_sum_us / x.delay_n) : 0;
    m.one_way_delay_max_us = x.delay_max_us;
    uplink_sums_[i] = UplinkSums{};
  }
}

void CallExporter::visit_stream(uint32_t index, TimeNs now) {
  const RtpStream* s = in_.streams().get(index);
  if (!s) return;
  add_to_uplink(index, *s, now);
  const CallRef ref = in_.stream_call(index);
  const Call* c = in_.calls().get(ref);
  if (!c) return;
  const int dir = direction_of(*c, *s);
  if (dir < 0) return;
  CallMediaSlot& slot = slots_[ref.slot];
  if (slot.generation != ref.generation) {
    slot = CallMediaSlot{};
    slot.generation = ref.generation;
  }
  note_stream(slot, index, *s, dir);
  // The current main stream refreshes its snapshot; another one takes over
  // when it has carried more packets (SSRC change, forked early media).
  if (slot.stream[dir] == index || slot.stream[dir] == kNoStream || s->stats.packets() > slot.media[dir].packets) {
    slot.stream[dir] = index;
    fill_media(*s, slot.media[dir]);
  }
}

void CallExporter::note_stream(CallMediaSlot& slot, uint32_t index, const RtpStream& s, int dir) {
  const uint32_t serial = uint32_t(s.serial);
  CallStreamSeen* e = nullptr;
  for (CallStreamSeen& x : slot.seen)
    if (x.index == index && x.serial == serial) e = &x;
  if (!e) {
    CallStreamSeen* free = nullptr;
    for (CallStreamSeen& x : slot.seen)
      if (x.index == kNoStream && !free) free = &x;
    if (!free) {
      // Full: the oldest folds into its direction's rest (its counts stay).
      const CallStreamSeen& old = slot.seen[0];
      add_stream(slot.rest[old.direction & 1], old.packets, old.dtmf_packets, old.dtmf_events, old.dtmf_payload_type);
      std::memmove(&slot.seen[0], &slot.seen[1], sizeof(CallStreamSeen) * (kCallSlotStreams - 1));
      free = &slot.seen[kCallSlotStreams - 1];
    }
    e = free;
    *e = CallStreamSeen{};
    e->index = index;
    e->serial = serial;
  }
  e->direction = uint8_t(dir);
  e->packets = s.stats.packets();
  e->dtmf_packets = s.dtmf_packets;
  e->dtmf_events = s.dtmf_events;
  e->dtmf_payload_type = s.dtmf_payload_type;
}

void CallExporter::fill_counts(const CallMediaSlot& slot, CallRef ref, api::CallRecordWire& r) const {
  DirectionCounts d[2] = {slot.rest[0], slot.rest[1]};
  for (const CallStreamSeen& x : slot.seen) {
    if (x.index == kNoStream) continue;
    uint32_t packets = x.packets, dtmf = x.dtmf_packets;
    uint16_t events = x.dtmf_events;
    // Still alive and still this call's: counts as of now, not the last sweep.
    const RtpStream* s = in_.streams().get(x.index);
    const CallRef now_ref = in_.stream_call(x.index);
    if (s && uint32_t(s->serial) == x.serial && now_ref.slot == ref.slot && now_ref.generation == ref.generation) {
      packets = s->stats.packets();
      dtmf = s->dtmf_packets;
      events = s->dtmf_events;
    }
    add_stream(d[x.direction & 1], packets, dtmf, events, x.dtmf_payload_type);
  }
  for (int i = 0; i < 2; ++i) {
    api::CallMediaWire& m = r.media[i];
    m.streams = uint8_t(std::min<uint32_t>(UINT8_MAX, d[i].streams));
    // The main stream's figures may be fresher than the sweep's counts.
    m.rtp_packets = std::max(d[i].rtp_packets, m.packets);
    m.dtmf_packets = d[i].dtmf_packets;
    m.dtmf_events = d[i].dtmf_events;
    m.dtmf_payload_type = d[i].dtmf_payload_type;
    if (m.rtp_packets && !m.streams) m.streams = 1;
  }
}

void CallExporter::fill_uplinks(const Call& c, api::CallRecordWire& r) const {
  r.uplink = uplink_at(c.t_invite);
  r.uplinks[0] = api::CallUplinkWire{c.t_invite, r.uplink, {}};
  r.uplink_count = 1;
  const TimeNs until = call_state_live(c.state) ? UINT64_MAX : c.t_end;
  // Switches after the INVITE and up to the end, oldest first; when more
  // than fit, the first entry stays and the last ones are kept.
  const uint32_t kept = std::min(switch_count_, kSwitchHistory);
  uint32_t n = 0;
  for (uint32_t i = kept; i-- > 0;) {
    const Switch& s = switches_[(switch_count_ - 1 - i) % kSwitchHistory];
    if (s.when <= c.t_invite || s.when > until) continue;
    ++n;
    if (r.uplink_count < api::kMaxCallUplinks) {
      r.uplinks[r.uplink_count++] = api::CallUplinkWire{s.when, s.to, {}};
    } else {
      std::memmove(&r.uplinks[1], &r.uplinks[2], sizeof(api::CallUplinkWire) * (api::kMaxCallUplinks - 2));
      r.uplinks[api::kMaxCallUplinks - 1] = api::CallUplinkWire{s.when, s.to, {}};
    }
  }
  r.uplink_switches = uint8_t(std::min<uint32_t>(UINT8_MAX, n));
}

void CallExporter::build(const Call& c, CallRef ref, api::CallRecordWire& r) const {
  std::memset(&r, 0, sizeof r);
  r.version = api::kCallRecordVersion;
  r.state = uint8_t(c.state);
  r.direction = uint8_t(c.direction);
  fill_uplinks(c, r);
  r.trunk = c.trunk;
  r.hangup = uint8_t(c.hangup);
  r.transfer_kind = uint8_t(c.transfer.kind);
  r.transfer_result = uint8_t(c.transfer.result);
  r.ended_by_timer = c.ended_by_timer ? 1 : 0;
  r.final_code = c.final_code;
  r.transfer_code = c.transfer.code;
  r.reason_cause = c.reason_cause;
  r.pdd_ms = ms_or_none(c.pdd_ms());
  r.srd_ms = ms_or_none(c.srd_ms());
  r.hold_count = c.hold_count;
  r.retransmissions = c.retransmissions;
  r.bye_code = c.bye_code;
  r.ok_retransmissions = c.ok_retransmissions;
  r.invite_ns = c.t_invite;
  r.answer_ns = c.t_answer;
  r.ack_ns = c.t_ack;
  r.end_ns = call_state_live(c.state) ? 0 : c.t_end;
  r.realtime_offset_ns = realtime_offset_at(c.t_invite);
  copy_text(r.call_id, c.call_id_text());
  copy_text(r.from_user, c.from_text());
  copy_text(r.to_user, c.to_text());
  copy_text(r.transfer_target, c.transfer.target_text());

  const CallMediaSlot* slot = ref.valid() && ref.slot < in_.calls().capacity() && slots_[ref.slot].generation == ref.generation
                                  ? &slots_[ref.slot]
                                  : nullptr;
  const Endpoint* receiver[2] = {&c.callee_media, &c.caller_media};  // who receives each direction
  for (int d = 0; d < 2; ++d) {
    api::CallMediaWire& m = r.media[d];
    if (slot && slot->stream[d] != kNoStream) {
      const uint32_t idx = slot->stream[d];
      const RtpStream* s = in_.streams().get(idx);
      const CallRef now_ref = in_.stream_call(idx);
      // Fresh figures while the stream lives; its last snapshot once it idled out.
      if (s && now_ref.slot == ref.slot && now_ref.generation == ref.generation)
        fill_media(*s, m);
      else
        m = slot->media[d];
    }
    if (receiver[d]->port != 0) m.flags |= api::kMediaAnnounced;
    if (c.on_hold && !(m.flags & api::kMediaSeen)) m.flags |= api::kMediaOnHold;
  }
  if (slot) fill_counts(*slot, ref, r);
}

void CallExporter::on_removed_hook(const Call& call, CallRef ref, void* self) {
  static_cast<CallExporter*>(self)->on_removed(call, ref);
}

void CallExporter::on_removed(const Call& call, CallRef ref) {
  api::CallRecordWire r;
  build(call, ref, r);
  ++cdr_records_;
  if (cdr_ && !cdr_->push(r)) ++cdr_dropped_;
  if (r.trunk < kMaxTrunks) {
    uint64_t packets = 0, lost = 0;
    for (const auto& m : r.media) {
      packets += m.packets;
      lost += m.lost > 0 ? uint64_t(m.lost) : 0;
    }
    freed_packets_[r.trunk] += packets;
    freed_lost_[r.trunk] += lost;
    // Freed ahead of the call pass's cursor: the pass will not see it, so
    // its packets join this pass's base (each call counted exactly once).
    if (phase_ == Phase::calls && ref.slot >= cursor_) {
      freed_base_packets_[r.trunk] += packets;
      freed_base_lost_[r.trunk] += lost;
    }
  }
  if (ref.valid() && ref.slot < in_.calls().capacity()) slots_[ref.slot] = CallMediaSlot{};
}

void CallExporter::add_to_trunk(const api::CallRecordWire& r, bool live) {
  if (r.trunk >= kMaxTrunks) return;
  TrunkSums& t = sums_[r.trunk];
  if (live) ++t.calls;
  for (const auto& m : r.media) {
    t.packets += m.packets;
    t.lost += m.lost > 0 ? uint64_t(m.lost) : 0;
    if (!live || !(m.flags & api::kMediaSeen)) continue;
    ++t.streams;
    t.jitter_sum += m.jitter_us;
    ++t.jitter_n;
    if (m.mos_x100) {
      t.mos_sum += m.mos_x100;
      ++t.mos_n;
    }
  }
}

void CallExporter::tick(TimeNs now) {
  switch (phase_) {
    case Phase::idle:
      if (now < next_sweep_) return;
      // Keep the cadence (no drift), but never queue up sweeps after a stall.
      next_sweep_ = std::max(next_sweep_ + cfg_.live_period, now);
      phase_ = Phase::streams;
      cursor_ = 0;
      [[fallthrough]];
    case Phase::streams: {
      const uint32_t cap = in_.streams().capacity();
      const uint32_t end = std::min(cap, cursor_ + cfg_.stream_budget);
      for (; cursor_ < end; ++cursor_) visit_stream(cursor_, now);
      if (cursor_ < cap) return;
      publish_uplinks();
      phase_ = Phase::calls;
      cursor_ = 0;
      staged_ = staged_total_ = 0;
      for (int t = 0; t < kMaxTrunks; ++t) {
        sums_[t] = TrunkSums{};
        freed_base_packets_[t] = freed_packets_[t];
        freed_base_lost_[t] = freed_lost_[t];
      }
      return;  // the call pass starts on the next tick: one budget per tick
    }
    case Phase::calls: {
      const CallTable& calls = in_.calls();
      const uint32_t cap = calls.capacity();
      const uint32_t end = std::min(cap, cursor_ + cfg_.call_budget);
      for (; cursor_ < end; ++cursor_) {
        const CallRef ref = calls.ref_at(cursor_);
        const Call* c = calls.get(ref);
        if (!c) continue;
        const bool live = call_state_live(c->state);
        if (live) ++staged_total_;
        if (live && staged_ < api::kMaxLiveCallsExported) {
          build(*c, ref, staging_[staged_]);
          add_to_trunk(staging_[staged_++], true);
        } else if (c->trunk < kMaxTrunks) {  // settled (lingering), or live beyond the table: sums only
          api::CallRecordWire r;
          build(*c, ref, r);
          add_to_trunk(r, live);
        }
      }
      if (cursor_ < cap) return;
      for (int t = 0; t < kMaxTrunks; ++t) {
        const TrunkSums& x = sums_[t];
        TrunkMedia& m = trunks_[t];
        m.active_calls = x.calls;
        m.active_streams = x.streams;
        m.rtp_packets = freed_base_packets_[t] + x.packets;
        m.rtp_lost = freed_base_lost_[t] + x.lost;
        m.mos_x100 = x.mos_n ? uint32_t(x.mos_sum / x.mos_n) : 0;
        m.jitter_us = x.jitter_n ? uint32_t(x.jitter_sum / x.jitter_n) : 0;
      }
      if (live_) live_->publish(staging_.get(), staged_, staged_total_, now);
      ++publishes_;
      published_count_ = staged_;
      published_total_ = staged_total_;
      phase_ = Phase::idle;
      return;
    }
  }
}

}  // namespace tg::fastpath
