// A persistent pool of worker threads for parallel loops over independent tasks.
// The caller's thread works too. One parallel loop runs at a time; a caller that
// finds the pool busy (another Python thread, say) runs its loop alone, which
// gives the same results because tasks never share a reduction.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace batchdot::runtime {

class ThreadPool {
 public:
  // Runs task(i, worker) for every i in [0, task_count) on at most `threads`
  // threads; `worker` in [0, threads) identifies the thread (for per-thread scratch).
  using Task = std::function<void(int64_t task, int worker)>;

  static ThreadPool& Instance();
  void ParallelFor(int64_t task_count, int threads, const Task& task);

  ~ThreadPool();

 private:
  ThreadPool() = default;
  void EnsureWorkers(int count);
  void WorkerLoop(int worker);
  void RunTasks(int worker);

  std::mutex run_mutex_;  // one parallel loop at a time
  std::mutex mutex_;
  std::condition_variable work_ready_, work_done_;
  std::vector<std::thread> workers_;
  uint64_t generation_ = 0;
  bool stopping_ = false;
  // The loop being run.
  const Task* task_ = nullptr;
  int64_t task_count_ = 0;
  int active_workers_ = 0;  // workers (excluding the caller) taking part
  int busy_workers_ = 0;
  int64_t next_task_ = 0;
};

}  // namespace batchdot::runtime
