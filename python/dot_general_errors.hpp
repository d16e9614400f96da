// dot_general raises what jax.lax.dot_general raises: its shape rule reports every
// dimension-number problem (out of range, repeated, batch/contracting overlap,
// sizes that differ) as TypeError. batchdot.DotGeneralError subclasses both
// BatchDotError (a ValueError, what batchdot raised before) and TypeError.
#pragma once

#include <pybind11/pybind11.h>

#include "batchdot/batchdot.hpp"

namespace batchdot_py {

// Creates batchdot.DotGeneralError (bases: `batch_dot_error`, TypeError) and adds
// it to `module`. Called once at module init.
void AddDotGeneralError(PyObject* module, PyObject* batch_dot_error);

// Sets DotGeneralError with `error`'s message when `error` is a shape or axes
// error and returns true; returns false for every other kind.
bool SetDotGeneralError(const batchdot::Error& error);

// Returns resolve(); a shape or axes error leaves as DotGeneralError.
template <typename ResolveFn>
auto WithDotGeneralErrors(ResolveFn resolve) -> decltype(resolve()) {
  try {
    return resolve();
  } catch (const batchdot::Error& e) {
    if (SetDotGeneralError(e)) throw pybind11::error_already_set();  // holds the error just set
    throw;
  }
}

}  // namespace batchdot_py
