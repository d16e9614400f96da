// Element-level facts the .npy reader, the mapped reader and both writers share:
// the alignment an element needs, the strides of a stored array, and byte order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "batchdot/dtype.hpp"

namespace batchdot::io {

// The width of one byte-order word: a whole element, or one component of a
// complex element (which is also all the alignment a complex element needs).
size_t WordSize(DType dtype);

// Element strides of a stored array of `shape`, C or Fortran order. Cannot
// overflow: ParseNpyHeader bounded the product of the shape.
std::vector<int64_t> StoredStrides(const std::vector<int64_t>& shape, bool fortran_order);

// The writers always emit little-endian data; on a big-endian machine every
// staged word is reversed first (a no-op elsewhere).
void ToLittleEndian(uint8_t* bytes, size_t size, DType dtype);

}  // namespace batchdot::io
