#include "dataplane/fastpath/uplink_control.hpp"

#include <time.h>

#include <algorithm>
#include <cstring>

namespace tg::fastpath {

// The inspector's activity flags are the blackout detector's stream flags.
static_assert(uint8_t(kActivityOnHold) == uint8_t(failover::kStreamOnHold));
static_assert(uint8_t(kActivityComfortNoise) == uint8_t(failover::kStreamComfortNoise));
static_assert(uint8_t(kActivityEnded) == uint8_t(failover::kStreamEnded));

uint8_t drop_reason_of(Disposition d) {
  using D = Disposition;
  using R = api::DropReason;
  switch (d) {
    case D::frame_truncated:
    case D::ipv4_malformed:
    case D::l4_malformed:
    case D::ipv6_malformed:
    case D::udp6_no_checksum:
    case D::nd_invalid: return uint8_t(R::malformed);
    case D::ipv6_unsupported:
    case D::ipv6_uplink_unconfigured: return uint8_t(R::ipv6_unconfigured);
    case D::no_active_uplink:
    case D::uplink_unconfigured:
    case D::not_our_address:
    case D::to_self_no_tap: return uint8_t(R::no_route);
    case D::nexthop_unresolved:
    case D::lan_host_unresolved: return uint8_t(R::no_neighbor);
    case D::port_down: return uint8_t(R::uplink_down);
    case D::tx_full: return uint8_t(R::tx_full);
    case D::ttl_expired: return uint8_t(R::ttl_expired);
    case D::nat_table_full:
    case D::nat_ports_exhausted: return uint8_t(R::snat_exhausted);
    case D::no_nat_mapping: return uint8_t(R::snat_no_session);
    case D::ip_fragment: return uint8_t(R::fragment);
    case D::not_our_mac:
    case D::vlan_tagged:
    case D::nd_ignored:
    case D::other_ethertype:
    case D::unsupported_proto:
    case D::lan_to_lan:
    case D::martian_source:
    case D::arp_ignored: return uint8_t(R::filtered);
    default: return kNoDropReason;
  }
}

UplinkControl::UplinkControl(const failover::Config& config, Datapath& dp, drivers::Port* const* ports,
                             api::FastPathChannels* channels, TimeNs now, ControlPeriods periods,
                             const CallExportConfig& call_export)
    : engine_(config, *this, now), dp_(dp), channels_(channels), periods_(periods) {
  if (Inspector* in = dp_.inspector()) {
    talk_slots_ = in->calls().capacity();
    talk_ = std::make_unique<LanTalk[]>(talk_slots_);
    while (talk_endpoints_ < 2 * in->streams().capacity()) talk_endpoints_ <<= 1;
    talk_by_endpoint_ = std::make_unique<LanTalk[]>(talk_endpoints_);
  }
  if (Inspector* in = dp_.inspector())
    calls_ = std::make_unique<CallExporter>(*in, channels_ ? &channels_->cdr : nullptr,
                                            channels_ ? &channels_->live_calls : nullptr, now, call_export,
                                            engine_.active_uplink());
  for (uint8_t p = 0; p < kMaxPorts; ++p) ports_[p] = ports[p];
  // An uplink the board lacks never comes up.
  for (uint8_t u = 0; u < config.uplink_count && uplink_port(u) < kMaxPorts; ++u)
    if (!ports_[uplink_port(u)]) engine_.on_link(u, false, now);
  poll_links(now);
  next_link_ = now + periods_.link_poll;
}

void UplinkControl::emit(const api::Event& e) {
  ++events_;
  if (channels_) channels_->events.push(e);
  if (e.kind == api::EventKind::uplink_switch) {
    recent_gap_[recent_n_ % kRecentSwitches] = engine_.last_loop_gap();
    recent_[recent_n_++ % kRecentSwitches] = e;
    if (calls_) calls_->note_switch(e.uplink_switch.switched_ns, e.uplink_switch.uplink_from, e.uplink_switch.uplink_to);
  }
}

void UplinkControl::poll_links(TimeNs now) {
  for (uint8_t p = 0; p < kMaxPorts; ++p) {
    if (!ports_[p]) continue;
    const bool up = ports_[p]->link().up;
    if (link_known_[p] && link_[p] == up) continue;
    link_known_[p] = true;
    link_[p] = up;
    dp_.set_link(p, up);
    if (p != kLanPort) engine_.on_link(uint8_t(p - 1), up, now);
  }
}

void UplinkControl::scan_media(TimeNs now) {
  const Inspector* in = dp_.inspector();
  if (!in) return;
  const uint8_t count = engine_.config().uplink_count;
  uint32_t flowing[kMaxUplinkPorts] = {};
  // First the LAN's own streams: per call, the newest one our side sends.
  // A carrier stream counts towards a blackout only while its call's LAN
  // side still talks (blackout.hpp). Streams without a call (no SIP seen:
  // SIP over TLS, heuristic RTP) go by the LAN endpoint instead: a phone
  // sends from the port it receives on (symmetric RTP, RFC 4961).
  const uint32_t scan = ++talk_scan_;
  auto newer = [&](LanTalk& t, uint32_t key, const StreamActivityView& v) {
    if (t.scan == scan && t.key == key && t.last >= v.last_arrival) return;
    t = LanTalk{v.last_arrival, v.recent_packets, key, scan};
  };
  in->for_each_activity([&](const StreamActivityView& v) {
    if (v.ingress != kIngressLan) return;
    const CallRef call = in->stream_call(v.stream);
    if (call.valid() && call.slot < talk_slots_) newer(talk_[call.slot], call.generation, v);
    if (const RtpStream* s = in->streams().get(v.stream)) {
      const uint64_t h = hash_endpoint(s->src);
      newer(talk_by_endpoint_[h & (talk_endpoints_ - 1)], uint32_t(h >> 32), v);
    }
  });
  engine_.media_scan_begin(now);
  in->for_each_activity([&](const StreamActivityView& v) {
    // Only inbound streams tell whether an uplink delivers; the LAN's own
    // streams (ingress kIngressLan) do not.
    if (v.ingress >= count) return;
    uint8_t flags = v.flags;
    failover::StreamSample sample{v.last_arrival, v.recent_packets, v.ingress, 0};
    // A call still being set up (calling/ringing) may have no media yet,
    // while its stream record, reused from an earlier call on the same
    // ports, still shows that call's last packet.
    const CallRef call = in->stream_call(v.stream);
    if (call.valid()) {
      if (const Call* c = in->calls().get(call); c && c->state < CallState::answered) flags |= failover::kStreamNotAnswered;
      if (call.slot < talk_slots_) {
        const LanTalk& t = talk_[call.slot];
        if (t.scan == scan && t.key == call.generation) {
          sample.last_tx_ns = t.last;
          sample.recent_tx_packets = t.recent;
        }
      }
    } else if (const RtpStream* s = in->streams().get(v.stream)) {
      // Collisions of the index only lose the match (no blackout evidence).
      const uint64_t h = hash_endpoint(s->dst);
      const LanTalk& t = talk_by_endpoint_[h & (talk_endpoints_ - 1)];
      if (t.scan == scan && t.key == uint32_t(h >> 32)) {
        sample.last_tx_ns = t.last;
        sample.recent_tx_packets = t.recent;
      }
    }
    sample.flags = flags;
    engine_.media_scan_add(sample);
    if (v.recent_packets > 0 && !(v.flags & kActivityEnded)) ++flowing[v.ingress];
  });
  engine_.media_scan_end(now);
  for (uint8_t u = 0; u < count && u < kMaxUplinkPorts; ++u) {
    inbound_streams_[u] = flowing[u];
    // One inbound stream per call: the calls a switch away from u affects.
    engine_.set_active_calls(u, flowing[u]);
  }
}

namespace {
// Capture timestamps are wall clock in the pcap: read once per capture
// command, never per packet.
int64_t wall_clock_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}
}  // namespace

void UplinkControl::tick(TimeNs now) {
  // Every pass, before any decision: a long gap since the last pass means
  // the process was descheduled and rx piled up unseen (engine.hpp).
  engine_.loop_pass(now);
  if (now >= next_link_) {
    next_link_ = now + periods_.link_poll;
    poll_links(now);
  }
  if (now >= next_media_) {
    next_media_ = now + periods_.media;
    scan_media(now);
  }
  if (calls_) calls_->tick(now);  // bounded step; publishes about once a second
  if (now < next_engine_) return;
  next_engine_ = now + periods_.engine;

  ProbeReply replies[32];
  const uint16_t base = engine_.config().probe_ident_base;
  for (uint32_t n; (n = dp_.forwarder().take_probe_replies(replies, 32)) > 0;)
    for (uint32_t i = 0; i < n; ++i) engine_.on_probe_reply(uint16_t(base + replies[i].uplink), replies[i].seq, replies[i].recv_ns);

  if (channels_) {
    api::Command cmd;
    for (int i = 0; i < 8 && channels_->commands.pop(cmd); ++i) {
      if (cmd.kind == api::CommandKind::capture_start || cmd.kind == api::CommandKind::capture_stop)
        engine_.report_command_result(cmd, dp_.capture().apply(cmd, now, wall_clock_ns(), engine_.config().uplink_count), now);
      else if (api::is_trunk_table_kind(cmd.kind))
        engine_.report_command_result(cmd, apply_trunk_command(cmd), now);
      else
        engine_.apply(cmd, now);
    }
  }
  dp_.capture().expire(now);

  failover::ProbeRequest req[16];
  const size_t n = engine_.poll(now, req, 16);
  for (size_t i = 0; i < n; ++i) {
    // Probes to IPv6 targets need ND and ICMPv6: not sent, so they count lost.
    if (req[i].dst.family != 4) continue;
    dp_.send_probe(req[i].uplink, req[i].dst.v4_host_order(), req[i].seq, now);
  }
  dp_.send_arp_requests(now);

  if (channels_) {
    channels_->stats.heartbeat(now);
    if (now >= next_stats_) {
      next_stats_ = now + periods_.stats;
      ++publishes_;
      fill_stats(body_, now);
      channels_->stats.publish(body_);
    }
  }
}

// Every table the command ring can carry fits the call table's trunk slots.
static_assert(api::kMaxTrunkTable <= kMaxTrunks);

api::CommandResult UplinkControl::apply_trunk_command(const api::Command& cmd) {
  if (cmd.version != api::kMessageVersion) return api::CommandResult::bad_version;
  bool committed = false;
  const api::CommandResult r = trunk_table_.apply(cmd, committed);
  if (!committed) return r;
  Inspector* in = dp_.inspector();
  if (!in) return api::CommandResult::no_inspection;
  CallTable::TrunkSpec specs[api::kMaxTrunkTable];
  for (uint16_t i = 0; i < trunk_table_.size(); ++i)
    specs[i] = {trunk_table_.table()[i].name, trunk_table_.table()[i].sbc};
  return in->calls().set_trunks(specs, trunk_table_.size()) ? api::CommandResult::ok
                                                            : api::CommandResult::bad_trunk_table;
}

void UplinkControl::fill_stats(api::StatsBody& body, TimeNs now) const {
  std::memset(&body, 0, sizeof body);
  engine_.fill_stats(body);
  body.updated_ns = now;
  body.publish_count = publishes_;
  body.events_dropped = events_dropped();
  fill_trunks(body);
  const Forwarder& f = dp_.forwarder();
  const uint8_t active = engine_.active_uplink();
  for (uint8_t u = 0; u < engine_.config().uplink_count; ++u) {
    const uint8_t p = uplink_port(u);
    if (p >= kMaxPorts) break;
    api::UplinkStatsWire& w = body.uplinks[u];
    w.rx_packets = dp_.rx_packets(p);
    w.active_streams = u < kMaxUplinkPorts ? inbound_streams_[u] : 0;
    if (calls_ && u < api::kMaxUplinks) w.media = calls_->uplink_media(u);
    w.tx_packets = dp_.tx_packets(p);
    for (size_t d = 0; d < kDispositionCount; ++d) {
      const uint8_t r = drop_reason_of(Disposition(d));
      if (r == kNoDropReason) continue;
      w.drops[r] += f.count(p, Disposition(d));
      // LAN packets that failed were on their way to the active uplink.
      if (u == active) w.drops[r] += f.count(kLanPort, Disposition(d));
    }
  }
}

}  // namespace tg::fastpath

namespace tg::fastpath {

// Per trunk: the call table's counters and the exporter's media sums (same
// index as CallRecordWire::trunk). SIP message and RTP byte counts are not
// kept per trunk by the inspection core: left 0.
void UplinkControl::fill_trunks(api::StatsBody& body) const {
  const Inspector* in = dp_.inspector();
  if (!in) return;
  const CallTable& ct = in->calls();
  const uint32_t n = std::min<uint32_t>(uint32_t(ct.trunk_count()), api::kMaxTrunks);
  body.trunk_count = n;
  for (uint32_t t = 0; t < n; ++t) {
    const TrunkInfo& ti = ct.trunk(int(t));
    api::TrunkStatsWire& w = body.trunks[t];
    static_assert(sizeof w.name == sizeof ti.name);
    std::memcpy(w.name, ti.name, sizeof w.name);
    w.name[sizeof w.name - 1] = 0;
    const TrunkCounters& c = ti.counters;
    w.calls_total = c[TrunkCounter::attempts];
    w.calls_answered = c[TrunkCounter::answered];
    w.calls_failed = c[TrunkCounter::busy] + c[TrunkCounter::failed] + c[TrunkCounter::rejected];
    if (calls_ && t < uint32_t(kMaxTrunks)) {
      const TrunkMedia& m = calls_->trunk_media(int(t));
      w.active_calls = m.active_calls;
      w.active_streams = m.active_streams;
      w.rtp_packets = m.rtp_packets;
      w.rtp_lost = m.rtp_lost;
      w.mos_x100 = m.mos_x100;
      w.jitter_us = m.jitter_us;
    }
  }
}

}  // namespace tg::fastpath
