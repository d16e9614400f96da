// Kernel families x dtypes x every SIMD target this CPU runs, against a naive
// strided loop: bit-exact on exact inputs, toleranced on random reals, and
// bitwise identical under any split of items/rows/columns (determinism).
// Replay a failure with BATCHDOT_TEST_SEED=<printed seed>.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "kernel_test_util.hpp"
#include "kernels/kernel_table.hpp"
#include "plan/plan.hpp"

namespace batchdot::kernels {
namespace {

using testing::BitEqual;
using testing::ForEachTarget;
using testing::FillExact;
using testing::FillReal;
using testing::Layout;
using testing::LayoutName;
using testing::MakeOperand;
using testing::Operand;

enum class Family { kGeneric, kDot, kGemv, kSmall, kGemm };
constexpr Family kFamilies[] = {Family::kGeneric, Family::kDot, Family::kGemv, Family::kSmall,
                                Family::kGemm};

const char* FamilyName(Family f) {
  switch (f) {
    case Family::kGeneric: return "generic";
    case Family::kDot: return "dot";
    case Family::kGemv: return "gemv";
    case Family::kSmall: return "small";
    case Family::kGemm: return "gemm";
  }
  return "?";
}

template <typename T>
const FamilyKernels<T>& Of(const KernelTable& t) {
  if constexpr (std::is_same_v<T, float>) return t.f32;
  else if constexpr (std::is_same_v<T, double>) return t.f64;
  else if constexpr (std::is_same_v<T, int32_t>) return t.i32;
  else return t.i64;
}

template <typename T>
GemmKernel<T> Get(const KernelTable& t, Family f) {
  const FamilyKernels<T>& k = Of<T>(t);
  switch (f) {
    case Family::kGeneric: return k.generic;
    case Family::kDot: return k.dot;
    case Family::kGemv: return k.gemv;
    case Family::kSmall: return k.small;
    case Family::kGemm: return k.gemm;
  }
  return nullptr;
}

// The shape precondition of each family (strides are always free), as the
// planner states it (plan::CanHandle): the tests ask, never restate it.
bool Applies(Family f, int64_t m, int64_t n, int64_t k) {
  StridedGemm g;
  g.m = m;
  g.n = n;
  g.k = k;
  switch (f) {
    case Family::kGeneric: return plan::CanHandle(KernelPath::kGeneric, g);
    case Family::kGemm: return plan::CanHandle(KernelPath::kGemm, g);
    case Family::kDot: return plan::CanHandle(KernelPath::kDot, g);
    case Family::kGemv: return plan::CanHandle(KernelPath::kGemv, g);
    case Family::kSmall: return plan::CanHandle(KernelPath::kSmall, g);
  }
  return false;
}

uint64_t BaseSeed() {
  static const uint64_t seed = [] {
    const char* s = std::getenv("BATCHDOT_TEST_SEED");
    const uint64_t v = (s != nullptr && *s != '\0') ? std::strtoull(s, nullptr, 0) : 20240601u;
    std::printf("[kernels_test] BATCHDOT_TEST_SEED=%llu\n", static_cast<unsigned long long>(v));
    return v;
  }();
  return seed;
}

struct Case {
  int64_t count, m, n, k;
  Layout la, lb, lc;
};

std::string Describe(const Case& c) {
  char buf[200];
  std::snprintf(buf, sizeof(buf), "count=%lld m=%lld n=%lld k=%lld A=%s B=%s C=%s",
                static_cast<long long>(c.count), static_cast<long long>(c.m),
                static_cast<long long>(c.n), static_cast<long long>(c.k), LayoutName(c.la),
                LayoutName(c.lb), LayoutName(c.lc));
  return buf;
}

// Operands of one case, filled from `seed`.
template <typename T>
struct Problem {
  StridedGemm g;
  Operand<T> a, b, c;
  Problem(const Case& cs, bool exact, uint64_t seed) {
    a = MakeOperand<T>(cs.count, cs.m, cs.k, cs.la);
    b = MakeOperand<T>(cs.count, cs.k, cs.n, cs.lb);
    c = MakeOperand<T>(cs.count, cs.m, cs.n, cs.lc);
    std::mt19937_64 rng(seed);
    if (exact || std::is_integral_v<T>) {
      FillExact(a.storage, rng);
      FillExact(b.storage, rng);
    } else {
      FillReal(a.storage, rng);
      FillReal(b.storage, rng);
    }
    g.count = cs.count;
    g.m = cs.m;
    g.n = cs.n;
    g.k = cs.k;
    g.a_item_stride = a.item_stride, g.a_m_stride = a.row_stride, g.a_k_stride = a.col_stride;
    g.b_item_stride = b.item_stride, g.b_k_stride = b.row_stride, g.b_n_stride = b.col_stride;
    g.c_item_stride = c.item_stride, g.c_m_stride = c.row_stride, g.c_n_stride = c.col_stride;
  }
  void ResetC(T sentinel) { std::fill(c.storage.begin(), c.storage.end(), sentinel); }
  void Run(GemmKernel<T> kernel, const GemmRange& r, Workspace& ws) {
    kernel(g, r, a.ptr(), b.ptr(), c.ptr(), ws);
  }
};

template <typename T>
constexpr T kSentinel = static_cast<T>(-12345);

// Runs `kernel` on range `r` and checks every C element: inside the range it
// equals the reference (bitwise when `exact`), outside it is untouched.
template <typename T>
void CheckCase(GemmKernel<T> kernel, const char* what, const Case& cs, bool exact, uint64_t seed,
               const GemmRange& r) {
  Problem<T> p(cs, exact, seed);
  p.ResetC(kSentinel<T>);
  Workspace ws;
  p.Run(kernel, r, ws);
  std::vector<char> written(p.c.storage.size(), 0);
  int failures = 0;
  auto report = [&](const std::string& msg) {
    if (++failures <= 3) {
      ADD_FAILURE() << what << " " << Describe(cs) << " range items[" << r.item_begin << ","
                    << r.item_end << ") m[" << r.m_begin << "," << r.m_end << ") n[" << r.n_begin
                    << "," << r.n_end << ") seed=" << seed << ": " << msg;
    }
  };
  for (int64_t i = r.item_begin; i < r.item_end; ++i) {
    for (int64_t m = r.m_begin; m < r.m_end; ++m) {
      for (int64_t n = r.n_begin; n < r.n_end; ++n) {
        const int64_t idx = p.c.Index(i, m, n);
        written[idx] = 1;
        double mag = 0;
        const T want = testing::ReferenceElement(p.g, p.a.ptr(), p.b.ptr(), i, m, n, &mag);
        const T got = p.c.storage[idx];
        const bool ok = exact ? BitEqual(got, want)
                              : std::fabs(static_cast<double>(got) - static_cast<double>(want)) <=
                                    testing::RealTolerance<T>(cs.k, mag);
        if (!ok) {
          report("C[" + std::to_string(i) + "," + std::to_string(m) + "," + std::to_string(n) +
                 "] got " + std::to_string(got) + " want " + std::to_string(want));
        }
      }
    }
  }
  for (size_t idx = 0; idx < written.size(); ++idx) {
    if (!written[idx] && !BitEqual(p.c.storage[idx], kSentinel<T>)) {
      report("wrote outside its range at storage index " + std::to_string(idx));
    }
  }
}

GemmRange Full(const Case& c) { return {0, c.count, 0, c.m, 0, c.n}; }

// A random non-empty sub-range (or the full range when a dim is empty).
GemmRange RandomRange(const Case& c, std::mt19937_64& rng) {
  auto pick = [&](int64_t size, int64_t* b, int64_t* e) {
    if (size == 0) {
      *b = *e = 0;
      return;
    }
    *b = static_cast<int64_t>(rng() % size);
    *e = *b + 1 + static_cast<int64_t>(rng() % (size - *b));
  };
  GemmRange r;
  pick(c.count, &r.item_begin, &r.item_end);
  pick(c.m, &r.m_begin, &r.m_end);
  pick(c.n, &r.n_begin, &r.n_end);
  return r;
}

constexpr int64_t kEdges[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 16, 17, 31, 32, 33, 63, 64, 65};

// Shapes each family is swept over (bit-exact suite).
std::vector<Case> SweepShapes(Family f) {
  std::vector<Case> v;
  auto add = [&](int64_t count, int64_t m, int64_t n, int64_t k) {
    v.push_back({count, m, n, k, Layout::kRowMajor, Layout::kRowMajor, Layout::kRowMajor});
  };
  switch (f) {
    case Family::kDot:
      for (int64_t count : {0, 1, 5, 37}) {
        for (int64_t k = 0; k <= 17; ++k) add(count, 1, 1, k);
        for (int64_t k : {31, 32, 33, 63, 64, 65, 127, 129, 300}) add(count, 1, 1, k);
      }
      break;
    case Family::kGemv:
      for (int64_t m : kEdges) {
        for (int64_t k : {0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 65}) add(3, m, 1, k);
      }
      add(0, 5, 1, 5);
      add(1, 130, 1, 70);
      break;
    case Family::kSmall:
      for (int64_t m : {1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16}) {
        for (int64_t n : {1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16}) {
          for (int64_t k : {0, 1, 3, 4, 8, 16}) add(3, m, n, k);
        }
      }
      add(0, 4, 4, 4);
      add(1, 16, 16, 16);
      add(40, 4, 4, 4);
      // Segment kernels (C rows of 2, 4 or 8 lanes, several rows per vector):
      // row counts around the vector groups, k tails around the segment width.
      for (int64_t n : {2, 4, 8}) {
        for (int64_t m : {1, 2, 3, 4, 5, 7, 8, 9, 17, 33, 48}) {
          for (int64_t k : {0, 1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17, 32}) add(2, m, n, k);
        }
      }
      // Up to kSmallMax = 32 in k, kSmallMaxN = 48 in n, and any m.
      for (int64_t n : {17, 24, 31, 32, 33, 40, 47, 48}) {
        for (int64_t k : {1, 5, 17, 32}) add(2, 33, n, k);
      }
      for (int64_t m : {1, 7, 8, 9, 16, 17, 48}) add(3, m, 48, 5);  // the seed's 48-column tiles
      add(1, 200, 32, 32);
      add(3, 48, 8, 5);  // the Keras seed's product
      // Register-B (k <= 8, any n): column tiles of 1-4 vectors around their edges.
      for (int64_t n : {49, 63, 64, 65, 96, 97, 130}) {
        for (int64_t k : {1, 2, 5, 8}) add(2, 13, n, k);
      }
      add(2, 48, 96, 5);  // the seed's whole product
      break;
    case Family::kGeneric:
    case Family::kGemm:
      for (int64_t m : kEdges) add(2, m, 17, 33);
      for (int64_t n : kEdges) add(2, 33, n, 17);
      for (int64_t k : {0, 1, 2, 3, 7, 8, 9, 16, 17, 63, 64, 65, 255, 256, 257, 300}) add(1, 15, 31, k);
      add(0, 8, 8, 8);
      add(3, 1, 1, 5);
      add(1, 150, 97, 530);  // several MC and KC blocks
      add(1, 7, 600, 20);    // many NR panels
      if (f == Family::kGemm) add(1, 64, 1200, 20);
      break;
  }
  return v;
}

template <typename T>
void ExactSweep(const KernelTable& table, const std::string& target) {
  for (Family f : kFamilies) {
    GemmKernel<T> kernel = Get<T>(table, f);
    ASSERT_NE(kernel, nullptr) << FamilyName(f);
    const std::string what = target + "/" + FamilyName(f);
    std::vector<Case> shapes = SweepShapes(f);
    uint64_t seed = BaseSeed() ^ (static_cast<uint64_t>(f) << 40);
    std::mt19937_64 rng(seed);
    for (size_t s = 0; s < shapes.size(); ++s) {
      Case cs = shapes[s];
      if (!Applies(f, cs.m, cs.n, cs.k)) continue;
      // Walk the layout combinations across shapes so each shape sees two of them
      // and every (A, B, C) layout is met many times across the sweep.
      for (int rep = 0; rep < 2; ++rep) {
        const size_t j = s * 2 + rep;
        cs.la = testing::kAllLayouts[j % 8];
        cs.lb = testing::kAllLayouts[(j * 3 + rep) % 8];
        cs.lc = testing::kOutLayouts[(j * 5 + 1) % 6];
        ++seed;
        CheckCase<T>(kernel, what.c_str(), cs, /*exact=*/true, seed,
                     rep == 0 ? Full(cs) : RandomRange(cs, rng));
        if (::testing::Test::HasFailure()) return;
      }
    }
  }
}

// Random reals on random shapes and layouts, checked with RealTolerance.
template <typename T>
void RealSuite(const KernelTable& table, const std::string& target) {
  for (Family f : kFamilies) {
    GemmKernel<T> kernel = Get<T>(table, f);
    const std::string what = target + "/" + FamilyName(f) + "/real";
    uint64_t seed = BaseSeed() * 31 + static_cast<uint64_t>(f);
    std::mt19937_64 rng(seed);
    for (int t = 0; t < 40; ++t) {
      const int64_t lim = (f == Family::kSmall) ? kSmallMax : 70;
      // (the small family takes any m; 1..70 covers its row groups)
      const int64_t n_lim = (f == Family::kSmall) ? kSmallMaxN : lim;
      // (and, for k <= 8, wider rows through the register-B kernel)
      Case cs{static_cast<int64_t>(rng() % 5), 1 + static_cast<int64_t>(rng() % lim),
              1 + static_cast<int64_t>(rng() % n_lim), static_cast<int64_t>(rng() % (lim + 1)),
              testing::kAllLayouts[rng() % 8], testing::kAllLayouts[rng() % 8],
              testing::kOutLayouts[rng() % 6]};
      if (f == Family::kDot) cs.m = cs.n = 1, cs.k = static_cast<int64_t>(rng() % 300);
      if (f == Family::kGemv) cs.n = 1;
      if (f == Family::kSmall && t % 4 == 0) cs.m = 1 + static_cast<int64_t>(rng() % 70);
      if (f == Family::kSmall && t % 4 == 1) {
        cs.k = 1 + static_cast<int64_t>(rng() % kRegisterBMaxK);
        cs.n = 1 + static_cast<int64_t>(rng() % 150);
      }
      if (f == Family::kGemm && t % 8 == 0) cs.k = 200 + static_cast<int64_t>(rng() % 700);
      CheckCase<T>(kernel, what.c_str(), cs, /*exact=*/false, ++seed, Full(cs));
      if (::testing::Test::HasFailure()) return;
    }
  }
}

// Determinism: the full range and a split into uneven pieces (as threads would
// get them) must give bitwise-identical C.
template <typename T>
void SplitSuite(const KernelTable& table, const std::string& target) {
  const Case shapes[] = {
      {37, 1, 1, 300, Layout::kRowMajor, Layout::kRowMajor, Layout::kRowMajor},
      {9, 1, 1, 77, Layout::kItemInner, Layout::kStep2, Layout::kNegative},
      {5, 67, 1, 130, Layout::kRowMajor, Layout::kRowMajor, Layout::kRowMajor},
      {5, 67, 1, 130, Layout::kColMajor, Layout::kRowMajor, Layout::kRowMajor},
      {21, 7, 13, 11, Layout::kRowMajor, Layout::kRowMajor, Layout::kRowMajor},
      {13, 16, 16, 16, Layout::kColMajor, Layout::kStep2, Layout::kColMajor},
      {3, 45, 70, 33, Layout::kRowMajor, Layout::kColMajor, Layout::kRowMajor},
      {2, 150, 97, 530, Layout::kRowMajor, Layout::kRowMajor, Layout::kRowMajor},
      {1, 33, 600, 300, Layout::kColMajor, Layout::kColMajor, Layout::kStep2},
      {7, 48, 8, 5, Layout::kRowMajor, Layout::kRowMajor, Layout::kRowMajor},
      {11, 9, 4, 6, Layout::kRowMajor, Layout::kRowMajor, Layout::kStep2},
      {3, 70, 32, 32, Layout::kRowMajor, Layout::kRowMajor, Layout::kRowMajor},
  };
  for (Family f : kFamilies) {
    GemmKernel<T> kernel = Get<T>(table, f);
    uint64_t seed = BaseSeed() * 7 + static_cast<uint64_t>(f);
    std::mt19937_64 rng(seed);
    for (const Case& cs : shapes) {
      if (!Applies(f, cs.m, cs.n, cs.k)) continue;
      Problem<T> p(cs, /*exact=*/false, ++seed);
      Workspace ws;
      p.ResetC(kSentinel<T>);
      p.Run(kernel, Full(cs), ws);
      const std::vector<T> full = p.c.storage;
      for (int trial = 0; trial < 3; ++trial) {
        p.ResetC(kSentinel<T>);
        // Split points anywhere, including inside register tiles.
        auto cut = [&](int64_t size) { return size <= 1 ? size : 1 + static_cast<int64_t>(rng() % (size - 1)); };
        const int64_t ci = cut(cs.count), cm = cut(cs.m), cn = cut(cs.n);
        for (auto [ib, ie] : {std::pair{int64_t{0}, ci}, std::pair{ci, cs.count}}) {
          for (auto [mb, me] : {std::pair{int64_t{0}, cm}, std::pair{cm, cs.m}}) {
            for (auto [nb, ne] : {std::pair{int64_t{0}, cn}, std::pair{cn, cs.n}}) {
              if (ib < ie && mb < me && nb < ne) p.Run(kernel, {ib, ie, mb, me, nb, ne}, ws);
            }
          }
        }
        for (size_t idx = 0; idx < full.size(); ++idx) {
          if (!BitEqual(full[idx], p.c.storage[idx])) {
            FAIL() << target << "/" << FamilyName(f) << " " << Describe(cs) << " seed=" << seed
                   << ": split at item " << ci << " m " << cm << " n " << cn
                   << " changed storage index " << idx << ": " << full[idx] << " vs "
                   << p.c.storage[idx];
          }
        }
      }
    }
  }
}

// The gemm family's layout-specific packing (column-major B through register
// transposes, column-major A through vector copies, row-major A read in place):
// every layout pair on shapes around the vector and tile edges, bit-exact.
template <typename T>
void GemmLayoutSweep(const KernelTable& table, const std::string& target) {
  const std::string what = target + "/gemm/layouts";
  const Layout layouts[] = {Layout::kRowMajor, Layout::kColMajor, Layout::kMisaligned,
                            Layout::kStep2};
  const int64_t shapes[][3] = {{64, 64, 64}, {13, 33, 17}, {33, 65, 47}, {12, 32, 16},
                               {25, 96, 300}, {40, 31, 529}};
  uint64_t seed = BaseSeed() * 13 + 5;
  std::mt19937_64 rng(seed);
  for (const auto& sh : shapes) {
    for (Layout la : layouts) {
      for (Layout lb : layouts) {
        const Case cs{2, sh[0], sh[1], sh[2], la, lb, Layout::kRowMajor};
        CheckCase<T>(Get<T>(table, Family::kGemm), what.c_str(), cs, /*exact=*/true, ++seed,
                     Full(cs));
        CheckCase<T>(Get<T>(table, Family::kGemm), what.c_str(), cs, /*exact=*/true, ++seed,
                     RandomRange(cs, rng));
        if (::testing::Test::HasFailure()) return;
      }
    }
  }
}

// B's columns in runs (StridedGemm::b_run), as y (items, runs, k, run) gives
// them: the small family reads them in place, the generic kernel element by
// element. Run lengths the planner hands over (8, 16, 32) and ones it gathers
// instead (5, 12), random ranges (column starts inside runs), unit and strided C.
template <typename T>
void ColumnRunsSuite(const KernelTable& table, const std::string& target) {
  uint64_t seed = BaseSeed() * 17 + 3;
  std::mt19937_64 rng(seed);
  for (int64_t run : {8, 16, 32, 5, 12}) {
    for (int64_t runs : {1, 2, 3, 5, 12}) {
      for (int64_t k : {0, 1, 3, 5, 8}) {
        for (int64_t m : {1, 4, 17, 48}) {
          for (Family f : {Family::kSmall, Family::kGeneric}) {
            for (Layout lc : {Layout::kRowMajor, Layout::kMisaligned, Layout::kStep2}) {
              const int64_t count = 3, n = runs * run;
              Case cs{count, m, n, k, Layout::kRowMajor, Layout::kRowMajor, lc};
              Problem<T> p(cs, /*exact=*/true, ++seed);
              // B laid out as y (count, runs, k, run), the runs 3 elements apart.
              const int64_t run_stride = k * run + 3, item = runs * run_stride + 1;
              p.b.storage.assign(static_cast<size_t>(count * item + 1), T(0));
              std::mt19937_64 fill(seed);
              testing::FillExact(p.b.storage, fill);
              p.b.base = 0;
              p.g.b_item_stride = item;
              p.g.b_k_stride = run;
              p.g.b_n_stride = 1;
              p.g.b_run = run;
              p.g.b_run_stride = run_stride;
              const std::string what = target + "/" + FamilyName(f) + "/runs of " + std::to_string(run);
              for (int rep = 0; rep < 2; ++rep) {
                const GemmRange r = rep == 0 ? Full(cs) : RandomRange(cs, rng);
                p.ResetC(kSentinel<T>);
                Workspace ws;
                p.Run(Get<T>(table, f), r, ws);
                for (int64_t i = r.item_begin; i < r.item_end; ++i) {
                  for (int64_t row = r.m_begin; row < r.m_end; ++row) {
                    for (int64_t col = r.n_begin; col < r.n_end; ++col) {
                      const T want = testing::ReferenceElement(p.g, p.a.ptr(), p.b.ptr(), i, row, col, nullptr);
                      const T got = p.c.storage[p.c.Index(i, row, col)];
                      ASSERT_TRUE(BitEqual(got, want))
                          << what << " " << Describe(cs) << " C[" << i << "," << row << "," << col << "] got " << got
                          << " want " << want << " seed=" << seed;
                    }
                  }
                }
                int64_t written = 0;
                for (const T& v : p.c.storage) written += !BitEqual(v, kSentinel<T>);
                const int64_t expected =
                    (r.item_end - r.item_begin) * (r.m_end - r.m_begin) * (r.n_end - r.n_begin);
                ASSERT_LE(written, expected) << what << " wrote outside its range, " << Describe(cs);
              }
            }
          }
        }
      }
    }
  }
}

TEST(Kernels, ColumnRunsF32) {
  ForEachTarget("kernels_test", [](const KernelTable& t, const std::string& n) { ColumnRunsSuite<float>(t, n); });
}
TEST(Kernels, ColumnRunsF64) {
  ForEachTarget("kernels_test", [](const KernelTable& t, const std::string& n) { ColumnRunsSuite<double>(t, n); });
}

TEST(KernelTable, EveryEntryValid) {
  const KernelTable& t = Kernels();
  std::printf("[kernels_test] process target %s, compiled: %s\n", t.target_name.c_str(),
              CompiledTargets().c_str());
  EXPECT_NE(CompiledTargets().find(t.target_name), std::string::npos);
  for (Family f : kFamilies) {
    EXPECT_NE(Get<float>(t, f), nullptr) << FamilyName(f);
    EXPECT_NE(Get<double>(t, f), nullptr) << FamilyName(f);
    EXPECT_NE(Get<int32_t>(t, f), nullptr) << FamilyName(f);
    EXPECT_NE(Get<int64_t>(t, f), nullptr) << FamilyName(f);
  }
  KernelTable unused;
  EXPECT_FALSE(KernelTableFor("no-such-target", unused));
}

TEST(Workspace, AlignedAndGrows) {
  Workspace ws;
  void* p1 = ws.Get(100);
  ASSERT_NE(p1, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p1) % 64, 0u);
  EXPECT_EQ(ws.Get(50), p1);  // never shrinks
  void* p2 = ws.Get(1 << 20);
  ASSERT_NE(p2, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p2) % 64, 0u);
  std::memset(p2, 0, 1 << 20);
  EXPECT_EQ(ws.Get(1000), p2);
}

TEST(Kernels, ExactF32) { ForEachTarget("kernels_test", [](const KernelTable& t, const std::string& n) { ExactSweep<float>(t, n); }); }
TEST(Kernels, ExactF64) { ForEachTarget("kernels_test", [](const KernelTable& t, const std::string& n) { ExactSweep<double>(t, n); }); }
TEST(Kernels, ExactI32) { ForEachTarget("kernels_test", [](const KernelTable& t, const std::string& n) { ExactSweep<int32_t>(t, n); }); }
TEST(Kernels, ExactI64) { ForEachTarget("kernels_test", [](const KernelTable& t, const std::string& n) { ExactSweep<int64_t>(t, n); }); }
TEST(Kernels, GemmLayoutsF32) { ForEachTarget("kernels_test", [](const KernelTable& t, const std::string& n) { GemmLayoutSweep<float>(t, n); }); }
TEST(Kernels, GemmLayoutsF64) { ForEachTarget("kernels_test", [](const KernelTable& t, const std::string& n) { GemmLayoutSweep<double>(t, n); }); }
TEST(Kernels, RealF32) { ForEachTarget("kernels_test", [](const KernelTable& t, const std::string& n) { RealSuite<float>(t, n); }); }
TEST(Kernels, RealF64) { ForEachTarget("kernels_test", [](const KernelTable& t, const std::string& n) { RealSuite<double>(t, n); }); }
TEST(Kernels, SplitDeterministicF32) { ForEachTarget("kernels_test", [](const KernelTable& t, const std::string& n) { SplitSuite<float>(t, n); }); }
TEST(Kernels, SplitDeterministicF64) { ForEachTarget("kernels_test", [](const KernelTable& t, const std::string& n) { SplitSuite<double>(t, n); }); }
TEST(Kernels, SplitDeterministicI32) { ForEachTarget("kernels_test", [](const KernelTable& t, const std::string& n) { SplitSuite<int32_t>(t, n); }); }

}  // namespace
}  // namespace batchdot::kernels
