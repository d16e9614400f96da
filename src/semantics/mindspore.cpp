// mindspore.ops.batch_dot's rules (r2.1, identical in 2.0-2.4), in MindSpore's
// order: rank, float32-only dtype (x1 first), batch size, axes form, then the
// failures MindSpore reports from its Transpose, BatchMatMul and Squeeze kernels.
// One deliberate difference: any axis >= rank is a ValueError (MindSpore's bound
// is off by one and lets axis == rank through to an IndexError or a wrong answer).
#include <string>
#include <string_view>
#include <utility>

#include "batchdot/batchdot.hpp"
#include "semantics/batch_dot_contraction.hpp"
#include "semantics/mindspore_dtype_names.hpp"
#include "core/error_text.hpp"

namespace batchdot::mindspore {
namespace {

using core::Fail;
using core::ShapeString;

// MindSpore prints dtypes as 'Float64', 'Int32', 'UInt8', 'BFloat16', ...
// from NumPy's names.
std::string MindSporeTypeName(std::string_view numpy_name) {
  if (numpy_name == "bfloat16") return "BFloat16";
  if (numpy_name.substr(0, 4) == "uint") return "UInt" + std::string(numpy_name.substr(4));
  std::string name(numpy_name);
  if (!name.empty() && name[0] >= 'a' && name[0] <= 'z') name[0] = static_cast<char>(name[0] - 'a' + 'A');
  return name;
}

struct AxisPair {
  int64_t x, y;
};

[[noreturn]] void FailAxes(const std::string& what) { Fail(ErrorKind::kAxes, "For 'batch_dot', " + what); }

// `_check_axes_for_batch_dot`: the form of `axes` and the sign of each axis. The
// upper bound is checked by the caller, after MindSpore's own checks.
AxisPair ParseAxes(const AxesArg& axes, int64_t x_rank, int64_t y_rank) {
  switch (axes.kind()) {
    case AxesArg::Kind::kNone:
      return {x_rank - 1, y_rank == 2 ? y_rank - 1 : y_rank - 2};
    case AxesArg::Kind::kSequence: {
      const auto& items = axes.items();
      // The literal-0 test runs before the length test and before negatives are
      // shifted; Python's == makes False and 0.0 count as 0 too.
      for (const AxesArg& item : items) {
        if (item.equals_zero()) FailAxes("the 'axes' cannot contain 0, but got axes: " + axes.repr() + ".");
      }
      if (items.size() != 2) {
        FailAxes("the length of 'axes' must be equal to 2, but got " + std::to_string(items.size()) + ".");
      }
      for (size_t i = 0; i < 2; ++i) {
        if (items[i].kind() != AxesArg::Kind::kInt) {
          Fail(ErrorKind::kAxesType, "For 'batch_dot', the type of 'axes[" + std::to_string(i) +
                                         "]' should be 'int', but got type '" + items[i].type_name() + "'.");
        }
      }
      AxisPair pair{items[0].int_value(), items[1].int_value()};
      if (pair.x < 0) pair.x += x_rank;
      if (pair.y < 0) pair.y += y_rank;
      if (pair.x < 0) FailAxes("the 'reversed axes[0]' must be int and must >= 0, but got '" + std::to_string(pair.x) + "'.");
      if (pair.y < 0) FailAxes("the 'reversed axes[1]' must be int and must >= 0, but got '" + std::to_string(pair.y) + "'.");
      return pair;
    }
    case AxesArg::Kind::kInt: {
      const int64_t axis = axes.int_value();
      if (axis == 0) FailAxes("the 'axes' should not be equal to 0, but got 0.");
      if (axis < 0) {
        // Only the first shifted axis is checked; a negative second one fails in Transpose below.
        const AxisPair pair{axis + x_rank, axis + y_rank};
        if (pair.x < 0) FailAxes("the 'reversed axes' must be int and must >= 0, but got '" + std::to_string(pair.x) + "'.");
        return pair;
      }
      return {axis, axis};
    }
    case AxesArg::Kind::kBool:
      if (!axes.int_value()) FailAxes("the 'axes' should not be equal to 0, but got False.");
      // True passes every axes check as 1 and then reaches Transpose as a bool.
      Fail(ErrorKind::kAxesType, "For 'Transpose', the perm must be a tuple with all Int elements, but got "
                                 "axes=True (a bool).");
    default:
      FailAxes("the type of 'axes' must be one of those: int, tuple(int), list(int), but got '" +
               axes.type_name() + "'.");
  }
}

// The contracted axis pair after every check, in the front end's order.
// `x1_dtype_name`, `x2_dtype_name`: see ResolveNamed (empty: the view's dtype).
AxisPair ResolvedAxes(const TensorView& x1, const TensorView& x2, const AxesArg& axes,
                      std::string_view x1_dtype_name = {}, std::string_view x2_dtype_name = {}) {
  const int64_t x_rank = x1.rank(), y_rank = x2.rank();
  if (x_rank < 2 || y_rank < 2) {
    Fail(ErrorKind::kShape, "For 'batch_dot', the inputs x1, x2 should have 'dimension >= 2', but got 'len(x1_shape)': (" +
             std::to_string(x_rank) + ") and 'len(x2_shape)': (" + std::to_string(y_rank) + ").");
  }
  const std::pair<const char*, std::string_view> dtypes[] = {
      {"x1", x1_dtype_name.empty() ? Name(x1.dtype) : x1_dtype_name},
      {"x2", x2_dtype_name.empty() ? Name(x2.dtype) : x2_dtype_name}};
  for (const auto& [name, dtype] : dtypes) {
    if (dtype != Name(DType::kFloat32)) {
      Fail(ErrorKind::kDType, std::string("For 'batch_dot', the '") + name + "' doesn't support '" +
                                  MindSporeTypeName(dtype) + "' and expect to receive [Float32].");
    }
  }
  if (x1.shape[0] != x2.shape[0]) {
    Fail(ErrorKind::kShape, "For 'batch_dot', the inputs 'x1', 'x2' should have the same batch sizes, but got "
                            "'x1_batch_size': " + std::to_string(x1.shape[0]) + " and 'x2_batch_size': " +
                            std::to_string(x2.shape[0]) + ".");
  }
  AxisPair pair = ParseAxes(axes, x_rank, y_rank);
  // Built only on failure: Resolve runs on every call, including tiny ones.
  const auto shapes = [&] { return " (x1.shape = " + ShapeString(x1.shape) + ", x2.shape = " + ShapeString(x2.shape) + ")"; };
  if (pair.x >= x_rank || pair.y >= y_rank) {
    FailAxes("axes[0] must be less than len(x1_shape) and axes[1] less than len(x2_shape), but got 'axes': [" +
             std::to_string(pair.x) + ", " + std::to_string(pair.y) + "]" + shapes() + ".");
  }
  // MindSpore gives a rank-2 x1 a unit axis at 1 and shifts axes[0] past it, so an
  // axes[0] that resolved to 0 contracts that unit axis. That succeeds only when the
  // contracted axis of x2 and x1's remaining axis both have size 1, and then equals
  // contracting x1's axis 1.
  if (pair.x == 0 && x_rank == 2) {
    if (x2.shape[pair.y] != 1) {
      FailAxes("x1's axes[0] resolves to its inserted unit axis, which BatchMatMul cannot contract with x2.shape[" +
               std::to_string(pair.y) + "] = " + std::to_string(x2.shape[pair.y]) + shapes() + ".");
    }
    if (x1.shape[1] != 1) {
      Fail(ErrorKind::kShape, "For 'Squeeze', input_x.shape[1] must be equal to 1, but got " +
                                  std::to_string(x1.shape[1]) + shapes() + ".");
    }
    pair.x = 1;
  }
  if (pair.x == 0 || pair.y <= 0) {
    Fail(ErrorKind::kAxes, "For 'Transpose', the perm would repeat the batch axis: axes resolve to [" +
                               std::to_string(pair.x) + ", " + std::to_string(pair.y) + "]" + shapes() + ".");
  }
  if (x1.shape[0] == 0) {
    Fail(ErrorKind::kShape, "For 'Transpose', first dim of input_x's shape can not be 0, but got 0" + shapes() + ".");
  }
  if (x1.shape[pair.x] != x2.shape[pair.y]) {
    Fail(ErrorKind::kShape, "For BatchMatMul, the contracted dimensions differ: x1.shape[" + std::to_string(pair.x) +
                                "] = " + std::to_string(x1.shape[pair.x]) + ", x2.shape[" + std::to_string(pair.y) +
                                "] = " + std::to_string(x2.shape[pair.y]) + shapes() + ".");
  }
  return pair;
}

// The axes and dtype rules' answer, which the shared batch_dot steps take.
semantics::BatchDotAxes CallAxes(const TensorView& x1, const TensorView& x2, const AxesArg& axes) {
  const AxisPair pair = ResolvedAxes(x1, x2, axes);
  return {pair.x, pair.y, DType::kFloat32};
}

}  // namespace

Contraction Resolve(const TensorView& x1, const TensorView& x2, const AxesArg& axes) {
  return semantics::MakeBatchDotContraction(x1, x2, CallAxes(x1, x2, axes));
}

Contraction ResolveNamed(const TensorView& x1, const TensorView& x2, const AxesArg& axes,
                         std::string_view x1_dtype_name, std::string_view x2_dtype_name) {
  const AxisPair pair = ResolvedAxes(x1, x2, axes, x1_dtype_name, x2_dtype_name);
  return semantics::MakeBatchDotContraction(x1, x2, {pair.x, pair.y, DType::kFloat32});
}

Tensor batch_dot(const TensorView& x1, const TensorView& x2, const AxesArg& axes, const Options& options) {
  return semantics::ExecuteBatchDot(x1, x2, CallAxes(x1, x2, axes), options);
}

void batch_dot(const TensorView& x1, const TensorView& x2, const AxesArg& axes, const MutableTensorView& out,
               const Options& options) {
  semantics::ExecuteBatchDot(x1, x2, CallAxes(x1, x2, axes), out, options);
}

}  // namespace batchdot::mindspore
