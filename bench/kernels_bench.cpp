// Kernel timing without peers: batchdot alone on the perf_anchors.md sweep plus
// the Keras seed case, one line per case with the median of several samples.
// Build by hand against a Release build of the library, e.g.
//   g++ -O2 -std=c++20 -Iinclude bench/kernels_bench.cpp build-perf/libbatchdot.a -lhwy -lpthread
// Run:  ./a.out [filter-substring] [threads]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "batchdot/batchdot.hpp"

namespace {

struct Case {
  const char* name;
  int64_t batch, m, n, k;
  bool trans_a, trans_b;
  bool f64;
};

constexpr Case kCases[] = {
    {"vecdot_1e6x64", 1000000, 1, 1, 64, false, false, false},
    {"matvec_4096x128x64", 4096, 128, 1, 64, false, false, false},
    {"bmm_16384x4", 16384, 4, 4, 4, false, false, false},
    {"bmm_16384x8", 16384, 8, 8, 8, false, false, false},
    {"bmm_16384x16", 16384, 16, 16, 16, false, false, false},
    {"bmm_16384x32", 16384, 32, 32, 32, false, false, false},
    {"attention_64x512x64x512", 64, 512, 512, 64, false, false, false},
    {"large_8x1024", 8, 1024, 1024, 1024, false, false, false},
    {"transposed_256x64", 256, 64, 64, 64, true, true, false},
    {"f64_bmm_16384x4", 16384, 4, 4, 4, false, false, true},
    {"f64_bmm_16384x8", 16384, 8, 8, 8, false, false, true},
    {"f64_bmm_16384x16", 16384, 16, 16, 16, false, false, true},
    {"f64_bmm_16384x32", 16384, 32, 32, 32, false, false, true},
    {"f64_attention_64x512x64x512", 64, 512, 512, 64, false, false, true},
    {"f64_large_8x1024", 8, 1024, 1024, 1024, false, false, true},
    {"f64_matvec_4096x128x64", 4096, 128, 1, 64, false, false, true},
    // Long K with a narrow side (the small family's long-K path since issue 17):
    // also timed on the packed GEMM (force_kernel), which ran them before.
    {"longk_4096x40x40x40", 4096, 40, 40, 40, false, false, false},
    {"longk_4096x48x5x96", 4096, 48, 5, 96, false, false, false},
    {"longk_1024x64x16x256", 1024, 64, 16, 256, false, false, false},
    {"longk_256x512x48x64", 256, 512, 48, 64, false, false, false},
    {"longk_4096x5x96x48", 4096, 5, 96, 48, false, false, false},
    {"longk_256x8x512x512", 256, 8, 512, 512, false, false, false},
    {"longk_4096x32x32x64_tb", 4096, 32, 32, 64, false, true, false},
    {"longk_4096x32x32x64", 4096, 32, 32, 64, false, false, false},
    {"longk_4096x16x16x64_tb", 4096, 16, 16, 64, false, true, false},
    {"longk_4096x16x16x64", 4096, 16, 16, 64, false, false, false},
    {"f64_longk_4096x40x40x40", 4096, 40, 40, 40, false, false, true},
};

// Median seconds per call: samples of >= `min_s` of back-to-back calls each.
template <typename F>
double MedianSeconds(F&& call, int samples = 9, double min_s = 0.05) {
  using Clock = std::chrono::steady_clock;
  call();
  std::vector<double> per;
  for (int s = 0; s < samples; ++s) {
    int64_t reps = 0;
    const auto t0 = Clock::now();
    double el = 0;
    do {
      call();
      ++reps;
      el = std::chrono::duration<double>(Clock::now() - t0).count();
    } while (el < min_s);
    per.push_back(el / static_cast<double>(reps));
  }
  std::sort(per.begin(), per.end());
  return per[per.size() / 2];
}

template <typename T>
void RunCase(const Case& g, int threads) {
  const batchdot::DType dt = g.f64 ? batchdot::DType::kFloat64 : batchdot::DType::kFloat32;
  std::vector<T> a(g.batch * g.m * g.k), b(g.batch * g.k * g.n), c(g.batch * g.m * g.n);
  std::mt19937 rng(1);
  std::uniform_real_distribution<T> dist(-1, 1);
  for (T& v : a) v = dist(rng);
  for (T& v : b) v = dist(rng);
  const std::vector<int64_t> xs = g.trans_a ? std::vector<int64_t>{g.batch, g.k, g.m}
                                            : std::vector<int64_t>{g.batch, g.m, g.k};
  const std::vector<int64_t> ys = g.trans_b ? std::vector<int64_t>{g.batch, g.n, g.k}
                                            : std::vector<int64_t>{g.batch, g.k, g.n};
  const std::vector<int64_t> os{g.batch, g.m, g.n};
  const batchdot::DotDimensionNumbers dims{{g.trans_a ? 1 : 2}, {g.trans_b ? 2 : 1}, {0}, {0}};
  // Views hold spans: the strides must outlive them.
  const auto xst = batchdot::ContiguousStrides(xs), yst = batchdot::ContiguousStrides(ys),
             ost = batchdot::ContiguousStrides(os);
  const batchdot::TensorView x{a.data(), dt, xs, xst};
  const batchdot::TensorView y{b.data(), dt, ys, yst};
  const batchdot::MutableTensorView out{c.data(), dt, os, ost};
  batchdot::Options opt;
  opt.num_threads = threads;
  if (std::strncmp(g.name + (g.f64 ? 4 : 0), "longk", 5) == 0) {
    // Interleaved: auto (small family) and the packed GEMM, three rounds each.
    batchdot::Options gemm = opt;
    gemm.force_kernel = batchdot::KernelPath::kGemm;
    std::vector<double> auto_s, gemm_s;
    for (int round = 0; round < 3; ++round) {
      auto_s.push_back(MedianSeconds([&] { batchdot::dot_general(x, y, dims, out, opt); }, 5, 0.03));
      gemm_s.push_back(MedianSeconds([&] { batchdot::dot_general(x, y, dims, out, gemm); }, 5, 0.03));
    }
    std::sort(auto_s.begin(), auto_s.end());
    std::sort(gemm_s.begin(), gemm_s.end());
    std::printf("%-30s auto %10.2f us  gemm %10.2f us  ratio %.2f\n", g.name, auto_s[1] * 1e6, gemm_s[1] * 1e6,
                auto_s[1] / gemm_s[1]);
    return;
  }
  const double s = MedianSeconds([&] { batchdot::dot_general(x, y, dims, out, opt); });
  const double flops = 2.0 * g.batch * g.m * g.n * g.k;
  const double bytes = sizeof(T) * double(a.size() + b.size() + c.size());
  std::printf("%-30s %12.2f us  %8.2f ns/item  %7.1f GFLOP/s  %6.1f GB/s\n", g.name, s * 1e6,
              s * 1e9 / g.batch, flops / s * 1e-9, bytes / s * 1e-9);
}

// Keras batch_dot((10,12,4,5), (10,12,5,8)), default axes -> (10,12,4,12,8).
void RunSeed(int threads) {
  std::vector<float> a(10 * 12 * 4 * 5), b(10 * 12 * 5 * 8), c(10 * 12 * 4 * 12 * 8);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1, 1);
  for (float& v : a) v = dist(rng);
  for (float& v : b) v = dist(rng);
  const std::vector<int64_t> xs{10, 12, 4, 5}, ys{10, 12, 5, 8}, os{10, 12, 4, 12, 8};
  const auto xst = batchdot::ContiguousStrides(xs), yst = batchdot::ContiguousStrides(ys),
             ost = batchdot::ContiguousStrides(os);
  const batchdot::TensorView x{a.data(), batchdot::DType::kFloat32, xs, xst};
  const batchdot::TensorView y{b.data(), batchdot::DType::kFloat32, ys, yst};
  const batchdot::MutableTensorView out{c.data(), batchdot::DType::kFloat32, os, ost};
  batchdot::Options opt;
  opt.num_threads = threads;
  const double s = MedianSeconds([&] { batchdot::keras::batch_dot(x, y, {}, out, opt); });
  std::printf("%-30s %12.2f us\n", "seed_keras_10x12x4x5_10x12x5x8", s * 1e6);
}


// Backward of the training shapes: forward, grad_x alone and grad_y alone, so a
// gradient reads against the forward-sized contraction it is. Filter "grad".
// With BATCHDOT_BENCH_REPS=<n> each call runs n times untimed (for callgrind:
// --collect-atstart=no --toggle-collect='*TimedCall*').
struct GradCase {
  const char* name;
  std::vector<int64_t> xs, ys;
  bool keras;  // Keras batch_dot with default axes, else bmm dims
};

__attribute__((noinline)) void TimedCall(const std::function<void()>& call) { call(); }

double TimeOrCount(const std::function<void()>& call) {
  const char* reps = std::getenv("BATCHDOT_BENCH_REPS");
  if (reps != nullptr && *reps != '\0') {
    call();
    for (int i = 0, n = std::atoi(reps); i < n; ++i) TimedCall(call);
    return 0;
  }
  return MedianSeconds(call);
}

void RunGrad(const GradCase& gc, int threads) {
  using batchdot::DType;
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1, 1);
  int64_t nx = 1, ny = 1;
  for (int64_t s : gc.xs) nx *= s;
  for (int64_t s : gc.ys) ny *= s;
  std::vector<float> a(nx), b(ny);
  for (float& v : a) v = dist(rng);
  for (float& v : b) v = dist(rng);
  const auto xst = batchdot::ContiguousStrides(gc.xs), yst = batchdot::ContiguousStrides(gc.ys);
  const batchdot::TensorView x{a.data(), DType::kFloat32, gc.xs, xst};
  const batchdot::TensorView y{b.data(), DType::kFloat32, gc.ys, yst};
  const batchdot::DotDimensionNumbers dims{{2}, {1}, {0}, {0}};
  batchdot::Options opt;
  opt.num_threads = threads;
  batchdot::Tensor out = gc.keras ? batchdot::keras::batch_dot(x, y, {}, opt) : batchdot::dot_general(x, y, dims, opt);
  for (int64_t i = 0; i < out.num_elements(); ++i) static_cast<float*>(out.data())[i] = dist(rng);
  const batchdot::TensorView g = out.view();
  const batchdot::MutableTensorView o = out.mutable_view();
  std::vector<float> gx(nx), gy(ny);
  const batchdot::MutableTensorView gxv{gx.data(), DType::kFloat32, gc.xs, xst};
  const batchdot::MutableTensorView gyv{gy.data(), DType::kFloat32, gc.ys, yst};
  batchdot::GradientTargets tx, ty;
  tx.grad_x = &gxv;
  ty.grad_y = &gyv;
  const double fwd = TimeOrCount([&] {
    if (gc.keras) batchdot::keras::batch_dot(x, y, {}, o, opt); else batchdot::dot_general(x, y, dims, o, opt);
  });
  const double gxs = TimeOrCount([&] {
    if (gc.keras) batchdot::keras::batch_dot_grad(x, y, {}, g, tx, opt); else batchdot::dot_general_grad(x, y, dims, g, tx, opt);
  });
  const double gys = TimeOrCount([&] {
    if (gc.keras) batchdot::keras::batch_dot_grad(x, y, {}, g, ty, opt); else batchdot::dot_general_grad(x, y, dims, g, ty, opt);
  });
  std::printf("%-30s forward %10.2f us  grad_x %10.2f us  grad_y %10.2f us\n", gc.name, fwd * 1e6, gxs * 1e6,
              gys * 1e6);
}

void RunGrads(const char* filter, int threads) {
  const GradCase cases[] = {
      {"grad_seed_keras", {10, 12, 4, 5}, {10, 12, 5, 8}, true},
      {"grad_bmm_4096x16", {4096, 16, 16}, {4096, 16, 16}, false},
      {"grad_attention_16x512x64x512", {16, 512, 64}, {16, 64, 512}, false},
  };
  for (const GradCase& gc : cases) {
    if (std::strstr(gc.name, filter) != nullptr) RunGrad(gc, threads);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const char* filter = argc > 1 ? argv[1] : "";
  const int threads = argc > 2 ? std::atoi(argv[2]) : 1;
  if (std::strstr("seed_keras", filter) != nullptr || std::strstr(filter, "seed") != nullptr) {
    RunSeed(threads);
  }
  if (std::strstr(filter, "grad") != nullptr) {
    RunGrads(filter, threads);
    return 0;
  }
  for (const Case& g : kCases) {
    if (*filter != '\0' && std::strstr(g.name, filter) == nullptr) continue;
    if (g.f64) {
      RunCase<double>(g, threads);
    } else {
      RunCase<float>(g, threads);
    }
  }
  return 0;
}
