// float16 / bfloat16 <-> float32 rows. Bound: memory (a few cycles per 8-16 elements).
// Unit-stride float16 rows use F16C (vcvtph2ps / vcvtps2ph, round-to-nearest-even,
// subnormals kept), which gives the same bits as core/half.hpp's scalar code.
#include "kernels/half_convert.hpp"

#include <bit>

#include "core/half.hpp"
#include "kernels/cpu_features.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#define BATCHDOT_HAVE_F16C_PATH 1
#endif

namespace batchdot::kernels {
namespace {

#ifdef BATCHDOT_HAVE_F16C_PATH
__attribute__((target("avx2,f16c"))) void WidenHalfF16c(const uint16_t* src, int64_t n, float* dst) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i))));
  }
  for (; i < n; ++i) dst[i] = FloatFromHalf(src[i]);
}

__attribute__((target("avx2,f16c"))) void NarrowHalfF16c(const float* src, int64_t n, uint16_t* dst) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), h);
  }
  for (; i < n; ++i) dst[i] = HalfFromFloat(src[i]);
}
#endif

// Branch-free so the compiler vectorises it; same bits as BFloat16FromFloat.
inline uint16_t RoundToBFloat16(float value) {
  const uint32_t bits = std::bit_cast<uint32_t>(value);
  const uint32_t rounded = (bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16;
  const uint32_t quiet_nan = (bits >> 16) | 0x40u;
  return static_cast<uint16_t>((bits & 0x7fffffffu) > 0x7f800000u ? quiet_nan : rounded);
}

#ifdef BATCHDOT_HAVE_F16C_PATH
// The same loops compiled for AVX2, so they vectorise 8 wide.
__attribute__((target("avx2"))) void WidenBFloat16Avx2(const uint16_t* src, int64_t n, float* dst) {
  for (int64_t i = 0; i < n; ++i) dst[i] = std::bit_cast<float>(uint32_t{src[i]} << 16);
}

__attribute__((target("avx2"))) void NarrowBFloat16Avx2(const float* src, int64_t n, uint16_t* dst) {
  for (int64_t i = 0; i < n; ++i) dst[i] = RoundToBFloat16(src[i]);
}
#endif

}  // namespace

void WidenHalfRow(const uint16_t* src, int64_t stride, int64_t n, float* dst) {
#ifdef BATCHDOT_HAVE_F16C_PATH
  if (stride == 1 && CpuHasAvx2F16c()) return WidenHalfF16c(src, n, dst);
#endif
  for (int64_t i = 0; i < n; ++i) dst[i] = FloatFromHalf(src[i * stride]);
}

void WidenBFloat16Row(const uint16_t* src, int64_t stride, int64_t n, float* dst) {
  if (stride == 1) {
#ifdef BATCHDOT_HAVE_F16C_PATH
    if (CpuHasAvx2F16c()) return WidenBFloat16Avx2(src, n, dst);
#endif
    for (int64_t i = 0; i < n; ++i) dst[i] = std::bit_cast<float>(uint32_t{src[i]} << 16);
    return;
  }
  for (int64_t i = 0; i < n; ++i) dst[i] = std::bit_cast<float>(uint32_t{src[i * stride]} << 16);
}

void NarrowToHalfRow(const float* src, int64_t n, uint16_t* dst, int64_t stride) {
#ifdef BATCHDOT_HAVE_F16C_PATH
  if (stride == 1 && CpuHasAvx2F16c()) return NarrowHalfF16c(src, n, dst);
#endif
  for (int64_t i = 0; i < n; ++i) dst[i * stride] = HalfFromFloat(src[i]);
}

void NarrowToBFloat16Row(const float* src, int64_t n, uint16_t* dst, int64_t stride) {
  if (stride == 1) {
#ifdef BATCHDOT_HAVE_F16C_PATH
    if (CpuHasAvx2F16c()) return NarrowBFloat16Avx2(src, n, dst);
#endif
    for (int64_t i = 0; i < n; ++i) dst[i] = RoundToBFloat16(src[i]);
    return;
  }
  for (int64_t i = 0; i < n; ++i) dst[i * stride] = RoundToBFloat16(src[i]);
}

}  // namespace batchdot::kernels
