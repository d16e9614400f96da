#include "semantics/batch_dot_contraction.hpp"

namespace batchdot::semantics {

void FillBatchDotContraction(std::span<const int64_t> x_shape, std::span<const int64_t> y_shape, int64_t x_axis,
                             int64_t y_axis, DType dtype, Contraction& c) {
  c.lhs_batch.assign(1, 0);
  c.rhs_batch.assign(1, 0);
  c.lhs_contracting.assign(1, x_axis);
  c.rhs_contracting.assign(1, y_axis);
  c.lhs_free.clear();
  c.rhs_free.clear();
  c.output_shape.assign(1, x_shape[0]);
  for (int64_t axis = 1; axis < static_cast<int64_t>(x_shape.size()); ++axis) {
    if (axis == x_axis) continue;
    c.lhs_free.push_back(axis);
    c.output_shape.push_back(x_shape[axis]);
  }
  for (int64_t axis = 1; axis < static_cast<int64_t>(y_shape.size()); ++axis) {
    if (axis == y_axis) continue;
    c.rhs_free.push_back(axis);
    c.output_shape.push_back(y_shape[axis]);
  }
  if (c.output_shape.size() == 1) c.output_shape.push_back(1);
  c.dtype = dtype;
}

Contraction MakeBatchDotContraction(std::span<const int64_t> x_shape, std::span<const int64_t> y_shape,
                                    int64_t x_axis, int64_t y_axis, DType dtype) {
  Contraction c;
  FillBatchDotContraction(x_shape, y_shape, x_axis, y_axis, dtype, c);
  return c;
}

Contraction MakeBatchDotContraction(const TensorView& x, const TensorView& y, const BatchDotAxes& axes) {
  return MakeBatchDotContraction(x.shape, y.shape, axes.x_axis, axes.y_axis, axes.dtype);
}

namespace {

const Contraction& ReusedBatchDotContraction(const TensorView& x, const TensorView& y, const BatchDotAxes& axes) {
  thread_local Contraction c;
  FillBatchDotContraction(x.shape, y.shape, axes.x_axis, axes.y_axis, axes.dtype, c);
  return c;
}

}  // namespace

Tensor ExecuteBatchDot(const TensorView& x, const TensorView& y, const BatchDotAxes& axes, const Options& options) {
  return Execute(ReusedBatchDotContraction(x, y, axes), x, y, options);
}

void ExecuteBatchDot(const TensorView& x, const TensorView& y, const BatchDotAxes& axes, const MutableTensorView& out,
                     const Options& options) {
  Execute(ReusedBatchDotContraction(x, y, axes), x, y, out, options);
}

}  // namespace batchdot::semantics
