// The DLPack 0.6 consumer: borrows the memory of any object with `__dlpack__`
// (torch tensors, JAX arrays, CuPy on the host, ...) for the duration of one call.
#pragma once

#include <cstdint>

#if __has_include(<dlpack/dlpack.h>)
#include <dlpack/dlpack.h>
#else
// The DLPack 0.6 ABI (dmlc/dlpack v0.6 include/dlpack/dlpack.h), for machines
// without libdlpack-dev. Only the unversioned DLManagedTensor is consumed; a
// producer hands it over in a PyCapsule named "dltensor".
extern "C" {
typedef enum { kDLCPU = 1, kDLCUDA = 2, kDLCUDAHost = 3 } DLDeviceType;
typedef struct {
  DLDeviceType device_type;
  int32_t device_id;
} DLDevice;
typedef enum {
  kDLInt = 0U,
  kDLUInt = 1U,
  kDLFloat = 2U,
  kDLOpaqueHandle = 3U,
  kDLBfloat = 4U,
  kDLComplex = 5U,
} DLDataTypeCode;
typedef struct {
  uint8_t code;
  uint8_t bits;
  uint16_t lanes;
} DLDataType;
typedef struct {
  void* data;
  DLDevice device;
  int32_t ndim;
  DLDataType dtype;
  int64_t* shape;
  int64_t* strides;  // in elements; NULL means compact row-major
  uint64_t byte_offset;
} DLTensor;
typedef struct DLManagedTensor {
  DLTensor dl_tensor;
  void* manager_ctx;
  void (*deleter)(struct DLManagedTensor* self);
} DLManagedTensor;
}
#endif

#include <pybind11/pybind11.h>

namespace batchdot_py {

// Owns one consumed DLManagedTensor and calls its deleter on destruction, which
// must happen with the GIL held (producers such as NumPy release Python objects
// in their deleters).
class DLPackTensor {
 public:
  DLPackTensor() = default;
  DLPackTensor(const DLPackTensor&) = delete;
  DLPackTensor& operator=(const DLPackTensor&) = delete;
  ~DLPackTensor() { Reset(); }

  // Calls obj.__dlpack__() (after checking obj.__dlpack_device__() is the CPU when
  // the object has it), takes the tensor out of the "dltensor" capsule and renames
  // the capsule "used_dltensor" as the protocol requires. Throws TypeError for
  // tensors that are not on the CPU or capsules of another kind.
  void Import(pybind11::handle obj, const char* arg_name);

  const DLTensor* tensor() const { return managed_ ? &managed_->dl_tensor : nullptr; }
  void Reset();

 private:
  DLManagedTensor* managed_ = nullptr;
};

// True when `obj` looks like a DLPack producer (has a `__dlpack__` attribute).
bool HasDLPack(pybind11::handle obj);

}  // namespace batchdot_py
