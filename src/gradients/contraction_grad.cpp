// The transpose rule (jax/_src/lax/lax.py, _dot_general_transpose_lhs/_rhs) on
// batchdot's Contraction, and the checks and runs around it.
#include "gradients/contraction_grad.hpp"

#include <algorithm>
#include <numeric>
#include <string>

#include "gradients/layout_choice.hpp"
#include "gradients/strided_store.hpp"
#include "core/error_text.hpp"
#include "core/view_checks.hpp"

namespace batchdot::gradients {
namespace {

using core::Fail;
using core::ShapeString;

// One operand's axis roles in the forward contraction.
struct Side {
  const std::vector<int64_t>& batch;
  const std::vector<int64_t>& contracting;
  const std::vector<int64_t>& free;
};

std::vector<int64_t> Range(int64_t begin, int64_t count) {
  std::vector<int64_t> axes(static_cast<size_t>(count));
  std::iota(axes.begin(), axes.end(), begin);
  return axes;
}

// The gradient of `target` (whose free axes start at g_target_begin in grad_out)
// as a contraction of grad_out with `other` (free axes at g_other_begin).
GradientContraction Transpose(const Contraction& forward, const Side& target, const Side& other,
                              int64_t g_target_begin, int64_t g_other_begin,
                              std::span<const int64_t> target_shape) {
  const auto nb = static_cast<int64_t>(forward.lhs_batch.size());
  GradientContraction grad;
  Contraction& c = grad.c;
  c.lhs_batch = Range(0, nb);
  c.rhs_batch = other.batch;
  c.lhs_contracting = Range(g_other_begin, static_cast<int64_t>(other.free.size()));
  c.rhs_contracting = other.free;
  c.lhs_free = Range(g_target_begin, static_cast<int64_t>(target.free.size()));
  // The other operand's remaining axes are its contracted ones, ascending; each
  // pairs with the target axis it was contracted with.
  c.rhs_free = other.contracting;
  std::sort(c.rhs_free.begin(), c.rhs_free.end());
  grad.target_axis = target.batch;
  grad.target_axis.insert(grad.target_axis.end(), target.free.begin(), target.free.end());
  for (int64_t axis : c.rhs_free) {
    const auto at = std::find(other.contracting.begin(), other.contracting.end(), axis) - other.contracting.begin();
    grad.target_axis.push_back(target.contracting[static_cast<size_t>(at)]);
  }
  for (int64_t axis : grad.target_axis) c.output_shape.push_back(target_shape[axis]);
  c.dtype = forward.dtype;
  return grad;
}

}  // namespace

GradientContraction OtherFirst(const GradientContraction& grad) {
  GradientContraction swapped;
  swapped.other_first = !grad.other_first;
  const Contraction& c = grad.c;
  Contraction& s = swapped.c;
  s.lhs_batch = c.rhs_batch;
  s.rhs_batch = c.lhs_batch;
  s.lhs_contracting = c.rhs_contracting;
  s.rhs_contracting = c.lhs_contracting;
  s.lhs_free = c.rhs_free;
  s.rhs_free = c.lhs_free;
  s.dtype = c.dtype;
  // Output blocks: batch, lhs free, rhs free -> batch, rhs free, lhs free.
  const size_t nb = c.lhs_batch.size(), nl = c.lhs_free.size();
  for (const auto& [from, to] : {std::pair<size_t, size_t>{0, nb}, {nb + nl, c.output_shape.size()}, {nb, nb + nl}}) {
    for (size_t i = from; i < to; ++i) {
      swapped.target_axis.push_back(grad.target_axis[i]);
      s.output_shape.push_back(c.output_shape[i]);
    }
  }
  return swapped;
}

namespace {

// A view of `out` with axes permuted by `axes` (new axis i = old axis axes[i]).
struct PermutedView {
  std::vector<int64_t> shape, strides;
  MutableTensorView view;
  PermutedView(const MutableTensorView& out, const std::vector<int64_t>& axes) {
    for (int64_t axis : axes) {
      shape.push_back(out.shape[axis]);
      strides.push_back(out.strides_elems[axis]);
    }
    view = {out.data, out.dtype, shape, strides};
  }
};

constexpr const char* kDisjointRemedy = "pass gradient buffers that share no memory with the inputs or each other";

void CheckTarget(const char* api, const std::string& name, const MutableTensorView& grad, const TensorView& input,
                 const char* input_name) {
  if (grad.shape.size() != grad.strides_elems.size()) {
    Fail(ErrorKind::kShape, std::string(api) + ": " + name + " has " + std::to_string(grad.shape.size()) +
                                " dims but " + std::to_string(grad.strides_elems.size()) + " strides");
  }
  if (!std::equal(grad.shape.begin(), grad.shape.end(), input.shape.begin(), input.shape.end())) {
    Fail(ErrorKind::kShape, std::string(api) + ": " + name + " has shape " + ShapeString(grad.shape) + ", " +
                                input_name + " has shape " + ShapeString(input.shape));
  }
  if (grad.dtype != input.dtype) {
    Fail(ErrorKind::kDType, std::string(api) + ": " + name + " has dtype " + std::string(Name(grad.dtype)) +
                                ", " + input_name + " has dtype " + std::string(Name(input.dtype)));
  }
  if (grad.num_elements() > 0 && grad.data == nullptr) {
    Fail(ErrorKind::kShape, std::string(api) + ": " + name + " has no data pointer");
  }
  // On every path (direct, scratch, accumulate): a target reaching one element
  // through two indices would be written, or added into, twice.
  core::CheckNoSelfOverlap(std::string(api) + ": " + name, grad.as_const(), "pass a contiguous gradient buffer");
}

void CheckGradOut(const char* api, const Contraction& forward, const TensorView& grad_out) {
  if (grad_out.shape.size() != grad_out.strides_elems.size()) {
    Fail(ErrorKind::kShape, std::string(api) + ": grad_out has " + std::to_string(grad_out.shape.size()) +
                                " dims but " + std::to_string(grad_out.strides_elems.size()) + " strides");
  }
  if (!std::equal(grad_out.shape.begin(), grad_out.shape.end(), forward.output_shape.begin(),
                  forward.output_shape.end())) {
    Fail(ErrorKind::kShape, std::string(api) + ": grad_out has shape " + ShapeString(grad_out.shape) +
                                ", the output has shape " + ShapeString(forward.output_shape));
  }
  if (grad_out.dtype != forward.dtype) {
    Fail(ErrorKind::kDType, std::string(api) + ": grad_out has dtype " + std::string(Name(grad_out.dtype)) +
                                ", the output has dtype " + std::string(Name(forward.dtype)));
  }
}

// Runs one gradient into `target`: straight into its permuted strides when the
// dtype matches, nothing is accumulated and the strides keep the kernel calls
// large; else into a contiguous scratch result that StoreStrided converts, adds
// (the kernels only overwrite: beta = 0) or scatters.
void RunOne(const GradientContraction& natural, const TensorView& g, const TensorView& other_in,
            const MutableTensorView& target, bool accumulate, const Options& options) {
  const GradientContraction grad = OrientForTarget(natural, target);
  const OperandForPlanner other(grad, g, other_in);
  const TensorView& lhs = grad.other_first ? other.view : g;
  const TensorView& rhs = grad.other_first ? g : other.view;
  const PermutedView permuted(target, grad.target_axis);
  if (!accumulate && target.dtype == grad.c.dtype && BlocksMergeInTarget(grad, target)) {
    Execute(grad.c, lhs, rhs, permuted.view, options);
    return;
  }
  const Tensor scratch = Execute(grad.c, lhs, rhs, options);
  StoreStrided(scratch.view(), permuted.view, accumulate);
}

}  // namespace

GradientContraction GradientOfLhs(const Contraction& forward, std::span<const int64_t> x_shape) {
  const auto nb = static_cast<int64_t>(forward.lhs_batch.size());
  const auto nx = static_cast<int64_t>(forward.lhs_free.size());
  return Transpose(forward, {forward.lhs_batch, forward.lhs_contracting, forward.lhs_free},
                   {forward.rhs_batch, forward.rhs_contracting, forward.rhs_free}, nb, nb + nx, x_shape);
}

GradientContraction GradientOfRhs(const Contraction& forward, std::span<const int64_t> y_shape) {
  const auto nb = static_cast<int64_t>(forward.lhs_batch.size());
  const auto nx = static_cast<int64_t>(forward.lhs_free.size());
  return Transpose(forward, {forward.rhs_batch, forward.rhs_contracting, forward.rhs_free},
                   {forward.lhs_batch, forward.lhs_contracting, forward.lhs_free}, nb + nx, nb, y_shape);
}

void RunGradients(const char* api, const char* x_name, const char* y_name, const Contraction& forward,
                  const TensorView& x, const TensorView& y, const TensorView& grad_out,
                  const GradientTargets& targets, const Options& options) {
  CheckGradOut(api, forward, grad_out);
  const std::string gx_name = std::string("grad_") + x_name, gy_name = std::string("grad_") + y_name;
  if (targets.grad_x) CheckTarget(api, gx_name, *targets.grad_x, x, x_name);
  if (targets.grad_y) CheckTarget(api, gy_name, *targets.grad_y, y, y_name);
  // Every overlap a gradient could have, checked before anything is written (a
  // grad_x written over y would corrupt the grad_y computed after it).
  for (const MutableTensorView* target : {targets.grad_x, targets.grad_y}) {
    if (!target) continue;
    const std::string& name = target == targets.grad_x ? gx_name : gy_name;
    const TensorView t = target->as_const();
    const std::pair<const char*, TensorView> others[] = {{x_name, x}, {y_name, y}, {"grad_out", grad_out}};
    for (const auto& [other_name, other] : others) {
      core::CheckDisjoint(std::string(api) + ": " + name, t, other_name, other,
                          "; a gradient must not share memory with the inputs", kDisjointRemedy);
    }
  }
  if (targets.grad_x && targets.grad_y) {
    core::CheckDisjoint(std::string(api) + ": " + gx_name, targets.grad_x->as_const(), gy_name,
                        targets.grad_y->as_const(), "", kDisjointRemedy);
  }
  // Keras' and MindSpore's (B, 1) for two rank-2 inputs: the unit axis is not an
  // axis of the contraction, so grad_out is viewed without it.
  const size_t g_rank = forward.lhs_batch.size() + forward.lhs_free.size() + forward.rhs_free.size();
  const TensorView g{grad_out.data, grad_out.dtype, grad_out.shape.first(g_rank),
                     grad_out.strides_elems.first(g_rank)};
  if (targets.grad_x) {
    RunOne(GradientOfLhs(forward, x.shape), g, y, *targets.grad_x, targets.accumulate, options);
  }
  if (targets.grad_y) {
    RunOne(GradientOfRhs(forward, y.shape), g, x, *targets.grad_y, targets.accumulate, options);
  }
}

Gradients RunGradientsOwning(const char* api, const char* x_name, const char* y_name, const Contraction& forward,
                             const TensorView& x, const TensorView& y, const TensorView& grad_out,
                             GradientsWanted wanted, const Options& options) {
  CheckGradOut(api, forward, grad_out);  // before allocating
  Gradients result;
  MutableTensorView gx, gy;
  GradientTargets targets;
  if (wanted != GradientsWanted::kYOnly) {
    result.grad_x = Tensor::Uninitialized(x.dtype, std::vector<int64_t>(x.shape.begin(), x.shape.end()));
    gx = result.grad_x.mutable_view();
    targets.grad_x = &gx;
  }
  if (wanted != GradientsWanted::kXOnly) {
    result.grad_y = Tensor::Uninitialized(y.dtype, std::vector<int64_t>(y.shape.begin(), y.shape.end()));
    gy = result.grad_y.mutable_view();
    targets.grad_y = &gy;
  }
  RunGradients(api, x_name, y_name, forward, x, y, grad_out, targets, options);
  return result;
}

}  // namespace batchdot::gradients
