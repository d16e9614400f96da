// `axes` and `dimension_numbers` from Python values (see operand.hpp for the rules).
#include <climits>
#include <string>
#include <vector>

#include "operand.hpp"

namespace batchdot_py {

namespace {

using batchdot::AxesArg;

// Deeper nesting than this is reported as the container's type (a self-containing
// list would otherwise recurse forever); no front end accepts even depth 2.
constexpr int kMaxAxesDepth = 16;

// A Python int (or an object with __index__) as int64; values beyond int64 are
// clamped, which keeps them out of every valid axis range.
int64_t ClampedIndex(PyObject* obj) {
  py::object index = py::reinterpret_steal<py::object>(PyNumber_Index(obj));
  if (!index) throw py::error_already_set();
  int overflow = 0;
  const long long value = PyLong_AsLongLongAndOverflow(index.ptr(), &overflow);
  if (overflow > 0) return INT64_MAX;
  if (overflow < 0) return INT64_MIN;
  if (value == -1 && PyErr_Occurred()) throw py::error_already_set();
  return value;
}

[[noreturn]] void BadDimensionNumbers(py::handle obj, const std::string& why) {
  throw py::type_error(
      "dot_general: dimension_numbers must be ((lhs_contracting, rhs_contracting), "
      "(lhs_batch, rhs_batch)), each a sequence of ints; " + why + " in " +
      py::repr(obj).cast<std::string>());
}

// `obj` as a list of exactly two items (any sequence except str/bytes).
std::pair<py::object, py::object> Pair(py::handle obj, py::handle whole, const char* what) {
  if (PyUnicode_Check(obj.ptr()) || PyBytes_Check(obj.ptr()) || !PySequence_Check(obj.ptr())) {
    BadDimensionNumbers(whole, std::string(what) + " is not a pair");
  }
  py::object seq = py::reinterpret_steal<py::object>(PySequence_Fast(obj.ptr(), "not a sequence"));
  if (!seq) throw py::error_already_set();
  if (PySequence_Fast_GET_SIZE(seq.ptr()) != 2) {
    BadDimensionNumbers(whole, std::string(what) + " has " +
                                   std::to_string(PySequence_Fast_GET_SIZE(seq.ptr())) +
                                   " items, not 2");
  }
  PyObject** items = PySequence_Fast_ITEMS(seq.ptr());
  return {py::reinterpret_borrow<py::object>(items[0]), py::reinterpret_borrow<py::object>(items[1])};
}

std::vector<int64_t> IndexList(py::handle obj, py::handle whole, const char* what) {
  if (PyUnicode_Check(obj.ptr()) || PyBytes_Check(obj.ptr()) || !PySequence_Check(obj.ptr())) {
    BadDimensionNumbers(whole, std::string(what) + " is a " + Py_TYPE(obj.ptr())->tp_name +
                                   ", not a sequence of ints");
  }
  py::object seq = py::reinterpret_steal<py::object>(PySequence_Fast(obj.ptr(), "not a sequence"));
  if (!seq) throw py::error_already_set();
  const Py_ssize_t n = PySequence_Fast_GET_SIZE(seq.ptr());
  std::vector<int64_t> result;
  result.reserve(static_cast<size_t>(n));
  for (Py_ssize_t i = 0; i < n; ++i) {
    PyObject* item = PySequence_Fast_ITEMS(seq.ptr())[i];
    if (PyBool_Check(item) || !(PyLong_Check(item) || IsNumpyInteger(item))) {
      BadDimensionNumbers(whole, std::string(what) + " contains a " + Py_TYPE(item)->tp_name);
    }
    result.push_back(ClampedIndex(item));
  }
  return result;
}

}  // namespace

AxesArg ToAxesArg(py::handle obj, AxesFlavor flavor, int depth) {
  PyObject* p = obj.ptr();
  if (p == Py_None) return {};
  if (PyBool_Check(p)) return AxesArg::Bool(p == Py_True);  // before int: bool is an int
  if (PyLong_Check(p)) return AxesArg(ClampedIndex(p));
  if (PyFloat_Check(p)) return AxesArg::Float(PyFloat_AS_DOUBLE(p));
  if ((PyTuple_Check(p) || PyList_Check(p)) && depth < kMaxAxesDepth) {
    // Hold a reference: converting an item never runs Python code, but a list
    // could still be shared with another thread.
    py::object seq = py::reinterpret_borrow<py::object>(p);
    const Py_ssize_t n = PySequence_Fast_GET_SIZE(p);
    std::vector<AxesArg> items;
    items.reserve(static_cast<size_t>(n));
    for (Py_ssize_t i = 0; i < n && i < PySequence_Fast_GET_SIZE(p); ++i) {
      py::object item = py::reinterpret_borrow<py::object>(PySequence_Fast_ITEMS(p)[i]);
      items.push_back(ToAxesArg(item, flavor, depth + 1));
    }
    return AxesArg::Sequence(std::move(items), PyTuple_Check(p));
  }
  if (flavor == AxesFlavor::kKeras) {
    if (depth > 0 && IsNumpyInteger(p)) return AxesArg(ClampedIndex(p));
    if (depth == 0 && py::detail::npy_api::get().PyArray_Check_(p) &&
        py::detail::array_proxy(p)->nd >= 1) {
      return ToAxesArg(obj.attr("tolist")(), flavor, depth);  // Keras calls list(axes)
    }
  }
  return AxesArg::Other(Py_TYPE(p)->tp_name);
}

batchdot::DotDimensionNumbers ToDimensionNumbers(py::handle obj) {
  auto [contracting, batch] = Pair(obj, obj, "dimension_numbers");
  auto [lhs_contracting, rhs_contracting] = Pair(contracting, obj, "the contracting pair");
  auto [lhs_batch, rhs_batch] = Pair(batch, obj, "the batch pair");
  batchdot::DotDimensionNumbers dims;
  dims.lhs_contracting = IndexList(lhs_contracting, obj, "lhs_contracting");
  dims.rhs_contracting = IndexList(rhs_contracting, obj, "rhs_contracting");
  dims.lhs_batch = IndexList(lhs_batch, obj, "lhs_batch");
  dims.rhs_batch = IndexList(rhs_batch, obj, "rhs_batch");
  return dims;
}

}  // namespace batchdot_py
