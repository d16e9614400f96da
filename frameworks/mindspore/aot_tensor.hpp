// One argument of a MindSpore AOT CPU kernel call, turned into batchdot views.
//
// MindSpore passes every tensor as a dense row-major buffer with its rank, its
// dims and a dtype name (no strides, no alignment promise), so the element
// strides are rebuilt here and the pointer is used as given.
#pragma once

#include <cstdint>
#include <vector>

#include "batchdot/batchdot.hpp"

namespace batchdot_mindspore {

// The raw arrays of the AOT signature
// `int Fn(int nparam, void** params, int* ndims, int64_t** shapes, const char** dtypes, void*, void*)`.
struct AotCall {
  const char* kernel;  // the entry point's name, for messages
  int nparam;
  void** params;
  int* ndims;
  int64_t** shapes;
  const char** dtypes;
};

// Tensor `index` of the call, owning its shape and its row-major element strides.
class AotTensor {
 public:
  // Throws batchdot::Error (kDType) for a dtype name batchdot does not know.
  AotTensor(const AotCall& call, int index);

  batchdot::TensorView view() const { return {data_, dtype_, shape_, strides_}; }
  batchdot::MutableTensorView mutable_view() const { return {data_, dtype_, shape_, strides_}; }
  const std::vector<int64_t>& shape() const { return shape_; }
  batchdot::DType dtype() const { return dtype_; }
  const void* data() const { return data_; }

 private:
  void* data_;
  batchdot::DType dtype_;
  std::vector<int64_t> shape_;
  std::vector<int64_t> strides_;
};

// Throws batchdot::Error (kShape) unless the call has exactly `expected` tensors.
void CheckTensorCount(const AotCall& call, int expected);

// The resolved axes pair carried by the int64 tensor `index` (shape (2,)):
// batchdot.mindspore.ops resolves `axes` with MindSpore's rules before the
// kernel runs and passes the contracted axis of x1 and of x2.
batchdot::AxesArg ResolvedAxes(const AotCall& call, int index);

}  // namespace batchdot_mindspore
