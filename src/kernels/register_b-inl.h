// RegisterB: k <= 8 (kRegisterBMaxK), any m and n, batch loop inside. Each item's
// K x (NV vectors) tile of B is loaded once into registers and every row of A
// streams past it: one fma chain per C vector and NV stores per row. Serves the
// Keras seed (48 x 96 x 5, its columns read in place from y's runs of 8) and
// other thin-K products with wide rows. Bound: FMA issue (the seed's kernel at
// ~90% of the FMA peak), or the C stores once C leaves the caches.
//
// Order: canonical (one chain over increasing k from zero per element), so any
// split of items, rows or columns gives the bits of every other family.

#if defined(BATCHDOT_KERNELS_REGISTER_B_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef BATCHDOT_KERNELS_REGISTER_B_INL_H_
#undef BATCHDOT_KERNELS_REGISTER_B_INL_H_
#else
#define BATCHDOT_KERNELS_REGISTER_B_INL_H_
#endif

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "hwy/highway.h"
#include "kernels/kernel_common-inl.h"
#include "kernels/kernel_table.hpp"
#include "kernels/stream_store-inl.h"
#include "kernels/strided_gemm.hpp"

HWY_BEFORE_NAMESPACE();
namespace batchdot::kernels {
namespace HWY_NAMESPACE {

// Vector registers the B tile may take (the rest hold a row's accumulators and
// the broadcast A value).
#if HWY_TARGET <= HWY_AVX3
inline constexpr size_t kRegisterBRegs = 24;
#else
inline constexpr size_t kRegisterBRegs = 12;
#endif
inline constexpr size_t kRegisterBMaxVectors = 4;

// How one vector of B's columns [j, j + count) is loaded, decided once per tile
// (the run arithmetic divides): from one contiguous stretch, from two whole runs
// of half a vector (the seed's runs of 8 in 16 lanes), or element by element.
struct ColumnVector {
  enum Kind { kContiguous, kTwoHalves, kElements } kind;
  int64_t offset, second_offset;  // from column 0 of the row
  int64_t first_column;
  size_t count;
};

template <class D>
ColumnVector PlanColumnVector(D d, const StridedGemm& g, int64_t j, size_t count) {
  const size_t lanes = hn::Lanes(d);
  const int64_t offset = g.b_column_offset(j);
  if (g.b_n_stride == 1) {
    const int64_t in_run = g.b_run == 0 ? 0 : j % g.b_run;
    if (g.b_run == 0 || in_run + static_cast<int64_t>(count) <= g.b_run) {
      return {ColumnVector::kContiguous, offset, 0, j, count};
    }
    if (HWY_TARGET != HWY_SCALAR && count == lanes && in_run == 0 && 2 * g.b_run == static_cast<int64_t>(lanes)) {
      return {ColumnVector::kTwoHalves, offset, g.b_column_offset(j + g.b_run), j, count};
    }
  }
  return {ColumnVector::kElements, offset, 0, j, count};
}

// Row p of the item's B (at `b`), the columns `cv` describes; zero beyond count.
template <class D, typename T = hn::TFromD<D>>
HWY_INLINE hn::VFromD<D> LoadColumns(D d, const StridedGemm& g, const T* b, int64_t p, const ColumnVector& cv) {
  const T* row = b + p * g.b_k_stride;
  switch (cv.kind) {
    case ColumnVector::kContiguous:
      return cv.count == hn::Lanes(d) ? hn::LoadU(d, row + cv.offset) : LoadPartial(d, row + cv.offset, cv.count);
    case ColumnVector::kTwoHalves: {
#if HWY_TARGET != HWY_SCALAR
      const hn::Half<D> dh;
      return hn::Combine(d, hn::LoadU(dh, row + cv.second_offset), hn::LoadU(dh, row + cv.offset));
#else
      break;
#endif
    }
    case ColumnVector::kElements:
      break;
  }
  HWY_ALIGN T buf[hn::MaxLanes(d)] = {};
  for (size_t l = 0; l < cv.count; ++l) buf[l] = row[g.b_column_offset(cv.first_column + static_cast<int64_t>(l))];
  return hn::Load(d, buf);
}

// Columns [j0, j0 + width) of rows [m_begin, m_end) for items [item_begin,
// item_end); width <= NV * Lanes and > (NV - 1) * Lanes.
template <size_t K, size_t NV, class D, typename T = hn::TFromD<D>>
void RegisterBTile(D d, const StridedGemm& g, const GemmRange& r, const T* a, const T* b, T* c, int64_t j0,
                   size_t width, bool stream) {
  using V = hn::VFromD<D>;
  const size_t lanes = hn::Lanes(d);
  const size_t last = width - (NV - 1) * lanes;
  const PartialLanes<D> tail(d, last);
  const bool full = last == lanes;
  const V zero = hn::Zero(d);
  // Locals: the vector stores may alias anything, so fields read through `g`
  // and `r` would be reloaded on every row.
  const int64_t a_m = g.a_m_stride, a_k = g.a_k_stride, c_m = g.c_m_stride, c_n = g.c_n_stride;
  const int64_t rows = r.m_end - r.m_begin;
  ColumnVector column_vectors[NV];
  bool all_whole = true, all_halves = true;
  for (size_t v = 0; v < NV; ++v) {
    const ColumnVector cv =
        PlanColumnVector(d, g, j0 + static_cast<int64_t>(v * lanes), v + 1 < NV ? lanes : last);
    column_vectors[v] = cv;
    all_whole &= cv.kind == ColumnVector::kContiguous && cv.count == lanes;
    all_halves &= cv.kind == ColumnVector::kTwoHalves;
  }
  const int64_t b_k = g.b_k_stride;
  for (int64_t i = r.item_begin; i < r.item_end; ++i) {
    const T* bi = b + i * g.b_item_stride;
    V bv[K][NV];
    // The two common layouts unrolled without per-vector branches.
    if (all_whole) {
      HWY_UNROLL(8)
      for (size_t p = 0; p < K; ++p) {
        HWY_UNROLL(4)
        for (size_t v = 0; v < NV; ++v) bv[p][v] = hn::LoadU(d, bi + static_cast<int64_t>(p) * b_k + column_vectors[v].offset);
      }
    } else if (all_halves) {
#if HWY_TARGET != HWY_SCALAR
      const hn::Half<D> dh;
      HWY_UNROLL(8)
      for (size_t p = 0; p < K; ++p) {
        const T* row = bi + static_cast<int64_t>(p) * b_k;
        HWY_UNROLL(4)
        for (size_t v = 0; v < NV; ++v) {
          const ColumnVector& cv = column_vectors[v];
          bv[p][v] = hn::Combine(d, hn::LoadU(dh, row + cv.second_offset), hn::LoadU(dh, row + cv.offset));
        }
      }
#endif
    } else {
      for (size_t p = 0; p < K; ++p) {
        for (size_t v = 0; v < NV; ++v) bv[p][v] = LoadColumns(d, g, bi, static_cast<int64_t>(p), column_vectors[v]);
      }
    }
    const T* ar = a + i * g.a_item_stride + r.m_begin * a_m;
    T* cr = c + i * g.c_item_stride + r.m_begin * c_m + j0 * c_n;
    // One C row: NV chains over k, in the canonical order.
    auto row = [&](const T* HWY_RESTRICT arow, V* acc) HWY_ATTR {
      const V a0 = hn::Set(d, arow[0]);
      HWY_UNROLL(4)
      for (size_t v = 0; v < NV; ++v) acc[v] = hn::MulAdd(a0, bv[0][v], zero);
      HWY_UNROLL(8)
      for (size_t p = 1; p < K; ++p) {
        const V ap = hn::Set(d, arow[static_cast<int64_t>(p) * a_k]);
        HWY_UNROLL(4)
        for (size_t v = 0; v < NV; ++v) acc[v] = hn::MulAdd(ap, bv[p][v], acc[v]);
      }
    };
    V acc[NV];
    if (c_n == 1 && stream) {
      for (int64_t m = 0; m < rows; ++m, ar += a_m, cr += c_m) {
        row(ar, acc);
        HWY_UNROLL(4)
        for (size_t v = 0; v < NV; ++v) StreamVector(d, acc[v], cr + v * lanes);
      }
    } else if (c_n == 1 && full) {
      for (int64_t m = 0; m < rows; ++m, ar += a_m, cr += c_m) {
        row(ar, acc);
        HWY_UNROLL(4)
        for (size_t v = 0; v < NV; ++v) hn::StoreU(acc[v], d, cr + v * lanes);
      }
    } else if (c_n == 1) {
      for (int64_t m = 0; m < rows; ++m, ar += a_m, cr += c_m) {
        row(ar, acc);
        HWY_UNROLL(4)
        for (size_t v = 0; v + 1 < NV; ++v) hn::StoreU(acc[v], d, cr + v * lanes);
        tail.Store(acc[NV - 1], cr + (NV - 1) * lanes);
      }
    } else {
      HWY_ALIGN T tmp[NV * hn::MaxLanes(d)];
      for (int64_t m = 0; m < rows; ++m, ar += a_m, cr += c_m) {
        row(ar, acc);
        for (size_t v = 0; v < NV; ++v) hn::Store(acc[v], d, tmp + v * lanes);
        for (size_t j = 0; j < width; ++j) cr[static_cast<int64_t>(j) * c_n] = tmp[j];
      }
    }
  }
}

template <class D>
using RegisterBTileFn = void (*)(D, const StridedGemm&, const GemmRange&, const hn::TFromD<D>*,
                                 const hn::TFromD<D>*, hn::TFromD<D>*, int64_t, size_t, bool);

template <class D, size_t K, size_t NV>
RegisterBTileFn<D> TileIfFits() {
  if constexpr (K * NV <= kRegisterBRegs) {
    return &RegisterBTile<K, NV, D>;
  } else {
    return nullptr;
  }
}

// The tile kernel for (k, vectors), or null when its B tile would not fit.
template <class D, size_t K = 1>
RegisterBTileFn<D> PickRegisterBTile(int64_t k, size_t nv) {
  if constexpr (K > static_cast<size_t>(kRegisterBMaxK)) {
    return nullptr;
  } else {
    if (static_cast<size_t>(k) != K) return PickRegisterBTile<D, K + 1>(k, nv);
    switch (nv) {
      case 1: return TileIfFits<D, K, 1>();
      case 2: return TileIfFits<D, K, 2>();
      case 3: return TileIfFits<D, K, 3>();
      case 4: return TileIfFits<D, K, 4>();
      default: return nullptr;
    }
  }
}

// Vectors per column tile for this k: as many as the registers allow, spread
// evenly over the tiles (96 columns at k = 5: two tiles of three vectors).
inline size_t RegisterBVectors(int64_t k, size_t vectors) {
  const size_t fit = std::min(kRegisterBMaxVectors, kRegisterBRegs / static_cast<size_t>(k));
  const size_t tiles = (vectors + fit - 1) / fit;
  return (vectors + tiles - 1) / tiles;
}

// Runs the range on the register-B kernel; false (nothing written) when k is
// outside 1..kRegisterBMaxK.
template <typename T>
bool RegisterBGemm(const StridedGemm& g, const GemmRange& r, const T* a, const T* b, T* c) {
  if (g.k < 1 || g.k > kRegisterBMaxK || HWY_TARGET == HWY_SCALAR) return false;
  const hn::ScalableTag<T> d;
  const size_t lanes = hn::Lanes(d);
  const size_t width = static_cast<size_t>(r.n_end - r.n_begin);
  const size_t per_tile = RegisterBVectors(g.k, (width + lanes - 1) / lanes) * lanes;
  // Stream C when it is large and every vector starts a 64-byte line.
  const bool stream = kCanStream && lanes * sizeof(T) == 64 && LargeRowMajorC<T>(g) && LineAlignedRows(g, r, c);
  LineStreamer<hn::ScalableTag<T>> fence;
  // Column tiles outside, items inside: a tile's column plan is made once.
  for (size_t j = 0; j < width; j += per_tile) {
    const size_t w = std::min(per_tile, width - j);
    const size_t nv = (w + lanes - 1) / lanes;
    PickRegisterBTile<hn::ScalableTag<T>>(g.k, nv)(d, g, r, a, b, c, r.n_begin + static_cast<int64_t>(j), w,
                                                   stream && w == nv * lanes);
  }
  if (stream) fence.Streamed();
  fence.Flush();
  return true;
}

}  // namespace HWY_NAMESPACE
}  // namespace batchdot::kernels
HWY_AFTER_NAMESPACE();

#endif  // BATCHDOT_KERNELS_REGISTER_B_INL_H_ toggle
