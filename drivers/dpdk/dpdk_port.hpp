// Real ports over DPDK ethdev, plus EAL start-up. Setup calls allocate and
// make syscalls; rx_burst/tx_burst are the plain DPDK burst calls.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "drivers/dpdk/port.hpp"

struct rte_mempool;

namespace tg::drivers {

// rte_eal_init with these arguments (argv[0] included). False + error if EAL
// refuses them. Call once per process.
bool eal_init(const std::vector<std::string>& args, std::string& error);

// Carrier of a kernel netdev, for ethdevs that cannot see it themselves
// (net_af_packet reports "up" forever). Netlink RTMGRP_LINK events drained
// without blocking; the initial state comes from SIOCGIFFLAGS.
class KernelCarrier {
 public:
  KernelCarrier() = default;
  ~KernelCarrier();
  KernelCarrier(const KernelCarrier&) = delete;
  KernelCarrier& operator=(const KernelCarrier&) = delete;
  bool open(const std::string& ifname, std::string& error);
  bool is_open() const { return fd_ >= 0; }
  // Drains pending link events (one recv returning EAGAIN when idle).
  bool up();

 private:
  bool read_flags();
  int fd_ = -1;
  int ifindex_ = 0;
  bool up_ = false;
  std::string ifname_;
};

struct PortSpec {
  std::string role;          // "lan", "wan0", ... (for messages)
  std::string devargs;       // "net_af_packet0,iface=wan0" or a PCI address
  std::string kernel_iface;  // optional: carrier from this kernel netdev
  uint16_t rx_desc = 1024;
  uint16_t tx_desc = 1024;
};

class DpdkPort final : public Port {
 public:
  // Probes the device (unless EAL already did), configures one rx and one tx
  // queue on `pool`, starts it. nullptr + error on any failure.
  static std::unique_ptr<DpdkPort> open(const PortSpec& spec, rte_mempool* pool, std::string& error);
  ~DpdkPort() override;

  uint16_t rx_burst(rte_mbuf** pkts, uint16_t n) override;
  uint16_t tx_burst(rte_mbuf** pkts, uint16_t n) override;
  LinkStatus link() override;
  MacAddr mac() const override { return mac_; }
  const char* name() const override { return spec_.role.c_str(); }
  uint16_t port_id() const { return port_id_; }

 private:
  DpdkPort() = default;
  PortSpec spec_;
  uint16_t port_id_ = 0;
  MacAddr mac_{};
  KernelCarrier carrier_;
  bool started_ = false;
};

// Gives a kernel interface an IPv4 address and brings it up (the exception
// path's tap mirrors its port's address). Setup path: ioctl syscalls.
bool kernel_iface_set_ipv4(const std::string& ifname, uint32_t ip_host_order, uint8_t prefix_len, std::string& error);
// The same for IPv6 (address in wire order), without duplicate address
// detection: the address is the port's, answered for by the fast path.
bool kernel_iface_set_ipv6(const std::string& ifname, const uint8_t (&ip)[16], uint8_t prefix_len, std::string& error);

// Device name of a devargs string: "net_pcap0,rx_pcap=x" -> "net_pcap0".
std::string devargs_name(const std::string& devargs);

}  // namespace tg::drivers
