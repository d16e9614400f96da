// The one thread-count rule (src/runtime/threads.cpp): 1..kMaxThreads for
// SetNumThreads and Options::num_threads, 0 meaning the default for Options.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <vector>

#include "batchdot/batchdot.hpp"

namespace batchdot {
namespace {

TEST(ThreadsTest, OneRange) {
  EXPECT_EQ(ThreadCountProblem(1), "");
  EXPECT_EQ(ThreadCountProblem(kMaxThreads), "");
  EXPECT_EQ(ThreadCountProblem(0), "the thread count must be between 1 and 1024, got 0");
  EXPECT_EQ(ThreadCountProblem(100000), "the thread count must be between 1 and 1024, got 100000");
  EXPECT_NE(ThreadCountProblem(std::numeric_limits<int64_t>::min()), "");
}

TEST(ThreadsTest, SetNumThreadsFollowsTheRule) {
  const int before = GetNumThreads();
  EXPECT_THROW(SetNumThreads(kMaxThreads + 1), Error);
  EXPECT_THROW(SetNumThreads(0), Error);
  EXPECT_EQ(GetNumThreads(), before);
  SetNumThreads(kMaxThreads);
  EXPECT_EQ(GetNumThreads(), kMaxThreads);
  SetNumThreads(before);
}

TEST(ThreadsTest, OptionsFollowTheRule) {
  std::vector<float> a(4, 1.0f);
  const std::vector<int64_t> shape{2, 2}, strides{2, 1};
  const TensorView x{a.data(), DType::kFloat32, shape, strides};
  for (int bad : {-1, kMaxThreads + 1, 100000}) {
    Options options;
    options.num_threads = bad;
    EXPECT_THROW(keras::batch_dot(x, x, {}, options), Error) << bad;
  }
  Options options;
  options.num_threads = 3;
  EXPECT_EQ(keras::batch_dot(x, x, {}, options).data_as<float>()[0], 2.0f);
}

}  // namespace
}  // namespace batchdot
