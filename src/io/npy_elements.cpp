#include "io/npy_elements.hpp"

#include <bit>
#include <utility>

namespace batchdot::io {

size_t WordSize(DType dtype) {
  const bool is_complex = dtype == DType::kComplex64 || dtype == DType::kComplex128;
  return SizeOf(dtype) / (is_complex ? 2 : 1);
}

std::vector<int64_t> StoredStrides(const std::vector<int64_t>& shape, bool fortran_order) {
  const size_t rank = shape.size();
  std::vector<int64_t> strides(rank);
  int64_t stride = 1;
  for (size_t i = 0; i < rank; ++i) {
    const size_t axis = fortran_order ? i : rank - 1 - i;
    strides[axis] = stride;
    stride *= shape[axis];
  }
  return strides;
}

void ToLittleEndian(uint8_t* bytes, size_t size, DType dtype) {
  if constexpr (std::endian::native == std::endian::big) {
    const size_t word = WordSize(dtype);
    for (size_t at = 0; at + word <= size; at += word) {
      for (size_t i = 0; i < word / 2; ++i) std::swap(bytes[at + i], bytes[at + word - 1 - i]);
    }
  } else {
    (void)bytes, (void)size, (void)dtype;
  }
}

}  // namespace batchdot::io
