// The fast path's view of a network port: burst rx/tx of mbufs and a cheap
// link status. DpdkPort is the real one (any ethdev: PCI NIC, net_af_packet,
// net_tap, net_pcap, net_null, net_ring); FakePort is the unit-test double.
// Calls are per burst, never per packet, so the virtual call costs nothing.
#pragma once
#include <array>
#include <cstdint>

struct rte_mbuf;

namespace tg::drivers {

using MacAddr = std::array<uint8_t, 6>;

struct LinkStatus {
  bool up = false;
  uint32_t speed_mbps = 0;  // 0: unknown (virtual devices)
};

class Port {
 public:
  virtual ~Port() = default;
  // Up to n received packets into pkts; the caller owns them.
  virtual uint16_t rx_burst(rte_mbuf** pkts, uint16_t n) = 0;
  // Queues up to n packets; the port owns the first k returned, the caller
  // still owns (and must free or retry) pkts[k..n).
  virtual uint16_t tx_burst(rte_mbuf** pkts, uint16_t n) = 0;
  // Non-blocking: called once per main-loop iteration (rate-limited by the
  // caller), never waits for autonegotiation.
  virtual LinkStatus link() = 0;
  virtual MacAddr mac() const = 0;
  virtual const char* name() const = 0;
};

}  // namespace tg::drivers
