// Every heap allocation in a benchmark process is counted (alloc_count.cpp
// replaces the global operator new); timed loops read the count before and
// after, so any allocation on a hot path shows as a non-zero figure.
#pragma once
#include <cstdint>

namespace tg::bench {
uint64_t heap_allocations();
}
