// Portable strided kernels for every dtype: the always-valid `generic` entry of
// the kernel table and the integer families. Bound: scalar FMA/ALU throughput.
#pragma once

#include <cstdint>

#include "kernels/strided_gemm.hpp"

namespace batchdot::kernels {

// C_i[m, n] = sum_k A_i[m, k] * B_i[k, n] for the items/rows/columns in `r`,
// summing k = 0, 1, ..., K-1 in order in T (integers wrap modulo 2^bits).
// Any strides (zero and negative included); C must not overlap A or B.
template <typename T>
void GenericStridedGemm(const StridedGemm& g, const GemmRange& r, const T* a, const T* b, T* c,
                        Workspace& ws) noexcept;

// Integer families: same contract and results as GenericStridedGemm, with
// unit-stride special cases so the compiler can vectorise them.
template <typename T>
void IntBatchedDot(const StridedGemm& g, const GemmRange& r, const T* a, const T* b, T* c,
                   Workspace& ws) noexcept;
template <typename T>
void IntBatchedGemm(const StridedGemm& g, const GemmRange& r, const T* a, const T* b, T* c,
                    Workspace& ws) noexcept;

}  // namespace batchdot::kernels
