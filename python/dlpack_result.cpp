// DLPackResult (see dlpack_result.hpp): the DLPack 0.6 producer side.
#include "dlpack_result.hpp"

#include <memory>
#include <string>
#include <vector>

namespace py = pybind11;

namespace batchdot_py {
namespace {

struct DLPackResult {
  std::shared_ptr<batchdot::Tensor> tensor;
};

// One export: keeps the tensor alive until the consumer calls the deleter.
struct Export {
  DLManagedTensor managed{};
  std::shared_ptr<batchdot::Tensor> tensor;
  std::vector<int64_t> shape, strides;
};

DLDataType DLTypeOf(batchdot::DType dtype) {
  switch (dtype) {
    case batchdot::DType::kBFloat16: return {kDLBfloat, 16, 1};
    case batchdot::DType::kFloat16: return {kDLFloat, 16, 1};
    case batchdot::DType::kFloat32: return {kDLFloat, 32, 1};
    case batchdot::DType::kFloat64: return {kDLFloat, 64, 1};
    case batchdot::DType::kInt32: return {kDLInt, 32, 1};
    case batchdot::DType::kInt64: return {kDLInt, 64, 1};
    case batchdot::DType::kComplex64: return {kDLComplex, 64, 1};
    case batchdot::DType::kComplex128: return {kDLComplex, 128, 1};
  }
  return {kDLFloat, 32, 1};
}

void DeleteExport(DLManagedTensor* managed) { delete static_cast<Export*>(managed->manager_ctx); }

// A capsule nobody consumed still owns its tensor.
void CapsuleDestructor(PyObject* capsule) {
  if (!PyCapsule_IsValid(capsule, "dltensor")) return;  // consumed: renamed "used_dltensor"
  auto* managed = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(capsule, "dltensor"));
  if (managed != nullptr && managed->deleter != nullptr) managed->deleter(managed);
}

py::object ToCapsule(const DLPackResult& self, py::object stream) {
  if (!stream.is_none()) {
    throw py::type_error("DLPackResult.__dlpack__: stream must be None for CPU memory");
  }
  auto e = std::make_unique<Export>();
  e->tensor = self.tensor;
  e->shape = e->tensor->shape();
  e->strides = e->tensor->strides_elems();
  DLTensor& t = e->managed.dl_tensor;
  t.data = e->tensor->data();
  t.device = {kDLCPU, 0};
  t.ndim = static_cast<int32_t>(e->shape.size());
  t.dtype = DLTypeOf(e->tensor->dtype());
  t.shape = e->shape.data();
  t.strides = e->strides.data();
  t.byte_offset = 0;
  e->managed.manager_ctx = e.get();
  e->managed.deleter = &DeleteExport;
  PyObject* capsule = PyCapsule_New(&e->managed, "dltensor", &CapsuleDestructor);
  if (capsule == nullptr) throw py::error_already_set();
  e.release();
  return py::reinterpret_steal<py::object>(capsule);
}

}  // namespace

void RegisterDLPackResult(py::module_& m) {
  py::class_<DLPackResult>(m, "DLPackResult",
                           "A batchdot result NumPy cannot hold (bfloat16 without ml_dtypes), exported\n"
                           "through DLPack: torch.from_dlpack(result) views it without a copy.")
      .def("__dlpack__", &ToCapsule, py::arg("stream") = py::none())
      .def("__dlpack_device__", [](const DLPackResult&) { return py::make_tuple(int{kDLCPU}, 0); })
      .def_property_readonly("shape",
                             [](const DLPackResult& r) {
                               py::tuple t(r.tensor->shape().size());
                               for (size_t i = 0; i < r.tensor->shape().size(); ++i) t[i] = r.tensor->shape()[i];
                               return t;
                             })
      .def_property_readonly("dtype", [](const DLPackResult& r) { return std::string(batchdot::Name(r.tensor->dtype())); })
      .def("__repr__", [](const DLPackResult& r) {
        std::string s = "batchdot.DLPackResult(dtype=" + std::string(batchdot::Name(r.tensor->dtype())) + ", shape=(";
        for (size_t i = 0; i < r.tensor->shape().size(); ++i) {
          s += (i ? ", " : "") + std::to_string(r.tensor->shape()[i]);
        }
        return s + (r.tensor->shape().size() == 1 ? ",))" : "))");
      });
}

py::object NewDLPackResult(const batchdot::Contraction& c, Output& output) {
  DLPackResult r;
  r.tensor = std::make_shared<batchdot::Tensor>(batchdot::Tensor::Uninitialized(c.dtype, c.output_shape));
  output.data = r.tensor->data();
  output.ndim = static_cast<int>(c.output_shape.size());
  output.shape = r.tensor->shape().data();
  for (int i = 0; i < output.ndim; ++i) output.strides[i] = r.tensor->strides_elems()[i];
  return py::cast(std::move(r));
}

}  // namespace batchdot_py
