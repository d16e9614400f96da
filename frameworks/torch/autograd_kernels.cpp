// Autograd for the batchdot operators, in C++ (the Autograd dispatch key), so a
// backward never goes back through Python and TorchScript programs differentiate too.
//
// out = f(x, y) is bilinear. Its backward is ONE call of the matching *_grad
// operator on (conj(x), conj(y), g): PyTorch's convention for complex gradients
// (grad_x = g·conj(y)ᵀ) on batchdot's linear transpose rule. The *_grad operator is
// itself bilinear, with its own autograd, whose backward again needs only the
// forward and *_grad operators (derivation in docs/frameworks/torch.md), so double
// and higher backward (gradgradcheck) work without restating the transpose rule.
// Every call goes through the dispatcher, never the raw kernel.
#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/csrc/autograd/custom_function.h>
#include <torch/library.h>

#include <array>
#include <vector>

#include "operators.hpp"

namespace batchdot::torch_ops {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

at::Tensor Conj(const at::Tensor& t) { return t.is_complex() ? t.conj() : t; }

bool NeedsGraph(std::initializer_list<const at::Tensor*> inputs) {
  if (!at::GradMode::is_enabled()) return false;  // torch.no_grad: nothing saved
  for (const at::Tensor* t : inputs) {
    if (t->defined() && t->requires_grad()) return true;
  }
  return false;
}

at::Tensor Sum(const at::Tensor& a, const at::Tensor& b) {
  if (!a.defined()) return b;
  return b.defined() ? a + b : a;
}

// The static arguments of one family (keras, mindspore, dot_general) as one IValue
// (what AutogradContext::saved_data holds), and the dispatcher calls on them.

struct KerasOps {
  static constexpr const char* kForward = "batchdot::batch_dot";
  static constexpr const char* kGrad = "batchdot::batch_dot_grad";
};
struct MindSporeOps {
  static constexpr const char* kForward = "batchdot::mindspore_batch_dot";
  static constexpr const char* kGrad = "batchdot::mindspore_batch_dot_grad";
};

template <typename Ops>
struct AxesFamily {
  using Forward = at::Tensor(const at::Tensor&, const at::Tensor&, at::OptionalIntArrayRef);
  using Grad = GradPair(const at::Tensor&, const at::Tensor&, at::OptionalIntArrayRef, const at::Tensor&,
                        std::array<bool, 2>);

  static c10::IValue Pack(at::OptionalIntArrayRef axes) {
    return axes.has_value() ? c10::IValue(axes->vec()) : c10::IValue();
  }
  static at::Tensor Call(const at::Tensor& x, const at::Tensor& y, const c10::IValue& args) {
    static const auto op = c10::Dispatcher::singleton().findSchemaOrThrow(Ops::kForward, "").template typed<Forward>();
    if (args.isNone()) return op.call(x, y, c10::nullopt);
    const std::vector<int64_t> axes = args.toIntVector();
    return op.call(x, y, at::IntArrayRef(axes));
  }
  static GradPair CallGrad(const at::Tensor& x, const at::Tensor& y, const c10::IValue& args, const at::Tensor& g,
                           std::array<bool, 2> mask) {
    static const auto op = c10::Dispatcher::singleton().findSchemaOrThrow(Ops::kGrad, "").template typed<Grad>();
    if (args.isNone()) return op.call(x, y, c10::nullopt, g, mask);
    const std::vector<int64_t> axes = args.toIntVector();
    return op.call(x, y, at::IntArrayRef(axes), g, mask);
  }
};

struct DotGeneralFamily {
  using Forward = at::Tensor(const at::Tensor&, const at::Tensor&, at::IntArrayRef, at::IntArrayRef,
                             at::IntArrayRef, at::IntArrayRef);
  using Grad = GradPair(const at::Tensor&, const at::Tensor&, at::IntArrayRef, at::IntArrayRef, at::IntArrayRef,
                        at::IntArrayRef, const at::Tensor&, std::array<bool, 2>);

  static c10::IValue Pack(at::IntArrayRef lc, at::IntArrayRef rc, at::IntArrayRef lb, at::IntArrayRef rb) {
    return c10::ivalue::Tuple::create({c10::IValue(lc.vec()), c10::IValue(rc.vec()), c10::IValue(lb.vec()),
                                       c10::IValue(rb.vec())});
  }
  static std::array<std::vector<int64_t>, 4> Unpack(const c10::IValue& args) {
    const auto& items = args.toTupleRef().elements();
    return {items[0].toIntVector(), items[1].toIntVector(), items[2].toIntVector(), items[3].toIntVector()};
  }
  static at::Tensor Call(const at::Tensor& x, const at::Tensor& y, const c10::IValue& args) {
    static const auto op =
        c10::Dispatcher::singleton().findSchemaOrThrow("batchdot::dot_general", "").typed<Forward>();
    const auto d = Unpack(args);
    return op.call(x, y, d[0], d[1], d[2], d[3]);
  }
  static GradPair CallGrad(const at::Tensor& x, const at::Tensor& y, const c10::IValue& args, const at::Tensor& g,
                           std::array<bool, 2> mask) {
    static const auto op =
        c10::Dispatcher::singleton().findSchemaOrThrow("batchdot::dot_general_grad", "").typed<Grad>();
    const auto d = Unpack(args);
    return op.call(x, y, d[0], d[1], d[2], d[3], g, mask);
  }
};

// out = f(x, y).
template <typename F>
class ProductFunction : public torch::autograd::Function<ProductFunction<F>> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& y, c10::IValue args) {
    at::AutoDispatchBelowADInplaceOrView below_autograd;
    ctx->save_for_backward({x, y});
    ctx->saved_data["args"] = args;
    return F::Call(x, y, args);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const variable_list saved = ctx->get_saved_variables();
    const std::array<bool, 2> wanted{ctx->needs_input_grad(0), ctx->needs_input_grad(1)};
    auto [grad_x, grad_y] = F::CallGrad(Conj(saved[0]), Conj(saved[1]), ctx->saved_data["args"], grads[0], wanted);
    return {grad_x, grad_y, at::Tensor()};
  }
};

// (grad_x, grad_y) = (Gx(g, y), Gy(x, g)), each linear in g and in its other operand
// (x only lends its shape to grad_x). With cotangents (u, v) of its outputs:
//   d x = Gx(conj(g), v)   d y = Gy(u, conj(g))   d g = f(u, conj(y)) + f(conj(x), v)
// (for real tensors conj is the identity; for complex ones it is PyTorch's convention).
template <typename F>
class ProductGradFunction : public torch::autograd::Function<ProductGradFunction<F>> {
 public:
  static variable_list forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& y, const at::Tensor& g,
                               c10::IValue args, std::array<bool, 2> mask) {
    at::AutoDispatchBelowADInplaceOrView below_autograd;
    ctx->save_for_backward({x, y, g});
    ctx->saved_data["args"] = args;
    auto [grad_x, grad_y] = F::CallGrad(x, y, args, g, mask);
    return {grad_x, grad_y};
  }
  static variable_list backward(AutogradContext* ctx, variable_list cotangents) {
    const variable_list saved = ctx->get_saved_variables();
    const at::Tensor &x = saved[0], &y = saved[1], &g = saved[2];
    const at::Tensor &u = cotangents[0], &v = cotangents[1];
    const c10::IValue& args = ctx->saved_data["args"];
    at::Tensor dx, dy, dg;
    if (ctx->needs_input_grad(0) && v.defined()) dx = std::get<0>(F::CallGrad(x, v, args, Conj(g), {true, false}));
    if (ctx->needs_input_grad(1) && u.defined()) dy = std::get<1>(F::CallGrad(u, y, args, Conj(g), {false, true}));
    if (ctx->needs_input_grad(2)) {
      dg = Sum(u.defined() ? F::Call(u, Conj(y), args) : at::Tensor(),
               v.defined() ? F::Call(Conj(x), v, args) : at::Tensor());
    }
    return {dx, dy, dg, at::Tensor(), at::Tensor()};
  }
};

template <typename F>
at::Tensor Forward(const at::Tensor& x, const at::Tensor& y, c10::IValue args) {
  if (!NeedsGraph({&x, &y})) {
    at::AutoDispatchBelowADInplaceOrView below_autograd;
    return F::Call(x, y, args);
  }
  return ProductFunction<F>::apply(x, y, std::move(args));
}

template <typename F>
GradPair Backward(const at::Tensor& x, const at::Tensor& y, const at::Tensor& g, c10::IValue args,
                  std::array<bool, 2> mask) {
  if (!NeedsGraph({&x, &y, &g})) {
    at::AutoDispatchBelowADInplaceOrView below_autograd;
    return F::CallGrad(x, y, args, g, mask);
  }
  const variable_list out = ProductGradFunction<F>::apply(x, y, g, std::move(args), mask);
  return {out[0], out[1]};
}

using Keras = AxesFamily<KerasOps>;
using MindSpore = AxesFamily<MindSporeOps>;

at::Tensor BatchDotAutograd(const at::Tensor& x, const at::Tensor& y, at::OptionalIntArrayRef axes) {
  return Forward<Keras>(x, y, Keras::Pack(axes));
}
at::Tensor MindSporeBatchDotAutograd(const at::Tensor& x, const at::Tensor& y, at::OptionalIntArrayRef axes) {
  return Forward<MindSpore>(x, y, MindSpore::Pack(axes));
}
at::Tensor DotGeneralAutograd(const at::Tensor& x, const at::Tensor& y, at::IntArrayRef lc, at::IntArrayRef rc,
                              at::IntArrayRef lb, at::IntArrayRef rb) {
  return Forward<DotGeneralFamily>(x, y, DotGeneralFamily::Pack(lc, rc, lb, rb));
}
GradPair BatchDotGradAutograd(const at::Tensor& x, const at::Tensor& y, at::OptionalIntArrayRef axes,
                              const at::Tensor& g, std::array<bool, 2> mask) {
  return Backward<Keras>(x, y, g, Keras::Pack(axes), mask);
}
GradPair MindSporeBatchDotGradAutograd(const at::Tensor& x, const at::Tensor& y, at::OptionalIntArrayRef axes,
                                       const at::Tensor& g, std::array<bool, 2> mask) {
  return Backward<MindSpore>(x, y, g, MindSpore::Pack(axes), mask);
}
GradPair DotGeneralGradAutograd(const at::Tensor& x, const at::Tensor& y, at::IntArrayRef lc, at::IntArrayRef rc,
                                at::IntArrayRef lb, at::IntArrayRef rb, const at::Tensor& g,
                                std::array<bool, 2> mask) {
  return Backward<DotGeneralFamily>(x, y, g, DotGeneralFamily::Pack(lc, rc, lb, rb), mask);
}

}  // namespace
}  // namespace batchdot::torch_ops

TORCH_LIBRARY_IMPL(batchdot, Autograd, m) {
  using namespace batchdot::torch_ops;
  m.impl("batch_dot", &BatchDotAutograd);
  m.impl("mindspore_batch_dot", &MindSporeBatchDotAutograd);
  m.impl("dot_general", &DotGeneralAutograd);
  m.impl("batch_dot_grad", &BatchDotGradAutograd);
  m.impl("mindspore_batch_dot_grad", &MindSporeBatchDotGradAutograd);
  m.impl("dot_general_grad", &DotGeneralGradAutograd);
}
