// `batchdot info`: what this binary runs on and with: version, CPU model, the
// SIMD targets compiled in and selected, and the default thread count.
#include <sched.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "batchdot/batchdot.hpp"
#include "batchdot/commands.hpp"

namespace batchdot::cli {
namespace {

// The first "model name" line of /proc/cpuinfo (x86 Linux), or "unknown".
std::string CpuModel() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) != 0) continue;
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const size_t start = line.find_first_not_of(" \t", colon + 1);
    return start == std::string::npos ? "unknown" : line.substr(start);
  }
  return "unknown";
}

// CPUs this process may run on (cgroup and affinity limits included), which
// can be fewer than the machine has.
int AvailableCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 0;
  return CPU_COUNT(&set);
}

void PrintInfo() {
  // BuildInfo() starts with the version line and ends with a newline.
  std::printf("%s", BuildInfo().c_str());
  std::printf("cpu: %s\n", CpuModel().c_str());
  std::printf("cpus available: %d\n", AvailableCpus());
}

}  // namespace

Command AddInfoCommand(CLI::App& parent) {
  CLI::App* app =
      parent.add_subcommand("info", "Print the version, CPU model, SIMD targets and threads");
  return {app, [] { PrintInfo(); }};
}

}  // namespace batchdot::cli
