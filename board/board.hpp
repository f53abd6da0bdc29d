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
//
// Board data only: no DPDK, no fast-path types. tg-dataplane turns a port
// into its forwarding interface; tg-controld's kernel sync into routes.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tg::board {

// Role names in port-index order: lan is port 0, uplink u is port u + 1.
constexpr const char* kRoleNames[] = {"lan", "wan0", "wan1", "lte"};
constexpr uint8_t kRoleCount = 4;
constexpr uint8_t kLanPort = 0;

using Mac = std::array<uint8_t, 6>;
using Ip6 = std::array<uint8_t, 16>;

// The addresses a port owns and its next hops (IPv4 in host order; 0 = none).
struct PortAddresses {
  uint32_t ip = 0;
  uint8_t prefix_len = 0;
  uint32_t gateway = 0;          // uplinks: next hop for everything
  bool gateway_mac_static = false;  // gw_mac=: the next hop's MAC, no ARP
  Mac gateway_mac{};
  bool accept_any_mac = false;   // any_mac=1
  bool has_ip6 = false;
  Ip6 ip6{};
  uint8_t prefix6_len = 0;
  bool has_gateway6 = false;
  Ip6 gateway6{};
};

struct BoardPort {
  bool present = false;
  std::string devargs;
  std::string carrier_iface;
  std::string tap_iface;
  std::vector<uint32_t> probe_targets;  // host order
  PortAddresses addr;
};

struct Board {
  BoardPort ports[kRoleCount];
};

// Parses text (named `file` in errors). False + "file:line: what" on error.
bool parse_board(std::string_view text, const std::string& file, Board& out, std::string& error);
bool load_board(const std::string& path, Board& out, std::string& error);

// Port index of a role name, or kRoleCount if unknown.
uint8_t role_port(std::string_view role);

}  // namespace tg::board
