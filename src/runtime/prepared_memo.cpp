// The per-thread PreparedState memo (prepared_memo.hpp): a few entries, the
// least recently used replaced first, looked up by comparing keys word by word.
#include "runtime/prepared_memo.hpp"

#include <algorithm>
#include <array>

namespace batchdot::runtime {
namespace {

// Enough for a training step's forward and backward calls of several layers, or a
// loop over 16 layouts. Least recently used is replaced first: the old
// oldest-first order missed on every call of a loop over one layout more than
// it held (9 with 8 entries), as LRU would too, so the memo holds 16. A miss
// costs one word compare per entry in the common case (keys differ early).
constexpr size_t kEntries = 16;

struct Memo {
  std::array<MemoEntry, kEntries> entries;
  // Use stamp of each entry (0: empty); larger is more recent.
  std::array<uint64_t, kEntries> last_use{};
  uint64_t clock = 0;
};

Memo& ThreadMemo() {
  thread_local Memo memo;
  return memo;
}

bool Intersect(uintptr_t a, const ByteExtent& ea, uintptr_t b, const ByteExtent& eb) {
  const auto a_begin = static_cast<intptr_t>(a) + ea.begin, a_end = static_cast<intptr_t>(a) + ea.end;
  const auto b_begin = static_cast<intptr_t>(b) + eb.begin, b_end = static_cast<intptr_t>(b) + eb.end;
  return a_begin < b_end && b_begin < a_end;
}

}  // namespace

void CallKey::Add(std::span<const int64_t> values) {
  const size_t at = words_.size();
  words_.resize(at + 1 + values.size());  // no reallocation once the buffer is warm
  words_[at] = static_cast<int64_t>(values.size());
  std::copy(values.begin(), values.end(), words_.begin() + static_cast<std::ptrdiff_t>(at + 1));
}

void CallKey::Build(const Contraction& c, const TensorView& x, const TensorView& y, const MutableTensorView& out,
                    const Options& options) {
  words_.clear();
  words_.push_back(static_cast<int64_t>(c.dtype));
  for (const std::vector<int64_t>* axes :
       {&c.lhs_batch, &c.rhs_batch, &c.lhs_contracting, &c.rhs_contracting, &c.lhs_free, &c.rhs_free,
        &c.output_shape}) {
    Add(*axes);
  }
  words_.push_back(static_cast<int64_t>(x.dtype));
  Add(x.shape);
  Add(x.strides_elems);
  words_.push_back(static_cast<int64_t>(y.dtype));
  Add(y.shape);
  Add(y.strides_elems);
  words_.push_back(static_cast<int64_t>(out.dtype));
  Add(out.shape);
  Add(out.strides_elems);
  // The thread count the call resolves to, so SetNumThreads takes effect.
  words_.push_back(options.num_threads != 0 ? options.num_threads : GetNumThreads());
  words_.push_back(static_cast<int64_t>(options.force_kernel));
}

ByteExtent ExtentOf(DType dtype, std::span<const int64_t> shape, std::span<const int64_t> strides) {
  const auto item = static_cast<int64_t>(SizeOf(dtype));
  ByteExtent e{0, item};
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 0) return {0, 0};
    const int64_t reach = (shape[i] - 1) * strides[i] * item;
    (reach < 0 ? e.begin : e.end) += reach;
  }
  return e;
}

const MemoEntry* FindPrepared(std::span<const int64_t> key) {
  Memo& memo = ThreadMemo();
  for (size_t i = 0; i < kEntries; ++i) {
    const MemoEntry& e = memo.entries[i];
    if (memo.last_use[i] != 0 && std::equal(key.begin(), key.end(), e.key.begin(), e.key.end())) {
      memo.last_use[i] = ++memo.clock;
      return &e;
    }
  }
  return nullptr;
}

const MemoEntry& RememberPrepared(std::span<const int64_t> key, PreparedState&& state, const TensorView& x,
                                  const TensorView& y, const MutableTensorView& out) {
  Memo& memo = ThreadMemo();
  // An empty entry (stamp 0) is the least recent of all.
  const size_t slot = static_cast<size_t>(std::min_element(memo.last_use.begin(), memo.last_use.end()) -
                                          memo.last_use.begin());
  MemoEntry& e = memo.entries[slot];
  e.key.assign(key.begin(), key.end());
  e.state = std::move(state);
  e.x_extent = ExtentOf(x.dtype, x.shape, x.strides_elems);
  e.y_extent = ExtentOf(y.dtype, y.shape, y.strides_elems);
  e.out_extent = ExtentOf(out.dtype, out.shape, out.strides_elems);
  memo.last_use[slot] = ++memo.clock;
  return e;
}

bool PointersPass(const MemoEntry& e, const void* x, const void* y, const void* out) {
  const PreparedState& s = e.state;
  if ((s.x_needed && x == nullptr) || (s.y_needed && y == nullptr) || (s.out_needed && out == nullptr)) return false;
  if (!s.out_needed) return true;
  const auto o = reinterpret_cast<uintptr_t>(out);
  return !(s.x_needed && Intersect(o, e.out_extent, reinterpret_cast<uintptr_t>(x), e.x_extent)) &&
         !(s.y_needed && Intersect(o, e.out_extent, reinterpret_cast<uintptr_t>(y), e.y_extent));
}

}  // namespace batchdot::runtime
