// Test double of Netlink: an in-memory kernel. Records every call in order,
// keeps links/addresses/routes/rules, lets a test inject link events and
// make the next call fail.
#pragma once
#include <map>
#include <set>
#include <tuple>

#include "drivers/netlink/netlink.hpp"

namespace tg::netlink {

class FakeNetlink final : public Netlink {
 public:
  struct Route {
    std::string ifname;
    IpAddr gateway;
    friend bool operator==(const Route&, const Route&) = default;
  };
  using RuleKey = std::tuple<uint32_t, std::string, uint32_t>;  // priority, src, table

  // Test side.
  void add_link(int ifindex, const std::string& name, bool admin_up, bool carrier);
  void set_carrier(const std::string& name, bool carrier, uint64_t mono_ns);  // queues an event
  // As the kernel does, a link set down or removed loses the routes through
  // it, a removed one its addresses, one set down its IPv6 addresses.
  void remove_link(const std::string& name, uint64_t mono_ns);
  void set_admin(const std::string& name, bool up, uint64_t mono_ns);          // queues an event
  void appear(int ifindex, const std::string& name, bool admin_up, bool carrier, uint64_t mono_ns);  // new link, queued
  void fail_next(const std::string& error) { fail_next_ = error; }
  // A kernel with IPv6 disabled (net.ipv6.conf.all.disable_ipv6 = 1):
  // every IPv6 address, route and rule is refused.
  bool ipv6_disabled = false;
  std::vector<std::string> calls;                       // "set_link_up wan0 1", ...
  std::map<std::string, std::set<std::string>> addresses;  // ifname -> {"192.0.2.2/24"}
  std::map<std::pair<int, uint32_t>, Route> routes;      // (family, table) -> default route
  std::set<RuleKey> rules;
  bool opened = false;

  // Netlink.
  bool open(std::string& error) override;
  int event_fd() const override { return -1; }
  bool read_events(std::vector<LinkState>& out, std::string& error) override;
  bool dump_links(std::vector<LinkState>& out, std::string& error) override;
  bool set_link_up(const std::string& ifname, bool up, std::string& error) override;
  bool add_address(const std::string& ifname, const Prefix& p, std::string& error) override;
  bool del_address(const std::string& ifname, const Prefix& p, std::string& error) override;
  bool set_default_route(const std::string& ifname, const IpAddr& gateway, uint32_t table,
                         std::string& error) override;
  bool del_default_route(int family, uint32_t table, std::string& error) override;
  bool add_rule(uint32_t priority, const Prefix& src, uint32_t table, std::string& error) override;
  bool del_rule(uint32_t priority, const Prefix& src, uint32_t table, std::string& error) override;

 private:
  bool failing(std::string& error);
  void flush_routes(const std::string& name);
  void link_down(const std::string& name);
  LinkState* find(const std::string& name);
  std::vector<LinkState> links_;
  std::vector<LinkState> pending_;
  std::string fail_next_;
};

}  // namespace tg::netlink
