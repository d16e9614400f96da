// The public gradient entry points: each resolves the forward call with its own
// front end's rules (so its checks, in its order, and MindSpore's float32-only
// rule apply), then hands the Contraction to the shared transpose rule.
#include "batchdot/grad.hpp"
#include "gradients/contraction_grad.hpp"

namespace batchdot {

namespace keras {
Gradients batch_dot_grad(const TensorView& x, const TensorView& y, const AxesArg& axes, const TensorView& grad_out,
                         GradientsWanted wanted, const Options& options) {
  return gradients::RunGradientsOwning("batch_dot_grad", "x", "y", Resolve(x, y, axes), x, y, grad_out, wanted,
                                       options);
}
void batch_dot_grad(const TensorView& x, const TensorView& y, const AxesArg& axes, const TensorView& grad_out,
                    const GradientTargets& targets, const Options& options) {
  gradients::RunGradients("batch_dot_grad", "x", "y", Resolve(x, y, axes), x, y, grad_out, targets, options);
}
}  // namespace keras

namespace mindspore {
Gradients batch_dot_grad(const TensorView& x1, const TensorView& x2, const AxesArg& axes,
                         const TensorView& grad_out, GradientsWanted wanted, const Options& options) {
  return gradients::RunGradientsOwning("batch_dot_grad", "x1", "x2", Resolve(x1, x2, axes), x1, x2, grad_out,
                                       wanted, options);
}
void batch_dot_grad(const TensorView& x1, const TensorView& x2, const AxesArg& axes, const TensorView& grad_out,
                    const GradientTargets& targets, const Options& options) {
  gradients::RunGradients("batch_dot_grad", "x1", "x2", Resolve(x1, x2, axes), x1, x2, grad_out, targets,
                          options);
}
}  // namespace mindspore

Gradients dot_general_grad(const TensorView& lhs, const TensorView& rhs, const DotDimensionNumbers& dims,
                           const TensorView& grad_out, GradientsWanted wanted, const Options& options) {
  return gradients::RunGradientsOwning("dot_general_grad", "lhs", "rhs", ResolveDotGeneral(lhs, rhs, dims), lhs,
                                       rhs, grad_out, wanted, options);
}
void dot_general_grad(const TensorView& lhs, const TensorView& rhs, const DotDimensionNumbers& dims,
                      const TensorView& grad_out, const GradientTargets& targets, const Options& options) {
  gradients::RunGradients("dot_general_grad", "lhs", "rhs", ResolveDotGeneral(lhs, rhs, dims), lhs, rhs,
                          grad_out, targets, options);
}

}  // namespace batchdot
