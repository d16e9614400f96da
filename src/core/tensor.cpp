// Strided views and the owning result tensor.
#include "batchdot/tensor.hpp"

#include "runtime/result_memory.hpp"

namespace batchdot {
namespace {

int64_t Product(std::span<const int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

}  // namespace

int64_t TensorView::num_elements() const { return Product(shape); }
int64_t MutableTensorView::num_elements() const { return Product(shape); }

std::vector<int64_t> ContiguousStrides(std::span<const int64_t> shape) {
  std::vector<int64_t> strides(shape.size());
  int64_t stride = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= shape[i] > 0 ? shape[i] : 1;
  }
  return strides;
}

Tensor::Tensor(DType dtype, std::vector<int64_t> shape) : Tensor(dtype, std::move(shape), true) {}

Tensor::Tensor(DType dtype, std::vector<int64_t> shape, bool zeroed)
    : dtype_(dtype), shape_(std::move(shape)), strides_(ContiguousStrides(shape_)) {
  storage_.reset(runtime::AllocateResultFor(dtype_, shape_, zeroed));
}

Tensor Tensor::Uninitialized(DType dtype, std::vector<int64_t> shape) {
  return Tensor(dtype, std::move(shape), false);
}

int64_t Tensor::num_elements() const { return Product(shape_); }

void Tensor::Free::operator()(void* p) const noexcept { runtime::FreeResult(p); }

}  // namespace batchdot
