// batchdot._batchdot: the compiled half of the `batchdot` Python package.
#include <pybind11/pybind11.h>

#include "batchdot/batchdot.hpp"
#include "calls.hpp"
#include "grad_calls.hpp"
#include "dlpack_result.hpp"
#include "dot_general_errors.hpp"
#include "operand.hpp"

namespace py = pybind11;

namespace {

constexpr const char* kBatchDotDoc = R"doc(batch_dot($module, x, y, axes=None, out=None)
--

Batched dot product with tf.keras.backend.batch_dot's rules.

Axis 0 is the batch axis of both inputs; one axis of ``x`` is contracted with one
axis of ``y``. Per batch item ``b`` the result is
``np.tensordot(x[b], y[b], axes=(a0 - 1, a1 - 1))``, of shape ``x.shape`` without
``a0`` followed by ``y.shape`` without axes 0 and ``a1``, or ``(B, 1)`` when both
inputs have rank 2.

Args:
    x, y: arrays of rank >= 2 with the same batch size: any NumPy array (views,
        negative strides, Fortran order and read-only arrays are used in place,
        without a copy), an object with ``__dlpack__`` on the CPU (e.g. a torch
        tensor), or anything ``numpy.asarray`` accepts. dtypes float32, float64,
        int32, int64, float16, bfloat16, complex64, complex128; mixed dtypes are
        promoted like ``numpy.result_type``.
    axes: None (``(x.ndim - 1, y.ndim - 2)``, or ``(x.ndim - 1, 1)`` when y has
        rank 2), an int ``a`` (``(a, a)``) or a pair ``(a0, a1)``; negative axes
        count from the end. Axis 0 (the batch axis) cannot be contracted.
    out: optional preallocated result with exactly the result's shape and dtype,
        writeable and sharing no memory with x or y; it may be non-contiguous.

Returns:
    A new numpy.ndarray, or ``out`` itself.

Raises:
    ValueError (batchdot.BatchDotError): ranks, batch sizes, axes, contracted
        sizes, or ``out``'s shape/memory.
    TypeError (batchdot.DTypeError): an unsupported dtype or ``out`` of the wrong
        dtype; TypeError for arguments that are not arrays.

The GIL is released while computing, so several Python threads can call batchdot
at once. Results do not depend on the thread count.

Examples:
    >>> import numpy as np, batchdot
    >>> x = np.ones((10, 12, 4, 5), np.float32)
    >>> y = np.ones((10, 12, 5, 8), np.float32)
    >>> batchdot.batch_dot(x, y).shape      # axes (3, 2)
    (10, 12, 4, 12, 8)
    >>> batchdot.batch_dot(np.array([[1, 2], [3, 4]]), np.array([[5, 6], [7, 8]]), axes=1)
    array([[17],
           [53]])
    >>> out = np.empty((10, 12, 4, 12, 8), np.float32)
    >>> batchdot.batch_dot(x, y, out=out) is out
    True
)doc";

constexpr const char* kMindSporeDoc = R"doc(batch_dot($module, x1, x2, axes=None, out=None)
--

Batched dot product with mindspore.ops.batch_dot's rules (r2.1; same in 2.0-2.4).

The result equals batchdot.batch_dot's wherever MindSpore returns one; what
differs is which calls are errors and which exception they raise, checked in
MindSpore's order: rank (ValueError), then dtype (float32 only, x1 before x2:
TypeError), then batch size (ValueError), then axes:

- None: ``(x1.ndim - 1, x2.ndim - 2)``, or ``(x1.ndim - 1, x2.ndim - 1)`` when x2
  has rank 2.
- int ``N``: ``(N, N)``; ``0`` and ``False`` raise ValueError, ``True`` TypeError.
- tuple or list: a literal 0 anywhere raises ValueError (before the length
  check), a length other than 2 ValueError, a non-int element (float, bool,
  nested list, NumPy integer) TypeError; negative axes are shifted once by the
  rank and must then be >= 0 (ValueError).
- anything else (float, str, ...): ValueError.

Then contracted sizes must match and the batch size must not be 0 (ValueError).
Unlike MindSpore, an axis equal to the rank is a ValueError too (MindSpore's upper
bound is off by one).

Args:
    x1, x2: float32 arrays of rank >= 2 (see batchdot.batch_dot for the accepted
        array types).
    axes: None, an int or a pair, as above.
    out: optional preallocated float32 result (see batchdot.batch_dot).

Examples:
    >>> import numpy as np, batchdot
    >>> x1 = np.ones((2, 2), np.float32)
    >>> x2 = np.ones((2, 3, 2), np.float32)
    >>> batchdot.mindspore.batch_dot(x1, x2, (1, 2))
    array([[2., 2., 2.],
           [2., 2., 2.]], dtype=float32)
    >>> batchdot.mindspore.batch_dot(np.ones((2, 2, 3), np.float32),
    ...                              np.ones((2, 3, 2), np.float32), (-1, -2)).shape
    (2, 2, 2)
)doc";

constexpr const char* kDotGeneralDoc = R"doc(dot_general($module, lhs, rhs, dimension_numbers, out=None)
--

General batched contraction in the style of jax.lax.dot_general.

``dimension_numbers`` is ``((lhs_contracting, rhs_contracting), (lhs_batch,
rhs_batch))``: sequences of non-negative axis indices, pairwise of equal size.
Any number of batch and contracting axes, in any order. The result's axes are the
batch axes, then lhs's remaining axes, then rhs's remaining axes, each in order.

Args:
    lhs, rhs: arrays (see batchdot.batch_dot for the accepted types and dtypes;
        mixed dtypes are promoted).
    dimension_numbers: as above.
    out: optional preallocated result (see batchdot.batch_dot).

Raises:
    ValueError for axes out of range, repeated, or of different sizes;
    TypeError for malformed dimension_numbers or unsupported dtypes.

Examples:
    >>> import numpy as np, batchdot
    >>> lhs = np.ones((2, 3, 4, 5))
    >>> rhs = np.ones((3, 5, 4, 6))
    >>> batchdot.dot_general(lhs, rhs, (((2, 3), (2, 1)), ((1,), (0,)))).shape
    (3, 2, 6)
    >>> batchdot.dot_general(np.eye(2), np.arange(4.0).reshape(2, 2), (((1,), (0,)), ((), ())))
    array([[0., 1.],
           [2., 3.]])
)doc";

PyMethodDef g_keras_def = {"batch_dot", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(
                                            &batchdot_py::KerasBatchDot)),
                           METH_FASTCALL | METH_KEYWORDS, kBatchDotDoc};
PyMethodDef g_mindspore_def = {
    "batch_dot",
    reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(&batchdot_py::MindSporeBatchDot)),
    METH_FASTCALL | METH_KEYWORDS, kMindSporeDoc};
PyMethodDef g_dot_general_def = {
    "dot_general",
    reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(&batchdot_py::DotGeneral)),
    METH_FASTCALL | METH_KEYWORDS, kDotGeneralDoc};

#define BATCHDOT_FASTCALL(fn) reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(&batchdot_py::fn))
PyMethodDef g_grad_defs[] = {
    {"batch_dot_grad", BATCHDOT_FASTCALL(KerasBatchDotGrad), METH_FASTCALL | METH_KEYWORDS,
     batchdot_py::kBatchDotGradDoc},
    {"batch_dot_grad", BATCHDOT_FASTCALL(MindSporeBatchDotGrad), METH_FASTCALL | METH_KEYWORDS,
     batchdot_py::kMindSporeBatchDotGradDoc},
    {"dot_general_grad", BATCHDOT_FASTCALL(DotGeneralGrad), METH_FASTCALL | METH_KEYWORDS,
     batchdot_py::kDotGeneralGradDoc},
    {"_dot_general_grad_wanted", BATCHDOT_FASTCALL(DotGeneralGradWanted), METH_FASTCALL,
     "dot_general_grad computing only the wanted gradients (for batchdot.torch)."}};
#undef BATCHDOT_FASTCALL

// Adds a C function to `m` under `attr`, reporting `module_name` as its __module__.
void AddFunction(py::module_& m, const char* attr, PyMethodDef* def, const char* module_name) {
  py::str module(module_name);
  // `self` is the extension module, like any module-level builtin, so that
  // inspect.signature drops the `$module` of the text signature.
  PyObject* fn = PyCFunction_NewEx(def, m.ptr(), module.ptr());
  if (fn == nullptr) throw py::error_already_set();
  m.add_object(attr, py::reinterpret_steal<py::object>(fn));
}

// An exception class of module `batchdot` under its own name, so pickle finds it
// as batchdot.<name> (errors raised in a ProcessPoolExecutor worker reach the
// caller); it extends the builtin Keras/MindSpore raise (ValueError, TypeError).
PyObject* NewErrorClass(const char* qualified_name, PyObject* base, const char* doc) {
  PyObject* cls = PyErr_NewExceptionWithDoc(qualified_name, doc, base, nullptr);
  if (cls == nullptr) throw py::error_already_set();
  return cls;  // kept for the life of the process
}

}  // namespace

PYBIND11_MODULE(_batchdot, m) {
  m.doc() = "Compiled core of the batchdot package; use `import batchdot`.";
  batchdot_py::InitConversions();
  batchdot_py::RegisterDLPackResult(m);  // bfloat16 results through DLPack

  PyObject* value_error = NewErrorClass(
      "batchdot.BatchDotError", PyExc_ValueError,
      "batchdot.BatchDotError: a shape, axes or output problem (a ValueError subclass).");
  PyObject* dtype_error = NewErrorClass(
      "batchdot.DTypeError", PyExc_TypeError,
      "batchdot.DTypeError: an unsupported or mismatched dtype (a TypeError subclass).");
  batchdot_py::SetExceptionClasses(value_error, dtype_error);
  m.add_object("BatchDotError", py::reinterpret_borrow<py::object>(value_error));
  m.add_object("DTypeError", py::reinterpret_borrow<py::object>(dtype_error));
  batchdot_py::AddDotGeneralError(m.ptr(), value_error);  // dot_general's TypeError, as JAX
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const batchdot::Error&) {
      batchdot_py::TranslateCurrentException();
    }
  });

  AddFunction(m, "batch_dot", &g_keras_def, "batchdot");
  AddFunction(m, "mindspore_batch_dot", &g_mindspore_def, "batchdot.mindspore");
  AddFunction(m, "dot_general", &g_dot_general_def, "batchdot");
  AddFunction(m, "batch_dot_grad", &g_grad_defs[0], "batchdot");
  AddFunction(m, "mindspore_batch_dot_grad", &g_grad_defs[1], "batchdot.mindspore");
  AddFunction(m, "dot_general_grad", &g_grad_defs[2], "batchdot");
  AddFunction(m, "_dot_general_grad_wanted", &g_grad_defs[3], "batchdot");
  batchdot_py::AddResolveCalls(m.ptr());  // resolve without computing (batchdot.dask)

  m.def(
      "set_num_threads",
      [](py::object n) {
        // Anything with __index__ (int, numpy.int64); Python ints are unbounded,
        // and anything beyond int64 is out of range the same way.
        PyObject* index = PyNumber_Index(n.ptr());
        if (index == nullptr) throw py::error_already_set();
        const py::object owned = py::reinterpret_steal<py::object>(index);
        int overflow = 0;
        const long long value = PyLong_AsLongLongAndOverflow(index, &overflow);
        if (value == -1 && PyErr_Occurred()) throw py::error_already_set();
        const int64_t count = overflow > 0 ? INT64_MAX : overflow < 0 ? INT64_MIN : value;
        // The C++ rule and kind, under the Python function's name.
        if (const std::string problem = batchdot::ThreadCountProblem(count); !problem.empty())
          throw batchdot::Error(batchdot::ErrorKind::kThreads, "set_num_threads: " + problem);
        batchdot::SetNumThreads(count);
      },
      py::arg("n"),
      R"doc(Sets the number of worker threads every later call uses (1 <= n <= 1024).

The initial value comes from BATCHDOT_NUM_THREADS, then OMP_NUM_THREADS, then
the CPUs this process may run on (an invalid environment value is ignored with a
warning on stderr). Results are bitwise identical for every thread count.
Raises batchdot.BatchDotError (a ValueError) for n outside 1..1024.

Example:
    >>> import batchdot
    >>> batchdot.set_num_threads(2)
    >>> batchdot.get_num_threads()
    2
)doc");
  m.def("get_num_threads", &batchdot::GetNumThreads,
        R"doc(Returns the number of worker threads calls use.

Example:
    >>> import batchdot
    >>> batchdot.get_num_threads() >= 1
    True
)doc");
  m.def("build_info", &batchdot::BuildInfo,
        R"doc(Returns how this batchdot was built and what it runs on: version, compiled
and selected SIMD targets, threads (one fact per line).

Example:
    >>> import batchdot
    >>> print(batchdot.build_info())  # doctest: +SKIP
)doc");
  m.attr("__version__") = batchdot::kVersion;
}
