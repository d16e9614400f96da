// The process-wide default thread count (SetNumThreads / GetNumThreads).
#include <sched.h>

#include <atomic>
#include <cstdlib>
#include <string>

#include "batchdot/batchdot.hpp"

namespace batchdot {
namespace {

int ThreadsFromEnvironment() {
  for (const char* name : {"BATCHDOT_NUM_THREADS", "OMP_NUM_THREADS"}) {
    if (const char* value = std::getenv(name)) {
      const int n = std::atoi(value);
      if (n > 0) return n;
    }
  }
  // The CPUs this process may run on (cgroups and taskset), not the machine's count.
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return CPU_COUNT(&set) > 0 ? CPU_COUNT(&set) : 1;
  return 1;
}

std::atomic<int>& DefaultThreads() {
  static std::atomic<int> threads{ThreadsFromEnvironment()};
  return threads;
}

}  // namespace

void SetNumThreads(int n) {
  if (n < 1) {
    throw Error(ErrorKind::kShape, "set_num_threads: the thread count must be >= 1, got " + std::to_string(n));
  }
  DefaultThreads().store(n);
}

int GetNumThreads() { return DefaultThreads().load(); }

}  // namespace batchdot
