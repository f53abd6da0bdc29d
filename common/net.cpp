#include "common/net.hpp"

#include <arpa/inet.h>

#include <cstdio>

namespace tg {

bool IpAddr::parse(std::string_view text) {
  char buf[64];
  if (text.empty() || text.size() >= sizeof buf) return false;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  uint8_t out[16];
  if (inet_pton(AF_INET, buf, out) == 1) {
    *this = v4_bytes(out);
    return true;
  }
  if (inet_pton(AF_INET6, buf, out) == 1) {
    *this = v6_bytes(out);
    return true;
  }
  return false;
}

size_t IpAddr::format(char* buf, size_t size) const {
  if (size == 0) return 0;
  buf[0] = '\0';
  if (family == 4) {
    if (!inet_ntop(AF_INET, bytes.data(), buf, socklen_t(size))) buf[0] = '\0';
  } else if (family == 6) {
    if (!inet_ntop(AF_INET6, bytes.data(), buf, socklen_t(size))) buf[0] = '\0';
  }
  return std::strlen(buf);
}

std::string IpAddr::str() const {
  char buf[64];
  return std::string(buf, format(buf, sizeof buf));
}

std::string Endpoint::str() const {
  std::string a = addr.str();
  if (addr.family == 6) return "[" + a + "]:" + std::to_string(port);
  return a + ":" + std::to_string(port);
}

}  // namespace tg
