// torch tensors as batchdot views (no copies), results allocated by torch, and
// batchdot errors as the c10 exceptions Python reports as ValueError/TypeError.
#pragma once

#include <ATen/ATen.h>

#include <array>
#include <utility>

#include "batchdot/batchdot.hpp"

namespace batchdot::torch_ops {

// An input as batchdot reads it: its data pointer, shape and element strides
// (whatever the layout: transposed, sliced, expanded). The view points into the
// tensor's own size and stride arrays, so `tensor` keeps them alive. A lazily
// conjugated or negated tensor is resolved first (it holds no memory of its values).
struct Operand {
  at::Tensor tensor;
  TensorView view;
};
Operand Borrow(const at::Tensor& t, const char* name);

at::ScalarType ScalarTypeOf(DType dtype);

// A writable view of a tensor just allocated by torch.
MutableTensorView Writable(const at::Tensor& t);

// The gradient tensors an owning *_grad call writes: wanted[i] allocates one with
// the input's shape and dtype (contiguous), else it stays undefined and its target
// is null so batchdot skips that contraction.
struct GradientOutputs {
  at::Tensor grad_x, grad_y;
  MutableTensorView view_x, view_y;
  GradientTargets targets;
  GradientOutputs(const at::Tensor& x, const at::Tensor& y, std::array<bool, 2> wanted);
  GradientOutputs(const GradientOutputs&) = delete;  // targets point at the views
};

// Threads follow torch (at::get_num_threads(), which torch.set_num_threads sets)
// unless batchdot.set_num_threads was called.
Options CallOptions();

// batchdot::Error -> c10::TypeError (kDType, kAxesType) or c10::ValueError, with
// batchdot's message: Python shows TypeError / ValueError, not RuntimeError.
[[noreturn]] void Rethrow(const Error& error);

template <typename Fn>
auto Translated(Fn&& fn) -> decltype(fn()) {
  try {
    return std::forward<Fn>(fn)();
  } catch (const Error& error) {
    Rethrow(error);
  }
}

}  // namespace batchdot::torch_ops
