// The kernel table: one function per (family, dtype) for the SIMD target chosen
// at first use, filled once per process (BLIS cntx, XNNPACK config).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/strided_gemm.hpp"

namespace batchdot::kernels {

template <typename T>
struct FamilyKernels {
  // Always valid: any strides, any sizes.
  GemmKernel<T> generic = nullptr;
  // m == n == 1: batched dot products (memory bound).
  GemmKernel<T> dot = nullptr;
  // n == 1 (or m == 1 after swapping roles): batched matrix-vector products.
  GemmKernel<T> gemv = nullptr;
  // n <= kSmallMaxN and k <= kSmallMax, or k <= kRegisterBMaxK and any n (any m):
  // C rows in registers, B read in place (also in column runs), batch loop inside.
  GemmKernel<T> small = nullptr;
  // Packed, blocked GEMM for medium and large products.
  GemmKernel<T> gemm = nullptr;
};

// The small family's bound on n and k: a 32 x 32 B tile is 4-8 KiB, L1-resident
// while the rows of A stream past it, so packing would only add traffic.
inline constexpr int64_t kSmallMax = 32;
// Its bound on n alone: rows of 48 are three AVX-512 vectors (8 rows x 3 vectors
// of accumulators); the seed's gathered 96 columns run as two 48-column tiles,
// 10% faster than three of 32 (fewer broadcasts of A per multiply-add).
inline constexpr int64_t kSmallMaxN = 48;

// The small family's register-B kernel (register_b-inl.h): k up to this, any m
// and n; each item's B tile is loaded once into registers.
inline constexpr int64_t kRegisterBMaxK = 8;

// The small family's long-K path (small_long_k-inl.h): k up to this (the packed
// GEMM's single KC block, so both give the same bits) when C rows are at most
// three AVX-512 vectors (float32 n <= 48, float64 n <= 24).
inline constexpr int64_t kSmallLongKMaxK = 512;
inline constexpr int64_t kSmallLongKMaxRowBytes = 192;

// Whether the small family reads B's columns in place from runs of `run`
// elements (StridedGemm::b_run): every vector then lies inside one run or is two
// whole runs of half a vector, on every target.
inline bool ReadsColumnRuns(int64_t run, int64_t k) {
  return k >= 1 && k <= kRegisterBMaxK && (run == 8 || (run > 0 && run % 16 == 0));
}

struct KernelTable {
  FamilyKernels<float> f32;
  FamilyKernels<double> f64;
  FamilyKernels<int32_t> i32;
  FamilyKernels<int64_t> i64;
  // float16 and bfloat16 (16-bit storage, float32 accumulation, one rounding):
  // see half_via_float.hpp, and bf16_dot_gemm.hpp for the bf16 dot-product GEMM.
  FamilyKernels<uint16_t> f16, bf16;
  std::string target_name;  // e.g. "AVX3"
};

// Selected once per process (honours BATCHDOT_TARGET=avx3|avx2|sse4|scalar).
const KernelTable& Kernels();

// Names of the Highway targets compiled into this binary, e.g. "AVX3 AVX2 SSE4 SCALAR".
std::string CompiledTargets();

// Targets that are compiled in AND supported by this CPU, best first, e.g.
// {"AVX3", "AVX2", "SSE4", "SCALAR"}. Ignores BATCHDOT_TARGET (tests use this to
// run every target in one process).
std::vector<std::string> RunnableTargets();

// Fills `out` with the kernels of one target named as in RunnableTargets()
// (case-insensitive). Returns false, leaving `out` untouched, if that target is
// not compiled in or the CPU lacks it. Does not touch the process-wide table.
bool KernelTableFor(std::string_view target_name, KernelTable& out);

}  // namespace batchdot::kernels
