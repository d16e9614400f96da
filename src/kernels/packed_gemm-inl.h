// PackedGemm: medium and large products with any strides (transposes are
// absorbed by packing). Bound: FMA throughput (>= 85% of peak on 1024^3).
//
// BLIS-style: B is packed into KC x NR panels (whole KC x NC block in L3), A
// into MR x KC panels (MC x KC block in L2), and an MR x NR register tile
// (AVX-512: 12 x 2 vectors, else 6 x 2 vectors) accumulates one KC block at a
// time. Layout-specific packing: a column-major B and a row-major A go through
// 16 x 16 (8 x 8) register transposes on AVX-512; a column-major A already has
// the packed layout and is read in place when its block is compact (the
// transposed-operand case, e.g. Keras axes (1, 2)). Edge panels compute only
// the next multiple of MR / 3 rows. With one K block into a large line-aligned
// C (attention writes 64 MiB) full tiles are streamed, saving the read for
// ownership: attention 6 % faster on 1 and 2 threads.
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
#include "kernels/next_item_prefetch-inl.h"
#include "kernels/stream_store-inl.h"
#include "kernels/strided_gemm.hpp"
#include "kernels/transpose_avx512-inl.h"

#if HWY_ARCH_X86
#include <immintrin.h>
#endif

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
// Cache blocking: MC x KC of A in L2, KC x NC of B in L3. A KC x NR micro-panel
// of B (64 KiB with AVX-512) streams from L2 alongside the A micro-panel: on
// Zen 5 that cost less than the extra C passes of KC = 256 (8 x 1024^3 f32:
// ~185 vs ~165 GFLOP/s).
inline constexpr size_t kGemmKC = 512;
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

#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
// Packs a full MR-row panel of a row-major A (unit k stride) for k in [0, kc
// rounded down to whole vectors) through the same transposes; returns how many
// k steps it packed.
template <typename T>
HWY_INLINE size_t PackARowMajor(const T* const* rows, size_t kc, T* HWY_RESTRICT pa) {
  constexpr size_t MR = kGemmMR;
  const hn::ScalableTag<T> d;
  const size_t N = hn::Lanes(d);
  if (N * sizeof(T) != 64 || MR != 12) return 0;
  size_t p = 0;
  for (; p + N <= kc; p += N) {
    if constexpr (sizeof(T) == 4) {
      __m512 r[16];
      for (size_t i = 0; i < 12; ++i) r[i] = _mm512_loadu_ps(reinterpret_cast<const float*>(rows[i] + p));
      for (size_t i = 12; i < 16; ++i) r[i] = _mm512_setzero_ps();
      Transpose16x16(r);
      for (size_t q = 0; q < 16; ++q) {
        _mm512_mask_storeu_ps(reinterpret_cast<float*>(pa + (p + q) * MR), 0x0FFF, r[q]);
      }
    } else {
      __m512d r[8], e[8];
      for (size_t i = 0; i < 8; ++i) r[i] = _mm512_loadu_pd(reinterpret_cast<const double*>(rows[i] + p));
      for (size_t i = 0; i < 4; ++i) e[i] = _mm512_loadu_pd(reinterpret_cast<const double*>(rows[8 + i] + p));
      for (size_t i = 4; i < 8; ++i) e[i] = _mm512_setzero_pd();
      Transpose8x8(r);
      Transpose8x8(e);
      for (size_t q = 0; q < 8; ++q) {
        double* dst = reinterpret_cast<double*>(pa + (p + q) * MR);
        _mm512_storeu_pd(dst, r[q]);
        _mm512_mask_storeu_pd(dst + 8, 0x0F, e[q]);
      }
    }
  }
  return p;
}
#else
template <typename T>
HWY_INLINE size_t PackARowMajor(const T* const*, size_t, T* HWY_RESTRICT) {
  return 0;
}
template <typename T>
HWY_INLINE size_t PackBColumnMajor(const T*, int64_t, size_t, T* HWY_RESTRICT) {
  return 0;
}
#endif


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
      // Whole vectors of k through register transposes (AVX-512), the rest scalar.
      for (size_t p = PackARowMajor(rowp, kc, pa); p < kc; ++p) {
        for (size_t i = 0; i < MR; ++i) pa[p * MR + i] = rowp[i][p];
      }
    } else if (ak == 1) {
      for (size_t i = 0; i < rows; ++i) {
        const T* row = src + static_cast<int64_t>(i) * am;
        for (size_t p = 0; p < kc; ++p) pa[p * MR + i] = row[p];
      }
    } else if (am == 1) {
      // Transposed A (columns contiguous): each k step is one short vector copy.
      const hn::ScalableTag<T> d;
      const size_t N = hn::Lanes(d);
      for (size_t p = 0; p < kc; ++p) {
        const T* col = src + static_cast<int64_t>(p) * ak;
        for (size_t i = 0; i < rows; i += N) {
          const size_t n = std::min(N, rows - i);
          StorePartial(d, LoadPartial(d, col + i, n), pa + p * MR + i, n);
        }
      }
    } else {
      for (size_t p = 0; p < kc; ++p) {
        const T* col = src + static_cast<int64_t>(p) * ak;
        for (size_t i = 0; i < rows; ++i) pa[p * MR + i] = col[static_cast<int64_t>(i) * am];
      }
    }
    // Edge panels are read up to the next multiple of MR / 3 rows (MicroTileRows).
    constexpr size_t Q = MR / 3;
    for (size_t i = rows; i < (rows + Q - 1) / Q * Q; ++i) {
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
      // Whole vectors of k through register transposes (AVX-512), the rest scalar.
      const size_t done = cols == NR ? PackBColumnMajor(src, bn, kc, pb) : 0;
      for (size_t j = 0; j < cols; ++j) {
        const T* col = src + static_cast<int64_t>(j) * bn;
        for (size_t p = done; p < kc; ++p) pb[p * NR + j] = col[p];
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

// C tile (mr <= R <= MR rows, nr <= NR columns) = (first ? 0 : C) + A * pb over
// kc, where A[i, p] is pa[p * a_step + i] (a packed panel has a_step == MR; a
// column-major A can be read in place with a_step == its k stride). Only R rows
// are computed, so an edge panel costs ceil(mr / 4) * 4 rows, not MR.
template <size_t R, typename T>
HWY_INLINE void MicroTile(size_t kc, const T* HWY_RESTRICT pa, size_t a_step,
                          const T* HWY_RESTRICT pb, T* c, int64_t cm, int64_t cn, size_t mr,
                          size_t nr, bool first, bool stream) {
  const hn::ScalableTag<T> d;
  using V = hn::Vec<decltype(d)>;
  const size_t N = hn::Lanes(d);
  if (cn == 1 && !stream) {
    // A tile row is 2 vectors (128 bytes with AVX-512): fetch every line of it.
    for (size_t i = 0; i < mr; ++i) {
      hwy::Prefetch(c + static_cast<int64_t>(i) * cm);
      hwy::Prefetch(c + static_cast<int64_t>(i) * cm + 2 * N - 1);
    }
  }
  // Two arrays indexed only by unrolled constants, so they live in registers.
  V c0[R], c1[R];
  for (size_t i = 0; i < R; ++i) c0[i] = c1[i] = hn::Zero(d);
  for (size_t p = 0; p < kc; ++p) {
    const V b0 = hn::Load(d, pb);
    const V b1 = hn::Load(d, pb + N);
    for (size_t i = 0; i < R; ++i) {
      const V ai = hn::Set(d, pa[i]);
      c0[i] = hn::MulAdd(ai, b0, c0[i]);
      c1[i] = hn::MulAdd(ai, b1, c1[i]);
    }
    pa += a_step;
    pb += 2 * N;
  }
  if (cn == 1) {
    // Row-major C: vector adds/stores (partial ones for a column edge), which
    // give the same bits as the scalar adds below.
    if (nr == 2 * N) {
      for (size_t i = 0; i < R; ++i) {
        if (i >= mr) break;
        T* row = c + static_cast<int64_t>(i) * cm;
        if (stream) {
          StreamVector(d, c0[i], row);
          StreamVector(d, c1[i], row + N);
        } else if (first) {
          hn::StoreU(c0[i], d, row);
          hn::StoreU(c1[i], d, row + N);
        } else {
          hn::StoreU(hn::Add(hn::LoadU(d, row), c0[i]), d, row);
          hn::StoreU(hn::Add(hn::LoadU(d, row + N), c1[i]), d, row + N);
        }
      }
      return;
    }
    if (nr > N) {
      const PartialLanes<decltype(d)> tail(d, nr - N);
      for (size_t i = 0; i < R; ++i) {
        if (i >= mr) break;
        T* row = c + static_cast<int64_t>(i) * cm;
        hn::StoreU(first ? c0[i] : hn::Add(hn::LoadU(d, row), c0[i]), d, row);
        tail.Store(first ? c1[i] : hn::Add(tail.Load(row + N), c1[i]), row + N);
      }
      return;
    }
    const PartialLanes<decltype(d)> tail(d, nr);
    for (size_t i = 0; i < R; ++i) {
      if (i >= mr) break;
      T* row = c + static_cast<int64_t>(i) * cm;
      tail.Store(first ? c0[i] : hn::Add(tail.Load(row), c0[i]), row);
    }
    return;
  }
  // Strided C: scalar adds give the same bits as the vector adds above.
  HWY_ALIGN T tmp[R * 2 * hn::MaxLanes(d)];
  for (size_t i = 0; i < R; ++i) {
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

// Row-count dispatch for MicroTile: full panels use MR rows, edge panels the
// next multiple of MR / 3 (AVX-512: 4 / 8 / 12; else 2 / 4 / 6).
template <typename T>
HWY_INLINE void MicroTileRows(size_t kc, const T* HWY_RESTRICT pa, size_t a_step,
                              const T* HWY_RESTRICT pb, T* c, int64_t cm, int64_t cn, size_t mr,
                              size_t nr, bool first, bool stream) {
  constexpr size_t MR = kGemmMR, Q = kGemmMR / 3;
  if (mr > 2 * Q) return MicroTile<MR>(kc, pa, a_step, pb, c, cm, cn, mr, nr, first, stream);
  if (mr > Q) return MicroTile<2 * Q>(kc, pa, a_step, pb, c, cm, cn, mr, nr, first, stream);
  return MicroTile<Q>(kc, pa, a_step, pb, c, cm, cn, mr, nr, first, stream);
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
  // Read a column-major A in place when an MC x KC block spans little memory
  // (a long k stride would scatter the block over many pages and cache sets).
  const bool a_in_place = g.a_m_stride == 1 && g.a_k_stride > 0 &&
                          static_cast<size_t>(g.a_k_stride) * kcb * sizeof(T) <= 64 * 1024;
  const size_t tiles_per_item = ((m_size + MR - 1) / MR) * ((n_size + NR - 1) / NR) *
                                ((static_cast<size_t>(g.k) + kcb - 1) / kcb);
  NextItemPrefetch<T> prefetch(g, r, tiles_per_item);
  // One K block into a large, line-aligned C: stream the tiles (no read for ownership).
  const bool stream = kCanStream && hn::Lanes(d) * sizeof(T) == 64 && kcb >= static_cast<size_t>(g.k) &&
                      LargeRowMajorC<T>(g) && LineAlignedRows(g, r, c);
  for (int64_t item = r.item_begin; item < r.item_end; ++item) {
    const T* ai = a + item * g.a_item_stride;
    const T* bi = b + item * g.b_item_stride;
    T* ci = c + item * g.c_item_stride;
    if (item + 1 < r.item_end) {
      prefetch.NextItem(ai + g.a_item_stride + r.m_begin * g.a_m_stride,
                        bi + g.b_item_stride + r.n_begin * g.b_n_stride);
    } else {
      prefetch.NextItem(nullptr, nullptr);
    }
    for (int64_t jc = r.n_begin; jc < r.n_end; jc += static_cast<int64_t>(kGemmNC)) {
      const size_t nc = std::min<size_t>(kGemmNC, static_cast<size_t>(r.n_end - jc));
      for (int64_t pc = 0; pc < g.k; pc += static_cast<int64_t>(kcb)) {
        const size_t kc = std::min<size_t>(kcb, static_cast<size_t>(g.k - pc));
        PackB(bi + pc * g.b_k_stride + jc * g.b_n_stride, g.b_k_stride, g.b_n_stride, kc, nc, pb);
        for (int64_t ic = r.m_begin; ic < r.m_end; ic += static_cast<int64_t>(kGemmMC)) {
          const size_t mc = std::min<size_t>(kGemmMC, static_cast<size_t>(r.m_end - ic));
          const T* ablock = ai + ic * g.a_m_stride + pc * g.a_k_stride;
          // A column-major A already has the packed layout, with a k step of
          // a_k_stride instead of MR: full panels read it in place when the
          // block is small enough to stay cached (only other edge panels are packed).
          // An edge panel of a multiple of MR / 3 rows is read in place too: its
          // tile computes exactly those rows (64 rows: 5 x 12 + 4).
          const bool edge_in_place = a_in_place && (mc % MR) % (MR / 3) == 0;
          const bool in_place = a_in_place && (mc >= MR || edge_in_place);
          const size_t packed_rows = !in_place ? mc : edge_in_place ? 0 : mc % MR;
          const size_t packed_from = mc - packed_rows;
          if (packed_rows != 0) {
            PackA(ablock + static_cast<int64_t>(packed_from) * g.a_m_stride, g.a_m_stride,
                  g.a_k_stride, packed_rows, kc, pa + packed_from * kc);
          }
          for (size_t jr = 0; jr < nc; jr += NR) {
            for (size_t ir = 0; ir < mc; ir += MR) {
              T* ct = ci + (ic + static_cast<int64_t>(ir)) * g.c_m_stride +
                      (jc + static_cast<int64_t>(jr)) * g.c_n_stride;
              const bool direct = ir < packed_from;
              MicroTileRows(kc, direct ? ablock + ir : pa + ir * kc,
                            direct ? static_cast<size_t>(g.a_k_stride) : MR, pb + jr * kc, ct,
                            g.c_m_stride, g.c_n_stride, std::min(MR, mc - ir),
                            std::min(NR, nc - jr), pc == 0, stream && nc - jr >= NR);
              prefetch.Step();
            }
          }
        }
      }
    }
  }
  if (stream) {
    LineStreamer<decltype(d)> fence;
    fence.Streamed();
    fence.Flush();
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace batchdot::kernels
HWY_AFTER_NAMESPACE();

#endif  // BATCHDOT_KERNELS_PACKED_GEMM_INL_H_ toggle
