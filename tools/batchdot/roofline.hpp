// The limits `batchdot bench` reports "% of limit" against, measured where it runs.
#pragma once

namespace batchdot::cli {

struct Roofline {
  int threads = 1;
  double fma_gflops_f32 = 0, fma_gflops_f64 = 0;  // FMA peak of the dispatched SIMD target
  double cache_read_gbs = 0;                       // 4 MiB per thread: L2/L3 resident
  double dram_read_gbs = 0;                        // 256 MiB per thread, huge pages
};

// Takes about two seconds.
Roofline MeasureRoofline(int threads);

}  // namespace batchdot::cli
