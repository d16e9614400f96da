// The thread pool and result memory: every task runs exactly once, callers from
// several threads at once are safe, large results are zeroed and aligned.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <cstdint>
#include <thread>
#include <vector>

#include "batchdot/batchdot.hpp"
#include "runtime/result_memory.hpp"
#include "runtime/thread_pool.hpp"

namespace batchdot::runtime {
namespace {

TEST(ThreadPool, RunsEveryTaskOnce) {
  for (int threads : {1, 2, 3, 8}) {
    for (int64_t tasks : {0, 1, 2, 7, 1000}) {
      std::vector<std::atomic<int>> runs(static_cast<size_t>(tasks));
      std::atomic<int> max_worker{0};
      ThreadPool::Instance().ParallelFor(tasks, threads, [&](int64_t task, int worker) {
        runs[task].fetch_add(1);
        int seen = max_worker.load();
        while (worker > seen && !max_worker.compare_exchange_weak(seen, worker)) {
        }
      });
      for (const auto& r : runs) EXPECT_EQ(r.load(), 1) << threads << " threads, " << tasks << " tasks";
      EXPECT_LT(max_worker.load(), std::max(threads, 1));
    }
  }
}

TEST(ThreadPool, ConcurrentCallersAllFinish) {
  std::atomic<int64_t> total{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < 4; ++c) {
    callers.emplace_back([&] {
      for (int round = 0; round < 200; ++round) {
        ThreadPool::Instance().ParallelFor(16, 2, [&](int64_t task, int) { total += task; });
      }
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(total.load(), 4 * 200 * (15 * 16 / 2));
}

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

TEST(Threads, SetAndGet) {
  const int before = GetNumThreads();
  SetNumThreads(3);
  EXPECT_EQ(GetNumThreads(), 3);
  EXPECT_THROW(SetNumThreads(0), Error);
  EXPECT_THROW(SetNumThreads(-2), Error);
  SetNumThreads(before);
}

}  // namespace
}  // namespace batchdot::runtime
