// What a call does at the edges of the process's resources and of its neighbours'
// state, each in a freshly started child process (gtest's "threadsafe" death
// tests re-run this binary), so nothing allocated, started or chosen before the
// limit is in place can hide the behaviour:
//   - under an address-space limit (RLIMIT_AS) no kernel aborts: every dtype
//     family and thread count either computes the same bits as without the limit
//     or raises Error(kMemory);
//   - a worker thread that cannot be started (its stack does not fit under the
//     limit; RLIMIT_NPROC is not enforced for root, RLIMIT_AS is) leaves the
//     call to the threads that exist;
//   - BATCHDOT_TARGET picks batchdot's own kernel table and leaves Highway's
//     process-wide targets alone.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "batchdot/batchdot.hpp"
#include "hwy/targets.h"
#include "kernels/kernel_table.hpp"
#include "test_util.hpp"

#if defined(__SANITIZE_ADDRESS__)
// Under ASan a failed allocation ends the process by default; these tests are about
// what batchdot does when an allocation fails, so let ASan's malloc return null
// (operator new then throws std::bad_alloc, as it does without ASan).
extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1"; }
#endif
#if defined(__SANITIZE_THREAD__)
// TSan maps shadow memory for every new mapping and thread, so under an
// address-space limit its runtime fails before batchdot's code is reached.
#define BATCHDOT_SKIP_UNDER_TSAN() GTEST_SKIP() << "an address-space limit under TSan tests TSan's runtime, not batchdot"
#else
#define BATCHDOT_SKIP_UNDER_TSAN() (void)0
#endif

namespace batchdot {
namespace {

using testing::MakeOperand;
using testing::Operand;

// Child exit codes.
constexpr int kComputed = 0;     // same bits as without the limit
constexpr int kOutOfMemory = 3;  // Error(kMemory)
constexpr int kWrongBits = 4;
constexpr int kOtherError = 5;

// The process's mapped bytes now (first field of /proc/self/statm, in pages).
size_t MappedBytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  unsigned long pages = 0;
  if (f == nullptr || std::fscanf(f, "%lu", &pages) != 1) std::_Exit(kOtherError);
  std::fclose(f);
  return pages * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

// Lowers the soft address-space limit to what is mapped now plus `headroom`
// (room for a plan's small allocations, not for an 8 MiB thread stack nor a
// multi-MiB workspace); Restore lifts it back to the hard limit.
class AddressSpaceLimit {
 public:
  explicit AddressSpaceLimit(size_t headroom) {
    getrlimit(RLIMIT_AS, &saved_);
    rlimit lower = saved_;
    lower.rlim_cur = MappedBytes() + headroom;
    if (setrlimit(RLIMIT_AS, &lower) != 0) std::_Exit(kOtherError);
  }
  void Restore() { setrlimit(RLIMIT_AS, &saved_); }
  ~AddressSpaceLimit() { Restore(); }

 private:
  rlimit saved_{};
};

constexpr size_t kHeadroom = size_t{3} << 20;

// One Keras batch_dot into a preallocated out= under the limit, then again
// without it; exits with what happened. Runs only in the child.
[[noreturn]] void RunUnderLimit(DType dtype, std::vector<int64_t> x_shape, std::vector<int64_t> y_shape,
                                int threads) {
  std::mt19937_64 rng(7);
  const Operand x = MakeOperand(dtype, x_shape, testing::Layout::kContiguous, rng);
  const Operand y = MakeOperand(dtype, y_shape, testing::Layout::kContiguous, rng);
  Options options;
  options.num_threads = threads;
  const Contraction c = keras::Resolve(x.view(), y.view());
  Tensor out(dtype, c.output_shape);
  int outcome = kComputed;
  {
    AddressSpaceLimit limit(kHeadroom);
    try {
      keras::batch_dot(x.view(), y.view(), {}, out.mutable_view(), options);
    } catch (const Error& e) {
      outcome = e.kind() == ErrorKind::kMemory ? kOutOfMemory : kOtherError;
    } catch (...) {
      outcome = kOtherError;
    }
  }
  if (outcome == kComputed) {
    Options one_thread;
    one_thread.num_threads = 1;
    const Tensor want = keras::batch_dot(x.view(), y.view(), {}, one_thread);
    if (testing::Bytes(want) != testing::Bytes(out)) outcome = kWrongBits;
  }
  std::_Exit(outcome);
}

bool ComputedOrOutOfMemory(int status) {
  return WIFEXITED(status) && (WEXITSTATUS(status) == kComputed || WEXITSTATUS(status) == kOutOfMemory);
}

struct Shapes {
  const char* family;
  std::vector<int64_t> x, y;
};

// One shape per kernel family the planner picks (dot, gemv, small, packed GEMM)
// and one whose items are too large for a half-precision chunk.
const std::vector<Shapes>& FamilyShapes() {
  static const std::vector<Shapes> shapes = {
      {"dot", {4096, 64}, {4096, 64}},
      {"gemv", {256, 64, 64}, {256, 64}},
      {"small", {128, 16, 16}, {128, 16, 16}},
      {"gemm", {4, 256, 256}, {4, 256, 256}},
      {"large items", {2, 512, 512}, {2, 512, 512}},
  };
  return shapes;
}

class UnderAddressSpaceLimit : public ::testing::TestWithParam<DType> {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_P(UnderAddressSpaceLimit, NoKernelAborts) {
  BATCHDOT_SKIP_UNDER_TSAN();
  for (const Shapes& s : FamilyShapes()) {
    for (int threads : {1, 2}) {
      SCOPED_TRACE(std::string(s.family) + ", " + std::to_string(threads) + " threads");
      EXPECT_EXIT(RunUnderLimit(GetParam(), s.x, s.y, threads), ComputedOrOutOfMemory, "");
    }
  }
}

INSTANTIATE_TEST_SUITE_P(EveryFamily, UnderAddressSpaceLimit,
                         ::testing::Values(DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kInt64,
                                           DType::kFloat16, DType::kBFloat16),
                         [](const auto& info) { return std::string(Name(info.param)); });

// The float16 widening buffers of a 1024 x 1024 x 1024 item (B widened whole,
// 4 MiB, plus row chunks of A and C: 6 MiB) cannot fit: the call reports
// kMemory (it used to abort the process).
TEST(UnderAddressSpaceLimitHalf, AWorkspaceThatDoesNotFitIsAMemoryError) {
  BATCHDOT_SKIP_UNDER_TSAN();
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  for (int threads : {1, 2}) {
    EXPECT_EXIT(RunUnderLimit(DType::kFloat16, {1, 1024, 1024}, {1, 1024, 1024}, threads), ::testing::ExitedWithCode(kOutOfMemory),
                "");
  }
}

// Small items need little scratch but two threads: the worker's 8 MiB stack does
// not fit, and the call runs on the caller alone with the same bits (it used to
// raise "Resource temporarily unavailable").
TEST(UnderAddressSpaceLimitThreads, AWorkerThatCannotStartLeavesTheCallToTheCaller) {
  BATCHDOT_SKIP_UNDER_TSAN();
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  for (DType dtype : {DType::kFloat32, DType::kFloat16}) {
    for (int threads : {1, 2}) {
      EXPECT_EXIT(RunUnderLimit(dtype, {128, 16, 16}, {128, 16, 16}, threads), ::testing::ExitedWithCode(kComputed),
                  "");
    }
  }
}

// Child: choose a target below the best one, run a call, and exit 0 only if
// Highway's supported targets are what they were and the kernels are that target's.
[[noreturn]] void ChooseTargetAndCompare(const std::string& target) {
  const int64_t before = hwy::SupportedTargets();
  setenv("BATCHDOT_TARGET", target.c_str(), 1);
  std::mt19937_64 rng(3);
  const Operand x = MakeOperand(DType::kFloat32, {8, 16, 16}, testing::Layout::kContiguous, rng);
  (void)keras::batch_dot(x.view(), x.view());
  const bool same = hwy::SupportedTargets() == before && kernels::Kernels().target_name == target;
  std::_Exit(same ? 0 : 1);
}

TEST(ProcessWideState, ChoosingATargetLeavesHighwayAlone) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const std::vector<std::string> runnable = kernels::RunnableTargets();
  ASSERT_GE(runnable.size(), 2u) << "SCALAR or EMU128 is always runnable";
  EXPECT_EXIT(ChooseTargetAndCompare(runnable[1]), ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace batchdot
