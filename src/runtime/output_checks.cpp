#include "runtime/output_checks.hpp"

#include <string>
#include <utility>
#include <vector>

#include "runtime/memory_overlap.hpp"
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
  bool empty = false;
  for (int64_t d : shape) {
    if (d < 0) Fail(ErrorKind::kShape, std::string(name) + " has a negative dimension: " + ShapeString(shape));
    empty = empty || d == 0;
  }
  if (!empty && data == nullptr) Fail(ErrorKind::kShape, std::string(name) + " has no data pointer");
}

std::string StridesText(std::span<const int64_t> shape, std::span<const int64_t> strides) {
  return "shape " + ShapeString(shape) + ", element strides " + ShapeString(strides);
}

ByteLayout BytesOf(const void* data, DType dtype, std::span<const int64_t> shape, std::span<const int64_t> strides,
                   std::vector<int64_t>& byte_strides) {
  const auto item = static_cast<int64_t>(SizeOf(dtype));
  byte_strides.assign(strides.begin(), strides.end());
  for (int64_t& s : byte_strides) s *= item;
  return {reinterpret_cast<uintptr_t>(data), item, shape, byte_strides};
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
  std::vector<int64_t> out_bytes, in_bytes;
  const ByteLayout out_layout = BytesOf(out.data, out.dtype, out.shape, out.strides_elems, out_bytes);
  switch (HasInternalOverlap(out_layout)) {
    case Overlap::kNo: break;
    case Overlap::kYes:
      Fail(ErrorKind::kShape, "out's strides make some of its elements share memory (" +
                                  StridesText(out.shape, out.strides_elems) + ")");
    case Overlap::kTooHard:
      Fail(ErrorKind::kShape, "out may have elements that share memory: proving otherwise took more than " +
                                  std::to_string(kOverlapMaxWork) + " steps (" +
                                  StridesText(out.shape, out.strides_elems) + "); pass a contiguous output");
  }
  for (const auto& [name, in] : {std::pair<const char*, const TensorView*>{"x", &x}, {"y", &y}}) {
    const ByteLayout in_layout = BytesOf(in->data, in->dtype, in->shape, in->strides_elems, in_bytes);
    switch (SharesMemory(out_layout, in_layout)) {
      case Overlap::kNo: break;
      case Overlap::kYes:
        Fail(ErrorKind::kShape, std::string("out overlaps ") + name +
                                    ": the output must not share memory with an input");
      case Overlap::kTooHard:
        Fail(ErrorKind::kShape, std::string("out may overlap ") + name + ": proving otherwise took more than " +
                                    std::to_string(kOverlapMaxWork) +
                                    " steps; pass an output that shares no memory with the inputs");
    }
  }
}

}  // namespace batchdot::runtime
