// The per-thread PreparedState memo behind Execute: a repeated layout reuses its
// plan, yet every pointer-dependent check still runs on every call (null data,
// an output that overlaps an input), and keys tell apart what Prepare reads.
#include "runtime/prepared_memo.hpp"

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "batchdot/batchdot.hpp"

namespace batchdot::runtime {
namespace {

struct Seedlike {
  std::vector<int64_t> x_shape{3, 4, 2, 5}, y_shape{3, 4, 5, 8};
  std::vector<int64_t> x_strides = ContiguousStrides(x_shape), y_strides = ContiguousStrides(y_shape);
  std::vector<float> x = Iota(3 * 4 * 2 * 5), y = Iota(3 * 4 * 5 * 8);
  static std::vector<float> Iota(size_t n) {
    std::vector<float> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>(i % 13) - 6.0f;
    return v;
  }
  TensorView xv(const float* p) const { return {p, DType::kFloat32, x_shape, x_strides}; }
  TensorView yv(const float* p) const { return {p, DType::kFloat32, y_shape, y_strides}; }
};

std::vector<float> Reference(const Contraction& c, const TensorView& x, const TensorView& y) {
  Tensor t(c.dtype, c.output_shape);
  ReferenceExecute(c, x, y, t.mutable_view());
  return {t.data_as<float>(), t.data_as<float>() + t.num_elements()};
}

TEST(PreparedMemo, RepeatedLayoutsOnNewPointersGiveTheReference) {
  Seedlike s;
  const Contraction c = keras::Resolve(s.xv(s.x.data()), s.yv(s.y.data()));
  const std::vector<int64_t> out_strides = ContiguousStrides(c.output_shape);
  const size_t out_size = static_cast<size_t>(std::accumulate(c.output_shape.begin(), c.output_shape.end(),
                                                              int64_t{1}, std::multiplies<>()));
  for (int round = 0; round < 4; ++round) {
    // Fresh copies each round: same layout, other addresses, other values.
    std::vector<float> x = s.x, y = s.y, out(out_size, -1.0f);
    for (float& v : x) v += static_cast<float>(round);
    const std::vector<float> want = Reference(c, s.xv(x.data()), s.yv(y.data()));
    Execute(c, s.xv(x.data()), s.yv(y.data()), MutableTensorView{out.data(), DType::kFloat32, c.output_shape,
                                                                 out_strides});
    EXPECT_EQ(out, want) << "round " << round;
  }
  CallKey key;
  key.Build(c, s.xv(s.x.data()), s.yv(s.y.data()),
            MutableTensorView{nullptr, DType::kFloat32, c.output_shape, out_strides}, Options{});
  EXPECT_NE(FindPrepared(key.words()), nullptr);
}

TEST(PreparedMemo, OverlapAndNullPointersAreCheckedOnEveryCall) {
  Seedlike s;
  // x and out as views of one buffer; first disjoint, then out over x.
  const Contraction c = keras::Resolve(s.xv(s.x.data()), s.yv(s.y.data()));
  const std::vector<int64_t> out_strides = ContiguousStrides(c.output_shape);
  const size_t out_size = 3 * 4 * 2 * 4 * 8, x_size = s.x.size();
  std::vector<float> buffer(out_size + x_size);
  std::copy(s.x.begin(), s.x.end(), buffer.begin());
  float* x = buffer.data();
  const MutableTensorView disjoint{buffer.data() + x_size, DType::kFloat32, c.output_shape, out_strides};
  Execute(c, s.xv(x), s.yv(s.y.data()), disjoint);
  const MutableTensorView over_x{buffer.data(), DType::kFloat32, c.output_shape, out_strides};
  EXPECT_THROW(Execute(c, s.xv(x + 0), s.yv(s.y.data()), over_x), Error);
  // The refused call wrote nothing.
  EXPECT_TRUE(std::equal(s.x.begin(), s.x.end(), buffer.begin()));
  EXPECT_THROW(Execute(c, s.xv(nullptr), s.yv(s.y.data()), disjoint), Error);
  EXPECT_THROW(Execute(c, s.xv(x), s.yv(s.y.data()),
                       MutableTensorView{nullptr, DType::kFloat32, c.output_shape, out_strides}),
               Error);
}

TEST(PreparedMemo, InterleavedButDisjointOutputIsCheckedExactlyAndRuns) {
  // y's elements and out's elements alternate in one buffer: their extents
  // intersect, so the memo's quick test fails and the exact check (which passes) runs.
  const std::vector<int64_t> x_shape{2, 3, 4}, y_shape{2, 4, 3}, out_shape{2, 3, 3};
  const std::vector<int64_t> x_strides = ContiguousStrides(x_shape);
  const std::vector<int64_t> y_strides{24, 6, 2}, out_strides{18, 6, 2};
  std::vector<float> x(24), buffer(48, 0.0f);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i);
  for (size_t i = 0; i < 24; ++i) buffer[2 * i] = static_cast<float>(i % 5);
  const TensorView xv{x.data(), DType::kFloat32, x_shape, x_strides};
  const TensorView yv{buffer.data(), DType::kFloat32, y_shape, y_strides};
  const MutableTensorView ov{buffer.data() + 1, DType::kFloat32, out_shape, out_strides};
  const Contraction c = keras::Resolve(xv, yv);
  const std::vector<float> want = Reference(c, xv, yv);
  for (int round = 0; round < 2; ++round) {
    Execute(c, xv, yv, ov);
    for (size_t i = 0; i < want.size(); ++i) {
      const size_t b = i / 9, m = (i / 3) % 3, n = i % 3;
      EXPECT_EQ(buffer[1 + b * 18 + m * 6 + n * 2], want[i]) << i;
    }
  }
}

TEST(PreparedMemo, KeysSeparateWhatPrepareReads) {
  Seedlike s;
  const Contraction c = keras::Resolve(s.xv(s.x.data()), s.yv(s.y.data()));
  const std::vector<int64_t> out_strides = ContiguousStrides(c.output_shape);
  const MutableTensorView out{nullptr, DType::kFloat32, c.output_shape, out_strides};
  CallKey base, other;
  base.Build(c, s.xv(nullptr), s.yv(nullptr), out, Options{});
  Options threads;
  threads.num_threads = GetNumThreads() + 1;
  other.Build(c, s.xv(nullptr), s.yv(nullptr), out, threads);
  EXPECT_FALSE(std::equal(base.words().begin(), base.words().end(), other.words().begin(), other.words().end()));
  Options forced;
  forced.force_kernel = KernelPath::kGeneric;
  other.Build(c, s.xv(nullptr), s.yv(nullptr), out, forced);
  EXPECT_FALSE(std::equal(base.words().begin(), base.words().end(), other.words().begin(), other.words().end()));
  const std::vector<int64_t> y_strides{160, 40, 1, 5};  // same shape, y's last two axes transposed
  other.Build(c, s.xv(nullptr), TensorView{nullptr, DType::kFloat32, s.y_shape, y_strides}, out, Options{});
  EXPECT_FALSE(std::equal(base.words().begin(), base.words().end(), other.words().begin(), other.words().end()));
  other.Build(c, s.xv(nullptr), s.yv(nullptr), out, Options{});
  EXPECT_TRUE(std::equal(base.words().begin(), base.words().end(), other.words().begin(), other.words().end()));
}

TEST(PreparedMemo, MoreLayoutsThanEntriesStayCorrect) {
  // Twelve layouts in turn, three times: entries are replaced, results stay exact.
  for (int pass = 0; pass < 3; ++pass) {
    for (int64_t n = 1; n <= 12; ++n) {
      const std::vector<int64_t> xs{2, 3, 4}, ys{2, 4, n};
      std::vector<float> x(24), y(static_cast<size_t>(8 * n));
      for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 7);
      for (size_t i = 0; i < y.size(); ++i) y[i] = static_cast<float>(i % 5) - 2.0f;
      const auto xst = ContiguousStrides(xs), yst = ContiguousStrides(ys);
      const TensorView xv{x.data(), DType::kFloat32, xs, xst}, yv{y.data(), DType::kFloat32, ys, yst};
      const Contraction c = keras::Resolve(xv, yv);
      const Tensor got = Execute(c, xv, yv);
      const std::vector<float> want = Reference(c, xv, yv);
      ASSERT_TRUE(std::equal(want.begin(), want.end(), got.data_as<float>())) << "n " << n << " pass " << pass;
    }
  }
}

// A loop over 9 or 16 layouts (one more than the old 8 oldest-first entries,
// and the capacity) finds every layout prepared on its second pass.
TEST(PreparedMemo, ALoopOverSixteenLayoutsHitsOnItsSecondPass) {
  for (int64_t layouts : {9, 16}) {
    std::vector<float> x(24), y(static_cast<size_t>(8 * 100)), out(static_cast<size_t>(6 * 100));
    const std::vector<int64_t> xs{2, 3, 4};
    const auto xst = ContiguousStrides(xs);
    const TensorView xv{x.data(), DType::kFloat32, xs, xst};
    for (int pass = 0; pass < 2; ++pass) {
      for (int64_t i = 0; i < layouts; ++i) {
        const int64_t n = 100 - i - (layouts == 16 ? 20 : 0);  // layouts no other loop here uses
        const std::vector<int64_t> ys{2, 4, n}, os{2, 3, n};
        const auto yst = ContiguousStrides(ys), ost = ContiguousStrides(os);
        const TensorView yv{y.data(), DType::kFloat32, ys, yst};
        const MutableTensorView ov{out.data(), DType::kFloat32, os, ost};
        const Contraction c = keras::Resolve(xv, yv);
        runtime::CallKey key;
        key.Build(c, xv, yv, ov, Options{});
        EXPECT_EQ(runtime::FindPrepared(key.words()) != nullptr, pass == 1) << layouts << " layouts, n " << n;
        Execute(c, xv, yv, ov);
      }
    }
  }
}

TEST(PreparedMemo, ExtentsCoverNegativeAndZeroStrides) {
  const std::vector<int64_t> shape{3, 4}, strides{-4, 1};
  const ByteExtent e = ExtentOf(DType::kFloat32, shape, strides);
  EXPECT_EQ(e.begin, -2 * 4 * 4);
  EXPECT_EQ(e.end, 3 * 4 + 4);
  const std::vector<int64_t> empty{3, 0};
  const ByteExtent z = ExtentOf(DType::kFloat64, empty, strides);
  EXPECT_EQ(z.begin, z.end);
}

}  // namespace
}  // namespace batchdot::runtime
