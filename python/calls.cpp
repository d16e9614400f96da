// One call: convert the arguments (GIL held), resolve with the front end's rules,
// allocate or check the output, then execute with the GIL released.
#include "calls.hpp"

#include <stdexcept>
#include <string>
#include <string_view>

#include "dot_general_errors.hpp"
#include "operand.hpp"
#include "semantics/mindspore_dtype_names.hpp"

namespace batchdot_py {

namespace {

using batchdot::Contraction;
using batchdot::DType;
using batchdot::TensorView;

PyObject* g_value_error = PyExc_ValueError;
PyObject* g_dtype_error = PyExc_TypeError;

// Below this many multiply-adds the call holds on to the GIL: releasing and taking
// it back costs more than the work (NumPy uses a similar threshold).
constexpr double kReleaseGilWork = 16384.0;

constexpr const char* kSupportedDTypes =
    "float32, float64, int32, int64, float16, bfloat16, complex64, complex128";

// Resolves with the front end's rules when an operand has a dtype batchdot does not
// compute in: such an operand is passed as a stand-in dtype so that the front end
// runs its checks in its own order, and the dtype is reported where that order
// reports dtypes. Keras and dot_general check shapes and axes before dtypes
// (stand-in float32, then the error after a successful resolve); MindSpore checks
// the dtypes of x1, then x2, right after the ranks, and is given the real dtype
// names to report (mindspore::ResolveNamed).
template <typename ResolveFn>
Contraction Resolve(const Operand& a, const Operand& b, ResolveFn resolve) {
  if (a.supported && b.supported) return resolve(a.view(), b.view());
  const TensorView av = a.supported ? a.view() : a.view_as(DType::kFloat32);
  const TensorView bv = b.supported ? b.view() : b.view_as(DType::kFloat32);
  resolve(av, bv);
  const Operand& bad = a.supported ? b : a;
  throw batchdot::DTypeError(std::string(bad.name) + " has dtype " + bad.dtype_name +
                             ", which batchdot does not compute in; supported: " + kSupportedDTypes);
}

}  // namespace

const char* OperandName(Api api, int which) {
  static constexpr const char* kNames[3][2] = {{"x", "y"}, {"x1", "x2"}, {"lhs", "rhs"}};
  return kNames[static_cast<int>(api)][which];
}

Contraction ResolveCall(Api api, const Operand& x, const Operand& y, PyObject* spec) {
  Contraction c;
  switch (api) {
    case Api::kKeras: {
      const batchdot::AxesArg axes = ToAxesArg(spec, AxesFlavor::kKeras);
      c = Resolve(x, y, [&](const TensorView& a, const TensorView& b) {
        return batchdot::keras::Resolve(a, b, axes);
      });
      break;
    }
    case Api::kMindSpore: {
      const batchdot::AxesArg axes = ToAxesArg(spec, AxesFlavor::kMindSpore);
      // The names of the element types batchdot has no DType for (empty: supported).
      const std::string_view x_name = x.supported ? std::string_view() : std::string_view(x.dtype_name);
      const std::string_view y_name = y.supported ? std::string_view() : std::string_view(y.dtype_name);
      c = Resolve(x, y, [&](const TensorView& a, const TensorView& b) {
        return batchdot::mindspore::ResolveNamed(a, b, axes, x_name, y_name);
      });
      break;
    }
    case Api::kDotGeneral: {
      c = WithDotGeneralErrors([&] {  // JAX's TypeError (dot_general_errors.hpp)
        const batchdot::DotDimensionNumbers dims = ToDimensionNumbers(spec);
        return Resolve(x, y, [&](const TensorView& a, const TensorView& b) {
          return batchdot::ResolveDotGeneral(a, b, dims);
        });
      });
      break;
    }
  }
  return c;
}

namespace {

void Execute(const Contraction& c, const Operand& x, const Operand& y, const Output& output) {
  const TensorView xv = x.view(), yv = y.view();
  const batchdot::MutableTensorView ov = output.view(c.dtype);
  double work = 1.0;
  for (int64_t d : c.output_shape) work *= static_cast<double>(d);
  for (int64_t axis : c.lhs_contracting) work *= static_cast<double>(x.shape[axis]);
  if (work >= kReleaseGilWork) {
    py::gil_scoped_release release;  // re-taken before any exception reaches Python
    batchdot::Execute(c, xv, yv, ov);
  } else {
    batchdot::Execute(c, xv, yv, ov);
  }
}

PyObject* Call(Api api, PyObject* lhs, PyObject* rhs, PyObject* spec, PyObject* out) {
  Operand x, y;
  ToOperand(lhs, OperandName(api, 0), x);
  ToOperand(rhs, OperandName(api, 1), y);
  const Contraction c = ResolveCall(api, x, y, spec);
  Output output;
  PrepareOutput(c, x, y, out, output);
  Execute(c, x, y, output);
  FinishOutput(output);
  return output.result.release().ptr();
}

PyObject* Entry(Api api, const char* function, const char* const (&names)[4], int required,
                PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  return BindAndCall(function, names, required, args, nargs, kwnames,
                     [api](PyObject* (&v)[4]) { return Call(api, v[0], v[1], v[2], v[3]); });
}

}  // namespace

// Python's argument binding for f(a, b, c=None, d=None): positional or keyword,
// the first `required` mandatory. Returns false with a TypeError set.
bool BindArguments(const char* function, const char* const (&names)[4], int required,
                   PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames, PyObject* (&values)[4]) {
  constexpr int kCount = 4;
  if (nargs > kCount) {
    PyErr_Format(PyExc_TypeError, "%s() takes at most %d arguments (%zd given)", function, kCount, nargs);
    return false;
  }
  for (int i = 0; i < kCount; ++i) values[i] = i < nargs ? args[i] : nullptr;
  const Py_ssize_t nkw = kwnames != nullptr ? PyTuple_GET_SIZE(kwnames) : 0;
  for (Py_ssize_t k = 0; k < nkw; ++k) {
    PyObject* key = PyTuple_GET_ITEM(kwnames, k);
    int slot = -1;
    for (int i = 0; i < kCount && slot < 0; ++i) {
      if (PyUnicode_CompareWithASCIIString(key, names[i]) == 0) slot = i;
    }
    if (slot < 0) {
      PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%U'", function, key);
      return false;
    }
    if (values[slot] != nullptr) {
      PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument '%s'", function, names[slot]);
      return false;
    }
    values[slot] = args[nargs + k];
  }
  for (int i = 0; i < kCount; ++i) {
    if (values[i] != nullptr) continue;
    if (i < required) {
      PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s' (pos %d)", function, names[i], i + 1);
      return false;
    }
    values[i] = Py_None;
  }
  return true;
}

batchdot::Contraction ResolveOnly(Api api, PyObject* lhs, PyObject* rhs, PyObject* spec) {
  Operand x, y;
  ToOperand(lhs, OperandName(api, 0), x);
  ToOperand(rhs, OperandName(api, 1), y);
  return ResolveCall(api, x, y, spec);
}

void SetExceptionClasses(PyObject* value_error_class, PyObject* dtype_error_class) {
  g_value_error = value_error_class;
  g_dtype_error = dtype_error_class;
}

void TranslateCurrentException() {
  try {
    throw;
  } catch (py::error_already_set& e) {
    e.restore();
  } catch (const py::builtin_exception& e) {
    e.set_error();
  } catch (const batchdot::Error& e) {
    // kAxesType (an axes argument of the wrong type) is a plain TypeError: it is
    // not about dtypes, and BatchDotError is a ValueError.
    PyObject* type = e.kind() == batchdot::ErrorKind::kDType    ? g_dtype_error
                     : e.kind() == batchdot::ErrorKind::kMemory ? PyExc_MemoryError
                     : batchdot::IsTypeError(e.kind())          ? PyExc_TypeError
                                                                : g_value_error;
    PyErr_SetString(type, e.what());
  } catch (const std::bad_alloc&) {
    PyErr_NoMemory();
  } catch (const std::invalid_argument& e) {
    PyErr_SetString(PyExc_ValueError, e.what());
  } catch (const std::out_of_range& e) {
    PyErr_SetString(PyExc_IndexError, e.what());
  } catch (const std::exception& e) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
  } catch (...) {
    PyErr_SetString(PyExc_RuntimeError, "batchdot: unknown C++ exception");
  }
}

PyObject* KerasBatchDot(PyObject*, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  static constexpr const char* kArgs[4] = {"x", "y", "axes", "out"};
  return Entry(Api::kKeras, "batch_dot", kArgs, 2, args, nargs, kwnames);
}

PyObject* MindSporeBatchDot(PyObject*, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  static constexpr const char* kArgs[4] = {"x1", "x2", "axes", "out"};
  return Entry(Api::kMindSpore, "batch_dot", kArgs, 2, args, nargs, kwnames);
}

PyObject* DotGeneral(PyObject*, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  static constexpr const char* kArgs[4] = {"lhs", "rhs", "dimension_numbers", "out"};
  return Entry(Api::kDotGeneral, "dot_general", kArgs, 3, args, nargs, kwnames);
}

}  // namespace batchdot_py
