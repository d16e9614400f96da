// Planning: collect each output and contracted axis with its strides in x, y and
// the output, drop unit axes, merge axes that are contiguous with each other, and
// keep the innermost batch, row, column and contracted axis for the kernel.
#include "plan/plan.hpp"
#include "plan/summation_order.hpp"

#include <algorithm>
#include <cstdlib>

#include "kernels/kernel_table.hpp"

namespace batchdot::plan {
namespace {

struct Axis {
  int64_t size;
  int64_t x_stride, y_stride, out_stride;
};

// Merges axis pairs (outer, inner) that walk memory as one axis in every operand,
// after dropping unit axes (their strides never matter).
std::vector<Axis> Simplify(std::vector<Axis> axes) {
  std::erase_if(axes, [](const Axis& a) { return a.size == 1; });
  std::vector<Axis> merged;
  for (const Axis& a : axes) {
    if (!merged.empty()) {
      Axis& outer = merged.back();
      if (outer.x_stride == a.x_stride * a.size && outer.y_stride == a.y_stride * a.size &&
          outer.out_stride == a.out_stride * a.size) {
        outer = {outer.size * a.size, a.x_stride, a.y_stride, a.out_stride};
        continue;
      }
    }
    merged.push_back(a);
  }
  return merged;
}

// Moves all but the innermost axis of `axes` to the outer loops; returns the
// innermost (a unit axis when there is none).
Axis TakeInnermost(std::vector<Axis>& axes, std::vector<OuterLoop>& outer) {
  if (axes.empty()) return {1, 0, 0, 0};
  // The axis with the smallest output stride makes the kernel's writes dense.
  auto inner = std::min_element(axes.begin(), axes.end(), [](const Axis& a, const Axis& b) {
    return std::llabs(a.out_stride) < std::llabs(b.out_stride);
  });
  const Axis chosen = *inner;
  axes.erase(inner);
  for (const Axis& a : axes) outer.push_back({a.size, a.x_stride, a.y_stride, a.out_stride});
  return chosen;
}

}  // namespace

bool CanHandle(KernelPath path, const kernels::StridedGemm& g);

namespace {

KernelPath AutoPath(const kernels::StridedGemm& g) {
  if (g.m == 1 && g.n == 1) return KernelPath::kDot;
  if (g.n == 1) return KernelPath::kGemv;
  // Thin products (small n and k, or k <= 8 and any n; any m) need no packing:
  // B stays in L1 or in registers.
  if (CanHandle(KernelPath::kSmall, g)) return KernelPath::kSmall;
  return KernelPath::kGemm;
}

// y's free axes straddle its contracted axis (the seed: y (B, 12, K, 8) gives
// column axes 12 and 8 that cannot merge in y) but sit next to each other in the
// output. Gathering each item's (K x 12*8) panel turns twelve narrow products into
// one wide one; worth it when the panel is small next to the work it feeds.
bool ShouldGatherColumns(const std::vector<Axis>& cols, const Axis& row, const std::vector<Axis>& contracted) {
  if (cols.size() < 2 || contracted.size() != 1 || row.size < 4) return false;
  int64_t columns = 1;
  for (size_t i = 0; i < cols.size(); ++i) {
    columns *= cols[i].size;
    if (i > 0 && cols[i - 1].out_stride != cols[i].out_stride * cols[i].size) return false;
  }
  constexpr int64_t kMaxPanelElements = 16384;
  return columns * contracted.front().size <= kMaxPanelElements;
}

// The small family reads two gathered column axes in place when the inner one
// is unit-stride runs it can load whole (the seed's runs of 8): no panel copy.
void ReadRunsInPlace(Plan& plan) {
  kernels::StridedGemm& g = plan.gemm;
  const std::vector<OuterLoop>& cols = plan.gathered_cols;
  const bool float_type = plan.dtype == DType::kFloat32 || plan.dtype == DType::kFloat64;
  if (!float_type || cols.size() != 2 || cols[1].y_stride != 1 || !kernels::ReadsColumnRuns(cols[1].size, g.k)) {
    return;
  }
  g.b_item_stride = plan.gather_item_stride;
  g.b_k_stride = plan.gather_k_stride;
  g.b_n_stride = 1;
  g.b_run = cols[1].size;
  g.b_run_stride = cols[0].y_stride;
  plan.gathered_cols.clear();
}

// Issue 17 (training backward): float products with K in (kSmallMax,
// kSmallLongKMaxK] and narrow C rows (float32 n <= 48, float64 n <= 24), which
// the packed GEMM runs on mostly empty 12 x 32 tiles, go to the small family's
// long-K path (same bits: one chain per element, as one KC block). Measured
// 0.3-0.6x the GEMM's time there; narrow m with wide n (5 x 96 x 48) and float64
// rows of 5 vectors were slower, so they stay on the GEMM. The half types keep
// the GEMM too (bfloat16's dot-product kernel sums in pairs).
bool ServesSmallLongK(DType dtype, const kernels::StridedGemm& g) {
  int64_t element_bytes = 0;
  if (dtype == DType::kFloat32) element_bytes = 4;
  if (dtype == DType::kFloat64) element_bytes = 8;
  return element_bytes != 0 && g.k > kernels::kSmallMax && g.k <= kernels::kSmallLongKMaxK &&
         g.n * element_bytes <= kernels::kSmallLongKMaxRowBytes;
}

Axis MergedByOutput(const std::vector<Axis>& cols) {
  int64_t size = 1;
  for (const Axis& a : cols) size *= a.size;
  return {size, 0, 0, cols.back().out_stride};
}

}  // namespace

int64_t Plan::column_tile() const {
  return gathered_cols.empty() ? gemm.n : std::min(gemm.n, kernels::kSmallMaxN);
}

int64_t Plan::outer_count() const {
  int64_t count = 1;
  for (const OuterLoop& loop : outer) count *= loop.size;
  return count;
}

double Plan::multiply_adds() const {
  return static_cast<double>(outer_count()) * static_cast<double>(gemm.count) * static_cast<double>(gemm.m) *
         static_cast<double>(gemm.n) * static_cast<double>(gemm.k > 0 ? gemm.k : 1);
}

bool CanHandle(KernelPath path, const kernels::StridedGemm& g) {
  switch (path) {
    case KernelPath::kDot:
      return g.m == 1 && g.n == 1;
    case KernelPath::kGemv:
      return g.n == 1;
    case KernelPath::kSmall:
      return (g.n <= kernels::kSmallMaxN && g.k <= kernels::kSmallMax) ||
             (g.k >= 1 && g.k <= kernels::kRegisterBMaxK);
    case KernelPath::kGemm:
    case KernelPath::kGeneric:
    case KernelPath::kReference:
      return true;
    case KernelPath::kAuto:
      break;
  }
  return false;
}

Plan MakePlan(const Contraction& c, const TensorView& x, const TensorView& y, const MutableTensorView& out,
              KernelPath force) {
  Plan plan;
  plan.dtype = c.dtype;
  std::vector<Axis> batch, rows, cols, contracted;
  size_t out_axis = 0;
  for (size_t i = 0; i < c.lhs_batch.size(); ++i, ++out_axis) {
    batch.push_back({x.shape[c.lhs_batch[i]], x.strides_elems[c.lhs_batch[i]], y.strides_elems[c.rhs_batch[i]],
                     out.strides_elems[out_axis]});
  }
  for (int64_t axis : c.lhs_free) {
    rows.push_back({x.shape[axis], x.strides_elems[axis], 0, out.strides_elems[out_axis++]});
  }
  for (int64_t axis : c.rhs_free) {
    cols.push_back({y.shape[axis], 0, y.strides_elems[axis], out.strides_elems[out_axis++]});
  }
  int64_t contracted_length = 1;
  for (size_t i = 0; i < c.lhs_contracting.size(); ++i) {
    const int64_t size = x.shape[c.lhs_contracting[i]];
    contracted_length *= size;
    contracted.push_back({size, x.strides_elems[c.lhs_contracting[i]], y.strides_elems[c.rhs_contracting[i]], 0});
  }
  for (const auto* group : {&batch, &rows, &cols}) {
    for (const Axis& a : *group) plan.empty_output |= a.size == 0;
  }
  batch = Simplify(std::move(batch));
  rows = Simplify(std::move(rows));
  cols = Simplify(std::move(cols));
  // A zero-length contraction keeps one zero-length axis so kernels write zeros.
  contracted = contracted_length == 0 ? std::vector<Axis>{{0, 0, 0, 0}} : Simplify(std::move(contracted));
  if (contracted.size() > 1) {
    // Order the contracted axes by x stride and try again: dot_general may list
    // them in any order.
    std::sort(contracted.begin(), contracted.end(),
              [](const Axis& a, const Axis& b) { return std::llabs(a.x_stride) > std::llabs(b.x_stride); });
    contracted = Simplify(std::move(contracted));
  }
  plan.needs_reference = contracted.size() > 1;

  const Axis item = TakeInnermost(batch, plan.outer);
  const Axis row = TakeInnermost(rows, plan.outer);
  const bool gather = ShouldGatherColumns(cols, row, contracted);
  if (gather) {
    plan.gathered_cols.reserve(cols.size());
    for (const Axis& a : cols) plan.gathered_cols.push_back({a.size, 0, a.y_stride, a.out_stride});
    cols = {MergedByOutput(cols)};
  }
  const Axis col = TakeInnermost(cols, plan.outer);
  const Axis k = contracted.empty() ? Axis{1, 0, 0, 0} : contracted.front();
  kernels::StridedGemm& g = plan.gemm;
  g.count = item.size;
  g.m = row.size;
  g.n = col.size;
  g.k = k.size;
  g.a_item_stride = item.x_stride;
  g.b_item_stride = item.y_stride;
  g.c_item_stride = item.out_stride;
  g.a_m_stride = row.x_stride;
  g.a_k_stride = k.x_stride;
  g.b_k_stride = k.y_stride;
  g.b_n_stride = col.y_stride;
  g.c_m_stride = row.out_stride;
  g.c_n_stride = col.out_stride;
  if (gather) {
    // The kernel reads each item's gathered (k x n) panel, row-major.
    plan.gather_item_stride = item.y_stride;
    plan.gather_k_stride = k.y_stride;
    g.b_item_stride = g.k * g.n;
    g.b_k_stride = g.n;
    g.b_n_stride = 1;
  }
  if (g.m == 1 && g.n > 1) {
    // A row vector times a matrix is a matrix times a column vector once transposed.
    plan.swapped = true;
    std::swap(g.m, g.n);
    std::swap(g.a_item_stride, g.b_item_stride);
    std::swap(g.a_k_stride, g.b_k_stride);
    g.a_m_stride = col.y_stride;
    g.b_n_stride = row.x_stride;
    std::swap(g.c_m_stride, g.c_n_stride);
  }
  // Families are chosen on the column tile the kernel sees: gathered columns run
  // in tiles of at most kSmallMaxN.
  kernels::StridedGemm tile = g;
  tile.n = plan.column_tile();
  if (force == KernelPath::kReference || plan.needs_reference) {
    plan.path = KernelPath::kReference;
  } else if (force == KernelPath::kAuto) {
    plan.path = AutoPath(tile);
  } else {
    plan.path = CanHandle(force, tile) ? force : KernelPath::kGeneric;
  }
  if (((force == KernelPath::kAuto && plan.path == KernelPath::kGemm) ||
       (force == KernelPath::kSmall && plan.path == KernelPath::kGeneric)) &&
      ServesSmallLongK(plan.dtype, tile)) {
    plan.path = KernelPath::kSmall;
  }
  if (gather && plan.path == KernelPath::kSmall) ReadRunsInPlace(plan);
  return plan;
}

SummationOrder SummationOrderOf(int64_t rows, int64_t cols) {
  // The planner's own choice (AutoPath), after its row-vector swap (MakePlan).
  kernels::StridedGemm g;
  g.m = rows;
  g.n = cols;
  g.k = 2;
  if (g.m == 1 && g.n > 1) std::swap(g.m, g.n);
  const KernelPath path = AutoPath(g);
  return path == KernelPath::kDot || path == KernelPath::kGemv ? SummationOrder::kDot : SummationOrder::kMatrix;
}

std::string_view Name(SummationOrder order) { return order == SummationOrder::kDot ? "dot" : "matrix"; }

}  // namespace batchdot::plan
