// CPU features the hand-written (non-Highway) kernels need, read once per
// process with CPUID: the one cache of CPU facts besides Highway's own.
#pragma once

namespace batchdot::kernels {

// AVX2 and F16C with the OS saving YMM state (CPUID.1:ECX[27,28,29], XCR0 bits
// 1-2, CPUID.7:EBX[5]): the float16 conversions' vcvtph2ps / vcvtps2ph.
bool CpuHasAvx2F16c();

// CPUID.(EAX=7,ECX=1):EAX[5] (AVX512_BF16) with AVX-512 F/BW/VL, and the OS
// saving opmask and ZMM state (XCR0 bits 1, 2, 5, 6, 7).
bool CpuHasAvx512Bf16();

}  // namespace batchdot::kernels
