#include "dataplane/core/call_table.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "common/names.hpp"
#include "dataplane/core/text.hpp"

namespace tg {

namespace {

template <size_t N>
uint8_t copy_prefix(char (&dst)[N], std::string_view src) {
  size_t n = std::min(src.size(), N);
  if (n) std::memcpy(dst, src.data(), n);
  return uint8_t(n);
}

bool is_setup(CallState s) { return s == CallState::calling || s == CallState::ringing; }
bool is_final(TransferResult r) { return r == TransferResult::succeeded || r == TransferResult::failed; }

// RFC 6076 4.3: SRD ends at the first "status indicative" response: a
// non-100 provisional, or a final. 3xx (the attempt continues elsewhere) and
// 401/407 authentication challenges do not say anything about the callee.
bool counts_for_srd(uint16_t code) {
  if (code == 100) return false;
  if (code >= 300 && code < 400) return false;
  return code != 401 && code != 407;
}

// Outcome of a failed INVITE by its final code. Busy (the callee or the
// carrier says "not now", 503 with Retry-After being an overload with a
// retry time, RFC 3261 21.5.4) is kept apart from network failure.
CallState classify_failure(uint16_t code, bool retry_after, bool cancel_seen) {
  if (code >= 300 && code < 400) return CallState::redirected;
  if (code == 487 && cancel_seen) return CallState::cancelled;
  if (code == 486 || code == 600) return CallState::busy;
  if (code == 503) return retry_after ? CallState::busy : CallState::failed;
  if (code == 408 || code == 500 || code == 504) return CallState::failed;
  return CallState::rejected;
}

// RFC 6076 4.7 numerator: responses where the called user decided.
bool seer_effective(uint16_t code) {
  return code == 200 || code == 480 || code == 486 || code == 600 || code == 603;
}
// RFC 6076 4.8 numerator: the network could not complete the setup.
bool isa_ineffective(uint16_t code) { return code == 408 || code == 500 || code == 503 || code == 504; }

// "<sip:+4930@host;user=phone>" and "sip:+4930@host" name the same target:
// redirect follow-ups are matched by user part, or by the bare URI.
std::string_view redirect_key(std::string_view uri) {
  std::string_view user = sip_uri_user(uri);
  if (!user.empty()) return user;
  uri = text::trim(uri);
  if (!uri.empty() && uri.front() == '<') uri.remove_prefix(1);
  return uri.substr(0, uri.find_first_of(";>?"));
}

double pct(uint64_t num, uint64_t den) {
  return den ? 100.0 * double(num) / double(den) : std::numeric_limits<double>::quiet_NaN();
}
double mean(uint64_t sum, uint64_t n, double scale) {
  return n ? double(sum) / double(n) * scale : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

// --- names (from the X-macro lists) ---

const char* call_state_name(CallState s) {
  static const char* const t[] = {TG_CALL_STATES(TG_NAME_OF)};
  return pick_name(t, size_t(s));
}
const char* call_state_text(CallState s) {
  static const char* const t[] = {TG_CALL_STATES(TG_TEXT_OF)};
  return pick_name(t, size_t(s));
}
const char* party_name(Party p) {
  switch (p) {
    case Party::caller: return "caller";
    case Party::callee: return "callee";
    default: return "none";
  }
}
const char* transfer_kind_name(TransferKind k) {
  static const char* const t[] = {TG_TRANSFER_KINDS(TG_NAME_OF)};
  return pick_name(t, size_t(k));
}
const char* transfer_result_name(TransferResult r) {
  static const char* const t[] = {TG_TRANSFER_RESULTS(TG_NAME_OF)};
  return pick_name(t, size_t(r));
}
const char* trunk_counter_name(TrunkCounter c) {
  static const char* const t[] = {TG_TRUNK_COUNTERS(TG_NAME_OF)};
  return pick_name(t, size_t(c));
}
const char* trunk_counter_text(TrunkCounter c) {
  static const char* const t[] = {TG_TRUNK_COUNTERS(TG_TEXT_OF)};
  return pick_name(t, size_t(c));
}
const char* call_table_counter_name(CallTableCounter c) {
  static const char* const t[] = {TG_CALL_TABLE_COUNTERS(TG_NAME_OF)};
  return pick_name(t, size_t(c));
}
const char* call_table_counter_text(CallTableCounter c) {
  static const char* const t[] = {TG_CALL_TABLE_COUNTERS(TG_TEXT_OF)};
  return pick_name(t, size_t(c));
}

TrunkRatios trunk_ratios(const TrunkCounters& t) {
  using C = TrunkCounter;
  uint64_t settled = t[C::settled];
  uint64_t not_redirected = settled - std::min(settled, t[C::redirected]);
  TrunkRatios r;
  r.asr = pct(t[C::answered], settled);
  r.ser = pct(t[C::answered_200], not_redirected);
  r.seer = pct(t[C::seer_effective], not_redirected);
  r.isa = pct(t[C::isa_ineffective], settled);
  r.busy_pct = pct(t[C::busy], settled);
  r.failure_pct = pct(t[C::failed] + t[C::timeouts], settled);
  r.srd_mean_ms = mean(t[C::srd_sum_ms], t[C::srd_count], 1.0);
  r.pdd_mean_ms = mean(t[C::pdd_sum_ms], t[C::pdd_count], 1.0);
  r.options_rtt_mean_ms = mean(t[C::options_rtt_sum_us], t[C::options_answered], 1e-3);
  return r;
}

// --- table ---

CallTable::CallTable(const CallTableConfig& config, CallObserver* observer)
    : config_(config), observer_(observer) {
  if (config_.capacity == 0) config_.capacity = 1;
  uint32_t index_size = 2;
  while (index_size < 2 * config_.capacity) index_size <<= 1;
  index_mask_ = index_size - 1;
  calls_ = std::make_unique<Call[]>(config_.capacity);
  in_use_ = std::make_unique<bool[]>(config_.capacity);
  index_ = std::make_unique<uint32_t[]>(index_size);
  free_ = std::make_unique<uint32_t[]>(config_.capacity);
  // Lowest slots on top of the stack: reports in order of arrival in tests.
  for (uint32_t i = 0; i < config_.capacity; ++i) free_[i] = config_.capacity - 1 - i;
  free_top_ = config_.capacity;
}

uint64_t CallTable::hash_text(std::string_view s) const {
  uint64_t h = mix64(config_.hash_seed ^ s.size());
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = mix64(h ^ w);
  }
  uint64_t tail = 0;
  if (i < s.size()) std::memcpy(&tail, s.data() + i, s.size() - i);
  return mix64(h ^ tail ^ 0x9e3779b97f4a7c15ULL);
}

uint32_t CallTable::lookup(uint64_t hash, std::string_view call_id) const {
  size_t kept = std::min(call_id.size(), size_t(kCallIdBytes));
  for (uint32_t i = uint32_t(hash) & index_mask_;; i = (i + 1) & index_mask_) {
    uint32_t v = index_[i];
    if (v == 0) return kNoCall;
    const Call& c = calls_[v - 1];
    if (c.id_hash == hash && c.call_id_len == std::min(call_id.size(), size_t(UINT16_MAX)) &&
        std::memcmp(c.call_id, call_id.data(), kept) == 0)
      return v - 1;
  }
}

uint32_t CallTable::allocate(uint64_t hash) {
  if (free_top_ == 0) return kNoCall;
  uint32_t slot = free_[--free_top_];
  uint32_t generation = calls_[slot].generation + 1;
  calls_[slot] = Call{};
  calls_[slot].generation = generation;
  calls_[slot].id_hash = hash;
  uint32_t i = uint32_t(hash) & index_mask_;
  while (index_[i] != 0) i = (i + 1) & index_mask_;
  index_[i] = slot + 1;
  in_use_[slot] = true;
  ++used_;
  return slot;
}

void CallTable::release(uint32_t slot) {
  uint32_t i = uint32_t(calls_[slot].id_hash) & index_mask_;
  while (index_[i] != slot + 1) i = (i + 1) & index_mask_;
  // Backward-shift deletion: move later entries of the probe run into the
  // hole when their home position allows it, so lookups never need tombstones.
  for (uint32_t j = (i + 1) & index_mask_; index_[j] != 0; j = (j + 1) & index_mask_) {
    uint32_t home = uint32_t(calls_[index_[j] - 1].id_hash) & index_mask_;
    bool stays = (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
    if (stays) continue;
    index_[i] = index_[j];
    i = j;
  }
  index_[i] = 0;
  in_use_[slot] = false;
  free_[free_top_++] = slot;
  --used_;
  count(CallTableCounter::calls_removed);
}

uint8_t CallTable::add_trunk(std::string_view name, const Endpoint& sbc) {
  if (trunk_count_ >= kMaxTrunks) return kNoTrunk;
  TrunkInfo& t = trunks_[trunk_count_];
  t = TrunkInfo{};
  size_t n = std::min(name.size(), sizeof(t.name) - 1);
  if (n) std::memcpy(t.name, name.data(), n);
  t.sbc = sbc;
  t.configured = true;
  return uint8_t(trunk_count_++);
}

bool CallTable::set_trunks(const TrunkSpec* trunks, size_t count) {
  auto named = [&](std::string_view name) {
    for (int i = 0; i < trunk_count_; ++i)
      if (trunks_[i].configured || trunks_[i].retired)
        if (name == std::string_view(trunks_[i].name, strnlen(trunks_[i].name, sizeof trunks_[i].name))) return i;
    return -1;
  };
  if (count > size_t(kMaxTrunks)) return false;
  // Plan first (a slot per trunk), change nothing until all fit. Trunks
  // known by name first, so none of their slots is handed to another.
  int slot_of[kMaxTrunks];
  bool keep[kMaxTrunks] = {};
  for (size_t t = 0; t < count; ++t) {
    const int i = named(trunks[t].name);
    slot_of[t] = i >= 0 && !keep[i] ? i : -1;
    if (slot_of[t] >= 0) keep[i] = true;
  }
  int next_free = trunk_count_;
  for (size_t t = 0; t < count; ++t) {
    if (slot_of[t] >= 0) continue;
    int i = -1;
    for (int a = 0; i < 0 && a < trunk_count_; ++a)  // a trunk named by this SBC's address
      if (!keep[a] && !trunks_[a].configured && !trunks_[a].retired && trunks_[a].sbc.addr == trunks[t].sbc.addr) i = a;
    if (i < 0 && next_free < kMaxTrunks) i = next_free++;
    for (int r = 0; i < 0 && r < trunk_count_; ++r)  // else the slot of a trunk that leaves (or left) the table
      if (!keep[r] && (trunks_[r].configured || trunks_[r].retired)) i = r;
    if (i < 0) return false;
    slot_of[t] = i;
    if (i < trunk_count_) keep[i] = true;
  }
  for (int i = 0; i < trunk_count_; ++i)
    if (trunks_[i].configured && !keep[i]) {
      trunks_[i].configured = false;
      trunks_[i].retired = true;
    }
  for (size_t t = 0; t < count; ++t) {
    TrunkInfo& ti = trunks_[slot_of[t]];
    const bool same = slot_of[t] < trunk_count_ &&
                      trunks[t].name == std::string_view(ti.name, strnlen(ti.name, sizeof ti.name));
    const bool adopted = slot_of[t] < trunk_count_ && !ti.configured && !ti.retired;
    if (!same && !adopted) ti = TrunkInfo{};  // new slot, or a retired one's reused
    std::memset(ti.name, 0, sizeof ti.name);
    std::memcpy(ti.name, trunks[t].name.data(), std::min(trunks[t].name.size(), sizeof ti.name - 1));
    ti.sbc = trunks[t].sbc;
    ti.configured = true;
    ti.retired = false;
  }
  trunk_count_ = next_free;
  return true;
}

uint8_t CallTable::match_trunk(const Endpoint& e) const {
  for (int i = 0; i < trunk_count_; ++i) {
    if (trunks_[i].retired) continue;
    const Endpoint& s = trunks_[i].sbc;
    if (s.addr == e.addr && (s.port == 0 || s.port == e.port)) return uint8_t(i);
  }
  return kNoTrunk;
}

uint8_t CallTable::auto_trunk(const IpAddr& addr) {
  if (trunk_count_ >= kMaxTrunks) {
    count(CallTableCounter::trunk_table_full);
    return kNoTrunk;
  }
  TrunkInfo& t = trunks_[trunk_count_];
  t = TrunkInfo{};
  char buf[64];
  size_t n = addr.format(buf, sizeof(buf));
  n = std::min(n, sizeof(t.name) - 1);
  std::memcpy(t.name, buf, n);
  t.sbc = Endpoint{addr, 0};
  return uint8_t(trunk_count_++);
}

uint8_t CallTable::trunk_for(const Endpoint& src, const Endpoint& dst, CallDirection& dir) {
  dir = CallDirection::outbound;
  uint8_t t = match_trunk(dst);
  if (t != kNoTrunk) return t;
  t = match_trunk(src);
  if (t != kNoTrunk) {
    dir = CallDirection::inbound;
    return t;
  }
  if (!config_.auto_trunks) return kNoTrunk;
  return auto_trunk(dst.addr);
}

Party CallTable::sender_of(const Call& c, const SipMessage& m) const {
  bool from_caller = hash_text(m.from_tag) == c.caller_tag;
  if (m.is_request) return from_caller ? Party::caller : Party::callee;
  return from_caller ? Party::callee : Party::caller;
}

CallRef CallTable::on_sip(const SipMessage& msg, const SdpSession* sdp, const Endpoint& src,
                          const Endpoint& dst, TimeNs now) {
  count(CallTableCounter::messages);
  if (msg.call_id.empty()) {
    // parse_sip refuses these; a caller feeding its own messages may not.
    count(CallTableCounter::ignored);
    return {};
  }
  if (msg.is_request) {
    if (msg.method == SipMethod::options) {
      on_options_request(msg, src, dst, now);
      return {};
    }
    return on_request(msg, sdp, src, dst, now);
  }
  if (msg.cseq_method == SipMethod::options) {
    on_options_response(msg, now);
    return {};
  }
  return on_response(msg, sdp, now);
}

CallRef CallTable::on_request(const SipMessage& msg, const SdpSession* sdp, const Endpoint& src,
                              const Endpoint& dst, TimeNs now) {
  uint64_t hash = hash_text(msg.call_id);
  uint32_t slot = lookup(hash, msg.call_id);
  if (slot == kNoCall) {
    if (msg.method == SipMethod::invite && msg.to_tag.empty())
      return new_call(msg, sdp, hash, src, dst, now);
    switch (msg.method) {
      case SipMethod::register_:
      case SipMethod::subscribe:
      case SipMethod::message:
      case SipMethod::unknown:
        count(CallTableCounter::ignored);
        break;
      default:
        count(CallTableCounter::no_call);
    }
    return {};
  }
  Call& c = calls_[slot];
  CallRef ref{slot, c.generation};
  ++c.messages;
  c.t_last = now;
  Party p = sender_of(c, msg);

  if (msg.method == SipMethod::invite) {
    on_invite_again(c, msg, sdp, now);
    return ref;
  }
  if (msg.method == SipMethod::ack) {
    // ACK carries the INVITE's CSeq; only the one confirming a 2xx matters.
    if (msg.cseq == c.invite_cseq && c.state == CallState::answered && !c.t_ack) c.t_ack = now;
    return ref;
  }
  if (msg.method == SipMethod::cancel) {
    if (p != Party::caller || !is_setup(c.state)) return ref;
    if (c.cancel_seen) {
      ++c.retransmissions;
      count(CallTableCounter::retransmissions);
      return ref;
    }
    // The outcome is the 487 (or a 200 that crossed the CANCEL); if neither
    // comes, the timer settles the call as cancelled.
    c.cancel_seen = true;
    c.reason_cause = int16_t(msg.reason_cause);
    c.deadline = now + config_.linger;
    return ref;
  }

  // Every other request has its own CSeq, higher than the sender's last one.
  uint32_t& last = c.last_cseq[p == Party::caller ? 0 : 1];
  if (last != 0 && msg.cseq <= last) {
    ++c.retransmissions;
    count(CallTableCounter::retransmissions);
    return ref;
  }
  last = msg.cseq;

  switch (msg.method) {
    case SipMethod::bye: on_bye(c, msg, p, now); break;
    case SipMethod::refer: on_refer(c, msg, p); break;
    case SipMethod::notify: on_notify(c, msg); break;
    case SipMethod::update:
      if (sdp) {
        count(CallTableCounter::reinvites);
        offer_answer(c, *sdp, p, false);
      }
      break;
    case SipMethod::prack:
      // PRACK may carry the answer to an offer in a reliable 18x.
      if (sdp) offer_answer(c, *sdp, p, true);
      break;
    default:
      break;
  }
  if (c.state == CallState::answered) c.deadline = std::max(c.deadline, now + config_.idle_timeout);
  return ref;
}

CallRef CallTable::new_call(const SipMessage& msg, const SdpSession* sdp, uint64_t hash,
                            const Endpoint& src, const Endpoint& dst, TimeNs now) {
  uint32_t slot = allocate(hash);
  if (slot == kNoCall) {
    count(CallTableCounter::table_full);
    return {};
  }
  count(CallTableCounter::calls_created);
  Call& c = calls_[slot];
  c.call_id_len = uint16_t(std::min(msg.call_id.size(), size_t(UINT16_MAX)));
  copy_prefix(c.call_id, msg.call_id);
  c.from_len = copy_prefix(c.from_user, sip_uri_user(msg.from_uri));
  c.to_len = copy_prefix(c.to_user, sip_uri_user(msg.to_uri));
  c.caller_tag = hash_text(msg.from_tag);
  c.caller_signal = src;
  c.callee_signal = dst;
  c.trunk = trunk_for(src, dst, c.direction);
  c.invite_cseq = msg.cseq;
  c.last_cseq[0] = msg.cseq;
  c.messages = 1;
  c.t_last = now;
  start_attempt(c, now);
  CallRef ref{slot, c.generation};

  // A new Call-ID to a target a recent 3xx named: the redirect's follow-up.
  uint64_t target = hash_text(redirect_key(msg.request_uri));
  for (RecentRedirect& r : redirects_) {
    if (!r.call.valid() || r.target_hash != target) continue;
    Call* old = get_mut(r.call);
    if (old && old->state == CallState::redirected && old->transfer.result == TransferResult::pending) {
      c.redirected_from = r.call;
      // Keep the redirected record until this attempt settles.
      old->deadline = std::max(old->deadline, now + config_.ringing_timeout + config_.linger);
    }
    r.call = {};
    break;
  }
  if (sdp) offer_answer(c, *sdp, Party::caller, false);
  return ref;
}

void CallTable::start_attempt(Call& c, TimeNs now) {
  if (TrunkTap t = tap(c)) t.inc(TrunkCounter::attempts);
  c.state = CallState::calling;
  c.t_invite = now;
  c.t_first_response = c.t_first_18x = c.t_answer = c.t_ack = c.t_end = 0;
  c.final_code = 0;
  c.bye_cseq = 0;
  c.bye_code = c.ok_retransmissions = 0;
  c.cancel_seen = c.challenged = c.redirect_followup = false;
  c.fork_count = 0;
  std::memset(c.fork_tags, 0, sizeof(c.fork_tags));
  c.deadline = now + config_.no_response_timeout;
}

void CallTable::on_invite_again(Call& c, const SipMessage& msg, const SdpSession* sdp, TimeNs now) {
  Party p = sender_of(c, msg);
  if (msg.to_tag.empty()) {
    if (msg.cseq <= c.invite_cseq) {
      ++c.retransmissions;
      count(CallTableCounter::retransmissions);
      return;
    }
    // A new INVITE transaction outside any dialog, same Call-ID.
    if (is_setup(c.state) && c.challenged) {
      // Credentials after 401/407: the same attempt goes on (SRD from the first INVITE).
      count(CallTableCounter::auth_retries);
      c.invite_cseq = msg.cseq;
      c.last_cseq[0] = msg.cseq;
      c.challenged = false;
      c.final_code = 0;
      c.deadline = now + config_.no_response_timeout;
      if (sdp) offer_answer(c, *sdp, Party::caller, false);
      return;
    }
    if (!call_state_live(c.state) && c.state != CallState::ended) {
      // Retry after a settled failure or a 3xx (RFC 3261 8.1.3.4): a new attempt.
      bool follows_redirect = c.state == CallState::redirected;
      c.invite_cseq = msg.cseq;
      c.last_cseq[0] = msg.cseq;
      start_attempt(c, now);
      c.redirect_followup = follows_redirect && c.transfer.kind == TransferKind::redirect &&
                            c.transfer.result == TransferResult::pending;
      if (sdp) offer_answer(c, *sdp, Party::caller, false);
      return;
    }
    // Overlapping INVITE while the first one is pending: not a new attempt.
    ++c.retransmissions;
    count(CallTableCounter::retransmissions);
    return;
  }
  // re-INVITE inside the dialog.
  uint32_t& last = c.last_cseq[p == Party::caller ? 0 : 1];
  if (last != 0 && msg.cseq <= last) {
    ++c.retransmissions;
    count(CallTableCounter::retransmissions);
    return;
  }
  last = msg.cseq;
  c.reinvite_cseq = msg.cseq;
  count(CallTableCounter::reinvites);
  if (c.state == CallState::answered) c.deadline = std::max(c.deadline, now + config_.idle_timeout);
  if (sdp) offer_answer(c, *sdp, p, false);
}

void CallTable::mark_first_response(Call& c, uint16_t code, TimeNs now) {
  if (c.t_first_response || !counts_for_srd(code)) return;
  c.t_first_response = now;
  if (TrunkTap t = tap(c)) {
    uint64_t ms = (now - c.t_invite) / kNsPerMs;
    t.inc(TrunkCounter::srd_count);
    t.inc(TrunkCounter::srd_sum_ms, ms);
    t.max(&TrunkCounters::srd_max_ms, ms);
  }
}

void CallTable::on_invite_response(Call& c, const SipMessage& msg, const SdpSession* sdp, TimeNs now) {
  uint16_t code = msg.status_code;
  if (msg.cseq != c.invite_cseq) {
    // Answer to a re-INVITE offer.
    if (msg.cseq == c.reinvite_cseq && code >= 200 && code < 300 && sdp)
      offer_answer(c, *sdp, sender_of(c, msg), true);
    return;
  }
  if (code < 200) {
    if (!is_setup(c.state)) return;  // late or reordered provisional
    // Any provisional stops Timer B; from here the ringing timer applies.
    if (!c.cancel_seen) c.deadline = now + config_.ringing_timeout;
    if (code == 100) return;
    mark_first_response(c, code, now);
    if (code >= 180 && code < 190 && !c.t_first_18x) {
      c.t_first_18x = now;
      if (TrunkTap t = tap(c)) {
        uint64_t ms = (now - c.t_invite) / kNsPerMs;
        t.inc(TrunkCounter::pdd_count);
        t.inc(TrunkCounter::pdd_sum_ms, ms);
        t.max(&TrunkCounters::pdd_max_ms, ms);
      }
    }
    if (!msg.to_tag.empty()) {
      // Forking (RFC 3261 16.7): each branch answering opens its own early dialog.
      uint64_t tag = hash_text(msg.to_tag);
      bool known = false;
      int stored = std::min<int>(c.fork_count, kCallMaxForks);
      for (int i = 0; i < stored; ++i) known |= c.fork_tags[i] == tag;
      if (!known) {
        if (stored < kCallMaxForks) c.fork_tags[stored] = tag;
        if (c.fork_count < UINT8_MAX) ++c.fork_count;
      }
    }
    c.state = CallState::ringing;
    if (sdp) offer_answer(c, *sdp, Party::callee, true);
    return;
  }

  if (code < 300) {
    if (is_setup(c.state)) {
      // A 200 that crossed a CANCEL still answers the call (RFC 3261 9.1).
      mark_first_response(c, code, now);
      c.callee_tag = hash_text(msg.to_tag);
      c.t_answer = now;
      c.final_code = code;
      c.state = CallState::answered;
      c.challenged = false;
      c.deadline = now + config_.idle_timeout;
      if (TrunkTap t = tap(c)) {
        t.inc(TrunkCounter::settled);
        t.inc(TrunkCounter::answered);
        if (code == 200) {
          t.inc(TrunkCounter::answered_200);
          t.inc(TrunkCounter::seer_effective);
        }
      }
      resolve_redirect_followup(c);
      if (sdp) offer_answer(c, *sdp, Party::callee, true);
      return;
    }
    if ((c.state == CallState::answered || c.state == CallState::ended) && c.callee_tag &&
        hash_text(msg.to_tag) != c.callee_tag) {
      count(CallTableCounter::stray_dialog);  // a second fork answered too
      return;
    }
    // The UAS resends its 2xx until the ACK reaches it (RFC 3261 13.3.1.4):
    // repeats mean the ACK got lost, and a dialog left half-open at the far end.
    if (c.t_answer && c.ok_retransmissions < UINT16_MAX) ++c.ok_retransmissions;
    ++c.retransmissions;
    count(CallTableCounter::retransmissions);
    return;
  }

  if (!is_setup(c.state) || c.challenged) {
    ++c.retransmissions;
    count(CallTableCounter::retransmissions);
    return;
  }
  if (code == 401 || code == 407) {
    // The UAC may resend with credentials; if it does not, the timer settles
    // the attempt as rejected with this code.
    c.challenged = true;
    c.final_code = code;
    c.deadline = now + config_.no_response_timeout;
    return;
  }
  mark_first_response(c, code, now);
  CallState outcome = classify_failure(code, msg.retry_after >= 0, c.cancel_seen);
  settle(c, outcome, code, now);
  if (outcome == CallState::redirected) {
    // A 3xx is a transfer by the callee: it succeeds if the redirected attempt is answered.
    if (c.transfer.kind != TransferKind::redirect || is_final(c.transfer.result)) {
      c.transfer = CallTransfer{};
      c.transfer.kind = TransferKind::redirect;
      c.transfer.by = Party::callee;
      if (TrunkTap t = tap(c)) t.inc(TrunkCounter::transfers);
    }
    c.transfer.result = TransferResult::pending;
    c.transfer.code = code;
    c.transfer.target_len = copy_prefix(c.transfer.target, msg.contact_uri);
    RecentRedirect& r = redirects_[redirect_next_];
    redirect_next_ = (redirect_next_ + 1) % kRedirectRing;
    r.target_hash = hash_text(redirect_key(msg.contact_uri));
    r.call = ref_of(c);
  }
}

void CallTable::settle(Call& c, CallState state, uint16_t code, TimeNs now) {
  c.state = state;
  c.final_code = code;
  c.t_end = now;
  c.deadline = now + config_.linger;
  if (TrunkTap t = tap(c)) {
    using C = TrunkCounter;
    t.inc(C::settled);
    switch (state) {
      case CallState::busy: t.inc(C::busy); break;
      case CallState::failed: t.inc(C::failed); break;
      case CallState::timeout: t.inc(C::timeouts); break;
      case CallState::rejected: t.inc(C::rejected); break;
      case CallState::cancelled: t.inc(C::cancelled); break;
      case CallState::redirected: t.inc(C::redirected); break;
      default: break;
    }
    if (seer_effective(code)) t.inc(C::seer_effective);
    if (isa_ineffective(code) || state == CallState::timeout) t.inc(C::isa_ineffective);
  }
  if (state != CallState::redirected) resolve_redirect_followup(c);
}

void CallTable::resolve_transfer(Call& c, TransferResult result, uint16_t code) {
  if (c.transfer.kind == TransferKind::none || is_final(c.transfer.result)) return;
  c.transfer.result = result;
  if (code) c.transfer.code = code;
  TrunkTap t = tap(c);
  if (!t) return;
  if (result == TransferResult::succeeded) t.inc(TrunkCounter::transfers_ok);
  if (result == TransferResult::failed) t.inc(TrunkCounter::transfers_failed);
}

void CallTable::resolve_redirect_followup(Call& c) {
  TransferResult r = c.state == CallState::answered ? TransferResult::succeeded : TransferResult::failed;
  if (c.redirect_followup) {
    c.redirect_followup = false;
    resolve_transfer(c, r, c.final_code);
  }
  if (c.redirected_from.valid()) {
    if (Call* old = get_mut(c.redirected_from)) resolve_transfer(*old, r, c.final_code);
    c.redirected_from = {};
  }
}

void CallTable::on_bye(Call& c, const SipMessage& msg, Party p, TimeNs now) {
  if (c.state != CallState::answered) return;  // BYE for a dead or unanswered call
  // The BYE must belong to the answered dialog, not another fork's.
  uint64_t remote = hash_text(p == Party::caller ? msg.to_tag : msg.from_tag);
  if (c.callee_tag && remote != c.callee_tag) {
    count(CallTableCounter::stray_dialog);
    return;
  }
  c.state = CallState::ended;
  c.hangup = p;
  c.bye_cseq = msg.cseq;
  c.t_end = now;
  c.reason_cause = int16_t(msg.reason_cause);
  c.deadline = now + config_.linger;
  if (TrunkTap t = tap(c)) {
    t.inc(TrunkCounter::completed);
    t.inc(p == Party::caller ? TrunkCounter::hangup_caller : TrunkCounter::hangup_callee);
    t.inc(TrunkCounter::duration_sum_ms, (now - c.t_answer) / kNsPerMs);
  }
}

void CallTable::on_refer(Call& c, const SipMessage& msg, Party p) {
  // A REFER replacing one still open: the old one ends without success.
  resolve_transfer(c, TransferResult::failed, 0);
  c.transfer = CallTransfer{};
  c.transfer.kind = TransferKind::refer;
  c.transfer.by = p;
  c.transfer.target_len = copy_prefix(c.transfer.target, msg.refer_to);
  c.refer_cseq = msg.cseq;
  if (TrunkTap t = tap(c)) t.inc(TrunkCounter::transfers);
}

void CallTable::on_notify(Call& c, const SipMessage& msg) {
  if (c.transfer.kind != TransferKind::refer || !text::iequals(msg.event, "refer")) return;
  // RFC 3515 2.4.5: the NOTIFY body is a message/sipfrag of the status line
  // the transfer target sent to the transferee.
  uint16_t code = sipfrag_status(msg.body);
  if (code >= 100 && code < 200) {
    if (!is_final(c.transfer.result)) {
      c.transfer.result = TransferResult::trying;
      c.transfer.code = code;
    }
  } else if (code >= 200 && code < 300) {
    resolve_transfer(c, TransferResult::succeeded, code);
  } else if (code >= 300) {
    resolve_transfer(c, TransferResult::failed, code);
  }
  // Subscription over without a final status: the transfer did not complete.
  if (text::iequals(msg.subscription_state, "terminated"))
    resolve_transfer(c, TransferResult::failed, 0);
}

CallRef CallTable::on_response(const SipMessage& msg, const SdpSession* sdp, TimeNs now) {
  uint64_t hash = hash_text(msg.call_id);
  uint32_t slot = lookup(hash, msg.call_id);
  if (slot == kNoCall) {
    count(CallTableCounter::no_call);
    return {};
  }
  Call& c = calls_[slot];
  CallRef ref{slot, c.generation};
  ++c.messages;
  c.t_last = now;
  switch (msg.cseq_method) {
    case SipMethod::invite:
      on_invite_response(c, msg, sdp, now);
      break;
    case SipMethod::refer:
      if (c.transfer.kind == TransferKind::refer && msg.cseq == c.refer_cseq) {
        if (msg.status_code >= 300) {
          resolve_transfer(c, TransferResult::failed, msg.status_code);
        } else if (msg.status_code >= 200 && c.transfer.result == TransferResult::pending) {
          c.transfer.result = TransferResult::accepted;
          c.transfer.code = msg.status_code;
        }
      }
      break;
    case SipMethod::bye:
      // The last final answer to the BYE that ended the call: a 404/481 says
      // the far end no longer knew the dialog.
      if (c.state == CallState::ended && msg.cseq == c.bye_cseq && msg.status_code >= 200)
        c.bye_code = msg.status_code;
      break;
    case SipMethod::update:
      if (sdp && msg.status_code >= 200 && msg.status_code < 300)
        offer_answer(c, *sdp, sender_of(c, msg), true);
      break;
    default:
      break;
  }
  if (c.state == CallState::answered) c.deadline = std::max(c.deadline, now + config_.idle_timeout);
  return ref;
}

void CallTable::offer_answer(Call& c, const SdpSession& sdp, Party owner, bool answer) {
  if (!answer) {
    // Hold is decided by the offer (RFC 3264 8.4): sendonly/inactive or c=0.0.0.0.
    bool hold = sdp.on_hold();
    if (hold && !c.on_hold) {
      c.on_hold = true;
      c.held_by = owner;
      ++c.hold_count;
      if (TrunkTap t = tap(c)) t.inc(TrunkCounter::holds);
    } else if (!hold && c.on_hold && c.state == CallState::answered) {
      c.on_hold = false;
      c.held_by = Party::none;
    }
  }
  bool first_audio = true;
  for (uint8_t i = 0; i < sdp.media_count && i < kSdpMaxMedia; ++i) {
    const SdpMedia& m = sdp.media[i];
    if (m.port == 0) continue;  // rejected or disabled stream
    MediaAnnouncement a;
    a.call = ref_of(c);
    a.call_id = c.call_id_text();
    a.owner = owner;
    a.answer = answer;
    a.media_index = i;
    a.rtp = Endpoint{m.connection, m.port};
    uint16_t rtcp_port = m.rtcp_port ? m.rtcp_port : m.rtcp_mux ? m.port : uint16_t(m.port + 1);
    a.rtcp = Endpoint{m.connection, rtcp_port};
    a.direction = m.direction;
    a.media = &m;
    if (first_audio && text::iequals(m.type, "audio")) {
      (owner == Party::caller ? c.caller_media : c.callee_media) = a.rtp;
      first_audio = false;
    }
    count(CallTableCounter::media_announced);
    if (observer_) observer_->on_media(a);
  }
}

void CallTable::on_options_request(const SipMessage& msg, const Endpoint& src, const Endpoint& dst,
                                   TimeNs now) {
  uint64_t key = hash_text(msg.call_id) ^ mix64(msg.cseq);
  PendingOptions& e = options_[key & (kOptionsSlots - 1)];
  if (e.used && e.key == key) {
    count(CallTableCounter::retransmissions);  // RTT stays from the first send
    return;
  }
  if (e.used) count(CallTableCounter::options_evicted);
  CallDirection dir;
  uint8_t trunk = trunk_for(src, dst, dir);
  e = PendingOptions{key, now, trunk, dir, true};
  if (TrunkTap t = tap(trunk, dir)) t.inc(TrunkCounter::options_sent);
}

void CallTable::on_options_response(const SipMessage& msg, TimeNs now) {
  uint64_t key = hash_text(msg.call_id) ^ mix64(msg.cseq);
  PendingOptions& e = options_[key & (kOptionsSlots - 1)];
  if (!e.used || e.key != key) {
    count(CallTableCounter::options_unmatched);
    return;
  }
  e.used = false;
  TrunkTap t = tap(e.trunk, e.direction);
  if (!t) return;
  uint64_t us = (now - e.sent) / 1000;
  t.inc(TrunkCounter::options_answered);
  if (msg.status_code >= 200 && msg.status_code < 300) t.inc(TrunkCounter::options_ok);
  t.inc(TrunkCounter::options_rtt_sum_us, us);
  t.set(&TrunkCounters::options_rtt_last_us, us);
  t.max(&TrunkCounters::options_rtt_max_us, us);
}

void CallTable::run_timer(uint32_t slot, TimeNs now) {
  Call& c = calls_[slot];
  if (now < c.deadline) return;
  switch (c.state) {
    case CallState::calling:
    case CallState::ringing:
      if (c.cancel_seen) settle(c, CallState::cancelled, 0, now);
      else if (c.challenged) settle(c, CallState::rejected, c.final_code, now);
      else settle(c, CallState::timeout, 0, now);
      return;
    case CallState::answered:
      // No BYE seen: the call is taken as ended at its last sign of life.
      c.state = CallState::ended;
      c.ended_by_timer = true;
      c.t_end = std::max(c.t_last, c.t_answer);
      c.deadline = now + config_.linger;
      if (TrunkTap t = tap(c)) {
        t.inc(TrunkCounter::expired);
        t.inc(TrunkCounter::duration_sum_ms, (c.t_end - c.t_answer) / kNsPerMs);
      }
      return;
    default:
      break;
  }
  // Lingered long enough: transfers still open end without success.
  resolve_transfer(c, TransferResult::failed, 0);
  if (observer_) observer_->on_call_removed(c);
  release(slot);
}

void CallTable::expire(TimeNs now, uint32_t budget) {
  uint32_t n = std::min(budget, config_.capacity);
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t slot = sweep_cursor_;
    sweep_cursor_ = sweep_cursor_ + 1 == config_.capacity ? 0 : sweep_cursor_ + 1;
    if (in_use_[slot]) run_timer(slot, now);
  }
  uint32_t m = std::min(budget, kOptionsSlots);
  for (uint32_t i = 0; i < m; ++i) {
    PendingOptions& e = options_[options_cursor_];
    options_cursor_ = (options_cursor_ + 1) & (kOptionsSlots - 1);
    if (!e.used || now - e.sent < config_.options_timeout) continue;
    e.used = false;
    if (TrunkTap t = tap(e.trunk, e.direction)) t.inc(TrunkCounter::options_timeouts);
  }
}

void CallTable::flush() {
  for (uint32_t i = 0; i < config_.capacity; ++i) {
    if (!in_use_[i]) continue;
    if (observer_) observer_->on_call_removed(calls_[i]);
    release(i);
  }
}

void CallTable::touch(CallRef ref, TimeNs now) {
  Call* c = get_mut(ref);
  if (c && c->state == CallState::answered) c->deadline = std::max(c->deadline, now + config_.idle_timeout);
}

bool CallTable::add_ssrc(CallRef ref, uint32_t ssrc) {
  Call* c = get_mut(ref);
  if (!c) return false;
  for (uint8_t i = 0; i < c->ssrc_count; ++i)
    if (c->ssrcs[i] == ssrc) return true;
  if (c->ssrc_count >= kCallMaxSsrcs) {
    count(CallTableCounter::ssrc_list_full);
    return false;
  }
  c->ssrcs[c->ssrc_count++] = ssrc;
  return true;
}

const Call* CallTable::find(std::string_view call_id) const {
  uint32_t slot = lookup(hash_text(call_id), call_id);
  return slot == kNoCall ? nullptr : &calls_[slot];
}

Call* CallTable::get_mut(CallRef ref) {
  return const_cast<Call*>(static_cast<const CallTable*>(this)->get(ref));
}

const Call* CallTable::get(CallRef ref) const {
  if (ref.slot >= config_.capacity || !in_use_[ref.slot]) return nullptr;
  const Call& c = calls_[ref.slot];
  return c.generation == ref.generation ? &c : nullptr;
}

CallRef CallTable::ref_at(uint32_t slot) const {
  if (slot >= config_.capacity || !in_use_[slot]) return {};
  return {slot, calls_[slot].generation};
}

CallRef CallTable::ref_of(const Call& c) const {
  uint32_t slot = uint32_t(&c - calls_.get());
  return {slot, c.generation};
}

}  // namespace tg
