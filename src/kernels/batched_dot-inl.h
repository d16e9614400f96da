// BatchedDot: m == n == 1, count items of C_i = sum_k A_i[k] B_i[k] (and the
// row-dot path of gemv). Bound: memory (DRAM read bandwidth for large batches).
//
// Per-item order ("dot order"): four vector accumulators take full vectors
// round-robin (k chunk j goes to accumulator j % 4), a partial tail vector goes
// to accumulator 3, then ((acc0 + acc1) + (acc2 + acc3)) is reduced with
// SumOfLanes. The order depends only on K and the target, never on how many
// items are processed together, so any split of the batch gives the same bits.

#if defined(BATCHDOT_KERNELS_BATCHED_DOT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef BATCHDOT_KERNELS_BATCHED_DOT_INL_H_
#undef BATCHDOT_KERNELS_BATCHED_DOT_INL_H_
#else
#define BATCHDOT_KERNELS_BATCHED_DOT_INL_H_
#endif

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "hwy/cache_control.h"
#include "hwy/highway.h"
#include "kernels/kernel_common-inl.h"
#include "kernels/strided_gemm.hpp"

HWY_BEFORE_NAMESPACE();
namespace batchdot::kernels {
namespace HWY_NAMESPACE {

// Items (or rows) processed in lockstep: enough independent FMA chains to hide
// latency and enough concurrent streams for the prefetchers, within 16/32 regs.
#if HWY_TARGET <= HWY_AVX3
inline constexpr size_t kDotGroup = 4;
#else
inline constexpr size_t kDotGroup = 2;
#endif

// Dot products of G unit-stride vector pairs a[g][0, k) . b[g][0, k), all with
// the same k, in dot order. Rows of a gemv share one b (pass the same pointer).
template <size_t G, typename T>
HWY_INLINE void DotGroup(const T* const* a, const T* const* b, size_t k, T* out) {
  const hn::ScalableTag<T> d;
  using V = hn::Vec<decltype(d)>;
  const size_t N = hn::Lanes(d);
  V acc[G][4];
  for (size_t g = 0; g < G; ++g) {
    for (size_t j = 0; j < 4; ++j) acc[g][j] = hn::Zero(d);
  }
  size_t p = 0;
  for (; p + 4 * N <= k; p += 4 * N) {
    for (size_t g = 0; g < G; ++g) {
      for (size_t j = 0; j < 4; ++j) {
        acc[g][j] = hn::MulAdd(hn::LoadU(d, a[g] + p + j * N), hn::LoadU(d, b[g] + p + j * N),
                               acc[g][j]);
      }
    }
  }
  // Up to three more full vectors, continuing the round-robin. Written out so
  // that every accumulator index is a constant and the array stays in registers.
  auto one_more = [&](auto j) {
    for (size_t g = 0; g < G; ++g) {
      acc[g][j()] = hn::MulAdd(hn::LoadU(d, a[g] + p), hn::LoadU(d, b[g] + p), acc[g][j()]);
    }
    p += N;
  };
  if (p + N <= k) one_more(std::integral_constant<size_t, 0>());
  if (p + N <= k) one_more(std::integral_constant<size_t, 1>());
  if (p + N <= k) one_more(std::integral_constant<size_t, 2>());
  if (p < k) {
    for (size_t g = 0; g < G; ++g) {
      acc[g][3] = hn::MulAdd(LoadPartial(d, a[g] + p, k - p), LoadPartial(d, b[g] + p, k - p),
                             acc[g][3]);
    }
  }
  for (size_t g = 0; g < G; ++g) {
    const V sum = hn::Add(hn::Add(acc[g][0], acc[g][1]), hn::Add(acc[g][2], acc[g][3]));
    out[g] = hn::GetLane(hn::SumOfLanes(d, sum));
  }
}

// Copies k elements at `step` into dst so strided operands reuse DotGroup
// (same order as the unit-stride path, hence the same bits).
template <typename T>
HWY_INLINE const T* Gathered(const T* src, int64_t step, int64_t k, T* dst) {
  if (step == 1) return src;
  for (int64_t p = 0; p < k; ++p) dst[p] = src[p * step];
  return dst;
}

template <typename T>
void BatchedDot(const StridedGemm& g, const GemmRange& r, const T* a, const T* b, T* c,
                Workspace& ws) noexcept {
  if (EmptyRange(r)) return;
  if (g.m != 1 || g.n != 1) return GenericChainGemm<T>(g, r, a, b, c, ws);
  const size_t k = static_cast<size_t>(g.k);
  const int64_t as = g.a_item_stride, bs = g.b_item_stride, cs = g.c_item_stride;
  int64_t i = r.item_begin;
  if (g.a_k_stride == 1 && g.b_k_stride == 1) {
    // Software prefetch a few items ahead: cheap, and it helps when items are
    // not back to back (padding) where the stream prefetcher is slower to lock on.
    const int64_t ahead = 16;
    const size_t lines = (k * sizeof(T) + 63) / 64;
    for (; i + static_cast<int64_t>(kDotGroup) <= r.item_end; i += kDotGroup) {
      const T* pa[kDotGroup];
      const T* pb[kDotGroup];
      T out[kDotGroup];
      for (size_t j = 0; j < kDotGroup; ++j) {
        pa[j] = a + (i + static_cast<int64_t>(j)) * as;
        pb[j] = b + (i + static_cast<int64_t>(j)) * bs;
      }
      if (i + ahead + static_cast<int64_t>(kDotGroup) <= r.item_end) {
        for (size_t j = 0; j < kDotGroup; ++j) {
          const char* qa = reinterpret_cast<const char*>(pa[j] + ahead * as);
          const char* qb = reinterpret_cast<const char*>(pb[j] + ahead * bs);
          for (size_t l = 0; l < lines; ++l) {
            hwy::Prefetch(qa + 64 * l);
            hwy::Prefetch(qb + 64 * l);
          }
        }
      }
      DotGroup<kDotGroup>(pa, pb, k, out);
      for (size_t j = 0; j < kDotGroup; ++j) c[(i + static_cast<int64_t>(j)) * cs] = out[j];
    }
    for (; i < r.item_end; ++i) {
      const T* pa = a + i * as;
      const T* pb = b + i * bs;
      DotGroup<1>(&pa, &pb, k, c + i * cs);
    }
    return;
  }
  // Strided k: gather each item into the workspace, then the same DotGroup.
  T* buf = static_cast<T*>(ws.Get(2 * (k + 1) * sizeof(T)));
  if (buf == nullptr) return GenericChainGemm<T>(g, r, a, b, c, ws);
  for (; i < r.item_end; ++i) {
    const T* pa = Gathered(a + i * as, g.a_k_stride, g.k, buf);
    const T* pb = Gathered(b + i * bs, g.b_k_stride, g.k, buf + k + 1);
    DotGroup<1>(&pa, &pb, k, c + i * cs);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace batchdot::kernels
HWY_AFTER_NAMESPACE();

#endif  // BATCHDOT_KERNELS_BATCHED_DOT_INL_H_ toggle
