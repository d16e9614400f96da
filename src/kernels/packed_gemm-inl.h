// PackedGemm: medium and large products with any strides (transposes are
// absorbed by packing). Bound: FMA throughput (>= 85% of peak on 1024^3).
//
// BLIS-style: B is packed into KC x NR panels (L1-resident per micro-panel,
// whole KC x NC block in L3), A into MR x KC panels (MC x KC block in L2), and
// an MR x NR register tile (AVX-512: 12 x 2 vectors, else 6 x 2 vectors)
// accumulates one KC block at a time.
//
// Order per C element: K is cut into blocks of a size that depends only on K
// (KcBlock); within a block one fma chain over increasing k starting from 0;
// the first block's sum is stored, later blocks are added to C in order. Edge
// tiles run the same micro-kernel on zero-padded panels, so the order never
// depends on the range, on MC/NC, or on where a tile starts.

#if defined(BATCHDOT_KERNELS_PACKED_GEMM_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef BATCHDOT_KERNELS_PACKED_GEMM_INL_H_
#undef BATCHDOT_KERNELS_PACKED_GEMM_INL_H_
#else
#define BATCHDOT_KERNELS_PACKED_GEMM_INL_H_
#endif

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "hwy/cache_control.h"
#include "hwy/highway.h"
#include "kernels/kernel_common-inl.h"
#include "kernels/strided_gemm.hpp"

HWY_BEFORE_NAMESPACE();
namespace batchdot::kernels {
namespace HWY_NAMESPACE {

// Register tile: MR rows x 2 vectors. 24 accumulators + 2 B vectors + 1
// broadcast fit AVX-512's 32 registers; 12 + 3 fit AVX2/SSE4's 16.
#if HWY_TARGET <= HWY_AVX3
inline constexpr size_t kGemmMR = 12;
#else
inline constexpr size_t kGemmMR = 6;
#endif
// Cache blocking: a KC x NR panel of B (32 KiB for f32 on AVX-512) stays in
// L1, MC x KC of A in L2, KC x NC of B in L3.
inline constexpr size_t kGemmKC = 256;
inline constexpr size_t kGemmMC = 20 * kGemmMR;
inline constexpr size_t kGemmNC = 3072;

// KC block size for a given K: balanced blocks (K = 300 gives 152 + 148, not
// 256 + 44), a function of K only, which is what the determinism contract needs.
inline size_t KcBlock(int64_t k) {
  const size_t kk = static_cast<size_t>(k);
  const size_t blocks = (kk + kGemmKC - 1) / kGemmKC;
  const size_t per = (kk + blocks - 1) / blocks;
  return std::min(kGemmKC, (per + 7) / 8 * 8);
}

// Packs rows [0, mc) x k [0, kc) of A into MR-row panels, zero-padding the last.
template <typename T>
void PackA(const T* a, int64_t am, int64_t ak, size_t mc, size_t kc, T* HWY_RESTRICT pa) {
  constexpr size_t MR = kGemmMR;
  for (size_t ip = 0; ip < mc; ip += MR, pa += MR * kc) {
    const size_t rows = std::min(MR, mc - ip);
    const T* src = a + static_cast<int64_t>(ip) * am;
    if (ak == 1 && rows == MR) {
      // Full panel: contiguous writes, MR read streams that each stay in L1
      // for a cache line's worth of k (row-by-row writes at stride MR were
      // ~3x slower).
      const T* rowp[MR];
      for (size_t i = 0; i < MR; ++i) rowp[i] = src + static_cast<int64_t>(i) * am;
      for (size_t p = 0; p < kc; ++p) {
        for (size_t i = 0; i < MR; ++i) pa[p * MR + i] = rowp[i][p];
      }
    } else if (ak == 1) {
      for (size_t i = 0; i < rows; ++i) {
        const T* row = src + static_cast<int64_t>(i) * am;
        for (size_t p = 0; p < kc; ++p) pa[p * MR + i] = row[p];
      }
    } else {
      for (size_t p = 0; p < kc; ++p) {
        const T* col = src + static_cast<int64_t>(p) * ak;
        for (size_t i = 0; i < rows; ++i) pa[p * MR + i] = col[static_cast<int64_t>(i) * am];
      }
    }
    for (size_t i = rows; i < MR; ++i) {
      for (size_t p = 0; p < kc; ++p) pa[p * MR + i] = T(0);
    }
  }
}

// Packs k [0, kc) x columns [0, nc) of B into NR-column panels, zero-padded.
template <typename T>
void PackB(const T* b, int64_t bk, int64_t bn, size_t kc, size_t nc, T* HWY_RESTRICT pb) {
  const hn::ScalableTag<T> d;
  const size_t N = hn::Lanes(d), NR = 2 * N;
  for (size_t jp = 0; jp < nc; jp += NR, pb += NR * kc) {
    const size_t cols = std::min(NR, nc - jp);
    const T* src = b + static_cast<int64_t>(jp) * bn;
    if (bn == 1 && cols == NR) {
      for (size_t p = 0; p < kc; ++p) {
        const T* row = src + static_cast<int64_t>(p) * bk;
        hn::Store(hn::LoadU(d, row), d, pb + p * NR);
        hn::Store(hn::LoadU(d, row + N), d, pb + p * NR + N);
      }
      continue;
    }
    if (bk == 1) {
      for (size_t j = 0; j < cols; ++j) {
        const T* col = src + static_cast<int64_t>(j) * bn;
        for (size_t p = 0; p < kc; ++p) pb[p * NR + j] = col[p];
      }
    } else {
      for (size_t p = 0; p < kc; ++p) {
        const T* row = src + static_cast<int64_t>(p) * bk;
        for (size_t j = 0; j < cols; ++j) pb[p * NR + j] = row[static_cast<int64_t>(j) * bn];
      }
    }
    for (size_t p = 0; p < kc; ++p) {
      for (size_t j = cols; j < NR; ++j) pb[p * NR + j] = T(0);
    }
  }
}

// C tile (mr <= MR rows, nr <= NR columns) = (first ? 0 : C) + pa * pb over kc.
template <typename T>
HWY_INLINE void MicroTile(size_t kc, const T* HWY_RESTRICT pa, const T* HWY_RESTRICT pb, T* c,
                          int64_t cm, int64_t cn, size_t mr, size_t nr, bool first) {
  constexpr size_t MR = kGemmMR;
  const hn::ScalableTag<T> d;
  using V = hn::Vec<decltype(d)>;
  const size_t N = hn::Lanes(d);
  const bool full = mr == MR && nr == 2 * N && cn == 1;
  if (full) {
    for (size_t i = 0; i < MR; ++i) hwy::Prefetch(c + static_cast<int64_t>(i) * cm);
  }
  // Two arrays indexed only by unrolled constants, so they live in registers.
  V c0[MR], c1[MR];
  for (size_t i = 0; i < MR; ++i) c0[i] = c1[i] = hn::Zero(d);
  for (size_t p = 0; p < kc; ++p) {
    const V b0 = hn::Load(d, pb);
    const V b1 = hn::Load(d, pb + N);
    for (size_t i = 0; i < MR; ++i) {
      const V ai = hn::Set(d, pa[i]);
      c0[i] = hn::MulAdd(ai, b0, c0[i]);
      c1[i] = hn::MulAdd(ai, b1, c1[i]);
    }
    pa += MR;
    pb += 2 * N;
  }
  if (full) {
    for (size_t i = 0; i < MR; ++i) {
      T* row = c + static_cast<int64_t>(i) * cm;
      if (first) {
        hn::StoreU(c0[i], d, row);
        hn::StoreU(c1[i], d, row + N);
      } else {
        hn::StoreU(hn::Add(hn::LoadU(d, row), c0[i]), d, row);
        hn::StoreU(hn::Add(hn::LoadU(d, row + N), c1[i]), d, row + N);
      }
    }
    return;
  }
  // Edge or strided C: scalar adds give the same bits as the vector adds above.
  HWY_ALIGN T tmp[MR * 2 * hn::MaxLanes(d)];
  for (size_t i = 0; i < MR; ++i) {
    hn::Store(c0[i], d, tmp + i * 2 * N);
    hn::Store(c1[i], d, tmp + i * 2 * N + N);
  }
  for (size_t i = 0; i < mr; ++i) {
    T* row = c + static_cast<int64_t>(i) * cm;
    for (size_t j = 0; j < nr; ++j) {
      T& dst = row[static_cast<int64_t>(j) * cn];
      dst = first ? tmp[i * 2 * N + j] : dst + tmp[i * 2 * N + j];
    }
  }
}

// Unpacked fallback (workspace allocation failed) with the identical order.
template <typename T>
void BlockedChainGemm(const StridedGemm& g, const GemmRange& r, const T* a, const T* b, T* c) {
  const int64_t kcb = static_cast<int64_t>(KcBlock(g.k));
  for (int64_t i = r.item_begin; i < r.item_end; ++i) {
    for (int64_t m = r.m_begin; m < r.m_end; ++m) {
      for (int64_t n = r.n_begin; n < r.n_end; ++n) {
        const T* am = a + i * g.a_item_stride + m * g.a_m_stride;
        const T* bn = b + i * g.b_item_stride + n * g.b_n_stride;
        T& dst = c[i * g.c_item_stride + m * g.c_m_stride + n * g.c_n_stride];
        for (int64_t p = 0; p < g.k; p += kcb) {
          const T s = ChainDot(am + p * g.a_k_stride, g.a_k_stride, bn + p * g.b_k_stride,
                               g.b_k_stride, std::min(kcb, g.k - p));
          dst = p == 0 ? s : dst + s;
        }
      }
    }
  }
}

template <typename T>
void PackedGemm(const StridedGemm& g0, const GemmRange& r0, const T* a0, const T* b0, T* c,
                Workspace& ws) noexcept {
  if (EmptyRange(r0)) return;
  if (g0.k == 0) return ZeroC(g0, r0, c);
  StridedGemm g = g0;
  GemmRange r = r0;
  const T* a = a0;
  const T* b = b0;
  // Tiles store rows of C along n; a column-major C is the transposed problem.
  if (g.c_n_stride != 1 && g.c_m_stride == 1) Transpose(g, r, a, b);
  const hn::ScalableTag<T> d;
  const size_t MR = kGemmMR, NR = 2 * hn::Lanes(d);
  const size_t kcb = KcBlock(g.k);
  const size_t m_size = static_cast<size_t>(r.m_end - r.m_begin);
  const size_t n_size = static_cast<size_t>(r.n_end - r.n_begin);
  const size_t mc_max = std::min(kGemmMC, (m_size + MR - 1) / MR * MR);
  const size_t nc_max = std::min(kGemmNC, (n_size + NR - 1) / NR * NR);
  const size_t b_elems = (kcb * nc_max + 63) / 64 * 64;
  T* pb = static_cast<T*>(ws.Get((b_elems + mc_max * kcb) * sizeof(T)));
  if (pb == nullptr) return BlockedChainGemm(g, r, a, b, c);
  T* pa = pb + b_elems;
  for (int64_t item = r.item_begin; item < r.item_end; ++item) {
    const T* ai = a + item * g.a_item_stride;
    const T* bi = b + item * g.b_item_stride;
    T* ci = c + item * g.c_item_stride;
    for (int64_t jc = r.n_begin; jc < r.n_end; jc += static_cast<int64_t>(kGemmNC)) {
      const size_t nc = std::min<size_t>(kGemmNC, static_cast<size_t>(r.n_end - jc));
      for (int64_t pc = 0; pc < g.k; pc += static_cast<int64_t>(kcb)) {
        const size_t kc = std::min<size_t>(kcb, static_cast<size_t>(g.k - pc));
        PackB(bi + pc * g.b_k_stride + jc * g.b_n_stride, g.b_k_stride, g.b_n_stride, kc, nc, pb);
        for (int64_t ic = r.m_begin; ic < r.m_end; ic += static_cast<int64_t>(kGemmMC)) {
          const size_t mc = std::min<size_t>(kGemmMC, static_cast<size_t>(r.m_end - ic));
          PackA(ai + ic * g.a_m_stride + pc * g.a_k_stride, g.a_m_stride, g.a_k_stride, mc, kc, pa);
          for (size_t jr = 0; jr < nc; jr += NR) {
            for (size_t ir = 0; ir < mc; ir += MR) {
              T* ct = ci + (ic + static_cast<int64_t>(ir)) * g.c_m_stride +
                      (jc + static_cast<int64_t>(jr)) * g.c_n_stride;
              MicroTile(kc, pa + ir * kc, pb + jr * kc, ct, g.c_m_stride, g.c_n_stride,
                        std::min(MR, mc - ir), std::min(NR, nc - jr), pc == 0);
            }
          }
        }
      }
    }
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace batchdot::kernels
HWY_AFTER_NAMESPACE();

#endif  // BATCHDOT_KERNELS_PACKED_GEMM_INL_H_ toggle
