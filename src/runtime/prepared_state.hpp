// What Prepare decides once and Run reads: the plan, the kernel, how the work is
// cut into tasks and how many threads take them. Run does no other work.
#pragma once

#include <cstdint>
#include <vector>

#include "batchdot/batchdot.hpp"
#include "plan/plan.hpp"

namespace batchdot::runtime {

// Any kernel's function pointer; converted back to GemmKernel<T> for the plan's
// storage type (function pointer round trips are exact).
using AnyKernel = void (*)();

// Runs the prepared state on these pointers (the operands' dtype is fixed).
struct PreparedState;
using RunFn = void (*)(const PreparedState& s, const void* x, const void* y, void* out);

struct PreparedState {
  plan::Plan plan;
  AnyKernel kernel = nullptr;
  RunFn run = nullptr;
  int threads = 1;
  // The task grid: outer iterations x item chunks x row tiles x column tiles.
  int64_t items_per_task = 1, row_tile = 1, col_tile = 1;
  int64_t item_chunks = 1, row_tiles = 1, col_tiles = 1, tasks_per_outer = 1, task_count = 0;
  // Which operands hold elements (only those need a data pointer).
  bool x_needed = false, y_needed = false, out_needed = false;
  // For the reference path only: the contraction and copies of the views' layouts.
  Contraction contraction;
  DType x_dtype = DType::kFloat32, y_dtype = DType::kFloat32;
  std::vector<int64_t> x_shape, x_strides, y_shape, y_strides, out_shape, out_strides;
};

// Fills s.kernel and s.run for the plan's dtype and path (run_plan.cpp). Returns
// true when that is the reference, which needs the layouts copied into `s`.
bool BindKernel(PreparedState& s);

// Prepare's work (prepare.cpp): checks, plan, task grid, kernel. Execute runs it
// on a stack PreparedState, Prepare on one it keeps.
void PrepareState(const Contraction& c, const TensorView& x, const TensorView& y, const MutableTensorView& out,
                  const Options& options, PreparedState& s);

}  // namespace batchdot::runtime
