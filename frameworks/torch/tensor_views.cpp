#include "tensor_views.hpp"

#include <ATen/Parallel.h>

#include <span>
#include <string>

namespace batchdot::torch_ops {
namespace {

// torch's Python name of the dtypes batchdot refuses, for the error message.
std::string TorchName(at::ScalarType type) {
  switch (type) {
    case at::kBool: return "torch.bool";
    case at::kByte: return "torch.uint8";
    case at::kChar: return "torch.int8";
    case at::kShort: return "torch.int16";
    case at::kComplexHalf: return "torch.complex32";
    default: return c10::toString(type);
  }
}

DType DTypeOf(at::ScalarType type, const char* name) {
  switch (type) {
    case at::kFloat: return DType::kFloat32;
    case at::kDouble: return DType::kFloat64;
    case at::kInt: return DType::kInt32;
    case at::kLong: return DType::kInt64;
    case at::kHalf: return DType::kFloat16;
    case at::kBFloat16: return DType::kBFloat16;
    case at::kComplexFloat: return DType::kComplex64;
    case at::kComplexDouble: return DType::kComplex128;
    default:
      throw Error(ErrorKind::kDType, std::string("batchdot.torch: ") + name + " has dtype " + TorchName(type) +
                                         ", which batchdot does not compute; supported: float32, float64, "
                                         "float16, bfloat16, int32, int64, complex64, complex128");
  }
}

std::span<const int64_t> Span(at::IntArrayRef values) { return {values.data(), values.size()}; }

}  // namespace

Operand Borrow(const at::Tensor& t, const char* name) {
  if (!t.defined()) throw Error(ErrorKind::kShape, std::string("batchdot.torch: ") + name + " is an undefined tensor");
  if (!t.is_cpu() || t.layout() != at::kStrided) {
    throw Error(ErrorKind::kShape, std::string("batchdot.torch: ") + name + " is a " + c10::toString(t.layout()) +
                                       " tensor on device '" + t.device().str() +
                                       "'; batchdot computes on strided CPU tensors only");
  }
  Operand operand{t.is_conj() || t.is_neg() ? t.resolve_conj().resolve_neg() : t, {}};
  const at::Tensor& held = operand.tensor;
  operand.view = {held.data_ptr(), DTypeOf(held.scalar_type(), name), Span(held.sizes()), Span(held.strides())};
  return operand;
}

at::ScalarType ScalarTypeOf(DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return at::kFloat;
    case DType::kFloat64: return at::kDouble;
    case DType::kInt32: return at::kInt;
    case DType::kInt64: return at::kLong;
    case DType::kFloat16: return at::kHalf;
    case DType::kBFloat16: return at::kBFloat16;
    case DType::kComplex64: return at::kComplexFloat;
    case DType::kComplex128: return at::kComplexDouble;
  }
  throw Error(ErrorKind::kDType, "batchdot.torch: no torch dtype for " + std::string(Name(dtype)));
}

MutableTensorView Writable(const at::Tensor& t) {
  return {t.data_ptr(), DTypeOf(t.scalar_type(), "out"), Span(t.sizes()), Span(t.strides())};
}

GradientOutputs::GradientOutputs(const at::Tensor& x, const at::Tensor& y, std::array<bool, 2> wanted) {
  if (wanted[0]) {
    grad_x = at::empty(x.sizes(), x.options());
    view_x = Writable(grad_x);
    targets.grad_x = &view_x;
  }
  if (wanted[1]) {
    grad_y = at::empty(y.sizes(), y.options());
    view_y = Writable(grad_y);
    targets.grad_y = &view_y;
  }
}

Options CallOptions() {
  Options options;
  if (!NumThreadsSetExplicitly()) {
    const int torch_threads = at::get_num_threads();
    options.num_threads = torch_threads < 1 ? 1 : (torch_threads > kMaxThreads ? kMaxThreads : torch_threads);
  }
  return options;
}

void Rethrow(const Error& error) {
  const c10::SourceLocation where{__func__, __FILE__, static_cast<uint32_t>(__LINE__)};
  if (IsTypeError(error.kind())) throw c10::TypeError(where, error.what());
  throw c10::ValueError(where, error.what());
}

}  // namespace batchdot::torch_ops
