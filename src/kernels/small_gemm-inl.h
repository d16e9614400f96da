// SmallGemm: n <= 48 (kSmallMaxN) and k <= 32 (kSmallMax), or k <= 8 and any n (register_b-inl.h);
// any m, batch loop inside, no packing: each C row is 1-4 vectors over n held in registers, B rows
// are read in place.
// Serves batches of 4^3..32^3 and thin products like the Keras seed 48x8x5.
// Bound: FMA/load issue per item, or DRAM bandwidth for large batches.
//
// Order: canonical (one fma chain over increasing k per element), the same as
// `generic`, gemm with K <= KC and gemv-axpy. Row grouping, vector width and the
// segment kernel (small_segments-inl.h) are chosen from (n range width,
// strides, target) and never change an element's chain, so any split of
// items/rows/columns gives the same bits.

#if defined(BATCHDOT_KERNELS_SMALL_GEMM_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef BATCHDOT_KERNELS_SMALL_GEMM_INL_H_
#undef BATCHDOT_KERNELS_SMALL_GEMM_INL_H_
#else
#define BATCHDOT_KERNELS_SMALL_GEMM_INL_H_
#endif

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "hwy/cache_control.h"
#include "hwy/highway.h"
#include "kernels/kernel_common-inl.h"
#include "kernels/kernel_table.hpp"
#include "kernels/register_b-inl.h"
#include "kernels/small_segments-inl.h"
#include "kernels/stream_store-inl.h"
#include "kernels/strided_gemm.hpp"

HWY_BEFORE_NAMESPACE();
namespace batchdot::kernels {
namespace HWY_NAMESPACE {

// Accumulator registers one row group may use (leaves room for B rows and the
// broadcast A value in 32 / 16 vector registers).
#if HWY_TARGET <= HWY_AVX3
inline constexpr size_t kSmallAccRegs = 24;
#else
inline constexpr size_t kSmallAccRegs = 8;
#endif

// Where one item's operands live, columns already offset to the n range start.
template <typename T>
struct SmallItem {
  const T* a;  // row m_begin
  int64_t a_m, a_k;
  const T* b;  // unit stride over n; row k at b + k * ldb
  int64_t ldb;
  T* c;  // row m_begin
  int64_t c_m, c_n;
};

// R rows x W columns (W = (NV - 1) * Lanes + last) of C for one item. kFull:
// the last vector is whole (no masking anywhere in the loop).
// `stream` (non-null only when rows are whole and back to back, c_m == width,
// and C is large) takes the R rows as one contiguous run of stream stores;
// `aligned`: every run starts on a 64-byte line, so the accumulators stream
// directly (no lanes to carry between runs).
template <size_t R, size_t NV, bool kFull, class D, typename T = hn::TFromD<D>>
HWY_INLINE void SmallRows(D d, const SmallItem<T>& it, int64_t k, const PartialLanes<D>& tail,
                          LineStreamer<D>* stream, bool aligned) {
  using V = hn::Vec<D>;
  const size_t N = hn::Lanes(d);
  V acc[R][NV];
  for (size_t r = 0; r < R; ++r) {
    for (size_t v = 0; v < NV; ++v) acc[r][v] = hn::Zero(d);
  }
  const T* bp = it.b;
  const T* ap = it.a;
  for (int64_t p = 0; p < k; ++p, bp += it.ldb, ap += it.a_k) {
    V bv[NV];
    for (size_t v = 0; v + 1 < NV; ++v) bv[v] = hn::LoadU(d, bp + v * N);
    bv[NV - 1] = kFull ? hn::LoadU(d, bp + (NV - 1) * N) : tail.Load(bp + (NV - 1) * N);
    for (size_t r = 0; r < R; ++r) {
      const V av = hn::Set(d, ap[static_cast<int64_t>(r) * it.a_m]);
      for (size_t v = 0; v < NV; ++v) acc[r][v] = hn::MulAdd(av, bv[v], acc[r][v]);
    }
  }
  if constexpr (kFull && LineStreamer<D>::kActive) {
    if (aligned) {
      // Every run starts on a line: stream the accumulators directly.
      for (size_t r = 0; r < R; ++r) {
        for (size_t v = 0; v < NV; ++v) StreamVector(d, acc[r][v], it.c + (r * NV + v) * N);
      }
      return;
    }
    if (stream != nullptr) {
      V flat[R * NV];
      for (size_t r = 0; r < R; ++r) {
        for (size_t v = 0; v < NV; ++v) flat[r * NV + v] = acc[r][v];
      }
      stream->template Store<R * NV>(d, flat, it.c);
      return;
    }
  }
  if (it.c_n == 1) {
    for (size_t r = 0; r < R; ++r) {
      T* cr = it.c + static_cast<int64_t>(r) * it.c_m;
      for (size_t v = 0; v + 1 < NV; ++v) hn::StoreU(acc[r][v], d, cr + v * N);
      if (kFull) {
        hn::StoreU(acc[r][NV - 1], d, cr + (NV - 1) * N);
      } else {
        tail.Store(acc[r][NV - 1], cr + (NV - 1) * N);
      }
    }
    return;
  }
  HWY_ALIGN T tmp[R * NV * hn::MaxLanes(d)];
  for (size_t r = 0; r < R; ++r) {
    for (size_t v = 0; v < NV; ++v) hn::Store(acc[r][v], d, tmp + (r * NV + v) * N);
  }
  const size_t w = (NV - 1) * N + tail.n;
  for (size_t r = 0; r < R; ++r) {
    T* cr = it.c + static_cast<int64_t>(r) * it.c_m;
    for (size_t j = 0; j < w; ++j) cr[static_cast<int64_t>(j) * it.c_n] = tmp[r * NV * N + j];
  }
}

// Whole batch range for one (vector width, vectors per row) choice; the caller
// dispatches once per call.
template <class D, size_t NV, bool kFull>
void SmallBatch(const StridedGemm& g, const GemmRange& r, const hn::TFromD<D>* a,
                const hn::TFromD<D>* b, hn::TFromD<D>* c) noexcept {
  using T = hn::TFromD<D>;
  const D d;
  const size_t N = hn::Lanes(d);
  const size_t w = static_cast<size_t>(r.n_end - r.n_begin);
  const PartialLanes<D> tail(d, w - (NV - 1) * N);
  const int64_t rows = r.m_end - r.m_begin;
  LineStreamer<D> streamer;
  LineStreamer<D>* stream =
      LineStreamer<D>::kActive && kFull && g.c_m_stride == static_cast<int64_t>(w) && LargeRowMajorC<T>(g)
          ? &streamer
          : nullptr;
  const bool aligned = stream != nullptr && LineAlignedRows(g, r, c);
  if (aligned) streamer.Streamed();
  if (g.b_n_stride == 1) {
    // Row groups outside, items inside (in chunks that keep B cache-resident),
    // so the per-item loop is only pointer bumps, the k loop and the stores.
    // Large B tiles (e.g. 32x32) go item by item so B stays in L1 across the
    // row groups of one item.
    const int64_t kChunk =
        static_cast<int64_t>(sizeof(T)) * g.k * static_cast<int64_t>(w) >= kSmallItemByItemBTileBytes ? 1 : 64;
    // Software prefetch two items ahead, only when the batch is too big for
    // the caches (rows of A and B must be unit stride to count lines).
    constexpr int64_t kAhead = 2;
    constexpr int64_t kLine = 64 / sizeof(T);
    const int64_t item_bytes =
        static_cast<int64_t>(sizeof(T)) * (g.m * g.k + g.k * g.n + g.m * g.n);
    const bool prefetch = g.a_k_stride == 1 && (r.item_end - r.item_begin) * item_bytes > (8 << 20);
    const int64_t a_lines = (g.k + kLine - 1) / kLine;
    const int64_t b_lines = (static_cast<int64_t>(w) + kLine - 1) / kLine;
    for (int64_t i0 = r.item_begin; i0 < r.item_end; i0 += kChunk) {
      const int64_t i1 = std::min(i0 + kChunk, r.item_end);
      int64_t m = 0;
      auto run = [&](auto group) {
        constexpr size_t R = decltype(group)::value;
        if constexpr (R * NV <= kSmallAccRegs) {
          for (; rows - m >= static_cast<int64_t>(R); m += R) {
            SmallItem<T> it;
            it.a = a + i0 * g.a_item_stride + (r.m_begin + m) * g.a_m_stride;
            it.a_m = g.a_m_stride;
            it.a_k = g.a_k_stride;
            it.b = b + i0 * g.b_item_stride + r.n_begin;
            it.ldb = g.b_k_stride;
            it.c = c + i0 * g.c_item_stride + (r.m_begin + m) * g.c_m_stride +
                   r.n_begin * g.c_n_stride;
            it.c_m = g.c_m_stride;
            it.c_n = g.c_n_stride;
            for (int64_t i = i0; i < i1; ++i) {
              if (prefetch && i + kAhead < r.item_end) {
                // Large batches stream from DRAM with several streams per
                // item (R rows of A, k rows of B); the L2 stream prefetcher
                // alone left ~30% of the bandwidth unused on 16^3 and 32^3.
                const int64_t ahead = kAhead;
                for (size_t q = 0; q < R; ++q) {
                  const T* ar = it.a + ahead * g.a_item_stride + static_cast<int64_t>(q) * it.a_m;
                  for (int64_t l = 0; l < a_lines; ++l) hwy::Prefetch(ar + l * kLine);
                }
                if (m == 0) {
                  for (int64_t p = 0; p < g.k; ++p) {
                    const T* br = it.b + ahead * g.b_item_stride + p * it.ldb;
                    for (int64_t l = 0; l < b_lines; ++l) hwy::Prefetch(br + l * kLine);
                  }
                }
              }
              SmallRows<R, NV, kFull>(d, it, g.k, tail, stream, aligned);
              it.a += g.a_item_stride;
              it.b += g.b_item_stride;
              it.c += g.c_item_stride;
            }
          }
        }
      };
      run(std::integral_constant<size_t, 16>());
      // Joining misaligned runs keeps a held vector and a permute table in
      // registers: 24 accumulators then spill (32^3 at +16 B: 1.19x aligned).
      if (aligned || stream == nullptr) run(std::integral_constant<size_t, 12>());
      run(std::integral_constant<size_t, 8>());
      run(std::integral_constant<size_t, 4>());
      run(std::integral_constant<size_t, 2>());
      run(std::integral_constant<size_t, 1>());
    }
    streamer.Flush();
    return;
  }
  // Strided B columns are packed per item into a unit-stride tile.
  HWY_ALIGN T btile[kSmallMax * kSmallMaxN];
  for (int64_t i = r.item_begin; i < r.item_end; ++i) {
    SmallItem<T> it;
    it.a = a + i * g.a_item_stride + r.m_begin * g.a_m_stride;
    it.a_m = g.a_m_stride;
    it.a_k = g.a_k_stride;
    const T* bi = b + i * g.b_item_stride + r.n_begin * g.b_n_stride;
    for (int64_t p = 0; p < g.k; ++p) {
      for (size_t j = 0; j < w; ++j) {
        btile[p * kSmallMaxN + j] = bi[p * g.b_k_stride + static_cast<int64_t>(j) * g.b_n_stride];
      }
    }
    it.b = btile;
    it.ldb = kSmallMaxN;
    it.c = c + i * g.c_item_stride + r.m_begin * g.c_m_stride + r.n_begin * g.c_n_stride;
    it.c_m = g.c_m_stride;
    it.c_n = g.c_n_stride;
    int64_t left = rows;
    // Largest row groups first; each element's chain is the same in any group.
    auto run = [&](auto group) {
      constexpr size_t R = decltype(group)::value;
      if constexpr (R * NV <= kSmallAccRegs) {
        for (; left >= static_cast<int64_t>(R); left -= R) {
          SmallRows<R, NV, kFull>(d, it, g.k, tail, stream, aligned);
          it.a += static_cast<int64_t>(R) * it.a_m;
          it.c += static_cast<int64_t>(R) * it.c_m;
        }
      }
    };
    run(std::integral_constant<size_t, 16>());
    run(std::integral_constant<size_t, 8>());
    run(std::integral_constant<size_t, 4>());
    run(std::integral_constant<size_t, 2>());
    run(std::integral_constant<size_t, 1>());
  }
  streamer.Flush();
}

template <typename T>
using SmallBatchFn = void (*)(const StridedGemm&, const GemmRange&, const T*, const T*, T*);

// Picks the narrowest vector that holds the row (up to the native width) and
// the number of such vectors per row.
template <typename T, size_t kCap>
SmallBatchFn<T> PickSmall(size_t w) {
  using D = hn::CappedTag<T, kCap>;
  const D d;
  const size_t nv = (w + hn::Lanes(d) - 1) / hn::Lanes(d);
  const bool full = w == nv * hn::Lanes(d);
  switch (nv) {
    case 1: return full ? &SmallBatch<D, 1, true> : &SmallBatch<D, 1, false>;
    case 2: return full ? &SmallBatch<D, 2, true> : &SmallBatch<D, 2, false>;
    case 3: return full ? &SmallBatch<D, 3, true> : &SmallBatch<D, 3, false>;
    case 4: return full ? &SmallBatch<D, 4, true> : &SmallBatch<D, 4, false>;
    default: return nullptr;
  }
}

template <typename T>
void SmallGemm(const StridedGemm& g, const GemmRange& r0, const T* a0, const T* b0, T* c,
               Workspace& ws) noexcept {
  const T* a = a0;
  const T* b = b0;
  GemmRange r = r0;
  if (EmptyRange(r)) return;
  if (g.b_run != 0) {
    // Columns in runs: only the register-B kernel (and the generic one) reads them.
    if (g.k == 0) return ZeroC(g, r, c);
    if (!RegisterBGemm(g, r, a, b, c)) GenericChainGemm<T>(g, r, a, b, c, ws);
    return;
  }
  StridedGemm t = g;
  // Vectors run along n; when C (or else B) is unit-stride along m instead,
  // solve the transposed problem, which has the same per-element order. Only
  // when m fits where n goes (the small family allows any m).
  const bool c_prefers_m = t.c_n_stride != 1 && t.c_m_stride == 1;
  const bool b_prefers_m = t.c_n_stride != 1 && t.b_n_stride != 1 && t.a_m_stride == 1;
  if ((c_prefers_m || b_prefers_m) && t.m <= kSmallMaxN) Transpose(t, r, a, b);
  const bool register_b = t.k >= 1 && t.k <= kRegisterBMaxK;
  if ((t.n > kSmallMaxN && !register_b) || t.k > kSmallMax || HWY_TARGET == HWY_SCALAR) {
    return GenericChainGemm<T>(g, r0, a0, b0, c, ws);
  }
  const size_t w = static_cast<size_t>(r.n_end - r.n_begin);
#if HWY_TARGET <= HWY_AVX2
  if (t.b_n_stride == 1 && t.a_k_stride == 1) {
    // A C row of exactly one block or half a vector: several rows per vector.
    constexpr size_t Q = 16 / sizeof(T), L = hn::MaxLanes(hn::ScalableTag<T>());
    const size_t s = SegWidth<T>(w);
    int64_t done = 0;
    if (s == Q) {
      done = SegBatch<Q>(t, r, a, b, c);
    } else if constexpr (L / 2 > Q) {
      if (s == L / 2) done = SegBatch<L / 2>(t, r, a, b, c);
    }
    r.m_begin += done;
    if (r.m_begin >= r.m_end) return;
  }
#endif
  // Thin k: B's tile in registers, rows of A streaming past it.
  if (register_b && RegisterBGemm(t, r, a, b, c)) return;
  // Wider than 4 vectors (narrow targets): column chunks of 4 vectors each.
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

}  // namespace HWY_NAMESPACE
}  // namespace batchdot::kernels
HWY_AFTER_NAMESPACE();

#endif  // BATCHDOT_KERNELS_SMALL_GEMM_INL_H_ toggle
