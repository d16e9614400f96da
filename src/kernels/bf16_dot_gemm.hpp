// The bfloat16 packed GEMM on AVX-512 BF16 dot products (vdpbf16ps), chosen for
// the bf16 `gemm` family when the CPU has them and BATCHDOT_NO_BF16 is unset.
#pragma once

#include <cstdint>

#include "kernels/cpu_features.hpp"  // CpuHasAvx512Bf16
#include "kernels/strided_gemm.hpp"

namespace batchdot::kernels {

// False when BATCHDOT_NO_BF16 is set to anything but "" or "0" (read once), so
// tests and users can run the portable float32-conversion path instead.
bool Bf16DotProductsEnabled();

// C = A * B for bfloat16 A, B, C with any strides. Each C element is one float32
// chain over k pairs, starting from 0, summing (a[2q] b[2q] + a[2q+1] b[2q+1]) per
// vdpbf16ps step (products of bf16 values are exact in float32; each step rounds
// to nearest-even, denormal inputs and results flush to zero), over the whole of
// K, then rounded to bfloat16 once. The order depends only on K, so results are
// identical for any split of items, rows or columns. Error bound against the
// exact sum: |err| <= K * 2^-24 * sum_k |a_k b_k| (+ 2^-126 per flushed term),
// then half an ulp of bfloat16. Only call when CpuHasAvx512Bf16().
void Bf16DotGemm(const StridedGemm& g, const GemmRange& r, const uint16_t* a, const uint16_t* b, uint16_t* c,
                 Workspace& ws) noexcept;

}  // namespace batchdot::kernels
