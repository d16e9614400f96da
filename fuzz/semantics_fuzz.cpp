// libFuzzer target for the semantics resolvers: Keras and MindSpore batch_dot
// and dot_general, on ranks, shapes, dtypes and axes values (every form an axes
// argument can take from Python: None, ints at the int64 extremes, bools,
// floats, nested tuples and lists, other types) decoded from the input.
// A resolver must either throw batchdot::Error or return a contraction that is
// consistent with its operands (checked below); for small operands that
// contraction must then run and agree bitwise with the reference.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "batchdot/batchdot.hpp"
#include "fuzz_input.hpp"
#include "fuzz_tensors.hpp"

namespace {

using batchdot::AxesArg;
using batchdot::DType;
using batchdot::fuzz::FuzzInput;

#define FUZZ_CHECK(cond) \
  do {                   \
    if (!(cond)) __builtin_trap(); \
  } while (0)

int64_t AxisValue(FuzzInput& in) {
  switch (in.Below(8)) {
    case 0: return std::numeric_limits<int64_t>::min();
    case 1: return std::numeric_limits<int64_t>::max();
    case 2: return in.Int64();
    case 3: return int64_t{1} << 31;
    default: return static_cast<int64_t>(in.Below(19)) - 9;
  }
}

AxesArg Axes(FuzzInput& in, int depth) {
  switch (in.Below(depth == 0 ? 8 : 6)) {
    case 0: return AxesArg();
    case 1: return AxesArg::Bool(in.Flag());
    case 2: return AxesArg::Float(in.Flag() ? in.Double() : static_cast<double>(AxisValue(in)));
    case 3: return AxesArg::Other(in.Flag() ? "str" : "numpy.int64");
    case 4:
    case 5: {
      if (depth >= 3) return AxesArg(AxisValue(in));
      std::vector<AxesArg> items(in.Below(5));
      for (AxesArg& item : items) item = Axes(in, depth + 1);
      return AxesArg::Sequence(std::move(items), in.Flag());
    }
    default: return AxesArg(AxisValue(in));
  }
}

std::vector<int64_t> Shape(FuzzInput& in) {
  std::vector<int64_t> shape(in.Below(7));
  for (int64_t& d : shape) {
    const uint32_t pick = in.Below(16);
    d = pick < 12 ? static_cast<int64_t>(pick % 5) : pick == 12 ? (int64_t{1} << 40) : 7;
  }
  return shape;
}

// Every axis of an operand is exactly one of batch, contracting or free.
void CheckPartition(int64_t rank, const std::vector<int64_t>& batch, const std::vector<int64_t>& contracting,
                    const std::vector<int64_t>& free) {
  std::vector<int> seen(static_cast<size_t>(rank), 0);
  for (const auto* list : {&batch, &contracting, &free}) {
    for (int64_t axis : *list) {
      FUZZ_CHECK(axis >= 0 && axis < rank);
      ++seen[static_cast<size_t>(axis)];
    }
  }
  for (int count : seen) FUZZ_CHECK(count == 1);
  FUZZ_CHECK(std::is_sorted(free.begin(), free.end()));
}

void CheckContraction(const batchdot::Contraction& c, const std::vector<int64_t>& xs,
                      const std::vector<int64_t>& ys, bool batch_dot_rules) {
  const auto xr = static_cast<int64_t>(xs.size()), yr = static_cast<int64_t>(ys.size());
  CheckPartition(xr, c.lhs_batch, c.lhs_contracting, c.lhs_free);
  CheckPartition(yr, c.rhs_batch, c.rhs_contracting, c.rhs_free);
  FUZZ_CHECK(c.lhs_batch.size() == c.rhs_batch.size());
  FUZZ_CHECK(c.lhs_contracting.size() == c.rhs_contracting.size());
  for (size_t i = 0; i < c.lhs_batch.size(); ++i) FUZZ_CHECK(xs[c.lhs_batch[i]] == ys[c.rhs_batch[i]]);
  for (size_t i = 0; i < c.lhs_contracting.size(); ++i)
    FUZZ_CHECK(xs[c.lhs_contracting[i]] == ys[c.rhs_contracting[i]]);
  std::vector<int64_t> expected;
  for (int64_t a : c.lhs_batch) expected.push_back(xs[a]);
  for (int64_t a : c.lhs_free) expected.push_back(xs[a]);
  for (int64_t a : c.rhs_free) expected.push_back(ys[a]);
  if (batch_dot_rules) {
    FUZZ_CHECK(xr >= 2 && yr >= 2);
    FUZZ_CHECK(c.lhs_batch == std::vector<int64_t>{0} && c.rhs_batch == std::vector<int64_t>{0});
    FUZZ_CHECK(c.lhs_contracting.size() == 1);
    if (expected.size() == 1) expected.push_back(1);
  }
  FUZZ_CHECK(c.output_shape == expected);
}

int64_t Count(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d > 4096) return std::numeric_limits<int64_t>::max();
    n *= d;
  }
  return n;
}

// Runs a consistent contraction on small-integer operands: Execute must equal the reference.
void RunSmall(const batchdot::Contraction& c, DType xd, DType yd, const std::vector<int64_t>& xs,
              const std::vector<int64_t>& ys) {
  if (Count(xs) > 4096 || Count(ys) > 4096 || Count(c.output_shape) > 4096) return;
  auto x = batchdot::fuzz::Allocate(xd, xs, batchdot::ContiguousStrides(xs));
  auto y = batchdot::fuzz::Allocate(yd, ys, batchdot::ContiguousStrides(ys));
  batchdot::fuzz::FillSmallIntegers(x, 1);
  batchdot::fuzz::FillSmallIntegers(y, 2);
  auto want = batchdot::fuzz::Allocate(c.dtype, c.output_shape, batchdot::ContiguousStrides(c.output_shape));
  auto got = want;
  batchdot::ReferenceExecute(c, x.view(), y.view(), want.mutable_view());
  batchdot::Execute(c, x.view(), y.view(), got.mutable_view());
  FUZZ_CHECK(batchdot::fuzz::BitwiseEqual(want, got));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  const int front_end = static_cast<int>(in.Below(3));
  const DType xd = batchdot::kAllDTypes[in.Below(8)];
  const DType yd = in.Below(4) == 0 ? batchdot::kAllDTypes[in.Below(8)] : xd;
  const std::vector<int64_t> xs = Shape(in), ys = Shape(in);
  // The resolvers read shapes only; a non-null pointer keeps the views well formed.
  const std::vector<int64_t> xst(xs.size(), 1), yst(ys.size(), 1);
  static const double dummy = 0;
  const batchdot::TensorView x{&dummy, xd, xs, xst}, y{&dummy, yd, ys, yst};
  try {
    batchdot::Contraction c;
    if (front_end == 2) {
      batchdot::DotDimensionNumbers dims;
      for (auto* list : {&dims.lhs_contracting, &dims.rhs_contracting, &dims.lhs_batch, &dims.rhs_batch}) {
        list->resize(in.Below(4));
        for (int64_t& axis : *list) axis = in.Below(6) == 0 ? AxisValue(in) : in.Below(7);
      }
      c = batchdot::ResolveDotGeneral(x, y, dims);
      CheckContraction(c, xs, ys, false);
      FUZZ_CHECK(c.dtype == batchdot::PromoteTypes(xd, yd));
    } else {
      const AxesArg axes = Axes(in, 0);
      c = front_end == 0 ? batchdot::keras::Resolve(x, y, axes) : batchdot::mindspore::Resolve(x, y, axes);
      CheckContraction(c, xs, ys, true);
      if (front_end == 1) FUZZ_CHECK(xd == DType::kFloat32 && yd == DType::kFloat32);
      // Keras' messages print the axes value; repr must hold for any value.
      FUZZ_CHECK(!axes.repr().empty());
    }
    RunSmall(c, xd, yd, xs, ys);
  } catch (const batchdot::Error&) {
    // A rejected call: the expected outcome for most inputs.
  }
  return 0;
}
