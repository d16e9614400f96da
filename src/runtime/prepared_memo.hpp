// A per-thread memo of the PreparedStates of recent Execute calls, keyed by
// everything Prepare reads except the data pointers: the contraction, the
// dtypes, shapes and strides of x, y and out, and the options. A call that
// repeats a layout (a training step, a Python loop) skips the checks and the
// planning; what depends on the pointers (null data, an output sharing memory
// with an input) is still checked on every call.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "batchdot/batchdot.hpp"
#include "runtime/prepared_state.hpp"

namespace batchdot::runtime {

// The key of one call, built in a reused buffer (no allocation once warm).
class CallKey {
 public:
  void Build(const Contraction& c, const TensorView& x, const TensorView& y, const MutableTensorView& out,
             const Options& options);
  std::span<const int64_t> words() const { return words_; }

 private:
  void Add(std::span<const int64_t> values);
  std::vector<int64_t> words_;
};

// Byte offsets, relative to the data pointer, of the first and one past the last
// byte a view touches: disjoint extents prove two views share no memory.
struct ByteExtent {
  int64_t begin = 0, end = 0;
};
ByteExtent ExtentOf(DType dtype, std::span<const int64_t> shape, std::span<const int64_t> strides);

// The memo's record of one prepared call.
struct MemoEntry {
  std::vector<int64_t> key;
  PreparedState state;
  ByteExtent x_extent, y_extent, out_extent;
};

// The entry prepared for `key` on this thread (now the most recently used), or null.
const MemoEntry* FindPrepared(std::span<const int64_t> key);

// Keeps `state` for `key` (replacing the least recently used of a few entries)
// and returns it.
const MemoEntry& RememberPrepared(std::span<const int64_t> key, PreparedState&& state, const TensorView& x,
                                  const TensorView& y, const MutableTensorView& out);

// Whether this call's pointers pass the checks the memo cannot remember: data
// for every view with elements, and an output whose extent misses both inputs'
// (a call that fails this gets the exact output checks before it runs).
bool PointersPass(const MemoEntry& e, const void* x, const void* y, const void* out);

}  // namespace batchdot::runtime
