// SmallFamily: the small family's entry point. Adds to SmallGemm (small_gemm-inl.h)
// (a) K in (32, 512] (kSmallMax, kSmallLongKMaxK] with narrow C rows (the planner
// sends float32 n <= 48, float64 n <= 24): the training backward's thin products
// (the Keras seed's grad_x 48x96 . 96x5), which the packed GEMM runs on mostly
// empty 12 x 32 tiles; C rows in registers, B read in place (L1-resident), one
// item at a time; and (b) B with its contracted axis unit-stride (g . y^T: the bmm
// grad_x) copied per chunk of items through register transposes instead of
// element by element. Bound: FMA issue per item.
//
// Order: canonical (one fma chain over increasing k from zero per element), as
// SmallGemm and, for K <= 512 (one KC block), the packed GEMM: the bits are those
// of the family that ran these shapes before, for every range split.

#if defined(BATCHDOT_KERNELS_SMALL_LONG_K_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef BATCHDOT_KERNELS_SMALL_LONG_K_INL_H_
#undef BATCHDOT_KERNELS_SMALL_LONG_K_INL_H_
#else
#define BATCHDOT_KERNELS_SMALL_LONG_K_INL_H_
#endif

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "hwy/highway.h"
#include "kernels/kernel_common-inl.h"
#include "kernels/kernel_table.hpp"
#include "kernels/small_gemm-inl.h"
#include "kernels/strided_gemm.hpp"
#include "kernels/transposed_b_tile-inl.h"

HWY_BEFORE_NAMESPACE();
namespace batchdot::kernels {
namespace HWY_NAMESPACE {

// Elements of B copied per chunk of items: 32 KiB of float32, so the copy is
// still in L1/L2 when the rows read it.
inline constexpr int64_t kSmallTileElements = 8192;

// Rows x columns of unit-stride-B products, any k: column chunks of up to four
// vectors, each on SmallBatch (C rows in registers).
template <typename T>
void SmallRowsAnyK(const StridedGemm& t, const GemmRange& r, const T* a, const T* b, T* c, Workspace& ws) {
  const size_t w = static_cast<size_t>(r.n_end - r.n_begin);
  const size_t chunk = 4 * hn::Lanes(hn::ScalableTag<T>());
  for (size_t j0 = 0; j0 < w; j0 += chunk) {
    GemmRange rc = r;
    rc.n_begin = r.n_begin + static_cast<int64_t>(j0);
    rc.n_end = rc.n_begin + static_cast<int64_t>(std::min(chunk, w - j0));
    const size_t wc = static_cast<size_t>(rc.n_end - rc.n_begin);
    SmallBatchFn<T> fn = nullptr;
    if (wc <= 1) fn = PickSmall<T, 1>(wc);
    else if (wc <= 2) fn = PickSmall<T, 2>(wc);
    else if (wc <= 4) fn = PickSmall<T, 4>(wc);
    else if (wc <= 8) fn = PickSmall<T, 8>(wc);
    else fn = PickSmall<T, 16>(wc);
    if (fn == nullptr) return GenericChainGemm<T>(t, rc, a, b, c, ws);
    fn(t, rc, a, b, c);
  }
}

// Runs `body(tile_gemm, range, a, b_tile, c)` on chunks of items whose B tiles
// (k x w, the range's columns) were copied to a unit-stride tile. False
// (nothing written) when the workspace cannot be had.
template <typename T, class Body>
bool WithCopiedB(const StridedGemm& t, const GemmRange& r, const T* a, const T* b, T* c, Workspace& ws, Body body) {
  const int64_t w = r.n_end - r.n_begin;
  const int64_t per_item = t.k * w;
  const int64_t items = std::min(r.item_end - r.item_begin, std::max<int64_t>(1, kSmallTileElements / per_item));
  T* tile = static_cast<T*>(ws.Get(static_cast<size_t>(items * per_item) * sizeof(T)));
  if (tile == nullptr) return false;
  StridedGemm p = t;
  p.b_item_stride = per_item;
  p.b_k_stride = w;
  p.b_n_stride = 1;
  for (int64_t i0 = r.item_begin; i0 < r.item_end; i0 += items) {
    const int64_t i1 = std::min(r.item_end, i0 + items);
    for (int64_t i = i0; i < i1; ++i) {
      CopyBTile(b + i * t.b_item_stride + r.n_begin * t.b_n_stride, t.b_k_stride, t.b_n_stride,
                static_cast<size_t>(t.k), static_cast<size_t>(w), tile + (i - i0) * per_item, static_cast<size_t>(w));
    }
    const GemmRange rc{0, i1 - i0, r.m_begin, r.m_end, 0, w};
    body(p, rc, a + i0 * t.a_item_stride, tile, c + i0 * t.c_item_stride + r.n_begin * t.c_n_stride);
  }
  return true;
}

template <typename T>
void SmallFamily(const StridedGemm& g, const GemmRange& r0, const T* a0, const T* b0, T* c, Workspace& ws) noexcept {
  if (EmptyRange(r0)) return;
  const bool long_k = g.k > kSmallMax;
  // (b): a row-major C (SmallGemm would not transpose) over k-contiguous B columns.
  const bool transposed_b = !long_k && g.k >= 1 && g.b_run == 0 && g.n <= kSmallMaxN && g.b_n_stride != 1 &&
                            g.b_k_stride == 1 && g.c_n_stride == 1;
  if ((!long_k && !transposed_b) || HWY_TARGET == HWY_SCALAR || g.b_run != 0) {
    return SmallGemm<T>(g, r0, a0, b0, c, ws);  // also the scalar target's fallback to generic
  }
  if (transposed_b) {
    auto run = [&](const StridedGemm& p, const GemmRange& rc, const T* a, const T* bt, T* ct) {
      SmallGemm<T>(p, rc, a, bt, ct, ws);
    };
    if (!WithCopiedB(g, r0, a0, b0, c, ws, run)) SmallGemm<T>(g, r0, a0, b0, c, ws);
    return;
  }
  // (a): vectors run along n. Transpose when that makes B (or else C) unit-stride along n.
  StridedGemm t = g;
  GemmRange r = r0;
  const T* a = a0;
  const T* b = b0;
  if (t.b_n_stride != 1 && (t.a_m_stride == 1 || (t.c_n_stride != 1 && t.c_m_stride == 1))) Transpose(t, r, a, b);
  if (t.b_n_stride == 1) return SmallRowsAnyK(t, r, a, b, c, ws);
  auto run = [&](const StridedGemm& p, const GemmRange& rc, const T* ap, const T* bt, T* ct) {
    SmallRowsAnyK(p, rc, ap, bt, ct, ws);
  };
  if (!WithCopiedB(t, r, a, b, c, ws, run)) GenericChainGemm<T>(g, r0, a0, b0, c, ws);
}

}  // namespace HWY_NAMESPACE
}  // namespace batchdot::kernels
HWY_AFTER_NAMESPACE();

#endif  // BATCHDOT_KERNELS_SMALL_LONG_K_INL_H_ toggle
