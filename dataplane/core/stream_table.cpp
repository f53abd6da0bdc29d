// RTP stream table: see stream_table.hpp. All memory is taken in the
// constructor; the per-packet paths (on_udp/on_rtp/on_rtcp) only probe the
// preallocated open-addressing indexes and update fixed-size entries.
#include "dataplane/core/stream_table.hpp"

#include <algorithm>
#include <cmath>

namespace tg {

namespace {

const char* const kCounterNames[] = {
#define TG_X(name, text) #name,
    TG_STREAM_TABLE_COUNTERS(TG_X)
#undef TG_X
};
const char* const kCounterTexts[] = {
#define TG_X(name, text) text,
    TG_STREAM_TABLE_COUNTERS(TG_X)
#undef TG_X
};

// Index sized to at least twice the entries (load <= 0.5 keeps linear
// probes short), as a power of two so the slot is hash & mask.
uint32_t index_size(uint32_t entries) {
  uint64_t n = 2;
  while (n < uint64_t(entries) * 2) n <<= 1;
  return uint32_t(n);
}

bool held_direction(MediaDirection d) {
  // The SDP that advertised dst says its owner does not receive.
  return d == MediaDirection::sendonly || d == MediaDirection::inactive;
}

// Heuristic RTP (no SDP): what Wireshark's rtp_udp heuristic and common
// sense accept: unprivileged ports, not SIP's, an RTP payload type that is
// a static audio type or dynamic (72..76 would be RTCP with M set).
bool plausible_rtp(const Endpoint& src, const Endpoint& dst, const RtpHeader& h) {
  if (src.port < 1024 || dst.port < 1024) return false;
  if (src.port == 5060 || dst.port == 5060 || src.port == 5061 || dst.port == 5061) return false;
  if (h.payload_type >= 72 && h.payload_type <= 76) return false;
  if (h.payload_type > 34 && h.payload_type < 96) return false;
  return true;
}

}  // namespace

const char* stream_counter_name(StreamCounter c) {
  size_t i = size_t(c);
  return i < kStreamCounterCount ? kCounterNames[i] : "invalid";
}
const char* stream_counter_text(StreamCounter c) {
  size_t i = size_t(c);
  return i < kStreamCounterCount ? kCounterTexts[i] : "invalid";
}

// ------------------------------------------------------------ media info

void RtpMediaInfo::add(uint8_t pt, Codec codec, uint32_t clock_rate) {
  for (uint8_t i = 0; i < codec_count; ++i) {
    if (codecs[i].payload_type == pt) {
      codecs[i].codec = codec;
      codecs[i].clock_rate = clock_rate;
      return;
    }
  }
  if (codec_count >= kRtpMaxCodecs) return;  // extra formats: clock from static table
  RtpCodecEntry& e = codecs[codec_count++];
  e.payload_type = pt;
  e.codec = codec;
  e.clock_rate = clock_rate;
}

const RtpCodecEntry* RtpMediaInfo::find(uint8_t pt) const {
  for (uint8_t i = 0; i < codec_count; ++i)
    if (codecs[i].payload_type == pt) return &codecs[i];
  return nullptr;
}

RtpMediaInfo RtpMediaInfo::from_sdp(const SdpMedia& m) {
  RtpMediaInfo info;
  for (uint8_t i = 0; i < m.format_count && i < kSdpMaxFormats; ++i) {
    uint8_t pt = m.formats[i];
    const RtpMap* map = m.find_rtpmap(pt);
    std::string_view enc = map ? map->encoding : std::string_view{};
    uint32_t rate = map ? map->clock_rate : 0;
    Codec c = map ? codec_from_encoding(enc) : codec_from_static_pt(pt);
    if (c == Codec::unknown && pt < 96) c = codec_from_static_pt(pt);
    info.add(pt, c, rtp_clock_rate(pt, enc, rate));
  }
  info.direction = m.direction;
  info.rtcp_mux = m.rtcp_mux;
  info.rtcp_port = m.rtcp_port;
  info.ptime_ms = m.ptime_ms;
  return info;
}

bool RtpStream::is_telephone_event(uint8_t pt) const {
  for (uint8_t i = 0; i < codec_count && i < kRtpMaxCodecs; ++i)
    if (codecs[i].payload_type == pt) return codecs[i].codec == Codec::telephone_event;
  // No rtpmap for it (no SDP, or only the other side's): the customary PT.
  return pt == kRtpPtTelephoneEventDefault;
}

uint32_t RtpStream::clock_rate_for(uint8_t pt) const {
  for (uint8_t i = 0; i < codec_count; ++i)
    if (codecs[i].payload_type == pt) return codecs[i].clock_rate;
  // Not negotiated (or learned heuristically): static types only, as
  // Wireshark without SDP.
  return rtp_clock_rate(pt, {}, 0);
}

// ------------------------------------------------------------ table

StreamTable::StreamTable(const StreamTableConfig& cfg) : cfg_(cfg) {
  if (cfg_.capacity == 0) cfg_.capacity = 1;
  if (cfg_.expect_capacity == 0) cfg_.expect_capacity = 1;
  uint32_t ss = index_size(cfg_.capacity), es = index_size(cfg_.expect_capacity);
  stream_mask_ = ss - 1;
  expect_mask_ = es - 1;
  streams_ = std::make_unique<RtpStream[]>(cfg_.capacity);
  used_ = std::make_unique<bool[]>(cfg_.capacity);
  free_list_ = std::make_unique<uint32_t[]>(cfg_.capacity);
  stream_slots_ = std::make_unique<Slot[]>(ss);
  expects_ = std::make_unique<Expect[]>(cfg_.expect_capacity);
  expect_used_ = std::make_unique<bool[]>(cfg_.expect_capacity);
  expect_slots_ = std::make_unique<uint32_t[]>(es);
  expect_free_ = std::make_unique<uint32_t[]>(cfg_.expect_capacity);
  // Free lists hand out low indexes first (pop from the top).
  for (uint32_t i = 0; i < cfg_.capacity; ++i) free_list_[i] = cfg_.capacity - 1 - i;
  free_top_ = cfg_.capacity;
  for (uint32_t i = 0; i < cfg_.expect_capacity; ++i) expect_free_[i] = cfg_.expect_capacity - 1 - i;
  expect_free_top_ = cfg_.expect_capacity;
  for (uint32_t i = 0; i < es; ++i) expect_slots_[i] = kNoStream;
}

uint64_t StreamTable::stream_hash_(const Endpoint& src, const Endpoint& dst, uint32_t ssrc) const {
  return mix64(hash_endpoint(src, 0x9e3779b97f4a7c15ULL) ^ hash_endpoint(dst) ^ (uint64_t(ssrc) << 17));
}

uint32_t StreamTable::find_stream_(const Endpoint& src, const Endpoint& dst, uint32_t ssrc) const {
  uint64_t h = stream_hash_(src, dst, ssrc);
  uint32_t tag = uint32_t(h >> 32);
  for (uint32_t i = uint32_t(h) & stream_mask_;; i = (i + 1) & stream_mask_) {
    const Slot& sl = stream_slots_[i];
    if (sl.index == kNoStream) return kNoStream;
    if (sl.tag == tag) {
      const RtpStream& s = streams_[sl.index];
      if (s.ssrc == ssrc && s.src == src && s.dst == dst) return sl.index;
    }
  }
}

uint32_t StreamTable::create_stream_(const Endpoint& src, const Endpoint& dst, uint32_t ssrc,
                                     const Expect* e, TimeNs now) {
  if (free_top_ == 0) return kNoStream;
  uint32_t idx = free_list_[--free_top_];
  RtpStream& s = streams_[idx];
  s = RtpStream{};
  s.src = src;
  s.dst = dst;
  s.ssrc = ssrc;
  s.serial = next_serial_++;
  s.first_seen = s.last_seen = now;
  if (e) {
    s.call_slot = e->call_slot;
    s.direction = e->media.direction;
    s.ptime_ms = e->media.ptime_ms;
    s.codec_count = e->media.codec_count;
    for (uint8_t i = 0; i < e->media.codec_count; ++i) s.codecs[i] = e->media.codecs[i];
    if (held_direction(e->media.direction)) s.flags |= kStreamHeld;
  } else {
    s.flags |= kStreamHeuristic;
  }
  used_[idx] = true;
  ++stream_count_;
  uint64_t h = stream_hash_(src, dst, ssrc);
  uint32_t i = uint32_t(h) & stream_mask_;
  while (stream_slots_[i].index != kNoStream) i = (i + 1) & stream_mask_;
  stream_slots_[i] = Slot{uint32_t(h >> 32), idx};
  count_(StreamCounter::streams_created);
  return idx;
}

void StreamTable::remove_stream_(uint32_t idx) {
  const RtpStream& s = streams_[idx];
  uint64_t h = stream_hash_(s.src, s.dst, s.ssrc);
  uint32_t i = uint32_t(h) & stream_mask_;
  while (stream_slots_[i].index != idx) i = (i + 1) & stream_mask_;
  // Backward-shift deletion: pull later entries of the probe run into the
  // hole when their home slot allows, so no tombstones are needed.
  for (uint32_t j = i;;) {
    j = (j + 1) & stream_mask_;
    Slot& sj = stream_slots_[j];
    if (sj.index == kNoStream) break;
    const RtpStream& o = streams_[sj.index];
    uint32_t home = uint32_t(stream_hash_(o.src, o.dst, o.ssrc)) & stream_mask_;
    // Move sj to i unless its home lies cyclically in (i, j].
    bool home_in_range = (i <= j) ? (home > i && home <= j) : (home > i || home <= j);
    if (!home_in_range) {
      stream_slots_[i] = sj;
      i = j;
    }
  }
  stream_slots_[i] = Slot{};
  used_[idx] = false;
  free_list_[free_top_++] = idx;
  --stream_count_;
}

uint64_t StreamTable::expect_hash_(const Endpoint& dst, const Endpoint& peer) const {
  const uint64_t h = hash_endpoint(dst);
  return peer == Endpoint{} ? h : mix64(h ^ hash_endpoint(peer, 0x70656572ULL));
}

uint32_t StreamTable::find_expect_(const Endpoint& dst, const Endpoint& peer) const {
  uint64_t h = expect_hash_(dst, peer);
  for (uint32_t i = uint32_t(h) & expect_mask_;; i = (i + 1) & expect_mask_) {
    uint32_t idx = expect_slots_[i];
    if (idx == kNoStream) return kNoStream;
    if (expects_[idx].dst == dst && expects_[idx].peer == peer) return idx;
  }
}

uint32_t StreamTable::match_expect_(const Endpoint& src, const Endpoint& dst) const {
  uint32_t ei = find_expect_(dst, src);
  if (ei == kNoStream) ei = find_expect_(src, dst);
  if (ei == kNoStream) ei = find_expect_(dst);
  if (ei == kNoStream) ei = find_expect_(src);
  return ei;
}

uint32_t StreamTable::expected_call(const Endpoint& dst, const Endpoint& peer) const {
  uint32_t ei = match_expect_(peer, dst);
  return ei == kNoStream ? kNoCallSlot : expects_[ei].call_slot;
}

bool StreamTable::put_expect_(const Expect& e) {
  uint32_t existing = find_expect_(e.dst, e.peer);
  if (existing != kNoStream) {
    Expect& x = expects_[existing];
    uint32_t keep[2] = {x.streams[0], x.streams[1]};
    x = e;
    x.streams[0] = keep[0];
    x.streams[1] = keep[1];
    return true;
  }
  if (expect_free_top_ == 0) return false;
  uint32_t idx = expect_free_[--expect_free_top_];
  expects_[idx] = e;
  expect_used_[idx] = true;
  uint32_t i = uint32_t(expect_hash_(e.dst, e.peer)) & expect_mask_;
  while (expect_slots_[i] != kNoStream) i = (i + 1) & expect_mask_;
  expect_slots_[i] = idx;
  ++expect_count_;
  return true;
}

void StreamTable::remove_expect_(uint32_t idx) {
  uint32_t i = uint32_t(expect_hash_(expects_[idx].dst, expects_[idx].peer)) & expect_mask_;
  while (expect_slots_[i] != idx) i = (i + 1) & expect_mask_;
  for (uint32_t j = i;;) {
    j = (j + 1) & expect_mask_;
    uint32_t xj = expect_slots_[j];
    if (xj == kNoStream) break;
    uint32_t home = uint32_t(expect_hash_(expects_[xj].dst, expects_[xj].peer)) & expect_mask_;
    bool home_in_range = (i <= j) ? (home > i && home <= j) : (home > i || home <= j);
    if (!home_in_range) {
      expect_slots_[i] = xj;
      i = j;
    }
  }
  expect_slots_[i] = kNoStream;
  expect_used_[idx] = false;
  expect_free_[expect_free_top_++] = idx;
  --expect_count_;
}

bool StreamTable::expect(const Endpoint& dst, uint32_t call_slot, const RtpMediaInfo& media, TimeNs now,
                         const Endpoint& peer) {
  Expect e;
  e.dst = dst;
  e.call_slot = call_slot;
  e.last_used = now;
  e.media = media;
  // Need room for the RTP entry, without rtcp-mux its RTCP entry, and with
  // a peer the pair's entry.
  bool have_rtp = find_expect_(dst) != kNoStream;
  Endpoint rtcp = dst;
  rtcp.port = media.rtcp_port ? media.rtcp_port : uint16_t(dst.port + 1);
  bool want_rtcp = !media.rtcp_mux && rtcp.port != dst.port;
  bool have_rtcp = want_rtcp && find_expect_(rtcp) != kNoStream;
  bool want_pair = !(peer == Endpoint{});
  bool have_pair = want_pair && find_expect_(dst, peer) != kNoStream;
  uint32_t needed = (have_rtp ? 0 : 1) + (want_rtcp && !have_rtcp ? 1 : 0) + (want_pair && !have_pair ? 1 : 0);
  if (needed > expect_free_top_) {
    count_(StreamCounter::expect_full);
    return false;
  }
  put_expect_(e);
  if (want_rtcp) {
    Expect r = e;
    r.dst = rtcp;
    r.rtcp_port = true;
    r.rtp_port = dst.port;
    r.streams[0] = r.streams[1] = kNoStream;
    put_expect_(r);
  }
  if (want_pair) {
    Expect p = e;
    p.peer = peer;
    p.streams[0] = p.streams[1] = kNoStream;
    put_expect_(p);
    update_streams_(find_expect_(dst, peer), Endpoint{}, call_slot, media);
  }
  // A re-INVITE may put the streams to dst on hold or take them off it.
  // dst alone may be shared by several calls (a media server): with a peer,
  // only the streams from that peer are this call's.
  update_streams_(find_expect_(dst), peer, call_slot, media);
  count_(StreamCounter::expect_added);
  return true;
}

bool StreamTable::pair(const Endpoint& dst, const Endpoint& peer, uint32_t call_slot, TimeNs now) {
  uint32_t ei = find_expect_(dst);
  if (ei == kNoStream || peer == Endpoint{}) return false;
  // Copied: expect() may move entries around.
  const RtpMediaInfo media = expects_[ei].media;
  return expect(dst, call_slot, media, now, peer);
}

void StreamTable::update_streams_(uint32_t ei, const Endpoint& only_from, uint32_t call_slot, const RtpMediaInfo& media) {
  if (ei == kNoStream) return;
  const Endpoint& dst = expects_[ei].dst;
  for (uint32_t si : expects_[ei].streams) {
    if (si == kNoStream || !used_[si] || !(streams_[si].dst == dst)) continue;
    RtpStream& s = streams_[si];
    if (!(only_from == Endpoint{}) && !(s.src == only_from)) continue;
    s.direction = media.direction;
    // Another call's SDP names the same ports (records of an ended call
    // reused): until its next packet the stream is the old call's media,
    // not the new call's (the inspector re-links it then).
    if (s.call_slot != call_slot) s.flags |= kStreamRebound;
    s.call_slot = call_slot;
    if (held_direction(media.direction))
      s.flags |= kStreamHeld;
    else
      s.flags &= uint8_t(~kStreamHeld);
  }
}

void StreamTable::unexpect(const Endpoint& dst) {
  uint32_t idx = find_expect_(dst);
  if (idx == kNoStream) return;
  const Expect& e = expects_[idx];
  Endpoint rtcp = dst;
  rtcp.port = e.media.rtcp_port ? e.media.rtcp_port : uint16_t(dst.port + 1);
  bool had_rtcp = !e.rtcp_port && !e.media.rtcp_mux;
  remove_expect_(idx);
  if (had_rtcp) {
    uint32_t r = find_expect_(rtcp);
    if (r != kNoStream && expects_[r].rtcp_port && expects_[r].rtp_port == dst.port) remove_expect_(r);
  }
}

bool StreamTable::expected(const Endpoint& dst) const { return find_expect_(dst) != kNoStream; }

UdpMediaResult StreamTable::on_udp(const Endpoint& src, const Endpoint& dst, Bytes payload, TimeNs now) noexcept {
  UdpMediaResult res;
  uint32_t ei = match_expect_(src, dst);
  bool rtcp_port = ei != kNoStream && expects_[ei].rtcp_port;
  if (ei == kNoStream && !cfg_.heuristic) {
    count_(StreamCounter::not_rtp);
    return res;
  }
  if (rtcp_port || looks_like_rtcp(payload)) {
    RtcpPacket p;
    if (parse_rtcp(payload, p) != RtpStatus::ok) {
      if (ei != kNoStream) {
        count_(StreamCounter::rtcp_malformed);
        res.kind = UdpMediaKind::malformed;
      } else {
        count_(StreamCounter::not_rtp);
      }
      return res;
    }
    on_rtcp(src, dst, p, now);
    res.kind = UdpMediaKind::rtcp;
    if (ei != kNoStream) {
      res.call_slot = expects_[ei].call_slot;
      expects_[ei].last_used = now;  // RTCP keeps its own entry alive
    }
    return res;
  }
  RtpHeader h;
  if (parse_rtp(payload, h) != RtpStatus::ok) {
    if (ei != kNoStream) {
      count_(StreamCounter::rtp_malformed);
      res.kind = UdpMediaKind::malformed;
    } else {
      count_(StreamCounter::not_rtp);
    }
    return res;
  }
  return on_rtp(src, dst, h, now);
}

UdpMediaResult StreamTable::on_rtp(const Endpoint& src, const Endpoint& dst, const RtpHeader& h, TimeNs now) noexcept {
  UdpMediaResult res;
  uint32_t idx = find_stream_(src, dst, h.ssrc);
  if (idx == kNoStream) {
    uint32_t ei = match_expect_(src, dst);  // the pair, else dst, else symmetric RTP from src
    Expect* e = ei == kNoStream ? nullptr : &expects_[ei];
    if (e && e->rtcp_port) e = nullptr;  // RTP to an RTCP port: not from SDP
    if (!e) {
      if (!cfg_.heuristic || !plausible_rtp(src, dst, h)) {
        count_(StreamCounter::not_rtp);
        return res;
      }
    }
    idx = create_stream_(src, dst, h.ssrc, e, now);
    if (idx == kNoStream) {
      count_(StreamCounter::table_full);
      res.kind = UdpMediaKind::dropped;
      return res;
    }
    if (!e) count_(StreamCounter::streams_heuristic);
    if (e) {
      // Same 5-tuple, another SSRC: the sender restarted (or a new leg).
      for (uint32_t si : e->streams) {
        if (si != kNoStream && si != idx && used_[si] && streams_[si].src == src &&
            streams_[si].dst == dst && streams_[si].ssrc != h.ssrc) {
          count_(StreamCounter::streams_ssrc_change);
          break;
        }
      }
      e->streams[1] = e->streams[0];
      e->streams[0] = idx;
      e->last_used = now;
    }
  }
  RtpStream& s = streams_[idx];
  if (s.stats.packets() == 0) s.first_payload_type = h.payload_type;
  s.payload_type = h.payload_type;
  s.last_seen = now;
  if (s.codec == Codec::unknown) {
    const RtpCodecEntry* c = nullptr;
    for (uint8_t i = 0; i < s.codec_count; ++i)
      if (s.codecs[i].payload_type == h.payload_type) c = &s.codecs[i];
    Codec k = c ? c->codec : (h.payload_type < 96 ? codec_from_static_pt(h.payload_type) : Codec::unknown);
    if (codec_is_voice(k)) s.codec = k;
  }
  if (s.is_telephone_event(h.payload_type)) {
    if (s.dtmf_packets == 0 || h.timestamp != s.dtmf_last_ts) {
      if (s.dtmf_events < UINT16_MAX) ++s.dtmf_events;
      s.dtmf_last_ts = h.timestamp;
    }
    ++s.dtmf_packets;
    s.dtmf_payload_type = h.payload_type;
  }
  if (h.payload_type == kRtpPtComfortNoise || h.payload_type == kRtpPtComfortNoiseOld)
    s.flags |= kStreamComfortNoise;
  else
    s.flags &= uint8_t(~kStreamComfortNoise);
  uint16_t flags = s.stats.on_packet(h, s.clock_rate_for(h.payload_type), now);
  if (flags & (kRtpFlagWindowShort | kRtpFlagWindowLong)) rate_windows_(s, flags);
  count_(StreamCounter::rtp_packets);
  res.kind = UdpMediaKind::rtp;
  res.stream = idx;
  res.flags = flags;
  res.call_slot = s.call_slot;
  return res;
}

RtpStream* StreamTable::stream_for_rtcp_(const Endpoint& rtp_src, const Endpoint& rtp_dst, uint32_t ssrc) {
  uint32_t i = find_stream_(rtp_src, rtp_dst, ssrc);
  return i == kNoStream ? nullptr : &streams_[i];
}

void StreamTable::on_rtcp(const Endpoint& src, const Endpoint& dst, const RtcpPacket& p, TimeNs now) noexcept {
  count_(StreamCounter::rtcp_packets);
  // The RTP endpoints that go with the RTCP ones: the SDP's a=rtcp or
  // port+1 pairing when an expectation knows it, the same port for an
  // rtcp-mux expectation, else RFC 3550 11's convention (RTP on the port
  // below) and then rtcp-mux.
  Endpoint src_c[2], dst_c[2];
  int nsrc = 0, ndst = 0;
  auto candidates = [&](const Endpoint& rtcp, Endpoint* out, int& n) {
    uint32_t ei = find_expect_(rtcp);
    out[n] = rtcp;
    if (ei != kNoStream) {
      if (expects_[ei].rtcp_port) out[n].port = expects_[ei].rtp_port;
      ++n;
      return;
    }
    out[n++].port = uint16_t(rtcp.port - 1);
    out[n++] = rtcp;
  };
  candidates(dst, dst_c, ndst);
  candidates(src, src_c, nsrc);
  auto find_dir = [&](bool forward, uint32_t ssrc) -> RtpStream* {
    for (int a = 0; a < nsrc; ++a)
      for (int b = 0; b < ndst; ++b) {
        RtpStream* s = forward ? stream_for_rtcp_(src_c[a], dst_c[b], ssrc)
                               : stream_for_rtcp_(dst_c[b], src_c[a], ssrc);
        if (s) return s;
      }
    return nullptr;
  };
  bool matched = false;

  // SR: the sender's own stream (sender -> receiver).
  if (p.is_sr || p.has_bye) {
    if (RtpStream* s = find_dir(true, p.sender_ssrc)) {
      matched = true;
      s->flags |= kStreamRtcpSeen;
      if (p.has_bye) s->flags |= kStreamBye;
      if (p.is_sr) {
        RtpStreamRtcp& r = s->rtcp;
        r.sr_lsr[r.sr_next] = ntp_middle32(p.ntp_timestamp);
        r.sr_seen[r.sr_next] = now;
        r.sr_next = uint8_t((r.sr_next + 1) % RtpStreamRtcp::kSrHistory);
        ++r.sr_count;
      }
    }
  }
  // Report blocks: the receiver (sender of this RTCP) reports on streams
  // flowing towards it (dst side -> src side).
  for (uint8_t b = 0; b < p.block_count; ++b) {
    const RtcpReportBlock& rb = p.blocks[b];
    RtpStream* s = find_dir(false, rb.ssrc);
    if (!s) continue;
    matched = true;
    RtpStreamRtcp& r = s->rtcp;
    s->flags |= kStreamRtcpSeen;
    r.last_rr = rb;
    r.last_rr_at = now;
    r.peer_ssrc = p.sender_ssrc;
    r.have_peer = true;
    ++r.rr_count;
    // RFC 3550 6.4.1: RTT = A - LSR - DLSR at the SR's sender. We see the SR
    // pass and the RR come back, so we get the part of the loop between us
    // and the receiver: RR seen - SR seen - DLSR.
    if (rb.lsr != 0) {
      for (int k = 0; k < RtpStreamRtcp::kSrHistory; ++k) {
        if (r.sr_lsr[k] != rb.lsr || r.sr_seen[k] == 0 || r.sr_seen[k] > now) continue;
        double seg_ms = double(now - r.sr_seen[k]) / 1e6 - double(rb.dlsr) * 1000.0 / 65536.0;
        if (seg_ms >= 0) {
          r.rtt_segment_ms = float(seg_ms);
          count_(StreamCounter::rtt_samples);
        }
        break;
      }
    }
  }
  if (p.xr_voip.present) {
    if (RtpStream* s = find_dir(false, p.xr_voip.ssrc)) {
      matched = true;
      s->rtcp.xr_voip = p.xr_voip;
    }
  }
  if (!matched) count_(StreamCounter::rtcp_unmatched);
}

double StreamTable::round_trip_ms(const RtpStream& s) const {
  if (s.rtcp.rtt_segment_ms < 0 || !s.rtcp.have_peer) return -1;
  uint32_t back = find_stream_(s.dst, s.src, s.rtcp.peer_ssrc);
  if (back == kNoStream) return -1;
  const RtpStream& b = streams_[back];
  if (b.rtcp.rtt_segment_ms < 0) return -1;
  return double(s.rtcp.rtt_segment_ms) + double(b.rtcp.rtt_segment_ms);
}

EModelResult StreamTable::quality(const RtpStream& s) const {
  EModelInput in;
  in.codec = s.codec;
  uint32_t expected = s.stats.expected();
  int32_t lost = s.stats.lost();
  in.ppl_pct = (expected && lost > 0) ? 100.0 * double(lost) / double(expected) : 0.0;
  in.burst_r = s.stats.runs().burst_r();
  double rtt = round_trip_ms(s);
  in.one_way_delay_ms = rtt > 0 ? rtt / 2 : 0;
  in.g711_plc = cfg_.g711_plc;
  return emodel_rate_default(in);
}

void StreamTable::rate_windows_(RtpStream& s, uint16_t flags) {
  double rtt = round_trip_ms(s);
  auto rate = [&](const RtpWindow& w) -> float {
    if (!w.valid) return -1;
    EModelInput in;
    in.codec = s.codec;
    in.ppl_pct = w.loss_pct();
    in.burst_r = w.runs.burst_r();
    in.one_way_delay_ms = rtt > 0 ? rtt / 2 : 0;
    in.g711_plc = cfg_.g711_plc;
    return float(emodel_rate_default(in).r);
  };
  if (flags & kRtpFlagWindowShort) {
    s.r_short = rate(s.stats.window_short());
    if (s.r_short >= 0 && (s.r_short_min < 0 || s.r_short < s.r_short_min)) s.r_short_min = s.r_short;
  }
  if (flags & kRtpFlagWindowLong) {
    s.r_long = rate(s.stats.window_long());
    if (s.r_long >= 0 && (s.r_long_min < 0 || s.r_long < s.r_long_min)) s.r_long_min = s.r_long;
  }
}

void StreamTable::advance(uint32_t stream, TimeNs now) noexcept {
  if (stream >= cfg_.capacity || !used_[stream]) return;
  RtpStream& s = streams_[stream];
  uint16_t flags = s.stats.advance(now);
  if (flags) rate_windows_(s, flags);
}

const RtpStream* StreamTable::find(const Endpoint& src, const Endpoint& dst, uint32_t ssrc) const {
  uint32_t i = find_stream_(src, dst, ssrc);
  return i == kNoStream ? nullptr : &streams_[i];
}

const RtpStream* StreamTable::get(uint32_t stream) const {
  return stream < cfg_.capacity && used_[stream] ? &streams_[stream] : nullptr;
}

StreamMediaState StreamTable::media_state(uint32_t stream, TimeNs) const {
  const RtpStream* s = get(stream);
  if (!s || (s->flags & kStreamBye)) return StreamMediaState::ended;
  if (s->flags & kStreamHeld) return StreamMediaState::on_hold;
  if (s->flags & kStreamComfortNoise) return StreamMediaState::comfort_noise;
  return StreamMediaState::flowing;
}

size_t StreamTable::expire(TimeNs now, size_t budget) noexcept {
  size_t removed = 0;
  if (cfg_.stream_idle) {
    size_t n = std::min<size_t>(budget, cfg_.capacity);
    for (size_t k = 0; k < n; ++k) {
      uint32_t i = uint32_t(expire_cursor_);
      expire_cursor_ = (expire_cursor_ + 1) % cfg_.capacity;
      if (!used_[i]) continue;
      const RtpStream& s = streams_[i];
      if (now > s.last_seen && now - s.last_seen > cfg_.stream_idle) {
        if (retire_fn_) retire_fn_(s, retire_ctx_);
        remove_stream_(i);
        count_(StreamCounter::streams_expired);
        ++removed;
      }
    }
  }
  if (cfg_.expect_idle) {
    size_t n = std::min<size_t>(budget, cfg_.expect_capacity);
    for (size_t k = 0; k < n; ++k) {
      uint32_t i = uint32_t(expect_cursor_);
      expect_cursor_ = (expect_cursor_ + 1) % cfg_.expect_capacity;
      if (!expect_used_[i]) continue;
      Expect& e = expects_[i];
      // Media still flowing to dst keeps the expectation alive (its
      // last_used only moves when a stream is created).
      for (uint32_t si : e.streams)
        if (si != kNoStream && used_[si] && streams_[si].dst == e.dst && streams_[si].last_seen > e.last_used)
          e.last_used = streams_[si].last_seen;
      if (now > e.last_used && now - e.last_used > cfg_.expect_idle) {
        remove_expect_(i);
        count_(StreamCounter::expect_expired);
      }
    }
  }
  return removed;
}

}  // namespace tg
