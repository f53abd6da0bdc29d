// Netlink over libnl-route-3: one socket subscribed to RTNLGRP_LINK for
// events (non-blocking, parsed by hand: only ifindex, flags, name), one for
// requests (blocking, acked). Every libnl object is freed on every path.
#include <linux/fib_rules.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/addr.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <netlink/route/rule.h>
#include <netlink/socket.h>
#include <sys/socket.h>
#include <time.h>

#include <cstring>
#include <memory>

#include "drivers/netlink/netlink.hpp"

namespace tg::netlink {
namespace {

uint64_t mono_now() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000ull + uint64_t(ts.tv_nsec);
}

template <class T, void (*F)(T*)>
struct Free {
  void operator()(T* p) const {
    if (p) F(p);
  }
};
using SockPtr = std::unique_ptr<nl_sock, Free<nl_sock, nl_socket_free>>;
using AddrPtr = std::unique_ptr<nl_addr, Free<nl_addr, nl_addr_put>>;
using LinkPtr = std::unique_ptr<rtnl_link, Free<rtnl_link, rtnl_link_put>>;
using RtAddrPtr = std::unique_ptr<rtnl_addr, Free<rtnl_addr, rtnl_addr_put>>;
using RoutePtr = std::unique_ptr<rtnl_route, Free<rtnl_route, rtnl_route_put>>;
using RulePtr = std::unique_ptr<rtnl_rule, Free<rtnl_rule, rtnl_rule_put>>;
using CachePtr = std::unique_ptr<nl_cache, Free<nl_cache, nl_cache_free>>;

int af_of(const IpAddr& a) { return a.family == 6 ? AF_INET6 : AF_INET; }

AddrPtr to_nl(const IpAddr& a, int prefixlen) {
  AddrPtr p(nl_addr_build(af_of(a), a.bytes.data(), a.family == 6 ? 16 : 4));
  if (p) nl_addr_set_prefixlen(p.get(), prefixlen);
  return p;
}

bool nl_fail(std::string& error, const std::string& what, int err) {
  error = what + ": " + nl_geterror(err);
  return false;
}

// Fills a LinkState from an RTM_NEWLINK / RTM_DELLINK message.
bool parse_link(nlmsghdr* h, LinkState& out) {
  if (h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK) return false;
  if (!nlmsg_valid_hdr(h, sizeof(ifinfomsg))) return false;
  auto* ifi = static_cast<ifinfomsg*>(nlmsg_data(h));
  out = LinkState{};
  out.ifindex = ifi->ifi_index;
  out.flags = ifi->ifi_flags;
  out.admin_up = ifi->ifi_flags & IFF_UP;
  out.carrier = ifi->ifi_flags & IFF_LOWER_UP;
  out.removed = h->nlmsg_type == RTM_DELLINK;
  out.mono_ns = mono_now();
  if (nlattr* name = nlmsg_find_attr(h, sizeof(ifinfomsg), IFLA_IFNAME))
    out.name.assign(static_cast<const char*>(nla_data(name)), strnlen(static_cast<const char*>(nla_data(name)), size_t(nla_len(name))));
  return true;
}

class LibnlNetlink final : public Netlink {
 public:
  ~LibnlNetlink() override {
    if (cb_) nl_cb_put(cb_);
  }

  bool open(std::string& error) override {
    events_.reset(nl_socket_alloc());
    requests_.reset(nl_socket_alloc());
    if (!events_ || !requests_) return error = "nl_socket_alloc failed", false;
    nl_socket_disable_seq_check(events_.get());  // multicast: no sequence
    nl_socket_modify_cb(events_.get(), NL_CB_VALID, NL_CB_CUSTOM, &LibnlNetlink::on_event, this);
    if (cb_) nl_cb_put(cb_);
    cb_ = nl_socket_get_cb(events_.get());  // a reference, put in the destructor
    int err;
    if ((err = nl_connect(events_.get(), NETLINK_ROUTE)) < 0) return nl_fail(error, "netlink connect (events)", err);
    if ((err = nl_socket_add_membership(events_.get(), RTNLGRP_LINK)) < 0) return nl_fail(error, "join RTNLGRP_LINK", err);
    // Carrier storms on many ports must not overflow the socket: 1 MiB.
    nl_socket_set_buffer_size(events_.get(), 1 << 20, 0);
    if ((err = nl_socket_set_nonblocking(events_.get())) < 0) return nl_fail(error, "netlink nonblocking", err);
    if ((err = nl_connect(requests_.get(), NETLINK_ROUTE)) < 0) return nl_fail(error, "netlink connect (requests)", err);
    return true;
  }

  int event_fd() const override { return events_ ? nl_socket_get_fd(events_.get()) : -1; }

  bool read_events(std::vector<LinkState>& out, std::string& error) override {
    if (!events_) return error = "netlink not open", false;
    sink_ = &out;
    int n;
    do n = nl_recvmsgs_report(events_.get(), cb_);  // one datagram per call, 0 when drained
    while (n > 0);
    sink_ = nullptr;
    if (n < 0 && n != -NLE_AGAIN) {
      // -NLE_NOMEM here is ENOBUFS: the kernel dropped messages; re-dump.
      return nl_fail(error, "netlink link events", n);
    }
    return true;
  }

  bool dump_links(std::vector<LinkState>& out, std::string& error) override {
    nl_cache* raw = nullptr;
    int err = rtnl_link_alloc_cache(requests_.get(), AF_UNSPEC, &raw);
    if (err < 0) return nl_fail(error, "link dump", err);
    CachePtr cache(raw);
    const uint64_t now = mono_now();
    for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
      auto* l = reinterpret_cast<rtnl_link*>(o);
      LinkState s;
      s.ifindex = rtnl_link_get_ifindex(l);
      if (const char* name = rtnl_link_get_name(l)) s.name = name;
      s.flags = rtnl_link_get_flags(l);
      s.admin_up = s.flags & IFF_UP;
      s.carrier = s.flags & IFF_LOWER_UP;
      s.mono_ns = now;
      out.push_back(s);
    }
    return true;
  }

  bool set_link_up(const std::string& ifname, bool up, std::string& error) override {
    rtnl_link* raw = nullptr;
    int err = rtnl_link_get_kernel(requests_.get(), 0, ifname.c_str(), &raw);
    if (err < 0) return nl_fail(error, "link " + ifname, err);
    LinkPtr link(raw);
    LinkPtr change(rtnl_link_alloc());
    if (up)
      rtnl_link_set_flags(change.get(), IFF_UP);
    else
      rtnl_link_unset_flags(change.get(), IFF_UP);
    if ((err = rtnl_link_change(requests_.get(), link.get(), change.get(), 0)) < 0)
      return nl_fail(error, "set " + ifname + (up ? " up" : " down"), err);
    return true;
  }

  bool add_address(const std::string& ifname, const Prefix& p, std::string& error) override {
    return address(ifname, p, true, error);
  }
  bool del_address(const std::string& ifname, const Prefix& p, std::string& error) override {
    return address(ifname, p, false, error);
  }

  bool set_default_route(const std::string& ifname, const IpAddr& gateway, uint32_t table,
                         std::string& error) override {
    int ifindex = 0;
    if (!index_of(ifname, ifindex, error)) return false;
    const IpAddr family_of = gateway.empty() ? IpAddr::v4(0) : gateway;
    RoutePtr route = default_route(family_of, table);
    rtnl_nexthop* nh = rtnl_route_nh_alloc();  // owned by the route once added
    rtnl_route_nh_set_ifindex(nh, ifindex);
    AddrPtr gw;
    if (!gateway.empty()) {
      gw = to_nl(gateway, gateway.family == 6 ? 128 : 32);
      rtnl_route_nh_set_gateway(nh, gw.get());
    }
    rtnl_route_add_nexthop(route.get(), nh);
    rtnl_route_set_scope(route.get(), gateway.empty() ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE);
    int err = rtnl_route_add(requests_.get(), route.get(), NLM_F_REPLACE);
    if (err < 0) return nl_fail(error, "default route table " + std::to_string(table) + " dev " + ifname, err);
    return true;
  }

  bool del_default_route(int family, uint32_t table, std::string& error) override {
    RoutePtr route = default_route(family == 6 ? IpAddr::v6_bytes(zero16) : IpAddr::v4(0), table);
    // Any scope (as `ip route del`); protocol static: only routes we made.
    rtnl_route_set_scope(route.get(), RT_SCOPE_NOWHERE);
    int err = rtnl_route_delete(requests_.get(), route.get(), 0);
    if (err < 0 && err != -NLE_OBJ_NOTFOUND) return nl_fail(error, "delete default route table " + std::to_string(table), err);
    return true;
  }

  bool add_rule(uint32_t priority, const Prefix& src, uint32_t table, std::string& error) override {
    RulePtr rule = make_rule(priority, src, table);
    // EXCL: without it the kernel happily stores duplicates.
    int err = rtnl_rule_add(requests_.get(), rule.get(), NLM_F_EXCL);
    if (err < 0 && err != -NLE_EXIST) return nl_fail(error, "rule from " + src.str(), err);
    return true;
  }

  bool del_rule(uint32_t priority, const Prefix& src, uint32_t table, std::string& error) override {
    RulePtr rule = make_rule(priority, src, table);
    int err = rtnl_rule_delete(requests_.get(), rule.get(), 0);
    if (err < 0) return nl_fail(error, "delete rule from " + src.str(), err);
    return true;
  }

 private:
  static constexpr uint8_t zero16[16] = {};

  static int on_event(nl_msg* msg, void* arg) {
    auto* self = static_cast<LibnlNetlink*>(arg);
    LinkState s;
    if (self->sink_ && parse_link(nlmsg_hdr(msg), s)) self->sink_->push_back(std::move(s));
    return NL_OK;
  }

  bool index_of(const std::string& ifname, int& ifindex, std::string& error) {
    rtnl_link* raw = nullptr;
    int err = rtnl_link_get_kernel(requests_.get(), 0, ifname.c_str(), &raw);
    if (err < 0) return nl_fail(error, "link " + ifname, err);
    LinkPtr link(raw);
    ifindex = rtnl_link_get_ifindex(link.get());
    return true;
  }

  bool address(const std::string& ifname, const Prefix& p, bool add, std::string& error) {
    int ifindex = 0;
    if (!index_of(ifname, ifindex, error)) return false;
    RtAddrPtr a(rtnl_addr_alloc());
    rtnl_addr_set_ifindex(a.get(), ifindex);
    rtnl_addr_set_family(a.get(), af_of(p.addr));
    AddrPtr local = to_nl(p.addr, p.len);
    rtnl_addr_set_local(a.get(), local.get());
    rtnl_addr_set_prefixlen(a.get(), p.len);
    if (p.addr.family == 6) rtnl_addr_set_flags(a.get(), IFA_F_NODAD);
    int err = add ? rtnl_addr_add(requests_.get(), a.get(), NLM_F_REPLACE) : rtnl_addr_delete(requests_.get(), a.get(), 0);
    if (err < 0) return nl_fail(error, std::string(add ? "add " : "delete ") + p.str() + " on " + ifname, err);
    return true;
  }

  static RoutePtr default_route(const IpAddr& family_of, uint32_t table) {
    RoutePtr route(rtnl_route_alloc());
    rtnl_route_set_family(route.get(), uint8_t(af_of(family_of)));
    rtnl_route_set_table(route.get(), table);
    rtnl_route_set_protocol(route.get(), RTPROT_STATIC);
    rtnl_route_set_type(route.get(), RTN_UNICAST);
    AddrPtr dst = to_nl(family_of.family == 6 ? IpAddr::v6_bytes(zero16) : IpAddr::v4(0), 0);
    rtnl_route_set_dst(route.get(), dst.get());  // takes its own reference
    return route;
  }

  static RulePtr make_rule(uint32_t priority, const Prefix& src, uint32_t table) {
    RulePtr rule(rtnl_rule_alloc());
    rtnl_rule_set_family(rule.get(), af_of(src.addr));
    rtnl_rule_set_prio(rule.get(), priority);
    AddrPtr s = to_nl(src.addr, src.len);
    rtnl_rule_set_src(rule.get(), s.get());
    rtnl_rule_set_table(rule.get(), table);
    rtnl_rule_set_action(rule.get(), FR_ACT_TO_TBL);
    return rule;
  }

  SockPtr events_, requests_;
  nl_cb* cb_ = nullptr;
  std::vector<LinkState>* sink_ = nullptr;
};

}  // namespace

std::unique_ptr<Netlink> make_libnl_netlink() { return std::make_unique<LibnlNetlink>(); }

}  // namespace tg::netlink
