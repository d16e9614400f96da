// Strided operands for the fuzzers: a buffer with guard space, small-integer
// values (every sum is exact in every dtype, so results compare bitwise), and
// element access through a view's strides.
#pragma once

#include <complex>
#include <cstdint>
#include <cstring>
#include <vector>

#include "batchdot/batchdot.hpp"
#include "core/half.hpp"

namespace batchdot::fuzz {

// Stores the integer `value` as one element of `dtype` at `p`.
inline void StoreInteger(DType dtype, void* p, int value) {
  switch (dtype) {
    case DType::kFloat32: *static_cast<float*>(p) = static_cast<float>(value); break;
    case DType::kFloat64: *static_cast<double*>(p) = value; break;
    case DType::kInt32: *static_cast<int32_t*>(p) = value; break;
    case DType::kInt64: *static_cast<int64_t*>(p) = value; break;
    case DType::kFloat16: *static_cast<uint16_t*>(p) = HalfFromFloat(static_cast<float>(value)); break;
    case DType::kBFloat16: *static_cast<uint16_t*>(p) = BFloat16FromFloat(static_cast<float>(value)); break;
    case DType::kComplex64: *static_cast<std::complex<float>*>(p) = {float(value), float(-value)}; break;
    case DType::kComplex128: *static_cast<std::complex<double>*>(p) = {double(value), 1.0}; break;
  }
}

// Byte offset range [low, high] (in elements) a view of `shape`/`strides` reaches.
inline void Reach(const std::vector<int64_t>& shape, const std::vector<int64_t>& strides, int64_t& low,
                  int64_t& high) {
  low = high = 0;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 0) continue;
    const int64_t span = (shape[i] - 1) * strides[i];
    (span < 0 ? low : high) += span;
  }
}

// One strided operand: `storage` holds the elements, `base` is element 0's index.
struct StridedBuffer {
  DType dtype = DType::kFloat32;
  std::vector<int64_t> shape, strides;
  std::vector<unsigned char> storage;
  int64_t base = 0;  // in elements

  void* data() { return storage.data() + base * SizeOf(dtype); }
  const void* data() const { return storage.data() + base * SizeOf(dtype); }
  TensorView view() const { return {data(), dtype, shape, strides}; }
  MutableTensorView mutable_view() { return {data(), dtype, shape, strides}; }
  int64_t count() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
  // Offset (in elements, from base) of the element with linear C-order index `i`.
  int64_t OffsetOf(int64_t i) const {
    int64_t offset = 0;
    for (size_t a = shape.size(); a-- > 0;) {
      offset += (i % shape[a]) * strides[a];
      i /= shape[a];
    }
    return offset;
  }
};

// Allocates `shape` with these element strides plus `guard` spare elements on each side.
inline StridedBuffer Allocate(DType dtype, std::vector<int64_t> shape, std::vector<int64_t> strides,
                              int64_t guard = 3) {
  StridedBuffer b;
  b.dtype = dtype;
  b.shape = std::move(shape);
  b.strides = std::move(strides);
  int64_t low, high;
  Reach(b.shape, b.strides, low, high);
  b.base = guard - low;
  b.storage.assign(static_cast<size_t>(high - low + 1 + 2 * guard) * SizeOf(dtype), 0);
  return b;
}

// Small integers in [-3, 3] from a simple generator seeded by the fuzz input.
inline void FillSmallIntegers(StridedBuffer& b, uint32_t seed) {
  const size_t item = SizeOf(b.dtype);
  const int64_t n = b.count();
  for (int64_t i = 0; i < n; ++i) {
    seed = seed * 1664525u + 1013904223u;
    StoreInteger(b.dtype, static_cast<unsigned char*>(b.data()) + b.OffsetOf(i) * static_cast<int64_t>(item),
                 static_cast<int>(seed >> 29) - 3);
  }
  (void)item;
}

// True when the elements of `a` and `b` (same shape and dtype) are bitwise equal.
inline bool BitwiseEqual(const StridedBuffer& a, const StridedBuffer& b) {
  const int64_t item = static_cast<int64_t>(SizeOf(a.dtype));
  const int64_t n = a.count();
  for (int64_t i = 0; i < n; ++i) {
    const auto* pa = static_cast<const unsigned char*>(a.data()) + a.OffsetOf(i) * item;
    const auto* pb = static_cast<const unsigned char*>(b.data()) + b.OffsetOf(i) * item;
    if (std::memcmp(pa, pb, static_cast<size_t>(item)) != 0) return false;
  }
  return true;
}

}  // namespace batchdot::fuzz
