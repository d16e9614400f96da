// Shared test helpers: owning strided operands, exact-by-construction random
// fills, and replayable seeds.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <complex>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "batchdot/batchdot.hpp"
#include "core/half.hpp"

namespace batchdot::testing {

// An operand whose memory layout can be anything: a buffer plus a view whose
// strides may be transposed, stepped, negative or zero.
struct Operand {
  DType dtype = DType::kFloat32;
  std::vector<int64_t> shape, strides;
  std::vector<unsigned char> buffer;
  int64_t origin = 0;  // element offset of index (0, ..., 0) in buffer

  TensorView view() const {
    return {buffer.data() + origin * SizeOf(dtype), dtype, shape, strides};
  }
};

enum class Layout { kContiguous, kReversedAxes, kStepTwo, kNegative, kPermuted };

inline const char* LayoutName(Layout layout) {
  switch (layout) {
    case Layout::kContiguous: return "contiguous";
    case Layout::kReversedAxes: return "fortran";
    case Layout::kStepTwo: return "step2";
    case Layout::kNegative: return "negative";
    case Layout::kPermuted: return "permuted";
  }
  return "?";
}

// Lays out `shape` in memory as `layout` says, filled with small exact values:
// integers in [-4, 4] (or multiples of 1/64 for floats when `fractions`), so that
// with small contracted lengths every partial sum is exact in every dtype.
inline Operand MakeOperand(DType dtype, std::vector<int64_t> shape, Layout layout, std::mt19937_64& rng,
                           bool fractions = false) {
  Operand op;
  op.dtype = dtype;
  op.shape = shape;
  const size_t rank = shape.size();
  std::vector<size_t> order(rank);  // memory order, outermost first
  for (size_t i = 0; i < rank; ++i) order[i] = i;
  if (layout == Layout::kReversedAxes) std::reverse(order.begin(), order.end());
  if (layout == Layout::kPermuted) std::shuffle(order.begin(), order.end(), rng);
  const int64_t step = layout == Layout::kStepTwo ? 2 : 1;
  std::vector<int64_t> strides(rank);
  int64_t stride = step;
  for (size_t j = rank; j-- > 0;) {
    strides[order[j]] = stride;
    stride *= std::max<int64_t>(shape[order[j]], 1);
  }
  const int64_t span = std::max<int64_t>(stride, 1);
  op.buffer.assign(static_cast<size_t>(span) * SizeOf(dtype), 0);
  op.origin = 0;
  if (layout == Layout::kNegative) {
    // Every axis walks backwards from the end of the buffer.
    for (size_t i = 0; i < rank; ++i) {
      if (shape[i] > 0) op.origin += (shape[i] - 1) * strides[i];
      strides[i] = -strides[i];
    }
  }
  op.strides = strides;
  std::uniform_int_distribution<int> value(-4, 4);
  std::uniform_int_distribution<int> fraction(-256, 256);
  // Fill the whole buffer: padding holds garbage-looking values that must never be read.
  const int64_t elements = span;
  for (int64_t i = 0; i < elements; ++i) {
    const double v = fractions ? fraction(rng) / 64.0 : value(rng);
    unsigned char* p = op.buffer.data() + i * SizeOf(dtype);
    switch (dtype) {
      case DType::kFloat32: { const float f = static_cast<float>(v); std::memcpy(p, &f, 4); break; }
      case DType::kFloat64: std::memcpy(p, &v, 8); break;
      case DType::kInt32: { const int32_t n = static_cast<int32_t>(v); std::memcpy(p, &n, 4); break; }
      case DType::kInt64: { const int64_t n = static_cast<int64_t>(v); std::memcpy(p, &n, 8); break; }
      case DType::kFloat16: { const uint16_t h = HalfFromFloat(static_cast<float>(v)); std::memcpy(p, &h, 2); break; }
      case DType::kBFloat16: { const uint16_t h = BFloat16FromFloat(static_cast<float>(v)); std::memcpy(p, &h, 2); break; }
      case DType::kComplex64: {
        const std::complex<float> z(static_cast<float>(v), static_cast<float>(value(rng)));
        std::memcpy(p, &z, 8);
        break;
      }
      case DType::kComplex128: {
        const std::complex<double> z(v, value(rng));
        std::memcpy(p, &z, 16);
        break;
      }
    }
  }
  return op;
}

// A seed for this test run, printed so a failure can be replayed with
// --gtest_random_seed=N.
inline uint64_t TestSeed() {
  const int seed = ::testing::UnitTest::GetInstance()->random_seed();
  return seed == 0 ? 12345u : static_cast<uint64_t>(seed);
}

// `n` random cases, divided by $BATCHDOT_TEST_CASE_DIVISOR (at least 1 case):
// the sanitizer builds (`make sanitize`) run 10x fewer, since they look for
// memory errors and races, not for rare layouts (10-20x slower per case).
inline int ScaledCaseCount(int n) {
  const char* divisor = std::getenv("BATCHDOT_TEST_CASE_DIVISOR");
  const int d = divisor != nullptr ? std::atoi(divisor) : 1;
  return d > 1 ? (n + d - 1) / d : n;
}

// Bytes of every element of `t` in C order (for bitwise comparisons).
inline std::vector<unsigned char> Bytes(const Tensor& t) {
  const auto* p = static_cast<const unsigned char*>(t.data());
  return std::vector<unsigned char>(p, p + t.num_elements() * SizeOf(t.dtype()));
}

}  // namespace batchdot::testing
