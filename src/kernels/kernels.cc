// Builds the kernel table: every family is compiled once per SIMD target
// (AVX3/AVX2/SSE4/SCALAR) in its own translation unit (kernels_gemm.cc,
// kernels_small.cc, kernels_vec.cc); this file picks one target per process at
// first use and asks that target's families to fill the table.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/kernel_targets.h"
#include "kernels/bf16_dot_gemm.hpp"
#include "kernels/generic_kernels.hpp"
#include "kernels/kernel_table.hpp"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/kernels.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace batchdot::kernels {
namespace HWY_NAMESPACE {

// Defined per target in kernels_vec.cc, kernels_small.cc and kernels_gemm.cc.
void FillVectorKernels(KernelTable* t);
void FillSmallKernels(KernelTable* t);
void FillGemmKernels(KernelTable* t);

// One call per process (or per test target): the function pointers of this target.
void FillKernelTable(KernelTable* t) {
  t->target_name = hwy::TargetName(HWY_TARGET);
  FillVectorKernels(t);
  FillSmallKernels(t);
  FillGemmKernels(t);
  // Integer kernels are portable C++ (wrapping arithmetic is order-independent).
  t->i32.generic = &GenericStridedGemm<int32_t>;
  t->i32.dot = t->i32.gemv = &IntBatchedDot<int32_t>;
  t->i32.small = t->i32.gemm = &IntBatchedGemm<int32_t>;
  t->i64.generic = &GenericStridedGemm<int64_t>;
  t->i64.dot = t->i64.gemv = &IntBatchedDot<int64_t>;
  t->i64.small = t->i64.gemm = &IntBatchedGemm<int64_t>;
}

}  // namespace HWY_NAMESPACE
}  // namespace batchdot::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace batchdot::kernels {

HWY_EXPORT(FillKernelTable);

namespace {

using FillFn = void (*)(KernelTable*);
struct TargetEntry {
  int64_t bit;
  FillFn fill;
};

// Compiled targets, best first, called statically so tests can run each one
// without mutating Highway's process-wide chosen target.
std::vector<TargetEntry> CompiledEntries() {
  std::vector<TargetEntry> v;
#if HWY_TARGETS & HWY_AVX3
  v.push_back({HWY_AVX3, &N_AVX3::FillKernelTable});
#endif
#if HWY_TARGETS & HWY_AVX2
  v.push_back({HWY_AVX2, &N_AVX2::FillKernelTable});
#endif
#if HWY_TARGETS & HWY_SSE4
  v.push_back({HWY_SSE4, &N_SSE4::FillKernelTable});
#endif
#if HWY_TARGETS & HWY_SCALAR
  v.push_back({HWY_SCALAR, &N_SCALAR::FillKernelTable});
#endif
#if HWY_TARGETS & HWY_EMU128
  v.push_back({HWY_EMU128, &N_EMU128::FillKernelTable});
#endif
  return v;
}

// CPU target bits (Highway's; batchdot never changes them).
int64_t CpuTargets() {
  static const int64_t bits = hwy::SupportedTargets();
  return bits;
}

bool SameName(std::string_view x, std::string_view y) {
  if (x.size() != y.size()) return false;
  for (size_t i = 0; i < x.size(); ++i) {
    const char cx = (x[i] >= 'a' && x[i] <= 'z') ? char(x[i] - 32) : x[i];
    const char cy = (y[i] >= 'a' && y[i] <= 'z') ? char(y[i] - 32) : y[i];
    if (cx != cy) return false;
  }
  return true;
}

// The entry BATCHDOT_TARGET names, or the best runnable one at or below it when
// the CPU lacks it; nullptr for "no request" and for an unknown name.
const TargetEntry* RequestedEntry(const std::vector<TargetEntry>& entries, const char* want) {
  if (want == nullptr || *want == '\0') return nullptr;
  const int64_t supported = CpuTargets();
  bool found = false;
  for (const TargetEntry& e : entries) {
    found = found || SameName(hwy::TargetName(e.bit), want);
    if (found && ((supported & e.bit) != 0 || e.bit == HWY_SCALAR || e.bit == HWY_EMU128)) return &e;
  }
  if (!found) {
    std::fprintf(stderr, "batchdot: ignoring unknown BATCHDOT_TARGET=%s (compiled: %s)\n", want,
                 CompiledTargets().c_str());
  }
  return nullptr;
}

KernelTable MakeProcessTable() {
  // BATCHDOT_TARGET picks which of batchdot's own tables fills this one; it never
  // calls hwy::DisableTargets, which would downgrade every other Highway user
  // sharing the process's libhwy. Unknown names are ignored rather than aborting.
  const std::vector<TargetEntry> entries = CompiledEntries();
  KernelTable t;
  if (const TargetEntry* e = RequestedEntry(entries, std::getenv("BATCHDOT_TARGET"))) {
    e->fill(&t);
  } else {
    HWY_DYNAMIC_DISPATCH(FillKernelTable)(&t);
  }
  // bfloat16 dot products are not a Highway target: a CPUID check picks them.
  if (CpuHasAvx512Bf16() && Bf16DotProductsEnabled()) t.bf16.gemm = &Bf16DotGemm;
  const char* debug = std::getenv("BATCHDOT_DEBUG");
  if (debug != nullptr && *debug != '\0' && *debug != '0') {
    std::fprintf(stderr, "batchdot: kernel target %s (compiled: %s)\n", t.target_name.c_str(),
                 CompiledTargets().c_str());
  }
  return t;
}

}  // namespace

const KernelTable& Kernels() {
  static const KernelTable table = MakeProcessTable();
  return table;
}

std::string CompiledTargets() {
  std::string s;
  for (const TargetEntry& e : CompiledEntries()) {
    if (!s.empty()) s += ' ';
    s += hwy::TargetName(e.bit);
  }
  return s;
}

std::vector<std::string> RunnableTargets() {
  std::vector<std::string> v;
  const int64_t supported = CpuTargets();
  for (const TargetEntry& e : CompiledEntries()) {
    if ((supported & e.bit) != 0 || e.bit == HWY_SCALAR || e.bit == HWY_EMU128) {
      v.push_back(hwy::TargetName(e.bit));
    }
  }
  return v;
}

bool KernelTableFor(std::string_view target_name, KernelTable& out) {
  for (const std::string& name : RunnableTargets()) {
    if (!SameName(name, target_name)) continue;
    for (const TargetEntry& e : CompiledEntries()) {
      if (name == hwy::TargetName(e.bit)) {
        e.fill(&out);
        return true;
      }
    }
  }
  return false;
}

}  // namespace batchdot::kernels
#endif  // HWY_ONCE
