// mindspore::Resolve for operands whose element type batchdot has no DType for
// (NumPy's bool, int8, uint8, float128, ...), so that the bindings need not
// patch its message: MindSpore reports such a dtype right after the ranks, by
// its own name ('Int8'), and the caller passes that name through.
#pragma once

#include <string_view>

#include "batchdot/batchdot.hpp"

namespace batchdot::mindspore {

// As Resolve; `x1_dtype_name` / `x2_dtype_name` (NumPy names, empty: the view's
// dtype) are the element types the dtype check sees and reports.
Contraction ResolveNamed(const TensorView& x1, const TensorView& x2, const AxesArg& axes,
                         std::string_view x1_dtype_name, std::string_view x2_dtype_name);

}  // namespace batchdot::mindspore
