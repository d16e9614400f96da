// What `batchdot info`, `--version` and Python's build_info() report.
#include <string>

#include "batchdot/batchdot.hpp"
#include "kernels/kernel_table.hpp"

namespace batchdot {

std::string BuildInfo() {
  std::string info = "batchdot " + std::string(kVersion) + "\n";
  info += "compiled targets: " + kernels::CompiledTargets() + "\n";
  info += "selected target: " + kernels::Kernels().target_name + "\n";
  info += "threads: " + std::to_string(GetNumThreads()) + "\n";
  return info;
}

}  // namespace batchdot
