// libFuzzer target for the planner and kernels end to end: a small random
// dot_general (0-2 batch, contracting and free axes per operand, in any axis
// order) on operands with random strides (transposed, step 2-3, negative, zero),
// into an output with random strides, through every KernelPath (forced) on 1-3
// threads (chosen per path by the input). Small-integer inputs make every sum exact, so each result must equal
// ReferenceExecute bitwise, and output memory outside the view must be untouched.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <numeric>
#include <vector>

#include "batchdot/batchdot.hpp"
#include "fuzz_input.hpp"
#include "fuzz_tensors.hpp"

namespace {

using batchdot::DType;
using batchdot::KernelPath;
using batchdot::fuzz::FuzzInput;
using batchdot::fuzz::StridedBuffer;

// Sizes that hit vector-width edges and micro-tile edges; 0 rarely.
constexpr int64_t kSizes[] = {1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17, 31, 33, 64, 65, 1, 2, 3, 0};
// Enough multiply-adds for the runtime to use several threads (it runs below
// ~250k serially), few enough to keep an input under a second with ASan.
constexpr int64_t kMaxMultiplyAdds = 400'000;
constexpr unsigned char kSentinel = 0xA5;

enum class Role { kBatch, kContracting, kFree };

int64_t Product(const std::vector<int64_t>& v) {
  int64_t n = 1;
  for (int64_t d : v) n *= d;
  return n;
}

// Element strides for `shape`: a random physical axis order, gaps between axes,
// negated axes and (for inputs) broadcast axes with stride 0.
std::vector<int64_t> RandomStrides(FuzzInput& in, const std::vector<int64_t>& shape, bool allow_zero) {
  std::vector<size_t> order(shape.size());
  std::iota(order.begin(), order.end(), 0);
  if (in.Flag()) {
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[in.Below(static_cast<uint32_t>(i))]);
  }
  std::vector<int64_t> strides(shape.size());
  int64_t running = 1;
  for (size_t i = order.size(); i-- > 0;) {
    const size_t axis = order[i];
    const uint32_t pick = in.Below(8);
    if (allow_zero && pick == 0) {
      strides[axis] = 0;
      continue;
    }
    const int64_t step = pick == 1 ? 2 : pick == 2 ? 3 : 1;
    strides[axis] = running * step * (pick == 3 ? -1 : 1);
    running *= step * std::max<int64_t>(shape[axis], 1);
  }
  return strides;
}

void Fail(const char* what, KernelPath path, int threads, const std::vector<int64_t>& out_shape) {
  std::fprintf(stderr, "execute_fuzz: %s (KernelPath %d, %d threads, output of %zu dims, %lld elements)\n", what,
               static_cast<int>(path), threads, out_shape.size(), static_cast<long long>(Product(out_shape)));
  __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  constexpr DType kKernelTypes[] = {DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kInt64};
  const DType xd = in.Below(8) == 0 ? batchdot::kAllDTypes[in.Below(8)] : kKernelTypes[in.Below(4)];
  const DType yd = in.Below(8) == 0 ? batchdot::kAllDTypes[in.Below(8)] : xd;

  // Logical axes: sizes and roles; x and y each get the batch and contracting ones.
  const uint32_t counts[3] = {in.Below(3), in.Below(3), in.Below(3)};  // batch, contracting, x free
  const uint32_t y_free = in.Below(3);
  std::vector<int64_t> batch(counts[0]), contracting(counts[1]), x_free(counts[2]), yf(y_free);
  for (auto* list : {&batch, &contracting, &x_free, &yf})
    for (int64_t& d : *list) d = kSizes[in.Below(sizeof(kSizes) / sizeof(kSizes[0]))];
  // Shrink the largest size until the call fits the budget.
  auto all = [&] {
    std::vector<int64_t*> p;
    for (auto* list : {&batch, &contracting, &x_free, &yf})
      for (int64_t& d : *list) p.push_back(&d);
    return p;
  }();
  // Multiply-adds, or ten times the largest operand's elements (filling and
  // comparing cost about that much per element).
  auto cost = [&] {
    const int64_t b = Product(batch), k = Product(contracting), m = Product(x_free), n = Product(yf);
    return std::max({b * k * m * n, 10 * b * k * m, 10 * b * k * n, 10 * b * m * n});
  };
  while (!all.empty() && cost() > kMaxMultiplyAdds) {
    int64_t* largest = *std::max_element(all.begin(), all.end(), [](auto* a, auto* b) { return *a < *b; });
    *largest /= 2;
  }

  // Place each operand's axes in a random order.
  auto place = [&](const std::vector<int64_t>& free, std::vector<int64_t>& shape, std::vector<int64_t>& b_axes,
                   std::vector<int64_t>& c_axes) {
    std::vector<std::pair<Role, size_t>> axes;
    for (size_t i = 0; i < batch.size(); ++i) axes.push_back({Role::kBatch, i});
    for (size_t i = 0; i < contracting.size(); ++i) axes.push_back({Role::kContracting, i});
    for (size_t i = 0; i < free.size(); ++i) axes.push_back({Role::kFree, i});
    for (size_t i = axes.size(); i > 1; --i) std::swap(axes[i - 1], axes[in.Below(static_cast<uint32_t>(i))]);
    b_axes.assign(batch.size(), 0);
    c_axes.assign(contracting.size(), 0);
    for (size_t pos = 0; pos < axes.size(); ++pos) {
      const auto [role, i] = axes[pos];
      if (role == Role::kBatch) {
        b_axes[i] = static_cast<int64_t>(pos);
        shape.push_back(batch[i]);
      } else if (role == Role::kContracting) {
        c_axes[i] = static_cast<int64_t>(pos);
        shape.push_back(contracting[i]);
      } else {
        shape.push_back(free[i]);
      }
    }
  };
  batchdot::DotDimensionNumbers dims;
  std::vector<int64_t> xs, ys;
  place(x_free, xs, dims.lhs_batch, dims.lhs_contracting);
  place(yf, ys, dims.rhs_batch, dims.rhs_contracting);

  StridedBuffer x = batchdot::fuzz::Allocate(xd, xs, RandomStrides(in, xs, true));
  StridedBuffer y = batchdot::fuzz::Allocate(yd, ys, RandomStrides(in, ys, true));
  batchdot::fuzz::FillSmallIntegers(x, in.Byte());
  batchdot::fuzz::FillSmallIntegers(y, in.Byte() + 7u);
  const batchdot::Contraction c = batchdot::ResolveDotGeneral(x.view(), y.view(), dims);

  StridedBuffer want = batchdot::fuzz::Allocate(c.dtype, c.output_shape, batchdot::ContiguousStrides(c.output_shape));
  batchdot::ReferenceExecute(c, x.view(), y.view(), want.mutable_view());

  const std::vector<int64_t> out_strides = RandomStrides(in, c.output_shape, false);
  // Which storage elements the output view covers: the others must keep the sentinel.
  StridedBuffer blank = batchdot::fuzz::Allocate(c.dtype, c.output_shape, out_strides);
  std::fill(blank.storage.begin(), blank.storage.end(), kSentinel);
  std::vector<bool> covered(blank.storage.size() / SizeOf(c.dtype), false);
  for (int64_t i = 0; i < blank.count(); ++i) covered[static_cast<size_t>(blank.base + blank.OffsetOf(i))] = true;

  constexpr KernelPath kPaths[] = {KernelPath::kAuto,  KernelPath::kReference, KernelPath::kGeneric,
                                   KernelPath::kDot,   KernelPath::kGemv,      KernelPath::kSmall,
                                   KernelPath::kGemm};
  for (KernelPath path : kPaths) {
    {
      // One thread count per path, chosen by the input: 2 and 3 only differ
      // from 1 above the serial cutoff, and seven runs per input keep it fast.
      const int threads = 1 + static_cast<int>(in.Below(3));
      StridedBuffer out = blank;
      batchdot::Options options;
      options.force_kernel = path;
      options.num_threads = threads;
      batchdot::Execute(c, x.view(), y.view(), out.mutable_view(), options);
      if (!batchdot::fuzz::BitwiseEqual(out, want)) Fail("result differs from the reference", path, threads, c.output_shape);
      const size_t item = SizeOf(c.dtype);
      for (size_t e = 0; e < covered.size(); ++e) {
        if (covered[e]) continue;
        for (size_t b = 0; b < item; ++b) {
          if (out.storage[e * item + b] != kSentinel) Fail("wrote outside the output view", path, threads, c.output_shape);
        }
      }
    }
  }
  // The allocating form (C-contiguous result) agrees too.
  const batchdot::Tensor fresh = batchdot::Execute(c, x.view(), y.view());
  StridedBuffer fresh_view = want;
  std::copy_n(static_cast<const unsigned char*>(fresh.data()), Product(c.output_shape) * SizeOf(c.dtype),
              static_cast<unsigned char*>(fresh_view.data()));
  if (!batchdot::fuzz::BitwiseEqual(fresh_view, want)) Fail("allocating Execute differs", KernelPath::kAuto, 0, c.output_shape);
  return 0;
}
