// The process-wide default thread count (SetNumThreads / GetNumThreads) and the
// one rule every front end validates thread counts with.
#include <sched.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "batchdot/batchdot.hpp"

namespace batchdot {
namespace {

// The count an environment variable asks for, or 0 (after a warning) when it is
// not one. OMP_NUM_THREADS may list one count per nesting level ("4,2"): the
// first is ours.
int ThreadsFromVariable(const char* name, const char* value) {
  std::string text = value;
  if (std::string(name) == "OMP_NUM_THREADS") text = text.substr(0, text.find(','));
  errno = 0;
  char* end = nullptr;
  const long long n = std::strtoll(text.c_str(), &end, 10);
  std::string problem;
  if (text.empty() || end == text.c_str() || *end != '\0') {
    problem = "not an integer";
  } else if (errno == ERANGE) {
    problem = ThreadCountProblem(n < 0 ? INT64_MIN : INT64_MAX);
  } else {
    problem = ThreadCountProblem(n);
  }
  if (problem.empty()) return static_cast<int>(n);
  std::fprintf(stderr, "batchdot: warning: ignoring %s=%s: %s\n", name, value, problem.c_str());
  return 0;
}

int ThreadsFromEnvironment() {
  for (const char* name : {"BATCHDOT_NUM_THREADS", "OMP_NUM_THREADS"}) {
    if (const char* value = std::getenv(name)) {
      if (const int n = ThreadsFromVariable(name, value); n > 0) return n;
    }
  }
  // The CPUs this process may run on (cgroups and taskset), not the machine's count.
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0) {
    return CPU_COUNT(&set) < kMaxThreads ? CPU_COUNT(&set) : kMaxThreads;
  }
  return 1;
}

std::atomic<int>& DefaultThreads() {
  static std::atomic<int> threads{ThreadsFromEnvironment()};
  return threads;
}

// Whether SetNumThreads has run: framework bindings then keep the caller's count
// instead of following their framework's own (torch.get_num_threads()).
std::atomic<bool>& SetExplicitly() {
  static std::atomic<bool> set{false};
  return set;
}

}  // namespace

std::string ThreadCountProblem(int64_t n) {
  if (n >= 1 && n <= kMaxThreads) return {};
  return "the thread count must be between 1 and " + std::to_string(kMaxThreads) + ", got " + std::to_string(n);
}

void SetNumThreads(int64_t n) {
  if (const std::string problem = ThreadCountProblem(n); !problem.empty()) {
    throw Error(ErrorKind::kThreads, "SetNumThreads: " + problem);
  }
  DefaultThreads().store(static_cast<int>(n));
  SetExplicitly().store(true);
}

int GetNumThreads() { return DefaultThreads().load(); }

bool NumThreadsSetExplicitly() { return SetExplicitly().load(); }

}  // namespace batchdot
