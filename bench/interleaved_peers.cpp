// batchdot against OpenBLAS and LIBXSMM in ONE process, samples interleaved round by round, so a
// noisy shared machine slows every side alike; also batchdot into a 16-byte-offset output (NumPy's
// alignment). Prints per case the median of each side, batchdot / best peer, and the spread of the
// per-round ratios. Peers loop one library call per batch item (OpenMP over the batch for T > 1).
// Build (after `cmake --build build --target batchdot`):
//   g++ -O3 -march=native -std=c++20 -fopenmp -Iinclude -I/usr/include/x86_64-linux-gnu/openblas-pthread \
//     bench/interleaved_peers.cpp build/libbatchdot.a -lhwy /usr/lib/libxsmmext.a /usr/lib/libxsmm.a \
//     -L/usr/lib/x86_64-linux-gnu/openblas-pthread -Wl,-rpath,/usr/lib/x86_64-linux-gnu/openblas-pthread \
//     -lopenblas -ldl -lpthread -o build/interleaved_peers
// Run:   env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 build/interleaved_peers T ROUNDS case...
// With T > 1 add OMP_WAIT_POLICY=PASSIVE: the peers' OpenMP threads otherwise spin after each peer sample and
// take the second core from batchdot's pool (16384 x 16^3 on 2 threads: 1869 us aligned vs 978 us passive).
#include <cblas.h>
#include <libxsmm.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "batchdot/batchdot.hpp"
#include "gemm_sweep.h"

namespace {

// One thread: the calling thread's CPU time, so time slices lost to other processes on a shared machine
// do not count; more threads: wall time.
bool g_cpu_clock = false;
double Now() {
  if (g_cpu_clock) {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

float* Alloc(size_t n) {
  size_t bytes = (n * 4 + 64 + 4095) / 4096 * 4096;
  float* p = static_cast<float*>(std::aligned_alloc(4096, bytes));
  std::memset(p, 0, bytes);
  return p;
}

using batchdot_bench::GemmCase;  // x is (batch, k, m) when trans_a; y is (batch, n, k) when trans_b

struct Side {
  std::string name;
  std::function<void()> call;
  std::vector<double> samples;
  long iters = 1;
};

void Calibrate(Side& s, double target) {
  s.call();
  double t0 = Now();
  s.call();
  double one = std::max(Now() - t0, 1e-9);
  s.iters = std::max(1L, static_cast<long>(target / one));
}

void Sample(Side& s) {
  double t0 = Now();
  for (long i = 0; i < s.iters; ++i) s.call();
  s.samples.push_back((Now() - t0) / static_cast<double>(s.iters));
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void Run(const std::string& name, std::vector<Side>& sides, int rounds, double target) {
  for (Side& s : sides) Calibrate(s, target);
  for (int r = 0; r < rounds; ++r) {
    for (Side& s : sides) Sample(s);
  }
  // sides[0] = batchdot aligned, sides[1] = batchdot misaligned, rest peers.
  size_t best = 2;
  for (size_t i = 2; i < sides.size(); ++i) {
    if (Median(sides[i].samples) < Median(sides[best].samples)) best = i;
  }
  std::vector<double> ratios, mis;
  for (int r = 0; r < rounds; ++r) {
    double peer = 1e30;
    for (size_t i = 2; i < sides.size(); ++i) peer = std::min(peer, sides[i].samples[r]);
    ratios.push_back(sides[0].samples[r] / peer);
    mis.push_back(sides[1].samples[r] / sides[0].samples[r]);
  }
  std::sort(ratios.begin(), ratios.end());
  std::sort(mis.begin(), mis.end());
  const double bd = Median(sides[0].samples), pm = Median(sides[best].samples);
  auto mn = [](const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); };
  double peer_min = 1e30;
  for (size_t i = 2; i < sides.size(); ++i) peer_min = std::min(peer_min, mn(sides[i].samples));
  std::printf("%-22s min-ratio %.3f mis-min %.3f | ", name.c_str(), mn(sides[0].samples) / peer_min,
              mn(sides[1].samples) / mn(sides[0].samples));
  std::printf("bd %10.3f us | +16B %10.3f us (x%.3f, %.3f..%.3f) | best peer %10.3f us %-18s | ratio %.3f (rounds %.3f..%.3f)",
              bd * 1e6, Median(sides[1].samples) * 1e6, Median(sides[1].samples) / bd, mis.front(), mis.back(),
              pm * 1e6, sides[best].name.c_str(), bd / pm, ratios.front(), ratios.back());
  for (size_t i = 2; i < sides.size(); ++i) std::printf(" | %s %.3f", sides[i].name.c_str(), Median(sides[i].samples) * 1e6);
  std::printf("\n");
  std::fflush(stdout);
}

void RunGemmCase(const GemmCase& c, int T, int rounds) {
  const int64_t xa = c.batch * c.m * c.k, yb = c.batch * c.k * c.n, oc = c.batch * c.m * c.n;
  float* x = Alloc(xa);
  float* y = Alloc(yb);
  float* out = Alloc(oc + 16);
  std::mt19937 g(1);
  std::uniform_real_distribution<float> d(-1, 1);
  for (int64_t i = 0; i < xa; ++i) x[i] = d(g);
  for (int64_t i = 0; i < yb; ++i) y[i] = d(g);
  const std::vector<int64_t> xs = c.trans_a ? std::vector<int64_t>{c.batch, c.k, c.m} : std::vector<int64_t>{c.batch, c.m, c.k};
  const std::vector<int64_t> ys = c.trans_b ? std::vector<int64_t>{c.batch, c.n, c.k} : std::vector<int64_t>{c.batch, c.k, c.n};
  const std::vector<int64_t> os{c.batch, c.m, c.n};
  const auto xst = batchdot::ContiguousStrides(xs), yst = batchdot::ContiguousStrides(ys), ost = batchdot::ContiguousStrides(os);
  const batchdot::TensorView xv{x, batchdot::DType::kFloat32, xs, xst}, yv{y, batchdot::DType::kFloat32, ys, yst};
  const batchdot::MutableTensorView ov{out, batchdot::DType::kFloat32, os, ost};
  const batchdot::MutableTensorView ov16{out + 4, batchdot::DType::kFloat32, os, ost};
  const batchdot::DotDimensionNumbers dims{{c.trans_a ? 1 : 2}, {c.trans_b ? 2 : 1}, {0}, {0}};
  batchdot::Options opt;
  opt.num_threads = T;
  std::vector<Side> sides;
  sides.push_back({"batchdot", [&] { batchdot::dot_general(xv, yv, dims, ov, opt); }});
  sides.push_back({"batchdot+16B", [&] { batchdot::dot_general(xv, yv, dims, ov16, opt); }});
  const int64_t M = c.m, N = c.n, K = c.k, lda = c.trans_a ? M : K, ldb = c.trans_b ? K : N;
  auto ob = [&, M, N, K, lda, ldb](int64_t i) {
    if (M == 1 && N == 1) {
      out[i] = cblas_sdot(K, x + i * K, 1, y + i * K, 1);
    } else if (N == 1) {
      cblas_sgemv(CblasRowMajor, CblasNoTrans, M, K, 1.f, x + i * M * K, K, y + i * K, 1, 0.f, out + i * M, 1);
    } else {
      cblas_sgemm(CblasRowMajor, c.trans_a ? CblasTrans : CblasNoTrans, c.trans_b ? CblasTrans : CblasNoTrans, M, N, K, 1.f,
                  x + i * M * K, lda, y + i * K * N, ldb, 0.f, out + i * M * N, N);
    }
  };
  const int64_t B = c.batch;
  sides.push_back({"openblas", [&, B] {
                     if (T == 1) {
                       for (int64_t i = 0; i < B; ++i) ob(i);
                     } else {
#pragma omp parallel for schedule(static)
                       for (int64_t i = 0; i < B; ++i) ob(i);
                     }
                   }});
  libxsmm_blasint xm = N, xn = M, xk = K, xlda = ldb, xldb = lda, xldc = N;
  float alpha = 1.f, beta = 0.f;
  int flags = (c.trans_b ? LIBXSMM_GEMM_FLAG_TRANS_A : 0) | (c.trans_a ? LIBXSMM_GEMM_FLAG_TRANS_B : 0);
  int pf = LIBXSMM_GEMM_PREFETCH_NONE;
  libxsmm_smmfunction kern = libxsmm_smmdispatch(xm, xn, xk, &xlda, &xldb, &xldc, &alpha, &beta, &flags, &pf);
  if (kern != nullptr && !(M == 1 && N == 1)) {
    sides.push_back({"xsmm-jit", [&, B, M, N, K] {
                       if (T == 1) {
                         for (int64_t i = 0; i < B; ++i) kern(y + i * K * N, x + i * M * K, out + i * M * N);
                       } else {
#pragma omp parallel for schedule(static)
                         for (int64_t i = 0; i < B; ++i) kern(y + i * K * N, x + i * M * K, out + i * M * N);
                       }
                     }});
  }
  std::vector<const float*> pa(B), pb(B);
  std::vector<float*> pc(B);
  libxsmm_blasint ps = sizeof(void*);
  char cta = c.trans_b ? 'T' : 'N', ctb = c.trans_a ? 'T' : 'N';
  if (!(M == 1 && N == 1) && N > 1) {
    sides.push_back({"xsmm-batch", [&, B, M, N, K] {
                       for (int64_t i = 0; i < B; ++i) {
                         pa[i] = y + i * K * N;
                         pb[i] = x + i * M * K;
                         pc[i] = out + i * M * N;
                       }
                       if (T == 1)
                         libxsmm_gemm_batch(LIBXSMM_GEMM_PRECISION_F32, LIBXSMM_GEMM_PRECISION_F32, &cta, &ctb, xm, xn, xk,
                                            &alpha, pa.data(), &xlda, pb.data(), &xldb, &beta, pc.data(), &xldc, 0, 0,
                                            &ps, &ps, &ps, static_cast<libxsmm_blasint>(B));
                       else
                         libxsmm_gemm_batch_omp(LIBXSMM_GEMM_PRECISION_F32, LIBXSMM_GEMM_PRECISION_F32, &cta, &ctb, xm,
                                                xn, xk, &alpha, pa.data(), &xlda, pb.data(), &xldb, &beta, pc.data(),
                                                &xldc, 0, 0, &ps, &ps, &ps, static_cast<libxsmm_blasint>(B));
                     }});
  }
  const double flops = 2.0 * B * M * N * K;
  Run(c.name, sides, rounds, flops > 5e9 ? 0.1 : 0.01);
  std::free(x);
  std::free(y);
  std::free(out);
}

// Keras batch_dot((10,12,4,5), (10,12,5,8)) -> (10,12,4,12,8); peers: LIBXSMM permute + 48x96x5 GEMM,
// and 120 48x8x5 GEMMs straight from y.
void SeedCase(int T, int rounds) {
  float* x = Alloc(2400);
  float* y = Alloc(4800);
  float* yb = Alloc(4800);
  float* out = Alloc(46080 + 16);
  std::mt19937 g(1);
  std::uniform_real_distribution<float> d(-1, 1);
  for (int i = 0; i < 2400; ++i) x[i] = d(g);
  for (int i = 0; i < 4800; ++i) y[i] = d(g);
  const std::vector<int64_t> xs{10, 12, 4, 5}, ys{10, 12, 5, 8}, os{10, 12, 4, 12, 8};
  const auto xst = batchdot::ContiguousStrides(xs), yst = batchdot::ContiguousStrides(ys), ost = batchdot::ContiguousStrides(os);
  const batchdot::TensorView xv{x, batchdot::DType::kFloat32, xs, xst}, yv{y, batchdot::DType::kFloat32, ys, yst};
  const batchdot::MutableTensorView ov{out, batchdot::DType::kFloat32, os, ost};
  const batchdot::MutableTensorView ov16{out + 4, batchdot::DType::kFloat32, os, ost};
  batchdot::Options opt;
  opt.num_threads = T;
  std::vector<Side> sides;
  sides.push_back({"batchdot", [&] { batchdot::keras::batch_dot(xv, yv, {}, ov, opt); }});
  sides.push_back({"batchdot+16B", [&] { batchdot::keras::batch_dot(xv, yv, {}, ov16, opt); }});
  float alpha = 1.f, beta = 0.f;
  int flags = 0, pf = LIBXSMM_GEMM_PREFETCH_NONE;
  libxsmm_blasint m1 = 96, n1 = 48, k1 = 5, lda1 = 96, ldb1 = 5, ldc1 = 96;
  libxsmm_smmfunction kp = libxsmm_smmdispatch(m1, n1, k1, &lda1, &ldb1, &ldc1, &alpha, &beta, &flags, &pf);
  sides.push_back({"xsmm-permute", [&] {
                     for (long b = 0; b < 10; ++b)
                       for (int j = 0; j < 12; ++j)
                         for (int k = 0; k < 5; ++k)
                           for (int l = 0; l < 8; ++l) yb[b * 480 + k * 96 + j * 8 + l] = y[b * 480 + j * 40 + k * 8 + l];
                     for (long b = 0; b < 10; ++b) kp(yb + b * 480, x + b * 240, out + b * 4608);
                   }});
  libxsmm_blasint m2 = 8, n2 = 48, k2 = 5, lda2 = 8, ldb2 = 5, ldc2 = 96;
  libxsmm_smmfunction kj = libxsmm_smmdispatch(m2, n2, k2, &lda2, &ldb2, &ldc2, &alpha, &beta, &flags, &pf);
  sides.push_back({"xsmm-loopj", [&] {
                     for (long b = 0; b < 10; ++b)
                       for (long j = 0; j < 12; ++j) kj(y + b * 480 + j * 40, x + b * 240, out + b * 4608 + j * 8);
                   }});
  Run("seed", sides, rounds, 0.005);
}

}  // namespace

int main(int argc, char** argv) {
  const int T = argc > 1 ? std::atoi(argv[1]) : 1;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 7;
  omp_set_num_threads(T);
  g_cpu_clock = T == 1;
  libxsmm_init();
  for (int i = 3; i < argc || argc <= 3; ++i) {
    const std::string want = argc > 3 ? argv[i] : "";
    if (want.empty() || std::string("seed").find(want) == 0) SeedCase(T, rounds);
    for (const GemmCase& c : batchdot_bench::kGemmSweep) {
      if (want.empty() || std::string(c.name).find(want) != std::string::npos) RunGemmCase(c, T, rounds);
    }
    if (argc <= 3) break;
  }
  return 0;
}
