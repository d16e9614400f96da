// Result allocation. Large results come from mmap with MADV_HUGEPAGE: fresh pages
// are zero, so no memset pass, and 2 MiB pages cut the page-fault cost several
// times over. Freed large blocks go to a small cache for the next result.
#include "core/result_memory.hpp"

#include <sys/mman.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <string>
#include <cstring>
#include <deque>
#include <mutex>
#include <new>

#include "core/byte_size.hpp"
#include "batchdot/error.hpp"

namespace batchdot::core {
namespace {

// Bytes in front of every block: the mapping size (0 for heap blocks) and the
// offset from the mapping start to the block.
constexpr size_t kHeader = 64;
constexpr size_t kHugePage = size_t{2} << 20;
constexpr size_t kMapThreshold = size_t{1} << 20;
// The recycling cache: at most this many blocks and bytes are kept mapped.
constexpr size_t kCachedBlocks = 4;
constexpr size_t kCachedBytes = size_t{512} << 20;

struct Mapping {
  void* base;
  size_t size;
};

// Recently freed mappings, newest last. Process-wide by design: results are
// freed on whatever thread drops them.
class RecycledMappings {
 public:
  // A cached mapping of at least `size` bytes and at most 25% more, or null base.
  Mapping Take(size_t size) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = cached_.rbegin(); it != cached_.rend(); ++it) {
      if (it->size >= size && it->size <= size + size / 4) {
        const Mapping found = *it;
        cached_bytes_ -= found.size;
        cached_.erase(std::next(it).base());
        return found;
      }
    }
    return {nullptr, 0};
  }

  void Give(Mapping m) {
    std::deque<Mapping> evicted;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (m.size > kCachedBytes) {
        evicted.push_back(m);
      } else {
        cached_.push_back(m);
        cached_bytes_ += m.size;
        while (cached_.size() > kCachedBlocks || cached_bytes_ > kCachedBytes) {
          cached_bytes_ -= cached_.front().size;
          evicted.push_back(cached_.front());
          cached_.pop_front();
        }
      }
    }
    for (const Mapping& e : evicted) munmap(e.base, e.size);
  }

 private:
  std::mutex mutex_;
  std::deque<Mapping> cached_;
  size_t cached_bytes_ = 0;
};

RecycledMappings& Recycled() {
  static RecycledMappings* cache = new RecycledMappings();  // never destroyed: results may outlive statics
  return *cache;
}

void* BlockInMapping(Mapping m) {
  const auto address = reinterpret_cast<uintptr_t>(m.base);
  const uintptr_t aligned = (address + kHeader + kHugePage - 1) & ~(kHugePage - 1);
  auto* header = reinterpret_cast<size_t*>(aligned - kHeader);
  header[0] = m.size;
  header[1] = static_cast<size_t>(aligned - address);
  return reinterpret_cast<void*>(aligned);
}

}  // namespace

void* AllocateResult(size_t bytes, bool zeroed) {
  const size_t total = kHeader + bytes;
  if (total >= kMapThreshold) {
    // Over-allocate so the block can start on a huge-page boundary.
    const size_t mapped = (total + 2 * kHugePage - 1) / kHugePage * kHugePage;
    Mapping m = Recycled().Take(mapped);
    if (m.base != nullptr) {
      void* block = BlockInMapping(m);
      if (zeroed) std::memset(block, 0, bytes);
      return block;
    }
    void* base = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) throw std::bad_alloc();
    madvise(base, mapped, MADV_HUGEPAGE);
    return BlockInMapping({base, mapped});
  }
  void* block = std::aligned_alloc(kHeader, (total + kHeader - 1) / kHeader * kHeader);
  if (block == nullptr) throw std::bad_alloc();
  std::memset(block, 0, zeroed ? total : kHeader);
  return static_cast<char*>(block) + kHeader;
}

void* AllocateResultFor(DType dtype, std::span<const int64_t> shape, bool zeroed) {
  long double wanted = static_cast<long double>(SizeOf(dtype));
  for (int64_t d : shape) wanted *= static_cast<long double>(d);
  // Beyond half the address space no mapping can succeed; don't let size_t wrap.
  if (wanted < static_cast<long double>(SIZE_MAX / 2)) {
    try {
      return AllocateResult(static_cast<size_t>(wanted), zeroed);
    } catch (const std::bad_alloc&) {
    }
  }
  throw Error(ErrorKind::kMemory, "out of memory: the result needs " + core::ByteSizeText(wanted) + " (" +
                                      core::ShapeAndDTypeText(shape, dtype) + ")");
}

void FreeResult(void* p) noexcept {
  if (p == nullptr) return;
  auto* header = reinterpret_cast<size_t*>(static_cast<char*>(p) - kHeader);
  if (header[0] == 0) {
    std::free(header);
    return;
  }
  Recycled().Give({static_cast<char*>(p) - header[1], header[0]});
}

}  // namespace batchdot::core
