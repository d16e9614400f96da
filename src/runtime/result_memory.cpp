// Result allocation. Large results come from mmap with MADV_HUGEPAGE: the kernel
// hands out zeroed pages, so no memset pass, and 2 MiB pages cut the page-fault
// cost of a fresh 64 MiB result several times over.
#include "runtime/result_memory.hpp"

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

namespace batchdot::runtime {
namespace {

// Bytes in front of every block: the mapping size (0 for heap blocks).
constexpr size_t kHeader = 64;
constexpr size_t kHugePage = size_t{2} << 20;
constexpr size_t kMapThreshold = size_t{1} << 20;

}  // namespace

void* AllocateResult(size_t bytes) {
  const size_t total = kHeader + bytes;
  if (total >= kMapThreshold) {
    // Over-allocate so the block can start on a huge-page boundary minus the header.
    const size_t mapped = total + kHugePage;
    void* base = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) throw std::bad_alloc();
    auto address = reinterpret_cast<uintptr_t>(base);
    const uintptr_t aligned = (address + kHeader + kHugePage - 1) & ~(kHugePage - 1);
    madvise(base, mapped, MADV_HUGEPAGE);
    auto* header = reinterpret_cast<size_t*>(aligned - kHeader);
    header[0] = mapped;
    header[1] = static_cast<size_t>(aligned - address);  // offset back to the mapping start
    return reinterpret_cast<void*>(aligned);
  }
  void* block = std::aligned_alloc(kHeader, (total + kHeader - 1) / kHeader * kHeader);
  if (block == nullptr) throw std::bad_alloc();
  std::memset(block, 0, total);
  return static_cast<char*>(block) + kHeader;
}

void FreeResult(void* p) noexcept {
  if (p == nullptr) return;
  auto* header = reinterpret_cast<size_t*>(static_cast<char*>(p) - kHeader);
  if (header[0] == 0) {
    std::free(header);
    return;
  }
  munmap(static_cast<char*>(p) - header[1], header[0]);
}

}  // namespace batchdot::runtime
