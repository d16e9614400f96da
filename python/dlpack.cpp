// DLPack 0.6 consumer (see dlpack.hpp).
#include "dlpack.hpp"

#include <string>

namespace py = pybind11;

namespace batchdot_py {

namespace {

constexpr const char* kCapsuleName = "dltensor";
constexpr const char* kUsedCapsuleName = "used_dltensor";

std::string TypeName(py::handle obj) { return Py_TYPE(obj.ptr())->tp_name; }

}  // namespace

bool HasDLPack(py::handle obj) { return PyObject_HasAttrString(obj.ptr(), "__dlpack__") == 1; }

void DLPackTensor::Import(py::handle obj, const char* arg_name) {
  Reset();
  // Ask for the device first: a CUDA producer would otherwise synchronise a stream
  // or copy before we refuse its memory.
  if (PyObject_HasAttrString(obj.ptr(), "__dlpack_device__") == 1) {
    py::object device = obj.attr("__dlpack_device__")();
    py::tuple pair = py::reinterpret_borrow<py::tuple>(device);
    if (!py::isinstance<py::tuple>(device) || pair.size() != 2) {
      throw py::type_error(std::string(arg_name) + ": " + TypeName(obj) +
                           ".__dlpack_device__() did not return a (device_type, device_id) pair");
    }
    const int device_type = pair[0].cast<int>();
    if (device_type != kDLCPU) {
      throw py::type_error(std::string(arg_name) + ": the " + TypeName(obj) +
                           " lives on DLPack device type " + std::to_string(device_type) +
                           ", but batchdot computes on the CPU (device type 1); move it to "
                           "host memory first");
    }
  }
  py::object capsule = obj.attr("__dlpack__")();
  if (!PyCapsule_CheckExact(capsule.ptr())) {
    throw py::type_error(std::string(arg_name) + ": " + TypeName(obj) +
                         ".__dlpack__() did not return a PyCapsule");
  }
  if (!PyCapsule_IsValid(capsule.ptr(), kCapsuleName)) {
    const char* name = PyCapsule_GetName(capsule.ptr());
    PyErr_Clear();
    throw py::type_error(std::string(arg_name) + ": " + TypeName(obj) +
                         ".__dlpack__() returned a capsule named '" + (name ? name : "(null)") +
                         "'; batchdot consumes unversioned DLPack 0.6 'dltensor' capsules");
  }
  auto* managed = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(capsule.ptr(), kCapsuleName));
  if (managed == nullptr) throw py::error_already_set();
  // From here on the tensor is ours: the renamed capsule no longer frees it.
  if (PyCapsule_SetName(capsule.ptr(), kUsedCapsuleName) != 0) throw py::error_already_set();
  managed_ = managed;
  if (managed_->dl_tensor.device.device_type != kDLCPU) {
    const int device_type = static_cast<int>(managed_->dl_tensor.device.device_type);
    Reset();
    throw py::type_error(std::string(arg_name) + ": the " + TypeName(obj) +
                         " lives on DLPack device type " + std::to_string(device_type) +
                         ", but batchdot computes on the CPU (device type 1)");
  }
}

void DLPackTensor::Reset() {
  if (managed_ != nullptr) {
    DLManagedTensor* managed = managed_;
    managed_ = nullptr;
    if (managed->deleter != nullptr) managed->deleter(managed);
  }
}

}  // namespace batchdot_py
