// The small-matrix family, compiled once per SIMD target (its own translation
// unit so that edits to it rebuild only this file). kernels.cc calls
// FillSmallKernels of the chosen target.
#include "kernels/kernel_targets.h"
#include "kernels/kernel_table.hpp"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/kernels_small.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/half_via_float.hpp"
#include "kernels/small_gemm-inl.h"
#include "kernels/small_long_k-inl.h"

HWY_BEFORE_NAMESPACE();
namespace batchdot::kernels {
namespace HWY_NAMESPACE {

void FillSmallKernels(KernelTable* t) {
  t->f32.small = &SmallFamily<float>;
  t->f64.small = &SmallFamily<double>;
  t->f16.small = &HalfViaFloat<false, &SmallFamily<float>>;
  t->bf16.small = &HalfViaFloat<true, &SmallFamily<float>>;
}

}  // namespace HWY_NAMESPACE
}  // namespace batchdot::kernels
HWY_AFTER_NAMESPACE();
