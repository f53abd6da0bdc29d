// Word-by-word copies with relaxed atomic accesses, for seqlock-published
// shared memory (stats.cpp, call_export.cpp): a reader racing the writer sees
// torn data only as a changed sequence, never as a data race (the seqlock
// idiom made well-defined, as in the Linux kernel). Sizes are whole words.
#pragma once
#include <cstddef>
#include <cstdint>

namespace tg::api {

inline void relaxed_store_words(uint64_t* dst, const uint64_t* src, size_t words) {
  for (size_t i = 0; i < words; ++i) __atomic_store_n(&dst[i], src[i], __ATOMIC_RELAXED);
}
inline void relaxed_load_words(uint64_t* dst, const uint64_t* src, size_t words) {
  for (size_t i = 0; i < words; ++i) dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

}  // namespace tg::api
