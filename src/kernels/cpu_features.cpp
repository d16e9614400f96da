#include "kernels/cpu_features.hpp"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace batchdot::kernels {
namespace {

#if defined(__x86_64__)
// XCR0 when the OS has enabled XSAVE (CPUID.1:ECX[27]), else 0.
unsigned SavedStateMask() {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid_count(1, 0, &eax, &ebx, &ecx, &edx) || (ecx & (1u << 27)) == 0) return 0;
  unsigned xcr0_lo, xcr0_hi;
  __asm__("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  return xcr0_lo;
}

bool DetectAvx2F16c() {
  unsigned eax, ebx, ecx, edx;
  if ((SavedStateMask() & 0x6u) != 0x6u) return false;  // SSE and AVX state
  if (!__get_cpuid_count(1, 0, &eax, &ebx, &ecx, &edx)) return false;
  const bool avx = ecx & (1u << 28), f16c = ecx & (1u << 29);
  if (!(avx && f16c) || !__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
  return (ebx & (1u << 5)) != 0;  // AVX2
}

bool DetectAvx512Bf16() {
  unsigned eax, ebx, ecx, edx;
  if ((SavedStateMask() & 0xe6u) != 0xe6u) return false;  // SSE, AVX, opmask, ZMM_Hi256, Hi16_ZMM state
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
  const bool f = ebx & (1u << 16), bw = ebx & (1u << 30), vl = ebx & (1u << 31);
  const unsigned max_subleaf = eax;
  if (!(f && bw && vl) || max_subleaf < 1) return false;
  __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx);
  return (eax & (1u << 5)) != 0;
}
#else
bool DetectAvx2F16c() { return false; }
bool DetectAvx512Bf16() { return false; }
#endif

}  // namespace

bool CpuHasAvx2F16c() {
  static const bool has = DetectAvx2F16c();
  return has;
}

bool CpuHasAvx512Bf16() {
  static const bool has = DetectAvx512Bf16();
  return has;
}

}  // namespace batchdot::kernels
