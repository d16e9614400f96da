// Memory for library-allocated results: 64-byte aligned, backed by transparent
// huge pages when large, and recycled: a few recently freed large blocks are kept
// (bounded) so a loop of same-shaped calls does not page-fault a fresh result
// every time (a new 64 MiB result costs 6-8 ms of faults and zeroing).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "batchdot/dtype.hpp"

namespace batchdot::core {

// Never returns null (throws std::bad_alloc); a zero-byte request gets a valid
// pointer. With `zeroed` false the contents are unspecified (a recycled block).
void* AllocateResult(size_t bytes, bool zeroed = true);
// The same for a result of `shape` and `dtype`; when the memory is not there
// (or the size overflows) throws Error(kMemory) naming what was asked:
// "out of memory: the result needs 80.0 GB (2 x 100000 x 100000 float32)".
void* AllocateResultFor(DType dtype, std::span<const int64_t> shape, bool zeroed = true);
void FreeResult(void* p) noexcept;

}  // namespace batchdot::core
