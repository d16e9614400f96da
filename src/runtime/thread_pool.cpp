#include "runtime/thread_pool.hpp"

#include <algorithm>
#include <chrono>
#include <exception>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define BATCHDOT_PAUSE() _mm_pause()
#else
#define BATCHDOT_PAUSE() std::this_thread::yield()
#endif

namespace batchdot::runtime {
namespace {

// How long an idle worker spins before it sleeps: long enough to catch the next
// call of a loop of calls, short enough not to hold a core for nothing.
constexpr auto kSpinTime = std::chrono::microseconds(200);

uint32_t GenerationOf(uint64_t claim) { return static_cast<uint32_t>(claim >> 32); }

}  // namespace

ThreadPool& ThreadPool::Instance() {
  static ThreadPool pool;
  return pool;
}

ThreadPool::~ThreadPool() {
  stopping_.store(true);
  {
    std::lock_guard<std::mutex> lock(sleep_mutex_);
    wake_.notify_all();
  }
  for (std::thread& t : workers_) t.join();
}

int ThreadPool::EnsureWorkers(int count) {
  while (static_cast<int>(workers_.size()) < count) {
    const int worker = static_cast<int>(workers_.size()) + 1;  // 0 is the caller
    try {
      workers_.emplace_back([this, worker] { WorkerLoop(worker); });
    } catch (const std::exception&) {
      // No thread (EAGAIN under RLIMIT_NPROC, no stack under RLIMIT_AS) or no
      // room to record one: the call runs on the threads that exist. Tasks never
      // share a reduction, so the result is the same; the next call tries again.
      break;
    }
  }
  return std::min(count, static_cast<int>(workers_.size()));
}

void ThreadPool::RunTasks(uint32_t generation, int worker) {
  for (;;) {
    uint64_t claim = claim_.load(std::memory_order_acquire);
    int64_t index;
    do {
      index = static_cast<int64_t>(claim & 0xffffffffu);
      if (GenerationOf(claim) != generation || index >= task_count_.load(std::memory_order_relaxed)) return;
    } while (!claim_.compare_exchange_weak(claim, claim + 1, std::memory_order_acq_rel));
    (*task_.load(std::memory_order_relaxed))(index, worker);
    done_.fetch_add(1, std::memory_order_release);
  }
}

bool ThreadPool::WaitForLoop(uint32_t seen, uint32_t& generation) {
  const auto spin_until = std::chrono::steady_clock::now() + kSpinTime;
  for (int spins = 0;; ++spins) {
    if (stopping_.load()) return false;
    generation = GenerationOf(claim_.load(std::memory_order_acquire));
    if (generation != seen) return true;
    if ((spins & 63) == 63 && std::chrono::steady_clock::now() > spin_until) break;
    BATCHDOT_PAUSE();
  }
  std::unique_lock<std::mutex> lock(sleep_mutex_);
  sleepers_.fetch_add(1);  // seq_cst: pairs with the caller's claim_ store then sleepers_ load
  wake_.wait(lock, [&] {
    generation = GenerationOf(claim_.load());
    return stopping_.load() || generation != seen;
  });
  sleepers_.fetch_sub(1);
  return !stopping_.load();
}

void ThreadPool::WorkerLoop(int worker) {
  uint32_t seen = 0, generation = 0;
  while (WaitForLoop(seen, generation)) {
    seen = generation;
    if (worker <= active_workers_.load(std::memory_order_relaxed)) RunTasks(generation, worker);
  }
}

void ThreadPool::ParallelFor(int64_t task_count, int threads, const Task& task) {
  std::unique_lock<std::mutex> run_lock(run_mutex_, std::defer_lock);
  if (threads <= 1 || task_count <= 1 || !run_lock.try_lock()) {
    for (int64_t i = 0; i < task_count; ++i) task(i, 0);
    return;
  }
  const int helpers = EnsureWorkers(static_cast<int>(std::min<int64_t>(threads, task_count)) - 1);
  if (helpers == 0) {
    for (int64_t i = 0; i < task_count; ++i) task(i, 0);
    return;
  }
  task_.store(&task, std::memory_order_relaxed);
  task_count_.store(task_count, std::memory_order_relaxed);
  active_workers_.store(helpers, std::memory_order_relaxed);
  done_.store(0, std::memory_order_relaxed);
  const uint32_t generation = ++generation_;
  claim_.store(static_cast<uint64_t>(generation) << 32);  // seq_cst: publishes the fields above
  if (sleepers_.load() > 0) {
    std::lock_guard<std::mutex> lock(sleep_mutex_);
    wake_.notify_all();
  }
  RunTasks(generation, 0);
  // Tasks are at least microseconds long: spin until the workers' last ones finish.
  while (done_.load(std::memory_order_acquire) < task_count) BATCHDOT_PAUSE();
}

}  // namespace batchdot::runtime
