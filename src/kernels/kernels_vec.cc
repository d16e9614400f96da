// The memory-bound families (batched dot, batched gemv) and the float generic
// kernel, compiled once per SIMD target (their own translation unit so that
// edits rebuild only this file). kernels.cc calls FillVectorKernels of the
// chosen target.
#include "kernels/kernel_targets.h"
#include "kernels/kernel_table.hpp"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/kernels_vec.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/batched_dot-inl.h"
#include "kernels/batched_gemv-inl.h"
#include "kernels/kernel_common-inl.h"
#include "kernels/half_via_float.hpp"

HWY_BEFORE_NAMESPACE();
namespace batchdot::kernels {
namespace HWY_NAMESPACE {

void FillVectorKernels(KernelTable* t) {
  t->f32.generic = &GenericChainGemm<float>;
  t->f32.dot = &BatchedDot<float>;
  t->f32.gemv = &BatchedGemv<float>;
  t->f64.generic = &GenericChainGemm<double>;
  t->f64.dot = &BatchedDot<double>;
  t->f64.gemv = &BatchedGemv<double>;
  t->f16.generic = &HalfViaFloat<false, &GenericChainGemm<float>>;
  t->f16.dot = &HalfViaFloat<false, &BatchedDot<float>>;
  t->f16.gemv = &HalfViaFloat<false, &BatchedGemv<float>>;
  t->bf16.generic = &HalfViaFloat<true, &GenericChainGemm<float>>;
  t->bf16.dot = &HalfViaFloat<true, &BatchedDot<float>>;
  t->bf16.gemv = &HalfViaFloat<true, &BatchedGemv<float>>;
}

}  // namespace HWY_NAMESPACE
}  // namespace batchdot::kernels
HWY_AFTER_NAMESPACE();
