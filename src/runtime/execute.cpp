// Execute: check the output once, convert mixed dtypes, plan, then run the
// chosen kernel over the plan's outer loops, split across threads by batch items
// or, when there are fewer items than threads, by row/column tiles. The
// contracted axis is never split, so results do not depend on the thread count.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "batchdot/batchdot.hpp"
#include "core/convert.hpp"
#include "kernels/kernel_table.hpp"
#include "plan/plan.hpp"
#include "runtime/output_checks.hpp"
#include "runtime/thread_pool.hpp"

namespace batchdot {
namespace {

using kernels::GemmRange;
using kernels::StridedGemm;

// Below this many multiply-adds a call takes under ~10 us on one core (the
// seed's 230k take 8 us), where splitting it gains less than handing it over costs.
constexpr double kSerialMultiplyAdds = 250'000;
// Row/column tiles are multiples of this, so threads split on micro-tile edges.
constexpr int64_t kTileAlign = 32;

template <typename T>
kernels::GemmKernel<T> Select(const kernels::FamilyKernels<T>& family, KernelPath path) {
  switch (path) {
    case KernelPath::kDot: return family.dot;
    case KernelPath::kGemv: return family.gemv;
    case KernelPath::kSmall: return family.small;
    case KernelPath::kGemm: return family.gemm;
    default: return family.generic;
  }
}

template <typename T>
const kernels::FamilyKernels<T>* FamilyFor(const kernels::KernelTable& table) {
  if constexpr (std::is_same_v<T, float>) return &table.f32;
  if constexpr (std::is_same_v<T, double>) return &table.f64;
  if constexpr (std::is_same_v<T, int32_t>) return &table.i32;
  if constexpr (std::is_same_v<T, int64_t>) return &table.i64;
}

// Pointers of the kernel's A, B, C for outer iteration `o` (odometer over plan.outer).
struct Bases {
  int64_t a, b, c;
};

Bases OuterOffsets(const plan::Plan& plan, int64_t o) {
  int64_t x = 0, y = 0, out = 0;
  for (size_t i = plan.outer.size(); i-- > 0;) {
    const plan::OuterLoop& loop = plan.outer[i];
    const int64_t index = o % loop.size;
    o /= loop.size;
    x += index * loop.x_stride;
    y += index * loop.y_stride;
    out += index * loop.out_stride;
  }
  return plan.swapped ? Bases{y, x, out} : Bases{x, y, out};
}

// Copies the (k x n) panels of items [begin, end) of y, whose column axes are
// plan.gathered_cols, into `panel`, row-major and contiguous per item.
template <typename T>
void GatherPanels(const plan::Plan& plan, const T* y, int64_t begin, int64_t end, std::vector<T>& panel) {
  const StridedGemm& g = plan.gemm;
  panel.resize(static_cast<size_t>((end - begin) * g.k * g.n));
  const std::vector<plan::OuterLoop>& axes = plan.gathered_cols;
  const plan::OuterLoop& inner = axes.back();
  // y offsets of each run of the innermost column axis, in output order (the
  // axis just outside the innermost varies fastest).
  thread_local std::vector<int64_t> run_offsets;
  run_offsets.assign(1, 0);
  for (size_t a = axes.size() - 1; a-- > 0;) {
    const size_t count = run_offsets.size();
    for (int64_t i = 1; i < axes[a].size; ++i) {
      for (size_t j = 0; j < count; ++j) run_offsets.push_back(run_offsets[j] + i * axes[a].y_stride);
    }
  }
  T* out = panel.data();
  // Locals, so the copy loops keep them in registers (stores through `out`
  // would otherwise reload them for every short run).
  const int64_t* const offsets = run_offsets.data();
  const size_t runs = run_offsets.size();
  const int64_t run_size = inner.size, run_stride = inner.y_stride;
  const int64_t item_stride = plan.gather_item_stride, k_stride = plan.gather_k_stride;
  for (int64_t item = begin; item < end; ++item) {
    for (int64_t k = 0; k < g.k; ++k) {
      const T* row = y + item * item_stride + k * k_stride;
      for (size_t r = 0; r < runs; ++r, out += run_size) {
        const T* run = row + offsets[r];
        if (run_stride == 1) {
          // Fixed-size pieces inline as vector moves; a memcpy call per short
          // run (the seed's 8 floats) was a sixth of the seed's time.
          int64_t j = 0;
          for (; j + 8 <= run_size; j += 8) std::memcpy(out + j, run + j, 8 * sizeof(T));
          for (; j < run_size; ++j) out[j] = run[j];
        } else {
          for (int64_t j = 0; j < run_size; ++j) out[j] = run[j * run_stride];
        }
      }
    }
  }
}

// Runs a gathered plan's task: gather the items' panels once, then call the
// kernel on column tiles of at most plan.column_tile() columns.
template <typename T>
void RunGathered(const plan::Plan& plan, kernels::GemmKernel<T> kernel, const GemmRange& range, const T* a,
                 const T* y, T* c, kernels::Workspace& workspace) {
  thread_local std::vector<T> panel;
  GatherPanels(plan, y, range.item_begin, range.item_end, panel);
  StridedGemm tile = plan.gemm;
  const int64_t items = range.item_end - range.item_begin;
  const int64_t width = plan.column_tile();
  a += range.item_begin * tile.a_item_stride;
  c += range.item_begin * tile.c_item_stride;
  for (int64_t n0 = 0; n0 < plan.gemm.n; n0 += width) {
    tile.n = std::min(width, plan.gemm.n - n0);
    const GemmRange tile_range{0, items, range.m_begin, range.m_end, 0, tile.n};
    kernel(tile, tile_range, a, panel.data() + n0, c + n0 * tile.c_n_stride, workspace);
  }
}

template <typename T>
void RunPlan(const plan::Plan& plan, const T* x, const T* y, T* out, int threads) {
  const kernels::GemmKernel<T> kernel = Select(*FamilyFor<T>(kernels::Kernels()), plan.path);
  const StridedGemm& g = plan.gemm;
  const T* a = plan.swapped ? y : x;
  const T* b = plan.swapped ? x : y;
  const int64_t outer_count = plan.outer_count();
  const int64_t items = outer_count * g.count;
  if (plan.multiply_adds() < kSerialMultiplyAdds) threads = 1;

  // Items per task, or tiles per item when items are scarcer than threads.
  int64_t items_per_task = g.count, row_tile = g.m, col_tile = g.n;
  if (threads > 1) {
    if (items >= 2 * threads) {
      const int64_t target_tasks = 4 * static_cast<int64_t>(threads);
      items_per_task = std::max<int64_t>(1, (items + target_tasks - 1) / target_tasks);
      items_per_task = std::min(items_per_task, g.count);
    } else {
      // A gathered task covers every column (RunGathered tiles them itself): split rows only.
      const bool by_rows = g.m >= g.n || !plan.gathered_cols.empty();
      const int64_t parts = (2 * threads + items - 1) / items;
      int64_t& tile = by_rows ? row_tile : col_tile;
      const int64_t extent = by_rows ? g.m : g.n;
      tile = std::max(kTileAlign, (extent / parts + kTileAlign - 1) / kTileAlign * kTileAlign);
      items_per_task = 1;
    }
  }
  const int64_t item_chunks = (g.count + items_per_task - 1) / items_per_task;
  const int64_t row_tiles = (g.m + row_tile - 1) / row_tile;
  const int64_t col_tiles = (g.n + col_tile - 1) / col_tile;
  const int64_t tasks_per_outer = item_chunks * row_tiles * col_tiles;

  runtime::ThreadPool::Instance().ParallelFor(
      outer_count * tasks_per_outer, threads, [&](int64_t task, int /*worker*/) {
        thread_local kernels::Workspace workspace;
        const int64_t o = task / tasks_per_outer;
        int64_t rest = task % tasks_per_outer;
        const int64_t col = rest % col_tiles;
        rest /= col_tiles;
        const int64_t row = rest % row_tiles;
        const int64_t chunk = rest / row_tiles;
        const Bases base = OuterOffsets(plan, o);
        const GemmRange range{chunk * items_per_task, std::min(g.count, (chunk + 1) * items_per_task),
                              row * row_tile, std::min(g.m, (row + 1) * row_tile),
                              col * col_tile, std::min(g.n, (col + 1) * col_tile)};
        if (plan.gathered_cols.empty()) {
          kernel(g, range, a + base.a, b + base.b, out + base.c, workspace);
        } else {
          RunGathered(plan, kernel, range, a + base.a, b + base.b, out + base.c, workspace);
        }
      });
}

}  // namespace

void Execute(const Contraction& c, const TensorView& x, const TensorView& y, const MutableTensorView& out,
             const Options& options) {
  runtime::CheckOutput(c, x, y, out);
  const SameDTypeOperands operands(c.dtype, x, y);
  const TensorView& xv = operands.x;
  const TensorView& yv = operands.y;
  const plan::Plan plan = plan::MakePlan(c, xv, yv, out, options.force_kernel);
  if (plan.empty_output) return;
  const int threads = options.num_threads > 0 ? options.num_threads : GetNumThreads();
  const bool has_kernels = c.dtype == DType::kFloat32 || c.dtype == DType::kFloat64 ||
                           c.dtype == DType::kInt32 || c.dtype == DType::kInt64;
  if (plan.path == KernelPath::kReference || !has_kernels) {
    ReferenceExecute(c, xv, yv, out);
    return;
  }
  switch (c.dtype) {
    case DType::kFloat32:
      RunPlan(plan, static_cast<const float*>(xv.data), static_cast<const float*>(yv.data),
              static_cast<float*>(out.data), threads);
      break;
    case DType::kFloat64:
      RunPlan(plan, static_cast<const double*>(xv.data), static_cast<const double*>(yv.data),
              static_cast<double*>(out.data), threads);
      break;
    case DType::kInt32:
      RunPlan(plan, static_cast<const int32_t*>(xv.data), static_cast<const int32_t*>(yv.data),
              static_cast<int32_t*>(out.data), threads);
      break;
    default:
      RunPlan(plan, static_cast<const int64_t*>(xv.data), static_cast<const int64_t*>(yv.data),
              static_cast<int64_t*>(out.data), threads);
      break;
  }
}

Tensor Execute(const Contraction& c, const TensorView& x, const TensorView& y, const Options& options) {
  // Every element is written below (k == 0 writes zeros), so skip zeroing.
  Tensor result = Tensor::Uninitialized(c.dtype, c.output_shape);
  Execute(c, x, y, result.mutable_view(), options);
  return result;
}

}  // namespace batchdot
