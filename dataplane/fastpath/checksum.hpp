// Internet checksum (RFC 1071) and its incremental update (RFC 1624 eqn. 3),
// so SNAT/DNAT touch only the changed words instead of summing the packet.
#pragma once
#include <cstddef>
#include <cstdint>

namespace tg::fastpath {

inline uint16_t csum_fold(uint32_t sum) {
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return uint16_t(sum);
}

// One's-complement sum of big-endian 16-bit words (odd tail padded with 0).
inline uint32_t csum_partial(const uint8_t* p, size_t len, uint32_t sum = 0) {
  for (; len >= 2; p += 2, len -= 2) sum += uint32_t(p[0]) << 8 | p[1];
  if (len) sum += uint32_t(p[0]) << 8;
  return sum;
}

// Checksum field value (host order) for data with the field zeroed.
inline uint16_t csum(const uint8_t* p, size_t len, uint32_t sum = 0) {
  return uint16_t(~csum_fold(csum_partial(p, len, sum)));
}

// HC' = ~(~HC + ~m + m') for one 16-bit word changing from m to m'.
inline uint16_t csum_update16(uint16_t hc, uint16_t from, uint16_t to) {
  uint32_t s = uint32_t(uint16_t(~hc)) + uint16_t(~from) + to;
  return uint16_t(~csum_fold(s));
}
inline uint16_t csum_update32(uint16_t hc, uint32_t from, uint32_t to) {
  hc = csum_update16(hc, uint16_t(from >> 16), uint16_t(to >> 16));
  return csum_update16(hc, uint16_t(from), uint16_t(to));
}

// The same for n bytes (even) changing at once: an IPv6 address in the
// pseudo header costs one fold, not eight.
inline uint16_t csum_update_bytes(uint16_t hc, const uint8_t* from, const uint8_t* to, size_t n) {
  uint32_t s = uint16_t(~hc);
  for (size_t i = 0; i + 1 < n; i += 2) {
    s += uint16_t(~(uint32_t(from[i]) << 8 | from[i + 1]));
    s += uint32_t(to[i]) << 8 | to[i + 1];
  }
  return uint16_t(~csum_fold(s));
}

}  // namespace tg::fastpath
