// tf.keras.backend.batch_dot's rules (Keras >= 2.2.5, tf.keras >= 1.15, Keras 3):
// rank, batch size, axes form, range, axis 0, contracted sizes, then dtypes.
// Where Keras itself fails with IndexError or a TensorFlow error (an axis out of
// range, one-element axes), batchdot raises a clear ValueError instead.
#include <string>

#include "batchdot/batchdot.hpp"
#include "semantics/batch_dot_contraction.hpp"
#include "core/error_text.hpp"

namespace batchdot::keras {
namespace {

using core::Fail;
using core::ShapeString;

struct AxisPair {
  int64_t x, y;
};

std::string ShapesText(const TensorView& x, const TensorView& y) {
  return "x.shape = " + ShapeString(x.shape) + ", y.shape = " + ShapeString(y.shape);
}

// Python ints and bools are both integers to Keras (`isinstance(True, int)`).
bool IsInteger(const AxesArg& a) {
  return a.kind() == AxesArg::Kind::kInt || a.kind() == AxesArg::Kind::kBool;
}

AxisPair ParseAxes(const AxesArg& axes, int64_t x_rank, int64_t y_rank) {
  switch (axes.kind()) {
    case AxesArg::Kind::kNone:
      return {x_rank - 1, y_rank == 2 ? y_rank - 1 : y_rank - 2};
    case AxesArg::Kind::kInt:
    case AxesArg::Kind::kBool:
      return {axes.int_value(), axes.int_value()};
    case AxesArg::Kind::kSequence:
      break;
    default:
      Fail(ErrorKind::kAxesType, "batch_dot: axes must be None, an int or a pair of ints, got " +
                                     axes.type_name() + " " + axes.repr());
  }
  const auto& items = axes.items();
  for (const AxesArg& item : items) {
    if (item.kind() == AxesArg::Kind::kSequence) {
      Fail(ErrorKind::kAxes,
           "batch_dot: multiple target dimensions are not supported; expected None, int or "
           "(int, int), got " + axes.repr());
    }
  }
  for (const AxesArg& item : items) {
    if (!IsInteger(item)) {
      Fail(ErrorKind::kAxesType, "batch_dot: axes must contain ints, got " + item.type_name() + " " +
                                     item.repr() + " in " + axes.repr());
    }
  }
  if (items.size() != 2) {
    Fail(ErrorKind::kAxes, "batch_dot: axes must be None, an int or a pair of ints, got " +
                               std::to_string(items.size()) + " values " + axes.repr());
  }
  return {items[0].int_value(), items[1].int_value()};
}

// The contracted axis pair after every check, in the front end's order.
AxisPair ResolvedAxes(const TensorView& x, const TensorView& y, const AxesArg& axes) {
  const int64_t x_rank = x.rank(), y_rank = y.rank();
  if (x_rank < 2 || y_rank < 2) {
    Fail(ErrorKind::kShape, "batch_dot: inputs must have rank >= 2, got rank " +
                                std::to_string(x_rank) + " and " + std::to_string(y_rank) + " (" +
                                ShapesText(x, y) + ")");
  }
  if (x.shape[0] != y.shape[0]) {
    Fail(ErrorKind::kShape, "batch_dot: batch sizes differ: x.shape[0] = " +
                                std::to_string(x.shape[0]) + ", y.shape[0] = " +
                                std::to_string(y.shape[0]) + " (" + ShapesText(x, y) + ")");
  }
  AxisPair pair = ParseAxes(axes, x_rank, y_rank);
  // A negative axis is shifted once by its own operand's rank, as Keras does.
  const AxisPair given = pair;
  if (pair.x < 0) pair.x += x_rank;
  if (pair.y < 0) pair.y += y_rank;
  if (pair.x < 0 || pair.x >= x_rank || pair.y < 0 || pair.y >= y_rank) {
    Fail(ErrorKind::kAxes, "batch_dot: axes (" + std::to_string(given.x) + ", " +
                               std::to_string(given.y) + ") out of range for ranks " +
                               std::to_string(x_rank) + " and " + std::to_string(y_rank) +
                               " (x axis must be in [-" + std::to_string(x_rank) + ", " +
                               std::to_string(x_rank) + "), y axis in [-" + std::to_string(y_rank) +
                               ", " + std::to_string(y_rank) + "))");
  }
  if (pair.x == 0 || pair.y == 0) {
    Fail(ErrorKind::kAxes, "batch_dot: cannot perform batch_dot over axis 0 (axes resolve to (" +
                               std::to_string(pair.x) + ", " + std::to_string(pair.y) +
                               ")); add a batch dimension with expand_dims(x, 0) if the inputs are "
                               "not batched");
  }
  if (x.shape[pair.x] != y.shape[pair.y]) {
    Fail(ErrorKind::kShape, "batch_dot: contracted dimensions differ: x.shape[" +
                                std::to_string(pair.x) + "] = " + std::to_string(x.shape[pair.x]) +
                                ", y.shape[" + std::to_string(pair.y) + "] = " +
                                std::to_string(y.shape[pair.y]) + " (" + ShapesText(x, y) + ")");
  }
  return pair;
}

// The axes and dtype rules' answer, which the shared batch_dot steps take.
semantics::BatchDotAxes CallAxes(const TensorView& x, const TensorView& y, const AxesArg& axes) {
  const AxisPair pair = ResolvedAxes(x, y, axes);
  return {pair.x, pair.y, PromoteTypes(x.dtype, y.dtype)};
}

}  // namespace

Contraction Resolve(const TensorView& x, const TensorView& y, const AxesArg& axes) {
  return semantics::MakeBatchDotContraction(x, y, CallAxes(x, y, axes));
}

Tensor batch_dot(const TensorView& x, const TensorView& y, const AxesArg& axes,
                 const Options& options) {
  return semantics::ExecuteBatchDot(x, y, CallAxes(x, y, axes), options);
}

void batch_dot(const TensorView& x, const TensorView& y, const AxesArg& axes,
               const MutableTensorView& out, const Options& options) {
  semantics::ExecuteBatchDot(x, y, CallAxes(x, y, axes), out, options);
}

}  // namespace batchdot::keras
