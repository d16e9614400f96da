// The Contraction both batch_dot front ends share once their axes rules have
// produced one contracted axis per operand.
#pragma once

#include <cstdint>
#include <span>

#include "batchdot/batchdot.hpp"

namespace batchdot::semantics {

// Axis 0 is the batch axis of both; `x_axis` of x is contracted with `y_axis` of y
// (both already validated, in [1, rank)). The output is x's free dims then y's,
// with a trailing unit dim when both inputs are rank 2 (Keras' (B, 1)).
Contraction MakeBatchDotContraction(std::span<const int64_t> x_shape, std::span<const int64_t> y_shape,
                                    int64_t x_axis, int64_t y_axis, DType dtype);

// The same into `c`, reusing its vectors' storage.
void FillBatchDotContraction(std::span<const int64_t> x_shape, std::span<const int64_t> y_shape, int64_t x_axis,
                             int64_t y_axis, DType dtype, Contraction& c);

// The same in this thread's reused Contraction, valid until the thread's next
// call: batch_dot calls that go straight on to Execute allocate nothing for it
// (seven vectors were a fifth of the seed's per-call overhead).
const Contraction& ReusedBatchDotContraction(std::span<const int64_t> x_shape, std::span<const int64_t> y_shape,
                                             int64_t x_axis, int64_t y_axis, DType dtype);

}  // namespace batchdot::semantics
