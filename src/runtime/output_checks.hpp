// The checks Execute runs once before any kernel: well-formed views, an output of
// the contraction's shape and dtype, and no overlap between output and inputs.
#pragma once

#include "batchdot/batchdot.hpp"

namespace batchdot::runtime {

// Throws batchdot::Error (kShape or kDType) naming the mismatch.
void CheckOutput(const Contraction& c, const TensorView& x, const TensorView& y, const MutableTensorView& out);

}  // namespace batchdot::runtime
