#include "gradients/layout_choice.hpp"

#include <algorithm>
#include <cstdlib>
#include <limits>

#include "core/convert.hpp"

namespace batchdot::gradients {
namespace {

// Smallest |target stride| over output axes [begin, end) of size > 1; max when none.
int64_t SmallestStride(const GradientContraction& grad, const MutableTensorView& target, size_t begin, size_t end) {
  int64_t best = std::numeric_limits<int64_t>::max();
  for (size_t i = begin; i < end; ++i) {
    const int64_t axis = grad.target_axis[i];
    if (target.shape[axis] > 1) best = std::min<int64_t>(best, std::llabs(target.strides_elems[axis]));
  }
  return best;
}

// How densely the kernel writes: its column axes' smallest stride, or its rows'
// when there are no columns (a gemv writes along m).
int64_t WriteStride(const GradientContraction& grad, const MutableTensorView& target) {
  const size_t nb = grad.c.lhs_batch.size(), nl = grad.c.lhs_free.size();
  const size_t rank = grad.target_axis.size();
  const int64_t cols = SmallestStride(grad, target, nb + nl, rank);
  return cols != std::numeric_limits<int64_t>::max() ? cols : SmallestStride(grad, target, nb, nb + nl);
}

struct Pair {
  int64_t size, g_stride, other_stride, other_axis;
};

// True when consecutive pairs (outermost first) walk memory as one axis in the
// operand that `stride` reads, as the planner's Simplify requires.
template <typename Stride>
bool Merges(const std::vector<Pair>& pairs, Stride stride) {
  for (size_t i = 1; i < pairs.size(); ++i) {
    if (stride(pairs[i - 1]) != stride(pairs[i]) * pairs[i].size) return false;
  }
  return true;
}

}  // namespace

bool BlocksMergeInTarget(const GradientContraction& grad, const MutableTensorView& target) {
  const size_t nb = grad.c.lhs_batch.size(), nl = grad.c.lhs_free.size();
  const size_t bounds[] = {0, nb, nb + nl, grad.target_axis.size()};
  for (int block = 0; block < 3; ++block) {
    int64_t previous_stride = 0;
    bool first = true;
    for (size_t i = bounds[block]; i < bounds[block + 1]; ++i) {
      const int64_t axis = grad.target_axis[i];
      if (target.shape[axis] <= 1) continue;
      if (!first && previous_stride != target.strides_elems[axis] * target.shape[axis]) return false;
      previous_stride = target.strides_elems[axis];
      first = false;
    }
  }
  return true;
}

GradientContraction OrientForTarget(const GradientContraction& natural, const MutableTensorView& target) {
  GradientContraction swapped = OtherFirst(natural);
  return WriteStride(swapped, target) < WriteStride(natural, target) ? swapped : natural;
}

OperandForPlanner::OperandForPlanner(const GradientContraction& grad, const TensorView& g, const TensorView& other)
    : view(other) {
  const Contraction& c = grad.c;
  const std::vector<int64_t>& g_axes = grad.other_first ? c.rhs_contracting : c.lhs_contracting;
  const std::vector<int64_t>& o_axes = grad.other_first ? c.lhs_contracting : c.rhs_contracting;
  std::vector<Pair> pairs;
  for (size_t i = 0; i < g_axes.size(); ++i) {
    if (g.shape[g_axes[i]] == 0) return;  // nothing to contract: the kernels write zeros
    if (g.shape[g_axes[i]] > 1) {
      pairs.push_back({g.shape[g_axes[i]], g.strides_elems[g_axes[i]], other.strides_elems[o_axes[i]], o_axes[i]});
    }
  }
  if (pairs.size() < 2) return;
  std::sort(pairs.begin(), pairs.end(),
            [](const Pair& a, const Pair& b) { return std::llabs(a.g_stride) > std::llabs(b.g_stride); });
  if (!Merges(pairs, [](const Pair& p) { return p.g_stride; })) return;  // a copy of `other` cannot help
  if (Merges(pairs, [](const Pair& p) { return p.other_stride; })) return;
  // Copy order: batch, the contracted axes in grad_out's order, then the rest, so
  // the kernel reads it as a (k x n) row-major panel (measured 37 us against 52 us
  // with k innermost on the seed's grad_x).
  const std::vector<int64_t>& batch = grad.other_first ? c.lhs_batch : c.rhs_batch;
  std::vector<int64_t> order(batch.begin(), batch.end());
  for (const Pair& p : pairs) order.push_back(p.other_axis);
  for (int64_t axis = 0; axis < other.rank(); ++axis) {
    if (std::find(order.begin(), order.end(), axis) == order.end()) order.push_back(axis);
  }
  std::vector<int64_t> shape, strides;
  for (int64_t axis : order) {
    shape.push_back(other.shape[axis]);
    strides.push_back(other.strides_elems[axis]);
  }
  copy_ = ConvertTo(TensorView{other.data, other.dtype, shape, strides}, c.dtype);
  strides_.assign(static_cast<size_t>(other.rank()), 0);
  for (size_t i = 0; i < order.size(); ++i) strides_[order[i]] = copy_.strides_elems()[i];
  view = {copy_.data(), c.dtype, other.shape, strides_};
}

}  // namespace batchdot::gradients
