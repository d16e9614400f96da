#include "runtime/thread_pool.hpp"

namespace batchdot::runtime {

ThreadPool& ThreadPool::Instance() {
  static ThreadPool pool;
  return pool;
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::EnsureWorkers(int count) {
  while (static_cast<int>(workers_.size()) < count) {
    const int worker = static_cast<int>(workers_.size()) + 1;  // 0 is the caller
    workers_.emplace_back([this, worker] { WorkerLoop(worker); });
  }
}

// Tasks are claimed one at a time under the lock: tasks are coarse (a run of
// batch items or a GEMM tile), so the lock is not the bottleneck.
void ThreadPool::RunTasks(int worker) {
  std::unique_lock<std::mutex> lock(mutex_);
  while (next_task_ < task_count_) {
    const int64_t task = next_task_++;
    lock.unlock();
    (*task_)(task, worker);
    lock.lock();
  }
}

void ThreadPool::WorkerLoop(int worker) {
  uint64_t seen = 0;
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    work_ready_.wait(lock, [&] { return stopping_ || generation_ != seen; });
    if (stopping_) return;
    seen = generation_;
    if (worker > active_workers_) continue;
    ++busy_workers_;
    lock.unlock();
    RunTasks(worker);
    lock.lock();
    if (--busy_workers_ == 0) work_done_.notify_all();
  }
}

void ThreadPool::ParallelFor(int64_t task_count, int threads, const Task& task) {
  if (threads <= 1 || task_count <= 1) {
    for (int64_t i = 0; i < task_count; ++i) task(i, 0);
    return;
  }
  std::unique_lock<std::mutex> run_lock(run_mutex_, std::try_to_lock);
  if (!run_lock.owns_lock()) {
    for (int64_t i = 0; i < task_count; ++i) task(i, 0);
    return;
  }
  const int helpers = static_cast<int>(std::min<int64_t>(threads, task_count)) - 1;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    EnsureWorkers(helpers);
    task_ = &task;
    task_count_ = task_count;
    next_task_ = 0;
    active_workers_ = helpers;
    ++generation_;
  }
  work_ready_.notify_all();
  RunTasks(0);
  std::unique_lock<std::mutex> lock(mutex_);
  // Wait until every task has been claimed and every participating worker is idle.
  work_done_.wait(lock, [&] { return busy_workers_ == 0; });
  task_ = nullptr;
}

}  // namespace batchdot::runtime
