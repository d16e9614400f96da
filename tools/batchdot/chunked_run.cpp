// Chunk sizes, sub-views and the single-process write loop.
#include "batchdot/chunked_run.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

#include "batchdot/output_hooks.hpp"
#include "batchdot/progress.hpp"
#include "batchdot/signal_cleanup.hpp"
#include "io/npy_file_writer.hpp"
#include "kernels/machine_constants.hpp"

namespace batchdot::cli {
namespace {

// Row bands are multiples of this many rows and never shorter: the edges the
// thread pool splits on, so a band computes its rows exactly as the whole item would.
constexpr int64_t kRowAlign = kernels::kTaskTileAlign;

uint64_t Product(std::span<const int64_t> dims) {
  uint64_t product = 1;
  for (int64_t d : dims) product *= static_cast<uint64_t>(d);
  return product;
}

// A reusable 64-byte-aligned buffer that only grows.
class Buffer {
 public:
  void* Get(size_t bytes) {
    if (bytes > capacity_ || data_ == nullptr) {
      const size_t rounded = (std::max<size_t>(bytes, 1) + 63) / 64 * 64;
      void* fresh = std::aligned_alloc(64, rounded);
      if (fresh == nullptr) throw std::bad_alloc();
      data_.reset(fresh);
      capacity_ = rounded;
    }
    return data_.get();
  }

 private:
  struct Free {
    void operator()(void* p) const noexcept { std::free(p); }
  };
  std::unique_ptr<void, Free> data_;
  size_t capacity_ = 0;
};

// One operand's piece: a sub-view of the mapping, or of a native copy of it.
struct Piece {
  std::vector<int64_t> shape, strides;
  const void* data = nullptr;
  TensorView view(DType dtype) const { return {data, dtype, shape, strides}; }
};

// [begin, end) along one axis of an operand.
struct AxisRange {
  int64_t axis, begin, end;
};

Piece Slice(const io::MappedNpy& file, const std::vector<AxisRange>& ranges, Buffer& copy) {
  const TensorView stored = file.stored_view();
  Piece piece{std::vector<int64_t>(stored.shape.begin(), stored.shape.end()),
              std::vector<int64_t>(stored.strides_elems.begin(), stored.strides_elems.end()), stored.data};
  int64_t offset = 0;
  for (const AxisRange& range : ranges) {
    piece.shape[range.axis] = range.end - range.begin;
    offset += range.begin * piece.strides[range.axis];
  }
  piece.data = static_cast<const uint8_t*>(stored.data) + offset * static_cast<int64_t>(SizeOf(stored.dtype));
  if (file.needs_native_copy()) {
    const TensorView view = piece.view(stored.dtype);
    void* to = copy.Get(static_cast<size_t>(view.num_elements()) * SizeOf(stored.dtype));
    piece.strides = io::CopyToNative(view, file.header().needs_byte_swap, to);
    piece.data = to;
  }
  return piece;
}

// Anonymous bytes one unit of `file` costs in a chunk: a native copy, and a
// conversion copy made by Execute when its dtype is not the contraction's.
uint64_t CopyCost(const io::MappedNpy& file, uint64_t elements, DType contraction_dtype) {
  const DType dtype = file.header().dtype;
  uint64_t cost = 0;
  if (file.needs_native_copy()) cost += elements * SizeOf(dtype);
  if (dtype != contraction_dtype) cost += elements * SizeOf(contraction_dtype);
  return cost;
}

}  // namespace

struct ChunkedRun::Scratch {
  Buffer output, x_copy, y_copy;
};

RunProblem OpenRunProblem(const RunOptions& run) {
  io::NpyReadOptions read_options;
  read_options.allow_trailing = run.allow_trailing;
  read_options.accept_bfloat16 = run.bf16;
  io::MappedNpy x(run.x_path, read_options);
  io::MappedNpy y(run.y_path, read_options);
  const AxesArg axes = ToAxesArg(run.axes_text);
  // Resolve reads shapes and dtypes only, so the stored (maybe byte-swapped) views do.
  Contraction contraction = run.api == "mindspore"
                                ? mindspore::Resolve(x.stored_view(), y.stored_view(), axes)
                                : keras::Resolve(x.stored_view(), y.stored_view(), axes);
  return {std::move(x), std::move(y), std::move(contraction)};
}

ChunkedRun::ChunkedRun(const RunProblem& problem, const RunOptions& run)
    : problem_(problem), reference_(run.reference), scratch_(std::make_unique<Scratch>()) {
  options_.num_threads = run.threads;
  const Contraction& c = problem.contraction;
  const std::span<const int64_t> out_shape = c.output_shape;
  const uint64_t out_item = SizeOf(c.dtype);
  const bool batched = !c.lhs_batch.empty();
  items_ = batched ? out_shape[0] : 1;
  item_bytes_ = (batched ? Product(out_shape.subspan(1)) : Product(out_shape)) * out_item;
  const uint64_t budget = static_cast<uint64_t>(run.chunk_bytes > 0 ? run.chunk_bytes : kDefaultChunkBytes);
  if (items_ == 0 || item_bytes_ == 0) {
    items_per_chunk_ = std::max<int64_t>(items_, 1);
    return;
  }
  const uint64_t x_item = Product(problem.x.header().shape) / static_cast<uint64_t>(items_);
  const uint64_t y_item = Product(problem.y.header().shape) / static_cast<uint64_t>(items_);
  const uint64_t x_cost = CopyCost(problem.x, batched ? x_item : 0, c.dtype);
  const uint64_t y_cost = CopyCost(problem.y, batched ? y_item : 0, c.dtype);
  const uint64_t item_cost = item_bytes_ + x_cost + y_cost;
  items_per_chunk_ = static_cast<int64_t>(std::clamp<uint64_t>(budget / item_cost, 1, items_));
  // Row bands when one item alone is over budget: only with one batch axis,
  // whose output axis 1 is x's first free axis.
  const bool has_rows = c.lhs_batch.size() == 1 && !c.lhs_free.empty() && out_shape.size() >= 2;
  if (item_cost <= budget || !has_rows) return;
  rows_ = out_shape[1];
  if (rows_ < 2 * kRowAlign) return;
  row_bytes_ = item_bytes_ / static_cast<uint64_t>(rows_);
  const uint64_t row_cost = row_bytes_ + x_cost / static_cast<uint64_t>(rows_);
  const uint64_t left = budget > y_cost ? budget - y_cost : 0;
  const int64_t rows = static_cast<int64_t>(left / row_cost) / kRowAlign * kRowAlign;
  rows_per_chunk_ = std::max(rows, kRowAlign);
  if (rows_per_chunk_ * 2 > rows_) rows_per_chunk_ = 0;  // one band would be (nearly) the item
}

ChunkedRun::~ChunkedRun() = default;

std::vector<Chunk> ChunkedRun::Chunks(int64_t item_begin, int64_t item_end) const {
  std::vector<Chunk> chunks;
  if (item_end <= item_begin || total_bytes() == 0) return chunks;
  if (rows_per_chunk_ == 0) {
    for (int64_t b = item_begin; b < item_end; b += items_per_chunk_) {
      const int64_t end = std::min(item_end, b + items_per_chunk_);
      chunks.push_back({b, end, 0, -1, static_cast<uint64_t>(b) * item_bytes_,
                        static_cast<uint64_t>(end - b) * item_bytes_});
    }
    return chunks;
  }
  for (int64_t b = item_begin; b < item_end; ++b) {
    for (int64_t r = 0; r < rows_;) {
      // The last band takes the remainder, so no band is shorter than rows_per_chunk_.
      const int64_t end = rows_ - r < 2 * rows_per_chunk_ ? rows_ : r + rows_per_chunk_;
      chunks.push_back({b, b + 1, r, end,
                        static_cast<uint64_t>(b) * item_bytes_ + static_cast<uint64_t>(r) * row_bytes_,
                        static_cast<uint64_t>(end - r) * row_bytes_});
      r = end;
    }
  }
  return chunks;
}

void* ChunkedRun::Compute(const Chunk& chunk) {
  const Contraction& whole = problem_.contraction;
  Contraction c = whole;
  std::vector<AxisRange> x_ranges, y_ranges;
  if (!whole.lhs_batch.empty()) {
    x_ranges.push_back({whole.lhs_batch[0], chunk.item_begin, chunk.item_end});
    y_ranges.push_back({whole.rhs_batch[0], chunk.item_begin, chunk.item_end});
    c.output_shape[0] = chunk.item_end - chunk.item_begin;
  }
  if (chunk.row_end >= 0) {
    x_ranges.push_back({whole.lhs_free[0], chunk.row_begin, chunk.row_end});
    c.output_shape[1] = chunk.row_end - chunk.row_begin;
  }
  const Piece x = Slice(problem_.x, x_ranges, scratch_->x_copy);
  const Piece y = Slice(problem_.y, y_ranges, scratch_->y_copy);
  const std::vector<int64_t> out_strides = ContiguousStrides(c.output_shape);
  const MutableTensorView out{scratch_->output.Get(chunk.bytes), c.dtype, c.output_shape, out_strides};
  const TensorView xv = x.view(problem_.x.header().dtype);
  const TensorView yv = y.view(problem_.y.header().dtype);
  if (reference_) {
    ReferenceExecute(c, xv, yv, out);
  } else {
    Execute(c, xv, yv, out, options_);
  }
  return out.data;
}

void RunOutOfCore(const RunOptions& options) {
  InstallSignalCleanup();
  io::CheckOutputPath(options.output_path);
  const RunProblem problem = OpenRunProblem(options);
  ChunkedRun run(problem, options);
  RemoveStaleTemporariesOf(options.output_path);
  io::NpyFileWriter writer(options.output_path, problem.contraction.dtype, problem.contraction.output_shape,
                           RunOutputHooks(options), !options.no_space_margin);
  Progress progress(ShowProgress(options), run.total_bytes(), run.item_bytes());
  bool first = true;
  for (const Chunk& chunk : run.Chunks(0, run.items())) {
    writer.WriteData(chunk.offset, run.Compute(chunk), chunk.bytes);
    progress.Advance(chunk.bytes);
    if (std::exchange(first, false)) TestStop("chunk");
  }
  writer.Commit();
  progress.Finish();
}

}  // namespace batchdot::cli
