// batchdot against OpenBLAS, Eigen and LIBXSMM in one Google Benchmark binary,
// on the batch_dot sweep mapped to batches of row-major GEMMs. Every variant
// writes into preallocated memory; peers run one library call per batch item
// (OpenMP over the batch for 2 threads, their best mode in perf_anchors.md).
//
// Build: cmake -DBATCHDOT_BUILD_PEER_BENCH=ON (needs libopenblas-dev, libeigen3-dev, libxsmm-dev).
// Run:   OPENBLAS_NUM_THREADS=1 build/bin/peers_bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>
#include <cblas.h>
#include <libxsmm.h>
#include <omp.h>

#include <Eigen/Core>
#include <random>
#include <string>
#include <vector>

#include "batchdot/batchdot.hpp"
#include "gemm_sweep.h"

namespace {

using batchdot_bench::GemmCase;
using batchdot_bench::kGemmSweep;


struct Buffers {
  std::vector<float> a, b, c;
  explicit Buffers(const GemmCase& g)
      : a(g.batch * g.m * g.k), b(g.batch * g.k * g.n), c(g.batch * g.m * g.n) {
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> d(-1, 1);
    for (float& v : a) v = d(rng);
    for (float& v : b) v = d(rng);
  }
};

void SetCounters(benchmark::State& state, const GemmCase& g) {
  const double flops = 2.0 * g.batch * g.m * g.n * g.k;
  state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Batchdot(benchmark::State& state, GemmCase g) {
  Buffers buf(g);
  batchdot::SetNumThreads(static_cast<int>(state.range(0)));
  const std::vector<int64_t> x_shape = g.trans_a ? std::vector<int64_t>{g.batch, g.k, g.m}
                                                 : std::vector<int64_t>{g.batch, g.m, g.k};
  const std::vector<int64_t> y_shape = g.trans_b ? std::vector<int64_t>{g.batch, g.n, g.k}
                                                 : std::vector<int64_t>{g.batch, g.k, g.n};
  const std::vector<int64_t> out_shape{g.batch, g.m, g.n};
  const auto xs = batchdot::ContiguousStrides(x_shape), ys = batchdot::ContiguousStrides(y_shape),
             os = batchdot::ContiguousStrides(out_shape);
  const batchdot::DotDimensionNumbers dims{{g.trans_a ? 1 : 2}, {g.trans_b ? 2 : 1}, {0}, {0}};
  const batchdot::TensorView x{buf.a.data(), batchdot::DType::kFloat32, x_shape, xs};
  const batchdot::TensorView y{buf.b.data(), batchdot::DType::kFloat32, y_shape, ys};
  const batchdot::MutableTensorView out{buf.c.data(), batchdot::DType::kFloat32, out_shape, os};
  for (auto _ : state) batchdot::dot_general(x, y, dims, out);
  SetCounters(state, g);
}

void BM_OpenBLAS(benchmark::State& state, GemmCase g) {
  Buffers buf(g);
  const int threads = static_cast<int>(state.range(0));
  const auto ta = g.trans_a ? CblasTrans : CblasNoTrans, tb = g.trans_b ? CblasTrans : CblasNoTrans;
  const int lda = g.trans_a ? g.m : g.k, ldb = g.trans_b ? g.k : g.n;
  for (auto _ : state) {
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t i = 0; i < g.batch; ++i) {
      const float* a = buf.a.data() + i * g.m * g.k;
      const float* b = buf.b.data() + i * g.k * g.n;
      float* c = buf.c.data() + i * g.m * g.n;
      if (g.m == 1 && g.n == 1) {
        c[0] = cblas_sdot(g.k, a, 1, b, 1);  // the fastest OpenBLAS call for a dot product
      } else if (g.n == 1 && !g.trans_a) {
        cblas_sgemv(CblasRowMajor, CblasNoTrans, g.m, g.k, 1.0f, a, lda, b, ldb, 0.0f, c, 1);
      } else {
        cblas_sgemm(CblasRowMajor, ta, tb, g.m, g.n, g.k, 1.0f, a, lda, b, ldb, 0.0f, c, g.n);
      }
    }
  }
  SetCounters(state, g);
}

void BM_Eigen(benchmark::State& state, GemmCase g) {
  using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Buffers buf(g);
  const int threads = static_cast<int>(state.range(0));
  Eigen::setNbThreads(1);
  for (auto _ : state) {
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t i = 0; i < g.batch; ++i) {
      Eigen::Map<const RowMajor> a(buf.a.data() + i * g.m * g.k, g.trans_a ? g.k : g.m, g.trans_a ? g.m : g.k);
      Eigen::Map<const RowMajor> b(buf.b.data() + i * g.k * g.n, g.trans_b ? g.n : g.k, g.trans_b ? g.k : g.n);
      Eigen::Map<RowMajor> c(buf.c.data() + i * g.m * g.n, g.m, g.n);
      if (g.trans_a && g.trans_b) c.noalias() = a.transpose() * b.transpose();
      else c.noalias() = a * b;
    }
  }
  SetCounters(state, g);
}

void BM_LIBXSMM(benchmark::State& state, GemmCase g) {
  if (g.trans_a || g.trans_b) {
    state.SkipWithError("LIBXSMM 1.17 JIT has no kernel for transposed operands");
    return;
  }
  Buffers buf(g);
  const int threads = static_cast<int>(state.range(0));
  // Column-major LIBXSMM: C^T = B^T A^T.
  const libxsmm_blasint m = g.n, n = g.m, k = g.k, lda = g.n, ldb = g.k, ldc = g.n;
  const float alpha = 1, beta = 0;
  const int flags = LIBXSMM_GEMM_FLAG_NONE, prefetch = LIBXSMM_GEMM_PREFETCH_NONE;
  const libxsmm_smmfunction kernel = libxsmm_smmdispatch(m, n, k, &lda, &ldb, &ldc, &alpha, &beta, &flags, &prefetch);
  if (kernel == nullptr) {
    state.SkipWithError("libxsmm_smmdispatch returned no kernel");
    return;
  }
  for (auto _ : state) {
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t i = 0; i < g.batch; ++i) {
      kernel(buf.b.data() + i * g.k * g.n, buf.a.data() + i * g.m * g.k, buf.c.data() + i * g.m * g.n);
    }
  }
  SetCounters(state, g);
}

int Register() {
  libxsmm_init();
  for (const GemmCase& g : kGemmSweep) {
    for (auto [name, fn] : {std::pair{"batchdot", &BM_Batchdot}, std::pair{"openblas", &BM_OpenBLAS},
                            std::pair{"eigen", &BM_Eigen}, std::pair{"libxsmm", &BM_LIBXSMM}}) {
      benchmark::RegisterBenchmark((std::string(g.name) + "/" + name).c_str(), fn, g)
          ->Arg(1)
          ->Arg(2)
          ->ArgName("threads")
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond);
    }
  }
  return 0;
}

const int registered = Register();

}  // namespace

BENCHMARK_MAIN();
