// The performance sweep of `batchdot bench`: the shapes of perf_anchors.md §3,
// timed with caller-provided and with fresh outputs, against the roofline of the
// machine it runs on.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "batchdot/batchdot.hpp"
#include "batchdot/roofline.hpp"

namespace batchdot::cli {

struct SweepCase {
  std::string name;
  DType dtype;
  std::vector<int64_t> x_shape, y_shape;
  AxesArg axes;
};

// The sweep: seed, tiny, vecdot, matvec, bmm 16384 x {4,8,16,32}^3, attention,
// 8 x 1024^3, transposed 256 x 64^3, and float64 versions of three of them.
std::vector<SweepCase> SweepCases();

struct SweepResult {
  std::string name;
  int threads = 1;
  double microseconds_out = 0;    // median per call into a preallocated output
  double microseconds_fresh = 0;  // median per call returning a new result
  double gflops = 0, gbytes_per_s = 0;
  double limit_microseconds = 0;  // max(FLOP / peak, bytes / bandwidth)
  double percent_of_limit = 0;
  std::string bound;  // "compute", "cache" or "dram"
  double flops = 0, bytes = 0;  // per call: 2·outputs·K, and compulsory bytes (x + y + out)
};

// Times one case (median of `samples` samples of >= `min_sample_seconds` each).
SweepResult RunSweepCase(const SweepCase& c, int threads, const Roofline& roof, int samples,
                         double min_sample_seconds);

// One markdown table row per result, with a header.
std::string FormatSweepTable(const std::vector<SweepResult>& results, const Roofline& roof);

// The same as a JSON object {"roofline": {...}, "results": [...]}, for bench/plot.py.
std::string FormatSweepJson(const std::vector<SweepResult>& results, const Roofline& roof);

}  // namespace batchdot::cli
