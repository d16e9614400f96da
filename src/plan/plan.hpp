// Contraction + strides -> one StridedGemm run per iteration of a few outer
// loops, and the kernel family that runs it. Execution does no checking.
#pragma once

#include <cstdint>
#include <vector>

#include "batchdot/batchdot.hpp"
#include "kernels/strided_gemm.hpp"

namespace batchdot::plan {

// A loop the runtime runs around the kernel call: axes that could not be merged
// into the StridedGemm's item, row or column dimension.
struct OuterLoop {
  int64_t size;
  int64_t x_stride, y_stride, out_stride;
};

struct Plan {
  DType dtype = DType::kFloat32;
  // Some output dimension is 0: nothing to write.
  bool empty_output = false;
  // More than one contracted dimension that strides cannot merge: only the
  // reference kernel walks those. (A zero contracted length is planned as k == 0:
  // the kernels write zeros.)
  bool needs_reference = false;
  // The kernel sees x as B and y as A (C^T = B^T A^T), so m == 1 products run as
  // gemv with n == 1. Strides in `gemm` are already swapped.
  bool swapped = false;
  std::vector<OuterLoop> outer;
  kernels::StridedGemm gemm;
  // Non-empty when y's column axes are gathered per item into a (k x n) panel
  // (sizes and y strides, outermost first); `gemm` then describes the panel as B,
  // and the runtime runs it in column tiles of column_tile().
  std::vector<OuterLoop> gathered_cols;
  int64_t gather_item_stride = 0, gather_k_stride = 0;  // y strides of the item and k axes
  KernelPath path = KernelPath::kGeneric;

  int64_t outer_count() const;
  // Columns the kernel sees per call: all of them, or a tile of gathered ones.
  int64_t column_tile() const;
  // Multiply-adds in the whole call, for the serial-or-parallel decision.
  double multiply_adds() const;
};

// Plans `c` on these operands and output. `force` other than kAuto picks that
// family when it can handle the shape, kGeneric otherwise.
Plan MakePlan(const Contraction& c, const TensorView& x, const TensorView& y,
              const MutableTensorView& out, KernelPath force = KernelPath::kAuto);

// Which families can run this StridedGemm (the generic one always can).
bool CanHandle(KernelPath path, const kernels::StridedGemm& g);

}  // namespace batchdot::plan
