#include "drivers/dpdk/fake_port.hpp"

#include <rte_mbuf.h>

namespace tg::drivers {

FakePort::~FakePort() {
  for (rte_mbuf* m : rx) rte_pktmbuf_free(m);
  for (rte_mbuf* m : sent) rte_pktmbuf_free(m);
}

uint16_t FakePort::rx_burst(rte_mbuf** pkts, uint16_t n) {
  uint16_t k = 0;
  while (k < n && !rx.empty()) {
    pkts[k++] = rx.front();
    rx.pop_front();
  }
  return k;
}

uint16_t FakePort::tx_burst(rte_mbuf** pkts, uint16_t n) {
  uint16_t k = 0;
  while (k < n && tx_room > 0) {
    sent.push_back(pkts[k++]);
    if (tx_room != SIZE_MAX) --tx_room;
  }
  return k;
}

std::vector<rte_mbuf*> FakePort::take_sent() {
  std::vector<rte_mbuf*> out;
  out.swap(sent);
  return out;
}

}  // namespace tg::drivers
