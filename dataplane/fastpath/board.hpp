// The board's port file (board/<board>/ports): which ethdev plays which role
// and the addresses tg-dataplane owns on it. One port per line:
//
//   # role  key=value ...
//   lan   dev=net_af_packet0,iface=lan  addr=192.0.2.1/26
//   wan0  dev=net_af_packet1,iface=wan0 addr=198.51.100.2/28 gw=198.51.100.1 carrier=wan0 probe=203.0.113.10
//         addr6=2001:db8:100::2/64 gw6=2001:db8:100::1
//
// Keys: dev (DPDK devargs or PCI address, required), addr (A.B.C.D/LEN),
// gw (next hop, uplinks), gw_mac (static next-hop MAC: no ARP), carrier
// (kernel netdev whose carrier is the link status, for net_af_packet),
// probe (comma-separated echo targets, uplinks), any_mac=1 (accept every
// destination MAC: replayed captures), tap (name of the kernel interface of
// the exception path: a net_tap with the port's MAC and address, for the
// box's own traffic), addr6 (IPv6 ADDRESS/LEN: the port forwards IPv6) and
// gw6 (uplinks with addr6: the IPv6 next hop, global or link-local; LAN
// hosts route IPv6 via the lan port's addr6). Errors carry file:line; a file with
// any error is rejected whole.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/fastpath/forwarder.hpp"

namespace tg::fastpath {

// Role names in port-index order: lan is port 0, uplink u is port u + 1.
constexpr const char* kRoleNames[] = {"lan", "wan0", "wan1", "lte"};
constexpr uint8_t kRoleCount = 4;

struct BoardPort {
  bool present = false;
  std::string devargs;
  std::string carrier_iface;
  std::string tap_iface;
  std::vector<uint32_t> probe_targets;  // host order
  Interface itf;                        // addresses; mac filled in at open
};

struct Board {
  BoardPort ports[kMaxPorts];
};

// Parses text (named `file` in errors). False + "file:line: what" on error.
bool parse_board(std::string_view text, const std::string& file, Board& out, std::string& error);
bool load_board(const std::string& path, Board& out, std::string& error);

// Port index of a role name, or kMaxPorts if unknown.
uint8_t role_port(std::string_view role);

}  // namespace tg::fastpath
