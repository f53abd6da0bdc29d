#include "dataplane/fastpath/nat.hpp"

#include <bit>
#include <type_traits>

#include "common/net.hpp"

namespace tg::fastpath {

namespace {
// How far pick_port walks from the wanted port before giving up; keeps the
// worst case of a new mapping bounded.
constexpr uint32_t kPortSearch = 512;
constexpr uint16_t kFirstDynamicPort = 1024;
}  // namespace

template <class Addr>
BasicNatTable<Addr>::BasicNatTable(uint32_t capacity, NatTimeouts timeouts)
    : capacity_(capacity ? capacity : 1), timeouts_(timeouts) {
  uint32_t slots = std::bit_ceil(capacity_ * 2u);
  index_mask_ = slots - 1;
  entries_ = std::make_unique<Entry[]>(capacity_);
  free_ = std::make_unique<uint32_t[]>(capacity_);
  for (uint32_t i = 0; i < capacity_; ++i) free_[i] = capacity_ - 1 - i;
  free_top_ = capacity_;
  index_ = std::make_unique<uint32_t[]>(slots);
  for (uint32_t i = 0; i < slots; ++i) index_[i] = kEmpty;
  by_ext_ = std::make_unique<uint32_t[]>(size_t(kNatProtoCount) * 65536);
  for (size_t i = 0; i < size_t(kNatProtoCount) * 65536; ++i) by_ext_[i] = kEmpty;
}

template <class Addr>
size_t BasicNatTable<Addr>::memory_bytes() const {
  return capacity_ * (sizeof(Entry) + sizeof(uint32_t)) + (index_mask_ + 1) * sizeof(uint32_t) +
         size_t(kNatProtoCount) * 65536 * sizeof(uint32_t);
}

template <class Addr>
TimeNs BasicNatTable<Addr>::timeout(NatProto p) const {
  switch (p) {
    case NatProto::tcp: return timeouts_.tcp;
    case NatProto::icmp: return timeouts_.icmp;
    default: return timeouts_.udp;
  }
}

template <class Addr>
uint64_t BasicNatTable<Addr>::key_hash(NatProto proto, const Addr& lan_ip, uint16_t lan_port) const {
  // IPv4 keys fit one word: a single mix on the per-packet path.
  if constexpr (std::is_same_v<Addr, uint32_t>)
    return mix64(uint64_t(lan_ip) << 24 | uint64_t(lan_port) << 8 | uint8_t(proto));
  else
    return mix64(addr_hash(lan_ip) ^ (uint64_t(lan_port) << 8 | uint8_t(proto)));
}

template <class Addr>
uint32_t BasicNatTable<Addr>::find_slot(NatProto proto, const Addr& lan_ip, uint16_t lan_port) const {
  for (uint32_t s = uint32_t(key_hash(proto, lan_ip, lan_port)) & index_mask_;; s = (s + 1) & index_mask_) {
    uint32_t e = index_[s];
    if (e == kEmpty) return s;
    const Entry& n = entries_[e];
    if (n.proto == proto && n.lan_ip == lan_ip && n.lan_port == lan_port) return s;
  }
}

template <class Addr>
bool BasicNatTable<Addr>::pick_port(NatProto proto, uint16_t wanted, uint16_t& out) const {
  const uint32_t* ext = &by_ext_[size_t(proto) * 65536];
  if (ext[wanted] == kEmpty && (wanted != 0 || proto == NatProto::icmp)) {
    out = wanted;
    return true;
  }
  // Walk in steps of two from the wanted port within the dynamic range:
  // RTP (even) / RTCP (odd) pairs keep their parity and stay adjacent.
  uint32_t p = wanted < kFirstDynamicPort ? kFirstDynamicPort + (wanted & 1) : wanted;
  for (uint32_t i = 0; i < kPortSearch; ++i) {
    p += 2;
    // Jump over the kernel's range rather than spend the search in it.
    if (p >= kernel_lo_ && p <= kernel_hi_) p = kernel_hi_ + 1 + ((kernel_hi_ + 1 + p) & 1);
    if (p > 65535) p = kFirstDynamicPort + (p & 1);
    if (ext[p] == kEmpty) {
      out = uint16_t(p);
      return true;
    }
  }
  return false;
}

template <class Addr>
const BasicNatEntry<Addr>* BasicNatTable<Addr>::outbound(NatProto proto, const Addr& lan_ip, uint16_t lan_port,
                                                         TimeNs now, NatResult& result) {
  uint32_t slot = find_slot(proto, lan_ip, lan_port);
  if (index_[slot] != kEmpty) {
    Entry& e = entries_[index_[slot]];
    e.last_seen = now;
    result = NatResult::ok;
    return &e;
  }
  if (free_top_ == 0) {
    result = NatResult::table_full;
    return nullptr;
  }
  uint16_t ext = 0;
  if (!pick_port(proto, lan_port, ext)) {
    result = NatResult::ports_exhausted;
    return nullptr;
  }
  uint32_t idx = free_[--free_top_];
  Entry& e = entries_[idx];
  e = Entry{lan_ip, lan_port, ext, now, proto, true};
  index_[slot] = idx;
  by_ext_[size_t(proto) * 65536 + ext] = idx;
  ++used_;
  result = NatResult::ok;
  return &e;
}

template <class Addr>
void BasicNatTable<Addr>::reserve(NatProto proto, uint16_t ext_port) {
  uint32_t& slot = by_ext_[size_t(proto) * 65536 + ext_port];
  if (slot == kEmpty) slot = kReserved;
}

template <class Addr>
void BasicNatTable<Addr>::reserve_range(uint16_t lo, uint16_t hi) {
  kernel_lo_ = lo;
  kernel_hi_ = hi;
  for (uint32_t p = lo; p <= hi; ++p) {
    reserve(NatProto::udp, uint16_t(p));
    reserve(NatProto::tcp, uint16_t(p));
  }
}

template <class Addr>
const BasicNatEntry<Addr>* BasicNatTable<Addr>::inbound(NatProto proto, uint16_t ext_port, TimeNs now) {
  uint32_t idx = by_ext_[size_t(proto) * 65536 + ext_port];
  if (idx == kEmpty || idx == kReserved) return nullptr;
  Entry& e = entries_[idx];
  e.last_seen = now;
  return &e;
}

template <class Addr>
void BasicNatTable<Addr>::remove(uint32_t idx) {
  Entry& e = entries_[idx];
  uint32_t hole = find_slot(e.proto, e.lan_ip, e.lan_port);
  // Backward-shift deletion keeps linear probing correct without tombstones.
  for (uint32_t s = (hole + 1) & index_mask_; index_[s] != kEmpty; s = (s + 1) & index_mask_) {
    const Entry& m = entries_[index_[s]];
    uint32_t home = uint32_t(key_hash(m.proto, m.lan_ip, m.lan_port)) & index_mask_;
    // Move m into the hole if its home is not cyclically within (hole, s].
    if (((s - home) & index_mask_) >= ((s - hole) & index_mask_)) {
      index_[hole] = index_[s];
      hole = s;
    }
  }
  index_[hole] = kEmpty;
  by_ext_[size_t(e.proto) * 65536 + e.ext_port] = kEmpty;
  e.in_use = false;
  free_[free_top_++] = idx;
  --used_;
}

template <class Addr>
uint32_t BasicNatTable<Addr>::expire(TimeNs now, uint32_t budget) {
  uint32_t removed = 0;
  for (uint32_t i = 0; i < budget && i < capacity_; ++i) {
    uint32_t idx = sweep_;
    sweep_ = sweep_ + 1 == capacity_ ? 0 : sweep_ + 1;
    Entry& e = entries_[idx];
    if (e.in_use && now > e.last_seen && now - e.last_seen > timeout(e.proto)) {
      remove(idx);
      ++removed;
    }
  }
  return removed;
}

template class BasicNatTable<uint32_t>;
template class BasicNatTable<Ip6>;

}  // namespace tg::fastpath
