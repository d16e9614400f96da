// The gradient entry points, METH_FASTCALL | METH_KEYWORDS like the forward ones.
#pragma once

#include <Python.h>

namespace batchdot_py {

// batchdot.batch_dot_grad(x, y, grad_out, axes=None) -> (grad_x, grad_y): Keras rules.
PyObject* KerasBatchDotGrad(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames);
// batchdot.mindspore.batch_dot_grad(x1, x2, grad_out, axes=None): MindSpore rules.
PyObject* MindSporeBatchDotGrad(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames);
// batchdot.dot_general_grad(lhs, rhs, grad_out, dimension_numbers).
PyObject* DotGeneralGrad(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames);

// batchdot._batchdot._dot_general_grad_wanted(lhs, rhs, grad_out, dims, want_lhs, want_rhs):
// positional only; a gradient not wanted is None and not computed (batchdot.torch's
// backward for a frozen input).
PyObject* DotGeneralGradWanted(PyObject* self, PyObject* const* args, Py_ssize_t nargs);

// Docstrings, for module.cpp's method table.
extern const char* const kBatchDotGradDoc;
extern const char* const kMindSporeBatchDotGradDoc;
extern const char* const kDotGeneralGradDoc;

}  // namespace batchdot_py
