// The core calls of the TensorFlow ops, in C++20 like batchdot itself (see core_bridge.h).
#include "core_bridge.h"

#include <exception>
#include <new>

#include "batchdot/batchdot.hpp"

namespace batchdot_tf {

namespace {

static_assert(static_cast<int>(ElementType::kComplex128) == static_cast<int>(batchdot::DType::kComplex128) &&
                  static_cast<int>(ElementType::kBFloat16) == static_cast<int>(batchdot::DType::kBFloat16) &&
                  static_cast<int>(ElementType::kInt64) == static_cast<int>(batchdot::DType::kInt64),
              "ElementType must list batchdot::DType's values in its order");

batchdot::DType ToDType(ElementType type) { return static_cast<batchdot::DType>(type); }

// A view of a dense row-major operand; owns the strides the view points at.
struct DenseView {
  std::vector<int64_t> strides;
  batchdot::TensorView view;
  DenseView(const void* data, ElementType type, const std::vector<int64_t>& shape)
      : strides(batchdot::ContiguousStrides(shape)), view{data, ToDType(type), shape, strides} {}
};
struct MutableDenseView {
  std::vector<int64_t> strides;
  batchdot::MutableTensorView view;
  MutableDenseView(void* data, ElementType type, const std::vector<int64_t>& shape)
      : strides(batchdot::ContiguousStrides(shape)), view{data, ToDType(type), shape, strides} {}
};

batchdot::AxesArg ToAxesArg(const std::vector<int64_t>& axes) {
  if (axes.empty()) return {};
  if (axes.size() == 1) return batchdot::AxesArg(axes[0]);
  return batchdot::AxesArg(axes[0], axes[1]);
}

batchdot::DotDimensionNumbers ToDims(const CallSpec& spec) {
  return {spec.lhs_contracting, spec.rhs_contracting, spec.lhs_batch, spec.rhs_batch};
}

batchdot::Contraction Resolve(const CallSpec& spec, const batchdot::TensorView& x, const batchdot::TensorView& y) {
  if (spec.dot_general) return batchdot::ResolveDotGeneral(x, y, ToDims(spec));
  return batchdot::keras::Resolve(x, y, ToAxesArg(spec.axes));
}

// Runs `body`, turning what it throws into a Problem (nothing escapes into TensorFlow).
template <typename Body>
Problem Guarded(Body&& body) {
  try {
    body();
    return {};
  } catch (const batchdot::Error& e) {
    const auto kind = e.kind() == batchdot::ErrorKind::kMemory ? Problem::Kind::kMemory : Problem::Kind::kInvalidArgument;
    return {kind, e.what()};
  } catch (const std::bad_alloc&) {
    return {Problem::Kind::kMemory, "batchdot: out of memory"};
  } catch (const std::exception& e) {
    return {Problem::Kind::kInternal, e.what()};
  }
}

}  // namespace

Problem ResolvePairing(const CallSpec& spec, int64_t x_rank, int64_t y_rank, Pairing* pairing) {
  return Guarded([&] {
    const std::vector<int64_t> xs(static_cast<size_t>(x_rank), 1), ys(static_cast<size_t>(y_rank), 1);
    const float stand_in = 0.0f;
    const std::vector<int64_t> xz(xs.size(), 0), yz(ys.size(), 0);  // zero strides: one element stands in
    const batchdot::TensorView xv{&stand_in, batchdot::DType::kFloat32, xs, xz};
    const batchdot::TensorView yv{&stand_in, batchdot::DType::kFloat32, ys, yz};
    const batchdot::Contraction c = Resolve(spec, xv, yv);
    *pairing = {c.lhs_batch, c.rhs_batch, c.lhs_contracting, c.rhs_contracting, c.lhs_free, c.rhs_free,
                c.output_shape.size() > c.lhs_batch.size() + c.lhs_free.size() + c.rhs_free.size()};
  });
}

Problem Forward(const CallSpec& spec, const Operand& x, const Operand& y, Allocate allocate, void* context,
                int num_threads) {
  return Guarded([&] {
    void* out_data = nullptr;
    const DenseView xd(x.data, x.type, x.shape), yd(y.data, y.type, y.shape);
    const batchdot::Contraction c = Resolve(spec, xd.view, yd.view);
    if (!allocate(context, c.output_shape, static_cast<ElementType>(c.dtype), &out_data)) return;
    const MutableDenseView od(out_data, static_cast<ElementType>(c.dtype), c.output_shape);
    batchdot::Options options;
    options.num_threads = num_threads;
    batchdot::Execute(c, xd.view, yd.view, od.view, options);
  });
}

Problem Backward(const CallSpec& spec, const Operand& x, const Operand& y, const Operand& grad_out,
                 const MutableOperand& grad_x, const MutableOperand& grad_y, int num_threads) {
  return Guarded([&] {
    const DenseView xd(x.data, x.type, x.shape), yd(y.data, y.type, y.shape);
    const DenseView gd(grad_out.data, grad_out.type, grad_out.shape);
    const MutableDenseView gxd(grad_x.data, grad_x.type, grad_x.shape);
    const MutableDenseView gyd(grad_y.data, grad_y.type, grad_y.shape);
    const batchdot::GradientTargets targets{&gxd.view, &gyd.view, false};
    batchdot::Options options;
    options.num_threads = num_threads;
    if (spec.dot_general) {
      batchdot::dot_general_grad(xd.view, yd.view, ToDims(spec), gd.view, targets, options);
    } else {
      batchdot::keras::batch_dot_grad(xd.view, yd.view, ToAxesArg(spec.axes), gd.view, targets, options);
    }
  });
}

}  // namespace batchdot_tf
