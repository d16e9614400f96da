// In-register transposes of 16 x 16 floats and 8 x 8 doubles for the AVX-512
// targets (Highway 1.0.3 has no transpose op), used by packing routines.
// Bound: shuffle throughput (64 shuffles per 16 x 16 block).

#if defined(BATCHDOT_KERNELS_TRANSPOSE_AVX512_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef BATCHDOT_KERNELS_TRANSPOSE_AVX512_INL_H_
#undef BATCHDOT_KERNELS_TRANSPOSE_AVX512_INL_H_
#else
#define BATCHDOT_KERNELS_TRANSPOSE_AVX512_INL_H_
#endif

#include "hwy/highway.h"

#if HWY_ARCH_X86
#include <immintrin.h>
#endif

HWY_BEFORE_NAMESPACE();
namespace batchdot::kernels {
namespace HWY_NAMESPACE {

#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
// In-register transposes for packing (a column-major B, a row-major A): r[j]
// holds 16 (8) k values of column (row) j on entry, and the 16 (8) column (row)
// values of k step j on exit.
// (The all-ones masked forms compile to the plain instructions; they avoid
// GCC 12's false -Wmaybe-uninitialized on the unmasked intrinsics.)
HWY_INLINE void Transpose16x16(__m512* r) {
  __m512 t[16];
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_mask_unpacklo_ps(r[2 * i], 0xFFFF, r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_mask_unpackhi_ps(r[2 * i], 0xFFFF, r[2 * i], r[2 * i + 1]);
  }
  for (int g = 0; g < 4; ++g) {
    const __m512d a = _mm512_castps_pd(t[4 * g]), b = _mm512_castps_pd(t[4 * g + 1]);
    const __m512d c = _mm512_castps_pd(t[4 * g + 2]), e = _mm512_castps_pd(t[4 * g + 3]);
    r[4 * g] = _mm512_castpd_ps(_mm512_mask_unpacklo_pd(a, 0xFF, a, c));
    r[4 * g + 1] = _mm512_castpd_ps(_mm512_mask_unpackhi_pd(a, 0xFF, a, c));
    r[4 * g + 2] = _mm512_castpd_ps(_mm512_mask_unpacklo_pd(b, 0xFF, b, e));
    r[4 * g + 3] = _mm512_castpd_ps(_mm512_mask_unpackhi_pd(b, 0xFF, b, e));
  }
  // r[4g + c], 128-bit block L, now holds rows 4g..4g+3 of column 4L + c.
  for (int c = 0; c < 4; ++c) {
    const __m512 ulo = _mm512_mask_shuffle_f32x4(r[c], 0xFFFF, r[c], r[4 + c], 0x44);
    const __m512 uhi = _mm512_mask_shuffle_f32x4(r[c], 0xFFFF, r[c], r[4 + c], 0xEE);
    const __m512 vlo = _mm512_mask_shuffle_f32x4(r[8 + c], 0xFFFF, r[8 + c], r[12 + c], 0x44);
    const __m512 vhi = _mm512_mask_shuffle_f32x4(r[8 + c], 0xFFFF, r[8 + c], r[12 + c], 0xEE);
    t[c] = _mm512_mask_shuffle_f32x4(ulo, 0xFFFF, ulo, vlo, 0x88);
    t[4 + c] = _mm512_mask_shuffle_f32x4(ulo, 0xFFFF, ulo, vlo, 0xDD);
    t[8 + c] = _mm512_mask_shuffle_f32x4(uhi, 0xFFFF, uhi, vhi, 0x88);
    t[12 + c] = _mm512_mask_shuffle_f32x4(uhi, 0xFFFF, uhi, vhi, 0xDD);
  }
  for (int i = 0; i < 16; ++i) r[i] = t[i];
}

HWY_INLINE void Transpose8x8(__m512d* r) {
  __m512d t[8];
  for (int i = 0; i < 4; ++i) {
    t[2 * i] = _mm512_mask_unpacklo_pd(r[2 * i], 0xFF, r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_mask_unpackhi_pd(r[2 * i], 0xFF, r[2 * i], r[2 * i + 1]);
  }
  // t[2g + c], 128-bit block L, now holds rows 2g, 2g+1 of column 2L + c.
  for (int c = 0; c < 2; ++c) {
    const __m512d ulo = _mm512_mask_shuffle_f64x2(t[c], 0xFF, t[c], t[2 + c], 0x44);
    const __m512d uhi = _mm512_mask_shuffle_f64x2(t[c], 0xFF, t[c], t[2 + c], 0xEE);
    const __m512d vlo = _mm512_mask_shuffle_f64x2(t[4 + c], 0xFF, t[4 + c], t[6 + c], 0x44);
    const __m512d vhi = _mm512_mask_shuffle_f64x2(t[4 + c], 0xFF, t[4 + c], t[6 + c], 0xEE);
    r[c] = _mm512_mask_shuffle_f64x2(ulo, 0xFF, ulo, vlo, 0x88);
    r[2 + c] = _mm512_mask_shuffle_f64x2(ulo, 0xFF, ulo, vlo, 0xDD);
    r[4 + c] = _mm512_mask_shuffle_f64x2(uhi, 0xFF, uhi, vhi, 0x88);
    r[6 + c] = _mm512_mask_shuffle_f64x2(uhi, 0xFF, uhi, vhi, 0xDD);
  }
}

// Packs a full NR-column panel of a column-major B (unit k stride) for k in
// [0, kc rounded down to whole vectors); returns how many k steps it packed.
template <typename T>
HWY_INLINE size_t PackBColumnMajor(const T* src, int64_t bn, size_t kc, T* HWY_RESTRICT pb) {
  const hn::ScalableTag<T> d;
  const size_t N = hn::Lanes(d), NR = 2 * N;
  if (N * sizeof(T) != 64) return 0;
  size_t p = 0;
  for (; p + N <= kc; p += N) {
    for (size_t h = 0; h < 2; ++h) {
      const T* col = src + static_cast<int64_t>(h * N) * bn + static_cast<int64_t>(p);
      if constexpr (sizeof(T) == 4) {
        __m512 r[16];
        for (size_t j = 0; j < 16; ++j) {
          r[j] = _mm512_loadu_ps(reinterpret_cast<const float*>(col + static_cast<int64_t>(j) * bn));
        }
        Transpose16x16(r);
        for (size_t q = 0; q < 16; ++q) {
          _mm512_store_ps(reinterpret_cast<float*>(pb + (p + q) * NR + h * N), r[q]);
        }
      } else {
        __m512d r[8];
        for (size_t j = 0; j < 8; ++j) {
          r[j] = _mm512_loadu_pd(reinterpret_cast<const double*>(col + static_cast<int64_t>(j) * bn));
        }
        Transpose8x8(r);
        for (size_t q = 0; q < 8; ++q) {
          _mm512_store_pd(reinterpret_cast<double*>(pb + (p + q) * NR + h * N), r[q]);
        }
      }
    }
  }
  return p;
}
#endif  // HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3

}  // namespace HWY_NAMESPACE
}  // namespace batchdot::kernels
HWY_AFTER_NAMESPACE();

#endif  // BATCHDOT_KERNELS_TRANSPOSE_AVX512_INL_H_ toggle
