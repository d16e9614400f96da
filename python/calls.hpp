// The three computing entry points as METH_FASTCALL | METH_KEYWORDS functions: a
// pybind11 wrapper costs a few hundred nanoseconds per call, which is a third of
// NumPy's whole matmul on tiny inputs.
#pragma once

#include <Python.h>

#include "batchdot/batchdot.hpp"

namespace batchdot_py {

struct Operand;

enum class Api { kKeras, kMindSpore, kDotGeneral };

// "x"/"y", "x1"/"x2" or "lhs"/"rhs" (which = 0 or 1), as messages name the operands.
const char* OperandName(Api api, int which);

// Resolves a call with `api`'s rules; `spec` is the axes (Keras, MindSpore) or the
// dimension_numbers (dot_general). Operands of a dtype batchdot does not compute
// in are reported where that front end's check order reports dtypes.
batchdot::Contraction ResolveCall(Api api, const Operand& x, const Operand& y, PyObject* spec);

// Python's argument binding for f(a, b, c=None, d=None): positional or keyword,
// the first `required` mandatory. Returns false with a TypeError set.
bool BindArguments(const char* function, const char* const (&names)[4], int required, PyObject* const* args,
                   Py_ssize_t nargs, PyObject* kwnames, PyObject* (&values)[4]);

// Converts and resolves (lhs, rhs, axes or dimension_numbers) exactly as the call
// of that front end does, without computing: the same errors in the same order.
// Zero-stride inputs cost nothing, so shape-and-dtype stand-ins can be resolved.
batchdot::Contraction ResolveOnly(Api api, PyObject* lhs, PyObject* rhs, PyObject* spec);

// Registers batchdot._batchdot._resolve (resolve_calls.cpp).
void AddResolveCalls(PyObject* module);

// Sets the Python error for the exception being handled (call inside catch (...)).
void TranslateCurrentException();

// Binds the arguments like BindArguments, then returns call(values) with any C++
// exception turned into the matching Python error (nullptr with the error set).
template <typename CallFn>
PyObject* BindAndCall(const char* function, const char* const (&names)[4], int required, PyObject* const* args,
                      Py_ssize_t nargs, PyObject* kwnames, CallFn call) {
  PyObject* values[4];
  if (!BindArguments(function, names, required, args, nargs, kwnames, values)) return nullptr;
  try {
    return call(values);
  } catch (...) {
    TranslateCurrentException();
    return nullptr;
  }
}

// batchdot.batch_dot(x, y, axes=None, out=None): Keras rules.
PyObject* KerasBatchDot(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames);
// batchdot.mindspore.batch_dot(x1, x2, axes=None, out=None): MindSpore rules.
PyObject* MindSporeBatchDot(PyObject* self, PyObject* const* args, Py_ssize_t nargs,
                            PyObject* kwnames);
// batchdot.dot_general(lhs, rhs, dimension_numbers, out=None).
PyObject* DotGeneral(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames);

// The Python classes raised for batchdot::Error (a ValueError subclass) and for
// errors of kind kDType (a TypeError subclass). Set once at module init.
void SetExceptionClasses(PyObject* value_error_class, PyObject* dtype_error_class);

}  // namespace batchdot_py
