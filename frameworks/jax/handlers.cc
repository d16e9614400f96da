// The three XLA FFI handlers of batchdot.jax: dot_general and the gradient of
// each operand (batchdot's transpose rule, dot_general_grad), written straight
// into XLA's result buffer.
//
// Attributes (all from python/batchdot/jax.py): the forward call's dimension
// numbers as int64 arrays, and `result_rank`, the result's rank when the call was
// traced; a larger rank at run time is the number of vmap levels (ffi_views.hpp).
//
// Threads: batchdot's own pool runs the contraction, with XLA's intra-op thread
// count (the ThreadPool context's num_threads: the CPUs the process may use) capped
// by batchdot's default (BATCHDOT_NUM_THREADS / OMP_NUM_THREADS / CPUs, read by
// this library's copy of the core), so the custom call uses as many cores as
// XLA's own dot would. Scheduling batchdot's tasks on XLA's pool would need a
// scheduler hook the core does not have, and would not change the result:
// batchdot splits work in a fixed order (never along K), so results are bitwise
// identical for every thread count. XLA runs the custom call on one of its own
// threads; unless independent ops of the same program run alongside, its pool has
// nothing else to do meanwhile, so the two pools do not compete for the cores.
//
// Errors: batchdot's checks run again here (python/batchdot/jax.py has raised
// them at trace time already); anything thrown becomes an ffi::Error, never an
// exception through XLA.
#include <algorithm>
#include <new>
#include <string>

#include "ffi_views.hpp"

#define BATCHDOT_JAX_EXPORT extern "C" __attribute__((visibility("default")))

BATCHDOT_JAX_EXPORT XLA_FFI_Error* BatchdotDotGeneral(XLA_FFI_CallFrame* call_frame);
BATCHDOT_JAX_EXPORT XLA_FFI_Error* BatchdotDotGeneralGradLhs(XLA_FFI_CallFrame* call_frame);
BATCHDOT_JAX_EXPORT XLA_FFI_Error* BatchdotDotGeneralGradRhs(XLA_FFI_CallFrame* call_frame);

namespace batchdot::jax_ffi {
namespace {

using Axes = ffi::Span<const int64_t>;

Options WithThreadsOf(const ffi::ThreadPool& pool) {
  Options options;
  // 0 when XLA runs the call without a pool: batchdot's process default then.
  const int64_t xla_threads = pool.num_threads();
  options.num_threads = xla_threads > 0 ? static_cast<int>(std::min<int64_t>(xla_threads, GetNumThreads())) : 0;
  return options;
}

// Runs `body`, turning whatever it throws into the FFI's error codes.
template <typename Body>
ffi::Error Guarded(Body&& body) {
  try {
    body();
    return ffi::Error::Success();
  } catch (const Error& e) {
    return ffi::Error::InvalidArgument(e.what());
  } catch (const std::bad_alloc&) {
    return ffi::Error(ffi::ErrorCode::kResourceExhausted, "batchdot.jax: out of memory");
  } catch (const std::exception& e) {
    return ffi::Error::Internal(std::string("batchdot.jax: ") + e.what());
  }
}

ffi::Error DotGeneral(ffi::ThreadPool pool, Axes lhs_contracting, Axes rhs_contracting, Axes lhs_batch,
                      Axes rhs_batch, int64_t result_rank, ffi::AnyBuffer lhs, ffi::AnyBuffer rhs,
                      ffi::Result<ffi::AnyBuffer> out) {
  return Guarded([&] {
    const int64_t levels = static_cast<int64_t>(out->dimensions().size()) - result_rank;
    const std::vector<int64_t> vmap_sizes = VmapSizes(*out, levels);
    const BufferView x("lhs", lhs, vmap_sizes), y("rhs", rhs, vmap_sizes), result("result", *out, vmap_sizes);
    const DotDimensionNumbers dims = WithVmapAxes(lhs_contracting, rhs_contracting, lhs_batch, rhs_batch, levels);
    Execute(ResolveDotGeneral(x.view(), y.view(), dims), x.view(), y.view(), result.mutable_view(),
            WithThreadsOf(pool));
  });
}

// grad = d<g, dot_general(lhs, rhs)>/d(target); `other` is the operand that is
// not differentiated, `target` the result buffer with the target's shape.
ffi::Error Gradient(bool of_lhs, ffi::ThreadPool pool, Axes lhs_contracting, Axes rhs_contracting, Axes lhs_batch,
                    Axes rhs_batch, int64_t result_rank, ffi::AnyBuffer other, ffi::AnyBuffer g,
                    ffi::Result<ffi::AnyBuffer> target) {
  return Guarded([&] {
    const int64_t levels = static_cast<int64_t>(target->dimensions().size()) - result_rank;
    const std::vector<int64_t> vmap_sizes = VmapSizes(*target, levels);
    const BufferView o(of_lhs ? "rhs" : "lhs", other, vmap_sizes), grad_out("cotangent", g, vmap_sizes);
    const BufferView t(of_lhs ? "grad_lhs" : "grad_rhs", *target, vmap_sizes);
    const DotDimensionNumbers dims = WithVmapAxes(lhs_contracting, rhs_contracting, lhs_batch, rhs_batch, levels);
    const MutableTensorView out = t.mutable_view();
    GradientTargets targets;
    (of_lhs ? targets.grad_x : targets.grad_y) = &out;
    // The differentiated operand's values are not needed, only its shape.
    const TensorView lhs = of_lhs ? t.shape_only() : o.view();
    const TensorView rhs = of_lhs ? o.view() : t.shape_only();
    dot_general_grad(lhs, rhs, dims, grad_out.view(), targets, WithThreadsOf(pool));
  });
}

ffi::Error GradLhs(ffi::ThreadPool pool, Axes lc, Axes rc, Axes lb, Axes rb, int64_t result_rank,
                   ffi::AnyBuffer rhs, ffi::AnyBuffer g, ffi::Result<ffi::AnyBuffer> grad_lhs) {
  return Gradient(true, pool, lc, rc, lb, rb, result_rank, rhs, g, grad_lhs);
}

ffi::Error GradRhs(ffi::ThreadPool pool, Axes lc, Axes rc, Axes lb, Axes rb, int64_t result_rank,
                   ffi::AnyBuffer lhs, ffi::AnyBuffer g, ffi::Result<ffi::AnyBuffer> grad_rhs) {
  return Gradient(false, pool, lc, rc, lb, rb, result_rank, lhs, g, grad_rhs);
}

auto Binding() {
  return ffi::Ffi::Bind()
      .Ctx<ffi::ThreadPool>()
      .Attr<Axes>("lhs_contracting")
      .Attr<Axes>("rhs_contracting")
      .Attr<Axes>("lhs_batch")
      .Attr<Axes>("rhs_batch")
      .Attr<int64_t>("result_rank")
      .Arg<ffi::AnyBuffer>()
      .Arg<ffi::AnyBuffer>()
      .Ret<ffi::AnyBuffer>();
}

}  // namespace
}  // namespace batchdot::jax_ffi

XLA_FFI_DEFINE_HANDLER_SYMBOL(BatchdotDotGeneral, batchdot::jax_ffi::DotGeneral, batchdot::jax_ffi::Binding());
XLA_FFI_DEFINE_HANDLER_SYMBOL(BatchdotDotGeneralGradLhs, batchdot::jax_ffi::GradLhs, batchdot::jax_ffi::Binding());
XLA_FFI_DEFINE_HANDLER_SYMBOL(BatchdotDotGeneralGradRhs, batchdot::jax_ffi::GradRhs, batchdot::jax_ffi::Binding());
