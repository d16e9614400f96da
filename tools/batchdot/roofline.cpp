// Measures this machine's limits for `batchdot bench`: the FMA peak of the SIMD
// target batchdot dispatches to, and the read bandwidth of one or more cores.
#include "batchdot/roofline.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>
#include <vector>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "batchdot/roofline.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace batchdot::cli::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// 16 independent FMA chains hide the FMA latency on every x86 core seen so far.
template <typename T>
double FmaChains(int64_t iterations, double* sink) {
  const hn::ScalableTag<T> d;
  // Distinct start values: identical chains could be merged by the compiler.
  auto a0 = hn::Set(d, T(1.00)), a1 = hn::Set(d, T(1.01)), a2 = hn::Set(d, T(1.02)), a3 = hn::Set(d, T(1.03));
  auto a4 = hn::Set(d, T(1.04)), a5 = hn::Set(d, T(1.05)), a6 = hn::Set(d, T(1.06)), a7 = hn::Set(d, T(1.07));
  auto a8 = hn::Set(d, T(1.08)), a9 = hn::Set(d, T(1.09)), a10 = hn::Set(d, T(1.10)), a11 = hn::Set(d, T(1.11));
  auto a12 = hn::Set(d, T(1.12)), a13 = hn::Set(d, T(1.13)), a14 = hn::Set(d, T(1.14)), a15 = hn::Set(d, T(1.15));
  const auto m = hn::Set(d, T(0.9999999)), c = hn::Set(d, T(1e-7));
  for (int64_t i = 0; i < iterations; ++i) {
    a0 = hn::MulAdd(a0, m, c); a1 = hn::MulAdd(a1, m, c); a2 = hn::MulAdd(a2, m, c); a3 = hn::MulAdd(a3, m, c);
    a4 = hn::MulAdd(a4, m, c); a5 = hn::MulAdd(a5, m, c); a6 = hn::MulAdd(a6, m, c); a7 = hn::MulAdd(a7, m, c);
    a8 = hn::MulAdd(a8, m, c); a9 = hn::MulAdd(a9, m, c); a10 = hn::MulAdd(a10, m, c); a11 = hn::MulAdd(a11, m, c);
    a12 = hn::MulAdd(a12, m, c); a13 = hn::MulAdd(a13, m, c); a14 = hn::MulAdd(a14, m, c); a15 = hn::MulAdd(a15, m, c);
  }
  const auto sum = hn::Add(hn::Add(hn::Add(hn::Add(a0, a1), hn::Add(a2, a3)), hn::Add(hn::Add(a4, a5), hn::Add(a6, a7))),
                           hn::Add(hn::Add(hn::Add(a8, a9), hn::Add(a10, a11)), hn::Add(hn::Add(a12, a13), hn::Add(a14, a15))));
  *sink = static_cast<double>(hn::GetLane(hn::SumOfLanes(d, sum)));  // keeps the chains alive
  return 32.0 * static_cast<double>(hn::Lanes(d));  // FLOPs per iteration: 16 chains x lanes x 2
}

double FmaFlopsPerIterationF32(int64_t iterations, double* sink) { return FmaChains<float>(iterations, sink); }
double FmaFlopsPerIterationF64(int64_t iterations, double* sink) { return FmaChains<double>(iterations, sink); }

// Sums a buffer with 4 accumulators: a pure streaming read.
float ReadSum(const float* data, size_t count) {
  const hn::ScalableTag<float> d;
  const size_t lanes = hn::Lanes(d);
  auto s0 = hn::Zero(d), s1 = s0, s2 = s0, s3 = s0;
  size_t i = 0;
  for (; i + 4 * lanes <= count; i += 4 * lanes) {
    s0 = hn::Add(s0, hn::LoadU(d, data + i));
    s1 = hn::Add(s1, hn::LoadU(d, data + i + lanes));
    s2 = hn::Add(s2, hn::LoadU(d, data + i + 2 * lanes));
    s3 = hn::Add(s3, hn::LoadU(d, data + i + 3 * lanes));
  }
  return hn::GetLane(hn::SumOfLanes(d, hn::Add(hn::Add(s0, s1), hn::Add(s2, s3))));
}

}  // namespace batchdot::cli::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace batchdot::cli {
namespace {

HWY_EXPORT(FmaFlopsPerIterationF32);
HWY_EXPORT(FmaFlopsPerIterationF64);
HWY_EXPORT(ReadSum);

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Runs `work(thread)` on `threads` threads at once; returns the wall time.
template <typename Work>
double TimeOnThreads(int threads, const Work& work) {
  std::vector<std::thread> pool;
  const auto start = Clock::now();
  for (int t = 1; t < threads; ++t) pool.emplace_back([&, t] { work(t); });
  work(0);
  for (auto& t : pool) t.join();
  return Seconds(start);
}

double MeasurePeak(int threads, bool f64) {
  constexpr int64_t kIterations = 20'000'000;
  double best = 0;
  for (int repeat = 0; repeat < 3; ++repeat) {
    double flops_per_iteration = 0;
    std::vector<double> sinks(threads);
    const double seconds = TimeOnThreads(threads, [&](int t) {
      const double f = f64 ? HWY_DYNAMIC_DISPATCH(FmaFlopsPerIterationF64)(kIterations, &sinks[t])
                           : HWY_DYNAMIC_DISPATCH(FmaFlopsPerIterationF32)(kIterations, &sinks[t]);
      if (t == 0) flops_per_iteration = f;
    });
    best = std::max(best, flops_per_iteration * kIterations * threads / seconds / 1e9);
  }
  return best;
}

double MeasureReadBandwidth(int threads, size_t bytes_per_thread) {
  const size_t count = bytes_per_thread / sizeof(float);
  std::vector<float*> buffers(threads);
  for (auto& b : buffers) {
    void* p = std::aligned_alloc(size_t{2} << 20, (bytes_per_thread + (size_t{2} << 20) - 1) / (size_t{2} << 20) * (size_t{2} << 20));
    madvise(p, bytes_per_thread, MADV_HUGEPAGE);
    b = static_cast<float*>(p);
    std::fill(b, b + count, 1.0f);
  }
  std::vector<double> rates;
  std::vector<float> sinks(threads);
  const int passes = bytes_per_thread >= (size_t{64} << 20) ? 1 : 16;
  for (int repeat = 0; repeat < 7; ++repeat) {
    const double seconds = TimeOnThreads(threads, [&](int t) {
      float s = 0;
      for (int pass = 0; pass < passes; ++pass) s += HWY_DYNAMIC_DISPATCH(ReadSum)(buffers[t], count);
      sinks[t] += s;
    });
    rates.push_back(static_cast<double>(bytes_per_thread) * passes * threads / seconds / 1e9);
  }
  for (auto* b : buffers) std::free(b);
  std::sort(rates.begin(), rates.end());
  return rates[rates.size() / 2];
}

}  // namespace

Roofline MeasureRoofline(int threads) {
  Roofline r;
  r.threads = threads;
  r.fma_gflops_f32 = MeasurePeak(threads, false);
  r.fma_gflops_f64 = MeasurePeak(threads, true);
  r.cache_read_gbs = MeasureReadBandwidth(threads, size_t{4} << 20);
  r.dram_read_gbs = MeasureReadBandwidth(threads, size_t{256} << 20);
  return r;
}

}  // namespace batchdot::cli
#endif  // HWY_ONCE
