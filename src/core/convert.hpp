// Converting an operand to the dtype a contraction runs in (mixed-dtype calls).
#pragma once

#include "batchdot/tensor.hpp"

namespace batchdot {

// A C-contiguous copy of `view` in `dtype`. Used only when the operands' dtypes
// differ, which is the one case where batchdot copies an input.
Tensor ConvertTo(const TensorView& view, DType dtype);

}  // namespace batchdot
