// The thread pool and thread count: every task runs exactly once, callers from
// several threads at once are safe.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <cstdint>
#include <thread>
#include <vector>

#include "batchdot/batchdot.hpp"
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
