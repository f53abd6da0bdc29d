// Packet capture ring: the fast path copies packets a capture_start command
// selected into fixed-size slots of one shared-memory object
// (`<prefix>-capture`, created by tg-dataplane at start); the control daemon
// drains it into a pcap file. Single producer (the forwarding lcore), single
// consumer. A full ring drops the packet and counts it: the fast path never
// waits for the writer. The producer writes straight into the slot (no copy
// of a whole 2 kB item per packet), the consumer reads the slot in place.
//
// Layout: CaptureHeader (4 cache lines) then capacity x CaptureSlot (2 kB).
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

#include "dataplane/api/messages.hpp"
#include "dataplane/api/shm.hpp"

namespace tg::api {

constexpr uint32_t kCaptureMagic = 0x54474350;  // "TGCP"
constexpr uint16_t kCaptureLayoutVersion = 1;
constexpr uint32_t kCaptureSlotSize = 2048;
constexpr uint32_t kDefaultCaptureSlots = 1024;  // 2 MB: ~200 ms of a busy call-center trunk

// What the fast path knows about a packet when it offers it.
#define TG_CAPTURE_CLASSES(X)                          \
  X(other, "not SIP/RTP (or inspection off)")          \
  X(sip, "SIP (UDP/TCP, TLS, unparsable SIP)")         \
  X(rtp, "RTP or RTCP")

enum class CaptureClass : uint8_t {
#define TG_X(name, text) name,
  TG_CAPTURE_CLASSES(TG_X)
#undef TG_X
      count_
};
const char* capture_class_name(CaptureClass);

enum class CaptureDirection : uint8_t { outbound = 0, inbound = 1 };  // LAN -> uplink, uplink -> LAN

struct CaptureSlotHeader {
  TimeNs time_ns;        // fast path clock; wall = time_ns + CaptureHeader::wall_offset_ns
  uint32_t capture_id;   // CaptureFilterWire::capture_id of the capture that took it
  uint16_t orig_len;     // frame length on the wire
  uint16_t cap_len;      // bytes in data (<= snaplen)
  uint8_t uplink;        // uplink index the packet uses
  CaptureDirection direction;
  CaptureClass klass;
  uint8_t reserved[5];
};
static_assert(sizeof(CaptureSlotHeader) == 24);
constexpr uint32_t kCaptureMaxSnap = kCaptureSlotSize - sizeof(CaptureSlotHeader);

struct CaptureSlot {
  CaptureSlotHeader h;
  uint8_t data[kCaptureMaxSnap];
};
static_assert(sizeof(CaptureSlot) == kCaptureSlotSize);
static_assert(std::is_trivially_copyable_v<CaptureSlot>);

struct CaptureHeader {
  std::atomic<uint32_t> magic;    // stored last (release) by init()
  uint16_t layout_version;        // kCaptureLayoutVersion
  uint16_t slot_size;             // kCaptureSlotSize
  uint32_t capacity;              // slots, power of two
  uint32_t reserved0;
  uint64_t creator_pid;
  uint64_t created_ns;
  uint8_t pad0[32];
  // Producer-written state of the current capture (read by anyone).
  alignas(64) std::atomic<uint32_t> capture_id;  // running capture, 0 = none
  std::atomic<uint32_t> last_capture_id;         // the capture the counters below belong to
  std::atomic<int64_t> wall_offset_ns;           // CLOCK_REALTIME - fast path clock, at capture start
  std::atomic<uint64_t> matched;                 // packets the filter selected
  std::atomic<uint64_t> captured;                // ...written to a slot
  std::atomic<uint64_t> dropped;                 // ...lost: ring full
  std::atomic<uint64_t> truncated;               // ...cut to snaplen
  std::atomic<uint64_t> stopped_ns;              // fast path clock when it stopped (0 while running)
  alignas(64) std::atomic<uint64_t> head;        // next slot to write; producer only
  uint8_t pad1[56];
  alignas(64) std::atomic<uint64_t> tail;        // next slot to read; consumer only
  uint8_t pad2[56];
};
static_assert(sizeof(CaptureHeader) == 256);

struct CaptureLayout {
  static constexpr bool valid_capacity(uint32_t c) { return c >= 2 && (c & (c - 1)) == 0; }
  static constexpr size_t bytes_for(uint32_t capacity) { return sizeof(CaptureHeader) + size_t(capacity) * kCaptureSlotSize; }
  static CaptureSlot* slots(CaptureHeader* h) {
    return reinterpret_cast<CaptureSlot*>(reinterpret_cast<uint8_t*>(h) + sizeof(CaptureHeader));
  }
  // Creator: `mem` zeroed, >= bytes_for(capacity).
  static CaptureHeader* init(void* mem, uint32_t capacity, uint64_t pid, uint64_t now_ns);
  // Peer: checks magic, versions, sizes. nullptr + error if this build cannot read it.
  static CaptureHeader* attach(void* mem, size_t size, std::string& error);
};

// The filter as the producer keeps it (from CaptureFilterWire + Command::uplink).
struct CaptureFilter {
  uint32_t host_v4 = 0;         // 0 = any
  uint8_t uplink = kNoUplink;   // kNoUplink = any
  uint8_t classes = 0;          // 0 = any
  uint8_t directions = 0;       // 0 = both
};

// True when the filter selects this packet. frame: Ethernet (one 802.1Q tag
// allowed), host match on IPv4 source or destination. No allocation.
bool capture_matches(const CaptureFilter& f, const uint8_t* frame, uint16_t len, uint8_t uplink,
                     CaptureDirection dir, CaptureClass klass);
// Checks a capture_start command; ok or the reason (bad_capture, bad_uplink).
CommandResult capture_check(const Command& c, uint8_t uplink_count);

// Fast-path end. offer() is the per-packet call: no allocation, no lock, no
// syscall; when no capture runs it is one predictable branch (active()).
class CaptureProducer {
 public:
  CaptureProducer() = default;
  explicit CaptureProducer(CaptureHeader* h) { bind(h); }
  void bind(CaptureHeader* h);
  bool bound() const { return h_ != nullptr; }
  bool active() const { return active_; }

  // capture_start / capture_stop from the command ring (control lcore).
  // wall_ns: CLOCK_REALTIME now, for the slots' timestamps.
  CommandResult apply(const Command& c, TimeNs now, int64_t wall_ns, uint8_t uplink_count);
  // Stops a capture whose max_duration passed (the reader may be gone).
  // True when it stopped one now.
  bool expire(TimeNs now);

  bool offer(const uint8_t* frame, uint16_t len, TimeNs now, uint8_t uplink, CaptureDirection dir,
             CaptureClass klass) {
    if (!active_ || !capture_matches(filter_, frame, len, uplink, dir, klass)) return false;
    bump(h_->matched);
    if (head_ - tail_cache_ > mask_) {
      tail_cache_ = h_->tail.load(std::memory_order_acquire);
      if (head_ - tail_cache_ > mask_) {
        bump(h_->dropped);
        return false;
      }
    }
    CaptureSlot& s = slots_[head_ & mask_];
    const uint16_t cap = len < snaplen_ ? len : uint16_t(snaplen_);
    s.h.time_ns = now;
    s.h.capture_id = id_;
    s.h.orig_len = len;
    s.h.cap_len = cap;
    s.h.uplink = uplink;
    s.h.direction = dir;
    s.h.klass = klass;
    std::memcpy(s.data, frame, cap);
    if (cap < len) bump(h_->truncated);
    h_->head.store(++head_, std::memory_order_release);
    bump(h_->captured);
    return true;
  }

 private:
  static void bump(std::atomic<uint64_t>& c) { c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed); }
  void stop(TimeNs now);

  CaptureHeader* h_ = nullptr;
  CaptureSlot* slots_ = nullptr;
  uint32_t mask_ = 0;
  uint64_t head_ = 0;
  uint64_t tail_cache_ = 0;
  bool active_ = false;
  uint32_t id_ = 0;
  uint32_t snaplen_ = kCaptureMaxSnap;
  TimeNs stop_at_ = 0;  // 0 = no limit
  CaptureFilter filter_;
};

// Reader end: slots are read in place, then released.
class CaptureConsumer {
 public:
  CaptureConsumer() = default;
  explicit CaptureConsumer(CaptureHeader* h) { bind(h); }
  void bind(CaptureHeader* h);
  bool bound() const { return h_ != nullptr; }
  // The oldest unread slot, or nullptr.
  const CaptureSlot* peek() {
    if (head_cache_ == tail_) head_cache_ = h_->head.load(std::memory_order_acquire);
    return head_cache_ == tail_ ? nullptr : &slots_[tail_ & mask_];
  }
  void release() { h_->tail.store(++tail_, std::memory_order_release); }
  size_t pending() { return size_t(h_->head.load(std::memory_order_acquire) - tail_); }
  const CaptureHeader& header() const { return *h_; }

 private:
  CaptureHeader* h_ = nullptr;
  const CaptureSlot* slots_ = nullptr;
  uint32_t mask_ = 0;
  uint64_t tail_ = 0;
  uint64_t head_cache_ = 0;
};

std::string capture_shm_name(std::string_view prefix);  // "<prefix>-capture"

// The named region: the fast path creates it, the daemon opens it.
class CaptureRegion {
 public:
  bool create(const std::string& name, uint32_t capacity, uint64_t now_ns, std::string& error);
  bool open(const std::string& name, std::string& error);
  void unlink() { ShmRegion::unlink(shm_.name()); }
  CaptureHeader* header() const { return h_; }

 private:
  ShmRegion shm_;
  CaptureHeader* h_ = nullptr;
};

}  // namespace tg::api
