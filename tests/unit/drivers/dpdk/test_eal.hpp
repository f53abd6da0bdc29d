// EAL and one mbuf pool for unit tests that need real mbufs (FakePort
// carries rte_mbufs). Started once, before CppUTest's per-test leak check,
// from a static initializer in each test binary that includes this.
#pragma once
#include <rte_mbuf.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "drivers/dpdk/dpdk_port.hpp"

namespace tg::drivers::test {

inline rte_mempool* test_pool() {
  static rte_mempool* pool = [] {
    std::string err;
    // No hugepages, no devices, no files: runs anywhere, in parallel.
    if (!eal_init({"unit", "--no-huge", "-m", "64", "--no-pci", "--no-shconf", "--no-telemetry", "--log-level=lib.*:error",
                   "-l", "0"},
                  err)) {
      std::fprintf(stderr, "%s\n", err.c_str());
      std::abort();
    }
    rte_mempool* p = rte_pktmbuf_pool_create("unit_mbufs", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    if (!p) std::abort();
    return p;
  }();
  return pool;
}

// An mbuf holding a copy of bytes.
inline rte_mbuf* mbuf_of(const uint8_t* data, size_t len) {
  rte_mbuf* m = rte_pktmbuf_alloc(test_pool());
  if (!m) return nullptr;
  std::memcpy(rte_pktmbuf_append(m, uint16_t(len)), data, len);
  return m;
}

// A copy of an mbuf's bytes (the inverse of mbuf_of).
inline std::vector<uint8_t> bytes_of(const rte_mbuf* m) {
  const uint8_t* p = rte_pktmbuf_mtod(m, const uint8_t*);
  return {p, p + rte_pktmbuf_data_len(m)};
}

}  // namespace tg::drivers::test
