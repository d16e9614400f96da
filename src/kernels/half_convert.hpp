// Row conversions between the 16-bit float types and float32 for the half
// families (widen inputs exactly, narrow results once with round-to-nearest-even).
// F16C when the CPU has it, portable C++ otherwise; both give the same bits.
#pragma once

#include <cstdint>

namespace batchdot::kernels {

// dst[i] = src[i * stride] widened exactly, for i in [0, n).
void WidenHalfRow(const uint16_t* src, int64_t stride, int64_t n, float* dst);
void WidenBFloat16Row(const uint16_t* src, int64_t stride, int64_t n, float* dst);
// dst[i * stride] = src[i] rounded to nearest-even, for i in [0, n).
void NarrowToHalfRow(const float* src, int64_t n, uint16_t* dst, int64_t stride);
void NarrowToBFloat16Row(const float* src, int64_t n, uint16_t* dst, int64_t stride);

template <bool kBFloat16>
inline void WidenRow(const uint16_t* src, int64_t stride, int64_t n, float* dst) {
  if constexpr (kBFloat16) {
    WidenBFloat16Row(src, stride, n, dst);
  } else {
    WidenHalfRow(src, stride, n, dst);
  }
}

template <bool kBFloat16>
inline void NarrowRow(const float* src, int64_t n, uint16_t* dst, int64_t stride) {
  if constexpr (kBFloat16) {
    NarrowToBFloat16Row(src, n, dst, stride);
  } else {
    NarrowToHalfRow(src, n, dst, stride);
  }
}

}  // namespace batchdot::kernels
