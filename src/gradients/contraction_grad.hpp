// The transpose rule shared by every gradient front end: given a resolved forward
// Contraction, each gradient is one Contraction of grad_out with the other operand.
#pragma once

#include <cstdint>
#include <vector>

#include "batchdot/batchdot.hpp"

namespace batchdot::gradients {

// One gradient as a contraction: `c` contracts grad_out (lhs) with the other
// operand (rhs); output axis i of `c` is axis `target_axis[i]` of the gradient,
// so a view of the gradient with shape/strides permuted by target_axis receives
// c's output in place (JAX's final transpose, folded into strides).
struct GradientContraction {
  Contraction c;
  std::vector<int64_t> target_axis;
  // c's lhs is the other operand and its rhs grad_out (see OtherFirst).
  bool other_first = false;
};

// The same gradient with the operands' roles swapped: output batch, then the
// target's contracted axes, then its free axes. Which order writes the target
// densely depends on the target's strides (layout_choice.hpp).
GradientContraction OtherFirst(const GradientContraction& grad);

// JAX's _dot_general_transpose_lhs for `forward` (x = lhs): contract grad_out's
// y-free axes with y's free axes, batch with batch; the remaining y axes (y's
// contracted ones, ascending) map back to x's contracted axes.
GradientContraction GradientOfLhs(const Contraction& forward, std::span<const int64_t> x_shape);
// The same for y (rhs), with the roles of x and y swapped (JAX's swap_ans).
GradientContraction GradientOfRhs(const Contraction& forward, std::span<const int64_t> y_shape);

// Checks grad_out and the targets, then runs the wanted gradients of `forward`.
// `x_name`/`y_name` ("x", "x1", "lhs", ...) and `api` ("batch_dot", ...) appear in messages.
void RunGradients(const char* api, const char* x_name, const char* y_name, const Contraction& forward,
                  const TensorView& x, const TensorView& y, const TensorView& grad_out,
                  const GradientTargets& targets, const Options& options);

// The owning form: allocates the wanted gradients and runs RunGradients into them.
Gradients RunGradientsOwning(const char* api, const char* x_name, const char* y_name, const Contraction& forward,
                             const TensorView& x, const TensorView& y, const TensorView& grad_out,
                             GradientsWanted wanted, const Options& options);

}  // namespace batchdot::gradients
