// bfloat16 GEMM for medium and large products (the bf16 `gemm` family on
// AVX-512 BF16 CPUs). Bound: vdpbf16ps throughput (2x float32 FMA per cycle).
//
// B is packed per column block into 32-column panels of k pairs (one 64-byte
// vector holds 16 columns x 2 consecutive k), the layout vdpbf16ps consumes; A is
// read in place when its rows are contiguous (a row's k pair is one 32-bit
// broadcast), otherwise packed into 12-row panels of k pairs. A 12 x 32 register
// tile (24 accumulators) sums the whole K, so each result is rounded once.
#include "kernels/bf16_dot_gemm.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "kernels/half_via_float.hpp"

#if defined(__x86_64__)
// GCC 12's AVX-512 headers trip -Wmaybe-uninitialized on their own
// undefined-vector placeholders (GCC bug 105593), not on this file's code.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#define BATCHDOT_BF16_TARGET __attribute__((target("avx512f,avx512bf16,avx512bw,avx512vl")))
#endif

namespace batchdot::kernels {

bool Bf16DotProductsEnabled() {
  static const bool enabled = [] {
    const char* off = std::getenv("BATCHDOT_NO_BF16");
    return off == nullptr || *off == '\0' || (off[0] == '0' && off[1] == '\0');
  }();
  return enabled;
}

#if defined(__x86_64__)
namespace {

constexpr int64_t kMR = 12;  // register tile rows
constexpr int64_t kNR = 32;  // register tile columns: two vectors of 16 floats

inline uint32_t Pair(const uint16_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Packs k [0, K) x columns [0, nc) of B into 32-column panels of k pairs:
// panel word (q, j) = (B[2q, j], B[2q+1, j]), zero past K and past nc.
BATCHDOT_BF16_TARGET void PackB(const uint16_t* b, int64_t bk, int64_t bn, int64_t k, int64_t nc, uint16_t* pb) {
  const int64_t pairs = (k + 1) / 2;
  alignas(64) static constexpr uint16_t kLo[32] = {0, 32, 1, 33, 2, 34, 3, 35, 4, 36, 5, 37, 6, 38, 7, 39,
                                                   8, 40, 9, 41, 10, 42, 11, 43, 12, 44, 13, 45, 14, 46, 15, 47};
  alignas(64) static constexpr uint16_t kHi[32] = {16, 48, 17, 49, 18, 50, 19, 51, 20, 52, 21, 53, 22, 54, 23, 55,
                                                   24, 56, 25, 57, 26, 58, 27, 59, 28, 60, 29, 61, 30, 62, 31, 63};
  const __m512i lo = _mm512_load_si512(kLo), hi = _mm512_load_si512(kHi);
  for (int64_t jp = 0; jp < nc; jp += kNR, pb += pairs * 2 * kNR) {
    const int64_t cols = std::min(kNR, nc - jp);
    const uint16_t* src = b + jp * bn;
    if (bn == 1) {
      // Two rows of 32 columns -> two vectors of 16 interleaved column pairs.
      const __mmask32 mask = cols == kNR ? ~__mmask32{0} : static_cast<__mmask32>((uint64_t{1} << cols) - 1);
      for (int64_t q = 0; q < pairs; ++q) {
        const bool full = cols == kNR;
        const uint16_t* p0 = src + 2 * q * bk;
        const uint16_t* p1 = p0 + bk;
        const __m512i r0 = full ? _mm512_loadu_si512(p0) : _mm512_maskz_loadu_epi16(mask, p0);
        const __m512i r1 = 2 * q + 1 >= k ? _mm512_setzero_si512()
                           : full         ? _mm512_loadu_si512(p1)
                                          : _mm512_maskz_loadu_epi16(mask, p1);
        _mm512_storeu_si512(pb + q * 2 * kNR, _mm512_permutex2var_epi16(r0, lo, r1));
        _mm512_storeu_si512(pb + q * 2 * kNR + kNR, _mm512_permutex2var_epi16(r0, hi, r1));
      }
      continue;
    }
    for (int64_t q = 0; q < pairs; ++q) {
      uint16_t* dst = pb + q * 2 * kNR;
      for (int64_t j = 0; j < kNR; ++j) {
        const bool in = j < cols;
        dst[2 * j] = in ? src[2 * q * bk + j * bn] : 0;
        dst[2 * j + 1] = in && 2 * q + 1 < k ? src[(2 * q + 1) * bk + j * bn] : 0;
      }
    }
  }
}

// Packs rows [0, mc) of A into 12-row panels of k pairs: word (q, i) = (A[i, 2q], A[i, 2q+1]).
void PackA(const uint16_t* a, int64_t am, int64_t ak, int64_t k, int64_t mc, uint16_t* pa) {
  const int64_t pairs = (k + 1) / 2;
  for (int64_t ip = 0; ip < mc; ip += kMR, pa += pairs * 2 * kMR) {
    const int64_t rows = std::min(kMR, mc - ip);
    for (int64_t q = 0; q < pairs; ++q) {
      uint16_t* dst = pa + q * 2 * kMR;
      for (int64_t i = 0; i < kMR; ++i) {
        const uint16_t* row = a + (ip + i) * am;
        dst[2 * i] = i < rows ? row[2 * q * ak] : 0;
        dst[2 * i + 1] = i < rows && 2 * q + 1 < k ? row[(2 * q + 1) * ak] : 0;
      }
    }
  }
}

// Two float32 vectors -> 32 bfloat16 (vcvtne2ps2bf16: round-to-nearest-even,
// NaN quieted; inputs are vdpbf16ps results, already flushed of denormals). Every
// tile, full, edge or strided, converts this way, so the bits never depend on
// where a tile starts.
BATCHDOT_BF16_TARGET inline __m512i ToBf16(__m512 low, __m512 high) {
  return (__m512i)_mm512_cvtne2ps_pbh(high, low);
}

// C tile (mr <= R rows, nr <= 32 columns) = A * B over all k pairs. A's word
// (q, i) is at a + i * a_row + q * a_pair (uint16 units); when `odd` the last
// pair holds only A[i, K-1] (A read in place with odd K). pb is a packed panel.
template <int R>
BATCHDOT_BF16_TARGET void MicroTile(int64_t pairs, bool odd, const uint16_t* a, int64_t a_row, int64_t a_pair,
                                    const uint16_t* pb, uint16_t* c, int64_t cm, int64_t cn, int64_t mr,
                                    int64_t nr) {
  __m512 c0[R], c1[R];
#pragma GCC unroll 12
  for (int i = 0; i < R; ++i) c0[i] = c1[i] = _mm512_setzero_ps();
  const int64_t full = odd ? pairs - 1 : pairs;
  for (int64_t q = 0; q < full; ++q) {
    const __m512bh b0 = (__m512bh)_mm512_loadu_si512(pb);
    const __m512bh b1 = (__m512bh)_mm512_loadu_si512(pb + kNR);
#pragma GCC unroll 12
    for (int i = 0; i < R; ++i) {
      const __m512bh ai = (__m512bh)_mm512_set1_epi32(static_cast<int>(Pair(a + i * a_row)));
      c0[i] = _mm512_dpbf16_ps(c0[i], ai, b0);
      c1[i] = _mm512_dpbf16_ps(c1[i], ai, b1);
    }
    a += a_pair;
    pb += 2 * kNR;
  }
  if (odd) {
    const __m512bh b0 = (__m512bh)_mm512_loadu_si512(pb);
    const __m512bh b1 = (__m512bh)_mm512_loadu_si512(pb + kNR);
#pragma GCC unroll 12
    for (int i = 0; i < R; ++i) {
      const __m512bh ai = (__m512bh)_mm512_set1_epi32(static_cast<int>(a[i * a_row]));
      c0[i] = _mm512_dpbf16_ps(c0[i], ai, b0);
      c1[i] = _mm512_dpbf16_ps(c1[i], ai, b1);
    }
  }
  if (cn == 1) {
    const __mmask32 mask = nr >= 32 ? ~__mmask32{0} : static_cast<__mmask32>((uint64_t{1} << nr) - 1);
#pragma GCC unroll 12
    for (int i = 0; i < R; ++i) {
      if (i >= mr) break;
      if (nr == 32) {
        // Full rows store unmasked: on Zen 5 masked 512-bit stores made attention's
        // bf16 GEMM take 9.9 ms instead of 6.1 (CPU time, 64 x 512 x 64 x 512).
        _mm512_storeu_si512(c + i * cm, ToBf16(c0[i], c1[i]));
        continue;
      }
      _mm512_mask_storeu_epi16(c + i * cm, mask, ToBf16(c0[i], c1[i]));
    }
    return;
  }
  alignas(64) uint16_t tmp[kNR];
  for (int i = 0; i < R; ++i) {
    if (i >= mr) break;
    _mm512_store_si512(tmp, ToBf16(c0[i], c1[i]));
    for (int64_t j = 0; j < nr; ++j) c[i * cm + j * cn] = tmp[j];
  }
}

void MicroTileRows(int64_t pairs, bool odd, const uint16_t* a, int64_t a_row, int64_t a_pair, const uint16_t* pb,
                   uint16_t* c, int64_t cm, int64_t cn, int64_t mr, int64_t nr) {
  if (mr > 8) return MicroTile<12>(pairs, odd, a, a_row, a_pair, pb, c, cm, cn, mr, nr);
  if (mr > 4) return MicroTile<8>(pairs, odd, a, a_row, a_pair, pb, c, cm, cn, mr, nr);
  return MicroTile<4>(pairs, odd, a, a_row, a_pair, pb, c, cm, cn, mr, nr);
}

}  // namespace

void Bf16DotGemm(const StridedGemm& g, const GemmRange& r, const uint16_t* a, const uint16_t* b, uint16_t* c,
                 Workspace& ws) noexcept {
  if (r.item_begin >= r.item_end || r.m_begin >= r.m_end || r.n_begin >= r.n_end) return;
  const int64_t k = g.k;
  if (k == 0) {
    for (int64_t i = r.item_begin; i < r.item_end; ++i)
      for (int64_t m = r.m_begin; m < r.m_end; ++m)
        for (int64_t n = r.n_begin; n < r.n_end; ++n) c[i * g.c_item_stride + m * g.c_m_stride + n * g.c_n_stride] = 0;
    return;
  }
  const int64_t pairs = (k + 1) / 2;
  // B block (pairs x nc words) within ~512 KiB of L2, an A block within ~256 KiB.
  const int64_t nc_max = std::clamp<int64_t>((512 * 1024 / (pairs * 4)) / kNR * kNR, kNR, 2048);
  const int64_t mc_max = std::clamp<int64_t>((256 * 1024 / (pairs * 4)) / kMR * kMR, kMR, 20 * kMR);
  const int64_t n_size = r.n_end - r.n_begin, m_size = r.m_end - r.m_begin;
  const int64_t nc_block = std::min(nc_max, (n_size + kNR - 1) / kNR * kNR);
  const int64_t mc_block = std::min(mc_max, (m_size + kMR - 1) / kMR * kMR);
  const bool a_in_place = g.a_k_stride == 1;
  // In place, only edge panels (fewer than 12 rows) are packed, one at a time.
  const size_t b_words = static_cast<size_t>(pairs * nc_block);
  const size_t a_words = static_cast<size_t>(pairs * (a_in_place ? kMR : mc_block));
  const size_t bytes = (b_words + a_words) * 4;
  auto* pb = static_cast<uint16_t*>(ws.Get(bytes));
  if (pb == nullptr) return ws.MarkOutOfMemory(bytes);  // the runner raises kMemory
  uint16_t* pa = pb + 2 * b_words;
  for (int64_t item = r.item_begin; item < r.item_end; ++item) {
    const uint16_t* ai = a + item * g.a_item_stride;
    const uint16_t* bi = b + item * g.b_item_stride;
    uint16_t* ci = c + item * g.c_item_stride;
    for (int64_t jc = r.n_begin; jc < r.n_end; jc += nc_block) {
      const int64_t nc = std::min(nc_block, r.n_end - jc);
      PackB(bi + jc * g.b_n_stride, g.b_k_stride, g.b_n_stride, k, nc, pb);
      for (int64_t ic = r.m_begin; ic < r.m_end; ic += mc_block) {
        const int64_t mc = std::min(mc_block, r.m_end - ic);
        const uint16_t* ablock = ai + ic * g.a_m_stride;
        if (!a_in_place) PackA(ablock, g.a_m_stride, g.a_k_stride, k, mc, pa);
        for (int64_t jr = 0; jr < nc; jr += kNR) {
          for (int64_t ir = 0; ir < mc; ir += kMR) {
            uint16_t* ct = ci + (ic + ir) * g.c_m_stride + (jc + jr) * g.c_n_stride;
            const uint16_t* pbt = pb + jr * 2 * pairs;
            const int64_t mr = std::min(kMR, mc - ir), nr = std::min(kNR, nc - jr);
            if (a_in_place && mr == kMR) {
              MicroTileRows(pairs, k % 2 != 0, ablock + ir * g.a_m_stride, g.a_m_stride, 2, pbt, ct, g.c_m_stride,
                            g.c_n_stride, mr, nr);
            } else if (a_in_place) {
              // Edge rows: the tile reads whole 4-row groups, so copy them (zero-padded).
              PackA(ablock + ir * g.a_m_stride, g.a_m_stride, g.a_k_stride, k, mr, pa);
              MicroTileRows(pairs, false, pa, 2, 2 * kMR, pbt, ct, g.c_m_stride, g.c_n_stride, mr, nr);
            } else {
              MicroTileRows(pairs, false, pa + ir * 2 * pairs, 2, 2 * kMR, pbt, ct, g.c_m_stride, g.c_n_stride, mr, nr);
            }
          }
        }
      }
    }
  }
}

#else  // not x86-64: never selected

void Bf16DotGemm(const StridedGemm&, const GemmRange&, const uint16_t*, const uint16_t*, uint16_t*,
                 Workspace&) noexcept {}  // never in a table: MakeProcessTable checks the CPU first

#endif

}  // namespace batchdot::kernels
