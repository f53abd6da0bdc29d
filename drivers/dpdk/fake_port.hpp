// Test double for Port: the test queues mbufs to be received, reads what was
// sent, sets the link state and can make tx refuse packets (a full ring).
#pragma once
#include <deque>
#include <string>
#include <vector>

#include "drivers/dpdk/port.hpp"

namespace tg::drivers {

class FakePort final : public Port {
 public:
  FakePort(std::string name, MacAddr mac) : name_(std::move(name)), mac_(mac) {}
  ~FakePort() override;

  uint16_t rx_burst(rte_mbuf** pkts, uint16_t n) override;
  uint16_t tx_burst(rte_mbuf** pkts, uint16_t n) override;
  LinkStatus link() override {
    ++link_polls;
    return link_;
  }
  MacAddr mac() const override { return mac_; }
  const char* name() const override { return name_.c_str(); }

  // Test side.
  void set_link(bool up) { link_.up = up; }
  void inject(rte_mbuf* m) { rx.push_back(m); }
  std::vector<rte_mbuf*> take_sent();  // caller frees
  size_t tx_room = SIZE_MAX;           // packets tx_burst still accepts

  std::deque<rte_mbuf*> rx;
  std::vector<rte_mbuf*> sent;
  unsigned link_polls = 0;

 private:
  std::string name_;
  MacAddr mac_;
  LinkStatus link_{true, 0};
};

}  // namespace tg::drivers
