// Execute = Prepare + Run (prepare.cpp, run_plan.cpp) on a plan kept on the
// stack, after converting operands of another dtype than the contraction's: the
// one case that copies an input.
#include "batchdot/batchdot.hpp"
#include "core/convert.hpp"
#include "runtime/output_checks.hpp"
#include "runtime/prepared_state.hpp"

namespace batchdot {
namespace {

void PrepareAndRun(const Contraction& c, const TensorView& x, const TensorView& y, const MutableTensorView& out,
                   const Options& options) {
  runtime::PreparedState s;
  runtime::PrepareState(c, x, y, out, options, s);
  s.run(s, x.data, y.data, out.data);
}

}  // namespace

void Execute(const Contraction& c, const TensorView& x, const TensorView& y, const MutableTensorView& out,
             const Options& options) {
  if (x.dtype == c.dtype && y.dtype == c.dtype) {
    PrepareAndRun(c, x, y, out, options);
    return;
  }
  // Check against the caller's operands (overlap included) before copying them.
  runtime::CheckOutput(c, x, y, out);
  const SameDTypeOperands operands(c.dtype, x, y);
  PrepareAndRun(c, operands.x, operands.y, out, options);
}

Tensor Execute(const Contraction& c, const TensorView& x, const TensorView& y, const Options& options) {
  // Every element is written below (k == 0 writes zeros), so skip zeroing.
  Tensor result = Tensor::Uninitialized(c.dtype, c.output_shape);
  Execute(c, x, y, result.mutable_view(), options);
  return result;
}

}  // namespace batchdot
