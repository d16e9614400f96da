#include "runtime/output_checks.hpp"

#include <string>
#include <utility>

#include "core/error_text.hpp"
#include "core/view_checks.hpp"

namespace batchdot::runtime {

using core::Fail;
using core::ShapeString;

void CheckOutput(const Contraction& c, const TensorView& x, const TensorView& y, const MutableTensorView& out) {
  core::CheckWellFormed("x", x.data, x.shape, x.strides_elems);
  core::CheckWellFormed("y", y.data, y.shape, y.strides_elems);
  core::CheckWellFormed("out", out.data, out.shape, out.strides_elems);
  if (!std::equal(out.shape.begin(), out.shape.end(), c.output_shape.begin(), c.output_shape.end())) {
    Fail(ErrorKind::kShape, "out has shape " + ShapeString(out.shape) + ", the result needs " +
                                ShapeString(c.output_shape));
  }
  if (out.dtype != c.dtype) {
    Fail(ErrorKind::kDType, "out has dtype " + std::string(Name(out.dtype)) + ", the result needs " +
                                std::string(Name(c.dtype)));
  }
  const TensorView o = out.as_const();
  core::CheckNoSelfOverlap("out", o, "pass a contiguous output");
  for (const auto& [name, in] : {std::pair<const char*, const TensorView*>{"x", &x}, {"y", &y}}) {
    core::CheckDisjoint("out", o, name, *in, ": the output must not share memory with an input",
                        "pass an output that shares no memory with the inputs");
  }
}

}  // namespace batchdot::runtime
