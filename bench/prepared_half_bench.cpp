// Per-call cost of Prepare / Prepared::Run against an OpenBLAS loop on the tiny
// case, and float16 / bfloat16 throughput against batchdot's own float32 on
// attention and 8 x 1024^3, in one Google Benchmark binary (same run, so the
// ratios compare like with like on a shared machine).
//
// Build: cmake -DBATCHDOT_BUILD_PEER_BENCH=ON; run with OPENBLAS_NUM_THREADS=1.
// The bf16 rows use AVX-512 BF16 dot products when the CPU has them; run again
// with BATCHDOT_NO_BF16=1 for the float32-conversion path.
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "batchdot/batchdot.hpp"

namespace {

using batchdot::DType;

// ---- tiny (2,2) . (2,3,2), axes (1, 2) -> (2, 3): the per-call overhead ----
struct Tiny {
  std::vector<float> x{0.5f, -1.0f, 2.0f, 0.25f}, y = std::vector<float>(12, 0.75f), out = std::vector<float>(6);
  std::vector<int64_t> xs{2, 2}, ys{2, 3, 2}, os{2, 3};
  std::vector<int64_t> xst = batchdot::ContiguousStrides(xs), yst = batchdot::ContiguousStrides(ys),
                       ost = batchdot::ContiguousStrides(os);
  batchdot::TensorView xv{x.data(), DType::kFloat32, xs, xst}, yv{y.data(), DType::kFloat32, ys, yst};
  batchdot::MutableTensorView ov{out.data(), DType::kFloat32, os, ost};
};

void BM_TinyPreparedRun(benchmark::State& state) {
  Tiny t;
  batchdot::Options options;
  options.num_threads = 1;
  const batchdot::Prepared p =
      batchdot::Prepare(batchdot::keras::Resolve(t.xv, t.yv, batchdot::AxesArg(1, 2)), t.xv, t.yv, t.ov, options);
  for (auto _ : state) {
    p.Run(t.x.data(), t.y.data(), t.out.data());
    benchmark::DoNotOptimize(t.out.data());
  }
}

void BM_TinyPrepare(benchmark::State& state) {
  Tiny t;
  const batchdot::Contraction c = batchdot::keras::Resolve(t.xv, t.yv, batchdot::AxesArg(1, 2));
  for (auto _ : state) benchmark::DoNotOptimize(batchdot::Prepare(c, t.xv, t.yv, t.ov, batchdot::Options{}));
}

void BM_TinyBatchDotOut(benchmark::State& state) {
  Tiny t;
  for (auto _ : state) {
    batchdot::keras::batch_dot(t.xv, t.yv, batchdot::AxesArg(1, 2), t.ov);
    benchmark::DoNotOptimize(t.out.data());
  }
}

// The peer: per item a 1 x 3 x 2 sgemm with y transposed (bd_bench's tiny case).
void BM_TinyOpenBLASLoop(benchmark::State& state) {
  Tiny t;
  for (auto _ : state) {
    for (int i = 0; i < 2; ++i) {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, 1, 3, 2, 1.0f, t.x.data() + 2 * i, 2,
                  t.y.data() + 6 * i, 2, 0.0f, t.out.data() + 3 * i, 3);
    }
    benchmark::DoNotOptimize(t.out.data());
  }
}

// The fastest OpenBLAS loop on it (perf_anchors.md: "loop-sdot/sgemv", 26-40 ns):
// per item y_b (3 x 2) times x_b (2).
void BM_TinyOpenBLASGemvLoop(benchmark::State& state) {
  Tiny t;
  for (auto _ : state) {
    for (int i = 0; i < 2; ++i) {
      cblas_sgemv(CblasRowMajor, CblasNoTrans, 3, 2, 1.0f, t.y.data() + 6 * i, 2, t.x.data() + 2 * i, 1, 0.0f,
                  t.out.data() + 3 * i, 1);
    }
    benchmark::DoNotOptimize(t.out.data());
  }
}

// ---- half precision against float32: batch x (m, k) . (k, n) ----
struct HalfCase {
  const char* name;
  int64_t batch, m, n, k;
};
constexpr HalfCase kHalfCases[] = {{"attention_64x512x64x512", 64, 512, 512, 64},
                                   {"large_8x1024", 8, 1024, 1024, 1024}};

uint16_t Bits(DType dtype, float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if (dtype == DType::kBFloat16) return static_cast<uint16_t>((u + 0x7fff + ((u >> 16) & 1)) >> 16);
  // Inputs in [-1, 1]: normal halves or zero (truncated mantissa is fine for timing).
  const int exp = static_cast<int>((u >> 23) & 0xff) - 127 + 15;
  return static_cast<uint16_t>(((u >> 16) & 0x8000) | (exp <= 0 ? 0 : (exp << 10) | ((u >> 13) & 0x3ff)));
}

void BM_Dtype(benchmark::State& state, HalfCase h, DType dtype) {
  const size_t xa = h.batch * h.m * h.k, yb = h.batch * h.k * h.n;
  const size_t e = batchdot::SizeOf(dtype);
  std::vector<unsigned char> x(xa * e), y(yb * e);
  batchdot::Tensor out = batchdot::Tensor::Uninitialized(dtype, {h.batch, h.m, h.n});
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> d(-1, 1);
  auto fill = [&](std::vector<unsigned char>& v, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      const float f = d(rng);
      if (dtype == DType::kFloat32) {
        std::memcpy(v.data() + 4 * i, &f, 4);
      } else {
        const uint16_t b = Bits(dtype, f);
        std::memcpy(v.data() + 2 * i, &b, 2);
      }
    }
  };
  fill(x, xa);
  fill(y, yb);
  const std::vector<int64_t> xs{h.batch, h.m, h.k}, ys{h.batch, h.k, h.n};
  const auto xst = batchdot::ContiguousStrides(xs), yst = batchdot::ContiguousStrides(ys);
  const batchdot::TensorView xv{x.data(), dtype, xs, xst}, yv{y.data(), dtype, ys, yst};
  batchdot::Options options;
  options.num_threads = static_cast<int>(state.range(0));
  const batchdot::Prepared p = batchdot::Prepare(batchdot::keras::Resolve(xv, yv, batchdot::AxesArg(2, 1)), xv, yv,
                                                 out.mutable_view(), options);
  for (auto _ : state) p.Run(x.data(), y.data(), out.data());
  const double flops = 2.0 * h.batch * h.m * h.n * h.k;
  state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

int Register() {
  for (auto [name, fn] : {std::pair{"tiny/prepared_run", &BM_TinyPreparedRun},
                          std::pair{"tiny/openblas_sgemm_loop", &BM_TinyOpenBLASLoop},
                          std::pair{"tiny/openblas_sgemv_loop", &BM_TinyOpenBLASGemvLoop},
                          std::pair{"tiny/batch_dot_out", &BM_TinyBatchDotOut},
                          std::pair{"tiny/prepare", &BM_TinyPrepare}}) {
    benchmark::RegisterBenchmark(name, fn)->Unit(benchmark::kNanosecond);
  }
  for (const HalfCase& h : kHalfCases) {
    for (DType dtype : {DType::kFloat32, DType::kBFloat16, DType::kFloat16}) {
      benchmark::RegisterBenchmark((std::string(h.name) + "/" + std::string(batchdot::Name(dtype))).c_str(),
                                   BM_Dtype, h, dtype)
          ->Arg(1)
          ->Arg(2)
          ->ArgName("threads")
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    }
  }
  return 0;
}

const int registered = Register();

}  // namespace

BENCHMARK_MAIN();
