// Gradients (vector-Jacobian products) of batch_dot and dot_general.
//
// For out = f(x, y) and a cotangent grad_out of out's shape, the gradients are
// grad_x = d<grad_out, f(x, y)>/dx and grad_y likewise: each is ONE contraction of
// grad_out with the other operand (JAX's transpose rule for dot_general), run on
// the same kernels as the forward call and written straight into the gradient's
// own layout through its strides (no transposed or contiguous copies of x, y or
// grad_out). Complex operands get the linear transpose, without conjugation (as
// JAX; PyTorch's convention conjugates, see batchdot.torch).
//
// Shapes and dtypes: grad_out must have exactly the forward output's shape
// (including Keras' and MindSpore's (B, 1) for two rank-2 inputs) and the dtype
// the forward call computes in (kShape / kDType error naming both). grad_x has
// x's shape and dtype, grad_y y's. With mixed input dtypes the gradients are
// computed in the promoted dtype and converted once to each input's dtype
// (complex to real keeps the real part, as JAX does).
//
// Strides are in elements and may be negative or zero for the inputs; a gradient
// view must not have two elements sharing memory and must not overlap x, y,
// grad_out or the other gradient (kShape error). Nothing is written when a call
// throws. Thread safety and determinism as in batchdot.hpp: bitwise identical
// results for every thread count.
#pragma once

// batchdot.hpp includes this header at its end; including it first works too.
#include "batchdot/batchdot.hpp"

namespace batchdot {

// Which gradients an owning call computes; a frozen operand's gradient is skipped
// (its contraction never runs) and comes back as a default-constructed Tensor
// (data() == nullptr).
enum class GradientsWanted { kBoth, kXOnly, kYOnly };

// Both gradients, each C-contiguous with its input's shape and dtype.
struct Gradients {
  Tensor grad_x;
  Tensor grad_y;
};

// Caller-provided destinations. A null pointer skips that gradient. With
// `accumulate`, the gradient is added to what the view holds (grad_x += ...), as
// a backward pass does for an input used twice.
struct GradientTargets {
  const MutableTensorView* grad_x = nullptr;
  const MutableTensorView* grad_y = nullptr;
  bool accumulate = false;
};

namespace keras {
// Gradients of keras::batch_dot(x, y, axes): the same checks, in the same order,
// then grad_out's shape and dtype.
Gradients batch_dot_grad(const TensorView& x, const TensorView& y, const AxesArg& axes,
                         const TensorView& grad_out, GradientsWanted wanted = GradientsWanted::kBoth,
                         const Options& options = {});
void batch_dot_grad(const TensorView& x, const TensorView& y, const AxesArg& axes, const TensorView& grad_out,
                    const GradientTargets& targets, const Options& options = {});
}  // namespace keras

namespace mindspore {
// Gradients of mindspore::batch_dot(x1, x2, axes): MindSpore's checks, so float32 only.
Gradients batch_dot_grad(const TensorView& x1, const TensorView& x2, const AxesArg& axes,
                         const TensorView& grad_out, GradientsWanted wanted = GradientsWanted::kBoth,
                         const Options& options = {});
void batch_dot_grad(const TensorView& x1, const TensorView& x2, const AxesArg& axes, const TensorView& grad_out,
                    const GradientTargets& targets, const Options& options = {});
}  // namespace mindspore

// Gradients of dot_general(lhs, rhs, dims): grad_x is lhs's, grad_y rhs's.
Gradients dot_general_grad(const TensorView& lhs, const TensorView& rhs, const DotDimensionNumbers& dims,
                           const TensorView& grad_out, GradientsWanted wanted = GradientsWanted::kBoth,
                           const Options& options = {});
void dot_general_grad(const TensorView& lhs, const TensorView& rhs, const DotDimensionNumbers& dims,
                      const TensorView& grad_out, const GradientTargets& targets,
                      const Options& options = {});

}  // namespace batchdot
