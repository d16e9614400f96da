// `batchdot info`: what this binary runs on and with: version, CPU model, the
// SIMD targets compiled in and selected, and the default thread count.
#include <sched.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "batchdot/batchdot.hpp"
#include "batchdot/commands.hpp"
#include "kernels/machine_constants.hpp"

namespace batchdot::cli {
namespace {

// The value of the first `key` line of /proc/cpuinfo (x86 Linux), or "".
std::string CpuInfoField(const std::string& key) {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind(key, 0) != 0) continue;
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const size_t start = line.find_first_not_of(" \t", colon + 1);
    return start == std::string::npos ? "" : line.substr(start);
  }
  return "";
}

// The CPU features batchdot's kernels care about, as /proc/cpuinfo lists them.
std::string SimdFeatures() {
  const std::string flags = " " + CpuInfoField("flags") + " ";
  std::string found;
  for (const char* feature : {"sse4_1", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq",
                              "avx512_bf16", "avx512_vnni", "avx512_fp16"}) {
    if (flags.find(std::string(" ") + feature + " ") == std::string::npos) continue;
    found += (found.empty() ? "" : " ") + std::string(feature);
  }
  return found.empty() ? "unknown" : found;
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
  const std::string model = CpuInfoField("model name");
  std::printf("cpu: %s\n", model.empty() ? "unknown" : model.c_str());
  std::printf("cpu features: %s\n", SimdFeatures().c_str());
  std::printf("kernels: float32/float64 dot, gemv, small (n, k <= 32, any m), packed gemm on the selected "
              "SIMD target; float16 and bfloat16 on the same SIMD kernels (converted to float32 in blocks, "
              "bfloat16 with AVX512-BF16 dot products where the CPU has them); int32/int64 portable C++; "
              "complex64/complex128 on the strided reference loop (no SIMD: about 100x the time of float32 "
              "of the same shape)\n");
  std::printf("dtypes: float32, float64, float16, bfloat16, int32, int64, complex64, complex128\n");
  std::printf("cpus available: %d\n", AvailableCpus());
  std::printf("machine constants:\n%s", kernels::MachineConstantsText().c_str());
}

}  // namespace

Command AddInfoCommand(CLI::App& parent) {
  CLI::App* app =
      parent.add_subcommand("info", "Print the version, CPU model, SIMD targets and threads");
  return {app, [] { PrintInfo(); }};
}

}  // namespace batchdot::cli
