// Prepare: check the output once, plan, bind the kernel and cut the work into
// tasks for the threads, split by batch items or, when there are fewer items
// than threads, by row/column tiles. Run (run_plan.cpp) only follows the result.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include <string>

#include "batchdot/batchdot.hpp"
#include "kernels/machine_constants.hpp"
#include "plan/summation_order.hpp"
#include "runtime/output_checks.hpp"
#include "runtime/prepared_state.hpp"

namespace batchdot {
namespace {

// Below this many multiply-adds a call takes under ~10 us on one core (the
// seed's 230k take 8 us), where splitting it gains less than handing it over costs.
constexpr double kSerialMultiplyAdds = 250'000;

void CutTasks(runtime::PreparedState& s, int threads) {
  const plan::Plan& plan = s.plan;
  const kernels::StridedGemm& g = plan.gemm;
  const int64_t items = plan.outer_count() * g.count;
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
      constexpr int64_t kAlign = kernels::kTaskTileAlign;
      tile = std::max(kAlign, (extent / parts + kAlign - 1) / kAlign * kAlign);
      items_per_task = 1;
    }
  }
  s.items_per_task = std::max<int64_t>(1, items_per_task);
  s.row_tile = std::max<int64_t>(1, row_tile);
  s.col_tile = std::max<int64_t>(1, col_tile);
  s.item_chunks = (g.count + s.items_per_task - 1) / s.items_per_task;
  s.row_tiles = (g.m + s.row_tile - 1) / s.row_tile;
  s.col_tiles = (g.n + s.col_tile - 1) / s.col_tile;
  s.tasks_per_outer = s.item_chunks * s.row_tiles * s.col_tiles;
  s.task_count = plan.outer_count() * s.tasks_per_outer;
  // A single task runs on the caller whatever the thread count.
  s.threads = s.task_count > 1 ? threads : 1;
}

void RunNothing(const runtime::PreparedState&, const void*, const void*, void*) {}

}  // namespace

Prepared::Prepared() = default;
Prepared::Prepared(Prepared&&) noexcept = default;
Prepared& Prepared::operator=(Prepared&&) noexcept = default;
Prepared::~Prepared() = default;

int Prepared::threads() const { return state_ ? state_->threads : 1; }

void Prepared::Run(const void* x, const void* y, void* out) const {
  const runtime::PreparedState* s = state_.get();
  if (s == nullptr) throw Error(ErrorKind::kShape, "Prepared::Run on an empty Prepared (assign Prepare's result)");
  if ((x == nullptr && s->x_needed) || (y == nullptr && s->y_needed) || (out == nullptr && s->out_needed)) {
    throw Error(ErrorKind::kShape, std::string("Prepared::Run: null pointer for ") +
                                       (x == nullptr && s->x_needed ? "x" : y == nullptr && s->y_needed ? "y" : "out"));
  }
  s->run(*s, x, y, out);
}

namespace {

// BATCHDOT_DEBUG=1: one line per prepared call on stderr naming what will run
// (the kernel family, its summation-order class, the product and the threads).
// Read once per process; memoized calls are not prepared again, so not printed.
bool DebugPlans() {
  static const bool debug = [] {
    const char* v = std::getenv("BATCHDOT_DEBUG");
    return v != nullptr && *v != '\0' && *v != '0';
  }();
  return debug;
}

const char* FamilyName(KernelPath path) {
  switch (path) {
    case KernelPath::kAuto: return "auto";
    case KernelPath::kReference: return "reference";
    case KernelPath::kGeneric: return "generic";
    case KernelPath::kDot: return "dot";
    case KernelPath::kGemv: return "gemv";
    case KernelPath::kSmall: return "small";
    case KernelPath::kGemm: return "packed gemm";
  }
  return "?";
}

void PrintPlan(const runtime::PreparedState& s) {
  const kernels::StridedGemm& g = s.plan.gemm;
  const int64_t rows = s.plan.swapped ? g.n : g.m, cols = s.plan.swapped ? g.m : g.n;
  std::fprintf(stderr, "batchdot: plan: %s kernel (%s order), %s, %lld x (%lld x %lld x %lld), %d thread%s\n",
               FamilyName(s.plan.path), std::string(plan::Name(plan::SummationOrderOf(rows, cols))).c_str(),
               std::string(Name(s.plan.dtype)).c_str(), static_cast<long long>(s.plan.outer_count() * g.count),
               static_cast<long long>(g.m), static_cast<long long>(g.n), static_cast<long long>(g.k), s.threads,
               s.threads == 1 ? "" : "s");
}

}  // namespace

namespace runtime {

void PrepareState(const Contraction& c, const TensorView& x, const TensorView& y, const MutableTensorView& out,
                  const Options& options, PreparedState& s) {
  CheckOutput(c, x, y, out);
  if (x.dtype != c.dtype || y.dtype != c.dtype) {
    throw DTypeError("Prepare: operands are " + std::string(Name(x.dtype)) + " and " + std::string(Name(y.dtype)) +
                     " but the contraction runs in " + std::string(Name(c.dtype)) +
                     "; convert them first (Execute and batch_dot convert per call)");
  }
  if (options.num_threads != 0 && !ThreadCountProblem(options.num_threads).empty()) {
    throw Error(ErrorKind::kShape, "Options::num_threads: " + ThreadCountProblem(options.num_threads));
  }
  s.plan = plan::MakePlan(c, x, y, out, options.force_kernel);
  s.x_needed = x.num_elements() > 0;
  s.y_needed = y.num_elements() > 0;
  s.out_needed = out.num_elements() > 0;
  if (s.plan.empty_output) {
    s.run = &RunNothing;
    return;
  }
  CutTasks(s, options.num_threads > 0 ? options.num_threads : GetNumThreads());
  if (DebugPlans()) PrintPlan(s);
  if (BindKernel(s)) {
    // Only the reference walks the views themselves: keep copies of their layouts.
    s.contraction = c;
    s.x_dtype = x.dtype;
    s.y_dtype = y.dtype;
    s.x_shape.assign(x.shape.begin(), x.shape.end());
    s.x_strides.assign(x.strides_elems.begin(), x.strides_elems.end());
    s.y_shape.assign(y.shape.begin(), y.shape.end());
    s.y_strides.assign(y.strides_elems.begin(), y.strides_elems.end());
    s.out_shape.assign(out.shape.begin(), out.shape.end());
    s.out_strides.assign(out.strides_elems.begin(), out.strides_elems.end());
  }
}

}  // namespace runtime

Prepared Prepare(const Contraction& c, const TensorView& x, const TensorView& y, const MutableTensorView& out,
                 const Options& options) {
  auto s = std::make_unique<runtime::PreparedState>();
  runtime::PrepareState(c, x, y, out, options, *s);
  Prepared prepared;
  prepared.state_ = std::move(s);
  return prepared;
}

}  // namespace batchdot
