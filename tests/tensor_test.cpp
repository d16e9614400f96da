// Views and strides at the 64-bit edge (found by fuzz/semantics_fuzz: the
// stride loop's last multiply overflowed for (2^40, 2^40) shapes).
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "batchdot/batchdot.hpp"

namespace batchdot {
namespace {

TEST(TensorTest, ContiguousStridesNeedNoProductBeyondTheOutermostAxis) {
  const int64_t big = int64_t{1} << 40;
  const std::vector<int64_t> shape{big, big};
  EXPECT_EQ(ContiguousStrides(shape), (std::vector<int64_t>{big, 1}));
  EXPECT_EQ(ContiguousStrides(std::vector<int64_t>{0, 3, 0, 2}), (std::vector<int64_t>{6, 2, 2, 1}));
}

TEST(TensorTest, StridesThatOverflowAreAnError) {
  const int64_t big = int64_t{1} << 40;
  try {
    ContiguousStrides(std::vector<int64_t>{2, big, big, 3});
    FAIL() << "overflowing strides accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kShape);
    EXPECT_STREQ(e.what(), "shape (2, 1099511627776, 1099511627776, 3) has strides that do not fit in 64 bits");
  }
}

TEST(TensorTest, ElementCountsSaturateInsteadOfWrapping) {
  const int64_t big = int64_t{1} << 40;
  const std::vector<int64_t> shape{big, big, 4}, strides{0, 0, 0}, empty{big, big, 0};
  float one = 1;
  EXPECT_EQ((TensorView{&one, DType::kFloat32, shape, strides}.num_elements()), INT64_MAX);
  EXPECT_EQ((TensorView{&one, DType::kFloat32, empty, strides}.num_elements()), 0);
}

}  // namespace
}  // namespace batchdot
