// jax.lax.dot_general's dimension numbers: any number of batch and contracting
// axes, output ordered batch, lhs free, rhs free.
#include <string>
#include <vector>

#include "batchdot/batchdot.hpp"
#include "core/error_text.hpp"

namespace batchdot {
namespace {

using core::Fail;
using core::ShapeString;

std::string ListString(const std::vector<int64_t>& axes) {
  std::string text = "[";
  for (size_t i = 0; i < axes.size(); ++i) text += (i ? ", " : "") + std::to_string(axes[i]);
  return text + "]";
}

// Marks the batch and contracting axes of one operand, rejecting out-of-range or
// repeated axes; returns the remaining (free) axes in increasing order.
std::vector<int64_t> FreeAxes(const char* operand, int64_t rank, const std::vector<int64_t>& batch,
                              const std::vector<int64_t>& contracting) {
  std::vector<bool> used(static_cast<size_t>(rank), false);
  for (const auto* list : {&batch, &contracting}) {
    for (int64_t axis : *list) {
      if (axis < 0 || axis >= rank) {
        Fail(ErrorKind::kAxes, std::string("dot_general: ") + operand + " axis " + std::to_string(axis) +
                                   " out of range for rank " + std::to_string(rank));
      }
      if (used[axis]) {
        Fail(ErrorKind::kAxes, std::string("dot_general: ") + operand + " axis " + std::to_string(axis) +
                                   " appears more than once in batch " + ListString(batch) +
                                   " and contracting " + ListString(contracting));
      }
      used[axis] = true;
    }
  }
  std::vector<int64_t> free;
  for (int64_t axis = 0; axis < rank; ++axis) {
    if (!used[axis]) free.push_back(axis);
  }
  return free;
}

void CheckPairedSizes(const char* what, const TensorView& lhs, const TensorView& rhs,
                      const std::vector<int64_t>& lhs_axes, const std::vector<int64_t>& rhs_axes) {
  if (lhs_axes.size() != rhs_axes.size()) {
    Fail(ErrorKind::kAxes, std::string("dot_general: lhs and rhs need as many ") + what + " axes, got " +
                               ListString(lhs_axes) + " and " + ListString(rhs_axes));
  }
  for (size_t i = 0; i < lhs_axes.size(); ++i) {
    if (lhs.shape[lhs_axes[i]] != rhs.shape[rhs_axes[i]]) {
      Fail(ErrorKind::kShape, std::string("dot_general: ") + what + " dimensions differ: lhs.shape[" +
                                  std::to_string(lhs_axes[i]) + "] = " + std::to_string(lhs.shape[lhs_axes[i]]) +
                                  ", rhs.shape[" + std::to_string(rhs_axes[i]) + "] = " +
                                  std::to_string(rhs.shape[rhs_axes[i]]) + " (lhs.shape = " +
                                  ShapeString(lhs.shape) + ", rhs.shape = " + ShapeString(rhs.shape) + ")");
    }
  }
}

}  // namespace

Contraction ResolveDotGeneral(const TensorView& lhs, const TensorView& rhs, const DotDimensionNumbers& dims) {
  Contraction c;
  c.lhs_free = FreeAxes("lhs", lhs.rank(), dims.lhs_batch, dims.lhs_contracting);
  c.rhs_free = FreeAxes("rhs", rhs.rank(), dims.rhs_batch, dims.rhs_contracting);
  CheckPairedSizes("batch", lhs, rhs, dims.lhs_batch, dims.rhs_batch);
  CheckPairedSizes("contracting", lhs, rhs, dims.lhs_contracting, dims.rhs_contracting);
  c.lhs_batch = dims.lhs_batch;
  c.rhs_batch = dims.rhs_batch;
  c.lhs_contracting = dims.lhs_contracting;
  c.rhs_contracting = dims.rhs_contracting;
  for (int64_t axis : c.lhs_batch) c.output_shape.push_back(lhs.shape[axis]);
  for (int64_t axis : c.lhs_free) c.output_shape.push_back(lhs.shape[axis]);
  for (int64_t axis : c.rhs_free) c.output_shape.push_back(rhs.shape[axis]);
  c.dtype = PromoteTypes(lhs.dtype, rhs.dtype);
  return c;
}

Tensor dot_general(const TensorView& lhs, const TensorView& rhs, const DotDimensionNumbers& dims,
                   const Options& options) {
  return Execute(ResolveDotGeneral(lhs, rhs, dims), lhs, rhs, options);
}

void dot_general(const TensorView& lhs, const TensorView& rhs, const DotDimensionNumbers& dims,
                 const MutableTensorView& out, const Options& options) {
  Execute(ResolveDotGeneral(lhs, rhs, dims), lhs, rhs, out, options);
}

}  // namespace batchdot
