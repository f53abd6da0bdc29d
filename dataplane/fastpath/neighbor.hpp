// IPv4 -> MAC table of one port (ARP cache). Fixed capacity, open
// addressing with a bounded probe: a lookup or insert looks at most
// kNeighborProbe slots; when all are taken the oldest of them is replaced.
// Never allocates after construction.
#pragma once
#include <array>
#include <cstdint>
#include <memory>

#include "dataplane/core/bytes.hpp"

namespace tg::fastpath {

using Mac = std::array<uint8_t, 6>;
constexpr Mac kBroadcastMac{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
constexpr uint32_t kNeighborProbe = 16;

struct Neighbor {
  uint32_t ip = 0;  // host order, 0 = empty slot
  Mac mac{};
  TimeNs updated = 0;
};

class NeighborTable {
 public:
  explicit NeighborTable(uint32_t capacity = 1024);
  // Inserts or refreshes; false if the address is 0 (never stored).
  bool learn(uint32_t ip, const Mac& mac, TimeNs now);
  const Neighbor* lookup(uint32_t ip) const;
  uint32_t size() const { return size_; }

 private:
  uint32_t home(uint32_t ip) const;
  uint32_t mask_;
  uint32_t size_ = 0;
  std::unique_ptr<Neighbor[]> slots_;
};

}  // namespace tg::fastpath
