// float16 / bfloat16 kernel families (src/kernels/half_via_float.hpp,
// bf16_dot_gemm.cpp) against a float64 oracle, on every compiled target, with
// the bf16 dot-product GEMM and without it, over sizes around tile edges, every
// operand layout (transposed, step-2, negative, misaligned) and split ranges,
// which must give the same bits as the whole range.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "core/half.hpp"
#include "kernel_test_util.hpp"
#include "kernels/bf16_dot_gemm.hpp"
#include "kernels/half_convert.hpp"
#include "kernels/kernel_table.hpp"
#include "plan/plan.hpp"

namespace batchdot::kernels {
namespace {

using testing::Layout;
using testing::MakeOperand;
using testing::Operand;

struct HalfKernel {
  std::string name;
  bool bf16;
  GemmKernel<uint16_t> fn;
  KernelPath path;  // which shapes it accepts
};

float Widen(bool bf16, uint16_t v) { return bf16 ? FloatFromBFloat16(v) : FloatFromHalf(v); }
uint16_t Narrow(bool bf16, float v) { return bf16 ? BFloat16FromFloat(v) : HalfFromFloat(v); }

std::vector<HalfKernel> KernelsOf(const KernelTable& t, const std::string& target) {
  std::vector<HalfKernel> v;
  for (bool bf16 : {false, true}) {
    const FamilyKernels<uint16_t>& f = bf16 ? t.bf16 : t.f16;
    const std::string p = target + (bf16 ? " bf16 " : " f16 ");
    v.push_back({p + "generic", bf16, f.generic, KernelPath::kGeneric});
    v.push_back({p + "dot", bf16, f.dot, KernelPath::kDot});
    v.push_back({p + "gemv", bf16, f.gemv, KernelPath::kGemv});
    v.push_back({p + "small", bf16, f.small, KernelPath::kSmall});
    v.push_back({p + "gemm", bf16, f.gemm, KernelPath::kGemm});
  }
  return v;
}

// Every half kernel this machine can run: each target's portable families, and
// the AVX-512 BF16 GEMM when the CPU has it.
std::vector<HalfKernel> AllHalfKernels() {
  std::vector<HalfKernel> all;
  for (const std::string& name : RunnableTargets()) {
    KernelTable t;
    EXPECT_TRUE(KernelTableFor(name, t));
    for (HalfKernel& k : KernelsOf(t, name)) all.push_back(k);
  }
  if (CpuHasAvx512Bf16()) all.push_back({"avx512bf16 gemm", true, &Bf16DotGemm, KernelPath::kGemm});
  std::printf("[half_kernels_test] %zu kernels, avx512bf16: %s\n", all.size(), CpuHasAvx512Bf16() ? "yes" : "no");
  return all;
}

struct Shape {
  int64_t count, m, n, k;
};

Shape ShapeFor(KernelPath p, std::mt19937_64& rng) {
  constexpr int64_t kEdges[] = {1, 2, 3, 4, 5, 7, 8, 11, 12, 13, 15, 16, 17, 31, 32, 33, 47, 48, 49, 63, 64, 65};
  auto edge = [&](int64_t cap) {
    int64_t v;
    do v = kEdges[rng() % std::size(kEdges)]; while (v > cap);
    return v;
  };
  const int64_t count = 1 + static_cast<int64_t>(rng() % 3);
  switch (p) {
    case KernelPath::kDot: return {count, 1, 1, edge(65) * (1 + static_cast<int64_t>(rng() % 3))};
    case KernelPath::kGemv: return {count, edge(65), 1, edge(65)};
    case KernelPath::kSmall: return {count, edge(65), edge(kSmallMax), edge(kSmallMax)};
    default: return {count, edge(65), edge(65), edge(65) + (rng() % 4 == 0 ? 200 : 0)};
  }
}

// Runs kernel on (a, b) into a fresh C of `c_layout` for range r; returns C.
Operand<uint16_t> RunOn(const HalfKernel& hk, const StridedGemm& base, Operand<uint16_t>& a, Operand<uint16_t>& b,
                        Layout c_layout, const std::vector<GemmRange>& ranges, StridedGemm* used) {
  Operand<uint16_t> c = MakeOperand<uint16_t>(base.count, base.m, base.n, c_layout);
  for (uint16_t& v : c.storage) v = 0x7fc1;  // NaN: any element left unwritten shows
  StridedGemm g = base;
  g.a_item_stride = a.item_stride, g.a_m_stride = a.row_stride, g.a_k_stride = a.col_stride;
  g.b_item_stride = b.item_stride, g.b_k_stride = b.row_stride, g.b_n_stride = b.col_stride;
  g.c_item_stride = c.item_stride, g.c_m_stride = c.row_stride, g.c_n_stride = c.col_stride;
  Workspace ws;
  for (const GemmRange& r : ranges) hk.fn(g, r, a.ptr(), b.ptr(), c.ptr(), ws);
  *used = g;
  return c;
}

// Cuts [0, size) at two random points.
std::vector<std::pair<int64_t, int64_t>> Cuts(int64_t size, std::mt19937_64& rng) {
  int64_t x = static_cast<int64_t>(rng() % (size + 1)), y = static_cast<int64_t>(rng() % (size + 1));
  if (x > y) std::swap(x, y);
  return {{0, x}, {x, y}, {y, size}};
}

void CheckKernel(const HalfKernel& hk, std::mt19937_64& rng, int cases) {
  constexpr Layout kIn[] = {Layout::kRowMajor, Layout::kColMajor, Layout::kStep2, Layout::kNegative,
                            Layout::kMisaligned};
  constexpr Layout kOut[] = {Layout::kRowMajor, Layout::kColMajor, Layout::kStep2, Layout::kNegative,
                             Layout::kMisaligned};
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (int t = 0; t < cases; ++t) {
    const Shape s = ShapeFor(hk.path, rng);
    const Layout la = kIn[rng() % 5], lb = kIn[rng() % 5], lc = kOut[rng() % 5];
    Operand<uint16_t> a = MakeOperand<uint16_t>(s.count, s.m, s.k, la);
    Operand<uint16_t> b = MakeOperand<uint16_t>(s.count, s.k, s.n, lb);
    for (uint16_t& v : a.storage) v = Narrow(hk.bf16, u(rng));
    for (uint16_t& v : b.storage) v = Narrow(hk.bf16, u(rng));
    StridedGemm base;
    base.count = s.count, base.m = s.m, base.n = s.n, base.k = s.k;
    StridedGemm g;
    const Operand<uint16_t> whole =
        RunOn(hk, base, a, b, lc, {GemmRange{0, s.count, 0, s.m, 0, s.n}}, &g);
    const std::string what = hk.name + " count=" + std::to_string(s.count) + " m=" + std::to_string(s.m) +
                             " n=" + std::to_string(s.n) + " k=" + std::to_string(s.k) + " A " +
                             testing::LayoutName(la) + " B " + testing::LayoutName(lb) + " C " +
                             testing::LayoutName(lc);
    // float64 oracle; float32 accumulation (2 K eps32 sum|ab|, plus flushed
    // denormal terms) then one rounding (half an ulp of the 16-bit type).
    const double ulp = hk.bf16 ? 0x1p-8 : 0x1p-11;
    for (int64_t i = 0; i < s.count; ++i) {
      for (int64_t m = 0; m < s.m; ++m) {
        for (int64_t n = 0; n < s.n; ++n) {
          double exact = 0, mag = 0;
          for (int64_t k = 0; k < s.k; ++k) {
            const double p = static_cast<double>(Widen(hk.bf16, a.storage[a.Index(i, m, k)])) *
                             Widen(hk.bf16, b.storage[b.Index(i, k, n)]);
            exact += p;
            mag += std::fabs(p);
          }
          const double got = Widen(hk.bf16, whole.storage[whole.Index(i, m, n)]);
          const double f32_err = 2.0 * static_cast<double>(s.k) * 0x1p-24 * mag + s.k * 0x1p-126;
          const double tol = f32_err + (std::fabs(exact) + f32_err) * ulp + 0x1p-24;
          ASSERT_LE(std::fabs(got - exact), tol) << what << " at (" << i << "," << m << "," << n << ")";
        }
      }
    }
    // Split ranges (as threads would get them) give the same bits.
    std::vector<GemmRange> split;
    const int axis = static_cast<int>(rng() % 3);
    const auto cuts = Cuts(axis == 0 ? s.count : axis == 1 ? s.m : s.n, rng);
    for (const auto& [lo, hi] : cuts) {
      GemmRange r{0, s.count, 0, s.m, 0, s.n};
      (axis == 0 ? r.item_begin : axis == 1 ? r.m_begin : r.n_begin) = lo;
      (axis == 0 ? r.item_end : axis == 1 ? r.m_end : r.n_end) = hi;
      split.push_back(r);
    }
    const Operand<uint16_t> parts = RunOn(hk, base, a, b, lc, split, &g);
    ASSERT_EQ(parts.storage, whole.storage) << what << " split on axis " << axis;
  }
}

uint64_t Seed() {
  const int seed = ::testing::UnitTest::GetInstance()->random_seed();
  return seed == 0 ? 4242u : static_cast<uint64_t>(seed);
}

TEST(HalfKernels, EveryFamilyAgainstFloat64Oracle) {
  std::mt19937_64 rng(Seed());
  const std::vector<HalfKernel> all = AllHalfKernels();
  ASSERT_GE(all.size(), 10u);
  for (const HalfKernel& hk : all) {
    ASSERT_NE(hk.fn, nullptr) << hk.name;
    CheckKernel(hk, rng, hk.path == KernelPath::kGemm ? 40 : 25);
    if (HasFatalFailure()) return;
  }
}

TEST(HalfKernels, ZeroLengthContractionWritesZeros) {
  for (const HalfKernel& hk : AllHalfKernels()) {
    if (hk.path == KernelPath::kDot || hk.path == KernelPath::kGemv) continue;
    StridedGemm g;
    g.count = 2, g.m = 3, g.n = 4, g.k = 0;
    g.c_item_stride = 12, g.c_m_stride = 4, g.c_n_stride = 1;
    std::vector<uint16_t> c(24, 0x7fc1);
    Workspace ws;
    hk.fn(g, GemmRange{0, 2, 0, 3, 0, 4}, nullptr, nullptr, c.data(), ws);
    for (uint16_t v : c) ASSERT_EQ(Widen(hk.bf16, v), 0.0f) << hk.name;
  }
}

TEST(HalfKernels, Bf16DotGemmMatchesWithNoBf16Tolerance) {
  // The two bf16 GEMMs (dot products, float32 conversion) differ only in
  // rounding order: on a 512 x 64 x 512 product both stay within tolerance.
  if (!CpuHasAvx512Bf16()) GTEST_SKIP() << "CPU has no AVX-512 BF16 (the portable path is tested above)";
  std::mt19937_64 rng(Seed());
  HalfKernel hk{"avx512bf16 gemm large", true, &Bf16DotGemm, KernelPath::kGemm};
  StridedGemm base;
  base.count = 1, base.m = 130, base.n = 520, base.k = 1031;
  Operand<uint16_t> a = MakeOperand<uint16_t>(1, base.m, base.k, Layout::kRowMajor);
  Operand<uint16_t> b = MakeOperand<uint16_t>(1, base.k, base.n, Layout::kRowMajor);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (uint16_t& v : a.storage) v = BFloat16FromFloat(u(rng));
  for (uint16_t& v : b.storage) v = BFloat16FromFloat(u(rng));
  StridedGemm g;
  const Operand<uint16_t> c = RunOn(hk, base, a, b, Layout::kRowMajor, {GemmRange{0, 1, 0, base.m, 0, base.n}}, &g);
  double worst = 0;
  for (int64_t m = 0; m < base.m; ++m) {
    for (int64_t n = 0; n < base.n; ++n) {
      double exact = 0, mag = 0;
      for (int64_t k = 0; k < base.k; ++k) {
        const double p = static_cast<double>(FloatFromBFloat16(a.storage[a.Index(0, m, k)])) *
                         FloatFromBFloat16(b.storage[b.Index(0, k, n)]);
        exact += p;
        mag += std::fabs(p);
      }
      const double err = std::fabs(FloatFromBFloat16(c.storage[c.Index(0, m, n)]) - exact);
      worst = std::max(worst, err / (mag * 0x1p-24 * base.k + std::fabs(exact) * 0x1p-8));
    }
  }
  std::printf("[half_kernels_test] worst error / bound = %.3f\n", worst);
  EXPECT_LE(worst, 1.0);
}

TEST(HalfConvert, RowsMatchScalarConversions) {
  std::mt19937_64 rng(Seed());
  std::vector<float> f(1000);
  std::vector<uint16_t> h(1000), out(1000);
  std::vector<float> back(1000);
  for (size_t i = 0; i < f.size(); ++i) {
    const uint32_t bits = static_cast<uint32_t>(rng());
    float v;
    std::memcpy(&v, &bits, 4);
    f[i] = i % 3 == 0 ? v : std::ldexp(static_cast<float>(static_cast<int>(rng() % 20001) - 10000), -(int)(rng() % 40));
  }
  NarrowToHalfRow(f.data(), 1000, out.data(), 1);
  for (size_t i = 0; i < f.size(); ++i) {
    if (std::isnan(f[i])) { EXPECT_EQ(out[i] & 0x7c00u, 0x7c00u); continue; }
    ASSERT_EQ(out[i], HalfFromFloat(f[i])) << f[i];
  }
  NarrowToBFloat16Row(f.data(), 1000, out.data(), 1);
  for (size_t i = 0; i < f.size(); ++i) {
    if (!std::isnan(f[i])) {
      ASSERT_EQ(out[i], BFloat16FromFloat(f[i])) << f[i];
    }
  }
  for (size_t i = 0; i < h.size(); ++i) h[i] = static_cast<uint16_t>(rng());
  WidenHalfRow(h.data(), 1, 1000, back.data());
  for (size_t i = 0; i < h.size(); ++i) {
    const float want = FloatFromHalf(h[i]);
    if (!std::isnan(want)) {
      ASSERT_EQ(back[i], want) << h[i];
    }
  }
  WidenBFloat16Row(h.data(), 3, 333, back.data());
  for (size_t i = 0; i < 333; ++i) {
    const float want = FloatFromBFloat16(h[3 * i]);
    if (!std::isnan(want)) {
      ASSERT_EQ(back[i], want);
    }
  }
}

}  // namespace
}  // namespace batchdot::kernels
