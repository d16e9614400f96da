// A prepared contraction: validation, planning, kernel choice and the thread
// decision done once, for callers that repeat one contraction on new data.
//
//   batchdot::Prepared p = batchdot::Prepare(contraction, x_view, y_view, out_view, options);
//   p.Run(x_data, y_data, out_data);  // any number of times
//
// Run gives the same bits as Execute (and so batch_dot / dot_general) on views of
// the prepared shapes, strides (in elements) and dtypes at the new pointers.
#pragma once

#include <memory>

#include "batchdot/tensor.hpp"

namespace batchdot {

struct Contraction;
struct Options;

namespace runtime {
struct PreparedState;
}

class Prepared {
 public:
  // An empty plan: Run throws until a Prepare result is assigned.
  Prepared();
  Prepared(Prepared&&) noexcept;
  Prepared& operator=(Prepared&&) noexcept;
  ~Prepared();

  // Computes the prepared contraction on x, y at these pointers into out, which
  // must lay out memory exactly as the views given to Prepare did. Checks only
  // that pointers of non-empty operands are not null (Error kind kShape); out must
  // not overlap x or y (not checked here: Prepare checked the views it was given).
  // Allocates nothing once each calling thread has run this plan once (the
  // kernels' per-thread scratch buffers grow to their size on first use).
  // Thread safety: const; any number of threads may Run one Prepared at once.
  void Run(const void* x, const void* y, void* out) const;

  // Threads Run uses: the options' or process default at Prepare time, or 1
  // when the contraction is too small to be worth splitting.
  int threads() const;

 private:
  friend Prepared Prepare(const Contraction&, const TensorView&, const TensorView&, const MutableTensorView&,
                          const Options&);
  std::unique_ptr<const runtime::PreparedState> state_;
};

// Validates and plans `c` for operands and output laid out like these views (the
// data pointers are used only for the overlap check). x and y must already have
// the contraction's dtype: Prepare does not convert mixed dtypes (Error of kind
// kDType naming both dtypes); convert the operands once beforehand, or call
// Execute, which converts per call. Throws batchdot::Error exactly where Execute
// would. Thread safety: like every batchdot call.
Prepared Prepare(const Contraction& c, const TensorView& x, const TensorView& y, const MutableTensorView& out,
                 const Options& options);

}  // namespace batchdot
