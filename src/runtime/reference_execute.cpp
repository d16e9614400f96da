// batchdot::ReferenceExecute: the oracle behind the same checks and dtype
// conversion as Execute, for tests and `batchdot run --reference`.
#include "batchdot/batchdot.hpp"
#include "core/convert.hpp"
#include "kernels/reference_dot_general.hpp"
#include "runtime/output_checks.hpp"

namespace batchdot {

void ReferenceExecute(const Contraction& c, const TensorView& x, const TensorView& y,
                      const MutableTensorView& out) {
  runtime::CheckOutput(c, x, y, out);
  const SameDTypeOperands operands(c.dtype, x, y);
  kernels::ReferenceDotGeneral(c, operands.x, operands.y, out);
}

}  // namespace batchdot
