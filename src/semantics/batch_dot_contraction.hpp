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

// What a batch_dot front end's axes and dtype rules decide: the contracted axis
// of each operand and the dtype the product is computed in. Everything after
// that is the same for Keras and MindSpore, below.
struct BatchDotAxes {
  int64_t x_axis = 1, y_axis = 1;
  DType dtype = DType::kFloat32;
};

Contraction MakeBatchDotContraction(const TensorView& x, const TensorView& y, const BatchDotAxes& axes);

// batch_dot's forward call: the contraction is built in this thread's reused
// storage and goes straight on to Execute, so nothing is allocated for it (seven
// vectors were a fifth of the seed's per-call overhead).
Tensor ExecuteBatchDot(const TensorView& x, const TensorView& y, const BatchDotAxes& axes, const Options& options);
void ExecuteBatchDot(const TensorView& x, const TensorView& y, const BatchDotAxes& axes, const MutableTensorView& out,
                     const Options& options);

}  // namespace batchdot::semantics
