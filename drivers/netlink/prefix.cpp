#include <charconv>

#include "drivers/netlink/netlink.hpp"

namespace tg::netlink {

bool Prefix::parse(std::string_view text) {
  IpAddr a;
  const size_t slash = text.find('/');
  if (!a.parse(text.substr(0, slash))) return false;
  const unsigned max = a.family == 4 ? 32 : 128;
  unsigned len = max;
  if (slash != std::string_view::npos) {
    std::string_view l = text.substr(slash + 1);
    auto [p, ec] = std::from_chars(l.data(), l.data() + l.size(), len);
    if (ec != std::errc() || p != l.data() + l.size() || l.empty() || len > max) return false;
  }
  addr = a;
  this->len = uint8_t(len);
  return true;
}

std::string Prefix::str() const { return addr.str() + "/" + std::to_string(len); }

}  // namespace tg::netlink
