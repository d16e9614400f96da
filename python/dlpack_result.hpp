// bfloat16 results for callers without ml_dtypes (NumPy has no bfloat16): the
// result tensor is owned by a small Python object, batchdot.DLPackResult, that
// exports it through DLPack 0.6 (`__dlpack__`, `__dlpack_device__`), so
// torch.from_dlpack(batchdot.batch_dot(tx, ty)) takes it without a copy.
#pragma once

#include <pybind11/pybind11.h>

#include "batchdot/batchdot.hpp"
#include "operand.hpp"

namespace batchdot_py {

// Adds the DLPackResult class to the module.
void RegisterDLPackResult(pybind11::module_& m);

// A new DLPackResult holding an uninitialised C-contiguous tensor of c's dtype and
// output shape; points `output` at its memory.
pybind11::object NewDLPackResult(const batchdot::Contraction& c, Output& output);

}  // namespace batchdot_py
