#include "drivers/netlink/route_sync.hpp"

#include <algorithm>
#include <set>

namespace tg::netlink {

bool validate(const RouteSyncConfig& c, std::string& error) {
  std::set<uint32_t> tables, prios;
  for (size_t u = 0; u < c.uplinks.size(); ++u) {
    const UplinkRoute& r = c.uplinks[u];
    const std::string where = "uplink " + std::to_string(u) + ": ";
    if (r.ifname.empty() || r.ifname.size() > 15) return error = where + "interface name must be 1..15 characters", false;
    if (r.address.addr.empty()) return error = where + "address missing", false;
    if (!r.gateway.empty() && r.gateway.family != r.address.addr.family)
      return error = where + "gateway and address families differ", false;
    if (r.table == 0 || r.table == c.main_table || r.table >= 253)
      return error = where + "table must be 1..252 and not the main table", false;
    if (!tables.insert(r.table).second) return error = where + "table " + std::to_string(r.table) + " used twice", false;
    if (r.rule_priority == 0 || r.rule_priority >= 32766)
      return error = where + "rule priority must be 1..32765 (before the main table's rule)", false;
    if (!prios.insert(r.rule_priority).second) return error = where + "rule priority used twice", false;
    if (r.has_ipv6() && r.address6.addr.family != 6) return error = where + "address6 is not an IPv6 address", false;
    if (r.has_ipv6() != (r.gateway6.family == 6))
      return error = where + "IPv6 needs address6 and an IPv6 gateway6 together", false;
  }
  return true;
}

void RouteSync::invalidate() {
  links_done_.assign(config_.bring_up.size(), false);
  uplink_done_.assign(config_.uplinks.size(), false);
  uplink6_done_.assign(config_.uplinks.size(), false);
  applied_active_ = applied_active6_ = 0xFF;
}

void RouteSync::invalidate_uplink(size_t u) {
  if (u >= uplink_done_.size() || u >= uplink6_done_.size()) return;
  uplink_done_[u] = uplink6_done_[u] = false;
  // The main default routes went out of this link: the kernel dropped them too.
  if (applied_active_ == u) applied_active_ = 0xFF;
  if (applied_active6_ == u) applied_active6_ = 0xFF;
}

void RouteSync::invalidate_bring_up() { links_done_.assign(config_.bring_up.size(), false); }

bool RouteSync::apply(uint8_t active, std::string& error) {
  if (uplink_done_.size() != config_.uplinks.size()) uplink_done_.assign(config_.uplinks.size(), false);
  if (uplink6_done_.size() != config_.uplinks.size()) uplink6_done_.assign(config_.uplinks.size(), false);
  if (links_done_.size() != config_.bring_up.size()) links_done_.assign(config_.bring_up.size(), false);
  // Every step is tried even after one failed: a missing LTE modem must not
  // keep the wired uplinks' routes away. The first error is reported.
  bool ok = true;
  std::string why;
  auto failed = [&] {
    if (ok) error = why;
    ok = false;
  };
  for (size_t i = 0; i < config_.bring_up.size(); ++i) {
    if (links_done_[i]) continue;
    if (!nl_.set_link_up(config_.bring_up[i], true, why)) {
      failed();
      continue;
    }
    ++operations_;
    links_done_[i] = true;
  }
  // One family of an uplink: its address, its table's default route and
  // the "from ADDRESS" rule. True once all three are in place.
  auto add_uplink = [&](const UplinkRoute& r, const Prefix& address, const IpAddr& gateway) {
    const Prefix host{address.addr, uint8_t(address.addr.family == 4 ? 32 : 128)};
    if (!nl_.add_address(r.ifname, address, why) || !nl_.set_default_route(r.ifname, gateway, r.table, why) ||
        !nl_.add_rule(r.rule_priority, host, r.table, why)) {
      failed();
      return false;
    }
    operations_ += 3;
    return true;
  };
  for (size_t u = 0; u < config_.uplinks.size(); ++u) {
    const UplinkRoute& r = config_.uplinks[u];
    if (!uplink_done_[u]) uplink_done_[u] = add_uplink(r, r.address, r.gateway);
  }
  for (size_t u = 0; u < config_.uplinks.size(); ++u) {  // IPv6 after every uplink's IPv4
    const UplinkRoute& r = config_.uplinks[u];
    if (!uplink6_done_[u] && r.has_ipv6()) uplink6_done_[u] = add_uplink(r, r.address6, r.gateway6);
  }
  if (active != applied_active_ && active < config_.uplinks.size()) {
    const UplinkRoute& r = config_.uplinks[active];
    if (!nl_.set_default_route(r.ifname, r.gateway, config_.main_table, why)) {
      failed();
    } else {
      ++operations_;
      applied_active_ = active;
    }
  }
  // A box without IPv6 on any uplink leaves the kernel's IPv6 alone.
  const bool any6 =
      std::any_of(config_.uplinks.begin(), config_.uplinks.end(), [](const UplinkRoute& r) { return r.has_ipv6(); });
  if (any6 && active != applied_active6_ && active < config_.uplinks.size()) {
    const UplinkRoute& r = config_.uplinks[active];
    // No IPv6 on the active uplink: no IPv6 default route rather than one
    // through an uplink that is not carrying the traffic.
    const bool sent = r.has_ipv6() ? nl_.set_default_route(r.ifname, r.gateway6, config_.main_table, why)
                                   : nl_.del_default_route(6, config_.main_table, why);
    if (!sent) {
      failed();
    } else {
      ++operations_;
      applied_active6_ = active;
    }
  }
  return ok;
}

bool RouteSync::done() const {
  for (bool b : links_done_)
    if (!b) return false;
  for (bool b : uplink_done_)
    if (!b) return false;
  if (uplink6_done_.size() != config_.uplinks.size()) return false;
  for (size_t u = 0; u < config_.uplinks.size(); ++u)
    if (config_.uplinks[u].has_ipv6() && !uplink6_done_[u]) return false;
  return links_done_.size() == config_.bring_up.size() && uplink_done_.size() == config_.uplinks.size();
}

}  // namespace tg::netlink
