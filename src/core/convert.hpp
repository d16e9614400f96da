// Converting an operand to the dtype a contraction runs in (mixed-dtype calls).
#pragma once

#include "batchdot/tensor.hpp"

namespace batchdot {

// A C-contiguous copy of `view` in `dtype`. Used only when the operands' dtypes
// differ, which is the one case where batchdot copies an input.
Tensor ConvertTo(const TensorView& view, DType dtype);

// Both operands in `dtype`: the views themselves when they already are, else
// views of converted copies owned by this object.
class SameDTypeOperands {
 public:
  SameDTypeOperands(DType dtype, const TensorView& x_in, const TensorView& y_in)
      : x_copy_(x_in.dtype == dtype ? Tensor() : ConvertTo(x_in, dtype)),
        y_copy_(y_in.dtype == dtype ? Tensor() : ConvertTo(y_in, dtype)),
        x(x_in.dtype == dtype ? x_in : x_copy_.view()),
        y(y_in.dtype == dtype ? y_in : y_copy_.view()) {}

 private:
  Tensor x_copy_, y_copy_;  // declared before x and y, which may view them

 public:
  const TensorView x, y;
};

}  // namespace batchdot
