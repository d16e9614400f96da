// batchdot.DotGeneralError: see dot_general_errors.hpp.
#include "dot_general_errors.hpp"

namespace batchdot_py {
namespace {

PyObject* g_dot_general_error = nullptr;  // set once at module init, kept for the process

}  // namespace

void AddDotGeneralError(PyObject* module, PyObject* batch_dot_error) {
  PyObject* bases = PyTuple_Pack(2, batch_dot_error, PyExc_TypeError);
  if (bases == nullptr) throw pybind11::error_already_set();
  g_dot_general_error = PyErr_NewExceptionWithDoc(
      "batchdot.DotGeneralError",
      "batchdot.DotGeneralError: a dot_general shape or dimension_numbers problem; a TypeError as "
      "jax.lax.dot_general raises, and a BatchDotError (ValueError) as before.",
      bases, nullptr);
  Py_DECREF(bases);
  if (g_dot_general_error == nullptr) throw pybind11::error_already_set();
  Py_INCREF(g_dot_general_error);  // PyModule_AddObject steals one reference
  if (PyModule_AddObject(module, "DotGeneralError", g_dot_general_error) != 0) {
    Py_DECREF(g_dot_general_error);
    throw pybind11::error_already_set();
  }
}

bool SetDotGeneralError(const batchdot::Error& error) {
  if (g_dot_general_error == nullptr) return false;
  if (error.kind() != batchdot::ErrorKind::kShape && error.kind() != batchdot::ErrorKind::kAxes) return false;
  PyErr_SetString(g_dot_general_error, error.what());
  return true;
}

}  // namespace batchdot_py
