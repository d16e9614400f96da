// Every case of tests/data/keras.json and mindspore.json through the C++ front
// ends: output shapes, error kinds (ValueError vs TypeError) and values, and each
// kernel path bitwise against the reference on the valid cases.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>

#include "batchdot/batchdot.hpp"
#include "test_util.hpp"

namespace batchdot {
namespace {

using nlohmann::json;
using testing::Layout;

json LoadCases(const std::string& name) {
  std::ifstream in(std::string(BATCHDOT_TEST_DATA_DIR) + "/" + name);
  EXPECT_TRUE(in.good()) << "missing test data " << name;
  return json::parse(in);
}

AxesArg ToAxes(const json& value) {
  if (value.is_null()) return {};
  if (value.is_boolean()) return AxesArg::Bool(value.get<bool>());
  if (value.is_number_integer()) return AxesArg(value.get<int64_t>());
  if (value.is_number_float()) return AxesArg::Float(value.get<double>());
  if (value.is_array()) {
    std::vector<AxesArg> items;
    for (const json& item : value) items.push_back(ToAxes(item));
    return AxesArg::Sequence(std::move(items));
  }
  return AxesArg::Other(value.is_string() ? "str" : "object");
}

void Flatten(const json& value, std::vector<double>& out) {
  if (value.is_array()) {
    for (const json& v : value) Flatten(v, out);
  } else {
    out.push_back(value.get<double>());
  }
}

double ElementAsDouble(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::kFloat32: return t.data_as<float>()[i];
    case DType::kFloat64: return t.data_as<double>()[i];
    case DType::kInt32: return t.data_as<int32_t>()[i];
    case DType::kInt64: return static_cast<double>(t.data_as<int64_t>()[i]);
    default: ADD_FAILURE() << "unexpected dtype in a case file"; return 0;
  }
}

// Writes `values` (C order) into a contiguous operand.
void FillValues(testing::Operand& op, const std::vector<double>& values) {
  ASSERT_EQ(static_cast<int64_t>(values.size()), op.view().num_elements());
  for (size_t i = 0; i < values.size(); ++i) {
    unsigned char* p = op.buffer.data() + i * SizeOf(op.dtype);
    if (op.dtype == DType::kFloat32) { const float f = static_cast<float>(values[i]); std::memcpy(p, &f, 4); }
    if (op.dtype == DType::kFloat64) std::memcpy(p, &values[i], 8);
    if (op.dtype == DType::kInt32) { const int32_t n = static_cast<int32_t>(values[i]); std::memcpy(p, &n, 4); }
    if (op.dtype == DType::kInt64) { const int64_t n = static_cast<int64_t>(values[i]); std::memcpy(p, &n, 8); }
  }
}

struct CaseCounts {
  int shapes = 0, errors = 0, values = 0, dtype_only_in_python = 0;
};

void RunCases(const std::string& file, bool mindspore, CaseCounts& counts) {
  std::mt19937_64 rng(testing::TestSeed());
  for (const json& c : LoadCases(file)) {
    const std::string id = c.value("id", "?");
    SCOPED_TRACE(file + " " + id);
    std::optional<DType> x_dtype = DType::kFloat32, y_dtype = DType::kFloat32;
    if (c.contains("dtype")) {
      const json& d = c["dtype"];
      x_dtype = DTypeFromName(d.is_array() ? d[0].get<std::string>() : d.get<std::string>());
      y_dtype = DTypeFromName(d.is_array() ? d[1].get<std::string>() : d.get<std::string>());
    }
    if (!x_dtype || !y_dtype) {
      // A NumPy dtype with no batchdot DType (bool): the bindings reject it with
      // TypeError before any front end runs; tests/python covers that path.
      EXPECT_EQ(c.value("error", ""), "TypeError");
      ++counts.dtype_only_in_python;
      continue;
    }
    testing::Operand x = testing::MakeOperand(*x_dtype, c["x_shape"].get<std::vector<int64_t>>(),
                                              Layout::kContiguous, rng);
    testing::Operand y = testing::MakeOperand(*y_dtype, c["y_shape"].get<std::vector<int64_t>>(),
                                              Layout::kContiguous, rng);
    if (c.value("fill", "") == "ones") {
      FillValues(x, std::vector<double>(x.view().num_elements(), 1.0));
      FillValues(y, std::vector<double>(y.view().num_elements(), 1.0));
    }
    if (c.contains("x_values")) {
      std::vector<double> xs, ys;
      Flatten(c["x_values"], xs);
      Flatten(c["y_values"], ys);
      FillValues(x, xs);
      FillValues(y, ys);
    }
    const AxesArg axes = ToAxes(c["axes"]);
    if (c.contains("error")) {
      ++counts.errors;
      try {
        if (mindspore) {
          mindspore::Resolve(x.view(), y.view(), axes);
        } else {
          keras::Resolve(x.view(), y.view(), axes);
        }
        ADD_FAILURE() << "expected " << c["error"] << ", got a result";
      } catch (const Error& e) {
        const std::string python_type = IsTypeError(e.kind()) ? "TypeError" : "ValueError";
        EXPECT_EQ(python_type, c["error"].get<std::string>()) << e.what();
        EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "one-line message";
      }
      continue;
    }
    ++counts.shapes;
    const Contraction contraction =
        mindspore ? mindspore::Resolve(x.view(), y.view(), axes) : keras::Resolve(x.view(), y.view(), axes);
    ASSERT_EQ(contraction.output_shape, c["out_shape"].get<std::vector<int64_t>>());
    Tensor reference(contraction.dtype, contraction.output_shape);
    ReferenceExecute(contraction, x.view(), y.view(), reference.mutable_view());
    if (c.contains("expected_fill") || c.contains("expected")) {
      ++counts.values;
      std::vector<double> expected;
      if (c.contains("expected")) {
        Flatten(c["expected"], expected);
      } else {
        expected.assign(reference.num_elements(), c["expected_fill"].get<double>());
      }
      ASSERT_EQ(static_cast<int64_t>(expected.size()), reference.num_elements());
      for (int64_t i = 0; i < reference.num_elements(); ++i) EXPECT_EQ(ElementAsDouble(reference, i), expected[i]);
    }
    for (KernelPath path : {KernelPath::kAuto, KernelPath::kGeneric, KernelPath::kDot, KernelPath::kGemv,
                            KernelPath::kSmall, KernelPath::kGemm}) {
      Options options;
      options.force_kernel = path;
      const Tensor result = mindspore ? mindspore::batch_dot(x.view(), y.view(), axes, options)
                                      : keras::batch_dot(x.view(), y.view(), axes, options);
      EXPECT_EQ(testing::Bytes(result), testing::Bytes(reference)) << "path " << static_cast<int>(path);
    }
  }
}

TEST(Semantics, KerasCases) {
  CaseCounts counts;
  RunCases("keras.json", false, counts);
  EXPECT_EQ(counts.shapes + counts.errors + counts.dtype_only_in_python, 91);
  EXPECT_GT(counts.values, 0);
  std::printf("keras.json: %d shapes, %d errors, %d value checks\n", counts.shapes, counts.errors, counts.values);
}

TEST(Semantics, MindSporeCases) {
  CaseCounts counts;
  RunCases("mindspore.json", true, counts);
  EXPECT_EQ(counts.shapes + counts.errors + counts.dtype_only_in_python, 75);
  EXPECT_LE(counts.dtype_only_in_python, 1);
  std::printf("mindspore.json: %d shapes, %d errors, %d value checks, %d python-only dtypes\n", counts.shapes,
              counts.errors, counts.values, counts.dtype_only_in_python);
}

// The brief's two examples, spelled out.
TEST(Semantics, SeedExamples) {
  const std::vector<int64_t> x_shape{10, 12, 4, 5}, y_shape{10, 12, 5, 8};
  std::vector<float> x(10 * 12 * 4 * 5), y(10 * 12 * 5 * 8);
  const auto xs = ContiguousStrides(x_shape), ys = ContiguousStrides(y_shape);
  const Contraction c = keras::Resolve({x.data(), DType::kFloat32, x_shape, xs}, {y.data(), DType::kFloat32, y_shape, ys});
  EXPECT_EQ(c.output_shape, (std::vector<int64_t>{10, 12, 4, 12, 8}));

  std::vector<float> ones_x(4, 1.0f), ones_y(12, 1.0f);
  const std::vector<int64_t> sx{2, 2}, sy{2, 3, 2};
  const auto tx = ContiguousStrides(sx), ty = ContiguousStrides(sy);
  const Tensor out = mindspore::batch_dot({ones_x.data(), DType::kFloat32, sx, tx},
                                          {ones_y.data(), DType::kFloat32, sy, ty}, AxesArg(1, 2));
  ASSERT_EQ(out.shape(), (std::vector<int64_t>{2, 3}));
  for (int64_t i = 0; i < 6; ++i) EXPECT_EQ(out.data_as<float>()[i], 2.0f);
}

TEST(Semantics, MessagesNameTheValues) {
  std::vector<float> data(64);
  const std::vector<int64_t> sx{3, 4, 5}, sy{3, 6, 7};
  const auto tx = ContiguousStrides(sx), ty = ContiguousStrides(sy);
  try {
    keras::Resolve({data.data(), DType::kFloat32, sx, tx}, {data.data(), DType::kFloat32, sy, ty}, AxesArg(2, 1));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kShape);
    EXPECT_STREQ(e.what(),
                 "batch_dot: contracted dimensions differ: x.shape[2] = 5, y.shape[1] = 6 (x.shape = (3, 4, 5), "
                 "y.shape = (3, 6, 7))");
  }
}

TEST(Semantics, DotGeneralSeveralAxes) {
  // lhs (2, 3, 4, 5) and rhs (5, 2, 4, 6): batch (0 | 1), contract (2, 3 | 2, 0).
  std::vector<double> lhs(2 * 3 * 4 * 5), rhs(5 * 2 * 4 * 6);
  const std::vector<int64_t> sl{2, 3, 4, 5}, sr{5, 2, 4, 6};
  const auto tl = ContiguousStrides(sl), tr = ContiguousStrides(sr);
  DotDimensionNumbers dims{{2, 3}, {2, 0}, {0}, {1}};
  const Contraction c = ResolveDotGeneral({lhs.data(), DType::kFloat64, sl, tl}, {rhs.data(), DType::kFloat64, sr, tr}, dims);
  EXPECT_EQ(c.output_shape, (std::vector<int64_t>{2, 3, 6}));
  dims.rhs_contracting = {2, 2};
  EXPECT_THROW(ResolveDotGeneral({lhs.data(), DType::kFloat64, sl, tl}, {rhs.data(), DType::kFloat64, sr, tr}, dims),
               Error);
  dims = {{2}, {2}, {0}, {0}};  // batch sizes 2 vs 5
  EXPECT_THROW(ResolveDotGeneral({lhs.data(), DType::kFloat64, sl, tl}, {rhs.data(), DType::kFloat64, sr, tr}, dims),
               Error);
}

}  // namespace
}  // namespace batchdot
