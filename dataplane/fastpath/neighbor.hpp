// Address -> MAC table of one port: the ARP cache (IPv4) and the Neighbor
// Discovery cache (IPv6) are the same table over two key types. Fixed
// capacity, open addressing with a bounded probe: a lookup or insert looks
// at most kNeighborProbe slots; when all are taken the oldest of them is
// replaced. Never allocates after construction.
//
// PendingResolutions is the other half of both protocols: the addresses we
// still have to ask for (ARP request / Neighbor Solicitation), retried at
// most kResolveTries times at the caller's interval, in a fixed array.
#pragma once
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>

#include "common/bytes.hpp"

namespace tg::fastpath {

using Mac = std::array<uint8_t, 6>;
// An IPv6 address in network byte order (as on the wire).
using Ip6 = std::array<uint8_t, 16>;
constexpr Mac kBroadcastMac{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
constexpr uint32_t kNeighborProbe = 16;

// The all-zero address (0.0.0.0, ::) is never a neighbour: it marks a free slot.
inline bool addr_is_zero(uint32_t a) { return a == 0; }
inline bool addr_is_zero(const Ip6& a) {
  uint64_t w[2];
  std::memcpy(w, a.data(), 16);
  return (w[0] | w[1]) == 0;
}
uint64_t addr_hash(uint32_t a);
uint64_t addr_hash(const Ip6& a);

template <class Addr>
struct BasicNeighbor {
  Addr ip{};  // IPv4 host order / IPv6 wire order; zero = empty slot
  Mac mac{};
  TimeNs updated = 0;
};

template <class Addr>
class BasicNeighborTable {
 public:
  explicit BasicNeighborTable(uint32_t capacity = 1024);
  // Inserts or refreshes; false if the address is zero (never stored).
  bool learn(const Addr& ip, const Mac& mac, TimeNs now);
  const BasicNeighbor<Addr>* lookup(const Addr& ip) const;
  uint32_t size() const { return size_; }

 private:
  uint32_t home(const Addr& ip) const { return uint32_t(addr_hash(ip)) & mask_; }
  uint32_t mask_;
  uint32_t size_ = 0;
  std::unique_ptr<BasicNeighbor<Addr>[]> slots_;
};

using Neighbor = BasicNeighbor<uint32_t>;
using NeighborTable = BasicNeighborTable<uint32_t>;
using Neighbor6 = BasicNeighbor<Ip6>;
using Neighbor6Table = BasicNeighborTable<Ip6>;
extern template class BasicNeighborTable<uint32_t>;
extern template class BasicNeighborTable<Ip6>;

template <class Addr>
struct ResolveWant {
  uint8_t port = 0;
  Addr ip{};
};
using ArpWant = ResolveWant<uint32_t>;
using NdWant = ResolveWant<Ip6>;

constexpr uint8_t kResolveTries = 5;

template <class Addr, uint32_t N>
class PendingResolutions {
 public:
  // Asks for a resolution; asked again by traffic after giving up, it
  // starts over. When full, the entry tried the longest is replaced.
  void want(uint8_t port, const Addr& ip, TimeNs now) {
    Slot* slot = nullptr;
    for (Slot& s : slots_) {
      if (s.used && s.port == port && s.ip == ip) {
        if (s.tries >= kResolveTries) s.tries = 0;
        return;
      }
      if (!slot && !s.used) slot = &s;
    }
    if (!slot) {
      slot = &slots_[0];
      for (Slot& s : slots_)
        if (s.tries > slot->tries) slot = &s;
    }
    *slot = Slot{true, port, 0, ip, now};
  }
  void resolved(uint8_t port, const Addr& ip) {
    for (Slot& s : slots_)
      if (s.used && s.port == port && s.ip == ip) s = Slot{};
  }
  bool pending(uint8_t port, const Addr& ip) const {
    for (const Slot& s : slots_)
      if (s.used && s.port == port && s.ip == ip) return true;
    return false;
  }
  // Requests to send now: new ones at once, then every `retry`.
  uint32_t take(ResolveWant<Addr>* out, uint32_t max, TimeNs now, TimeNs retry) {
    uint32_t n = 0;
    for (Slot& s : slots_) {
      if (n == max) break;
      if (!s.used || s.tries >= kResolveTries) continue;
      if (s.tries > 0 && now - s.last_sent < retry) continue;
      out[n++] = ResolveWant<Addr>{s.port, s.ip};
      s.last_sent = now;
      ++s.tries;
    }
    return n;
  }

 private:
  struct Slot {
    bool used = false;
    uint8_t port = 0;
    uint8_t tries = 0;  // requests sent; given up after kResolveTries
    Addr ip{};
    TimeNs last_sent = 0;
  };
  Slot slots_[N];
};

}  // namespace tg::fastpath
