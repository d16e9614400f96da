// SmallSegments: small-family products whose C row is exactly a quarter or half
// of a vector (f32 AVX-512: n == 4 or 8; f64: n == 2 or 4; AVX2: one 128-bit
// block), e.g. batches of 4x4x4 and 8x8x8 and the Keras seed 48x8x5. Bound:
// FMA/shuffle issue per item (L1/L2-resident operands).
//
// A vector holds P = Lanes / S rows of C, one S-lane segment each, so a whole
// 4x4 f32 C is one 512-bit register. Per k: B row k is loaded into every
// segment (a broadcast load) and A[row(s), k] is broadcast inside segment s by
// an in-register shuffle of P A rows loaded S values of k at a time.
// Order: canonical (one fma chain per element over increasing k, starting from
// zero), so the bits equal the row kernel's and `generic`'s.

#if defined(BATCHDOT_KERNELS_SMALL_SEGMENTS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef BATCHDOT_KERNELS_SMALL_SEGMENTS_INL_H_
#undef BATCHDOT_KERNELS_SMALL_SEGMENTS_INL_H_
#else
#define BATCHDOT_KERNELS_SMALL_SEGMENTS_INL_H_
#endif

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "hwy/highway.h"
#include "kernels/kernel_common-inl.h"
#include "kernels/strided_gemm.hpp"

HWY_BEFORE_NAMESPACE();
namespace batchdot::kernels {
namespace HWY_NAMESPACE {

// Segment kernels need at least two segments per vector (AVX2 and AVX-512).
#if HWY_TARGET <= HWY_AVX2

// Segment width in lanes: 128-bit blocks (in-block broadcast) or half vectors
// (cross-lane permute).
template <class D>
constexpr size_t SegQuad() {
  return 16 / sizeof(hn::TFromD<D>);
}

// B row (S values at p) copied into every segment; S is one block or half.
template <size_t S, class D>
HWY_INLINE hn::VFromD<D> LoadSegDup(D d, const hn::TFromD<D>* HWY_RESTRICT p) {
  if constexpr (S == SegQuad<D>()) {
    return hn::LoadDup128(d, p);
  } else {
#if HWY_TARGET <= HWY_AVX3
    // One broadcast load (vbroadcastf32x8 / f64x4) instead of load + insert
    // (all-ones zero-masked forms: GCC 12 warns on the unmasked ones).
    if constexpr (std::is_same_v<hn::TFromD<D>, float>) {
      return hn::VFromD<D>{_mm512_maskz_broadcast_f32x8(static_cast<__mmask16>(0xFFFF), _mm256_loadu_ps(p))};
    } else {
      return hn::VFromD<D>{_mm512_maskz_broadcast_f64x4(static_cast<__mmask8>(0xFF), _mm256_loadu_pd(p))};
    }
#else
    const hn::Half<D> dh;
    const auto h = hn::LoadU(dh, p);
    return hn::Combine(d, h, h);
#endif
  }
}

// S values starting at p into a vector of S lanes (kt < S: the first kt only,
// never reading past them).
template <class DS>
HWY_INLINE hn::VFromD<DS> LoadSeg(DS ds, const hn::TFromD<DS>* HWY_RESTRICT p, size_t kt) {
  return kt >= hn::Lanes(ds) ? hn::LoadU(ds, p) : LoadPartial(ds, p, kt);
}

// P rows of A (row i at p + i * lda), kt <= S values of k each, one per segment.
template <size_t P, class D>
HWY_INLINE hn::VFromD<D> LoadSegRows(D d, const hn::TFromD<D>* HWY_RESTRICT p, int64_t lda,
                                     size_t kt) {
  if constexpr (P == 1) {
    return LoadSeg(d, p, kt);
  } else {
    const hn::Half<D> dh;
    const auto lo = LoadSegRows<P / 2>(dh, p, lda, kt);
    const auto hi = LoadSegRows<P / 2>(dh, p + static_cast<int64_t>(P / 2) * lda, lda, kt);
    return hn::Combine(d, hi, lo);
  }
}

// Stores P segments (rows) of v to p + i * ldc.
template <size_t P, class D>
HWY_INLINE void StoreSegRows(D d, hn::VFromD<D> v, hn::TFromD<D>* HWY_RESTRICT p, int64_t ldc) {
  if constexpr (P == 1) {
    hn::StoreU(v, d, p);
  } else {
    const hn::Half<D> dh;
    StoreSegRows<P / 2>(dh, hn::LowerHalf(dh, v), p, ldc);
    StoreSegRows<P / 2>(dh, hn::UpperHalf(dh, v), p + static_cast<int64_t>(P / 2) * ldc, ldc);
  }
}

// The permute-table type of D (Highway 1.0.3 has no alias for it).
template <class D>
using SegIndices = decltype(hn::IndicesFromVec(D(), hn::Zero(hn::RebindToSigned<D>())));

// Lane j of every segment of v, broadcast within its segment.
template <size_t S, size_t J, class D>
HWY_INLINE hn::VFromD<D> SegBroadcast(D d, hn::VFromD<D> v, const SegIndices<D>* idx) {
  if constexpr (S == SegQuad<D>()) {
    (void)d;
    (void)idx;
    return hn::Broadcast<static_cast<int>(J)>(v);
  } else {
    return hn::TableLookupLanes(v, idx[J]);
  }
}

// Where the G vectors of one group live: vector g covers rows starting at
// a + g * a_step (A, unit stride along k), b + g * b_step (B row 0) and
// c + g * c_step (C). Within an item b_step is 0; across items (one vector per
// item, m == P) the steps are the item strides.
template <typename T>
struct SegGroupPtrs {
  const T* a;
  const T* b;
  T* c;
  int64_t a_step, b_step, c_step;
  int64_t lda, ldb, ldc, c_n;
};

// Step j of a chunk, then the next ones (compile-time recursion rather than
// lambdas, which GCC does not always inline, spilling the accumulators).
template <size_t J, size_t S, size_t G, bool kFixed, class D, typename T = hn::TFromD<D>>
HWY_INLINE void SegSteps(D d, const SegGroupPtrs<T>& p, const T* bp, size_t kt,
                         const SegIndices<D>* idx, const hn::VFromD<D>* ar, hn::VFromD<D>* acc) {
  using V = hn::VFromD<D>;
  if (!kFixed && J >= kt) return;
  const T* bj = bp + static_cast<int64_t>(J) * p.ldb;
  if (p.b_step == 0) {
    const V bv = LoadSegDup<S>(d, bj);
    for (size_t g = 0; g < G; ++g) {
      acc[g] = hn::MulAdd(SegBroadcast<S, J>(d, ar[g], idx), bv, acc[g]);
    }
  } else {
    for (size_t g = 0; g < G; ++g) {
      const V bv = LoadSegDup<S>(d, bj + static_cast<int64_t>(g) * p.b_step);
      acc[g] = hn::MulAdd(SegBroadcast<S, J>(d, ar[g], idx), bv, acc[g]);
    }
  }
  if constexpr (J + 1 < S) SegSteps<J + 1, S, G, kFixed>(d, p, bp, kt, idx, ar, acc);
}

// One k chunk (kt <= S values from k0) for G vectors. kFixed: kt == S.
template <size_t S, size_t G, bool kFixed, class D, typename T = hn::TFromD<D>>
HWY_INLINE void SegChunk(D d, const SegGroupPtrs<T>& p, int64_t k0, size_t kt,
                         const SegIndices<D>* idx, hn::VFromD<D>* acc) {
  using V = hn::VFromD<D>;
  constexpr size_t L = hn::MaxLanes(D()), P = L / S;
  V ar[G];
  for (size_t g = 0; g < G; ++g) {
    const T* ap = p.a + static_cast<int64_t>(g) * p.a_step + k0;
    // Rows back to back (e.g. a 4x4 A): one load per vector.
    ar[g] = (p.lda == static_cast<int64_t>(S) && (kFixed || kt == S))
                ? hn::LoadU(d, ap)
                : LoadSegRows<P>(d, ap, p.lda, kFixed ? S : kt);
  }
  SegSteps<0, S, G, kFixed>(d, p, p.b + k0 * p.ldb, kt, idx, ar, acc);
}

// G vectors of C (P rows each), all k. kFixed: k == S (one unrolled chunk).
template <size_t S, size_t G, bool kFixed, class D, typename T = hn::TFromD<D>>
HWY_INLINE void SegGroup(D d, const SegGroupPtrs<T>& p, int64_t k, const SegIndices<D>* idx) {
  using V = hn::VFromD<D>;
  constexpr size_t L = hn::MaxLanes(D()), P = L / S;
  V acc[G];
  for (size_t g = 0; g < G; ++g) acc[g] = hn::Zero(d);
  if constexpr (kFixed) {
    SegChunk<S, G, true>(d, p, 0, S, idx, acc);
  } else {
    for (int64_t k0 = 0; k0 < k; k0 += static_cast<int64_t>(S)) {
      SegChunk<S, G, false>(d, p, k0, static_cast<size_t>(std::min<int64_t>(S, k - k0)), idx, acc);
    }
  }
  if (p.c_n == 1) {
    for (size_t g = 0; g < G; ++g) {
      T* cg = p.c + static_cast<int64_t>(g) * p.c_step;
      if (p.ldc == static_cast<int64_t>(S)) {
        hn::StoreU(acc[g], d, cg);
      } else {
        StoreSegRows<P>(d, acc[g], cg, p.ldc);
      }
    }
    return;
  }
  HWY_ALIGN T tmp[L];
  for (size_t g = 0; g < G; ++g) {
    hn::Store(acc[g], d, tmp);
    for (size_t i = 0; i < P; ++i) {
      T* cr = p.c + static_cast<int64_t>(g) * p.c_step + static_cast<int64_t>(i) * p.ldc;
      for (size_t j = 0; j < S; ++j) cr[static_cast<int64_t>(j) * p.c_n] = tmp[i * S + j];
    }
  }
}

// Items [item_begin, item_end), rows [m_begin, m_begin + P * (rows / P)) of
// each; returns the number of rows done (the caller finishes the rows % P
// leftover rows with the row kernel).
template <size_t S, bool kFixed, typename T>
int64_t SegBatchK(const StridedGemm& g, const GemmRange& r, const T* a, const T* b, T* c) noexcept {
  const hn::ScalableTag<T> d;
  constexpr size_t L = hn::MaxLanes(decltype(d)());
  constexpr size_t P = L / S;
  // Per-segment broadcast tables for the half-vector case: lane l reads lane
  // (l / S) * S + j.
  SegIndices<decltype(d)> idx[S];
  if constexpr (S != SegQuad<decltype(d)>()) {
    const hn::RebindToSigned<decltype(d)> di;
    using TI = hn::TFromD<decltype(di)>;
    const auto seg = hn::And(hn::Iota(di, 0), hn::Set(di, static_cast<TI>(~(S - 1))));
    for (size_t j = 0; j < S; ++j) {
      idx[j] = hn::IndicesFromVec(d, hn::Add(seg, hn::Set(di, static_cast<TI>(j))));
    }
  }
  const int64_t vecs = (r.m_end - r.m_begin) / static_cast<int64_t>(P);
  if (vecs == 0) return 0;
  SegGroupPtrs<T> p;
  p.a = a + r.item_begin * g.a_item_stride + r.m_begin * g.a_m_stride;
  p.b = b + r.item_begin * g.b_item_stride + r.n_begin;
  p.c = c + r.item_begin * g.c_item_stride + r.m_begin * g.c_m_stride + r.n_begin * g.c_n_stride;
  p.lda = g.a_m_stride;
  p.ldb = g.b_k_stride;
  p.ldc = g.c_m_stride;
  p.c_n = g.c_n_stride;
  int64_t i = r.item_begin;
  if (vecs == 1) {
    // One vector per item (e.g. 4x4 f32): group vectors across items.
    p.a_step = g.a_item_stride;
    p.b_step = g.b_item_stride;
    p.c_step = g.c_item_stride;
    constexpr size_t G = 4;
    for (; i + static_cast<int64_t>(G) <= r.item_end; i += G) {
      SegGroup<S, G, kFixed>(d, p, g.k, idx);
      p.a += static_cast<int64_t>(G) * g.a_item_stride;
      p.b += static_cast<int64_t>(G) * g.b_item_stride;
      p.c += static_cast<int64_t>(G) * g.c_item_stride;
    }
    for (; i < r.item_end; ++i) {
      SegGroup<S, 1, kFixed>(d, p, g.k, idx);
      p.a += g.a_item_stride;
      p.b += g.b_item_stride;
      p.c += g.c_item_stride;
    }
    return P;
  }
  p.a_step = static_cast<int64_t>(P) * g.a_m_stride;
  p.b_step = 0;
  p.c_step = static_cast<int64_t>(P) * g.c_m_stride;
  for (; i < r.item_end; ++i) {
    SegGroupPtrs<T> q = p;
    int64_t left = vecs;
    // Largest groups first; each element's chain is the same in any group.
    auto run = [&](auto group) {
      constexpr size_t G = decltype(group)::value;
      for (; left >= static_cast<int64_t>(G); left -= G) {
        SegGroup<S, G, kFixed>(d, q, g.k, idx);
        q.a += static_cast<int64_t>(G) * q.a_step;
        q.c += static_cast<int64_t>(G) * q.c_step;
      }
    };
    // 8 groups only with in-block broadcasts: the permute path also keeps S
    // index vectors in registers (8 + 8 + 8 + 2 of 32 spilled accumulators).
    if constexpr (HWY_TARGET <= HWY_AVX3 && S == SegQuad<decltype(d)>()) {
      run(std::integral_constant<size_t, 8>());
    }
    run(std::integral_constant<size_t, 4>());
    run(std::integral_constant<size_t, 2>());
    run(std::integral_constant<size_t, 1>());
    p.a += g.a_item_stride;
    p.b += g.b_item_stride;
    p.c += g.c_item_stride;
  }
  return vecs * static_cast<int64_t>(P);
}

// K == S (4x4x4, 8x8x8 f32) gets the fully unrolled chunk; dispatched once per call.
template <size_t S, typename T>
int64_t SegBatch(const StridedGemm& g, const GemmRange& r, const T* a, const T* b, T* c) noexcept {
  if (g.k == static_cast<int64_t>(S)) return SegBatchK<S, true>(g, r, a, b, c);
  return SegBatchK<S, false>(g, r, a, b, c);
}

// Segment width for a C row of w columns, or 0 when no segment kernel fits.
template <typename T>
size_t SegWidth(size_t w) {
  const hn::ScalableTag<T> d;
  const size_t L = hn::Lanes(d), Q = 16 / sizeof(T);
  if (w == Q && L >= 2 * Q) return Q;
  if (w == L / 2 && L / 2 > Q) return L / 2;
  return 0;
}
#endif  // HWY_TARGET <= HWY_AVX2

}  // namespace HWY_NAMESPACE
}  // namespace batchdot::kernels
HWY_AFTER_NAMESPACE();

#endif  // BATCHDOT_KERNELS_SMALL_SEGMENTS_INL_H_ toggle
