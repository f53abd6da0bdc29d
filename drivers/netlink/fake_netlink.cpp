#include "drivers/netlink/fake_netlink.hpp"

namespace tg::netlink {

void FakeNetlink::add_link(int ifindex, const std::string& name, bool admin_up, bool carrier) {
  LinkState l;
  l.ifindex = ifindex;
  l.name = name;
  l.admin_up = admin_up;
  l.carrier = carrier;
  links_.push_back(l);
}

LinkState* FakeNetlink::find(const std::string& name) {
  for (LinkState& l : links_)
    if (l.name == name) return &l;
  return nullptr;
}

void FakeNetlink::set_carrier(const std::string& name, bool carrier, uint64_t mono_ns) {
  LinkState* l = find(name);
  if (!l) return;
  l->carrier = carrier;
  l->mono_ns = mono_ns;
  pending_.push_back(*l);
}

void FakeNetlink::appear(int ifindex, const std::string& name, bool admin_up, bool carrier, uint64_t mono_ns) {
  add_link(ifindex, name, admin_up, carrier);
  links_.back().mono_ns = mono_ns;
  pending_.push_back(links_.back());
}

void FakeNetlink::set_admin(const std::string& name, bool up, uint64_t mono_ns) {
  LinkState* l = find(name);
  if (!l) return;
  l->admin_up = up;
  l->mono_ns = mono_ns;
  pending_.push_back(*l);
  if (!up) link_down(name);
}

void FakeNetlink::flush_routes(const std::string& name) {
  for (auto it = routes.begin(); it != routes.end();)
    it = it->second.ifname == name ? routes.erase(it) : std::next(it);
}

void FakeNetlink::link_down(const std::string& name) {
  flush_routes(name);
  // net.ipv6.conf.*.keep_addr_on_down = 0 (the default): IPv6 addresses go
  // with the link; IPv4 ones stay.
  auto& a = addresses[name];
  for (auto it = a.begin(); it != a.end();) it = it->find(':') != std::string::npos ? a.erase(it) : std::next(it);
}

void FakeNetlink::remove_link(const std::string& name, uint64_t mono_ns) {
  for (size_t i = 0; i < links_.size(); ++i) {
    if (links_[i].name != name) continue;
    flush_routes(name);
    addresses.erase(name);
    LinkState gone = links_[i];
    gone.removed = true;
    gone.mono_ns = mono_ns;
    pending_.push_back(gone);
    links_.erase(links_.begin() + long(i));
    return;
  }
}

bool FakeNetlink::failing(std::string& error) {
  if (fail_next_.empty()) return false;
  error = fail_next_;
  fail_next_.clear();
  calls.push_back("failed: " + error);
  return true;
}

bool FakeNetlink::open(std::string& error) {
  if (failing(error)) return false;
  opened = true;
  return true;
}

bool FakeNetlink::read_events(std::vector<LinkState>& out, std::string& error) {
  if (failing(error)) return false;
  out.insert(out.end(), pending_.begin(), pending_.end());
  pending_.clear();
  return true;
}

bool FakeNetlink::dump_links(std::vector<LinkState>& out, std::string& error) {
  if (failing(error)) return false;
  out.insert(out.end(), links_.begin(), links_.end());
  return true;
}

bool FakeNetlink::set_link_up(const std::string& ifname, bool up, std::string& error) {
  if (failing(error)) return false;
  LinkState* l = find(ifname);
  if (!l) return error = "no such link: " + ifname, false;
  calls.push_back("set_link_up " + ifname + " " + (up ? "1" : "0"));
  if (l->admin_up != up) {
    l->admin_up = up;
    pending_.push_back(*l);
    if (!up) link_down(ifname);
  }
  return true;
}

bool FakeNetlink::add_address(const std::string& ifname, const Prefix& p, std::string& error) {
  if (failing(error)) return false;
  if (ipv6_disabled && p.addr.family == 6) return error = "add " + p.str() + " on " + ifname + ": Permission denied", false;
  if (!find(ifname)) return error = "no such link: " + ifname, false;
  calls.push_back("add_address " + ifname + " " + p.str());
  addresses[ifname].insert(p.str());
  return true;
}

bool FakeNetlink::del_address(const std::string& ifname, const Prefix& p, std::string& error) {
  if (failing(error)) return false;
  calls.push_back("del_address " + ifname + " " + p.str());
  if (!addresses[ifname].erase(p.str())) return error = "address not present: " + p.str(), false;
  return true;
}

bool FakeNetlink::set_default_route(const std::string& ifname, const IpAddr& gateway, uint32_t table,
                                    std::string& error) {
  if (failing(error)) return false;
  if (!find(ifname)) return error = "no such link: " + ifname, false;
  if (ipv6_disabled && gateway.family == 6) return error = "IPv6 default route: Permission denied", false;
  calls.push_back("set_default_route " + ifname + " via " + (gateway.empty() ? "-" : gateway.str()) + " table " +
                  std::to_string(table));
  const int family = gateway.empty() ? 4 : gateway.family;
  routes[{family, table}] = Route{ifname, gateway};
  return true;
}

bool FakeNetlink::del_default_route(int family, uint32_t table, std::string& error) {
  if (failing(error)) return false;
  calls.push_back("del_default_route " + std::to_string(family) + " table " + std::to_string(table));
  routes.erase({family, table});  // none there: gone all the same
  return true;
}

bool FakeNetlink::add_rule(uint32_t priority, const Prefix& src, uint32_t table, std::string& error) {
  if (failing(error)) return false;
  if (ipv6_disabled && src.addr.family == 6) return error = "IPv6 rule: Address family not supported", false;
  calls.push_back("add_rule " + std::to_string(priority) + " from " + src.str() + " table " + std::to_string(table));
  rules.insert({priority, src.str(), table});
  return true;
}

bool FakeNetlink::del_rule(uint32_t priority, const Prefix& src, uint32_t table, std::string& error) {
  if (failing(error)) return false;
  calls.push_back("del_rule " + std::to_string(priority) + " from " + src.str() + " table " + std::to_string(table));
  if (!rules.erase({priority, src.str(), table})) return error = "no such rule", false;
  return true;
}

}  // namespace tg::netlink
