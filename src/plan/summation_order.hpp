// Which summation order the planner's kernels give a product's elements, for
// front ends that cut one call into several (batchdot.dask's blocks, the CLI's
// chunked runs) and must know which cuts keep the bits of the whole call.
#pragma once

#include <cstdint>
#include <string_view>

namespace batchdot::plan {

// Every kernel of one class sums an element's k terms in the same order, so
// two products of one class (same k, same target) give equal bits.
enum class SummationOrder {
  kDot,     // the dot and matrix-vector kernels: vector accumulators over k
  kMatrix,  // the small, packed and generic matrix kernels: k in sequence
};

// The class the planner's automatic choice gives a rows x cols product (rows and
// cols after merging free axes; either may be swapped into the other).
SummationOrder SummationOrderOf(int64_t rows, int64_t cols);

// "dot" or "matrix".
std::string_view Name(SummationOrder order);

}  // namespace batchdot::plan
