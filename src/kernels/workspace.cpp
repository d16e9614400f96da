// Per-thread scratch for packing buffers: 64-byte aligned, grows on demand and
// never shrinks, so steady-state calls do no allocation.
#include <cstdlib>

#include "kernels/strided_gemm.hpp"

namespace batchdot::kernels {

namespace {
constexpr size_t kAlign = 64;
}  // namespace

Workspace::~Workspace() { std::free(data_); }

void* Workspace::Get(size_t bytes) {
  if (bytes <= size_ && data_ != nullptr) return data_;
  // Round up so that aligned_alloc's size precondition holds and so that a
  // slowly growing request sequence does not reallocate on every call.
  size_t want = (bytes + kAlign - 1) / kAlign * kAlign;
  if (want < 4096) want = 4096;
  if (want < size_ + size_ / 2) want = (size_ + size_ / 2 + kAlign - 1) / kAlign * kAlign;
  // Kernels are noexcept, so failure is reported as nullptr (the old buffer is
  // kept); callers fall back to an unpacked path or MarkOutOfMemory, never abort.
  void* p = std::aligned_alloc(kAlign, want);
  if (p == nullptr) return nullptr;
  std::free(data_);
  data_ = p;
  size_ = want;
  return data_;
}

}  // namespace batchdot::kernels
