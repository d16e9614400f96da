// batchdot: Keras- and MindSpore-exact batch_dot, and a general dot_general, on
// strided CPU tensors.
//
// Every entry point validates its arguments first and throws batchdot::Error (a
// std::invalid_argument) with a one-line message; nothing is written to `out`
// when it throws. Calls are thread-safe: any number of threads may call batchdot
// at once, each call uses the shared worker pool.
//
// Determinism: a result element is always summed in the same order for a given
// shape, layout, dtype and SIMD target, so results are bitwise identical for every
// thread count. Different SIMD targets (AVX-512, AVX2, SSE4, scalar) may round
// inexact float sums differently.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "batchdot/axes.hpp"
#include "batchdot/dtype.hpp"
#include "batchdot/error.hpp"
#include "batchdot/tensor.hpp"

namespace batchdot {

inline constexpr const char* kVersion = "0.1.0";

// The kernel families. kAuto lets the planner choose; the others force one path
// (tests run every path on the same inputs). A forced path that cannot handle the
// contraction falls back to kGeneric, which handles everything.
enum class KernelPath { kAuto, kReference, kGeneric, kDot, kGemv, kSmall, kGemm };

struct Options {
  int num_threads = 0;  // 0: the process default (SetNumThreads / BATCHDOT_NUM_THREADS); else 1..kMaxThreads
  KernelPath force_kernel = KernelPath::kAuto;
};

// jax.lax.dot_general's dimension numbers: axes are non-negative indices into the
// lhs and rhs shapes. Output axes are ordered: batch, lhs free, rhs free.
struct DotDimensionNumbers {
  std::vector<int64_t> lhs_contracting;
  std::vector<int64_t> rhs_contracting;
  std::vector<int64_t> lhs_batch;
  std::vector<int64_t> rhs_batch;
};

// A validated contraction: which axes of x and y are batch, contracted and free,
// the output shape and the dtype the computation runs in. Front ends produce it;
// Execute() consumes it. `output_shape` is batch dims, then x's free dims, then
// y's free dims, except that Keras and MindSpore give (B, 1) where that would be (B,).
struct Contraction {
  std::vector<int64_t> lhs_batch, rhs_batch;
  std::vector<int64_t> lhs_contracting, rhs_contracting;
  std::vector<int64_t> lhs_free, rhs_free;
  std::vector<int64_t> output_shape;
  DType dtype = DType::kFloat32;  // inputs of another dtype are converted to it first
};

namespace keras {
// tf.keras.backend.batch_dot's rules (README "Where Keras and MindSpore differ"):
// checks rank, batch size, axes, axis 0, range and contracted sizes, in that
// order, then dtypes (promoted like NumPy's result_type).
Contraction Resolve(const TensorView& x, const TensorView& y, const AxesArg& axes = {});
Tensor batch_dot(const TensorView& x, const TensorView& y, const AxesArg& axes = {},
                 const Options& options = {});
void batch_dot(const TensorView& x, const TensorView& y, const AxesArg& axes,
               const MutableTensorView& out, const Options& options = {});
}  // namespace keras

namespace mindspore {
// mindspore.ops.batch_dot's rules (r2.1): rank, float32-only dtype (x1 first),
// batch size, then axes; bug-compatible except that any axis >= rank is an error.
Contraction Resolve(const TensorView& x1, const TensorView& x2, const AxesArg& axes = {});
Tensor batch_dot(const TensorView& x1, const TensorView& x2, const AxesArg& axes = {},
                 const Options& options = {});
void batch_dot(const TensorView& x1, const TensorView& x2, const AxesArg& axes,
               const MutableTensorView& out, const Options& options = {});
}  // namespace mindspore

// General contraction with any number of batch and contracting axes.
Contraction ResolveDotGeneral(const TensorView& lhs, const TensorView& rhs,
                              const DotDimensionNumbers& dims);
Tensor dot_general(const TensorView& lhs, const TensorView& rhs, const DotDimensionNumbers& dims,
                   const Options& options = {});
void dot_general(const TensorView& lhs, const TensorView& rhs, const DotDimensionNumbers& dims,
                 const MutableTensorView& out, const Options& options = {});

// Runs a resolved contraction. `out` must have exactly `c.output_shape` and
// `c.dtype`, and must not overlap x or y (checked: Error of kind kShape).
void Execute(const Contraction& c, const TensorView& x, const TensorView& y,
             const MutableTensorView& out, const Options& options = {});
// The same, into a new zero-initialised C-contiguous tensor.
Tensor Execute(const Contraction& c, const TensorView& x, const TensorView& y,
               const Options& options = {});

// The naive oracle: odometer order, double (or widened integer) accumulation.
// Ships in the library for cross-checks (`batchdot run --reference`).
void ReferenceExecute(const Contraction& c, const TensorView& x, const TensorView& y,
                      const MutableTensorView& out);

// Worker threads used when Options::num_threads is 0. The initial value comes
// from BATCHDOT_NUM_THREADS, then OMP_NUM_THREADS (its first value), then the CPUs
// this process may run on; an environment value that is not a valid count is
// ignored with a one-line warning on stderr. n outside 1..kMaxThreads is an Error.
void SetNumThreads(int64_t n);
int GetNumThreads();
// True once SetNumThreads has been called in this process (an environment value
// does not count): a framework binding then uses GetNumThreads() instead of its
// framework's own intra-op thread count.
bool NumThreadsSetExplicitly();

// The one rule for thread counts everywhere (SetNumThreads, Options::num_threads,
// Python's set_num_threads, the CLI's --threads, the environment): 1..kMaxThreads.
inline constexpr int kMaxThreads = 1024;
// Empty when n is a valid count, else why not: "the thread count must be between
// 1 and 1024, got 100000".
std::string ThreadCountProblem(int64_t n);

// One line per fact: version, compiled and selected SIMD targets, threads.
std::string BuildInfo();

}  // namespace batchdot

#include "batchdot/grad.hpp"  // gradients: keras/mindspore::batch_dot_grad, dot_general_grad
#include "batchdot/prepared.hpp"  // Prepare / Prepared::Run: plan once, run many times
