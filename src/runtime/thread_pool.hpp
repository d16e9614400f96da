// A persistent pool of worker threads for parallel loops over independent tasks.
// The caller's thread works too. One parallel loop runs at a time; a caller that
// finds the pool busy (another Python thread, say) runs its loop alone, which
// gives the same results because tasks never share a reduction. So does a loop
// whose workers cannot all be started (a thread or memory limit): it runs on the
// workers that exist, or on the caller alone.
//
// Workers spin briefly after each loop before they sleep: waking a sleeping
// thread costs 10-50 us on a virtual machine, more than a whole small call.
#pragma once

#include <atomic>
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
  // threads; `worker` in [0, threads) identifies the thread (0 is the caller).
  using Task = std::function<void(int64_t task, int worker)>;

  static ThreadPool& Instance();
  void ParallelFor(int64_t task_count, int threads, const Task& task);

  ~ThreadPool();

 private:
  ThreadPool() = default;
  // Starts workers until `count` exist or one cannot be started; returns how
  // many of the `count` wanted exist.
  int EnsureWorkers(int count);
  void WorkerLoop(int worker);
  // Claims and runs tasks of loop `generation` until none are left.
  void RunTasks(uint32_t generation, int worker);
  // Spins, then sleeps, until a loop newer than `seen` is published; false on shutdown.
  bool WaitForLoop(uint32_t seen, uint32_t& generation);

  std::mutex run_mutex_;  // one parallel loop at a time
  std::vector<std::thread> workers_;
  uint32_t generation_ = 0;  // guarded by run_mutex_

  // The published loop. `claim_` holds (generation << 32 | next task index):
  // claiming with one compare-exchange means a late worker can never take a task
  // of a newer loop by mistake. The loop's fields are written before claim_ is
  // released and stay fixed until all its tasks are done.
  std::atomic<uint64_t> claim_{0};
  std::atomic<const Task*> task_{nullptr};
  std::atomic<int64_t> task_count_{0};
  std::atomic<int> active_workers_{0};  // workers 1..active take part
  std::atomic<int64_t> done_{0};

  // Sleeping workers.
  std::mutex sleep_mutex_;
  std::condition_variable wake_;
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stopping_{false};
};

}  // namespace batchdot::runtime
