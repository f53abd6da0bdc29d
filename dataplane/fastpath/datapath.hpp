// One forwarding lcore: burst rx on every port, the Forwarder's verdict per
// packet, burst tx per output port. Owns its Forwarder (NAT, neighbours,
// counters): state is per lcore, nothing shared but the active uplink the
// caller passes in. Ports are drivers::Port, so unit tests run it on
// FakePorts. poll() neither allocates nor locks nor makes syscalls beyond
// what the PMD's burst calls do.
#pragma once
#include <atomic>
#include <cstdint>

#include <memory>

#include "dataplane/core/inspector.hpp"
#include "dataplane/fastpath/forwarder.hpp"
#include "dataplane/api/capture.hpp"
#include "drivers/dpdk/port.hpp"

struct rte_mbuf;
struct rte_mempool;

namespace tg::fastpath {

constexpr uint16_t kBurst = 32;
// Inspector ingress tag of packets from the LAN; uplink u's packets carry u,
// so the media-blackout scan sees which uplink each inbound stream uses.
constexpr uint8_t kIngressLan = 0x10;

// Packets this lcore generated itself, per port.
#define TG_FP_TX_COUNTERS(X)                                  \
  X(arp_requests, "ARP requests sent for next hops and hosts") \
  X(probes, "ICMP echo probes sent")                          \
  X(generated_failed, "generated packet: no mbuf or tx full")              \
  X(kernel_dropped, "exception path: tap or port refused, or no mbuf to copy") \
  X(nd_solicits, "Neighbor Solicitations sent for IPv6 next hops and hosts")

enum class TxCounter : uint8_t {
#define TG_X(name, text) name,
  TG_FP_TX_COUNTERS(TG_X)
#undef TG_X
      count_
};
constexpr size_t kTxCounterCount = size_t(TxCounter::count_);
const char* tx_counter_name(TxCounter);

class alignas(64) Datapath {
 public:
  // ports[p] may be nullptr for a port the board does not have. With an
  // InspectorConfig every forwarded packet also goes through the inspection
  // core (SIP calls, RTP streams), in the LAN-side view.
  Datapath(const ForwarderConfig& cfg, drivers::Port* const* ports, rte_mempool* pool,
           const InspectorConfig* inspection = nullptr);
  Datapath(const Datapath&) = delete;
  Datapath& operator=(const Datapath&) = delete;

  // One pass over every port. Returns the packets received.
  uint32_t poll(uint8_t active_uplink, TimeNs now);

  // Control work of the same lcore, between polls: ARP requests and
  // Neighbor Solicitations the forwarder wants, probes. Returns packets sent.
  uint32_t send_arp_requests(TimeNs now);
  bool send_probe(uint8_t uplink, uint32_t target, uint16_t seq, TimeNs now);

  // Exception path of port p: frames for the box itself go to `tap` (the
  // kernel interface), frames the kernel sends through it leave on port p.
  void set_tap(uint8_t port, drivers::Port* tap) { taps_[port] = tap; }

  // Carrier of a port as last polled; packets to a port without carrier
  // are counted port_down instead of vanishing in the driver.
  void set_link(uint8_t port, bool up) { link_up_[port].store(up, std::memory_order_relaxed); }
  bool link(uint8_t port) const { return link_up_[port].load(std::memory_order_relaxed); }

  // Packet capture: forwarded packets, in the same LAN-side view the
  // inspector gets, are offered to the capture ring while a capture runs
  // (capture_start on the command ring). Without inspection every packet
  // is class `other`, so only unfiltered captures see packets.
  void attach_capture(api::CaptureHeader* ring);
  api::CaptureProducer& capture() { return capture_; }

  Inspector* inspector() { return inspector_.get(); }
  const Inspector* inspector() const { return inspector_.get(); }
  Forwarder& forwarder() { return fwd_; }
  const Forwarder& forwarder() const { return fwd_; }
  uint64_t rx_packets(uint8_t port) const { return rx_[port]; }
  uint64_t tx_packets(uint8_t port) const { return tx_[port]; }
  uint64_t tx_count(uint8_t port, TxCounter c) const { return gen_[port][size_t(c)]; }
  uint64_t to_kernel_packets(uint8_t port) const { return tap_tx_[port]; }
  uint64_t from_kernel_packets(uint8_t port) const { return tap_rx_[port]; }

 private:
  void flush(uint8_t rx_port);
  void poll_taps();
  bool send_generated(uint8_t port, rte_mbuf* m, TxCounter what);

  static void inspect_hook(void* ctx, const uint8_t* frame, uint16_t len, TimeNs now, uint8_t uplink, bool inbound);

  Forwarder fwd_;
  std::unique_ptr<Inspector> inspector_;
  api::CaptureProducer capture_;
  drivers::Port* ports_[kMaxPorts] = {};
  drivers::Port* taps_[kMaxPorts] = {};
  rte_mempool* pool_;
  std::atomic<bool> link_up_[kMaxPorts];
  // Per output port, packets of the current rx burst waiting for tx_burst.
  rte_mbuf* out_[kMaxPorts][kBurst];
  uint16_t out_n_[kMaxPorts] = {};
  Disposition out_why_[kMaxPorts][kBurst];
  // Per port, packets of the current rx burst for its tap (to_kernel, and
  // copies of ARP replies: at most two per received packet).
  rte_mbuf* kernel_[kMaxPorts][2 * kBurst];
  uint16_t kernel_n_[kMaxPorts] = {};
  uint64_t tap_tx_[kMaxPorts] = {};
  uint64_t tap_rx_[kMaxPorts] = {};
  rte_mbuf* free_[kBurst];
  uint16_t free_n_ = 0;
  uint64_t rx_[kMaxPorts] = {};
  uint64_t tx_[kMaxPorts] = {};
  uint64_t gen_[kMaxPorts][kTxCounterCount] = {};
};

}  // namespace tg::fastpath
