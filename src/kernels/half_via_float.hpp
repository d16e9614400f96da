// The float16 / bfloat16 families on CPUs without (or with disabled) bf16 dot
// products: every family (dot, gemv, small, packed GEMM, generic) of the target.
// Bound: the float32 family it wraps, plus one widening pass over A and B and
// one narrowing pass over C (all in L2-sized chunks).
//
// The operands are widened exactly to float32 in a per-thread buffer, the
// float32 kernel of the same family runs on that copy with whole-K accumulation,
// and each result is rounded to the 16-bit type once. Buffer layouts depend only
// on (m, n, k) and on which operand stride is unit, never on the thread's range
// start, so the float32 kernel's summation order (and so the bits) are the same
// for every thread count.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>  // std::llabs

#include "kernels/half_convert.hpp"
#include "kernels/machine_constants.hpp"
#include "kernels/strided_gemm.hpp"

namespace batchdot::kernels {

// Floats per thread for one chunk of converted A, B and C: 2 MiB, so attention's
// 512 x 64 x 512 item runs whole (one float32 call, B packed once). Measured
// against 512 KiB chunks (three 192-row calls per item): float16 attention took
// 1.05x the float32 time instead of 1.12x (CPU time, 64 items, Zen 5).
inline constexpr int64_t kHalfChunkFloats = int64_t{1} << 19;

inline int64_t RoundUp16(int64_t x) { return (x + 15) / 16 * 16; }

// Widens rows x cols of a strided 16-bit matrix into a dense float32 one whose
// layout follows the source's unit stride: row-major (returns dst row stride, col
// stride 1) unless the columns are the contiguous ones.
template <bool kBF16>
void WidenMatrix(const uint16_t* src, int64_t rows, int64_t cols, int64_t row_stride, int64_t col_stride,
                 float* dst, bool column_major) {
  if (column_major) {
    for (int64_t j = 0; j < cols; ++j) WidenRow<kBF16>(src + j * col_stride, row_stride, rows, dst + j * rows);
  } else {
    for (int64_t i = 0; i < rows; ++i) WidenRow<kBF16>(src + i * row_stride, col_stride, cols, dst + i * cols);
  }
}

// One float32 call on items [i0, i1) with rows [m0, m1) of range r.
template <bool kBF16, GemmKernel<float> F32>
void HalfChunk(const StridedGemm& g, const GemmRange& r, int64_t i0, int64_t i1, int64_t m0, int64_t m1,
               const uint16_t* a, const uint16_t* b, uint16_t* c, float* buffer, bool convert_b, Workspace& ws) {
  const int64_t mm = m1 - m0, nn = r.n_end - r.n_begin, k = g.k;
  const bool a_col_major = std::llabs(g.a_m_stride) == 1 && std::llabs(g.a_k_stride) != 1;
  const bool b_col_major = std::llabs(g.b_k_stride) == 1 && std::llabs(g.b_n_stride) != 1;
  const int64_t a_elems = RoundUp16(mm * k), b_elems = RoundUp16(k * nn), c_elems = RoundUp16(mm * nn);
  const int64_t items = i1 - i0;
  float* fb = buffer;
  float* fa = fb + items * b_elems;
  float* fc = fa + items * a_elems;
  for (int64_t it = 0; it < items; ++it) {
    const int64_t item = i0 + it;
    if (convert_b) {
      WidenMatrix<kBF16>(b + item * g.b_item_stride + r.n_begin * g.b_n_stride, k, nn, g.b_k_stride, g.b_n_stride,
                         fb + it * b_elems, b_col_major);
    }
    WidenMatrix<kBF16>(a + item * g.a_item_stride + m0 * g.a_m_stride, mm, k, g.a_m_stride, g.a_k_stride,
                       fa + it * a_elems, a_col_major);
  }
  StridedGemm f;
  f.count = items;
  f.m = mm;
  f.n = nn;
  f.k = k;
  f.a_item_stride = a_elems;
  f.b_item_stride = b_elems;
  f.c_item_stride = c_elems;
  f.a_m_stride = a_col_major ? 1 : k;
  f.a_k_stride = a_col_major ? mm : 1;
  f.b_k_stride = b_col_major ? 1 : nn;
  f.b_n_stride = b_col_major ? k : 1;
  f.c_m_stride = nn;
  f.c_n_stride = 1;
  F32(f, GemmRange{0, items, 0, mm, 0, nn}, fa, fb, fc, ws);
  for (int64_t it = 0; it < items; ++it) {
    uint16_t* ci = c + (i0 + it) * g.c_item_stride + r.n_begin * g.c_n_stride;
    const float* src = fc + it * c_elems;
    for (int64_t i = 0; i < mm; ++i) NarrowRow<kBF16>(src + i * nn, nn, ci + (m0 + i) * g.c_m_stride, g.c_n_stride);
  }
}

template <bool kBF16, GemmKernel<float> F32>
void HalfViaFloat(const StridedGemm& g, const GemmRange& r, const uint16_t* a, const uint16_t* b, uint16_t* c,
                  Workspace& ws) noexcept {
  if (r.item_begin >= r.item_end || r.m_begin >= r.m_end || r.n_begin >= r.n_end) return;
  thread_local Workspace converted;
  const int64_t mm = r.m_end - r.m_begin, nn = r.n_end - r.n_begin, k = g.k;
  const int64_t per_item = RoundUp16(mm * k) + RoundUp16(k * nn) + RoundUp16(mm * nn);
  if (per_item <= kHalfChunkFloats) {
    // Whole items, as many per float32 call as fit.
    const int64_t per_chunk = std::max<int64_t>(1, kHalfChunkFloats / per_item);
    const int64_t chunk = std::min(per_chunk, r.item_end - r.item_begin);
    const size_t bytes = static_cast<size_t>(chunk * per_item) * sizeof(float);
    auto* buffer = static_cast<float*>(converted.Get(bytes));
    if (buffer == nullptr) return ws.MarkOutOfMemory(bytes);  // the runner raises kMemory
    for (int64_t i0 = r.item_begin; i0 < r.item_end; i0 += chunk) {
      HalfChunk<kBF16, F32>(g, r, i0, std::min(r.item_end, i0 + chunk), r.m_begin, r.m_end, a, b, c, buffer, true, ws);
    }
    return;
  }
  // Large items: B widened once per item, A and C in row chunks.
  const int64_t b_elems = RoundUp16(k * nn);
  const int64_t rows = std::min(
      mm, std::max<int64_t>(kHalfMinRows, (kHalfChunkFloats / std::max<int64_t>(1, k + nn)) / kHalfRowMultiple *
                                              kHalfRowMultiple));
  const int64_t a_elems = RoundUp16(rows * k), c_elems = RoundUp16(rows * nn);
  const size_t bytes = static_cast<size_t>(b_elems + a_elems + c_elems) * sizeof(float);
  auto* buffer = static_cast<float*>(converted.Get(bytes));
  if (buffer == nullptr) return ws.MarkOutOfMemory(bytes);
  for (int64_t item = r.item_begin; item < r.item_end; ++item) {
    for (int64_t m0 = r.m_begin; m0 < r.m_end; m0 += rows) {
      HalfChunk<kBF16, F32>(g, r, item, item + 1, m0, std::min(r.m_end, m0 + rows), a, b, c, buffer,
                            m0 == r.m_begin, ws);
    }
  }
}

}  // namespace batchdot::kernels
