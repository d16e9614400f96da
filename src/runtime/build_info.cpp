// What `batchdot info`, `--version` and Python's build_info() report.
#include <string>

#include "batchdot/batchdot.hpp"
#include "kernels/bf16_dot_gemm.hpp"
#include "kernels/kernel_table.hpp"

namespace batchdot {

std::string BuildInfo() {
  std::string info = "batchdot " + std::string(kVersion) + "\n";
  info += "compiled targets: " + kernels::CompiledTargets() + "\n";
  info += "selected target: " + kernels::Kernels().target_name + "\n";
  info += std::string("bfloat16 dot products (AVX-512 BF16): ") +
          (!kernels::CpuHasAvx512Bf16() ? "no (CPU)" : kernels::Bf16DotProductsEnabled() ? "yes" : "off (BATCHDOT_NO_BF16)") +
          "\n";
  info += "threads: " + std::to_string(GetNumThreads()) + "\n";
  return info;
}

}  // namespace batchdot
