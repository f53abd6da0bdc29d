#include "drivers/netlink/link_watch.hpp"

namespace tg::netlink {

LinkWatch::LinkWatch(std::vector<std::string> ifnames) : names_(std::move(ifnames)) {
  if (names_.size() > kMaxLinks) names_.resize(kMaxLinks);
}

int LinkWatch::uplink_of(const LinkState& l) const {
  for (size_t u = 0; u < names_.size(); ++u) {
    if (names_[u].empty()) continue;
    // By name; a RTM_DELLINK may carry the name of a link already renamed,
    // so a known ifindex matches too.
    if (names_[u] == l.name || (ifindex_[u] != 0 && ifindex_[u] == l.ifindex)) return int(u);
  }
  return -1;
}

void LinkWatch::load(const std::vector<LinkState>& dump, std::vector<CarrierChange>& out) {
  bool seen[kMaxLinks] = {};
  uint64_t latest = 0;
  for (const LinkState& l : dump) {
    if (l.mono_ns > latest) latest = l.mono_ns;
    int u = uplink_of(l);
    if (u < 0) continue;
    seen[u] = true;
    ifindex_[u] = l.ifindex;
    known_[u] = true;
    up_[u] = l.operational();
    out.push_back({uint8_t(u), up_[u], l.mono_ns});
  }
  for (size_t u = 0; u < names_.size(); ++u) {
    if (names_[u].empty() || seen[u]) continue;
    known_[u] = true;
    up_[u] = false;  // configured but absent: down
    ifindex_[u] = 0;
    out.push_back({uint8_t(u), false, latest});
  }
}

void LinkWatch::feed(const std::vector<LinkState>& events, std::vector<CarrierChange>& out) {
  for (const LinkState& l : events) {
    ++messages_;
    int u = uplink_of(l);
    if (u < 0) {
      ++ignored_;
      continue;
    }
    ifindex_[u] = l.removed ? 0 : l.ifindex;
    const bool now_up = l.operational();
    if (known_[u] && up_[u] == now_up) continue;
    known_[u] = true;
    up_[u] = now_up;
    out.push_back({uint8_t(u), now_up, l.mono_ns});
  }
}

}  // namespace tg::netlink
