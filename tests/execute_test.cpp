// Execute against the reference on random contractions: ranks 2-6, sizes 0-17,
// random axes and layouts (transposed, stepped, negative, permuted), every dtype,
// every kernel path; thread-count reproducibility; caller-provided outputs.
#include <gtest/gtest.h>

#include <random>

#include "batchdot/batchdot.hpp"
#include "random_contraction.hpp"
#include "test_util.hpp"

namespace batchdot {
namespace {

using testing::Layout;
using testing::MakeOperand;
using testing::MakeRandomCase;
using testing::RandomCase;
using testing::kLayouts;

TEST(Execute, RandomContractionsMatchReferenceBitwise) {
  const uint64_t seed = testing::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed) + " (replay with --gtest_random_seed)");
  std::mt19937_64 rng(seed);
  int checked = 0;
  for (DType dtype : kAllDTypes) {
    const int cases = testing::ScaledCaseCount((dtype == DType::kFloat32 || dtype == DType::kFloat64) ? 2000 : 600);
    for (int i = 0; i < cases; ++i) {
      RandomCase rc = MakeRandomCase(rng, dtype);
      SCOPED_TRACE(rc.text);
      const Contraction c = ResolveDotGeneral(rc.x.view(), rc.y.view(), rc.dims);
      Tensor expected(c.dtype, c.output_shape);
      ReferenceExecute(c, rc.x.view(), rc.y.view(), expected.mutable_view());
      for (KernelPath path : {KernelPath::kAuto, KernelPath::kGeneric, KernelPath::kDot, KernelPath::kGemv,
                              KernelPath::kSmall, KernelPath::kGemm}) {
        Options options;
        options.force_kernel = path;
        options.num_threads = 1 + (i % 3);
        const Tensor got = Execute(c, rc.x.view(), rc.y.view(), options);
        ASSERT_EQ(testing::Bytes(got), testing::Bytes(expected)) << "path " << static_cast<int>(path);
      }
      ++checked;
    }
  }
  std::printf("%d random contractions x 6 paths matched the reference\n", checked);
}

// Shapes just below, at and just above each family's thresholds (small: 16;
// GEMM register tiles and cache blocks: 32, 64, 256) on transposed and negative
// layouts, 1-3 threads, bitwise against the reference.
TEST(Execute, ShapesAroundPathThresholds) {
  const uint64_t seed = testing::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  const int64_t sizes[] = {1, 15, 16, 17, 31, 33, 64, 65};
  std::uniform_int_distribution<size_t> pick(0, std::size(sizes) - 1);
  int checked = 0;
  for (DType dtype : {DType::kFloat32, DType::kFloat64}) {
    for (int i = 0; i < 60; ++i) {
      const int64_t batch = 1 + static_cast<int64_t>(rng() % 5), m = sizes[pick(rng)], n = sizes[pick(rng)];
      const int64_t k = i % 10 == 0 ? 255 + static_cast<int64_t>(rng() % 3) : sizes[pick(rng)];
      const Layout x_layout = kLayouts[rng() % std::size(kLayouts)], y_layout = kLayouts[rng() % std::size(kLayouts)];
      testing::Operand x = MakeOperand(dtype, {batch, m, k}, x_layout, rng);
      testing::Operand y = MakeOperand(dtype, {batch, k, n}, y_layout, rng);
      SCOPED_TRACE(::testing::PrintToString(std::vector<int64_t>{batch, m, k, n}) + " " + LayoutName(x_layout) +
                   " " + LayoutName(y_layout));
      const Contraction c = keras::Resolve(x.view(), y.view(), AxesArg(2, 1));
      Tensor expected(c.dtype, c.output_shape);
      ReferenceExecute(c, x.view(), y.view(), expected.mutable_view());
      for (int threads : {1, 2, 3}) {
        Options options;
        options.num_threads = threads;
        ASSERT_EQ(testing::Bytes(Execute(c, x.view(), y.view(), options)), testing::Bytes(expected)) << threads;
      }
      ++checked;
    }
  }
  std::printf("%d threshold shapes x 3 thread counts matched the reference\n", checked);
}

// Random reals (f32 or f64): sums are inexact, so equal bits mean equal summation order.
void FillNormal(testing::Operand& op, std::mt19937_64& rng) {
  std::normal_distribution<double> normal;
  for (size_t i = 0; i < op.buffer.size() / SizeOf(op.dtype); ++i) {
    if (op.dtype == DType::kFloat32) reinterpret_cast<float*>(op.buffer.data())[i] = static_cast<float>(normal(rng));
    else reinterpret_cast<double*>(op.buffer.data())[i] = normal(rng);
  }
}

void ExpectSameBitsForEveryThreadCount(const Contraction& c, const testing::Operand& x, const testing::Operand& y) {
  std::vector<unsigned char> first;
  for (int threads : {1, 2, 3}) {
    Options options;
    options.num_threads = threads;
    const Tensor got = Execute(c, x.view(), y.view(), options);
    if (first.empty()) first = testing::Bytes(got);
    EXPECT_EQ(testing::Bytes(got), first) << threads << " threads";
  }
}

// Larger random-real products: every thread count gives the same bits.
TEST(Execute, ThreadCountDoesNotChangeBits) {
  std::mt19937_64 rng(testing::TestSeed());
  struct Shape { int64_t b, m, k, n; };
  for (const Shape s : {Shape{1, 300, 257, 130}, Shape{3, 97, 64, 200}, Shape{5000, 4, 4, 4},
                        Shape{40000, 1, 64, 1}, Shape{64, 128, 64, 1}, Shape{2, 1, 500, 700}}) {
    for (DType dtype : {DType::kFloat32, DType::kFloat64}) {
      testing::Operand x = MakeOperand(dtype, {s.b, s.m, s.k}, Layout::kContiguous, rng);
      testing::Operand y = MakeOperand(dtype, {s.b, s.k, s.n}, Layout::kReversedAxes, rng);
      // Random reals: sums are inexact, so equal bits mean equal summation order.
      FillNormal(x, rng);
      FillNormal(y, rng);
      SCOPED_TRACE(std::to_string(s.b) + "x" + std::to_string(s.m) + "x" + std::to_string(s.k) + "x" +
                   std::to_string(s.n));
      ExpectSameBitsForEveryThreadCount(keras::Resolve(x.view(), y.view(), AxesArg(2, 1)), x, y);
    }
  }
}

// The seed's layout (gathered y panels) with random reals and larger sizes.
TEST(Execute, GatheredPanelsAreThreadCountIndependent) {
  std::mt19937_64 rng(testing::TestSeed());
  testing::Operand x = MakeOperand(DType::kFloat32, {7, 12, 40, 29}, Layout::kContiguous, rng);
  testing::Operand y = MakeOperand(DType::kFloat32, {7, 12, 29, 24}, Layout::kContiguous, rng);
  FillNormal(x, rng);
  FillNormal(y, rng);
  ExpectSameBitsForEveryThreadCount(keras::Resolve(x.view(), y.view()), x, y);
}

// Keras rank-4 y whose free axes straddle the contracted one: runs of 8 and 16
// are read in place, runs of 5 gathered; both bitwise equal to the reference and
// to themselves at 1-3 threads, into dense and strided outputs.
TEST(Execute, StraddlingColumnRunsMatchReference) {
  std::mt19937_64 rng(testing::TestSeed());
  for (DType dtype : {DType::kFloat32, DType::kFloat64}) {
    for (int64_t run : {8, 16, 5}) {
      for (int64_t k : {1, 5, 8, 9}) {
        SCOPED_TRACE("run " + std::to_string(run) + " k " + std::to_string(k));
        testing::Operand x = MakeOperand(dtype, {6, 7, 4, k}, Layout::kContiguous, rng);
        testing::Operand y = MakeOperand(dtype, {6, 12, k, run}, Layout::kContiguous, rng);
        const Contraction c = keras::Resolve(x.view(), y.view());
        Tensor expected(c.dtype, c.output_shape);
        ReferenceExecute(c, x.view(), y.view(), expected.mutable_view());
        for (int threads = 1; threads <= 3; ++threads) {
          Options options;
          options.num_threads = threads;
          ASSERT_EQ(testing::Bytes(Execute(c, x.view(), y.view(), options)), testing::Bytes(expected));
        }
        FillNormal(x, rng);
        FillNormal(y, rng);
        ExpectSameBitsForEveryThreadCount(c, x, y);
      }
    }
  }
}

// Random reals into a fresh (aligned) result at 1 and 2 threads: the bits of the
// generic kernel, whose order every family keeps.
void ExpectGenericKernelBits(const std::vector<int64_t>& x_shape, const std::vector<int64_t>& y_shape) {
  std::mt19937_64 rng(testing::TestSeed());
  testing::Operand x = MakeOperand(DType::kFloat32, x_shape, Layout::kContiguous, rng);
  testing::Operand y = MakeOperand(DType::kFloat32, y_shape, Layout::kContiguous, rng);
  FillNormal(x, rng);
  FillNormal(y, rng);
  const Contraction c = keras::Resolve(x.view(), y.view());
  Options generic;
  generic.force_kernel = KernelPath::kGeneric;
  const Tensor want = Execute(c, x.view(), y.view(), generic);
  for (int threads = 1; threads <= 2; ++threads) {
    Options options;
    options.num_threads = threads;
    ASSERT_EQ(testing::Bytes(Execute(c, x.view(), y.view(), options)), testing::Bytes(want)) << threads;
  }
}

// The seed's layout with a 12.9 MB result: the register-B kernel streams C.
TEST(Execute, StreamedColumnRunsMatchTheGenericKernel) { ExpectGenericKernelBits({700, 12, 4, 5}, {700, 12, 5, 8}); }

// A 16 MiB result in one K block with 4 KiB rows: the packed family streams its tiles.
TEST(Execute, StreamedPackedGemmMatchesTheGenericKernel) { ExpectGenericKernelBits({4, 1024, 40}, {4, 40, 1024}); }

TEST(Execute, WritesIntoStridedCallerOutput) {
  std::mt19937_64 rng(testing::TestSeed());
  testing::Operand x = MakeOperand(DType::kFloat32, {3, 5, 7}, Layout::kContiguous, rng);
  testing::Operand y = MakeOperand(DType::kFloat32, {3, 7, 6}, Layout::kNegative, rng);
  const Contraction c = keras::Resolve(x.view(), y.view());
  const Tensor expected = Execute(c, x.view(), y.view());
  // out is a transposed, stepped view into a bigger buffer; the gaps stay untouched.
  std::vector<float> buffer(3 * 5 * 6 * 2, -99.0f);
  const std::vector<int64_t> shape{3, 5, 6}, strides{2, 3 * 6 * 2, 3 * 2};
  Execute(c, x.view(), y.view(), MutableTensorView{buffer.data(), DType::kFloat32, shape, strides});
  for (int64_t b = 0; b < 3; ++b)
    for (int64_t m = 0; m < 5; ++m)
      for (int64_t n = 0; n < 6; ++n)
        EXPECT_EQ(buffer[b * 2 + m * 36 + n * 6], expected.data_as<float>()[(b * 5 + m) * 6 + n]);
  int untouched = 0;
  for (float v : buffer) untouched += v == -99.0f;
  EXPECT_EQ(untouched, 3 * 5 * 6);
}

TEST(Execute, RejectsBadOutputs) {
  std::vector<float> x(2 * 3 * 4, 1.0f), y(2 * 4 * 5, 1.0f), out(2 * 3 * 5);
  const std::vector<int64_t> sx{2, 3, 4}, sy{2, 4, 5}, so{2, 3, 5}, wrong{2, 5, 3};
  const auto tx = ContiguousStrides(sx), ty = ContiguousStrides(sy), to = ContiguousStrides(so);
  const TensorView xv{x.data(), DType::kFloat32, sx, tx}, yv{y.data(), DType::kFloat32, sy, ty};
  const Contraction c = keras::Resolve(xv, yv);
  EXPECT_THROW(Execute(c, xv, yv, MutableTensorView{out.data(), DType::kFloat32, wrong, to}), Error);
  EXPECT_THROW(Execute(c, xv, yv, MutableTensorView{out.data(), DType::kFloat64, so, to}), DTypeError);
  // The output aliases x: refused before anything is written.
  std::vector<float> before = x;
  EXPECT_THROW(Execute(c, xv, yv, MutableTensorView{x.data(), DType::kFloat32, so, to}), Error);
  EXPECT_EQ(x, before);
  const std::vector<int64_t> zero_strides{15, 0, 1};
  EXPECT_THROW(Execute(c, xv, yv, MutableTensorView{out.data(), DType::kFloat32, so, zero_strides}), Error);
}

TEST(Execute, MixedDTypesPromoteLikeNumPy) {
  std::vector<int32_t> x{1, 2, 3, 4};
  std::vector<float> y{0.5f, 0.25f, 2.0f, 4.0f};
  const std::vector<int64_t> shape{2, 2};
  const auto strides = ContiguousStrides(shape);
  const Tensor out = keras::batch_dot({x.data(), DType::kInt32, shape, strides}, {y.data(), DType::kFloat32, shape, strides});
  ASSERT_EQ(out.dtype(), DType::kFloat64);
  EXPECT_EQ(out.data_as<double>()[0], 1 * 0.5 + 2 * 0.25);
  EXPECT_EQ(out.data_as<double>()[1], 3 * 2.0 + 4 * 4.0);
}

TEST(Execute, IntegersWrapLikeNumPy) {
  std::vector<int32_t> x{2147483647, 2}, y{2, 3};
  const std::vector<int64_t> shape{1, 2};
  const auto strides = ContiguousStrides(shape);
  const Tensor out = keras::batch_dot({x.data(), DType::kInt32, shape, strides}, {y.data(), DType::kInt32, shape, strides});
  // 2147483647 * 2 + 6 wraps modulo 2^32 to 4.
  EXPECT_EQ(out.data_as<int32_t>()[0], 4);
}

TEST(Execute, ZeroLengthContractionGivesZeros) {
  std::vector<float> x(1), y(1);
  const std::vector<int64_t> sx{3, 4, 0}, sy{3, 0, 2};
  const auto tx = ContiguousStrides(sx), ty = ContiguousStrides(sy);
  // A caller's output full of garbage: every element must be overwritten with 0.
  std::vector<float> out(3 * 4 * 2, 7.0f);
  const std::vector<int64_t> so{3, 4, 2};
  const auto to = ContiguousStrides(so);
  for (KernelPath path : {KernelPath::kAuto, KernelPath::kGeneric, KernelPath::kGemm, KernelPath::kSmall}) {
    std::fill(out.begin(), out.end(), 7.0f);
    Options options;
    options.force_kernel = path;
    keras::batch_dot({x.data(), DType::kFloat32, sx, tx}, {y.data(), DType::kFloat32, sy, ty}, {},
                     MutableTensorView{out.data(), DType::kFloat32, so, to}, options);
    for (float v : out) EXPECT_EQ(v, 0.0f) << "path " << static_cast<int>(path);
  }
}

}  // namespace
}  // namespace batchdot
