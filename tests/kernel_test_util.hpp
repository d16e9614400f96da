// Helpers for kernel tests: strided operands with every layout the planner may
// produce, a naive reference product and the one tolerance rule for real inputs.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include <cstdio>

#include "kernels/kernel_table.hpp"
#include "kernels/strided_gemm.hpp"

namespace batchdot::kernels::testing {

// How one operand (count x rows x cols) is laid out in memory.
enum class Layout {
  kRowMajor,    // cols unit-stride, items packed
  kColMajor,    // rows unit-stride (a transposed operand)
  kStep2,       // every stride doubled plus padding between rows and items
  kNegative,    // row-major with every stride negated (base at the far end)
  kMisaligned,  // row-major starting one element past a 64-byte boundary
  kItemInner,   // item index innermost (item stride 1)
  kZeroItem,    // every item shares one matrix (item stride 0)
  kZeroRow,     // every row of an item is the same (row stride 0)
};
inline constexpr Layout kAllLayouts[] = {Layout::kRowMajor,   Layout::kColMajor,  Layout::kStep2,
                                         Layout::kNegative,   Layout::kMisaligned,
                                         Layout::kItemInner,  Layout::kZeroItem,  Layout::kZeroRow};
// Layouts valid for C (every element written must have its own address).
inline constexpr Layout kOutLayouts[] = {Layout::kRowMajor, Layout::kColMajor,   Layout::kStep2,
                                         Layout::kNegative, Layout::kMisaligned, Layout::kItemInner};

inline const char* LayoutName(Layout l) {
  switch (l) {
    case Layout::kRowMajor: return "row";
    case Layout::kColMajor: return "col";
    case Layout::kStep2: return "step2";
    case Layout::kNegative: return "neg";
    case Layout::kMisaligned: return "misal";
    case Layout::kItemInner: return "iteminner";
    case Layout::kZeroItem: return "zeroitem";
    case Layout::kZeroRow: return "zerorow";
  }
  return "?";
}

// One operand: element strides plus storage; `base` is the index of element (0,0,0).
template <typename T>
struct Operand {
  int64_t item_stride = 0, row_stride = 0, col_stride = 0;
  std::vector<T> storage;
  int64_t base = 0;
  T* ptr() { return storage.data() + base; }
  int64_t Index(int64_t i, int64_t r, int64_t c) const {
    return base + i * item_stride + r * row_stride + c * col_stride;
  }
};

template <typename T>
Operand<T> MakeOperand(int64_t count, int64_t rows, int64_t cols, Layout layout) {
  Operand<T> op;
  const int64_t r = rows > 0 ? rows : 1, c = cols > 0 ? cols : 1, n = count > 0 ? count : 1;
  int64_t offset = 0;
  auto set = [&](int64_t item, int64_t row, int64_t col) {
    op.item_stride = item;
    op.row_stride = row;
    op.col_stride = col;
  };
  switch (layout) {
    case Layout::kRowMajor:
    case Layout::kNegative:
    case Layout::kMisaligned: set(r * c, c, 1); break;
    case Layout::kColMajor: set(r * c, 1, r); break;
    case Layout::kStep2: set((2 * c + 1) * r + 3, 2 * c + 1, 2); break;
    case Layout::kItemInner: set(1, c * n, n); break;
    case Layout::kZeroItem: set(0, c, 1); break;
    case Layout::kZeroRow: set(c, 0, 1); break;
  }
  if (layout == Layout::kNegative) {
    op.item_stride = -op.item_stride;
    op.row_stride = -op.row_stride;
    op.col_stride = -op.col_stride;
  }
  if (layout == Layout::kMisaligned) offset = 1;
  // Span of reachable offsets, so negative strides stay inside the buffer.
  int64_t lo = 0, hi = 0;
  const int64_t dims[3][2] = {{op.item_stride, n}, {op.row_stride, r}, {op.col_stride, c}};
  for (const auto& sd : dims) {
    if (sd[0] < 0) {
      lo += sd[0] * (sd[1] - 1);
    } else {
      hi += sd[0] * (sd[1] - 1);
    }
  }
  // 16 guard elements on each side catch out-of-range reads/writes.
  op.base = 16 + offset - lo;
  op.storage.assign(static_cast<size_t>(hi - lo + 1 + offset + 32), T(0));
  return op;
}

// Exact inputs: floats are multiples of 1/16 in [-2, 2] so every product is a
// multiple of 2^-8 below 4 in magnitude and every partial sum with K < 2^14 is
// exact in float; integers are in [-7, 7] plus occasional huge values for wrap.
template <typename T>
void FillExact(std::vector<T>& v, std::mt19937_64& rng) {
  for (T& x : v) {
    const int64_t r = static_cast<int64_t>(rng() % 65) - 32;
    if constexpr (std::is_floating_point_v<T>) {
      x = static_cast<T>(r) / T(16);
    } else {
      x = (rng() % 16 == 0) ? static_cast<T>(rng()) : static_cast<T>(r % 8);
    }
  }
}

// Random reals in [-1, 1] (checked with RealTolerance).
template <typename T>
void FillReal(std::vector<T>& v, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  for (T& x : v) x = static_cast<T>(u(rng));
}

// Naive reference at element (i, m, n): exact for the exact inputs (double
// accumulator for float, wrapping unsigned for integers) and also returns
// sum |a*b| for the tolerance.
template <typename T>
T ReferenceElement(const StridedGemm& g, const T* a, const T* b, int64_t i, int64_t m, int64_t n,
                   double* abs_sum) {
  if constexpr (std::is_floating_point_v<T>) {
    long double acc = 0, mag = 0;
    for (int64_t k = 0; k < g.k; ++k) {
      const long double p =
          static_cast<long double>(a[i * g.a_item_stride + m * g.a_m_stride + k * g.a_k_stride]) *
          b[i * g.b_item_stride + k * g.b_k_stride + g.b_column_offset(n)];
      acc += p;
      mag += std::fabs(p);
    }
    if (abs_sum != nullptr) *abs_sum = static_cast<double>(mag);
    return static_cast<T>(acc);
  } else {
    using U = std::make_unsigned_t<T>;
    U acc = 0;
    for (int64_t k = 0; k < g.k; ++k) {
      acc = static_cast<U>(
          acc + static_cast<U>(a[i * g.a_item_stride + m * g.a_m_stride + k * g.a_k_stride]) *
                    static_cast<U>(b[i * g.b_item_stride + k * g.b_k_stride + g.b_column_offset(n)]));
    }
    if (abs_sum != nullptr) *abs_sum = 0;
    return static_cast<T>(acc);
  }
}

// The one tolerance rule for random real inputs: any summation order of K
// products with fused or unfused multiply-adds has |err| <= K * eps * sum|a*b|
// (first-order bound, eps = unit roundoff 2^-24 / 2^-53); we allow 2x that.
template <typename T>
double RealTolerance(int64_t k, double abs_sum) {
  const double eps = std::numeric_limits<T>::epsilon() / 2;
  return 2.0 * static_cast<double>(k) * eps * abs_sum + std::numeric_limits<T>::denorm_min();
}

template <typename T>
bool BitEqual(T x, T y) {
  return std::memcmp(&x, &y, sizeof(T)) == 0;
}

// Runs `body(table, name)` once per SIMD target this CPU can execute, printing
// each as "[<tag>] target <name>"; stops after a target with a fatal failure.
template <typename Body>
void ForEachTarget(const char* tag, Body body) {
  const std::vector<std::string> targets = RunnableTargets();
  ASSERT_FALSE(targets.empty());
  for (const std::string& name : targets) {
    KernelTable table;
    ASSERT_TRUE(KernelTableFor(name, table)) << name;
    EXPECT_EQ(table.target_name, name);
    std::printf("[%s] target %s\n", tag, name.c_str());
    body(table, name);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

}  // namespace batchdot::kernels::testing
