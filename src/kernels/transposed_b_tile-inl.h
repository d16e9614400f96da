// TransposedBTile: copies a k x w tile of B whose contracted axis is the
// unit-stride one (B = y^T in g . y^T, the bmm grad_x) into a row-major tile
// the small family's row kernels broadcast A against; 16 x 16 (8 x 8) blocks go
// through register transposes on AVX-512. Bound: shuffle issue (64 per block).
//
// Order: none of its own (a copy); the kernel that reads the tile keeps the
// canonical chain, so the bits equal the gathered-tile path's.

#if defined(BATCHDOT_KERNELS_TRANSPOSED_B_TILE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef BATCHDOT_KERNELS_TRANSPOSED_B_TILE_INL_H_
#undef BATCHDOT_KERNELS_TRANSPOSED_B_TILE_INL_H_
#else
#define BATCHDOT_KERNELS_TRANSPOSED_B_TILE_INL_H_
#endif

#include <cstddef>
#include <cstdint>

#include "hwy/highway.h"
#include "kernels/transpose_avx512-inl.h"

#if HWY_ARCH_X86
#include <immintrin.h>
#endif

HWY_BEFORE_NAMESPACE();
namespace batchdot::kernels {
namespace HWY_NAMESPACE {

// tile[p * ldt + j] = b[p * bk + j * bn] for p < k, j < w. With bk == 1 each
// column j is a contiguous run of k values.
template <typename T>
void CopyBTile(const T* b, int64_t bk, int64_t bn, size_t k, size_t w, T* HWY_RESTRICT tile, size_t ldt) {
  size_t j_done = 0, p_done = 0;
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  constexpr size_t B = 64 / sizeof(T);
  if (bk == 1 && w >= B && k >= B) {
    j_done = w / B * B;
    p_done = k / B * B;
    for (size_t j0 = 0; j0 < j_done; j0 += B) {
      for (size_t p0 = 0; p0 < p_done; p0 += B) {
        const T* src = b + static_cast<int64_t>(j0) * bn + static_cast<int64_t>(p0);
        if constexpr (sizeof(T) == 4) {
          __m512 v[16];
          for (size_t j = 0; j < 16; ++j) {
            v[j] = _mm512_loadu_ps(reinterpret_cast<const float*>(src + static_cast<int64_t>(j) * bn));
          }
          Transpose16x16(v);
          for (size_t q = 0; q < 16; ++q) _mm512_storeu_ps(reinterpret_cast<float*>(tile + (p0 + q) * ldt + j0), v[q]);
        } else {
          __m512d v[8];
          for (size_t j = 0; j < 8; ++j) {
            v[j] = _mm512_loadu_pd(reinterpret_cast<const double*>(src + static_cast<int64_t>(j) * bn));
          }
          Transpose8x8(v);
          for (size_t q = 0; q < 8; ++q) _mm512_storeu_pd(reinterpret_cast<double*>(tile + (p0 + q) * ldt + j0), v[q]);
        }
      }
    }
  }
#endif
  // The rest element by element: columns past the blocks, then k past them.
  for (size_t j = 0; j < w; ++j) {
    const T* col = b + static_cast<int64_t>(j) * bn;
    for (size_t p = j < j_done ? p_done : 0; p < k; ++p) tile[p * ldt + j] = col[static_cast<int64_t>(p) * bk];
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace batchdot::kernels
HWY_AFTER_NAMESPACE();

#endif  // BATCHDOT_KERNELS_TRANSPOSED_B_TILE_INL_H_ toggle
