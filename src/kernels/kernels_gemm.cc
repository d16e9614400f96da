// The packed GEMM family, compiled once per SIMD target (its own translation
// unit so that edits to it rebuild only this file). kernels.cc calls
// FillGemmKernels of the chosen target.
#include "kernels/kernel_targets.h"
#include "kernels/kernel_table.hpp"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/kernels_gemm.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/half_via_float.hpp"
#include "kernels/packed_gemm-inl.h"

HWY_BEFORE_NAMESPACE();
namespace batchdot::kernels {
namespace HWY_NAMESPACE {

void FillGemmKernels(KernelTable* t) {
  t->f32.gemm = &PackedGemm<float>;
  t->f64.gemm = &PackedGemm<double>;
  t->f16.gemm = &HalfViaFloat<false, &PackedGemm<float>>;
  t->bf16.gemm = &HalfViaFloat<true, &PackedGemm<float>>;
}

}  // namespace HWY_NAMESPACE
}  // namespace batchdot::kernels
HWY_AFTER_NAMESPACE();
