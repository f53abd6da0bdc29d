// SIP call tracking for the inspection core: one record per Call-ID, fed with
// parsed SIP messages (and their SDP), their endpoints and a time. Gives per
// call: state, post-dial delay, RFC 6076 session request delay, final code,
// who hung up, duration, hold, transfers (REFER + NOTIFY sipfrag, 3xx
// redirect) with their outcome; per trunk: attempts, answered, busy, failed
// and the RFC 6076 ratios, plus OPTIONS round-trip times.
//
// Fast-path rules: every record is preallocated at construction (fixed bytes
// per call, see kCallRecordBytes), lookup is O(1) by Call-ID hash (open
// addressing, linear probing, backward-shift deletion: no tombstones), and no
// message allocates, locks, makes a syscall or throws. Time is injected.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "common/bytes.hpp"
#include "common/net.hpp"
#include "dataplane/core/sdp.hpp"
#include "dataplane/core/sip.hpp"

namespace tg {

// Life of a call. calling/ringing/answered are live; the rest are settled.
#define TG_CALL_STATES(X)                                                  \
  X(calling, "INVITE sent, no response beyond 100 Trying")                 \
  X(ringing, "provisional 101-199 received (early dialog)")                \
  X(answered, "2xx received: call up")                                     \
  X(ended, "answered, then BYE (or idle past the session timeout)")        \
  X(busy, "486, 600 or 503 with Retry-After: callee/carrier busy")         \
  X(failed, "408, 500, 503 without Retry-After, 504: network failure")     \
  X(timeout, "no final response before the setup timer: network failure") \
  X(rejected, "other 4xx-6xx final response (403, 404, 480, 603, ...)")    \
  X(cancelled, "caller sent CANCEL before the answer")                     \
  X(redirected, "3xx final response")

enum class CallState : uint8_t {
#define TG_X(name, text) name,
  TG_CALL_STATES(TG_X)
#undef TG_X
      count_
};
constexpr size_t kCallStateCount = size_t(CallState::count_);
const char* call_state_name(CallState);
const char* call_state_text(CallState);
inline bool call_state_live(CallState s) { return s <= CallState::answered; }

enum class Party : uint8_t { none, caller, callee };
const char* party_name(Party);

// Direction of a call relative to its trunk: outbound = the INVITE went to
// the trunk (its SBC), inbound = the INVITE came from it.
enum class CallDirection : uint8_t { outbound, inbound };

#define TG_TRANSFER_KINDS(X)              \
  X(none, "no transfer")                  \
  X(refer, "REFER (RFC 3515)")            \
  X(redirect, "3xx redirect (RFC 3261 8.1.3.4)")

enum class TransferKind : uint8_t {
#define TG_X(name, text) name,
  TG_TRANSFER_KINDS(TG_X)
#undef TG_X
};
const char* transfer_kind_name(TransferKind);

#define TG_TRANSFER_RESULTS(X)                                      \
  X(pending, "requested, no outcome yet")                           \
  X(accepted, "REFER accepted (202), waiting for NOTIFY")           \
  X(trying, "NOTIFY sipfrag 1xx: transfer target is being called") \
  X(succeeded, "NOTIFY sipfrag 2xx / redirected attempt answered")  \
  X(failed, "REFER refused, sipfrag 3xx-6xx or redirect not answered")

enum class TransferResult : uint8_t {
#define TG_X(name, text) name,
  TG_TRANSFER_RESULTS(TG_X)
#undef TG_X
};
const char* transfer_result_name(TransferResult);

// Per-trunk counters. Declared once (VPP style): enum, names and export come
// from this list. The ratios below are computed from them.
#define TG_TRUNK_COUNTERS(X)                                                          \
  X(attempts, "initial INVITEs (retransmissions and auth retries excluded)")          \
  X(settled, "attempts with an outcome (final response, CANCEL or timeout)")          \
  X(answered, "attempts answered with 2xx")                                           \
  X(answered_200, "attempts answered with exactly 200 (RFC 6076 SER/SEER numerator)") \
  X(busy, "486, 600, 503 with Retry-After")                                           \
  X(failed, "408, 500, 503 without Retry-After, 504")                                 \
  X(timeouts, "no final response before the setup timer")                            \
  X(rejected, "other 4xx-6xx final responses")                                        \
  X(cancelled, "CANCEL before the answer")                                            \
  X(redirected, "3xx final responses (excluded from SER/SEER denominators)")          \
  X(seer_effective, "200, 480, 486, 600, 603 (RFC 6076 4.7 numerator)")               \
  X(isa_ineffective, "408, 500, 503, 504 or timeout (RFC 6076 4.8 numerator)")        \
  X(srd_count, "session request delays measured")                                    \
  X(srd_sum_ms, "sum of SRD, ms")                                                     \
  X(pdd_count, "post-dial delays measured (INVITE to first 18x)")                     \
  X(pdd_sum_ms, "sum of PDD, ms")                                                     \
  X(completed, "answered calls ended by BYE")                                         \
  X(hangup_caller, "BYE sent by the caller")                                          \
  X(hangup_callee, "BYE sent by the callee")                                          \
  X(expired, "answered calls ended by the idle timer (no BYE seen)")                  \
  X(duration_sum_ms, "sum of answered-call durations, ms")                            \
  X(holds, "re-INVITE/UPDATE offers putting the call on hold")                        \
  X(transfers, "REFERs and 3xx redirects")                                            \
  X(transfers_ok, "transfers that succeeded")                                         \
  X(transfers_failed, "transfers that failed")                                        \
  X(options_sent, "OPTIONS requests (retransmissions excluded)")                      \
  X(options_answered, "OPTIONS with a response")                                      \
  X(options_ok, "OPTIONS answered 2xx")                                               \
  X(options_timeouts, "OPTIONS without a response before options_timeout")            \
  X(options_rtt_sum_us, "sum of OPTIONS round-trip times, us")

enum class TrunkCounter : uint8_t {
#define TG_X(name, text) name,
  TG_TRUNK_COUNTERS(TG_X)
#undef TG_X
      count_
};
constexpr size_t kTrunkCounterCount = size_t(TrunkCounter::count_);
const char* trunk_counter_name(TrunkCounter);
const char* trunk_counter_text(TrunkCounter);

struct TrunkCounters {
  uint64_t v[kTrunkCounterCount] = {};
  // Largest single values (gauges, not counters).
  uint32_t srd_max_ms = 0, pdd_max_ms = 0;
  uint32_t options_rtt_last_us = 0, options_rtt_max_us = 0;
  uint64_t operator[](TrunkCounter c) const { return v[size_t(c)]; }
  uint64_t& operator[](TrunkCounter c) { return v[size_t(c)]; }
};

// Ratios in percent; NaN when the denominator is zero.
//  ASR  (ITU-T E.411 answer-seizure ratio): answered / settled attempts.
//  SER  (RFC 6076 4.6): INVITEs answered 200 / (INVITEs - INVITEs with 3xx).
//  SEER (RFC 6076 4.7): INVITEs with 200, 480, 486, 600 or 603 /
//       (INVITEs - INVITEs with 3xx). These are the user-determined outcomes:
//       a carrier is "effective" when the callee decided.
//  ISA  (RFC 6076 4.8): INVITEs with 408, 500, 503 or 504 / INVITEs. A setup
//       that times out counts as 408 (RFC 3261 8.1.3.1: a transaction timeout
//       is treated as 408).
// "INVITEs" are settled attempts, so calls still ringing do not bias the
// figures; once every attempt has settled this is RFC 6076's total count.
struct TrunkRatios {
  double asr, ser, seer, isa;
  double busy_pct;     // busy / settled: congestion, kept apart from failure
  double failure_pct;  // (failed + timeouts) / settled: outage
  double srd_mean_ms, pdd_mean_ms, options_rtt_mean_ms;
};
TrunkRatios trunk_ratios(const TrunkCounters&);

// What happens per call table (not per trunk).
#define TG_CALL_TABLE_COUNTERS(X)                                                 \
  X(messages, "SIP messages fed in")                                              \
  X(calls_created, "calls created by an initial INVITE")                          \
  X(calls_removed, "call records freed after settling or expiry")                 \
  X(table_full, "initial INVITEs dropped: no free call record")                   \
  X(retransmissions, "retransmitted requests/responses (not counted again)")      \
  X(no_call, "in-dialog request or response for an unknown Call-ID")              \
  X(stray_dialog, "message for another fork's dialog (not the answered one)")     \
  X(reinvites, "re-INVITEs and UPDATEs with an offer")                            \
  X(auth_retries, "INVITEs resent after 401/407 (same attempt)")                  \
  X(media_announced, "media endpoints reported from SDP")                         \
  X(ssrc_list_full, "SSRCs not kept: per-call list full")                         \
  X(trunk_table_full, "calls or OPTIONS with no trunk slot left")                 \
  X(options_unmatched, "OPTIONS responses without a pending request")             \
  X(options_evicted, "pending OPTIONS overwritten by a colliding one")            \
  X(ignored, "requests not tracked (REGISTER, SUBSCRIBE, MESSAGE out of dialog)")

enum class CallTableCounter : uint8_t {
#define TG_X(name, text) name,
  TG_CALL_TABLE_COUNTERS(TG_X)
#undef TG_X
      count_
};
constexpr size_t kCallTableCounterCount = size_t(CallTableCounter::count_);
const char* call_table_counter_name(CallTableCounter);
const char* call_table_counter_text(CallTableCounter);

constexpr uint32_t kNoCall = UINT32_MAX;
constexpr uint8_t kNoTrunk = UINT8_MAX;
constexpr int kMaxTrunks = 32;
constexpr int kCallIdBytes = 80;    // longer Call-IDs: prefix kept, full hash + length matched
constexpr int kCallUserBytes = 24;  // From/To user parts (numbers) kept for reports
constexpr int kCallTargetBytes = 48;
constexpr int kCallMaxSsrcs = 8;
constexpr int kCallMaxForks = 4;

// A handle that stays safe after the record is reused (generation check).
struct CallRef {
  uint32_t slot = kNoCall;
  uint32_t generation = 0;
  bool valid() const { return slot != kNoCall; }
};

struct CallTransfer {
  TransferKind kind = TransferKind::none;
  TransferResult result = TransferResult::pending;
  Party by = Party::none;       // who sent the REFER; for 3xx: callee
  uint16_t code = 0;            // sipfrag / REFER response / redirected attempt's final code
  uint8_t target_len = 0;
  char target[kCallTargetBytes] = {};  // Refer-To or 3xx Contact (prefix)
  std::string_view target_text() const { return {target, target_len}; }
};

struct Call {
  // --- identity (hot: looked at on every message) ---
  uint64_t id_hash = 0;
  uint32_t generation = 0;
  uint16_t call_id_len = 0;     // full length, may exceed kCallIdBytes
  CallState state = CallState::calling;
  uint8_t trunk = kNoTrunk;
  uint64_t caller_tag = 0;      // hash of the caller's From tag
  uint64_t callee_tag = 0;      // hash of the answering fork's To tag
  uint64_t fork_tags[kCallMaxForks] = {};
  uint32_t invite_cseq = 0;     // current initial-INVITE transaction
  uint32_t reinvite_cseq = 0;
  uint32_t refer_cseq = 0;
  uint32_t bye_cseq = 0;        // the BYE that ended the call (its response is looked for)
  uint32_t last_cseq[2] = {};   // last request CSeq per party (caller, callee)
  TimeNs deadline = 0;          // next timer: setup timeout, idle timeout or removal

  // --- times (ns; 0 = not happened) ---
  TimeNs t_invite = 0;          // first INVITE of this attempt
  TimeNs t_first_response = 0;  // first non-100 response counted for SRD
  TimeNs t_first_18x = 0;       // PDD end
  TimeNs t_answer = 0;
  TimeNs t_ack = 0;
  TimeNs t_end = 0;             // BYE, final failure, CANCEL outcome or timeout
  TimeNs t_last = 0;            // last SIP message

  // --- outcome ---
  uint16_t final_code = 0;      // 0: none (timeout)
  int16_t reason_cause = -1;    // Q.850 cause from Reason on BYE/CANCEL
  uint16_t retransmissions = 0;
  uint16_t messages = 0;
  uint16_t hold_count = 0;
  uint16_t bye_code = 0;        // final response to the BYE; 0 none seen
  uint16_t ok_retransmissions = 0;  // the INVITE's 2xx seen again after the answer: its ACK did not arrive
  Party hangup = Party::none;
  Party held_by = Party::none;
  CallDirection direction = CallDirection::outbound;
  uint8_t fork_count = 0;       // distinct early dialogs (forked 18x)
  uint8_t ssrc_count = 0;
  bool on_hold = false;
  bool cancel_seen = false;
  bool challenged = false;      // last final was 401/407: the UAC may retry
  bool redirect_followup = false;  // this attempt follows a 3xx on the same Call-ID
  bool ended_by_timer = false;
  uint8_t from_len = 0, to_len = 0;

  Endpoint caller_signal, callee_signal;  // INVITE src / dst
  Endpoint caller_media, callee_media;    // first audio m= of each side's SDP
  uint32_t ssrcs[kCallMaxSsrcs] = {};
  CallRef redirected_from;                // 3xx call this one follows (new Call-ID)
  CallTransfer transfer;
  char call_id[kCallIdBytes] = {};
  char from_user[kCallUserBytes] = {};
  char to_user[kCallUserBytes] = {};

  std::string_view call_id_text() const {
    return {call_id, call_id_len < kCallIdBytes ? call_id_len : size_t(kCallIdBytes)};
  }
  std::string_view from_text() const { return {from_user, from_len}; }
  std::string_view to_text() const { return {to_user, to_len}; }
  // Derived figures in ms; -1 when not measured.
  int64_t pdd_ms() const { return t_first_18x ? int64_t((t_first_18x - t_invite) / kNsPerMs) : -1; }
  int64_t srd_ms() const { return t_first_response ? int64_t((t_first_response - t_invite) / kNsPerMs) : -1; }
  int64_t duration_ms() const {
    return t_answer && t_end ? int64_t((t_end - t_answer) / kNsPerMs) : -1;
  }
};

// Memory per call: the record (480 bytes on x86-64 with GCC 12) plus two
// 4-byte index words (the index has twice as many slots as records, load
// <= 0.5): 488 bytes per call. The assert fails the build if a change grows
// the record past its 512-byte budget.
constexpr size_t kCallRecordBytes = 512;
static_assert(sizeof(Call) <= kCallRecordBytes, "call record grew past its budget");
constexpr size_t kCallBytesPerCall = kCallRecordBytes + 2 * sizeof(uint32_t);

// What the call table tells the stream table: an SDP offer or answer said
// `owner` receives RTP for media line `media_index` at `rtp` (RTCP at `rtcp`).
struct MediaAnnouncement {
  CallRef call;
  std::string_view call_id;
  Party owner = Party::none;
  bool answer = false;                    // false: offer
  uint8_t media_index = 0;
  Endpoint rtp, rtcp;
  MediaDirection direction = MediaDirection::sendrecv;
  const SdpMedia* media = nullptr;        // codecs (valid during the callback only)
};

// Callbacks: all run synchronously inside on_sip()/expire(); they must not
// call back into the table's mutating functions.
class CallObserver {
 public:
  virtual ~CallObserver() = default;
  virtual void on_media(const MediaAnnouncement&) {}
  // The record is about to be freed (settled or ended, then lingered), or the
  // table is being flushed: the last chance to write a call record.
  virtual void on_call_removed(const Call&) {}
};

struct CallTableConfig {
  uint32_t capacity = 4096;
  // RFC 3261 Timer B (64*T1): no response at all to an INVITE.
  TimeNs no_response_timeout = 32 * kNsPerSec;
  // After a provisional, like a proxy's Timer C (> 3 min): no final answer.
  TimeNs ringing_timeout = 180 * kNsPerSec;
  // A settled call stays this long to absorb retransmissions (64*T1).
  TimeNs linger = 32 * kNsPerSec;
  // An answered call with no SIP message (and no touch()) for this long ends.
  TimeNs idle_timeout = 2 * 3600 * kNsPerSec;
  // An OPTIONS with no response after this long counts as a probe timeout.
  TimeNs options_timeout = 5 * kNsPerSec;
  // Without a configured trunk, count calls by the INVITE's destination IP.
  bool auto_trunks = true;
  uint64_t hash_seed = 0x7467636174626c65ULL;
};

struct TrunkInfo {
  char name[32] = {};
  Endpoint sbc;          // port 0 matches any port
  bool configured = false;  // from add_trunk / set_trunks, else named by address
  bool retired = false;     // left the configured table: counters kept, never matched
  TrunkCounters counters;            // both directions
  // Split by CallDirection (outbound: to the trunk, our ASR towards the
  // carrier; inbound: from it, the far side's calls to us). OPTIONS count in
  // the direction they were sent.
  TrunkCounters direction[2];
  const TrunkCounters& outbound() const { return direction[size_t(CallDirection::outbound)]; }
  const TrunkCounters& inbound() const { return direction[size_t(CallDirection::inbound)]; }
};

// Updates a trunk's total and per-direction counters together.
class TrunkTap {
 public:
  TrunkTap() = default;
  TrunkTap(TrunkCounters* all, TrunkCounters* dir) : all_(all), dir_(dir) {}
  explicit operator bool() const { return all_ != nullptr; }
  void inc(TrunkCounter k, uint64_t n = 1) {
    (*all_)[k] += n;
    (*dir_)[k] += n;
  }
  void max(uint32_t TrunkCounters::*field, uint64_t v) {
    uint32_t v32 = v > UINT32_MAX ? UINT32_MAX : uint32_t(v);
    if (all_->*field < v32) all_->*field = v32;
    if (dir_->*field < v32) dir_->*field = v32;
  }
  void set(uint32_t TrunkCounters::*field, uint64_t v) {
    uint32_t v32 = v > UINT32_MAX ? UINT32_MAX : uint32_t(v);
    all_->*field = v32;
    dir_->*field = v32;
  }

 private:
  TrunkCounters* all_ = nullptr;
  TrunkCounters* dir_ = nullptr;
};

class CallTable {
 public:
  explicit CallTable(const CallTableConfig& config = {}, CallObserver* observer = nullptr);
  CallTable(const CallTable&) = delete;
  CallTable& operator=(const CallTable&) = delete;

  // A trunk by its SBC: calls to it are outbound, from it inbound. Returns
  // its index or kNoTrunk when the trunk table is full. Set up before traffic.
  uint8_t add_trunk(std::string_view name, const Endpoint& sbc);

  // Replaces the configured trunks by `trunks`, whole, in one call (between
  // two packets). Indices stay stable for calls in flight: a trunk of the
  // same name keeps its slot and counters (new SBC), one named by the
  // address of a new trunk's SBC is adopted (its calls were that trunk's),
  // a trunk no longer listed is retired (counters kept, no longer matched),
  // a new one takes a free slot, else a retired one's. False, and nothing
  // changed, when the slots do not suffice.
  struct TrunkSpec {
    std::string_view name;
    Endpoint sbc;
  };
  bool set_trunks(const TrunkSpec* trunks, size_t count);

  // Feeds one parsed SIP message. `sdp` is its parsed body, or nullptr.
  // Returns the call the message belongs to (invalid for OPTIONS, ignored or
  // unknown messages).
  CallRef on_sip(const SipMessage& msg, const SdpSession* sdp, const Endpoint& src,
                 const Endpoint& dst, TimeNs now);

  // Runs timers for at most `budget` records (and as many pending OPTIONS),
  // continuing where the last call stopped: bounded work per fast-path loop.
  void expire(TimeNs now, uint32_t budget);
  // Every record, at once (tg-analyze at the end of a capture, tests).
  void expire(TimeNs now) { expire(now, config_.capacity); }
  // Reports every remaining call through on_call_removed and empties the table.
  void flush();

  // Media seen for the call: keeps an answered call from idling out.
  void touch(CallRef, TimeNs now);
  // The stream table found a stream of this call. False if the list is full
  // or the call is gone; a known SSRC is not added twice.
  bool add_ssrc(CallRef, uint32_t ssrc);

  const Call* find(std::string_view call_id) const;
  const Call* get(CallRef) const;
  CallRef ref_of(const Call&) const;
  // The call now in `slot` (what the stream table keeps), invalid if free.
  CallRef ref_at(uint32_t slot) const;
  uint32_t active() const { return used_; }
  uint32_t capacity() const { return config_.capacity; }
  // Visits every record in use (order of slots).
  template <class F>
  void for_each(F&& f) const {
    for (uint32_t i = 0; i < config_.capacity; ++i)
      if (in_use_[i]) f(calls_[i]);
  }

  int trunk_count() const { return trunk_count_; }
  const TrunkInfo& trunk(int i) const { return trunks_[i]; }
  uint64_t counter(CallTableCounter c) const { return counters_[size_t(c)]; }

  void set_observer(CallObserver* o) { observer_ = o; }

 private:
  struct PendingOptions {
    uint64_t key = 0;      // Call-ID hash ^ CSeq
    TimeNs sent = 0;
    uint8_t trunk = kNoTrunk;
    CallDirection direction = CallDirection::outbound;
    bool used = false;
  };
  static constexpr uint32_t kOptionsSlots = 256;
  static constexpr int kRedirectRing = 16;
  struct RecentRedirect {
    uint64_t target_hash = 0;
    CallRef call;
  };

  uint64_t hash_text(std::string_view s) const;
  Call* get_mut(CallRef);
  uint32_t lookup(uint64_t hash, std::string_view call_id) const;
  uint32_t allocate(uint64_t hash);
  void release(uint32_t slot);
  void count(CallTableCounter c) { ++counters_[size_t(c)]; }
  TrunkTap tap(uint8_t trunk, CallDirection dir) {
    if (trunk == kNoTrunk) return {};
    return {&trunks_[trunk].counters, &trunks_[trunk].direction[size_t(dir)]};
  }
  TrunkTap tap(const Call& c) { return tap(c.trunk, c.direction); }
  uint8_t trunk_for(const Endpoint& src, const Endpoint& dst, CallDirection& dir);
  uint8_t match_trunk(const Endpoint& e) const;
  uint8_t auto_trunk(const IpAddr& addr);

  CallRef on_request(const SipMessage&, const SdpSession*, const Endpoint&, const Endpoint&, TimeNs);
  CallRef on_response(const SipMessage&, const SdpSession*, TimeNs);
  CallRef new_call(const SipMessage&, const SdpSession*, uint64_t hash, const Endpoint&,
                   const Endpoint&, TimeNs);
  void on_invite_again(Call&, const SipMessage&, const SdpSession*, TimeNs);
  void on_invite_response(Call&, const SipMessage&, const SdpSession*, TimeNs);
  void on_bye(Call&, const SipMessage&, Party, TimeNs);
  void on_refer(Call&, const SipMessage&, Party);
  void on_notify(Call&, const SipMessage&);
  void on_options_request(const SipMessage&, const Endpoint&, const Endpoint&, TimeNs);
  void on_options_response(const SipMessage&, TimeNs);
  void start_attempt(Call&, TimeNs);
  void settle(Call&, CallState, uint16_t code, TimeNs);
  void resolve_transfer(Call&, TransferResult, uint16_t code);
  void resolve_redirect_followup(Call&);
  void mark_first_response(Call&, uint16_t code, TimeNs);
  void offer_answer(Call&, const SdpSession&, Party owner, bool answer);
  void run_timer(uint32_t slot, TimeNs now);
  Party sender_of(const Call&, const SipMessage&) const;

  CallTableConfig config_;
  CallObserver* observer_;
  std::unique_ptr<Call[]> calls_;
  std::unique_ptr<bool[]> in_use_;
  std::unique_ptr<uint32_t[]> index_;     // slot + 1, 0 = empty
  std::unique_ptr<uint32_t[]> free_;      // stack of free slots
  uint32_t index_mask_ = 0;
  uint32_t free_top_ = 0;
  uint32_t used_ = 0;
  uint32_t sweep_cursor_ = 0;
  uint32_t options_cursor_ = 0;
  uint64_t counters_[kCallTableCounterCount] = {};
  TrunkInfo trunks_[kMaxTrunks];
  int trunk_count_ = 0;
  PendingOptions options_[kOptionsSlots];
  RecentRedirect redirects_[kRedirectRing];
  int redirect_next_ = 0;
};

}  // namespace tg
