// The machine-dependent constants of the kernels and the task split, in one
// place, each with the reason for its value. They are fixed at compile time on
// purpose: each was measured on the development machine (Zen 5: 48 KiB L1d,
// 1 MiB L2 per core, 32 MiB L3 per CCD), and a value derived at run time from
// the caches the OS reports would change performance, never bits, on machines
// that were not measured; virtual machines often report a whole socket's L3
// (the VM this was written on reports 260 MiB), which would put the stream
// threshold past every benchmark. `batchdot info` prints them next to the detected sizes.
// None of them affects a result's bits: they choose where work is cut and how C
// is stored, never the order of a sum.
#pragma once

#include <cstdint>
#include <string>

namespace batchdot::kernels {

// C bytes of one call above which kernels stream C (non-temporal stores):
// a quarter of a 32 MiB L3, beyond which ordinary stores would evict the inputs
// and pay a DRAM read per line (stream_store-inl.h).
inline constexpr int64_t kStreamMinBytes = int64_t{8} << 20;
inline constexpr int64_t kStreamMinBytesL3Divisor = 4;

// Bytes of one item's B tile (k x tile width) from which the small family runs
// item by item instead of in chunks of 64 items: 2 KiB (a 32 x 16 float tile)
// and more must stay in L1 across the row groups of one item, with the rows of
// A streaming past it (small_gemm-inl.h).
inline constexpr int64_t kSmallItemByItemBTileBytes = 2048;

// One item's A and B bytes for which the packed GEMM prefetches the next item:
// from 64 KiB (smaller items stay cached from the last call) to 1 MiB (larger
// ones would push the current panels out of a 1 MiB L2) (next_item_prefetch-inl.h).
inline constexpr int64_t kPrefetchMinItemBytes = int64_t{64} << 10;
inline constexpr int64_t kPrefetchMaxItemBytes = int64_t{1} << 20;

// Row chunks of the half-precision wrapper's large items (half_via_float.hpp):
// a multiple of 48 rows, a multiple of the float32 kernels' row tiles (12 in the
// packed GEMM, 8 in the small family), so only the last chunk ends in a partial
// tile; at least 96 rows so the widened B panel serves two tiles' worth of rows.
inline constexpr int64_t kHalfRowMultiple = 48;
inline constexpr int64_t kHalfMinRows = 96;

// Row and column tiles of a task split (runtime/prepare.cpp; the CLI's chunked
// runs cut rows the same way): multiples of 32, the packed GEMM's column tile
// (two AVX-512 vectors of float) and four of the small family's 8-row groups.
// Rows split at 32 may cut a 12-row packed micro-tile; that costs one partial
// tile per task, never bits (a thread's range never changes a sum's order).
inline constexpr int64_t kTaskTileAlign = 32;

// "name = value (why)" lines for `batchdot info`, with this machine's L1d, L2
// and L3 sizes as the OS reports them.
std::string MachineConstantsText();

}  // namespace batchdot::kernels
