// The oracle kernel: any Contraction, odometer order, wide accumulator. The
// public ReferenceExecute (runtime/reference_execute.cpp) checks and converts first.
#pragma once

#include "batchdot/batchdot.hpp"

namespace batchdot::kernels {

// Writes every element of `out` (exactly c.output_shape) from x and y, whose
// dtypes are both c.dtype. Checks nothing: callers have validated the views.
void ReferenceDotGeneral(const Contraction& c, const TensorView& x, const TensorView& y,
                         const MutableTensorView& out);

}  // namespace batchdot::kernels
