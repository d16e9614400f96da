#include "runtime/output_checks.hpp"

#include <string>

#include "semantics/messages.hpp"

namespace batchdot::runtime {
namespace {

using semantics::Fail;
using semantics::ShapeString;

void CheckView(const char* name, const void* data, std::span<const int64_t> shape,
               std::span<const int64_t> strides) {
  if (shape.size() != strides.size()) {
    Fail(ErrorKind::kShape, std::string(name) + " has " + std::to_string(shape.size()) + " dims but " +
                                std::to_string(strides.size()) + " strides");
  }
  int64_t count = 1;
  for (int64_t d : shape) {
    if (d < 0) Fail(ErrorKind::kShape, std::string(name) + " has a negative dimension: " + ShapeString(shape));
    count *= d;
  }
  if (count > 0 && data == nullptr) Fail(ErrorKind::kShape, std::string(name) + " has no data pointer");
}

// [first, last] byte addresses a view touches; false when it has no elements.
bool ByteExtent(const void* data, DType dtype, std::span<const int64_t> shape, std::span<const int64_t> strides,
                intptr_t& first, intptr_t& last) {
  int64_t low = 0, high = 0;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 0) return false;
    const int64_t span = (shape[i] - 1) * strides[i];
    (span < 0 ? low : high) += span;
  }
  const auto base = reinterpret_cast<intptr_t>(data);
  const auto item = static_cast<intptr_t>(SizeOf(dtype));
  first = base + low * item;
  last = base + high * item + item - 1;
  return true;
}

bool Overlaps(const MutableTensorView& out, const TensorView& in) {
  intptr_t out_first, out_last, in_first, in_last;
  if (!ByteExtent(out.data, out.dtype, out.shape, out.strides_elems, out_first, out_last)) return false;
  if (!ByteExtent(in.data, in.dtype, in.shape, in.strides_elems, in_first, in_last)) return false;
  return out_first <= in_last && in_first <= out_last;
}

}  // namespace

void CheckOutput(const Contraction& c, const TensorView& x, const TensorView& y, const MutableTensorView& out) {
  CheckView("x", x.data, x.shape, x.strides_elems);
  CheckView("y", y.data, y.shape, y.strides_elems);
  CheckView("out", out.data, out.shape, out.strides_elems);
  if (!std::equal(out.shape.begin(), out.shape.end(), c.output_shape.begin(), c.output_shape.end())) {
    Fail(ErrorKind::kShape, "out has shape " + ShapeString(out.shape) + ", the result needs " +
                                ShapeString(c.output_shape));
  }
  if (out.dtype != c.dtype) {
    Fail(ErrorKind::kDType, "out has dtype " + std::string(Name(out.dtype)) + ", the result needs " +
                                std::string(Name(c.dtype)));
  }
  // An empty output has no elements to share memory (NumPy gives it zero strides).
  for (size_t i = 0; i < out.shape.size() && out.num_elements() > 0; ++i) {
    if (out.shape[i] > 1 && out.strides_elems[i] == 0) {
      Fail(ErrorKind::kShape, "out has stride 0 on axis " + std::to_string(i) + " of size " +
                                  std::to_string(out.shape[i]) + ": its elements would share memory");
    }
  }
  if (Overlaps(out, x) || Overlaps(out, y)) {
    Fail(ErrorKind::kShape, std::string("out overlaps ") + (Overlaps(out, x) ? "x" : "y") +
                                ": the output must not share memory with an input");
  }
}

}  // namespace batchdot::runtime
