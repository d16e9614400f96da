// BatchedGemv: n == 1, count items of C_i[m] = sum_k A_i[m, k] B_i[k].
// Bound: memory (A is read once; B and C are small).
//
// Two fast layouts. Unit k stride in A: each row is a dot product with B in
// dot order (batched_dot-inl.h), several rows in lockstep. Unit m stride in A:
// axpy over m, one vector accumulator chain per row in the canonical order
// (kernel_common-inl.h). Any other layout uses the canonical-order scalar chain,
// so a given (shape, strides, target) always produces the same bits.

#if defined(BATCHDOT_KERNELS_BATCHED_GEMV_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef BATCHDOT_KERNELS_BATCHED_GEMV_INL_H_
#undef BATCHDOT_KERNELS_BATCHED_GEMV_INL_H_
#else
#define BATCHDOT_KERNELS_BATCHED_GEMV_INL_H_
#endif

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "hwy/cache_control.h"
#include "hwy/highway.h"
#include "kernels/batched_dot-inl.h"
#include "kernels/kernel_common-inl.h"
#include "kernels/strided_gemm.hpp"

HWY_BEFORE_NAMESPACE();
namespace batchdot::kernels {
namespace HWY_NAMESPACE {

// Rows per axpy block, in vectors: 4 accumulators hide FMA latency when K is
// long; a short K is memory bound anyway.
inline constexpr size_t kAxpyVectors = 4;
// Software prefetch distance of the row-dot path: about 4 KiB of A ahead
// (measured on Zen 5 for 256-byte rows: 8 rows -> 67% of DRAM bandwidth, 16 ->
// 85%, 32 or 64 -> 60-75%, none -> 55%; further ahead competes with the
// hardware prefetcher).
inline constexpr size_t kGemvPrefetchBytes = 4096;

// rows [0, rows) of one column-major block: c[m] = sum_p a[p * lda + m] * b[p * ldb].
template <size_t NV, typename T>
HWY_INLINE void AxpyBlock(const T* a, int64_t lda, const T* b, int64_t ldb, int64_t k,
                          size_t rows, T* c, int64_t ldc) {
  const hn::ScalableTag<T> d;
  using V = hn::Vec<decltype(d)>;
  const size_t N = hn::Lanes(d);
  const bool full = rows == NV * N;
  V acc[NV];
  for (size_t v = 0; v < NV; ++v) acc[v] = hn::Zero(d);
  for (int64_t p = 0; p < k; ++p) {
    const V bk = hn::Set(d, b[p * ldb]);
    const T* ap = a + p * lda;
    if (full) {
      for (size_t v = 0; v < NV; ++v) acc[v] = hn::MulAdd(hn::LoadU(d, ap + v * N), bk, acc[v]);
    } else {
      for (size_t v = 0; v + 1 < NV; ++v) {
        acc[v] = hn::MulAdd(hn::LoadU(d, ap + v * N), bk, acc[v]);
      }
      acc[NV - 1] =
          hn::MulAdd(LoadPartial(d, ap + (NV - 1) * N, rows - (NV - 1) * N), bk, acc[NV - 1]);
    }
  }
  if (ldc == 1) {
    for (size_t v = 0; v < NV; ++v) {
      if ((v + 1) * N <= rows) {
        hn::StoreU(acc[v], d, c + v * N);
      } else if (v * N < rows) {
        StorePartial(d, acc[v], c + v * N, rows - v * N);
      }
    }
  } else {
    HWY_ALIGN T tmp[NV * hn::MaxLanes(d)];
    for (size_t v = 0; v < NV; ++v) hn::Store(acc[v], d, tmp + v * N);
    for (size_t m = 0; m < rows; ++m) c[static_cast<int64_t>(m) * ldc] = tmp[m];
  }
}

template <typename T>
void BatchedGemv(const StridedGemm& g, const GemmRange& r, const T* a, const T* b, T* c,
                 Workspace& ws) noexcept {
  if (EmptyRange(r)) return;
  if (g.n != 1) return GenericChainGemm<T>(g, r, a, b, c, ws);
  if (g.k == 0) return ZeroC(g, r, c);
  const size_t k = static_cast<size_t>(g.k);
  if (g.a_k_stride == 1) {
    const size_t lines = (k * sizeof(T) + 63) / 64;
    const int64_t ahead_rows =
        static_cast<int64_t>(std::max<size_t>(kDotGroup, kGemvPrefetchBytes / (64 * lines)));
    // B is shared by all rows of an item: gather it once if it is strided.
    T* buf = nullptr;
    if (g.b_k_stride != 1) {
      buf = static_cast<T*>(ws.Get(k * sizeof(T)));
      if (buf == nullptr) return GenericChainGemm<T>(g, r, a, b, c, ws);
    }
    for (int64_t i = r.item_begin; i < r.item_end; ++i) {
      const T* bi = Gathered(b + i * g.b_item_stride, g.b_k_stride, g.k, buf);
      const T* ai = a + i * g.a_item_stride;
      T* ci = c + i * g.c_item_stride;
      int64_t m = r.m_begin;
      for (; m + static_cast<int64_t>(kDotGroup) <= r.m_end; m += kDotGroup) {
        const T* pa[kDotGroup];
        const T* pb[kDotGroup];
        T out[kDotGroup];
        for (size_t j = 0; j < kDotGroup; ++j) {
          pa[j] = ai + (m + static_cast<int64_t>(j)) * g.a_m_stride;
          pb[j] = bi;
        }
        // A streams from DRAM: prefetch ahead_rows rows ahead, past the end
        // of the item too (items usually follow each other; a prefetch never
        // faults).
        for (size_t j = 0; j < kDotGroup; ++j) {
          const char* q = reinterpret_cast<const char*>(pa[j] + ahead_rows * g.a_m_stride);
          for (size_t l = 0; l < lines; ++l) hwy::Prefetch(q + 64 * l);
        }
        DotGroup<kDotGroup>(pa, pb, k, out);
        for (size_t j = 0; j < kDotGroup; ++j) {
          ci[(m + static_cast<int64_t>(j)) * g.c_m_stride] = out[j];
        }
      }
      for (; m < r.m_end; ++m) {
        const T* pa = ai + m * g.a_m_stride;
        DotGroup<1>(&pa, &bi, k, ci + m * g.c_m_stride);
      }
    }
    return;
  }
  if (g.a_m_stride == 1) {
    const hn::ScalableTag<T> d;
    const size_t block = kAxpyVectors * hn::Lanes(d);
    for (int64_t i = r.item_begin; i < r.item_end; ++i) {
      const T* ai = a + i * g.a_item_stride;
      const T* bi = b + i * g.b_item_stride;
      T* ci = c + i * g.c_item_stride;
      for (int64_t m = r.m_begin; m < r.m_end; m += static_cast<int64_t>(block)) {
        const size_t rows = static_cast<size_t>(std::min<int64_t>(block, r.m_end - m));
        const size_t nv = (rows + hn::Lanes(d) - 1) / hn::Lanes(d);
        const T* am = ai + m;
        T* cm = ci + m * g.c_m_stride;
        switch (nv) {
          case 1: AxpyBlock<1>(am, g.a_k_stride, bi, g.b_k_stride, g.k, rows, cm, g.c_m_stride); break;
          case 2: AxpyBlock<2>(am, g.a_k_stride, bi, g.b_k_stride, g.k, rows, cm, g.c_m_stride); break;
          case 3: AxpyBlock<3>(am, g.a_k_stride, bi, g.b_k_stride, g.k, rows, cm, g.c_m_stride); break;
          default: AxpyBlock<kAxpyVectors>(am, g.a_k_stride, bi, g.b_k_stride, g.k, rows, cm, g.c_m_stride);
        }
      }
    }
    return;
  }
  GenericChainGemm<T>(g, r, a, b, c, ws);
}

}  // namespace HWY_NAMESPACE
}  // namespace batchdot::kernels
HWY_AFTER_NAMESPACE();

#endif  // BATCHDOT_KERNELS_BATCHED_GEMV_INL_H_ toggle
