// Prepare / Prepared::Run (src/runtime/prepare.cpp, run_plan.cpp): the same bits
// as Execute on the random sweep (every dtype, layout, zero sizes, thread count),
// reuse on new data, null-pointer and mixed-dtype errors.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "batchdot/batchdot.hpp"
#include "random_contraction.hpp"
#include "test_util.hpp"

namespace batchdot {
namespace {

using testing::MakeRandomCase;
using testing::RandomCase;

// A buffer laid out like `view` (same strides, same origin offset) with fresh contents.
struct Twin {
  std::vector<unsigned char> buffer;
  const void* data;
};

Twin Refill(const testing::Operand& op, std::mt19937_64& rng) {
  testing::Operand fresh = testing::MakeOperand(op.dtype, op.shape, testing::Layout::kContiguous, rng);
  Twin t{op.buffer, nullptr};
  // Random bytes of valid small values: copy fresh values over the whole buffer.
  for (size_t i = 0; i < t.buffer.size(); ++i) t.buffer[i] = fresh.buffer[i % std::max<size_t>(1, fresh.buffer.size())];
  t.data = t.buffer.data() + op.origin * SizeOf(op.dtype);
  return t;
}

TEST(Prepared, RandomSweepMatchesExecuteBitwise) {
  const uint64_t seed = testing::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  int checked = 0;
  for (DType dtype : kAllDTypes) {
    for (int i = 0; i < 400; ++i) {
      RandomCase rc = MakeRandomCase(rng, dtype);
      SCOPED_TRACE(rc.text);
      const Contraction c = ResolveDotGeneral(rc.x.view(), rc.y.view(), rc.dims);
      Options options;
      options.num_threads = 1 + (i % 3);
      if (i % 5 == 0) options.force_kernel = static_cast<KernelPath>(1 + i / 5 % 6);
      Tensor out(c.dtype, c.output_shape);
      const Prepared p = Prepare(c, rc.x.view(), rc.y.view(), out.mutable_view(), options);
      // Run on other data laid out the same way, twice (reuse), against Execute.
      for (int rep = 0; rep < 2; ++rep) {
        const Twin x = Refill(rc.x, rng), y = Refill(rc.y, rng);
        const TensorView xv{x.data, rc.x.dtype, rc.x.shape, rc.x.strides};
        const TensorView yv{y.data, rc.y.dtype, rc.y.shape, rc.y.strides};
        const Tensor expected = Execute(c, xv, yv, options);
        p.Run(x.data, y.data, out.data());
        ASSERT_EQ(testing::Bytes(out), testing::Bytes(expected)) << "rep " << rep;
      }
      ++checked;
    }
  }
  std::printf("%d prepared contractions matched Execute\n", checked);
}

TEST(Prepared, StridedOutputAndThreadCounts) {
  std::mt19937_64 rng(7);
  for (DType dtype : {DType::kFloat32, DType::kFloat16, DType::kBFloat16, DType::kFloat64}) {
    const testing::Operand x = testing::MakeOperand(dtype, {6, 70, 40}, testing::Layout::kReversedAxes, rng, true);
    const testing::Operand y = testing::MakeOperand(dtype, {6, 40, 90}, testing::Layout::kStepTwo, rng, true);
    const Contraction c = keras::Resolve(x.view(), y.view(), AxesArg(2, 1));
    const Tensor expected = Execute(c, x.view(), y.view());
    // Output (6, 70, 90) in a padded, transposed buffer.
    const std::vector<int64_t> shape = c.output_shape, strides{1, 6 * 91, 6};
    std::vector<unsigned char> buffer(6 * 91 * 70 * SizeOf(dtype) + 64, 0xff);
    const MutableTensorView ov{buffer.data(), dtype, shape, strides};
    for (int threads = 1; threads <= 3; ++threads) {
      Options options;
      options.num_threads = threads;
      const Prepared p = Prepare(c, x.view(), y.view(), ov, options);
      p.Run(x.view().data, y.view().data, buffer.data());
      Tensor dense(dtype, shape);
      Execute(c, x.view(), y.view(), dense.mutable_view(), options);  // bits equal for every thread count
      ASSERT_EQ(testing::Bytes(dense), testing::Bytes(expected)) << Name(dtype) << " threads " << threads;
      for (int64_t b = 0; b < 6; ++b)
        for (int64_t m = 0; m < 70; ++m)
          for (int64_t n = 0; n < 90; ++n) {
            const size_t e = SizeOf(dtype);
            ASSERT_EQ(std::memcmp(buffer.data() + (b + m * 6 * 91 + n * 6) * e,
                                  static_cast<const unsigned char*>(expected.data()) + ((b * 70 + m) * 90 + n) * e, e),
                      0)
                << Name(dtype) << " threads " << threads;
          }
    }
  }
}

TEST(Prepared, NullPointersAreOneLineErrors) {
  std::vector<float> x(4, 1.0f), y(12, 1.0f), out(6);
  const std::vector<int64_t> xs{2, 2}, ys{2, 3, 2}, os{2, 3};
  const auto xst = ContiguousStrides(xs), yst = ContiguousStrides(ys), ost = ContiguousStrides(os);
  const TensorView xv{x.data(), DType::kFloat32, xs, xst}, yv{y.data(), DType::kFloat32, ys, yst};
  const Contraction c = keras::Resolve(xv, yv, AxesArg(1, 2));
  const Prepared p = Prepare(c, xv, yv, MutableTensorView{out.data(), DType::kFloat32, os, ost}, Options{});
  p.Run(x.data(), y.data(), out.data());
  EXPECT_EQ(out[0], 2.0f);
  for (int which = 0; which < 3; ++which) {
    try {
      p.Run(which == 0 ? nullptr : x.data(), which == 1 ? nullptr : y.data(), which == 2 ? nullptr : out.data());
      ADD_FAILURE() << "no error for null pointer " << which;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kShape);
      const std::string msg = e.what();
      EXPECT_NE(msg.find(which == 0 ? "for x" : which == 1 ? "for y" : "for out"), std::string::npos) << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos);
    }
  }
  EXPECT_THROW(Prepared().Run(x.data(), y.data(), out.data()), Error);
}

TEST(Prepared, ZeroSizeOperandsNeedNoPointers) {
  const std::vector<int64_t> xs{3, 0}, ys{3, 0, 4}, os{3, 4};
  const auto xst = ContiguousStrides(xs), yst = ContiguousStrides(ys), ost = ContiguousStrides(os);
  std::vector<float> out(12, 5.0f);
  const TensorView xv{nullptr, DType::kFloat32, xs, xst}, yv{nullptr, DType::kFloat32, ys, yst};
  const Contraction c = keras::Resolve(xv, yv, AxesArg(1, 1));
  const Prepared p = Prepare(c, xv, yv, MutableTensorView{out.data(), DType::kFloat32, os, ost}, Options{});
  p.Run(nullptr, nullptr, out.data());
  for (float v : out) EXPECT_EQ(v, 0.0f);
}

TEST(Prepared, MixedDTypesAreRejectedAtPrepare) {
  std::vector<float> x(4, 1.0f);
  std::vector<double> y(12, 1.0), out(6);
  const std::vector<int64_t> xs{2, 2}, ys{2, 3, 2}, os{2, 3};
  const auto xst = ContiguousStrides(xs), yst = ContiguousStrides(ys), ost = ContiguousStrides(os);
  const TensorView xv{x.data(), DType::kFloat32, xs, xst}, yv{y.data(), DType::kFloat64, ys, yst};
  const Contraction c = keras::Resolve(xv, yv, AxesArg(1, 2));
  ASSERT_EQ(c.dtype, DType::kFloat64);
  try {
    Prepare(c, xv, yv, MutableTensorView{out.data(), DType::kFloat64, os, ost}, Options{});
    ADD_FAILURE() << "mixed dtypes accepted";
  } catch (const DTypeError& e) {
    EXPECT_NE(std::string(e.what()).find("float32 and float64"), std::string::npos) << e.what();
  }
  // Execute still converts per call.
  Execute(c, xv, yv, MutableTensorView{out.data(), DType::kFloat64, os, ost});
  EXPECT_EQ(out[0], 2.0);
}

TEST(Prepared, ChecksTheOutputLikeExecute) {
  std::vector<float> x(4, 1.0f), y(12, 1.0f), out(6);
  const std::vector<int64_t> xs{2, 2}, ys{2, 3, 2}, wrong{3, 2};
  const auto xst = ContiguousStrides(xs), yst = ContiguousStrides(ys), wst = ContiguousStrides(wrong);
  const TensorView xv{x.data(), DType::kFloat32, xs, xst}, yv{y.data(), DType::kFloat32, ys, yst};
  const Contraction c = keras::Resolve(xv, yv, AxesArg(1, 2));
  EXPECT_THROW(Prepare(c, xv, yv, MutableTensorView{out.data(), DType::kFloat32, wrong, wst}, Options{}), Error);
  EXPECT_THROW(Prepare(c, xv, yv, MutableTensorView{y.data(), DType::kFloat32, c.output_shape,
                                                    ContiguousStrides(c.output_shape)}, Options{}),
               Error);
}

}  // namespace
}  // namespace batchdot
