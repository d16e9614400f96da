#include "semantics/batch_dot_contraction.hpp"

namespace batchdot::semantics {

Contraction MakeBatchDotContraction(std::span<const int64_t> x_shape, std::span<const int64_t> y_shape,
                                    int64_t x_axis, int64_t y_axis, DType dtype) {
  Contraction c;
  c.lhs_batch = {0};
  c.rhs_batch = {0};
  c.lhs_contracting = {x_axis};
  c.rhs_contracting = {y_axis};
  c.output_shape = {x_shape[0]};
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
  return c;
}

}  // namespace batchdot::semantics
