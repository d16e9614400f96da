// Memory for library-allocated results: zeroed, 64-byte aligned, and for large
// results backed by transparent huge pages (fewer page faults when first written).
#pragma once

#include <cstddef>

namespace batchdot::runtime {

// Never returns null (throws std::bad_alloc); a zero-byte request gets a valid pointer.
void* AllocateResult(size_t bytes);
void FreeResult(void* p) noexcept;

}  // namespace batchdot::runtime
