// Per-call time of Execute on a loop over L small layouts (L = 1, 8, 9, 16, 17):
// what the Execute memo (src/runtime/prepared_memo.cpp) saves when a program
// cycles through a few layouts. Prints the median of 15 repetitions of 2000
// rounds per L, in ns per call. Build against any libbatchdot.a to compare two
// versions in one session (interleave the runs: the machine is shared):
//   g++ -O2 -std=c++20 -Iinclude bench/memo_loop_bench.cpp build/libbatchdot.a -lhwy -lpthread
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "batchdot/batchdot.hpp"

int main() {
  using batchdot::DType;
  std::vector<float> x(2 * 3 * 4, 0.5f), y(2 * 4 * 40, 0.25f), out(2 * 3 * 40);
  const std::vector<int64_t> xs{2, 3, 4};
  const auto xst = batchdot::ContiguousStrides(xs);
  const batchdot::TensorView xv{x.data(), DType::kFloat32, xs, xst};
  batchdot::Options options;
  options.num_threads = 1;
  for (int layouts : {1, 8, 9, 16, 17}) {
    std::vector<std::vector<int64_t>> ys, yst, os, ost;
    std::vector<batchdot::Contraction> cs;
    for (int i = 0; i < layouts; ++i) {
      ys.push_back({2, 4, 40 - i});
      os.push_back({2, 3, 40 - i});
    }
    for (int i = 0; i < layouts; ++i) {
      yst.push_back(batchdot::ContiguousStrides(ys[i]));
      ost.push_back(batchdot::ContiguousStrides(os[i]));
    }
    for (int i = 0; i < layouts; ++i) {
      cs.push_back(batchdot::keras::Resolve(xv, {y.data(), DType::kFloat32, ys[i], yst[i]}));
    }
    std::vector<double> ns;
    for (int rep = 0; rep < 15; ++rep) {
      constexpr int kRounds = 2000;
      const auto t0 = std::chrono::steady_clock::now();
      for (int r = 0; r < kRounds; ++r) {
        for (int i = 0; i < layouts; ++i) {
          batchdot::Execute(cs[i], xv, {y.data(), DType::kFloat32, ys[i], yst[i]},
                            {out.data(), DType::kFloat32, os[i], ost[i]}, options);
        }
      }
      const std::chrono::duration<double, std::nano> dt = std::chrono::steady_clock::now() - t0;
      ns.push_back(dt.count() / (kRounds * layouts));
    }
    std::nth_element(ns.begin(), ns.begin() + 7, ns.end());
    std::printf("layouts %2d: %7.1f ns/call (median of 15)\n", layouts, ns[7]);
  }
}
