// NextItemPrefetch: while one batch item computes, touches the next item's rows
// of A and B a few lines per micro-tile. Serves batches of mid-size items
// (64 KiB - 1 MiB of operands) read from DRAM. Bound: none of its own (prefetches).

#if defined(BATCHDOT_KERNELS_NEXT_ITEM_PREFETCH_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef BATCHDOT_KERNELS_NEXT_ITEM_PREFETCH_INL_H_
#undef BATCHDOT_KERNELS_NEXT_ITEM_PREFETCH_INL_H_
#else
#define BATCHDOT_KERNELS_NEXT_ITEM_PREFETCH_INL_H_
#endif

#include <cstddef>
#include <cstdint>

#include "hwy/cache_control.h"
#include "hwy/highway.h"
#include "kernels/machine_constants.hpp"
#include "kernels/strided_gemm.hpp"

HWY_BEFORE_NAMESPACE();
namespace batchdot::kernels {
namespace HWY_NAMESPACE {

// Fetches the next item's rows of A and B into the caches a few lines per
// micro-tile while this item computes: in batches whose operands come from
// DRAM (attention: 16 MiB of A and B behind 64 MiB of C) packing otherwise
// waits on those reads (11 % of the call). Unit-stride rows only.
template <typename T>
class NextItemPrefetch {
 public:
  NextItemPrefetch(const StridedGemm& g, const GemmRange& r, size_t tiles_per_item) {
    constexpr int64_t kLine = 64 / sizeof(T);
    const int64_t m = r.m_end - r.m_begin, n = r.n_end - r.n_begin;
    const int64_t item_bytes = static_cast<int64_t>(sizeof(T)) * (m * g.k + g.k * n);
    // Worth it when an item's operands do not stay cached from the last call.
    // Items above 1 MiB would push the current panels out of L2.
    const bool worth_it = r.item_end - r.item_begin >= 2 && item_bytes >= kPrefetchMinItemBytes &&
                          item_bytes <= kPrefetchMaxItemBytes;
    if (!worth_it || tiles_per_item == 0) return;
    if (g.a_k_stride == 1) {
      a_rows_ = m, a_row_lines_ = (g.k + kLine - 1) / kLine, a_row_stride_ = g.a_m_stride;
    } else if (g.a_m_stride == 1) {
      a_rows_ = g.k, a_row_lines_ = (m + kLine - 1) / kLine, a_row_stride_ = g.a_k_stride;
    }
    if (g.b_n_stride == 1) {
      b_rows_ = g.k, b_row_lines_ = (n + kLine - 1) / kLine, b_row_stride_ = g.b_k_stride;
    } else if (g.b_k_stride == 1) {
      b_rows_ = n, b_row_lines_ = (g.k + kLine - 1) / kLine, b_row_stride_ = g.b_n_stride;
    }
    const int64_t lines = a_rows_ * a_row_lines_ + b_rows_ * b_row_lines_;
    per_tile_ = (lines + static_cast<int64_t>(tiles_per_item) - 1) / static_cast<int64_t>(tiles_per_item);
  }
  // Restarts the walk at the operands of the item after the one starting now.
  void NextItem(const T* a_next, const T* b_next) {
    a_ = a_next, b_ = b_next, line_ = 0;
  }
  // A few more lines of the next item.
  HWY_INLINE void Step() {
    constexpr int64_t kLine = 64 / sizeof(T);
    for (int64_t q = 0; q < per_tile_ && a_ != nullptr; ++q, ++line_) {
      int64_t l = line_;
      if (l < a_rows_ * a_row_lines_) {
        hwy::Prefetch(a_ + (l / a_row_lines_) * a_row_stride_ + (l % a_row_lines_) * kLine);
        continue;
      }
      l -= a_rows_ * a_row_lines_;
      if (l >= b_rows_ * b_row_lines_) return;
      hwy::Prefetch(b_ + (l / b_row_lines_) * b_row_stride_ + (l % b_row_lines_) * kLine);
    }
  }

 private:
  const T* a_ = nullptr;
  const T* b_ = nullptr;
  int64_t a_rows_ = 0, a_row_lines_ = 1, a_row_stride_ = 0;
  int64_t b_rows_ = 0, b_row_lines_ = 1, b_row_stride_ = 0;
  int64_t per_tile_ = 0, line_ = 0;
};

}  // namespace HWY_NAMESPACE
}  // namespace batchdot::kernels
HWY_AFTER_NAMESPACE();

#endif  // BATCHDOT_KERNELS_NEXT_ITEM_PREFETCH_INL_H_ toggle
