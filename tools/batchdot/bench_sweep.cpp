// Times the sweep through the public API the way users call it: Resolve and
// Execute per call (validation included), into a preallocated output and into a
// fresh result.
#include "batchdot/bench_sweep.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>

namespace batchdot::cli {
namespace {

using Clock = std::chrono::steady_clock;

// Inputs filled with small random values, C-contiguous.
struct Operands {
  Tensor x, y;
};

Operands MakeOperands(const SweepCase& c) {
  Operands ops{Tensor(c.dtype, c.x_shape), Tensor(c.dtype, c.y_shape)};
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  for (Tensor* t : {&ops.x, &ops.y}) {
    const int64_t n = t->num_elements();
    if (c.dtype == DType::kFloat64) {
      for (int64_t i = 0; i < n; ++i) t->data_as<double>()[i] = value(rng);
    } else {
      for (int64_t i = 0; i < n; ++i) t->data_as<float>()[i] = value(rng);
    }
  }
  return ops;
}

// Median seconds per call of `call`, over `samples` samples of at least
// `min_seconds` each (one warm-up call first).
template <typename Call>
double MedianSecondsPerCall(const Call& call, int samples, double min_seconds) {
  call();
  std::vector<double> per_call;
  int64_t calls = 1;
  for (int s = 0; s < samples; ++s) {
    for (;;) {
      const auto start = Clock::now();
      for (int64_t i = 0; i < calls; ++i) call();
      const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      if (seconds >= min_seconds || calls >= (int64_t{1} << 24)) {
        per_call.push_back(seconds / static_cast<double>(calls));
        break;
      }
      calls = std::max<int64_t>(calls * 2, static_cast<int64_t>(calls * min_seconds / std::max(seconds, 1e-9)));
    }
  }
  std::sort(per_call.begin(), per_call.end());
  return per_call[per_call.size() / 2];
}

}  // namespace

std::vector<SweepCase> SweepCases() {
  const DType f32 = DType::kFloat32, f64 = DType::kFloat64;
  return {
      {"seed (10,12,4,5)x(10,12,5,8)", f32, {10, 12, 4, 5}, {10, 12, 5, 8}, {}},
      {"tiny (2,2)x(2,3,2) axes (1,2)", f32, {2, 2}, {2, 3, 2}, AxesArg(1, 2)},
      {"vecdot 1e6x64", f32, {1000000, 64}, {1000000, 64}, AxesArg(1, 1)},
      {"matvec 4096x128x64", f32, {4096, 128, 64}, {4096, 64}, {}},
      {"bmm 16384x4^3", f32, {16384, 4, 4}, {16384, 4, 4}, {}},
      {"bmm 16384x8^3", f32, {16384, 8, 8}, {16384, 8, 8}, {}},
      {"bmm 16384x16^3", f32, {16384, 16, 16}, {16384, 16, 16}, {}},
      {"bmm 16384x32^3", f32, {16384, 32, 32}, {16384, 32, 32}, {}},
      {"attention 64x512x64x512", f32, {64, 512, 64}, {64, 64, 512}, {}},
      {"large 8x1024^3", f32, {8, 1024, 1024}, {8, 1024, 1024}, {}},
      {"transposed 256x64^3", f32, {256, 64, 64}, {256, 64, 64}, AxesArg(1, 2)},
      {"seed f64", f64, {10, 12, 4, 5}, {10, 12, 5, 8}, {}},
      {"bmm 16384x16^3 f64", f64, {16384, 16, 16}, {16384, 16, 16}, {}},
      {"attention f64", f64, {64, 512, 64}, {64, 64, 512}, {}},
  };
}

SweepResult RunSweepCase(const SweepCase& c, int threads, const Roofline& roof, int samples,
                         double min_sample_seconds) {
  const Operands ops = MakeOperands(c);
  const TensorView x = ops.x.view(), y = ops.y.view();
  Options options;
  options.num_threads = threads;
  const Contraction contraction = keras::Resolve(x, y, c.axes);
  Tensor out(c.dtype, contraction.output_shape);
  const MutableTensorView out_view = out.mutable_view();

  SweepResult r;
  r.name = c.name;
  r.threads = threads;
  const double seconds_out = MedianSecondsPerCall(
      [&] { keras::batch_dot(x, y, c.axes, out_view, options); }, samples, min_sample_seconds);
  const double seconds_fresh = MedianSecondsPerCall(
      [&] { Tensor fresh = keras::batch_dot(x, y, c.axes, options); }, samples, min_sample_seconds);
  r.microseconds_out = seconds_out * 1e6;
  r.microseconds_fresh = seconds_fresh * 1e6;

  int64_t contracted = 1;
  for (int64_t axis : contraction.lhs_contracting) contracted *= c.x_shape[axis];
  const double flops = 2.0 * static_cast<double>(out.num_elements()) * static_cast<double>(contracted);
  const double bytes = static_cast<double>(SizeOf(c.dtype)) *
                       static_cast<double>(ops.x.num_elements() + ops.y.num_elements() + out.num_elements());
  r.flops = flops;
  r.bytes = bytes;
  r.gflops = flops / seconds_out / 1e9;
  r.gbytes_per_s = bytes / seconds_out / 1e9;
  const double peak = c.dtype == DType::kFloat64 ? roof.fma_gflops_f64 : roof.fma_gflops_f32;
  // Working sets beyond ~32 MiB stream from DRAM between calls; smaller ones stay in cache.
  const bool dram = bytes > 32e6;
  const double bandwidth = dram ? roof.dram_read_gbs : roof.cache_read_gbs;
  const double compute_us = flops / (peak * 1e9) * 1e6;
  const double memory_us = bytes / (bandwidth * 1e9) * 1e6;
  r.limit_microseconds = std::max(compute_us, memory_us);
  r.bound = compute_us >= memory_us ? "compute" : dram ? "dram" : "cache";
  r.percent_of_limit = 100.0 * r.limit_microseconds / r.microseconds_out;
  return r;
}

std::string FormatSweepTable(const std::vector<SweepResult>& results, const Roofline& roof) {
  std::string table;
  char line[512];
  std::snprintf(line, sizeof line,
                "Limits (%d thread%s): FMA %.1f GFLOP/s f32, %.1f f64; read %.1f GB/s (cache), %.1f GB/s (DRAM)\n\n",
                roof.threads, roof.threads == 1 ? "" : "s", roof.fma_gflops_f32, roof.fma_gflops_f64,
                roof.cache_read_gbs, roof.dram_read_gbs);
  table += line;
  table += "| shape | threads | us (out=) | us (fresh) | GFLOP/s | GB/s | bound | limit us | % of limit |\n";
  table += "|---|---|---|---|---|---|---|---|---|\n";
  for (const SweepResult& r : results) {
    std::snprintf(line, sizeof line, "| %s | %d | %.2f | %.2f | %.1f | %.1f | %s | %.2f | %.0f%% |\n",
                  r.name.c_str(), r.threads, r.microseconds_out, r.microseconds_fresh, r.gflops, r.gbytes_per_s,
                  r.bound.c_str(), r.limit_microseconds, r.percent_of_limit);
    table += line;
  }
  return table;
}

std::string FormatSweepJson(const std::vector<SweepResult>& results, const Roofline& roof) {
  char text[512];
  std::snprintf(text, sizeof text,
                "{\"roofline\": {\"threads\": %d, \"fma_gflops_f32\": %.2f, \"fma_gflops_f64\": %.2f, "
                "\"cache_read_gbs\": %.2f, \"dram_read_gbs\": %.2f},\n \"results\": [",
                roof.threads, roof.fma_gflops_f32, roof.fma_gflops_f64, roof.cache_read_gbs, roof.dram_read_gbs);
  std::string json = text;
  for (size_t i = 0; i < results.size(); ++i) {
    const SweepResult& r = results[i];
    std::snprintf(text, sizeof text,
                  "%s\n  {\"name\": \"%s\", \"threads\": %d, \"us_out\": %.3f, \"us_fresh\": %.3f, "
                  "\"flops\": %.0f, \"bytes\": %.0f, \"gflops\": %.3f, \"bound\": \"%s\", "
                  "\"percent_of_limit\": %.1f}",
                  i ? "," : "", r.name.c_str(), r.threads, r.microseconds_out, r.microseconds_fresh, r.flops,
                  r.bytes, r.gflops, r.bound.c_str(), r.percent_of_limit);
    json += text;
  }
  return json + "]}";
}

}  // namespace batchdot::cli
