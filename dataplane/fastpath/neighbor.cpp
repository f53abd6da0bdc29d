#include "dataplane/fastpath/neighbor.hpp"

#include <bit>

#include "dataplane/core/net.hpp"

namespace tg::fastpath {

NeighborTable::NeighborTable(uint32_t capacity) {
  uint32_t n = std::bit_ceil(capacity < kNeighborProbe ? kNeighborProbe : capacity);
  mask_ = n - 1;
  slots_ = std::make_unique<Neighbor[]>(n);
}

uint32_t NeighborTable::home(uint32_t ip) const { return uint32_t(mix64(ip)) & mask_; }

bool NeighborTable::learn(uint32_t ip, const Mac& mac, TimeNs now) {
  if (ip == 0) return false;
  uint32_t h = home(ip), oldest = h;
  for (uint32_t i = 0; i < kNeighborProbe; ++i) {
    Neighbor& n = slots_[(h + i) & mask_];
    if (n.ip == ip || n.ip == 0) {
      if (n.ip == 0) ++size_;
      n = Neighbor{ip, mac, now};
      return true;
    }
    if (n.updated < slots_[oldest].updated) oldest = (h + i) & mask_;
  }
  slots_[oldest] = Neighbor{ip, mac, now};
  return true;
}

const Neighbor* NeighborTable::lookup(uint32_t ip) const {
  uint32_t h = home(ip);
  for (uint32_t i = 0; i < kNeighborProbe; ++i) {
    const Neighbor& n = slots_[(h + i) & mask_];
    if (n.ip == ip) return &n;
    if (n.ip == 0) return nullptr;
  }
  return nullptr;
}

}  // namespace tg::fastpath
