// IP addresses and transport endpoints as plain values (trivially copyable,
// hashable, no allocation) for tables in the fast path.
#pragma once
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace tg {

struct IpAddr {
  uint8_t family = 0;  // 0 = none, 4 or 6
  std::array<uint8_t, 16> bytes{};  // IPv4 in the first 4 bytes

  static IpAddr v4(uint32_t host_order) {
    IpAddr a;
    a.family = 4;
    a.bytes[0] = uint8_t(host_order >> 24);
    a.bytes[1] = uint8_t(host_order >> 16);
    a.bytes[2] = uint8_t(host_order >> 8);
    a.bytes[3] = uint8_t(host_order);
    return a;
  }
  static IpAddr v4_bytes(const uint8_t* p) {
    IpAddr a;
    a.family = 4;
    std::memcpy(a.bytes.data(), p, 4);
    return a;
  }
  static IpAddr v6_bytes(const uint8_t* p) {
    IpAddr a;
    a.family = 6;
    std::memcpy(a.bytes.data(), p, 16);
    return a;
  }
  // Parses dotted quad or RFC 4291 text; false (and *this untouched) if invalid.
  bool parse(std::string_view text);
  uint32_t v4_host_order() const {
    return uint32_t(bytes[0]) << 24 | uint32_t(bytes[1]) << 16 | uint32_t(bytes[2]) << 8 | bytes[3];
  }
  bool empty() const { return family == 0; }
  // Writes text into buf (at least 46 bytes), returns its length.
  size_t format(char* buf, size_t size) const;
  std::string str() const;

  friend bool operator==(const IpAddr&, const IpAddr&) = default;
};

struct Endpoint {
  IpAddr addr;
  uint16_t port = 0;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
  // "198.51.100.1:4000" or "[2001:db8::1]:4000"
  std::string str() const;
};

// 64-bit mix for open-addressing tables (splitmix64 finaliser).
inline uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

inline uint64_t hash_endpoint(const Endpoint& e, uint64_t seed = 0) {
  uint64_t a, b;
  std::memcpy(&a, e.addr.bytes.data(), 8);
  std::memcpy(&b, e.addr.bytes.data() + 8, 8);
  return mix64(seed ^ mix64(a ^ mix64(b ^ (uint64_t(e.port) << 8 | e.addr.family))));
}

}  // namespace tg
