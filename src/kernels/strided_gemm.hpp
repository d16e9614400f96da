// The unit of work every kernel family executes: a run of `count` independent
// matrix products with element strides, C_i[m, n] = sum_k A_i[m, k] * B_i[k, n].
//
// The planner collapses a Contraction into one of these per call (looping over
// any leftover outer dims itself), so kernels never see Contraction or dtype
// promotion. Strides are in ELEMENTS and may be zero or negative. Kernels
// overwrite C (beta = 0); with K == 0 they write zeros.
//
// Determinism contract for every kernel: the sum for one C element runs over k
// in a fixed order that depends only on (M, N, K, strides, target), never on which
// items or tiles a thread received, so any split of `count` or of M/N tiles across
// threads gives bitwise-identical results.
#pragma once

#include <cstddef>
#include <cstdint>

namespace batchdot::kernels {

struct StridedGemm {
  int64_t count = 1;  // independent products
  int64_t m = 1, n = 1, k = 0;
  // Per-item offsets of A, B, C.
  int64_t a_item_stride = 0, b_item_stride = 0, c_item_stride = 0;
  // A is m x k, B is k x n, C is m x n.
  int64_t a_m_stride = 0, a_k_stride = 0;
  int64_t b_k_stride = 0, b_n_stride = 0;
  int64_t c_m_stride = 0, c_n_stride = 0;
  // Columns of B in runs of b_run (y's free axes straddle its contracted axis,
  // as the seed's y (B, 12, K, 8) does); 0: no runs. Only the small family reads
  // runs (ReadsColumnRuns); the planner gives them to no other kernel.
  int64_t b_run = 0, b_run_stride = 0;

  // Offset of B's column j from column 0.
  int64_t b_column_offset(int64_t j) const {
    return b_run == 0 ? j * b_n_stride : (j / b_run) * b_run_stride + (j % b_run) * b_n_stride;
  }
};

// A slice of a StridedGemm given to one thread: items [item_begin, item_end)
// and, within each item, rows [m_begin, m_end) and columns [n_begin, n_end).
struct GemmRange {
  int64_t item_begin, item_end;
  int64_t m_begin, m_end;
  int64_t n_begin, n_end;
};

// Scratch memory owned by the calling thread, reused across calls (packing
// buffers). Kernels ask for at most `bytes` and must not keep the pointer.
//
// It is also the kernels' one failure channel: kernels are noexcept and must not
// abort, so a kernel that cannot run without memory it could not get (the
// half-precision widening buffers, the bf16 GEMM's packed panels) calls
// MarkOutOfMemory and returns; the runner (run_plan.cpp) turns that into
// Error(kMemory) on the calling thread once every task has finished.
class Workspace {
 public:
  Workspace() = default;
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
  ~Workspace();
  // 64-byte aligned; contents unspecified; nullptr when memory is exhausted.
  void* Get(size_t bytes);

  // The kernel left its C range unwritten for want of `bytes` of scratch.
  void MarkOutOfMemory(size_t bytes) { missing_bytes_ = bytes == 0 ? 1 : bytes; }
  // Bytes a kernel could not get since the last call (0: none); resets.
  size_t TakeOutOfMemory() {
    const size_t bytes = missing_bytes_;
    missing_bytes_ = 0;
    return bytes;
  }

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
  size_t missing_bytes_ = 0;
};

// One kernel entry point per (family, dtype). `a`, `b`, `c` point at item 0.
template <typename T>
using GemmKernel = void (*)(const StridedGemm& g, const GemmRange& r, const T* a, const T* b,
                            T* c, Workspace& ws);

}  // namespace batchdot::kernels
