#include "kernels/machine_constants.hpp"

#include <unistd.h>

#include <string>

namespace batchdot::kernels {
namespace {

std::string Bytes(int64_t b) {
  if (b <= 0) return "unknown";
  if (b % (int64_t{1} << 20) == 0) return std::to_string(b >> 20) + " MiB";
  if (b % (int64_t{1} << 10) == 0) return std::to_string(b >> 10) + " KiB";
  return std::to_string(b) + " bytes";
}

int64_t CacheBytes(int name) {
#ifdef _SC_LEVEL1_DCACHE_SIZE
  return static_cast<int64_t>(sysconf(name));
#else
  (void)name;
  return 0;
#endif
}

}  // namespace

std::string MachineConstantsText() {
  std::string s;
#ifdef _SC_LEVEL1_DCACHE_SIZE
  const int64_t l1 = CacheBytes(_SC_LEVEL1_DCACHE_SIZE), l2 = CacheBytes(_SC_LEVEL2_CACHE_SIZE),
                l3 = CacheBytes(_SC_LEVEL3_CACHE_SIZE);
#else
  const int64_t l1 = 0, l2 = 0, l3 = 0;
#endif
  s += "caches (as reported): L1d " + Bytes(l1) + ", L2 " + Bytes(l2) + ", L3 " + Bytes(l3) +
       " (constants below were measured with 48 KiB, 1 MiB, 32 MiB)\n";
  s += "stream C from " + Bytes(kStreamMinBytes) + " of C per call (L3 / " +
       std::to_string(kStreamMinBytesL3Divisor) + " of a 32 MiB L3; this machine's L3 / " +
       std::to_string(kStreamMinBytesL3Divisor) + " = " + Bytes(l3 / kStreamMinBytesL3Divisor) + ")\n";
  s += "small family item by item from a " + Bytes(kSmallItemByItemBTileBytes) + " B tile (kept in L1)\n";
  s += "prefetch the next item of " + Bytes(kPrefetchMinItemBytes) + " to " + Bytes(kPrefetchMaxItemBytes) +
       " (not cached already, fits beside the panels in L2)\n";
  s += "half-precision row chunks: multiples of " + std::to_string(kHalfRowMultiple) + ", at least " +
       std::to_string(kHalfMinRows) + " rows (whole float32 row tiles)\n";
  s += "task tiles: multiples of " + std::to_string(kTaskTileAlign) + " rows and columns\n";
  return s;
}

}  // namespace batchdot::kernels
