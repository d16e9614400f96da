// batchdot._batchdot._resolve: a front end's rules applied to shapes and dtypes
// only, so that graph builders (batchdot.dask) raise the same errors as the NumPy
// calls before anything is computed, and plan blocks from the resolved axes.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "calls.hpp"
#include "plan/summation_order.hpp"

namespace batchdot_py {

namespace py = pybind11;

namespace {

constexpr const char* kResolveDoc = R"doc(_resolve(api, lhs, rhs, spec) -> dict

Resolves a call without computing it. ``api`` is "keras", "mindspore" or
"dot_general"; ``lhs``/``rhs`` are arrays of the operands' shapes and dtypes
(zero-stride stand-ins such as ``numpy.broadcast_to(numpy.zeros((), dtype),
shape)`` cost nothing); ``spec`` is ``axes`` or ``dimension_numbers``. Raises
exactly what the matching function raises for such operands; otherwise returns
the Contraction: lhs_batch, rhs_batch, lhs_contracting, rhs_contracting, lhs_free,
rhs_free (axis lists), output_shape and dtype (NumPy's name).
)doc";

Api ApiFromName(const std::string& name) {
  if (name == "keras") return Api::kKeras;
  if (name == "mindspore") return Api::kMindSpore;
  if (name == "dot_general") return Api::kDotGeneral;
  throw py::value_error("_resolve: api must be 'keras', 'mindspore' or 'dot_general', got '" + name + "'");
}

py::dict Resolved(const std::string& api, py::handle lhs, py::handle rhs, py::handle spec) {
  const batchdot::Contraction c = ResolveOnly(ApiFromName(api), lhs.ptr(), rhs.ptr(), spec.ptr());
  py::dict d;
  d["lhs_batch"] = py::tuple(py::cast(c.lhs_batch));
  d["rhs_batch"] = py::tuple(py::cast(c.rhs_batch));
  d["lhs_contracting"] = py::tuple(py::cast(c.lhs_contracting));
  d["rhs_contracting"] = py::tuple(py::cast(c.rhs_contracting));
  d["lhs_free"] = py::tuple(py::cast(c.lhs_free));
  d["rhs_free"] = py::tuple(py::cast(c.rhs_free));
  d["output_shape"] = py::tuple(py::cast(c.output_shape));
  d["dtype"] = std::string(batchdot::Name(c.dtype));
  return d;
}

}  // namespace

void AddResolveCalls(PyObject* module) {
  py::module_ m = py::reinterpret_borrow<py::module_>(module);
  m.def("_resolve", &Resolved, py::arg("api"), py::arg("lhs"), py::arg("rhs"), py::arg("spec"), kResolveDoc);
  m.def(
      "_summation_order",
      [](int64_t rows, int64_t cols) {
        return std::string(batchdot::plan::Name(batchdot::plan::SummationOrderOf(rows, cols)));
      },
      py::arg("rows"), py::arg("cols"),
      "_summation_order(rows, cols) -> 'dot' or 'matrix': the order class of k the planner's kernels give a\n"
      "rows x cols product (plan/summation_order.hpp); products of one class and k give equal bits.");
}

}  // namespace batchdot_py
