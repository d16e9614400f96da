// Strided views and the owning result tensor.
#include "batchdot/tensor.hpp"

#include <string>

#include "batchdot/error.hpp"
#include "core/result_memory.hpp"

namespace batchdot {
namespace {

// Saturates at INT64_MAX: no tensor that large can exist, and callers only
// compare it (a wrapped product could look small, or zero).
int64_t Product(std::span<const int64_t> shape) {
  int64_t n = 1;
  bool saturated = false;
  for (int64_t d : shape) {
    if (d == 0) return 0;
    saturated = saturated || __builtin_mul_overflow(n, d, &n);
  }
  return saturated ? INT64_MAX : n;
}

}  // namespace

int64_t TensorView::num_elements() const { return Product(shape); }
int64_t MutableTensorView::num_elements() const { return Product(shape); }

std::vector<int64_t> ContiguousStrides(std::span<const int64_t> shape) {
  std::vector<int64_t> strides(shape.size());
  int64_t stride = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = stride;
    // The outermost axis's stride needs no product beyond it (found by semantics_fuzz:
    // the old loop's last multiply overflowed for shapes like (2^40, 2^40)).
    if (i > 0 && __builtin_mul_overflow(stride, shape[i] > 0 ? shape[i] : 1, &stride)) {
      std::string text;
      for (int64_t d : shape) text += (text.empty() ? "" : ", ") + std::to_string(d);
      throw Error(ErrorKind::kShape, "shape (" + text + ") has strides that do not fit in 64 bits");
    }
  }
  return strides;
}

Tensor::Tensor(DType dtype, std::vector<int64_t> shape) : Tensor(dtype, std::move(shape), true) {}

Tensor::Tensor(DType dtype, std::vector<int64_t> shape, bool zeroed) : dtype_(dtype), shape_(std::move(shape)) {
  // Allocation first: a result too large for memory says so (kMemory) before
  // its strides could overflow.
  storage_.reset(core::AllocateResultFor(dtype_, shape_, zeroed));
  strides_ = ContiguousStrides(shape_);
}

Tensor Tensor::Uninitialized(DType dtype, std::vector<int64_t> shape) {
  return Tensor(dtype, std::move(shape), false);
}

int64_t Tensor::num_elements() const { return Product(shape_); }

void Tensor::Free::operator()(void* p) const noexcept { core::FreeResult(p); }

}  // namespace batchdot
