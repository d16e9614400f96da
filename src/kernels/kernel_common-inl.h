// Shared per-target helpers: partial loads/stores that never touch memory past
// the last valid element, and the canonical per-element fused multiply-add chain.
// Bound: n/a (building blocks; every family includes this first).
//
// The canonical order: C[m, n] = fma(A[m, K-1], B[K-1, n], ... fma(A[m, 0], B[0, n], 0))
// in one lane, i.e. a single chain over increasing k. The small, gemv-axpy and
// gemm (per KC block) paths and the float `generic` kernel all use it, so they
// agree bit for bit where they overlap; dot and gemv-row paths use several
// accumulators plus a fixed tree (see batched_dot-inl.h).

#if defined(BATCHDOT_KERNELS_KERNEL_COMMON_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef BATCHDOT_KERNELS_KERNEL_COMMON_INL_H_
#undef BATCHDOT_KERNELS_KERNEL_COMMON_INL_H_
#else
#define BATCHDOT_KERNELS_KERNEL_COMMON_INL_H_
#endif

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>

#include "hwy/highway.h"
#include "kernels/strided_gemm.hpp"

HWY_BEFORE_NAMESPACE();
namespace batchdot::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Loads p[0, n) into the low lanes (n <= Lanes(d)), zeroing the rest, and never
// reads p[n] or beyond (the next page may be unmapped).
template <class D>
HWY_INLINE hn::VFromD<D> LoadPartial(D d, const hn::TFromD<D>* HWY_RESTRICT p, size_t n) {
  if (n >= hn::Lanes(d)) return hn::LoadU(d, p);
#if HWY_TARGET <= HWY_AVX2
  // AVX2/AVX-512 masked loads suppress faults on masked-off lanes.
  return hn::MaskedLoad(hn::FirstN(d, n), d, p);
#else
  // SSE4's MaskedLoad in Highway 1.0.3 loads the whole (aligned) vector.
  HWY_ALIGN hn::TFromD<D> buf[hn::MaxLanes(d)] = {};
  std::memcpy(buf, p, n * sizeof(*p));
  return hn::Load(d, buf);
#endif
}

// Stores the low n lanes of v to p[0, n) without writing anything else (a
// neighbouring C element may belong to another thread).
template <class D>
HWY_INLINE void StorePartial(D d, hn::VFromD<D> v, hn::TFromD<D>* HWY_RESTRICT p, size_t n) {
  if (n >= hn::Lanes(d)) {
    hn::StoreU(v, d, p);
    return;
  }
#if HWY_TARGET <= HWY_AVX2
  hn::BlendedStore(v, hn::FirstN(d, n), d, p);
#else
  HWY_ALIGN hn::TFromD<D> buf[hn::MaxLanes(d)];
  hn::Store(v, d, buf);
  std::memcpy(p, buf, n * sizeof(*p));
#endif
}

// LoadPartial/StorePartial with the lane count fixed up front, so that loops
// over k hoist the mask and keep a single latch (lets the compiler keep
// accumulators in registers).
template <class D>
struct PartialLanes {
  D d;
  size_t n;
#if HWY_TARGET <= HWY_AVX2
  hn::Mask<D> mask;
  PartialLanes(D d_, size_t n_) : d(d_), n(n_), mask(hn::FirstN(d_, n_)) {}
  HWY_INLINE hn::VFromD<D> Load(const hn::TFromD<D>* HWY_RESTRICT p) const {
    return hn::MaskedLoad(mask, d, p);
  }
  HWY_INLINE void Store(hn::VFromD<D> v, hn::TFromD<D>* HWY_RESTRICT p) const {
    hn::BlendedStore(v, mask, d, p);
  }
#else
  PartialLanes(D d_, size_t n_) : d(d_), n(n_) {}
  HWY_INLINE hn::VFromD<D> Load(const hn::TFromD<D>* HWY_RESTRICT p) const {
    return LoadPartial(d, p, n);
  }
  HWY_INLINE void Store(hn::VFromD<D> v, hn::TFromD<D>* HWY_RESTRICT p) const {
    StorePartial(d, v, p, n);
  }
#endif
};

// One element in the canonical order (see top of file), using the same
// instruction as the vector paths (a one-lane MulAdd) so results match them.
template <typename T>
HWY_INLINE T ChainDot(const T* a, int64_t a_step, const T* b, int64_t b_step, int64_t k) {
  const hn::CappedTag<T, 1> d1;
  auto acc = hn::Zero(d1);
  for (int64_t p = 0; p < k; ++p) {
    acc = hn::MulAdd(hn::Set(d1, a[p * a_step]), hn::Set(d1, b[p * b_step]), acc);
  }
  return hn::GetLane(acc);
}

// The `generic` kernel for float types: any strides (and column runs), canonical order.
template <typename T>
void GenericChainGemm(const StridedGemm& g, const GemmRange& r, const T* a, const T* b, T* c,
                      Workspace& /*ws*/) noexcept {
  for (int64_t i = r.item_begin; i < r.item_end; ++i) {
    const T* ai = a + i * g.a_item_stride;
    const T* bi = b + i * g.b_item_stride;
    T* ci = c + i * g.c_item_stride;
    for (int64_t m = r.m_begin; m < r.m_end; ++m) {
      for (int64_t n = r.n_begin; n < r.n_end; ++n) {
        ci[m * g.c_m_stride + n * g.c_n_stride] =
            ChainDot(ai + m * g.a_m_stride, g.a_k_stride, bi + g.b_column_offset(n), g.b_k_stride, g.k);
      }
    }
  }
}

// The problem with A and B swapped (C^T = B^T A^T): same per-element order, so
// a family may pick whichever orientation suits its fast path.
template <typename T>
void Transpose(StridedGemm& g, GemmRange& r, const T*& a, const T*& b) {
  std::swap(a, b);
  StridedGemm t = g;
  t.m = g.n;
  t.n = g.m;
  t.a_item_stride = g.b_item_stride;
  t.a_m_stride = g.b_n_stride;
  t.a_k_stride = g.b_k_stride;
  t.b_item_stride = g.a_item_stride;
  t.b_k_stride = g.a_k_stride;
  t.b_n_stride = g.a_m_stride;
  t.c_m_stride = g.c_n_stride;
  t.c_n_stride = g.c_m_stride;
  g = t;
  GemmRange s = r;
  s.m_begin = r.n_begin;
  s.m_end = r.n_end;
  s.n_begin = r.m_begin;
  s.n_end = r.m_end;
  r = s;
}

// Writes zeros to every C element of the range (K == 0).
template <typename T>
void ZeroC(const StridedGemm& g, const GemmRange& r, T* c) noexcept {
  for (int64_t i = r.item_begin; i < r.item_end; ++i) {
    for (int64_t m = r.m_begin; m < r.m_end; ++m) {
      T* cm = c + i * g.c_item_stride + m * g.c_m_stride;
      for (int64_t n = r.n_begin; n < r.n_end; ++n) cm[n * g.c_n_stride] = T(0);
    }
  }
}

inline bool EmptyRange(const GemmRange& r) {
  return r.item_begin >= r.item_end || r.m_begin >= r.m_end || r.n_begin >= r.n_end;
}

}  // namespace HWY_NAMESPACE
}  // namespace batchdot::kernels
HWY_AFTER_NAMESPACE();

#endif  // BATCHDOT_KERNELS_KERNEL_COMMON_INL_H_ toggle
