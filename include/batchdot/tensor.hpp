// Non-owning strided views for inputs and outputs, and an owning result tensor.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "batchdot/dtype.hpp"

namespace batchdot {

// A read-only strided view. `shape` and `strides_elems` have one entry per axis;
// strides are in ELEMENTS (NumPy byte strides divided by the item size) and may be
// zero or negative. The view does not own the data, the shape or the strides: all
// three must outlive every call that receives the view.
struct TensorView {
  const void* data = nullptr;
  DType dtype = DType::kFloat32;
  std::span<const int64_t> shape;
  std::span<const int64_t> strides_elems;

  int64_t rank() const { return static_cast<int64_t>(shape.size()); }
  int64_t num_elements() const;
};

// A writable strided view, used for caller-provided outputs. An output must not
// overlap either input, and its strides must not make two elements share memory.
struct MutableTensorView {
  void* data = nullptr;
  DType dtype = DType::kFloat32;
  std::span<const int64_t> shape;
  std::span<const int64_t> strides_elems;

  int64_t rank() const { return static_cast<int64_t>(shape.size()); }
  int64_t num_elements() const;
  TensorView as_const() const { return {data, dtype, shape, strides_elems}; }
};

// Row-major (C-order) element strides for `shape`.
std::vector<int64_t> ContiguousStrides(std::span<const int64_t> shape);

// An owning, C-contiguous, 64-byte-aligned tensor: what the library returns when
// the caller does not provide an output. Movable, not copyable.
class Tensor {
 public:
  Tensor() = default;
  Tensor(DType dtype, std::vector<int64_t> shape);  // zero-initialised storage
  // Storage with unspecified contents, for results that are about to be fully
  // overwritten (skips zeroing a recycled buffer).
  static Tensor Uninitialized(DType dtype, std::vector<int64_t> shape);

  DType dtype() const { return dtype_; }
  const std::vector<int64_t>& shape() const { return shape_; }
  const std::vector<int64_t>& strides_elems() const { return strides_; }
  int64_t num_elements() const;
  void* data() { return storage_.get(); }
  const void* data() const { return storage_.get(); }
  template <typename T>
  T* data_as() { return static_cast<T*>(data()); }
  template <typename T>
  const T* data_as() const { return static_cast<const T*>(data()); }

  TensorView view() const { return {data(), dtype_, shape_, strides_}; }
  MutableTensorView mutable_view() { return {data(), dtype_, shape_, strides_}; }

 private:
  Tensor(DType dtype, std::vector<int64_t> shape, bool zeroed);
  struct Free {
    void operator()(void* p) const noexcept;
  };
  DType dtype_ = DType::kFloat32;
  std::vector<int64_t> shape_;
  std::vector<int64_t> strides_;
  std::unique_ptr<void, Free> storage_;
};

}  // namespace batchdot
