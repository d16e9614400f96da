// Running a prepared plan: the chosen kernel over the plan's outer loops, one
// task per (outer iteration, item chunk, row tile, column tile). Serial plans
// call the kernel directly; parallel ones hand the same tasks to the pool. The
// contracted axis is never split, so results do not depend on the thread count.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "core/byte_size.hpp"
#include "kernels/kernel_table.hpp"
#include "kernels/reference_dot_general.hpp"
#include "runtime/prepared_state.hpp"
#include "runtime/thread_pool.hpp"

namespace batchdot::runtime {
namespace {

using kernels::GemmRange;
using kernels::StridedGemm;

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
  // k == 0: nothing to gather (the kernel only writes zeros, never reads B), and
  // an empty panel's data() may be null, where `+ n0` below is undefined
  // (found by execute_fuzz); any valid pointer will do, and c is one.
  if (plan.gemm.k > 0) GatherPanels(plan, y, range.item_begin, range.item_end, panel);
  const T* panel_base = plan.gemm.k > 0 ? panel.data() : c;
  StridedGemm tile = plan.gemm;
  const int64_t items = range.item_end - range.item_begin;
  const int64_t width = plan.column_tile();
  a += range.item_begin * tile.a_item_stride;
  c += range.item_begin * tile.c_item_stride;
  for (int64_t n0 = 0; n0 < plan.gemm.n; n0 += width) {
    tile.n = std::min(width, plan.gemm.n - n0);
    const GemmRange tile_range{0, items, range.m_begin, range.m_end, 0, tile.n};
    kernel(tile, tile_range, a, panel_base + n0, c + n0 * tile.c_n_stride, workspace);
  }
}

// One task of the grid described in PreparedState: outer iteration o, item
// chunk, row tile and column tile. Returns the bytes of scratch a kernel could
// not get (0: the task's C range is written); never throws, as it may run on a
// pool worker.
template <typename T>
size_t RunTask(const PreparedState& s, int64_t o, int64_t chunk, int64_t row, int64_t col, const T* a, const T* b,
               T* out) noexcept {
  thread_local kernels::Workspace workspace;
  const plan::Plan& plan = s.plan;
  const StridedGemm& g = plan.gemm;
  const auto kernel = reinterpret_cast<kernels::GemmKernel<T>>(s.kernel);
  const Bases base = plan.outer.empty() ? Bases{0, 0, 0} : OuterOffsets(plan, o);
  const GemmRange range{chunk * s.items_per_task, std::min(g.count, (chunk + 1) * s.items_per_task),
                        row * s.row_tile, std::min(g.m, (row + 1) * s.row_tile),
                        col * s.col_tile, std::min(g.n, (col + 1) * s.col_tile)};
  if (plan.gathered_cols.empty()) {
    kernel(g, range, a + base.a, b + base.b, out + base.c, workspace);
  } else {
    try {
      RunGathered(plan, kernel, range, a + base.a, b + base.b, out + base.c, workspace);
    } catch (const std::bad_alloc&) {  // the gathered panel
      workspace.MarkOutOfMemory(static_cast<size_t>((range.item_end - range.item_begin) * g.k * g.n) * sizeof(T));
    }
  }
  return workspace.TakeOutOfMemory();
}

// The error for a kernel that could not get its scratch memory (the result is
// then incomplete): kMemory, as for a result that cannot be allocated.
[[noreturn]] void ThrowWorkspaceMissing(const PreparedState& s, size_t bytes) {
  throw Error(ErrorKind::kMemory, "out of memory: the " + std::string(Name(s.plan.dtype)) +
                                      " kernel needs " + core::ByteSizeText(static_cast<long double>(bytes)) +
                                      " of scratch per thread");
}

template <typename T>
void RunKernelPlan(const PreparedState& s, const void* x, const void* y, void* out_data) {
  const T* a = static_cast<const T*>(s.plan.swapped ? y : x);
  const T* b = static_cast<const T*>(s.plan.swapped ? x : y);
  T* out = static_cast<T*>(out_data);
  if (s.threads == 1) {
    // No pool hop, no std::function, no index divisions: the caller walks the grid.
    const int64_t outer_count = s.task_count / s.tasks_per_outer;
    for (int64_t o = 0; o < outer_count; ++o) {
      for (int64_t chunk = 0; chunk < s.item_chunks; ++chunk) {
        for (int64_t row = 0; row < s.row_tiles; ++row) {
          for (int64_t col = 0; col < s.col_tiles; ++col) {
            if (const size_t missing = RunTask(s, o, chunk, row, col, a, b, out)) ThrowWorkspaceMissing(s, missing);
          }
        }
      }
    }
    return;
  }
  std::atomic<size_t> missing{0};
  ThreadPool::Instance().ParallelFor(s.task_count, s.threads, [&](int64_t task, int /*worker*/) {
    int64_t rest = task % s.tasks_per_outer;
    const int64_t col = rest % s.col_tiles;
    rest /= s.col_tiles;
    const size_t bytes = RunTask(s, task / s.tasks_per_outer, rest / s.row_tiles, rest % s.row_tiles, col, a, b, out);
    if (bytes != 0) missing.store(bytes, std::memory_order_relaxed);
  });
  if (const size_t bytes = missing.load()) ThrowWorkspaceMissing(s, bytes);
}

// Contractions no kernel family runs (unmergeable contracted axes, complex).
void RunReference(const PreparedState& s, const void* x, const void* y, void* out) {
  const TensorView xv{x, s.x_dtype, s.x_shape, s.x_strides};
  const TensorView yv{y, s.y_dtype, s.y_shape, s.y_strides};
  const MutableTensorView ov{out, s.contraction.dtype, s.out_shape, s.out_strides};
  kernels::ReferenceDotGeneral(s.contraction, xv, yv, ov);  // Prepare checked the views
}

template <typename T>
void Bind(PreparedState& s, const kernels::FamilyKernels<T>& family) {
  kernels::GemmKernel<T> kernel = family.generic;
  switch (s.plan.path) {
    case KernelPath::kDot: kernel = family.dot; break;
    case KernelPath::kGemv: kernel = family.gemv; break;
    case KernelPath::kSmall: kernel = family.small; break;
    case KernelPath::kGemm: kernel = family.gemm; break;
    default: break;
  }
  s.kernel = reinterpret_cast<AnyKernel>(kernel);
  s.run = &RunKernelPlan<T>;
}

}  // namespace

bool BindKernel(PreparedState& s) {
  const kernels::KernelTable& table = kernels::Kernels();
  s.run = &RunReference;
  if (s.plan.path == KernelPath::kReference) return true;
  switch (s.plan.dtype) {
    case DType::kFloat32: Bind(s, table.f32); return false;
    case DType::kFloat64: Bind(s, table.f64); return false;
    case DType::kInt32: Bind(s, table.i32); return false;
    case DType::kInt64: Bind(s, table.i64); return false;
    case DType::kFloat16: Bind(s, table.f16); return false;
    case DType::kBFloat16: Bind(s, table.bf16); return false;
    default: return true;  // complex: no kernel family, the reference runs it
  }
}

}  // namespace batchdot::runtime
