// Writing a computed gradient into its destination when Execute cannot write it
// there directly: a dtype conversion (mixed-dtype inputs) or accumulation.
#pragma once

#include "batchdot/tensor.hpp"

namespace batchdot::gradients {

// dst = convert(src), or dst += convert(src) with `accumulate`, element by element
// over equal shapes and any strides; the sum is formed in the wider of the two
// types' accumulators and rounded once. The kernels only overwrite (beta = 0), so
// accumulation happens here, on a scratch result, instead of inside them.
// Serial, so the result does not depend on the thread count.
void StoreStrided(const TensorView& src, const MutableTensorView& dst, bool accumulate);

}  // namespace batchdot::gradients
