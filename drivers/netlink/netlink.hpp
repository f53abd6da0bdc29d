// The rtnetlink boundary of the control daemon: link up/down events (carrier
// changes within milliseconds), bringing a link up, addresses, a default
// route in a routing table and source-based policy rules. LibnlNetlink is
// the real one (libnl-route-3), FakeNetlink the unit-test double. Setup /
// control path: these calls make syscalls and may allocate.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/net.hpp"

namespace tg::netlink {

struct Prefix {
  IpAddr addr;
  uint8_t len = 0;
  // "192.0.2.1/24", "2001:db8::1/64"; a bare address means a host prefix.
  bool parse(std::string_view text);
  std::string str() const;
  friend bool operator==(const Prefix&, const Prefix&) = default;
};

struct LinkState {
  int ifindex = 0;
  std::string name;
  bool admin_up = false;   // IFF_UP
  bool carrier = false;    // IFF_LOWER_UP: the cable / peer is there
  bool removed = false;    // RTM_DELLINK
  uint32_t flags = 0;      // raw IFF_* flags
  uint64_t mono_ns = 0;    // CLOCK_MONOTONIC when the message was read
  bool operational() const { return admin_up && carrier && !removed; }
};

class Netlink {
 public:
  virtual ~Netlink() = default;

  // Subscribes to link events (RTNLGRP_LINK). Non-blocking afterwards.
  virtual bool open(std::string& error) = 0;
  // fd to poll() for readability before read_events(); -1 if none.
  virtual int event_fd() const = 0;
  // Reads pending link messages without blocking; appends them to out.
  // Returns false on a socket error (events may have been lost: re-dump).
  virtual bool read_events(std::vector<LinkState>& out, std::string& error) = 0;
  // Current state of every link.
  virtual bool dump_links(std::vector<LinkState>& out, std::string& error) = 0;

  virtual bool set_link_up(const std::string& ifname, bool up, std::string& error) = 0;
  // Adds (or refreshes) an address on a link. IPv6 ones without duplicate
  // address detection: they are the box's own (the fast path answers for
  // them) and a tentative address is unusable for a second or more.
  virtual bool add_address(const std::string& ifname, const Prefix& p, std::string& error) = 0;
  virtual bool del_address(const std::string& ifname, const Prefix& p, std::string& error) = 0;
  // Creates or replaces the default route of `table` (main = 254) via
  // gateway (empty: on-link) out of ifname, for the gateway's family.
  virtual bool set_default_route(const std::string& ifname, const IpAddr& gateway, uint32_t table,
                                 std::string& error) = 0;
  // Deletes the default route of `family` (4 or 6) that we made (protocol
  // static) in `table`; a table without one is no error (it is gone).
  virtual bool del_default_route(int family, uint32_t table, std::string& error) = 0;
  // "from <src> lookup <table>" at priority; adding an existing rule succeeds.
  virtual bool add_rule(uint32_t priority, const Prefix& src, uint32_t table, std::string& error) = 0;
  virtual bool del_rule(uint32_t priority, const Prefix& src, uint32_t table, std::string& error) = 0;
};

std::unique_ptr<Netlink> make_libnl_netlink();

constexpr uint32_t kMainTable = 254;

}  // namespace tg::netlink
