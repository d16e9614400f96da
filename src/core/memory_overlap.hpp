// Element-exact memory overlap of strided arrays, in bytes: do two arrays share a
// byte, does one array reach a byte through two different indices? The same
// question NumPy's np.shares_memory answers, by the same reduction to a bounded
// linear Diophantine equation, solved exactly within a work bound.
#pragma once

#include <cstdint>
#include <span>

namespace batchdot::core {

// A strided array as bytes: element i touches [start + sum(i_k * byte_strides[k]),
// + itemsize). Strides may be negative or zero.
struct ByteLayout {
  uintptr_t start = 0;
  int64_t itemsize = 1;
  std::span<const int64_t> shape;
  std::span<const int64_t> byte_strides;
};

enum class Overlap {
  kNo,       // proven disjoint (or no shared address)
  kYes,      // a shared byte exists
  kTooHard,  // the search hit the work bound: treat as "may overlap"
};

// Search steps allowed per question. Shapes met in practice take a few dozen;
// the bound only matters for adversarial strides (many dims, co-prime strides).
inline constexpr int64_t kOverlapMaxWork = 200'000;

// Whether `a` and `b` share at least one byte.
Overlap SharesMemory(const ByteLayout& a, const ByteLayout& b, int64_t max_work = kOverlapMaxWork);

// Whether two different indices of `a` touch a common byte.
Overlap HasInternalOverlap(const ByteLayout& a, int64_t max_work = kOverlapMaxWork);

}  // namespace batchdot::core
