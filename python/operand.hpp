// Python objects -> batchdot views: the input operands, the `axes` and
// `dimension_numbers` arguments, and the output array.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

#include "batchdot/batchdot.hpp"
#include "dlpack.hpp"

namespace batchdot_py {

namespace py = pybind11;

// Axes beyond this many are refused (NumPy 1.x allows 32; DLPack has no limit).
inline constexpr int kMaxDims = 64;

// One input of a call, as a strided view over memory that stays alive as long as
// the Operand does. Built while holding the GIL; view() may be used without it.
//
// Conversion rules, in order:
//  - numpy.ndarray (and subclasses): used in place, whatever its strides (negative,
//    zero, Fortran order, non-contiguous) and even when read-only. Three cases are
//    copied first because the kernels need native, aligned elements: non-native byte
//    order (copied to native order), a misaligned data pointer, and byte strides that
//    are not a multiple of the item size.
//  - any other object with __dlpack__ (torch, JAX, ...): borrowed through DLPack 0.6,
//    CPU only; the only route for bfloat16 without ml_dtypes.
//  - anything else: numpy.asarray(obj) without a dtype (lists, scalars, buffers).
// Element types batchdot does not compute in (bool, int8, uint*, longdouble, ...) are
// kept with `supported == false`, so that each front end can report the dtype at the
// point of its own check order; non-numeric ones (object, str, bytes, void,
// datetime) are a TypeError right away.
struct Operand {
  Operand() = default;
  Operand(const Operand&) = delete;
  Operand& operator=(const Operand&) = delete;

  const char* name = "x";
  py::object owner;       // the array that owns `data` (a copy when one was needed)
  DLPackTensor dlpack;    // set for DLPack inputs
  PyObject* descr = nullptr;  // NumPy dtype of `owner` (borrowed), null for DLPack
  batchdot::DType dtype = batchdot::DType::kFloat32;
  bool supported = true;
  std::string dtype_name;  // NumPy's name of the element type, e.g. "bool"
  const void* data = nullptr;
  int ndim = 0;
  const int64_t* shape = nullptr;
  int64_t itemsize = 0;
  int64_t strides[kMaxDims] = {};  // in elements

  batchdot::TensorView view() const { return view_as(dtype); }
  batchdot::TensorView view_as(batchdot::DType as) const {
    return {data, as, {shape, static_cast<size_t>(ndim)}, {strides, static_cast<size_t>(ndim)}};
  }
};

// Fills `op` from a Python object following the rules above. `name` is used in
// messages ("x", "y", "x1", "lhs", ...).
void ToOperand(py::handle obj, const char* name, Operand& op);

// The `axes` argument as each front end reads it. Python ints, bools (checked
// first: bool is an int subclass), floats (numpy.float64 is one), None, and
// lists/tuples (recursively, remembering which) map to the matching AxesArg kind;
// any other object is AxesArg::Other(its type name).
// NumPy integer scalars: Keras indexes shapes with them, so inside a list or tuple
// they count as ints for the Keras front end; as the whole `axes` they are not a
// Python int, and Keras fails on them (TypeError), as batchdot does. MindSpore
// requires Python ints everywhere (isinstance(axes, int)), so for it they are
// AxesArg::Other at every level. A 1-D ndarray `axes` is a list for Keras (which
// calls list(axes)) and Other for MindSpore.
enum class AxesFlavor { kKeras, kMindSpore };
batchdot::AxesArg ToAxesArg(py::handle obj, AxesFlavor flavor, int depth = 0);

// JAX's ((lhs_contracting, rhs_contracting), (lhs_batch, rhs_batch)); each leaf a
// sequence of integers (Python or NumPy ints, not bools). TypeError otherwise.
batchdot::DotDimensionNumbers ToDimensionNumbers(py::handle obj);

// The result array for `c`: a new C-contiguous array (uninitialised; Execute writes
// every element), or `out` after checking it. `view` is set to the memory
// Execute must write; when `out` cannot be written in place (misaligned, or strides
// that are not whole elements), `*staging` receives a temporary that the caller
// copies into `out` afterwards with FinishOutput.
struct Output {
  py::object result;   // what the call returns
  py::object staging;  // non-null: compute here, then copy into `result`
  int ndim = 0;
  const int64_t* shape = nullptr;
  int64_t strides[kMaxDims] = {};
  void* data = nullptr;
  batchdot::MutableTensorView view(batchdot::DType dtype) const {
    return {data, dtype, {shape, static_cast<size_t>(ndim)}, {strides, static_cast<size_t>(ndim)}};
  }
};
void PrepareOutput(const batchdot::Contraction& c, const Operand& x, const Operand& y,
                   py::handle out, Output& output);
void FinishOutput(Output& output);

// True for NumPy integer scalars (numpy.int64(1), ...).
bool IsNumpyInteger(PyObject* obj);

// Registers numpy.integer and other lookups; called once from module init.
void InitConversions();

}  // namespace batchdot_py
