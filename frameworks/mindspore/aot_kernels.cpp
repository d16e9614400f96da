// The extern "C" entry points MindSpore's ops.Custom(func_type="aot") calls on
// CPU (batchdot.mindspore.ops builds the Custom ops):
//
//   BatchdotMindSporeBatchDot(x1, x2, axes) -> out
//   BatchdotMindSporeBatchDotGradX1(x1, x2, axes, dout) -> dx1
//   BatchdotMindSporeBatchDotGradX2(x1, x2, axes, dout) -> dx2
//
// `axes` is an int64 tensor holding the pair MindSpore's rules resolved to. Each
// entry is a thin adapter onto the core: mindspore::batch_dot for the forward
// call (the same call NumPy's batchdot.mindspore.batch_dot makes, so the same
// bits), mindspore::batch_dot_grad for one gradient each. The core checks
// everything again, so a bad call returns non-zero with a one-line message on
// stderr (MindSpore raises RuntimeError naming the code) and writes nothing;
// no exception ever leaves this file.
#include <cstdint>
#include <cstdio>
#include <exception>
#include <new>

#include "aot_tensor.hpp"
#include "batchdot/batchdot.hpp"

namespace batchdot_mindspore {
namespace {

// Return codes: 1 + batchdot::ErrorKind for bad input, then these.
constexpr int kOutOfMemory = 20;
constexpr int kUnexpected = 21;

template <typename Body>
int Guarded(const char* kernel, Body&& body) noexcept {
  try {
    body();
    return 0;
  } catch (const batchdot::Error& e) {
    std::fprintf(stderr, "batchdot: error: %s: %s\n", kernel, e.what());
    return 1 + static_cast<int>(e.kind());
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "batchdot: error: %s: out of memory\n", kernel);
    return kOutOfMemory;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "batchdot: error: %s: %s\n", kernel, e.what());
    return kUnexpected;
  } catch (...) {
    std::fprintf(stderr, "batchdot: error: %s: unknown exception\n", kernel);
    return kUnexpected;
  }
}

enum class Which { kX1, kX2 };

// One gradient: a single contraction of dout with the other operand, written
// into the gradient's buffer (MindSpore hands it over uninitialised).
void RunGrad(const AotCall& call, Which which) {
  CheckTensorCount(call, 5);
  const AotTensor x1(call, 0), x2(call, 1), dout(call, 3), grad(call, 4);
  const batchdot::AxesArg axes = ResolvedAxes(call, 2);
  const batchdot::MutableTensorView grad_view = grad.mutable_view();
  batchdot::GradientTargets targets;
  (which == Which::kX1 ? targets.grad_x : targets.grad_y) = &grad_view;
  batchdot::mindspore::batch_dot_grad(x1.view(), x2.view(), axes, dout.view(), targets);
}

}  // namespace
}  // namespace batchdot_mindspore

using batchdot_mindspore::AotCall;
using batchdot_mindspore::AotTensor;
using batchdot_mindspore::Guarded;

extern "C" {

int BatchdotMindSporeBatchDot(int nparam, void** params, int* ndims, int64_t** shapes, const char** dtypes,
                              void* /*stream*/, void* /*extra*/) {
  const AotCall call{"BatchdotMindSporeBatchDot", nparam, params, ndims, shapes, dtypes};
  return Guarded(call.kernel, [&] {
    batchdot_mindspore::CheckTensorCount(call, 4);
    const AotTensor x1(call, 0), x2(call, 1), out(call, 3);
    batchdot::mindspore::batch_dot(x1.view(), x2.view(), batchdot_mindspore::ResolvedAxes(call, 2),
                                   out.mutable_view());
  });
}

int BatchdotMindSporeBatchDotGradX1(int nparam, void** params, int* ndims, int64_t** shapes, const char** dtypes,
                                    void* /*stream*/, void* /*extra*/) {
  const AotCall call{"BatchdotMindSporeBatchDotGradX1", nparam, params, ndims, shapes, dtypes};
  return Guarded(call.kernel, [&] { batchdot_mindspore::RunGrad(call, batchdot_mindspore::Which::kX1); });
}

int BatchdotMindSporeBatchDotGradX2(int nparam, void** params, int* ndims, int64_t** shapes, const char** dtypes,
                                    void* /*stream*/, void* /*extra*/) {
  const AotCall call{"BatchdotMindSporeBatchDotGradX2", nparam, params, ndims, shapes, dtypes};
  return Guarded(call.kernel, [&] { batchdot_mindspore::RunGrad(call, batchdot_mindspore::Which::kX2); });
}

// This library holds its own copy of the core and so its own worker pool:
// batchdot.mindspore.ops.set_num_threads reaches it through these (ctypes).
// Returns 0, or 1 with a message on stderr for a count outside 1..1024.
int BatchdotMindSporeSetNumThreads(int64_t n) {
  return Guarded("BatchdotMindSporeSetNumThreads", [&] { batchdot::SetNumThreads(n); });
}

int BatchdotMindSporeGetNumThreads() { return batchdot::GetNumThreads(); }

}  // extern "C"
