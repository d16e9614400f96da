// The out-of-core driver behind `batchdot run` and `batchdot-mpi run`: the
// result is computed a chunk of batch items at a time (or, when one item alone
// exceeds the budget, a band of its rows), so memory stays bounded whatever the
// sizes. Every chunk is one library call on sub-views of the mapped inputs; the
// determinism contract makes the bytes independent of how the batch is split.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "batchdot/batchdot.hpp"
#include "batchdot/run_options.hpp"
#include "io/npy_mapped.hpp"

namespace batchdot::cli {

// Both inputs mapped as stored and the contraction their front end resolves.
struct RunProblem {
  io::MappedNpy x, y;
  Contraction contraction;
};

// Maps both inputs and resolves the contraction with --api's rules (same
// errors, in the same order, as the in-memory path).
RunProblem OpenRunProblem(const RunOptions& options);

// A contiguous byte range of the C-order result: batch items [item_begin,
// item_end), or rows [row_begin, row_end) of output axis 1 of one item.
struct Chunk {
  int64_t item_begin = 0, item_end = 0;
  int64_t row_begin = 0, row_end = -1;  // row_end < 0: every row
  uint64_t offset = 0;                  // bytes from the start of the data
  uint64_t bytes = 0;
};

// Default budget for one chunk's anonymous memory: the output piece plus any
// native or converted copies of the input pieces.
inline constexpr int64_t kDefaultChunkBytes = int64_t{16} << 20;

// Splits and computes one RunProblem, which must outlive it. Not thread-safe
// (one driver per thread); each Compute() uses the library's worker threads.
class ChunkedRun {
 public:
  ChunkedRun(const RunProblem& problem, const RunOptions& options);
  ~ChunkedRun();
  ChunkedRun(const ChunkedRun&) = delete;
  ChunkedRun& operator=(const ChunkedRun&) = delete;

  // Batch items along output axis 0 (1 when the contraction has no batch axis).
  int64_t items() const { return items_; }
  uint64_t item_bytes() const { return item_bytes_; }
  uint64_t total_bytes() const { return item_bytes_ * static_cast<uint64_t>(items_); }

  // The chunks covering items [item_begin, item_end), in file order. The split
  // depends only on the shapes, the dtypes and the budget.
  std::vector<Chunk> Chunks(int64_t item_begin, int64_t item_end) const;

  // Computes `chunk` into an internal buffer and returns it (chunk.bytes bytes,
  // native byte order), valid until the next call.
  void* Compute(const Chunk& chunk);

 private:
  struct Scratch;
  const RunProblem& problem_;
  Options options_;
  bool reference_;
  int64_t items_ = 1, rows_ = 0;
  uint64_t item_bytes_ = 0, row_bytes_ = 0;
  int64_t items_per_chunk_ = 1, rows_per_chunk_ = 0;  // rows_per_chunk_ 0: no row bands
  std::unique_ptr<Scratch> scratch_;
};

// `batchdot run` out of core: checks -o, maps, resolves, then writes the result
// chunk by chunk through a pre-sized file that gets its name only on success.
void RunOutOfCore(const RunOptions& options);

}  // namespace batchdot::cli
