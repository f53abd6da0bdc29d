// Keeps the kernel side of the exception path in step with the active
// uplink: every uplink's tap interface has its address, its own routing
// table with a default route via its gateway and a rule "from <address>
// lookup <table>" (so a socket bound to an uplink's address leaves by that
// uplink: SIP OPTIONS per uplink), and the main table's default route goes
// out of the active uplink's tap. An uplink with IPv6 gets the same on the
// IPv6 side (its address, an IPv6 default route in the same table, an IPv6
// rule at the same priority: the kernel keeps the families' rules apart),
// and the main IPv6 default route follows the active uplink too; while the
// active uplink has no IPv6 there is none (the fast path drops IPv6 then
// as well). Links listed in bring_up (the LTE modem netdev, the taps) are
// set up. Only differences from the last successful apply are sent; a
// failed step is retried on the next apply(), and does not hold back the
// steps after it (a kernel refusing IPv6 keeps no IPv4 route away).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "drivers/netlink/netlink.hpp"

namespace tg::netlink {

struct UplinkRoute {
  std::string ifname;   // the uplink's tap / kernel netdev
  Prefix address;       // the box's address on that uplink
  IpAddr gateway;       // next hop (empty: on-link)
  uint32_t table = 0;   // per-uplink routing table
  uint32_t rule_priority = 0;
  // IPv6, optional (address6.addr.empty(): none); then gateway6 is needed.
  Prefix address6;
  IpAddr gateway6;      // global or link-local (via ifname)
  bool has_ipv6() const { return !address6.addr.empty(); }
};

struct RouteSyncConfig {
  std::vector<UplinkRoute> uplinks;       // index = uplink
  std::vector<std::string> bring_up;      // links to set up at the first apply
  uint32_t main_table = kMainTable;
};

bool validate(const RouteSyncConfig&, std::string& error);

class RouteSync {
 public:
  RouteSync(Netlink& nl, RouteSyncConfig config) : nl_(nl), config_(std::move(config)) {}

  // Brings everything in line for `active` (kNoUplink-style 0xFF: leave the
  // main default route alone). Returns false with the first error; what
  // succeeded stays applied and the rest is retried next time.
  bool apply(uint8_t active, std::string& error);
  // Forget what was applied (after a netlink resync / link re-creation).
  void invalidate();
  // Uplink u's link was re-created or set down and up: the kernel flushed
  // the routes through it (its table's and the main default routes if it
  // was the active one) and, set down, its IPv6 addresses; send them again.
  void invalidate_uplink(size_t u);
  // A bring_up link was re-created (modem re-enumerated): set it up again.
  void invalidate_bring_up();
  // Every link up and every uplink's address/table/rule in place.
  bool done() const;

  // Where the main default routes go (0xFF: not sent yet / unknown). The
  // IPv6 one is an uplink without IPv6 when the route was removed for it.
  uint8_t applied_active() const { return applied_active_; }
  uint8_t applied_active6() const { return applied_active6_; }
  uint64_t operations() const { return operations_; }  // netlink changes sent

 private:
  Netlink& nl_;
  RouteSyncConfig config_;
  std::vector<bool> links_done_;
  std::vector<bool> uplink_done_, uplink6_done_;
  uint8_t applied_active_ = 0xFF, applied_active6_ = 0xFF;
  uint64_t operations_ = 0;
};

}  // namespace tg::netlink
