// Two choices that keep a gradient on the fast kernels: the operand order whose
// output the kernels write densely into the target's strides, and, when the
// planner could not merge the contracted axes of the other operand, a copy of it
// in which they merge.
#pragma once

#include <vector>

#include "batchdot/batchdot.hpp"
#include "gradients/contraction_grad.hpp"

namespace batchdot::gradients {

// `natural` (grad_out first) or OtherFirst(natural), whichever puts the target's
// smallest stride on the kernel's column axis (its dense write direction).
// Example: bmm's grad_y = x^T g lands in y (B, K, N) with N contiguous, so x goes first.
GradientContraction OrientForTarget(const GradientContraction& natural, const MutableTensorView& target);

// True when, in the target's strides, each of the gradient contraction's output
// blocks (batch, lhs free, rhs free) merges into one axis. When one does not, the
// planner would loop over it around many tiny kernel calls (the seed's grad_y:
// 120 calls, 155 us), so the gradient is computed into a contiguous scratch result
// and stored with one strided pass instead (6 us + the pass).
bool BlocksMergeInTarget(const GradientContraction& grad, const MutableTensorView& target);

// The other operand as the planner will see it. Usually the operand itself. When
// the gradient contracts several axes that merge in grad_out but not in the other
// operand (the Keras seed: y (B, 12, K, 8) contracted over 12 and 8 around K), the
// planner would route the whole gradient to the reference loop (measured 70x
// slower on the seed); then this holds a C-ordered copy of the other operand with
// those axes innermost, in grad_out's order, so they merge. This is the only copy
// of an input a gradient makes (besides the promoted-dtype conversion of mixed
// inputs), and it is of the other operand, never of grad_out.
class OperandForPlanner {
 public:
  OperandForPlanner(const GradientContraction& grad, const TensorView& g, const TensorView& other);
  OperandForPlanner(const OperandForPlanner&) = delete;
  OperandForPlanner& operator=(const OperandForPlanner&) = delete;

 private:
  Tensor copy_;
  std::vector<int64_t> strides_;

 public:
  TensorView view;
};

}  // namespace batchdot::gradients
