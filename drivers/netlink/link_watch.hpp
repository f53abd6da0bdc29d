// Carrier of each uplink's kernel netdev from netlink link messages.
// The kernel sends RTM_NEWLINK for many reasons (stats, MTU, address
// changes); this keeps the last operational state per uplink and reports
// only real changes, with the time the message was read.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "drivers/netlink/netlink.hpp"

namespace tg::netlink {

struct CarrierChange {
  uint8_t uplink;
  bool up;           // admin up and carrier present
  uint64_t mono_ns;  // when the kernel message was read
};

class LinkWatch {
 public:
  static constexpr uint8_t kMaxLinks = 16;
  // ifnames[i] is uplink i's netdev; empty = not watched.
  explicit LinkWatch(std::vector<std::string> ifnames);

  // Initial state from a dump; reports every watched link found (and those
  // missing as down) so the caller starts from the truth.
  void load(const std::vector<LinkState>& dump, std::vector<CarrierChange>& out);
  // Incremental messages; appends changes only.
  void feed(const std::vector<LinkState>& events, std::vector<CarrierChange>& out);

  bool known(uint8_t uplink) const { return uplink < names_.size() && known_[uplink]; }
  bool up(uint8_t uplink) const { return uplink < names_.size() && up_[uplink]; }
  // Kernel ifindex of the link, 0 while absent: a new value means the link
  // was re-created (and the kernel forgot its routes).
  int ifindex(uint8_t uplink) const { return uplink < names_.size() ? ifindex_[uplink] : 0; }
  uint64_t messages() const { return messages_; }
  uint64_t ignored() const { return ignored_; }  // not one of ours

 private:
  int uplink_of(const LinkState& l) const;
  std::vector<std::string> names_;
  int ifindex_[kMaxLinks] = {};
  bool known_[kMaxLinks] = {};
  bool up_[kMaxLinks] = {};
  uint64_t messages_ = 0, ignored_ = 0;
};

}  // namespace tg::netlink
