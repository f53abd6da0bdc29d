#include "dataplane/core/inspector.hpp"

#include <string_view>

namespace tg {

namespace {

constexpr const char* kOutcomeNames[] = {
#define TG_X(name, text) #name,
    TG_INSPECT_OUTCOMES(TG_X)
#undef TG_X
};
constexpr const char* kOutcomeTexts[] = {
#define TG_X(name, text) text,
    TG_INSPECT_OUTCOMES(TG_X)
#undef TG_X
};

char lower(char c) { return c >= 'A' && c <= 'Z' ? char(c + 32) : c; }

bool istarts_with(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (lower(s[i]) != lower(prefix[i])) return false;
  return true;
}

// RFC 5626 keepalives (CRLF ping/pong) and empty datagrams on the SIP port.
bool is_keepalive(std::string_view s) {
  for (char c : s)
    if (c != '\r' && c != '\n') return false;
  return true;
}

// A TLS record header (handshake, alert, application data, change cipher).
bool looks_like_tls(Bytes b) { return b.size() >= 3 && b[0] >= 0x14 && b[0] <= 0x17 && b[1] == 0x03; }

// Case-insensitive search, no allocation.
size_t ifind(std::string_view s, std::string_view what, size_t from = 0) {
  for (size_t i = from; i + what.size() <= s.size(); ++i)
    if (istarts_with(s.substr(i), what)) return i;
  return std::string_view::npos;
}

// The SDP in a SIP body: the body itself (application/sdp, or untyped and
// starting v=0), or the application/sdp part of a multipart body (SIP-I/T
// carriers send SDP + ISUP as multipart/mixed, RFC 3204). Empty if none.
std::string_view sdp_of(const SipMessage& m) {
  if (m.body.empty()) return {};
  if (m.content_type.empty()) return m.body.starts_with("v=0") ? m.body : std::string_view();
  if (istarts_with(m.content_type, "application/sdp")) return m.body;
  if (!istarts_with(m.content_type, "multipart/")) return {};
  // The part's headers name the type; its content starts after the blank
  // line and ends at the next boundary line ("\r\n--").
  size_t type = ifind(m.body, "content-type:");
  while (type != std::string_view::npos) {
    size_t line_end = m.body.find('\n', type);
    if (line_end == std::string_view::npos) return {};
    if (ifind(m.body.substr(type, line_end - type), "application/sdp") != std::string_view::npos) {
      size_t start = m.body.find("\r\n\r\n", type);
      if (start == std::string_view::npos) return {};
      start += 4;
      size_t end = m.body.find("\r\n--", start);
      return m.body.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start + 2);
    }
    type = ifind(m.body, "content-type:", line_end);
  }
  return {};
}

// RTP-carrying m= lines: RTP/AVP, RTP/SAVP, RTP/AVPF, UDP/TLS/RTP/SAVPF...
bool is_rtp_proto(std::string_view proto) {
  for (size_t i = 0; i + 3 <= proto.size(); ++i)
    if (istarts_with(proto.substr(i), "RTP")) return true;
  return false;
}

bool unspecified(const IpAddr& a) {
  for (uint8_t b : a.bytes)
    if (b) return false;
  return true;
}

uint32_t ms_of(TimeNs t) { return uint32_t(t / kNsPerMs); }

}  // namespace

const char* inspect_outcome_name(InspectOutcome o) {
  return size_t(o) < kInspectOutcomeCount ? kOutcomeNames[size_t(o)] : "?";
}
const char* inspect_outcome_text(InspectOutcome o) {
  return size_t(o) < kInspectOutcomeCount ? kOutcomeTexts[size_t(o)] : "?";
}

Inspector::Inspector(const InspectorConfig& cfg)
    : cfg_(cfg),
      streams_(cfg.streams),
      calls_(cfg.calls, this),
      activity_(new Activity[cfg.streams.capacity]),
      call_generation_(new uint32_t[cfg.calls.capacity]()) {}

uint64_t Inspector::malformed() const {
  uint64_t n = 0;
  for (size_t i = 0; i < kInspectOutcomeCount; ++i)
    if (inspect_outcome_malformed(InspectOutcome(i))) n += outcomes_[i];
  return n;
}

InspectOutcome Inspector::inspect(Bytes frame, LinkType link, TimeNs now, uint8_t ingress) {
  ++frames_;
  if (first_seen_ == 0) first_seen_ = now;
  last_seen_ = now;
  now_ = now;
  InspectOutcome o;
  PacketStatus ps = parse_packet(frame, link, packet_);
  if (ps != PacketStatus::ok) {
    ++packet_status_[size_t(ps)];
    o = packet_status_malformed(ps)       ? InspectOutcome::malformed_packet
        : ps == PacketStatus::ip_fragment ? InspectOutcome::fragment
                                          : InspectOutcome::other;
  } else if (packet_.ip_proto == kIpProtoUdp) {
    o = udp_(packet_, now, ingress);
  } else {
    o = tcp_(packet_, now);
  }
  ++outcomes_[size_t(o)];
  return o;
}

InspectOutcome Inspector::udp_(const PacketInfo& p, TimeNs now, uint8_t ingress) {
  std::string_view text = as_text(p.payload);
  size_t consumed = 0;
  if (is_sip_port_(p.src_port) || is_sip_port_(p.dst_port)) {
    if (is_keepalive(text)) return InspectOutcome::other;
    return on_sip_(text, p, now, consumed);
  }
  // Media first: it is most of the traffic and one lookup decides it.
  UdpMediaResult r = streams_.on_udp(p.src(), p.dst(), p.payload, now);
  switch (r.kind) {
    case UdpMediaKind::rtp:
      note_rtp_(r.stream, r.flags, r.call_slot, now, ingress);
      return InspectOutcome::rtp;
    case UdpMediaKind::rtcp: return InspectOutcome::rtcp;
    case UdpMediaKind::malformed: return InspectOutcome::malformed_rtp;
    case UdpMediaKind::dropped: return InspectOutcome::rtp_untracked;
    case UdpMediaKind::none: break;
  }
  if (looks_like_sip(text)) return on_sip_(text, p, now, consumed);
  return InspectOutcome::other;
}

InspectOutcome Inspector::tcp_(const PacketInfo& p, TimeNs now) {
  std::string_view text = as_text(p.payload);
  bool sip_port = is_sip_port_(p.src_port) || is_sip_port_(p.dst_port);
  if (text.empty() || (sip_port && is_keepalive(text))) return InspectOutcome::other;
  if ((p.src_port == cfg_.sip_tls_port || p.dst_port == cfg_.sip_tls_port) && looks_like_tls(p.payload))
    return InspectOutcome::sip_tls;
  if (!looks_like_sip(text)) {
    // On the SIP port this is the rest of a message begun in an earlier
    // segment; elsewhere it is just TCP.
    return sip_port ? InspectOutcome::sip_partial : InspectOutcome::other;
  }
  // A segment may carry several messages back to back (RFC 3261 18.3).
  InspectOutcome first = InspectOutcome::other;
  bool tracked = false;
  while (!text.empty() && looks_like_sip(text)) {
    size_t consumed = 0;
    InspectOutcome o = on_sip_(text, p, now, consumed);
    if (first == InspectOutcome::other) first = o;
    if (o == InspectOutcome::sip || o == InspectOutcome::malformed_sdp) tracked = true;
    if (consumed == 0 || consumed > text.size()) break;
    text.remove_prefix(consumed);
  }
  return tracked ? InspectOutcome::sip : first;
}

InspectOutcome Inspector::on_sip_(std::string_view text, const PacketInfo& p, TimeNs now, size_t& consumed) {
  SipStatus st = parse_sip(text, sip_msg_);
  consumed = 0;
  if (st != SipStatus::ok) {
    ++sip_status_[size_t(st)];
    // Over TCP a message cut by the segment end is not malformed, only not
    // reassembled; over UDP the datagram is all there is.
    bool cut = st == SipStatus::incomplete || st == SipStatus::body_truncated;
    return cut && p.ip_proto == kIpProtoTcp ? InspectOutcome::sip_partial : InspectOutcome::malformed_sip;
  }
  ++sip_status_[size_t(SipStatus::ok)];
  ++sip_messages_;
  consumed = sip_msg_.message_length;
  const SdpSession* sdp = nullptr;
  bool bad_sdp = false;
  if (std::string_view body = sdp_of(sip_msg_); !body.empty()) {
    SdpStatus ss = parse_sdp(body, sdp_);
    ++sdp_status_[size_t(ss)];
    if (ss == SdpStatus::ok) sdp = &sdp_;
    else bad_sdp = true;
  }
  // The call table calls on_media() back for the SDP's media lines.
  calls_.on_sip(sip_msg_, sdp, p.src(), p.dst(), now);
  return bad_sdp ? InspectOutcome::malformed_sdp : InspectOutcome::sip;
}

void Inspector::on_media(const MediaAnnouncement& a) {
  if (!a.media || !a.call.valid() || a.call.slot >= cfg_.calls.capacity) return;
  const SdpMedia& m = *a.media;
  // Port 0 is a declined stream; c=0.0.0.0 (RFC 2543 hold) names no
  // address to key on, the hold shows through the direction instead.
  if (a.rtp.port == 0 || a.rtp.addr.empty() || unspecified(a.rtp.addr) || !is_rtp_proto(m.proto)) return;
  RtpMediaInfo info = RtpMediaInfo::from_sdp(m);
  info.direction = a.direction;  // after offer/answer and session-level defaults
  if (a.rtcp.port != 0 && a.rtcp.port != a.rtp.port + 1 && !info.rtcp_mux) info.rtcp_port = a.rtcp.port;
  // The other side's address for this media line, when its SDP is known
  // (the call keeps the first audio line of each side): the stream is keyed
  // by the pair, so calls answered from one shared media address (media
  // servers, conference bridges) keep their streams apart.
  Endpoint peer{};
  if (const Call* c = calls_.get(a.call)) {
    const bool caller = a.owner == Party::caller;
    if ((caller ? c->caller_media : c->callee_media) == a.rtp) peer = caller ? c->callee_media : c->caller_media;
  }
  if (peer.port == 0 || unspecified(peer.addr)) peer = Endpoint{};
  streams_.expect(a.rtp, a.call.slot, info, now_, peer);
  if (!(peer == Endpoint{})) streams_.pair(peer, a.rtp, a.call.slot, now_);
  call_generation_[a.call.slot] = a.call.generation;
}

void Inspector::on_call_removed(const Call& c) {
  if (call_removed_fn_) call_removed_fn_(c, calls_.ref_of(c), call_removed_ctx_);
}

void Inspector::note_rtp_(uint32_t stream, uint16_t flags, uint32_t call_slot, TimeNs now, uint8_t ingress) {
  if (stream >= cfg_.streams.capacity) return;
  Activity& a = activity_[stream];
  uint32_t ms = ms_of(now);
  bool link_call = call_slot < cfg_.calls.capacity;
  if (flags & kRtpFlagFirst) {  // new stream (slots are reused)
    a = Activity{};
    a.bucket_start_ms = ms;
    if (link_call) {
      a.call_generation = call_generation_[call_slot];
      const RtpStream* s = streams_.get(stream);
      if (s) calls_.add_ssrc(CallRef{call_slot, a.call_generation}, s->ssrc);
    }
  }
  if (link_call && !(flags & kRtpFlagFirst)) {
    RtpStream* s = streams_.get_mutable(stream);
    if (s && (s->flags & kStreamRebound)) {  // first packet since a new call's SDP took it over
      s->flags &= uint8_t(~kStreamRebound);
      a.call_generation = call_generation_[call_slot];
      calls_.add_ssrc(CallRef{call_slot, a.call_generation}, s->ssrc);
    }
  }
  uint32_t age = ms - a.bucket_start_ms;
  if (age >= 1000) {
    a.previous = age < 2000 ? a.current : 0;
    a.current = 0;
    a.bucket_start_ms = ms - age % 1000;
    // Once a second per stream: media keeps an answered call from idling out.
    if (link_call) calls_.touch(CallRef{call_slot, a.call_generation}, now);
  }
  if (a.current != UINT16_MAX) ++a.current;
  a.ingress = ingress;
}

CallRef Inspector::stream_call(uint32_t stream) const {
  const RtpStream* s = streams_.get(stream);
  // A rebound stream's generation is the old call's: no call until its next packet.
  if (!s || s->call_slot >= cfg_.calls.capacity || (s->flags & kStreamRebound)) return CallRef{};
  return CallRef{s->call_slot, activity_[stream].call_generation};
}

StreamActivityView Inspector::activity_view_(uint32_t stream, const RtpStream& s) const {
  StreamActivityView v;
  v.stream = stream;
  v.last_arrival = s.last_seen;
  const Activity& a = activity_[v.stream];
  v.ingress = a.ingress;
  // Packets in the second ending at last_arrival: the current bucket plus
  // the part of the previous one that falls inside that second.
  uint32_t into = ms_of(s.last_seen) - a.bucket_start_ms;
  if (into >= 1000) {
    v.recent_packets = into < 2000 ? a.current : 0;
  } else {
    v.recent_packets = a.current + uint32_t(uint64_t(a.previous) * (1000 - into) / 1000);
  }
  if (s.flags & kStreamHeld) v.flags |= kActivityOnHold;
  if (s.flags & kStreamComfortNoise) v.flags |= kActivityComfortNoise;
  // RTCP BYE; or the record of an ended call whose ports a new call's SDP
  // names, with no packet since: its last packet is the old call's, and its
  // generation names the old call (slots' generations coincide).
  if (s.flags & (kStreamBye | kStreamRebound)) v.flags |= kActivityEnded;
  if (s.call_slot != kNoCallSlot) {
    const Call* c = calls_.get(CallRef{s.call_slot, a.call_generation});
    if (!c || !call_state_live(c->state)) v.flags |= kActivityEnded;
  }
  return v;
}

StreamActivityView Inspector::activity(uint32_t stream) const {
  const RtpStream* s = streams_.get(stream);
  return s ? activity_view_(stream, *s) : StreamActivityView{};
}

void Inspector::tick(TimeNs now, uint32_t budget) {
  streams_.expire(now, budget);
  calls_.expire(now, budget < cfg_.calls.capacity ? budget : cfg_.calls.capacity);
}

void Inspector::finish(TimeNs now) {
  calls_.expire(now);
  calls_.flush();
}

}  // namespace tg
