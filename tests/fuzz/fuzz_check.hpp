// Invariants the fuzz targets check on every parser result: each view a
// parser returns lies inside the input it was given. A violation aborts, so
// libFuzzer reports it like a crash.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

namespace tg::fuzz {

inline void require(bool ok) {
  if (!ok) std::abort();
}

inline void require_inside(std::string_view part, std::string_view whole) {
  if (part.empty()) return;  // empty views may point anywhere (or nowhere)
  require(part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

inline void require_inside(std::span<const uint8_t> part, std::span<const uint8_t> whole) {
  if (part.empty()) return;
  require(part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

}  // namespace tg::fuzz
