// The overlap solver against brute force: every byte each index touches, on
// random small layouts with positive, negative and zero strides.
#include "core/memory_overlap.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <vector>

namespace batchdot::core {
namespace {

struct Layout {
  uintptr_t start;
  int64_t itemsize;
  std::vector<int64_t> shape, strides;
  ByteLayout view() const { return {start, itemsize, shape, strides}; }
};

Layout RandomLayout(std::mt19937_64& rng) {
  Layout l;
  l.start = 1000 + rng() % 64;
  l.itemsize = static_cast<int64_t>(1 + rng() % 8);
  const size_t rank = rng() % 4;
  for (size_t k = 0; k < rank; ++k) {
    l.shape.push_back(static_cast<int64_t>(rng() % 5));
    if (rng() % 8 == 0) l.shape.back() = 1 + static_cast<int64_t>(rng() % 4);  // fewer empty arrays
    l.strides.push_back(static_cast<int64_t>(rng() % 41) - 20);
  }
  return l;
}

// Byte address -> how many (index, byte) pairs touch it.
std::map<int64_t, int> TouchedBytes(const Layout& l) {
  std::map<int64_t, int> bytes;
  int64_t count = 1;
  for (int64_t d : l.shape) count *= d;
  for (int64_t i = 0; i < count; ++i) {
    int64_t rest = i, offset = static_cast<int64_t>(l.start);
    for (size_t k = l.shape.size(); k-- > 0;) {
      offset += (rest % l.shape[k]) * l.strides[k];
      rest /= l.shape[k];
    }
    for (int64_t b = 0; b < l.itemsize; ++b) ++bytes[offset + b];
  }
  return bytes;
}

TEST(MemoryOverlapTest, InternalOverlapMatchesBruteForce) {
  std::mt19937_64 rng(11);
  int yes = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    const Layout l = RandomLayout(rng);
    bool brute = false;
    for (const auto& [address, n] : TouchedBytes(l)) brute = brute || n > 1;
    const Overlap got = HasInternalOverlap(l.view());
    ASSERT_NE(got, Overlap::kTooHard);
    ASSERT_EQ(got == Overlap::kYes, brute) << "trial " << trial;
    yes += brute;
  }
  EXPECT_GT(yes, 2000);  // both answers are exercised
  EXPECT_LT(yes, 18000);
}

TEST(MemoryOverlapTest, SharesMemoryMatchesBruteForce) {
  std::mt19937_64 rng(12);
  int yes = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    const Layout a = RandomLayout(rng), b = RandomLayout(rng);
    const auto ta = TouchedBytes(a), tb = TouchedBytes(b);
    bool brute = false;
    for (const auto& [address, n] : ta) brute = brute || tb.count(address);
    const Overlap got = SharesMemory(a.view(), b.view());
    ASSERT_NE(got, Overlap::kTooHard);
    ASSERT_EQ(got == Overlap::kYes, brute) << "trial " << trial;
    yes += brute;
  }
  EXPECT_GT(yes, 2000);
  EXPECT_LT(yes, 18000);
}

TEST(MemoryOverlapTest, TheIssueCases) {
  // as_strided(zeros(400), (4, 5, 7), (16, 16, 16)): float64, byte strides.
  const std::vector<int64_t> shape{4, 5, 7}, strides{16, 16, 16};
  EXPECT_EQ(HasInternalOverlap({4096, 8, shape, strides}), Overlap::kYes);
  // Rows that overlap partly: (3, 4) with a row stride of 2 elements.
  const std::vector<int64_t> rows{3, 4}, row_strides{8, 4};
  EXPECT_EQ(HasInternalOverlap({4096, 4, rows, row_strides}), Overlap::kYes);
  // Even and odd elements of one buffer: disjoint, though their ranges interleave.
  const std::vector<int64_t> half{50}, step2{8};
  EXPECT_EQ(SharesMemory({4096, 4, half, step2}, {4100, 4, half, step2}), Overlap::kNo);
  EXPECT_EQ(SharesMemory({4096, 4, half, step2}, {4104, 4, half, step2}), Overlap::kYes);
}

TEST(MemoryOverlapTest, GivesUpPastTheWorkBound) {
  // Co-prime strides over a large range: a search, not a lookup.
  const std::vector<int64_t> shape{1000, 1000, 1000}, strides{1009, 1013, 1019};
  const std::vector<int64_t> one{1}, unit{1};
  EXPECT_EQ(SharesMemory({0, 1, shape, strides}, {5, 1, one, unit}, /*max_work=*/1), Overlap::kTooHard);
  // With the default bound it is decided: 5 is below every stride, so no index reaches it.
  EXPECT_EQ(SharesMemory({0, 1, shape, strides}, {5, 1, one, unit}), Overlap::kNo);
  EXPECT_EQ(SharesMemory({0, 1, shape, strides}, {1009 + 1013, 1, one, unit}), Overlap::kYes);
}

}  // namespace
}  // namespace batchdot::core
