// The oracle: every output element of any Contraction, in odometer order, with a
// wide accumulator (double for float32/16-bit floats, long double for float64,
// wrapping 64-bit for integers). Obviously right first, fast never.
#include <algorithm>
#include <vector>

#include "kernels/reference_dot_general.hpp"

#include "core/element_types.hpp"

namespace batchdot::kernels {
namespace {

// Offsets of one operand along the output's axes and along the contracted axes.
struct OperandWalk {
  std::vector<int64_t> output_strides;  // per natural output axis (0 where it does not apply)
  std::vector<int64_t> contracted_strides;
};

template <typename Traits>
void ReferenceKernel(const Contraction& c, const TensorView& x, const TensorView& y,
                     const MutableTensorView& out) {
  using Storage = typename Traits::Storage;
  using Wide = typename Traits::Wide;
  const size_t batch_rank = c.lhs_batch.size();
  // Natural output axes: batch, lhs free, rhs free (a trailing Keras unit axis is ignored).
  std::vector<int64_t> sizes;
  OperandWalk xw, yw;
  for (size_t i = 0; i < batch_rank; ++i) {
    sizes.push_back(x.shape[c.lhs_batch[i]]);
    xw.output_strides.push_back(x.strides_elems[c.lhs_batch[i]]);
    yw.output_strides.push_back(y.strides_elems[c.rhs_batch[i]]);
  }
  for (int64_t axis : c.lhs_free) {
    sizes.push_back(x.shape[axis]);
    xw.output_strides.push_back(x.strides_elems[axis]);
    yw.output_strides.push_back(0);
  }
  for (int64_t axis : c.rhs_free) {
    sizes.push_back(y.shape[axis]);
    xw.output_strides.push_back(0);
    yw.output_strides.push_back(y.strides_elems[axis]);
  }
  std::vector<int64_t> contracted_sizes;
  for (size_t i = 0; i < c.lhs_contracting.size(); ++i) {
    contracted_sizes.push_back(x.shape[c.lhs_contracting[i]]);
    xw.contracted_strides.push_back(x.strides_elems[c.lhs_contracting[i]]);
    yw.contracted_strides.push_back(y.strides_elems[c.rhs_contracting[i]]);
  }
  int64_t output_count = 1, contracted_count = 1;
  for (int64_t s : sizes) output_count *= s;
  for (int64_t s : contracted_sizes) contracted_count *= s;

  const auto* xs = static_cast<const Storage*>(x.data);
  const auto* ys = static_cast<const Storage*>(y.data);
  auto* os = static_cast<Storage*>(out.data);
  std::vector<int64_t> index(sizes.size(), 0), k_index(contracted_sizes.size(), 0);
  for (int64_t flat = 0; flat < output_count; ++flat) {
    int64_t x_offset = 0, y_offset = 0, out_offset = 0;
    for (size_t a = 0; a < sizes.size(); ++a) {
      x_offset += index[a] * xw.output_strides[a];
      y_offset += index[a] * yw.output_strides[a];
      out_offset += index[a] * out.strides_elems[a];
    }
    Wide sum{};
    std::fill(k_index.begin(), k_index.end(), 0);
    for (int64_t k = 0; k < contracted_count; ++k) {
      int64_t xk = x_offset, yk = y_offset;
      for (size_t a = 0; a < k_index.size(); ++a) {
        xk += k_index[a] * xw.contracted_strides[a];
        yk += k_index[a] * yw.contracted_strides[a];
      }
      sum += Traits::Load(xs[xk]) * Traits::Load(ys[yk]);
      for (size_t a = k_index.size(); a-- > 0;) {
        if (++k_index[a] < contracted_sizes[a]) break;
        k_index[a] = 0;
      }
    }
    os[out_offset] = Traits::Store(sum);
    for (size_t a = sizes.size(); a-- > 0;) {
      if (++index[a] < sizes[a]) break;
      index[a] = 0;
    }
  }
}

}  // namespace

void ReferenceDotGeneral(const Contraction& c, const TensorView& x, const TensorView& y,
                         const MutableTensorView& out) {
  VisitDType(c.dtype, [&](auto tag) { ReferenceKernel<typename decltype(tag)::Traits>(c, x, y, out); });
}

}  // namespace batchdot::kernels
