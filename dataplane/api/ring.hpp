// Single-producer single-consumer ring of fixed-size plain items in shared
// memory (grout/DPDK style: the data path never blocks; when full the item
// is dropped and counted). Lock-free across processes: the indices are
// std::atomic<uint64_t>, which is address-free when always lock-free.
//
// Layout in the region: RingHeader (3 cache lines) then capacity items.
// The creator calls init(); the peer attach()es and is rejected if magic,
// version, item size or capacity do not match what it was built with.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>

#include "dataplane/api/messages.hpp"
#include "dataplane/api/shm.hpp"

namespace tg::api {

static_assert(std::atomic<uint64_t>::is_always_lock_free, "shm atomics must be lock-free");
static_assert(std::atomic<uint32_t>::is_always_lock_free, "shm atomics must be lock-free");

constexpr uint32_t kRingMagic = 0x54475247;  // "TGRG"
constexpr uint16_t kRingLayoutVersion = 1;

struct RingHeader {
  std::atomic<uint32_t> magic;   // stored last (release) by init(): readers see a full header
  uint16_t layout_version;       // kRingLayoutVersion
  uint16_t item_version;         // kMessageVersion of the item type
  uint32_t item_size;
  uint32_t capacity;             // power of two
  uint64_t creator_pid;          // who created it: a new pid means re-attach
  uint64_t created_ns;           // CLOCK_MONOTONIC at creation
  uint32_t item_type;            // kRingItemType<T>: events and commands have the same size
  uint8_t pad0[28];
  alignas(64) std::atomic<uint64_t> head;   // next slot to write; producer only
  uint8_t pad1[56];
  alignas(64) std::atomic<uint64_t> tail;   // next slot to read; consumer only
  uint8_t pad2[56];
  alignas(64) std::atomic<uint64_t> drops;  // pushes refused because full; producer only
  std::atomic<uint64_t> pushed;             // pushes accepted; producer only
  uint8_t pad3[48];
};
static_assert(sizeof(RingHeader) == 256);

// Tells an event ring from a command ring (both items are 64 bytes).
template <class T>
constexpr uint32_t kRingItemType = 0;
template <>
inline constexpr uint32_t kRingItemType<Event> = 1;
template <>
inline constexpr uint32_t kRingItemType<Command> = 2;

template <class T>
struct RingLayout {
  static_assert(std::is_trivially_copyable_v<T>, "ring items must be plain structs");
  static constexpr bool valid_capacity(uint32_t c) { return c >= 2 && (c & (c - 1)) == 0; }
  static constexpr size_t bytes_for(uint32_t capacity) { return sizeof(RingHeader) + size_t(capacity) * sizeof(T); }
  static T* items(RingHeader* h) { return reinterpret_cast<T*>(reinterpret_cast<uint8_t*>(h) + sizeof(RingHeader)); }

  // Creator side: `mem` is zeroed and at least bytes_for(capacity) bytes.
  static RingHeader* init(void* mem, uint32_t capacity, uint16_t item_version, uint64_t pid, uint64_t now_ns) {
    auto* h = static_cast<RingHeader*>(mem);
    h->layout_version = kRingLayoutVersion;
    h->item_version = item_version;
    h->item_size = sizeof(T);
    h->item_type = kRingItemType<T>;
    h->capacity = capacity;
    h->creator_pid = pid;
    h->created_ns = now_ns;
    h->head.store(0, std::memory_order_relaxed);
    h->tail.store(0, std::memory_order_relaxed);
    h->drops.store(0, std::memory_order_relaxed);
    h->pushed.store(0, std::memory_order_relaxed);
    h->magic.store(kRingMagic, std::memory_order_release);
    return h;
  }

  // Peer side: checks the header against this build. nullptr + error if not.
  static RingHeader* attach(void* mem, size_t size, uint16_t item_version, std::string& error) {
    if (size < sizeof(RingHeader)) return error = "ring region too small", nullptr;
    auto* h = static_cast<RingHeader*>(mem);
    if (h->magic.load(std::memory_order_acquire) != kRingMagic) return error = "ring magic mismatch (not initialised?)", nullptr;
    if (h->layout_version != kRingLayoutVersion) return error = "ring layout version " + std::to_string(h->layout_version) + " != " + std::to_string(kRingLayoutVersion), nullptr;
    if (h->item_version != item_version) return error = "ring item version " + std::to_string(h->item_version) + " != " + std::to_string(item_version), nullptr;
    if (h->item_type != kRingItemType<T>) return error = "ring item type " + std::to_string(h->item_type) + " != " + std::to_string(kRingItemType<T>) + " (events/commands swapped?)", nullptr;
    if (h->item_size != sizeof(T)) return error = "ring item size " + std::to_string(h->item_size) + " != " + std::to_string(sizeof(T)), nullptr;
    if (!valid_capacity(h->capacity) || bytes_for(h->capacity) > size) return error = "ring capacity inconsistent with region size", nullptr;
    return h;
  }
};

// Producer end. Keeps a private copy of the consumer index so a push touches
// the shared tail line only when the ring looks full.
template <class T>
class RingProducer {
 public:
  RingProducer() = default;
  explicit RingProducer(RingHeader* h) { bind(h); }
  void bind(RingHeader* h) {
    h_ = h;
    items_ = RingLayout<T>::items(h);
    mask_ = h->capacity - 1;
    head_ = h->head.load(std::memory_order_relaxed);
    tail_cache_ = h->tail.load(std::memory_order_acquire);
  }
  bool bound() const { return h_ != nullptr; }

  // Never blocks. False (and drops+1) when full.
  bool push(const T& item) {
    if (head_ - tail_cache_ > mask_) {
      tail_cache_ = h_->tail.load(std::memory_order_acquire);
      if (head_ - tail_cache_ > mask_) {
        h_->drops.store(h_->drops.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        return false;
      }
    }
    std::memcpy(&items_[head_ & mask_], &item, sizeof(T));
    ++head_;
    h_->head.store(head_, std::memory_order_release);
    h_->pushed.store(h_->pushed.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    return true;
  }
  uint64_t drops() const { return h_->drops.load(std::memory_order_relaxed); }
  uint32_t capacity() const { return mask_ + 1; }

 private:
  RingHeader* h_ = nullptr;
  T* items_ = nullptr;
  uint32_t mask_ = 0;
  uint64_t head_ = 0;
  uint64_t tail_cache_ = 0;
};

// Consumer end.
template <class T>
class RingConsumer {
 public:
  RingConsumer() = default;
  explicit RingConsumer(RingHeader* h) { bind(h); }
  void bind(RingHeader* h) {
    h_ = h;
    items_ = RingLayout<T>::items(h);
    mask_ = h->capacity - 1;
    tail_ = h->tail.load(std::memory_order_relaxed);
    head_cache_ = h->head.load(std::memory_order_acquire);
  }
  bool bound() const { return h_ != nullptr; }

  bool pop(T& out) { return pop_burst(&out, 1) == 1; }
  // Copies up to n items out; returns how many.
  size_t pop_burst(T* out, size_t n) {
    if (head_cache_ == tail_) head_cache_ = h_->head.load(std::memory_order_acquire);
    size_t avail = size_t(head_cache_ - tail_);
    if (avail > n) avail = n;
    for (size_t i = 0; i < avail; ++i) std::memcpy(&out[i], &items_[(tail_ + i) & mask_], sizeof(T));
    if (avail) {
      tail_ += avail;
      h_->tail.store(tail_, std::memory_order_release);
    }
    return avail;
  }
  size_t pending() { return size_t(h_->head.load(std::memory_order_acquire) - tail_); }
  uint64_t drops() const { return h_->drops.load(std::memory_order_relaxed); }
  uint32_t capacity() const { return mask_ + 1; }

 private:
  RingHeader* h_ = nullptr;
  const T* items_ = nullptr;
  uint32_t mask_ = 0;
  uint64_t tail_ = 0;
  uint64_t head_cache_ = 0;
};

using EventProducer = RingProducer<Event>;
using EventConsumer = RingConsumer<Event>;
using CommandProducer = RingProducer<Command>;
using CommandConsumer = RingConsumer<Command>;

}  // namespace tg::api
