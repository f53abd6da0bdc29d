#include "dataplane/fastpath/neighbor.hpp"

#include <bit>

#include "common/net.hpp"

namespace tg::fastpath {

uint64_t addr_hash(uint32_t a) { return mix64(a); }
uint64_t addr_hash(const Ip6& a) {
  uint64_t w[2];
  std::memcpy(w, a.data(), 16);
  return mix64(w[0] ^ mix64(w[1]));
}

template <class Addr>
BasicNeighborTable<Addr>::BasicNeighborTable(uint32_t capacity) {
  uint32_t n = std::bit_ceil(capacity < kNeighborProbe ? kNeighborProbe : capacity);
  mask_ = n - 1;
  slots_ = std::make_unique<BasicNeighbor<Addr>[]>(n);
}

template <class Addr>
bool BasicNeighborTable<Addr>::learn(const Addr& ip, const Mac& mac, TimeNs now) {
  if (addr_is_zero(ip)) return false;
  uint32_t h = home(ip), oldest = h;
  for (uint32_t i = 0; i < kNeighborProbe; ++i) {
    BasicNeighbor<Addr>& n = slots_[(h + i) & mask_];
    const bool empty = addr_is_zero(n.ip);
    if (empty || n.ip == ip) {
      if (empty) ++size_;
      n = BasicNeighbor<Addr>{ip, mac, now};
      return true;
    }
    if (n.updated < slots_[oldest].updated) oldest = (h + i) & mask_;
  }
  slots_[oldest] = BasicNeighbor<Addr>{ip, mac, now};
  return true;
}

template <class Addr>
const BasicNeighbor<Addr>* BasicNeighborTable<Addr>::lookup(const Addr& ip) const {
  uint32_t h = home(ip);
  for (uint32_t i = 0; i < kNeighborProbe; ++i) {
    const BasicNeighbor<Addr>& n = slots_[(h + i) & mask_];
    if (n.ip == ip) return addr_is_zero(ip) ? nullptr : &n;
    if (addr_is_zero(n.ip)) return nullptr;
  }
  return nullptr;
}

template class BasicNeighborTable<uint32_t>;
template class BasicNeighborTable<Ip6>;

}  // namespace tg::fastpath
