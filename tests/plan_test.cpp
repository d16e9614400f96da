// The planner: which axes merge, which loops stay outside the kernel, which
// family runs, and that forcing a family that cannot run falls back to generic.
#include "plan/plan.hpp"
#include "plan/summation_order.hpp"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "batchdot/batchdot.hpp"

namespace batchdot::plan {
namespace {

struct Views {
  std::vector<int64_t> x_shape, y_shape, x_strides, y_strides, out_strides;
  Contraction c;
  TensorView x() const { return {reinterpret_cast<const void*>(64), DType::kFloat32, x_shape, x_strides}; }
  TensorView y() const { return {reinterpret_cast<const void*>(64), DType::kFloat32, y_shape, y_strides}; }
  MutableTensorView out() const {
    return {reinterpret_cast<void*>(64), DType::kFloat32, c.output_shape, out_strides};
  }
};

Views KerasViews(std::vector<int64_t> x_shape, std::vector<int64_t> y_shape, AxesArg axes = {}) {
  Views v;
  v.x_shape = std::move(x_shape);
  v.y_shape = std::move(y_shape);
  v.x_strides = ContiguousStrides(v.x_shape);
  v.y_strides = ContiguousStrides(v.y_shape);
  v.c = keras::Resolve(v.x(), v.y(), axes);
  v.out_strides = ContiguousStrides(v.c.output_shape);
  return v;
}

TEST(Plan, SeedCaseReadsYsStraddlingColumnsInRuns) {
  // y (10,12,5,8) contracts axis 2: its free axes 12 and 8 straddle it and cannot
  // merge in y, but are adjacent in the output. The small family reads the 96
  // columns in place as 12 runs of 8 (two runs per 16-lane vector): no copy.
  const Views v = KerasViews({10, 12, 4, 5}, {10, 12, 5, 8});
  const Plan p = MakePlan(v.c, v.x(), v.y(), v.out());
  EXPECT_EQ(p.gemm.count, 10);
  EXPECT_EQ(p.gemm.m, 48);  // x's 12 x 4 free axes merge
  EXPECT_EQ(p.gemm.n, 96);
  EXPECT_EQ(p.gemm.k, 5);
  EXPECT_TRUE(p.outer.empty());
  EXPECT_TRUE(p.gathered_cols.empty());
  EXPECT_EQ(p.gemm.b_run, 8);
  EXPECT_EQ(p.gemm.b_run_stride, 40);
  EXPECT_EQ(p.gemm.b_item_stride, 12 * 5 * 8);
  EXPECT_EQ(p.gemm.b_k_stride, 8);
  EXPECT_EQ(p.gemm.b_n_stride, 1);
  EXPECT_EQ(p.gemm.b_column_offset(17), 2 * 40 + 1);
  EXPECT_EQ(p.gemm.c_n_stride, 1);
  EXPECT_EQ(p.column_tile(), 96);
  EXPECT_EQ(p.path, KernelPath::kSmall);
  EXPECT_FALSE(p.swapped);
}

TEST(Plan, StraddlingColumnsInRunsTheKernelCannotLoadAreGathered) {
  // Runs of 5 (or a k above the register-B bound) straddle vectors: each item's
  // (k x 60) panel is gathered and run in 48-column tiles.
  const Views v = KerasViews({10, 12, 4, 5}, {10, 12, 5, 5});
  const Plan p = MakePlan(v.c, v.x(), v.y(), v.out());
  EXPECT_EQ(p.gemm.b_run, 0);
  ASSERT_EQ(p.gathered_cols.size(), 2u);
  EXPECT_EQ(p.gathered_cols[0].size, 12);
  EXPECT_EQ(p.gathered_cols[0].y_stride, 25);
  EXPECT_EQ(p.gathered_cols[1].size, 5);
  EXPECT_EQ(p.gathered_cols[1].y_stride, 1);
  EXPECT_EQ(p.gather_item_stride, 12 * 5 * 5);
  EXPECT_EQ(p.gather_k_stride, 5);
  EXPECT_EQ(p.gemm.b_k_stride, 60);  // the panel, row-major
  EXPECT_EQ(p.column_tile(), 48);
  EXPECT_EQ(p.path, KernelPath::kSmall);
  const Views deep = KerasViews({10, 12, 4, 20}, {10, 12, 20, 8});
  const Plan q = MakePlan(deep.c, deep.x(), deep.y(), deep.out());
  EXPECT_EQ(q.gemm.b_run, 0);
  EXPECT_EQ(q.gathered_cols.size(), 2u);
  // Forced to another family, runs are never handed to it.
  const Plan forced = MakePlan(v.c, v.x(), v.y(), v.out(), KernelPath::kGemm);
  EXPECT_EQ(forced.gemm.b_run, 0);
}

TEST(Plan, StraddlingColumnsThatAreNotAdjacentInTheOutputLoop) {
  // The same operands into an output (10, 12, 4, 12, 8) whose last two axes are
  // swapped in memory: the column axes merge in neither, so nothing is gathered;
  // the axis with the densest output writes (the 12) is the kernel's n.
  Views v = KerasViews({10, 12, 4, 5}, {10, 12, 5, 8});
  v.out_strides = {4608, 384, 96, 1, 12};
  const Plan p = MakePlan(v.c, v.x(), v.y(), v.out());
  EXPECT_TRUE(p.gathered_cols.empty());
  ASSERT_EQ(p.outer.size(), 1u);
  EXPECT_EQ(p.outer[0].size, 8);
  EXPECT_EQ(p.gemm.n, 12);
}

TEST(Plan, FamiliesByShape) {
  const Views dot = KerasViews({1000, 64}, {1000, 64});
  EXPECT_EQ(MakePlan(dot.c, dot.x(), dot.y(), dot.out()).path, KernelPath::kDot);
  const Views matvec = KerasViews({4096, 128, 64}, {4096, 64});
  EXPECT_EQ(MakePlan(matvec.c, matvec.x(), matvec.y(), matvec.out()).path, KernelPath::kGemv);
  const Views small = KerasViews({16384, 8, 8}, {16384, 8, 8});
  EXPECT_EQ(MakePlan(small.c, small.x(), small.y(), small.out()).path, KernelPath::kSmall);
  const Views big = KerasViews({8, 100, 100}, {8, 100, 100});
  EXPECT_EQ(MakePlan(big.c, big.x(), big.y(), big.out()).path, KernelPath::kGemm);
}

// The order class front ends ask for (plan/summation_order.hpp) follows the
// family MakePlan picks: rows or columns of one run the dot order.
TEST(Plan, SummationOrderFollowsThePlannedFamily) {
  for (const auto& [x_shape, y_shape] : std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>>{
           {{1000, 64}, {1000, 64}}, {{4096, 128, 64}, {4096, 64}}, {{64, 64}, {64, 64, 40}},
           {{16384, 8, 8}, {16384, 8, 8}}, {{8, 100, 100}, {8, 100, 100}}, {{8, 1, 100}, {8, 100, 1}}}) {
    const Views v = KerasViews(x_shape, y_shape);
    const Plan p = MakePlan(v.c, v.x(), v.y(), v.out());
    const int64_t rows = p.swapped ? p.gemm.n : p.gemm.m, cols = p.swapped ? p.gemm.m : p.gemm.n;
    const bool dot_family = p.path == KernelPath::kDot || p.path == KernelPath::kGemv;
    EXPECT_EQ(SummationOrderOf(rows, cols), dot_family ? SummationOrder::kDot : SummationOrder::kMatrix)
        << rows << " x " << cols;
  }
  EXPECT_EQ(Name(SummationOrderOf(1, 7)), "dot");
  EXPECT_EQ(Name(SummationOrderOf(7, 7)), "matrix");
}

TEST(Plan, RowVectorTimesMatrixRunsAsGemvSwapped) {
  // (B, K) . (B, K, N): m == 1, so the kernel computes C^T = B^T A^T with n == 1.
  const Views v = KerasViews({7, 64}, {7, 64, 32}, AxesArg(1, 1));
  const Plan p = MakePlan(v.c, v.x(), v.y(), v.out());
  EXPECT_TRUE(p.swapped);
  EXPECT_EQ(p.gemm.m, 32);
  EXPECT_EQ(p.gemm.n, 1);
  EXPECT_EQ(p.gemm.a_m_stride, 1);   // y's N axis
  EXPECT_EQ(p.gemm.a_k_stride, 32);  // y's K axis
  EXPECT_EQ(p.gemm.b_k_stride, 1);   // x's K axis
  EXPECT_EQ(p.gemm.c_m_stride, 1);
  EXPECT_EQ(p.path, KernelPath::kGemv);
}

TEST(Plan, TransposedOperandsAreStridesNotCopies) {
  // x (B, K, M) contracted on axis 1: A's k stride is M, its m stride is 1.
  const Views v = KerasViews({256, 64, 48}, {256, 40, 64}, AxesArg(1, 2));
  const Plan p = MakePlan(v.c, v.x(), v.y(), v.out());
  EXPECT_EQ(p.gemm.a_m_stride, 1);
  EXPECT_EQ(p.gemm.a_k_stride, 48);
  EXPECT_EQ(p.gemm.b_k_stride, 1);
  EXPECT_EQ(p.gemm.b_n_stride, 64);
  EXPECT_TRUE(p.outer.empty());
}

TEST(Plan, UnitAndZeroAxes) {
  const Views unit = KerasViews({5, 1, 3}, {5, 3, 1});
  const Plan p = MakePlan(unit.c, unit.x(), unit.y(), unit.out());
  EXPECT_EQ(p.gemm.m, 1);
  EXPECT_EQ(p.gemm.n, 1);
  EXPECT_EQ(p.path, KernelPath::kDot);
  const Views empty = KerasViews({5, 0, 3}, {5, 3, 2});
  EXPECT_TRUE(MakePlan(empty.c, empty.x(), empty.y(), empty.out()).empty_output);
  const Views no_k = KerasViews({5, 2, 0}, {5, 0, 2});
  const Plan z = MakePlan(no_k.c, no_k.x(), no_k.y(), no_k.out());
  EXPECT_FALSE(z.empty_output);
  EXPECT_EQ(z.gemm.k, 0);
}

TEST(Plan, ForcedFamilyFallsBackWhenItCannotRun) {
  const Views big = KerasViews({2, 40, 600}, {2, 600, 40});  // k > kSmallLongKMaxK: no small path
  EXPECT_EQ(MakePlan(big.c, big.x(), big.y(), big.out(), KernelPath::kDot).path, KernelPath::kGeneric);
  EXPECT_EQ(MakePlan(big.c, big.x(), big.y(), big.out(), KernelPath::kSmall).path, KernelPath::kGeneric);
  EXPECT_EQ(MakePlan(big.c, big.x(), big.y(), big.out(), KernelPath::kReference).path, KernelPath::kReference);
}

TEST(Plan, UnmergeableContractedAxesUseTheReference) {
  // Two contracted axes of rhs in the opposite order to lhs: no single k stride.
  std::vector<int64_t> ls{2, 3, 4}, rs{2, 4, 3};
  std::vector<int64_t> lt = ContiguousStrides(ls), rt = ContiguousStrides(rs);
  const TensorView lhs{reinterpret_cast<const void*>(64), DType::kFloat32, ls, lt};
  const TensorView rhs{reinterpret_cast<const void*>(64), DType::kFloat32, rs, rt};
  const Contraction c = ResolveDotGeneral(lhs, rhs, {{1, 2}, {2, 1}, {0}, {0}});
  std::vector<int64_t> ot = ContiguousStrides(c.output_shape);
  const Plan p = MakePlan(c, lhs, rhs, {reinterpret_cast<void*>(64), DType::kFloat32, c.output_shape, ot});
  EXPECT_TRUE(p.needs_reference);
  EXPECT_EQ(p.path, KernelPath::kReference);
}

}  // namespace
}  // namespace batchdot::plan
