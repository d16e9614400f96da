// The operator schemas and their CPU kernels: each resolves its axes with the C++
// core's own front end (keras::Resolve, mindspore::Resolve, ResolveDotGeneral or
// the *_grad calls, which check the same rules), lets torch allocate the result and
// has batchdot write it.
#include <torch/library.h>

#include <string>
#include <vector>

#include "operators.hpp"
#include "tensor_views.hpp"

namespace batchdot::torch_ops {
namespace {

AxesArg AxesFrom(at::OptionalIntArrayRef axes) {
  if (!axes.has_value()) return {};
  const at::IntArrayRef values = *axes;
  if (values.size() == 1) return AxesArg(values[0]);
  if (values.size() == 2) return AxesArg(values[0], values[1]);
  std::vector<AxesArg> items(values.begin(), values.end());
  return AxesArg::Sequence(std::move(items));
}

DotDimensionNumbers DimsFrom(at::IntArrayRef lc, at::IntArrayRef rc, at::IntArrayRef lb, at::IntArrayRef rb) {
  return {lc.vec(), rc.vec(), lb.vec(), rb.vec()};
}

at::Tensor Run(const Contraction& c, const Operand& x, const Operand& y) {
  const at::Tensor out = at::empty(c.output_shape, x.tensor.options().dtype(ScalarTypeOf(c.dtype)));
  Execute(c, x.view, y.view, Writable(out), CallOptions());
  return out;
}

// A Python value of `axes` (eager calls only: int, bool, float, str, nested
// sequences...) as the core's AxesArg, so the core, not this binding, decides
// which it accepts and with which error.
AxesArg AxesFromValue(const c10::IValue& value) {
  if (value.isNone()) return {};
  if (value.isBool()) return AxesArg::Bool(value.toBool());
  if (value.isInt()) return AxesArg(value.toInt());
  if (value.isDouble()) return AxesArg::Float(value.toDouble());
  if (value.isTuple() || value.isList()) {
    std::vector<AxesArg> items;
    if (value.isTuple()) {
      for (const c10::IValue& item : value.toTupleRef().elements()) items.push_back(AxesFromValue(item));
    } else {
      for (const c10::IValue& item : value.toListRef()) items.push_back(AxesFromValue(item));
    }
    return AxesArg::Sequence(std::move(items), value.isTuple());
  }
  if (value.isString()) return AxesArg::Other("str");
  return AxesArg::Other(value.tagKind());
}

// The resolved pair of a Contraction, as the int[] the operators take.
std::vector<int64_t> AxesPair(const Contraction& c) { return {c.lhs_contracting.at(0), c.rhs_contracting.at(0)}; }

std::vector<int64_t> KerasAxes(const at::Tensor& x, const at::Tensor& y, const c10::IValue& axes) {
  return Translated([&] {
    return AxesPair(keras::Resolve(Borrow(x, "x").view, Borrow(y, "y").view, AxesFromValue(axes)));
  });
}

std::vector<int64_t> MindSporeAxes(const at::Tensor& x, const at::Tensor& y, const c10::IValue& axes) {
  return Translated([&] {
    return AxesPair(mindspore::Resolve(Borrow(x, "x1").view, Borrow(y, "x2").view, AxesFromValue(axes)));
  });
}

void SetNumThreadsOp(int64_t n) { Translated([&] { SetNumThreads(n); }); }

}  // namespace

at::Tensor BatchDot(const at::Tensor& x, const at::Tensor& y, at::OptionalIntArrayRef axes) {
  return Translated([&] {
    const Operand a = Borrow(x, "x"), b = Borrow(y, "y");
    return Run(keras::Resolve(a.view, b.view, AxesFrom(axes)), a, b);
  });
}

at::Tensor MindSporeBatchDot(const at::Tensor& x, const at::Tensor& y, at::OptionalIntArrayRef axes) {
  return Translated([&] {
    const Operand a = Borrow(x, "x1"), b = Borrow(y, "x2");
    return Run(mindspore::Resolve(a.view, b.view, AxesFrom(axes)), a, b);
  });
}

at::Tensor DotGeneral(const at::Tensor& lhs, const at::Tensor& rhs, at::IntArrayRef lc, at::IntArrayRef rc,
                      at::IntArrayRef lb, at::IntArrayRef rb) {
  return Translated([&] {
    const Operand a = Borrow(lhs, "lhs"), b = Borrow(rhs, "rhs");
    return Run(ResolveDotGeneral(a.view, b.view, DimsFrom(lc, rc, lb, rb)), a, b);
  });
}

GradPair BatchDotGrad(const at::Tensor& x, const at::Tensor& y, at::OptionalIntArrayRef axes,
                      const at::Tensor& grad, std::array<bool, 2> output_mask) {
  return Translated([&] {
    const Operand a = Borrow(x, "x"), b = Borrow(y, "y"), g = Borrow(grad, "grad");
    GradientOutputs out(x, y, output_mask);
    keras::batch_dot_grad(a.view, b.view, AxesFrom(axes), g.view, out.targets, CallOptions());
    return GradPair(out.grad_x, out.grad_y);
  });
}

GradPair MindSporeBatchDotGrad(const at::Tensor& x, const at::Tensor& y, at::OptionalIntArrayRef axes,
                               const at::Tensor& grad, std::array<bool, 2> output_mask) {
  return Translated([&] {
    const Operand a = Borrow(x, "x1"), b = Borrow(y, "x2"), g = Borrow(grad, "grad");
    GradientOutputs out(x, y, output_mask);
    mindspore::batch_dot_grad(a.view, b.view, AxesFrom(axes), g.view, out.targets, CallOptions());
    return GradPair(out.grad_x, out.grad_y);
  });
}

GradPair DotGeneralGrad(const at::Tensor& lhs, const at::Tensor& rhs, at::IntArrayRef lc, at::IntArrayRef rc,
                        at::IntArrayRef lb, at::IntArrayRef rb, const at::Tensor& grad,
                        std::array<bool, 2> output_mask) {
  return Translated([&] {
    const Operand a = Borrow(lhs, "lhs"), b = Borrow(rhs, "rhs"), g = Borrow(grad, "grad");
    GradientOutputs out(lhs, rhs, output_mask);
    dot_general_grad(a.view, b.view, DimsFrom(lc, rc, lb, rb), g.view, out.targets, CallOptions());
    return GradPair(out.grad_x, out.grad_y);
  });
}

}  // namespace batchdot::torch_ops

TORCH_LIBRARY(batchdot, m) {
  m.def("batch_dot(Tensor x, Tensor y, int[]? axes=None) -> Tensor");
  m.def("mindspore_batch_dot(Tensor x1, Tensor x2, int[]? axes=None) -> Tensor");
  m.def("dot_general(Tensor lhs, Tensor rhs, int[] lhs_contracting, int[] rhs_contracting, int[] lhs_batch, "
        "int[] rhs_batch) -> Tensor");
  m.def("batch_dot_grad(Tensor x, Tensor y, int[]? axes, Tensor grad, bool[2] output_mask) -> (Tensor, Tensor)");
  m.def("mindspore_batch_dot_grad(Tensor x1, Tensor x2, int[]? axes, Tensor grad, bool[2] output_mask) -> "
        "(Tensor, Tensor)");
  m.def("dot_general_grad(Tensor lhs, Tensor rhs, int[] lhs_contracting, int[] rhs_contracting, "
        "int[] lhs_batch, int[] rhs_batch, Tensor grad, bool[2] output_mask) -> (Tensor, Tensor)");
  // Eager helpers: any Python `axes` value through the core's own axes rules, to the
  // normalised pair (or the core's TypeError / ValueError).
  m.def("keras_axes(Tensor x, Tensor y, Any axes) -> int[]", &batchdot::torch_ops::KerasAxes);
  m.def("mindspore_axes(Tensor x1, Tensor x2, Any axes) -> int[]", &batchdot::torch_ops::MindSporeAxes);
  m.def("set_num_threads(int n) -> ()", &batchdot::torch_ops::SetNumThreadsOp);
}

TORCH_LIBRARY_IMPL(batchdot, CPU, m) {
  using namespace batchdot::torch_ops;
  m.impl("batch_dot", &BatchDot);
  m.impl("mindspore_batch_dot", &MindSporeBatchDot);
  m.impl("dot_general", &DotGeneral);
  m.impl("batch_dot_grad", &BatchDotGrad);
  m.impl("mindspore_batch_dot_grad", &MindSporeBatchDotGrad);
  m.impl("dot_general_grad", &DotGeneralGrad);
}
