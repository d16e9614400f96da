// Result allocation: large results are zeroed, aligned and recycled; a failed
// allocation names the size; sizes that overflow 64 bits are refused rather than
// wrapped into a small block.
#include "core/result_memory.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "batchdot/batchdot.hpp"

namespace batchdot {
namespace {

using core::AllocateResult;
using core::FreeResult;

TEST(ResultMemory, ZeroedAndAligned) {
  for (size_t bytes : {size_t{0}, size_t{1}, size_t{4096}, size_t{3} << 20, size_t{64} << 20}) {
    auto* p = static_cast<unsigned char*>(AllocateResult(bytes));
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u);
    for (size_t i = 0; i < bytes; i += 4093) EXPECT_EQ(p[i], 0) << bytes;
    if (bytes > 0) p[bytes - 1] = 1;
    FreeResult(p);
  }
}

TEST(ResultMemory, RecyclesLargeBlocksAndStillZeroes) {
  const size_t bytes = size_t{16} << 20;
  auto* first = static_cast<unsigned char*>(AllocateResult(bytes));
  std::memset(first, 0xAB, bytes);
  FreeResult(first);
  // The same-sized block comes back from the cache, zeroed when asked.
  auto* second = static_cast<unsigned char*>(AllocateResult(bytes));
  EXPECT_EQ(second, first);
  for (size_t i = 0; i < bytes; i += 4099) ASSERT_EQ(second[i], 0);
  FreeResult(second);
  void* third = AllocateResult(bytes, /*zeroed=*/false);
  EXPECT_EQ(third, first);
  FreeResult(third);
}


std::string MemoryErrorOf(DType dtype, std::vector<int64_t> shape) {
  try {
    Tensor t(dtype, std::move(shape));
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kMemory);
    return e.what();
  }
  return "(allocated)";
}

TEST(ResultMemoryTest, AFailedAllocationNamesTheSize) {
  // 162 TB: more than a 47-bit address space, so it fails on every machine.
  EXPECT_EQ(MemoryErrorOf(DType::kFloat16, {1, 9000000, 9000000}),
            "out of memory: the result needs 162.0 TB (1 x 9000000 x 9000000 float16)");
}

TEST(ResultMemoryTest, SizesBeyond64BitsAreRefusedNotWrapped) {
  // 2^40 * 2^40 * 4 bytes wraps to 0 in size_t.
  const std::string message = MemoryErrorOf(DType::kFloat32, {int64_t{1} << 40, int64_t{1} << 40});
  EXPECT_EQ(message.rfind("out of memory: the result needs ", 0), 0u) << message;
  EXPECT_NE(message.find("EB (1099511627776 x 1099511627776 float32)"), std::string::npos) << message;
}

TEST(ResultMemoryTest, ExecuteIntoAFreshResultReportsMemoryToo) {
  const std::vector<int64_t> xs{1, 9000000, 1}, ys{1, 1, 9000000}, zero{0, 0, 0};
  const uint16_t one = 0x3c00;  // float16 1.0, broadcast through zero strides
  const TensorView x{&one, DType::kFloat16, xs, zero}, y{&one, DType::kFloat16, ys, zero};
  try {
    (void)keras::batch_dot(x, y);
    FAIL() << "a 162 TB result was allocated";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kMemory);
    EXPECT_NE(std::string(e.what()).find("162.0 TB"), std::string::npos) << e.what();
  }
}

TEST(ResultMemoryTest, SmallAndZeroSizedResultsAllocate) {
  Tensor empty(DType::kFloat64, {0, 5});
  EXPECT_NE(empty.data(), nullptr);
  Tensor small(DType::kInt32, {3, 4});
  for (int64_t i = 0; i < small.num_elements(); ++i) EXPECT_EQ(small.data_as<int32_t>()[i], 0);
}

}  // namespace
}  // namespace batchdot
