// Byte spans and big-endian loads: the only way core parsers touch packet data.
// No DPDK headers here: the core works on spans so the same code runs in the
// fast path (over mbuf data) and in tg-analyze (over pcap records).
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace tg {

using Bytes = std::span<const uint8_t>;

// Nanoseconds: capture time in tg-analyze, TSC-derived monotonic time in the
// fast path. Always injected, never read from a clock inside the core.
using TimeNs = uint64_t;
constexpr TimeNs kNsPerMs = 1'000'000;
constexpr TimeNs kNsPerSec = 1'000'000'000;

inline uint16_t load_be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
inline uint32_t load_be24(const uint8_t* p) { return uint32_t(p[0]) << 16 | uint32_t(p[1]) << 8 | p[2]; }
inline uint32_t load_be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
inline uint64_t load_be64(const uint8_t* p) { return uint64_t(load_be32(p)) << 32 | load_be32(p + 4); }

inline std::string_view as_text(Bytes b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace tg
