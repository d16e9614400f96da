// float16 and bfloat16 as 16-bit storage: conversions to and from float32 with
// round-to-nearest-even (GCC 12 has no __bf16, and _Float16 is not portable).
#pragma once

#include <bit>
#include <cstdint>

namespace batchdot {

inline float FloatFromBFloat16(uint16_t bits) { return std::bit_cast<float>(uint32_t{bits} << 16); }

inline uint16_t BFloat16FromFloat(float value) {
  uint32_t bits = std::bit_cast<uint32_t>(value);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40);  // quiet NaN
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

inline float FloatFromHalf(uint16_t h) {
  const uint32_t sign = uint32_t{h & 0x8000u} << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  const uint32_t mantissa = h & 0x3ffu;
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24, exact in float.
    const float magnitude = static_cast<float>(mantissa) * 0x1p-24f;
    return sign ? -magnitude : magnitude;
  }
  if (exponent == 31) return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
  return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

inline uint16_t HalfFromFloat(float value) {
  const uint32_t bits = std::bit_cast<uint32_t>(value);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  const uint32_t magnitude = bits & 0x7fffffffu;
  if (magnitude > 0x7f800000u) return sign | 0x7e00u;        // NaN
  if (magnitude >= 0x477ff000u) return sign | 0x7c00u;       // rounds to infinity (>= 65520)
  if (magnitude < 0x38800000u) {
    // Subnormal half (or zero): round magnitude / 2^-24 to an integer, ties to even.
    const float scaled = std::bit_cast<float>(magnitude) * 0x1p24f;
    const float rounded = __builtin_nearbyintf(scaled);  // default rounding mode: nearest-even
    return sign | static_cast<uint16_t>(rounded);
  }
  // Normal: rebias the exponent, then round the 13 dropped mantissa bits to nearest-even.
  uint32_t h = magnitude - (uint32_t{112} << 23);
  h += 0xfffu + ((h >> 13) & 1u);
  return sign | static_cast<uint16_t>(h >> 13);
}

}  // namespace batchdot
