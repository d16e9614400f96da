// The small family's long-K path (K in (32, 512] with n <= 48 or m <= 8) and its
// copied transposed-B tiles (k-contiguous B, g . y^T): bit-exact against the
// naive reference on exact inputs and bit-equal to the packed GEMM (the family
// these shapes ran on: one KC block, the same chain) on random reals, on every
// compiled target, every layout, range splits, float32 and float64.
// Replay a failure with BATCHDOT_TEST_SEED=<printed seed>.
#include <algorithm>
#include <cmath>
#include <type_traits>
#include <utility>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "batchdot/batchdot.hpp"
#include "kernel_test_util.hpp"
#include "kernels/kernel_table.hpp"
#include "plan/plan.hpp"

namespace batchdot::kernels {
namespace {

using testing::BitEqual;
using testing::ForEachTarget;
using testing::Layout;
using testing::LayoutName;
using testing::MakeOperand;
using testing::Operand;

uint64_t Seed() {
  static const uint64_t seed = [] {
    const char* s = std::getenv("BATCHDOT_TEST_SEED");
    const uint64_t v = (s != nullptr && *s != '\0') ? std::strtoull(s, nullptr, 0) : 20261202u;
    std::printf("[small_long_k_test] BATCHDOT_TEST_SEED=%llu\n", static_cast<unsigned long long>(v));
    return v;
  }();
  return seed;
}

struct Shape {
  int64_t count, m, n, k;
  Layout la, lb, lc;
};

std::string Describe(const Shape& s) {
  return "count=" + std::to_string(s.count) + " m=" + std::to_string(s.m) + " n=" + std::to_string(s.n) +
         " k=" + std::to_string(s.k) + " A=" + LayoutName(s.la) + " B=" + LayoutName(s.lb) + " C=" + LayoutName(s.lc);
}

template <typename T>
struct Problem {
  StridedGemm g;
  Operand<T> a, b, c;
  Problem(const Shape& s, bool exact, uint64_t seed) {
    a = MakeOperand<T>(s.count, s.m, s.k, s.la);
    b = MakeOperand<T>(s.count, s.k, s.n, s.lb);
    c = MakeOperand<T>(s.count, s.m, s.n, s.lc);
    std::mt19937_64 rng(seed);
    if (exact) {
      testing::FillExact(a.storage, rng);
      testing::FillExact(b.storage, rng);
    } else {
      testing::FillReal(a.storage, rng);
      testing::FillReal(b.storage, rng);
    }
    g.count = s.count, g.m = s.m, g.n = s.n, g.k = s.k;
    g.a_item_stride = a.item_stride, g.a_m_stride = a.row_stride, g.a_k_stride = a.col_stride;
    g.b_item_stride = b.item_stride, g.b_k_stride = b.row_stride, g.b_n_stride = b.col_stride;
    g.c_item_stride = c.item_stride, g.c_m_stride = c.row_stride, g.c_n_stride = c.col_stride;
  }
  std::vector<T> Run(GemmKernel<T> kernel, const std::vector<GemmRange>& ranges) {
    std::fill(c.storage.begin(), c.storage.end(), T(-777));
    Workspace ws;
    for (const GemmRange& r : ranges) kernel(g, r, a.ptr(), b.ptr(), c.ptr(), ws);
    return c.storage;
  }
};

template <typename T>
const FamilyKernels<T>& Family(const KernelTable& table) {
  if constexpr (std::is_same_v<T, float>) {
    return table.f32;
  } else {
    return table.f64;
  }
}

GemmRange Whole(const Shape& s) { return {0, s.count, 0, s.m, 0, s.n}; }

// Items, rows and columns cut at uneven points (every element written once).
std::vector<GemmRange> Split(const Shape& s) {
  std::vector<GemmRange> out;
  const int64_t ic = s.count / 2, mc = s.m / 3, nc = (s.n + 1) / 2;
  for (auto [i0, i1] : {std::pair{int64_t{0}, ic}, std::pair{ic, s.count}}) {
    for (auto [m0, m1] : {std::pair{int64_t{0}, mc}, std::pair{mc, s.m}}) {
      for (auto [n0, n1] : {std::pair{int64_t{0}, nc}, std::pair{nc, s.n}}) out.push_back({i0, i1, m0, m1, n0, n1});
    }
  }
  return out;
}

template <typename T>
void CheckExact(const KernelTable& table, const Shape& s, uint64_t seed) {
  const FamilyKernels<T>& f = Family<T>(table);
  Problem<T> p(s, true, seed);
  const std::vector<T> whole = p.Run(f.small, {Whole(s)});
  const std::vector<T> split = p.Run(f.small, Split(s));
  Operand<T> c = p.c;
  c.storage = whole;
  int bad = 0;
  for (int64_t i = 0; i < s.count && bad < 3; ++i) {
    for (int64_t m = 0; m < s.m && bad < 3; ++m) {
      for (int64_t n = 0; n < s.n && bad < 3; ++n) {
        const T want = testing::ReferenceElement(p.g, p.a.ptr(), p.b.ptr(), i, m, n, nullptr);
        const T got = whole[static_cast<size_t>(c.Index(i, m, n))];
        if (!BitEqual(got, want)) {
          ++bad;
          ADD_FAILURE() << Describe(s) << " at (" << i << "," << m << "," << n << "): " << got << " want " << want;
        }
      }
    }
  }
  // Nothing outside C written, and any split gives the same bits.
  EXPECT_TRUE(whole == split) << Describe(s) << ": a split range changed the result or wrote outside C";
}

template <typename T>
void CheckAgainstGemm(const KernelTable& table, const Shape& s, uint64_t seed) {
  const FamilyKernels<T>& f = Family<T>(table);
  Problem<T> p(s, false, seed);
  const std::vector<T> small = p.Run(f.small, Split(s));
  const std::vector<T> gemm = p.Run(f.gemm, {Whole(s)});
  ASSERT_EQ(small.size(), gemm.size());
  for (size_t i = 0; i < small.size(); ++i) {
    if (!BitEqual(small[i], gemm[i])) {
      ADD_FAILURE() << Describe(s) << ": element " << i << " small " << small[i] << " gemm " << gemm[i];
      return;
    }
  }
  // And within the tolerance of the reference (the gemm's bits are not the reference's).
  Operand<T> c = p.c;
  for (int64_t i = 0; i < s.count; ++i) {
    for (int64_t m = 0; m < s.m; ++m) {
      for (int64_t n = 0; n < s.n; ++n) {
        double mag = 0;
        const T want = testing::ReferenceElement(p.g, p.a.ptr(), p.b.ptr(), i, m, n, &mag);
        const T got = small[static_cast<size_t>(c.Index(i, m, n))];
        ASSERT_LE(std::fabs(double(got) - double(want)), testing::RealTolerance<T>(s.k, mag)) << Describe(s);
      }
    }
  }
}

constexpr int64_t kLongK[] = {33, 63, 64, 65, 95, 96, 97, 200, 512};
constexpr int64_t kNarrow[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 16, 17, 31, 32, 33, 47, 48};
constexpr int64_t kRows[] = {1, 2, 3, 4, 5, 7, 8, 9, 10, 15, 16, 17, 31, 32, 33, 48, 63, 64, 65};
constexpr int64_t kShortK[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 16, 17, 31, 32};

// Shapes of the long-K path: n narrow (any m), and m narrow with n up to 97
// (which the planner leaves on the GEMM but the kernel must still get right), every
// layout of A, B and C somewhere in the sweep (picked by a seeded generator).
template <typename T>
void LongKSuite(const KernelTable& table, bool exact) {
  std::mt19937_64 rng(Seed());
  auto pick = [&](auto& list) { return list[rng() % std::size(list)]; };
  for (int rep = 0; rep < 160; ++rep) {
    Shape s;
    s.count = 1 + static_cast<int64_t>(rng() % 3);
    s.k = pick(kLongK);
    if (rep % 3 == 2) {
      s.m = 1 + static_cast<int64_t>(rng() % 8);  // the kernel also runs narrow m, wide n
      s.n = std::vector<int64_t>{49, 63, 64, 65, 95, 96, 97}[rng() % 7];
    } else {
      s.m = pick(kRows);
      s.n = pick(kNarrow);
    }
    s.la = testing::kAllLayouts[rng() % std::size(testing::kAllLayouts)];
    s.lb = testing::kAllLayouts[rng() % std::size(testing::kAllLayouts)];
    s.lc = testing::kOutLayouts[rng() % std::size(testing::kOutLayouts)];
    if (exact) {
      CheckExact<T>(table, s, rng());
    } else {
      CheckAgainstGemm<T>(table, s, rng());
    }
    if (::testing::Test::HasFailure()) return;
  }
}

// Transposed B (k-contiguous columns) into a row-major C, k <= 32: the copied-tile path.
template <typename T>
void TransposedBSuite(const KernelTable& table, bool exact) {
  std::mt19937_64 rng(Seed() + 1);
  auto pick = [&](auto& list) { return list[rng() % std::size(list)]; };
  for (int rep = 0; rep < 400; ++rep) {
    Shape s;
    s.count = 1 + static_cast<int64_t>(rng() % 5);
    s.k = pick(kShortK);
    s.m = pick(kRows);
    s.n = pick(kNarrow);
    s.la = testing::kAllLayouts[rng() % std::size(testing::kAllLayouts)];
    s.lb = rep % 4 == 3 ? Layout::kStep2 : Layout::kColMajor;
    s.lc = rep % 5 == 4 ? Layout::kMisaligned : Layout::kRowMajor;
    if (exact) {
      CheckExact<T>(table, s, rng());
    } else {
      CheckAgainstGemm<T>(table, s, rng());
    }
    if (::testing::Test::HasFailure()) return;
  }
}

template <typename T>
void ZeroSizes(const KernelTable& table) {
  for (const Shape& s : {Shape{0, 4, 5, 96, Layout::kRowMajor, Layout::kRowMajor, Layout::kRowMajor},
                         Shape{2, 0, 5, 96, Layout::kRowMajor, Layout::kColMajor, Layout::kRowMajor},
                         Shape{2, 4, 0, 96, Layout::kRowMajor, Layout::kRowMajor, Layout::kRowMajor},
                         Shape{2, 4, 5, 0, Layout::kRowMajor, Layout::kColMajor, Layout::kRowMajor},
                         Shape{3, 6, 16, 0, Layout::kRowMajor, Layout::kColMajor, Layout::kRowMajor}}) {
    CheckExact<T>(table, s, Seed());
  }
}

TEST(SmallLongK, ExactF32) { ForEachTarget("small_long_k", [](const KernelTable& t, const std::string&) { LongKSuite<float>(t, true); }); }
TEST(SmallLongK, ExactF64) { ForEachTarget("small_long_k", [](const KernelTable& t, const std::string&) { LongKSuite<double>(t, true); }); }
TEST(SmallLongK, RealsEqualGemmF32) { ForEachTarget("small_long_k", [](const KernelTable& t, const std::string&) { LongKSuite<float>(t, false); }); }
TEST(SmallLongK, RealsEqualGemmF64) { ForEachTarget("small_long_k", [](const KernelTable& t, const std::string&) { LongKSuite<double>(t, false); }); }
TEST(TransposedBTile, ExactF32) { ForEachTarget("transposed_b", [](const KernelTable& t, const std::string&) { TransposedBSuite<float>(t, true); }); }
TEST(TransposedBTile, ExactF64) { ForEachTarget("transposed_b", [](const KernelTable& t, const std::string&) { TransposedBSuite<double>(t, true); }); }
TEST(TransposedBTile, RealsEqualGemmF32) { ForEachTarget("transposed_b", [](const KernelTable& t, const std::string&) { TransposedBSuite<float>(t, false); }); }
TEST(TransposedBTile, RealsEqualGemmF64) { ForEachTarget("transposed_b", [](const KernelTable& t, const std::string&) { TransposedBSuite<double>(t, false); }); }
TEST(SmallLongK, ZeroSizes) {
  ForEachTarget("small_long_k", [](const KernelTable& t, const std::string&) {
    ZeroSizes<float>(t);
    ZeroSizes<double>(t);
  });
}

// The planner sends the seed's gradients' shapes to the small family (float
// types only), and honours force_kernel = kSmall on them.
TEST(SmallLongK, PlannerRoutesSeedGradients) {
  const std::vector<int64_t> gs{10, 48, 96}, ys{10, 96, 5}, os{10, 48, 5};
  const auto gst = ContiguousStrides(gs), yst = ContiguousStrides(ys), ost = ContiguousStrides(os);
  Contraction c;
  c.lhs_batch = {0}, c.rhs_batch = {0}, c.lhs_contracting = {2}, c.rhs_contracting = {1};
  c.lhs_free = {1}, c.rhs_free = {2};
  c.output_shape = os;
  for (DType dt : {DType::kFloat32, DType::kFloat64, DType::kFloat16}) {
    c.dtype = dt;
    const TensorView g{nullptr, dt, gs, gst}, y{nullptr, dt, ys, yst};
    const MutableTensorView o{nullptr, dt, os, ost};
    const plan::Plan p = plan::MakePlan(c, g, y, o);
    EXPECT_EQ(p.path, dt == DType::kFloat16 ? KernelPath::kGemm : KernelPath::kSmall) << Name(dt);
    EXPECT_EQ(plan::MakePlan(c, g, y, o, KernelPath::kSmall).path,
              dt == DType::kFloat16 ? KernelPath::kGeneric : KernelPath::kSmall)
        << Name(dt);
  }
}

}  // namespace
}  // namespace batchdot::kernels
