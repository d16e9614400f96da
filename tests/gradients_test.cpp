// src/gradients/: batch_dot_grad and dot_general_grad against a naive oracle that
// applies the definition (grad_x[i] = sum over the terms x[i] appears in), the
// adjoint identity, thread-count determinism, accumulate, strided targets and errors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "batchdot/grad.hpp"
#include "test_util.hpp"

namespace batchdot {
namespace {

using testing::Layout;
using testing::MakeOperand;
using testing::Operand;

double At(const TensorView& v, const std::vector<int64_t>& index) {
  int64_t offset = 0;
  for (size_t i = 0; i < index.size(); ++i) offset += index[i] * v.strides_elems[i];
  switch (v.dtype) {
    case DType::kFloat32: return static_cast<const float*>(v.data)[offset];
    case DType::kFloat64: return static_cast<const double*>(v.data)[offset];
    default: ADD_FAILURE() << "oracle handles float32/float64 only"; return 0;
  }
}

// The oracle: walks every (batch, lhs free, rhs free, contracted) index tuple of
// the forward sum out[o] += x[i] * y[j] and adds g[o] * y[j] to grad_x[i] and
// g[o] * x[i] to grad_y[j]. Results are contiguous float64.
struct Oracle {
  std::vector<double> gx, gy;
};
Oracle NaiveGradients(const TensorView& x, const TensorView& y, const DotDimensionNumbers& d, const TensorView& g) {
  const Contraction c = ResolveDotGeneral(x, y, d);
  Oracle r;
  r.gx.assign(static_cast<size_t>(x.num_elements()), 0.0);
  r.gy.assign(static_cast<size_t>(y.num_elements()), 0.0);
  // Loop axes: batch, lhs free, rhs free, contracting.
  std::vector<int64_t> sizes;
  for (int64_t a : d.lhs_batch) sizes.push_back(x.shape[a]);
  for (int64_t a : c.lhs_free) sizes.push_back(x.shape[a]);
  for (int64_t a : c.rhs_free) sizes.push_back(y.shape[a]);
  for (int64_t a : d.lhs_contracting) sizes.push_back(x.shape[a]);
  int64_t total = 1;
  for (int64_t s : sizes) total *= s;
  const auto xs = ContiguousStrides(x.shape), ys = ContiguousStrides(y.shape);
  std::vector<int64_t> loop(sizes.size(), 0);
  for (int64_t t = 0; t < total; ++t) {
    int64_t rest = t;
    for (size_t i = sizes.size(); i-- > 0;) {
      loop[i] = rest % sizes[i];
      rest /= sizes[i];
    }
    std::vector<int64_t> xi(x.shape.size()), yi(y.shape.size()), oi;
    size_t k = 0;
    for (size_t i = 0; i < d.lhs_batch.size(); ++i, ++k) {
      xi[d.lhs_batch[i]] = yi[d.rhs_batch[i]] = loop[k];
      oi.push_back(loop[k]);
    }
    for (int64_t a : c.lhs_free) { xi[a] = loop[k++]; oi.push_back(xi[a]); }
    for (int64_t a : c.rhs_free) { yi[a] = loop[k++]; oi.push_back(yi[a]); }
    for (size_t i = 0; i < d.lhs_contracting.size(); ++i, ++k) {
      xi[d.lhs_contracting[i]] = yi[d.rhs_contracting[i]] = loop[k];
    }
    int64_t xo = 0, yo = 0;
    for (size_t i = 0; i < xi.size(); ++i) xo += xi[i] * xs[i];
    for (size_t i = 0; i < yi.size(); ++i) yo += yi[i] * ys[i];
    const double gv = At(g, oi);
    r.gx[xo] += gv * At(y, yi);
    r.gy[yo] += gv * At(x, xi);
  }
  return r;
}

// Every element of a strided view, in C order.
std::vector<double> ViewDoubles(const TensorView& v) {
  std::vector<double> values;
  std::vector<int64_t> index(v.shape.size(), 0);
  for (int64_t i = 0; i < v.num_elements(); ++i) {
    values.push_back(At(v, index));
    for (size_t axis = index.size(); axis-- > 0;) {
      if (++index[axis] < v.shape[axis]) break;
      index[axis] = 0;
    }
  }
  return values;
}

MutableTensorView Writable(Operand& op) {
  return {op.buffer.data() + op.origin * SizeOf(op.dtype), op.dtype, op.shape, op.strides};
}

std::vector<double> AsDoubles(const Tensor& t) {
  std::vector<double> v(static_cast<size_t>(t.num_elements()));
  for (size_t i = 0; i < v.size(); ++i) {
    v[i] = t.dtype() == DType::kFloat64 ? t.data_as<double>()[i] : t.data_as<float>()[i];
  }
  return v;
}

// A random dot_general: ranks <= 4, sizes 0-4, any axis roles and orders.
DotDimensionNumbers RandomDims(std::mt19937_64& rng, std::vector<int64_t>& xshape, std::vector<int64_t>& yshape) {
  std::uniform_int_distribution<int> count(0, 2), size(0, 4);
  const int nb = count(rng), nc = count(rng), nxf = count(rng) % 2 + (nb + nc == 0), nyf = count(rng) % 2;
  xshape.assign(static_cast<size_t>(nb + nc + nxf), 0);
  yshape.assign(static_cast<size_t>(nb + nc + nyf), 0);
  std::vector<int64_t> xa(xshape.size()), ya(yshape.size());
  std::iota(xa.begin(), xa.end(), 0);
  std::iota(ya.begin(), ya.end(), 0);
  std::shuffle(xa.begin(), xa.end(), rng);
  std::shuffle(ya.begin(), ya.end(), rng);
  DotDimensionNumbers d;
  for (int i = 0; i < nb + nc; ++i) {
    const int64_t s = size(rng) % 4 + (size(rng) == 0 ? 0 : 1);
    (i < nb ? d.lhs_batch : d.lhs_contracting).push_back(xa[i]);
    (i < nb ? d.rhs_batch : d.rhs_contracting).push_back(ya[i]);
    xshape[xa[i]] = yshape[ya[i]] = s;
  }
  for (size_t i = nb + nc; i < xa.size(); ++i) xshape[xa[i]] = size(rng);
  for (size_t i = nb + nc; i < ya.size(); ++i) yshape[ya[i]] = size(rng);
  return d;
}

Layout RandomLayout(std::mt19937_64& rng) {
  return static_cast<Layout>(std::uniform_int_distribution<int>(0, 4)(rng));
}

TEST(DotGeneralGrad, MatchesNaiveOracleOnRandomContractions) {
  std::mt19937_64 rng(testing::TestSeed());
  int cases = 0;
  for (int trial = 0; trial < 400; ++trial) {
    std::vector<int64_t> xshape, yshape;
    const DotDimensionNumbers d = RandomDims(rng, xshape, yshape);
    const DType dtype = trial % 2 ? DType::kFloat64 : DType::kFloat32;
    const Operand x = MakeOperand(dtype, xshape, RandomLayout(rng), rng);
    const Operand y = MakeOperand(dtype, yshape, RandomLayout(rng), rng);
    const Contraction c = ResolveDotGeneral(x.view(), y.view(), d);
    const Operand g = MakeOperand(dtype, c.output_shape, RandomLayout(rng), rng);
    const Gradients got = dot_general_grad(x.view(), y.view(), d, g.view());
    const Oracle want = NaiveGradients(x.view(), y.view(), d, g.view());
    // Small integers: every sum is exact in float32 too.
    ASSERT_EQ(AsDoubles(got.grad_x), want.gx) << "trial " << trial;
    ASSERT_EQ(AsDoubles(got.grad_y), want.gy) << "trial " << trial;
    // Into strided targets (transposed, step-2, negative, permuted), every third
    // trial accumulating onto what they hold.
    Operand tx = MakeOperand(dtype, xshape, RandomLayout(rng), rng);
    Operand ty = MakeOperand(dtype, yshape, RandomLayout(rng), rng);
    const bool accumulate = trial % 3 == 0;
    std::vector<double> want_x = want.gx, want_y = want.gy;
    if (accumulate) {
      const std::vector<double> before_x = ViewDoubles(tx.view()), before_y = ViewDoubles(ty.view());
      for (size_t i = 0; i < want_x.size(); ++i) want_x[i] += before_x[i];
      for (size_t i = 0; i < want_y.size(); ++i) want_y[i] += before_y[i];
    }
    const MutableTensorView txv = Writable(tx), tyv = Writable(ty);
    dot_general_grad(x.view(), y.view(), d, g.view(), GradientTargets{&txv, &tyv, accumulate});
    ASSERT_EQ(ViewDoubles(tx.view()), want_x) << "trial " << trial;
    ASSERT_EQ(ViewDoubles(ty.view()), want_y) << "trial " << trial;
    ++cases;
  }
  EXPECT_EQ(cases, 400);
}

TEST(BatchDotGrad, KerasMatchesDotGeneralOracleForEveryAxesPair) {
  std::mt19937_64 rng(testing::TestSeed() + 1);
  for (int xr = 2; xr <= 4; ++xr) {
    for (int yr = 2; yr <= 4; ++yr) {
      for (int a0 = 1; a0 < xr; ++a0) {
        for (int a1 = 1; a1 < yr; ++a1) {
          std::vector<int64_t> xs(xr), ys(yr);
          for (auto& s : xs) s = std::uniform_int_distribution<int>(1, 3)(rng);
          for (auto& s : ys) s = std::uniform_int_distribution<int>(1, 3)(rng);
          ys[0] = xs[0];
          ys[a1] = xs[a0] = 3;
          const Operand x = MakeOperand(DType::kFloat64, xs, RandomLayout(rng), rng);
          const Operand y = MakeOperand(DType::kFloat64, ys, RandomLayout(rng), rng);
          const Contraction c = keras::Resolve(x.view(), y.view(), AxesArg(a0, a1));
          const Operand g = MakeOperand(DType::kFloat64, c.output_shape, RandomLayout(rng), rng);
          const Gradients got = keras::batch_dot_grad(x.view(), y.view(), AxesArg(a0, a1), g.view());
          // The (B, 1) unit axis is not an axis of the oracle's dot_general.
          const TensorView gv{g.view().data, DType::kFloat64, std::span(g.shape).first(c.output_shape.size() -
                                                                    (xr == 2 && yr == 2)),
                              std::span(g.strides).first(c.output_shape.size() - (xr == 2 && yr == 2))};
          const Oracle want = NaiveGradients(x.view(), y.view(), {{a0}, {a1}, {0}, {0}}, gv);
          ASSERT_EQ(AsDoubles(got.grad_x), want.gx) << xr << " " << yr << " " << a0 << " " << a1;
          ASSERT_EQ(AsDoubles(got.grad_y), want.gy) << xr << " " << yr << " " << a0 << " " << a1;
        }
      }
    }
  }
}

TEST(BatchDotGrad, AdjointIdentityOnRandomDirections) {
  // <g, f(dx, y) + f(x, dy)> == <gx, dx> + <gy, dy> for random float64 data.
  std::mt19937_64 rng(testing::TestSeed() + 2);
  std::normal_distribution<double> normal;
  const std::vector<int64_t> xs = {3, 4, 5, 6}, ys = {3, 6, 2};
  auto random = [&](const std::vector<int64_t>& shape) {
    Tensor t(DType::kFloat64, shape);
    for (int64_t i = 0; i < t.num_elements(); ++i) t.data_as<double>()[i] = normal(rng);
    return t;
  };
  const Tensor x = random(xs), y = random(ys), dx = random(xs), dy = random(ys);
  const AxesArg axes(3, 1);
  const Tensor out = keras::batch_dot(x.view(), y.view(), axes);
  const Tensor g = random(out.shape());
  const Tensor f1 = keras::batch_dot(dx.view(), y.view(), axes), f2 = keras::batch_dot(x.view(), dy.view(), axes);
  const Gradients grads = keras::batch_dot_grad(x.view(), y.view(), axes, g.view());
  double lhs = 0, rhs = 0;
  for (int64_t i = 0; i < g.num_elements(); ++i) {
    lhs += g.data_as<double>()[i] * (f1.data_as<double>()[i] + f2.data_as<double>()[i]);
  }
  for (int64_t i = 0; i < x.num_elements(); ++i) rhs += grads.grad_x.data_as<double>()[i] * dx.data_as<double>()[i];
  for (int64_t i = 0; i < y.num_elements(); ++i) rhs += grads.grad_y.data_as<double>()[i] * dy.data_as<double>()[i];
  EXPECT_NEAR(lhs, rhs, 1e-10 * (std::abs(lhs) + 1));
}

TEST(BatchDotGrad, BitwiseIdenticalForOneTwoThreeThreads) {
  std::mt19937_64 rng(testing::TestSeed() + 3);
  // Large enough to be split across threads; fractions so sums round.
  const Operand x = MakeOperand(DType::kFloat32, {6, 70, 90}, Layout::kReversedAxes, rng, true);
  const Operand y = MakeOperand(DType::kFloat32, {6, 90, 110}, Layout::kContiguous, rng, true);
  const Operand g = MakeOperand(DType::kFloat32, {6, 70, 110}, Layout::kNegative, rng, true);
  std::vector<std::vector<unsigned char>> gx, gy;
  for (int threads : {1, 2, 3}) {
    Options options;
    options.num_threads = threads;
    const Gradients r = keras::batch_dot_grad(x.view(), y.view(), {}, g.view(), GradientsWanted::kBoth, options);
    gx.push_back(testing::Bytes(r.grad_x));
    gy.push_back(testing::Bytes(r.grad_y));
  }
  EXPECT_EQ(gx[0], gx[1]);
  EXPECT_EQ(gx[0], gx[2]);
  EXPECT_EQ(gy[0], gy[1]);
  EXPECT_EQ(gy[0], gy[2]);
}

TEST(BatchDotGrad, IntoStridedViewsSkipsAndAccumulates) {
  std::mt19937_64 rng(testing::TestSeed() + 4);
  const Operand x = MakeOperand(DType::kFloat64, {2, 3, 4}, Layout::kContiguous, rng);
  const Operand y = MakeOperand(DType::kFloat64, {2, 4, 5}, Layout::kStepTwo, rng);
  const Operand g = MakeOperand(DType::kFloat64, {2, 3, 5}, Layout::kReversedAxes, rng);
  const Gradients want = keras::batch_dot_grad(x.view(), y.view(), {}, g.view());
  // grad_x as a Fortran-order, step-2 view into a larger buffer pre-filled with 7.
  std::vector<double> buffer(2 * 3 * 4 * 2, 7.0);
  const std::vector<int64_t> shape = {2, 3, 4}, strides = {2, 4, 12};
  const MutableTensorView gx{buffer.data(), DType::kFloat64, shape, strides};
  GradientTargets targets;
  targets.grad_x = &gx;
  targets.accumulate = true;
  keras::batch_dot_grad(x.view(), y.view(), {}, g.view(), targets);  // grad_y skipped
  for (int64_t b = 0; b < 2; ++b) {
    for (int64_t i = 0; i < 3; ++i) {
      for (int64_t k = 0; k < 4; ++k) {
        EXPECT_EQ(buffer[b * 2 + i * 4 + k * 12], 7.0 + want.grad_x.data_as<double>()[(b * 3 + i) * 4 + k]);
        EXPECT_EQ(buffer[b * 2 + i * 4 + k * 12 + 1], 7.0);  // the gaps are untouched
      }
    }
  }
  const Gradients only_y = keras::batch_dot_grad(x.view(), y.view(), {}, g.view(), GradientsWanted::kYOnly);
  EXPECT_EQ(only_y.grad_x.data(), nullptr);  // skipped: a default-constructed Tensor
  EXPECT_EQ(testing::Bytes(only_y.grad_y), testing::Bytes(want.grad_y));
}

TEST(BatchDotGrad, MixedDTypesComeBackInEachInputsDType) {
  std::mt19937_64 rng(testing::TestSeed() + 5);
  const Operand x = MakeOperand(DType::kFloat32, {2, 3, 4}, Layout::kContiguous, rng);
  const Operand y = MakeOperand(DType::kFloat64, {2, 4}, Layout::kContiguous, rng);
  const Operand g = MakeOperand(DType::kFloat64, {2, 3}, Layout::kContiguous, rng);
  const Gradients r = keras::batch_dot_grad(x.view(), y.view(), {}, g.view());
  ASSERT_EQ(r.grad_x.dtype(), DType::kFloat32);
  ASSERT_EQ(r.grad_y.dtype(), DType::kFloat64);
  const Oracle want = NaiveGradients(x.view(), y.view(), {{2}, {1}, {0}, {0}}, g.view());
  EXPECT_EQ(AsDoubles(r.grad_x), want.gx);
  EXPECT_EQ(AsDoubles(r.grad_y), want.gy);
}

TEST(BatchDotGrad, ZeroSizeDimensionsAndEmptyContractionGiveZeros) {
  std::mt19937_64 rng(testing::TestSeed() + 6);
  // K = 0: grad_x is empty, grad_y (2, 0, 4) empty too; a zero free axis makes the
  // gradient contraction's K zero, which must write zeros over whatever was there.
  const Operand x = MakeOperand(DType::kFloat32, {2, 0, 3}, Layout::kContiguous, rng);
  const Operand y = MakeOperand(DType::kFloat32, {2, 3, 4}, Layout::kContiguous, rng);
  const Operand g = MakeOperand(DType::kFloat32, {2, 0, 4}, Layout::kContiguous, rng);
  std::vector<float> gy(24, std::numeric_limits<float>::quiet_NaN());
  const std::vector<int64_t> shape = {2, 3, 4}, strides = {12, 4, 1};
  const MutableTensorView gyv{gy.data(), DType::kFloat32, shape, strides};
  GradientTargets targets;
  targets.grad_y = &gyv;
  keras::batch_dot_grad(x.view(), y.view(), {}, g.view(), targets);
  for (float v : gy) EXPECT_EQ(v, 0.0f);
  const Operand x0 = MakeOperand(DType::kFloat32, {2, 3, 0}, Layout::kContiguous, rng);
  const Operand y0 = MakeOperand(DType::kFloat32, {2, 0, 4}, Layout::kContiguous, rng);
  const Operand g0 = MakeOperand(DType::kFloat32, {2, 3, 4}, Layout::kContiguous, rng);
  const Gradients r = keras::batch_dot_grad(x0.view(), y0.view(), {}, g0.view());
  EXPECT_EQ(r.grad_x.shape(), (std::vector<int64_t>{2, 3, 0}));
  EXPECT_EQ(r.grad_y.shape(), (std::vector<int64_t>{2, 0, 4}));
}

template <typename Fn>
ErrorKind KindOf(Fn fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.kind();
  }
  ADD_FAILURE() << "no error";
  return ErrorKind::kIo;
}

TEST(BatchDotGrad, ErrorsNameTheMismatch) {
  std::mt19937_64 rng(testing::TestSeed() + 7);
  const Operand x = MakeOperand(DType::kFloat32, {2, 3, 4}, Layout::kContiguous, rng);
  const Operand y = MakeOperand(DType::kFloat32, {2, 4, 5}, Layout::kContiguous, rng);
  const Operand g_bad = MakeOperand(DType::kFloat32, {2, 3, 4}, Layout::kContiguous, rng);
  const Operand g64 = MakeOperand(DType::kFloat64, {2, 3, 5}, Layout::kContiguous, rng);
  try {
    keras::batch_dot_grad(x.view(), y.view(), {}, g_bad.view());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kShape);
    EXPECT_NE(std::string(e.what()).find("(2, 3, 4)"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("(2, 3, 5)"), std::string::npos) << e.what();
  }
  EXPECT_EQ(KindOf([&] { keras::batch_dot_grad(x.view(), y.view(), {}, g64.view()); }), ErrorKind::kDType);
  EXPECT_EQ(KindOf([&] { keras::batch_dot_grad(x.view(), y.view(), AxesArg(0), g64.view()); }), ErrorKind::kAxes);
  const Operand x64 = MakeOperand(DType::kFloat64, {2, 3, 4}, Layout::kContiguous, rng);
  EXPECT_EQ(KindOf([&] { mindspore::batch_dot_grad(x64.view(), y.view(), {}, g64.view()); }), ErrorKind::kDType);
  // A target of the wrong shape, and one overlapping grad_out.
  const Operand g = MakeOperand(DType::kFloat32, {2, 3, 5}, Layout::kContiguous, rng);
  Tensor wrong(DType::kFloat32, {2, 4, 3});
  const MutableTensorView wrong_view = wrong.mutable_view();
  EXPECT_EQ(KindOf([&] { keras::batch_dot_grad(x.view(), y.view(), {}, g.view(), {&wrong_view}); }),
            ErrorKind::kShape);
  std::vector<float> small(12);
  const std::vector<int64_t> xs = {2, 3, 4}, xst = {12, 4, 1}, broadcast = {0, 4, 1};
  const MutableTensorView shared{small.data(), DType::kFloat32, xs, broadcast};
  GradientTargets accumulate_shared{&shared, nullptr, true};
  EXPECT_EQ(KindOf([&] { keras::batch_dot_grad(x.view(), y.view(), {}, g.view(), accumulate_shared); }),
            ErrorKind::kShape);
  const MutableTensorView aliased{const_cast<void*>(g.view().data), DType::kFloat32, xs, xst};
  EXPECT_EQ(KindOf([&] { keras::batch_dot_grad(x.view(), y.view(), {}, g.view(), {&aliased}); }),
            ErrorKind::kShape);
}

// A target whose elements overlap, the (2, 3, 5) view with element
// strides (15, 1, 1): refused (kShape) before anything is written, on every path
// (straight into the view, accumulate, a converting scratch for mixed dtypes),
// and an interleaved pair of targets that share no element is accepted.
TEST(BatchDotGrad, OverlappingTargetsAreRefusedOnEveryPath) {
  std::mt19937_64 rng(testing::TestSeed() + 9);
  const Operand x = MakeOperand(DType::kFloat32, {2, 3, 5}, Layout::kContiguous, rng);
  const Operand y32 = MakeOperand(DType::kFloat32, {2, 5, 4}, Layout::kContiguous, rng);
  const Operand y64 = MakeOperand(DType::kFloat64, {2, 5, 4}, Layout::kContiguous, rng);
  const Operand g32 = MakeOperand(DType::kFloat32, {2, 3, 4}, Layout::kContiguous, rng);
  const Operand g64 = MakeOperand(DType::kFloat64, {2, 3, 4}, Layout::kContiguous, rng);
  std::vector<float> storage(30, 0.0f);
  const std::vector<int64_t> shape = {2, 3, 5}, tangled = {15, 1, 1};
  const MutableTensorView target{storage.data(), DType::kFloat32, shape, tangled};
  for (bool accumulate : {false, true}) {
    SCOPED_TRACE(accumulate ? "accumulate" : "overwrite");
    const GradientTargets targets{&target, nullptr, accumulate};
    try {
      keras::batch_dot_grad(x.view(), y32.view(), {}, g32.view(), targets);
      FAIL() << "accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kShape);
      EXPECT_NE(std::string(e.what()).find("grad_x's strides make some of its elements share memory"),
                std::string::npos)
          << e.what();
    }
    EXPECT_EQ(KindOf([&] { keras::batch_dot_grad(x.view(), y64.view(), {}, g64.view(), targets); }),
              ErrorKind::kShape);
    EXPECT_EQ(KindOf([&] { dot_general_grad(x.view(), y32.view(), DotDimensionNumbers{{2}, {1}, {0}, {0}}, g32.view(), targets); }),
              ErrorKind::kShape);
    EXPECT_EQ(storage, std::vector<float>(30, 0.0f)) << "nothing is written before the check";
  }
  // Even and odd elements of one buffer: interleaved, disjoint, accepted.
  const Operand y = MakeOperand(DType::kFloat32, {2, 5}, Layout::kContiguous, rng);
  const Operand g = MakeOperand(DType::kFloat32, {2, 3}, Layout::kContiguous, rng);
  std::vector<float> both(60, 0.0f);
  const std::vector<int64_t> every_other = {30, 10, 2}, y_shape = {2, 5}, y_every_other = {10, 2};
  const MutableTensorView gx{both.data(), DType::kFloat32, shape, every_other};
  const MutableTensorView gy{both.data() + 1, DType::kFloat32, y_shape, y_every_other};
  keras::batch_dot_grad(x.view(), y.view(), {}, g.view(), GradientTargets{&gx, &gy, false});
  const Gradients want = keras::batch_dot_grad(x.view(), y.view(), {}, g.view());
  for (int64_t i = 0; i < 30; ++i) EXPECT_EQ(both[2 * i], want.grad_x.data_as<float>()[i]) << i;
  for (int64_t i = 0; i < 10; ++i) EXPECT_EQ(both[2 * i + 1], want.grad_y.data_as<float>()[i]) << i;
}

TEST(MindSporeGrad, RankTwoPairGivesUnitAxisGradients) {
  std::mt19937_64 rng(testing::TestSeed() + 8);
  const Operand x = MakeOperand(DType::kFloat32, {3, 5}, Layout::kNegative, rng);
  const Operand y = MakeOperand(DType::kFloat32, {3, 5}, Layout::kStepTwo, rng);
  const Operand g = MakeOperand(DType::kFloat32, {3, 1}, Layout::kStepTwo, rng);
  const Gradients r = mindspore::batch_dot_grad(x.view(), y.view(), {}, g.view());
  const TensorView gv{g.view().data, DType::kFloat32, std::span(g.shape).first(1), std::span(g.strides).first(1)};
  const Oracle want = NaiveGradients(x.view(), y.view(), {{1}, {1}, {0}, {0}}, gv);
  EXPECT_EQ(AsDoubles(r.grad_x), want.gx);
  EXPECT_EQ(AsDoubles(r.grad_y), want.gy);
}

}  // namespace
}  // namespace batchdot
