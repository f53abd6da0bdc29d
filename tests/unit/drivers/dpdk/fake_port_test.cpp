// FakePort behaves like a port (bursts in order, a full tx ring refuses the
// rest) and devargs names are cut where DPDK cuts them.
#include "tests/unit/drivers/dpdk/test_eal.hpp"

#include <CppUTest/TestHarness.h>

#include "drivers/dpdk/fake_port.hpp"

using namespace tg::drivers;
using namespace tg::drivers::test;

namespace {
const bool kEal = test_pool() != nullptr;
}

TEST_GROUP(FakePort){};

TEST(FakePort, BurstsInOrderAndRefusesWhenFull) {
  CHECK(kEal);
  FakePort p("wan0", MacAddr{2, 0, 0, 0, 0, 1});
  uint8_t b[1] = {0};
  for (uint8_t i = 0; i < 5; ++i) {
    b[0] = i;
    p.inject(mbuf_of(b, 1));
  }
  rte_mbuf* got[4];
  LONGS_EQUAL(4, p.rx_burst(got, 4));
  LONGS_EQUAL(0, *rte_pktmbuf_mtod(got[0], uint8_t*));
  LONGS_EQUAL(3, *rte_pktmbuf_mtod(got[3], uint8_t*));
  p.tx_room = 3;
  LONGS_EQUAL(3, p.tx_burst(got, 4));
  rte_pktmbuf_free(got[3]);  // refused: still ours
  auto sent = p.take_sent();
  LONGS_EQUAL(3, sent.size());
  for (auto* m : sent) rte_pktmbuf_free(m);
  LONGS_EQUAL(1, p.rx_burst(got, 4));
  rte_pktmbuf_free(got[0]);
  p.set_link(false);
  CHECK_FALSE(p.link().up);
  STRCMP_EQUAL("wan0", p.name());
}

TEST(FakePort, DevargsName) {
  STRCMP_EQUAL("net_pcap0", devargs_name("net_pcap0,rx_pcap=x.pcap").c_str());
  STRCMP_EQUAL("net_null0", devargs_name("net_null0").c_str());
}
