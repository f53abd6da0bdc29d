#include "drivers/dpdk/dpdk_port.hpp"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace tg::drivers {

bool eal_init(const std::vector<std::string>& args, std::string& error) {
  // rte_eal_init may permute argv: give it copies it can keep for good.
  static std::vector<std::string> keep;
  static std::vector<char*> argv;
  keep = args;
  argv.clear();
  for (auto& a : keep) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (rte_eal_init(int(keep.size()), argv.data()) < 0) {
    error = std::string("EAL init failed: ") + rte_strerror(rte_errno);
    return false;
  }
  return true;
}

std::string devargs_name(const std::string& devargs) { return devargs.substr(0, devargs.find(',')); }

// ------------------------------------------------------------ KernelCarrier

KernelCarrier::~KernelCarrier() {
  if (fd_ >= 0) ::close(fd_);
}

bool KernelCarrier::open(const std::string& ifname, std::string& error) {
  ifname_ = ifname;
  ifindex_ = int(if_nametoindex(ifname.c_str()));
  if (ifindex_ == 0) {
    error = "no kernel interface " + ifname;
    return false;
  }
  fd_ = ::socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd_ < 0) {
    error = std::string("netlink socket: ") + strerror(errno);
    return false;
  }
  sockaddr_nl sa{};
  sa.nl_family = AF_NETLINK;
  sa.nl_groups = RTMGRP_LINK;
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
    error = std::string("netlink bind: ") + strerror(errno);
    return false;
  }
  // Subscribe first, then read: an event between the two is not lost.
  if (!read_flags()) {
    error = "SIOCGIFFLAGS " + ifname + ": " + strerror(errno);
    return false;
  }
  return true;
}

bool KernelCarrier::read_flags() {
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return false;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, ifname_.c_str(), IFNAMSIZ - 1);
  int rc = ::ioctl(s, SIOCGIFFLAGS, &ifr);
  ::close(s);
  if (rc < 0) return false;
  up_ = (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
  return true;
}

bool KernelCarrier::up() {
  if (fd_ < 0) return up_;
  alignas(nlmsghdr) char buf[8192];
  for (;;) {
    ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0) {
      // ENOBUFS: events were lost while we were busy; ask the kernel again.
      if (errno == ENOBUFS) read_flags();
      break;
    }
    int len = int(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, unsigned(len)); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK) continue;
      if (h->nlmsg_len < NLMSG_LENGTH(sizeof(ifinfomsg))) continue;
      auto* ifi = static_cast<ifinfomsg*>(NLMSG_DATA(h));
      if (ifi->ifi_index != ifindex_) continue;
      up_ = h->nlmsg_type == RTM_NEWLINK && (ifi->ifi_flags & IFF_UP) && (ifi->ifi_flags & IFF_RUNNING);
    }
  }
  return up_;
}

bool kernel_iface_set_ipv4(const std::string& ifname, uint32_t ip, uint8_t prefix_len, std::string& error) {
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) {
    error = std::string("socket: ") + strerror(errno);
    return false;
  }
  auto set_addr = [](ifreq& r, uint32_t v) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&r.ifr_addr);
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(v);
  };
  ifreq r{};
  std::strncpy(r.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  bool ok = true;
  const char* what = "";
  set_addr(r, ip);
  if (ok && ::ioctl(s, SIOCSIFADDR, &r) < 0) ok = false, what = "SIOCSIFADDR";
  set_addr(r, prefix_len == 0 ? 0 : ~0u << (32 - prefix_len));
  if (ok && ::ioctl(s, SIOCSIFNETMASK, &r) < 0) ok = false, what = "SIOCSIFNETMASK";
  if (ok && ::ioctl(s, SIOCGIFFLAGS, &r) < 0) ok = false, what = "SIOCGIFFLAGS";
  r.ifr_flags = short(r.ifr_flags | IFF_UP);
  if (ok && ::ioctl(s, SIOCSIFFLAGS, &r) < 0) ok = false, what = "SIOCSIFFLAGS";
  if (!ok) error = ifname + ": " + what + ": " + strerror(errno);
  ::close(s);
  return ok;
}

bool kernel_iface_set_ipv6(const std::string& ifname, const uint8_t (&ip)[16], uint8_t prefix_len, std::string& error) {
  // DAD would leave the address tentative (unusable) for a second or more;
  // nobody else owns it. Off before the address is added.
  {
    const std::string knob = "/proc/sys/net/ipv6/conf/" + ifname + "/accept_dad";
    if (FILE* f = std::fopen(knob.c_str(), "w")) {
      std::fputs("0\n", f);
      std::fclose(f);
    }
  }
  const unsigned index = if_nametoindex(ifname.c_str());
  if (index == 0) {
    error = ifname + ": " + strerror(errno);
    return false;
  }
  int s = ::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) {
    error = std::string("socket(AF_INET6): ") + strerror(errno);
    return false;
  }
  // struct in6_ifreq of <linux/ipv6.h>, which clashes with glibc's headers.
  struct {
    in6_addr addr;
    uint32_t prefixlen;
    int ifindex;
  } r{};
  std::memcpy(&r.addr, ip, 16);
  r.prefixlen = prefix_len;
  r.ifindex = int(index);
  bool ok = ::ioctl(s, SIOCSIFADDR, &r) == 0 || errno == EEXIST;
  if (!ok) error = ifname + ": SIOCSIFADDR (IPv6): " + strerror(errno);
  ::close(s);
  return ok;
}

// ----------------------------------------------------------------- DpdkPort

std::unique_ptr<DpdkPort> DpdkPort::open(const PortSpec& spec, rte_mempool* pool, std::string& error) {
  std::unique_ptr<DpdkPort> p(new DpdkPort());
  p->spec_ = spec;
  const std::string what = spec.role + " (" + spec.devargs + "): ";
  const std::string name = devargs_name(spec.devargs);
  uint16_t pid = 0;
  if (rte_eth_dev_get_port_by_name(name.c_str(), &pid) != 0) {
    int rc = rte_dev_probe(spec.devargs.c_str());
    if (rc < 0 && rc != -EEXIST) {
      error = what + "probe failed: " + rte_strerror(-rc);
      return nullptr;
    }
    if (rte_eth_dev_get_port_by_name(name.c_str(), &pid) != 0) {
      error = what + "no ethdev named " + name + " after probe";
      return nullptr;
    }
  }
  p->port_id_ = pid;

  rte_eth_dev_info info{};
  int rc = rte_eth_dev_info_get(pid, &info);
  if (rc != 0) {
    error = what + "dev_info: " + rte_strerror(-rc);
    return nullptr;
  }
  rte_eth_conf conf{};
  if ((rc = rte_eth_dev_configure(pid, 1, 1, &conf)) != 0) {
    error = what + "configure: " + rte_strerror(-rc);
    return nullptr;
  }
  uint16_t nrx = spec.rx_desc, ntx = spec.tx_desc;
  if ((rc = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nrx, &ntx)) != 0) {
    error = what + "descriptor counts: " + rte_strerror(-rc);
    return nullptr;
  }
  int socket = rte_eth_dev_socket_id(pid);
  if (socket < 0) socket = 0;
  if ((rc = rte_eth_rx_queue_setup(pid, 0, nrx, unsigned(socket), nullptr, pool)) != 0) {
    error = what + "rx queue: " + rte_strerror(-rc);
    return nullptr;
  }
  if ((rc = rte_eth_tx_queue_setup(pid, 0, ntx, unsigned(socket), nullptr)) != 0) {
    error = what + "tx queue: " + rte_strerror(-rc);
    return nullptr;
  }
  if ((rc = rte_eth_dev_start(pid)) != 0) {
    error = what + "start: " + rte_strerror(-rc);
    return nullptr;
  }
  p->started_ = true;
  // Not every virtual device supports it (net_null); ARP/NAT need our MAC
  // and broadcast only, so a refusal is harmless.
  (void)rte_eth_promiscuous_enable(pid);
  rte_ether_addr a{};
  if ((rc = rte_eth_macaddr_get(pid, &a)) != 0) {
    error = what + "MAC address: " + rte_strerror(-rc);
    return nullptr;
  }
  std::memcpy(p->mac_.data(), a.addr_bytes, 6);
  if (!spec.kernel_iface.empty() && !p->carrier_.open(spec.kernel_iface, error)) {
    error = what + error;
    return nullptr;
  }
  return p;
}

DpdkPort::~DpdkPort() {
  if (started_) {
    rte_eth_dev_stop(port_id_);
    rte_eth_dev_close(port_id_);
  }
}

uint16_t DpdkPort::rx_burst(rte_mbuf** pkts, uint16_t n) { return rte_eth_rx_burst(port_id_, 0, pkts, n); }

uint16_t DpdkPort::tx_burst(rte_mbuf** pkts, uint16_t n) { return rte_eth_tx_burst(port_id_, 0, pkts, n); }

LinkStatus DpdkPort::link() {
  LinkStatus s;
  if (carrier_.is_open()) {
    s.up = carrier_.up();
    return s;
  }
  rte_eth_link l{};
  if (rte_eth_link_get_nowait(port_id_, &l) == 0) {
    s.up = l.link_status == RTE_ETH_LINK_UP;
    s.speed_mbps = l.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN ? 0 : l.link_speed;
  }
  return s;
}

}  // namespace tg::drivers
