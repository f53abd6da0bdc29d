// Keeps the kernel side of the exception path in step with the active
// uplink: every uplink's tap interface has its address, its own routing
// table with a default route via its gateway and a rule "from <address>
// lookup <table>" (so a socket bound to an uplink's address leaves by that
// uplink: SIP OPTIONS per uplink), and the main table's default route goes
// out of the active uplink's tap. Links listed in bring_up (the LTE modem
// netdev, the taps) are set up. Only differences from the last successful
// apply are sent; a failed step is retried on the next apply(), and does
// not hold back the steps after it.
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
  // the routes through it (its table's and the main default route if it
  // was the active one); send them again.
  void invalidate_uplink(size_t u);
  // A bring_up link was re-created (modem re-enumerated): set it up again.
  void invalidate_bring_up();
  // Every link up and every uplink's address/table/rule in place.
  bool done() const;

  uint8_t applied_active() const { return applied_active_; }
  uint64_t operations() const { return operations_; }  // netlink changes sent

 private:
  Netlink& nl_;
  RouteSyncConfig config_;
  std::vector<bool> links_done_;
  std::vector<bool> uplink_done_;
  uint8_t applied_active_ = 0xFF;
  uint64_t operations_ = 0;
};

}  // namespace tg::netlink
