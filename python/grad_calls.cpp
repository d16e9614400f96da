// One gradient call: the forward call's argument conversion and resolution
// (calls.cpp, operand.hpp), then the transpose rule with the GIL released, into
// two new arrays of the inputs' shapes and dtypes.
#include "grad_calls.hpp"

#include <string>

#include "calls.hpp"
#include "gradients/contraction_grad.hpp"
#include "operand.hpp"

namespace batchdot_py {
namespace {

using batchdot::Contraction;

// Below this many multiply-adds (both gradients) the call keeps the GIL, as calls.cpp does.
constexpr double kReleaseGilWork = 16384.0;

// A new C-contiguous array with `op`'s shape and dtype (uninitialised: the
// gradient writes every element).
void NewGradientArray(const Operand& op, const Operand& x, const Operand& y, Output& output) {
  Contraction like;
  like.output_shape.assign(op.shape, op.shape + op.ndim);
  like.dtype = op.dtype;
  PrepareOutput(like, x, y, py::none(), output);
}

// `want_x` / `want_y`: a skipped gradient is returned as None and never computed.
PyObject* Call(Api api, PyObject* lhs, PyObject* rhs, PyObject* grad, PyObject* spec, bool want_x = true,
               bool want_y = true) {
  Operand x, y, g;
  ToOperand(lhs, OperandName(api, 0), x);
  ToOperand(rhs, OperandName(api, 1), y);
  const Contraction c = ResolveCall(api, x, y, spec);
  ToOperand(grad, "grad_out", g);
  if (!g.supported) {
    throw batchdot::DTypeError("grad_out has dtype " + g.dtype_name + ", the output has dtype " +
                               std::string(batchdot::Name(c.dtype)));
  }
  Output gx, gy;
  if (want_x) NewGradientArray(x, x, y, gx);
  if (want_y) NewGradientArray(y, x, y, gy);
  const batchdot::MutableTensorView gxv = gx.view(x.dtype), gyv = gy.view(y.dtype);
  const batchdot::GradientTargets targets{want_x ? &gxv : nullptr, want_y ? &gyv : nullptr, false};
  const char* name = api == Api::kDotGeneral ? "dot_general_grad" : "batch_dot_grad";
  double work = 2.0 * static_cast<double>(g.view().num_elements());
  for (int64_t axis : c.lhs_contracting) work *= static_cast<double>(x.shape[axis]);
  const auto run = [&] {
    batchdot::gradients::RunGradients(name, OperandName(api, 0), OperandName(api, 1), c, x.view(), y.view(),
                                      g.view(), targets, batchdot::Options{});
  };
  if (work >= kReleaseGilWork) {
    py::gil_scoped_release release;  // re-taken before any exception reaches Python
    run();
  } else {
    run();
  }
  return py::make_tuple(want_x ? gx.result : py::none(), want_y ? gy.result : py::none()).release().ptr();
}

PyObject* Entry(Api api, const char* function, const char* const (&names)[4], PyObject* const* args,
                Py_ssize_t nargs, PyObject* kwnames) {
  const int required = api == Api::kDotGeneral ? 4 : 3;
  return BindAndCall(function, names, required, args, nargs, kwnames,
                     [api](PyObject* (&v)[4]) { return Call(api, v[0], v[1], v[2], v[3]); });
}

}  // namespace

PyObject* KerasBatchDotGrad(PyObject*, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  static constexpr const char* kArgs[4] = {"x", "y", "grad_out", "axes"};
  return Entry(Api::kKeras, "batch_dot_grad", kArgs, args, nargs, kwnames);
}

PyObject* MindSporeBatchDotGrad(PyObject*, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  static constexpr const char* kArgs[4] = {"x1", "x2", "grad_out", "axes"};
  return Entry(Api::kMindSpore, "batch_dot_grad", kArgs, args, nargs, kwnames);
}

PyObject* DotGeneralGrad(PyObject*, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  static constexpr const char* kArgs[4] = {"lhs", "rhs", "grad_out", "dimension_numbers"};
  return Entry(Api::kDotGeneral, "dot_general_grad", kArgs, args, nargs, kwnames);
}

PyObject* DotGeneralGradWanted(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 6) {
    PyErr_Format(PyExc_TypeError, "_dot_general_grad_wanted() takes 6 positional arguments (%zd given)", nargs);
    return nullptr;
  }
  try {
    return Call(Api::kDotGeneral, args[0], args[1], args[2], args[3], PyObject_IsTrue(args[4]) == 1,
                PyObject_IsTrue(args[5]) == 1);
  } catch (...) {
    TranslateCurrentException();
    return nullptr;
  }
}

const char* const kBatchDotGradDoc = R"doc(batch_dot_grad($module, x, y, grad_out, axes=None)
--

Gradients of ``batch_dot(x, y, axes)`` for the cotangent ``grad_out``.

Returns ``(grad_x, grad_y)``: new arrays of x's and y's shapes and dtypes with
``grad_x = d sum(grad_out * batch_dot(x, y, axes)) / dx`` and likewise for y.
Each is one contraction of ``grad_out`` with the other operand, written straight
into the result's layout (no transposed copies). x and y follow batch_dot's rules
and checks; ``grad_out`` must have exactly the output's shape (``(B, 1)`` for two
rank-2 inputs) and dtype, else ValueError / TypeError naming both. With mixed
input dtypes the gradients are computed in the promoted dtype and converted to
each input's dtype. Complex inputs get the linear transpose (no conjugation).

Example:
    >>> import numpy as np, batchdot
    >>> x = np.arange(6.0).reshape(2, 3)
    >>> y = np.ones((2, 3))
    >>> gx, gy = batchdot.batch_dot_grad(x, y, np.array([[1.0], [2.0]]))
    >>> gx
    array([[1., 1., 1.],
           [2., 2., 2.]])
    >>> gy
    array([[ 0.,  1.,  2.],
           [ 6.,  8., 10.]])
)doc";

const char* const kMindSporeBatchDotGradDoc = R"doc(batch_dot_grad($module, x1, x2, grad_out, axes=None)
--

Gradients of ``batchdot.mindspore.batch_dot(x1, x2, axes)``: MindSpore's checks
(float32 only, TypeError otherwise), then as ``batchdot.batch_dot_grad``.

Example:
    >>> import numpy as np, batchdot
    >>> x1 = np.ones((2, 3, 4), np.float32); x2 = np.ones((2, 4, 5), np.float32)
    >>> g1, g2 = batchdot.mindspore.batch_dot_grad(x1, x2, np.ones((2, 3, 5), np.float32))
    >>> g1.shape, g2.shape
    ((2, 3, 4), (2, 4, 5))
)doc";

const char* const kDotGeneralGradDoc = R"doc(dot_general_grad($module, lhs, rhs, grad_out, dimension_numbers)
--

Gradients of ``dot_general(lhs, rhs, dimension_numbers)`` (JAX's transpose rule):
``(grad_lhs, grad_rhs)`` with the inputs' shapes and dtypes; see batch_dot_grad.

Example:
    >>> import numpy as np, batchdot
    >>> a = np.ones((2, 3)); b = np.ones((3, 4))
    >>> ga, gb = batchdot.dot_general_grad(a, b, np.ones((2, 4)), (((1,), (0,)), ((), ())))
    >>> ga
    array([[4., 4., 4.],
           [4., 4., 4.]])
)doc";

}  // namespace batchdot_py
