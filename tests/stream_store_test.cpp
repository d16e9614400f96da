// Stream stores (src/kernels/stream_store-inl.h) through the small family: C
// large enough to stream (>= 8 MiB), rows that fit 1-4 vectors exactly, row
// counts around the register groups, outputs at every offset from a 64-byte
// line (aligned, +1 element, +16 bytes, +60 bytes), sub-ranges and splits as
// threads get them. Exact inputs: bitwise equal to the naive reference, nothing
// written outside the range. Runs on every target (only AVX-512 streams; the
// others must give the same bits through ordinary stores).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "kernel_test_util.hpp"
#include "kernels/kernel_table.hpp"

namespace batchdot::kernels {
namespace {

using testing::BitEqual;
using testing::ForEachTarget;
using testing::FillExact;

template <typename T>
constexpr T kSentinel = static_cast<T>(-777);

// Items x m x n, contiguous, C starting `offset_bytes` past a 64-byte boundary.
template <typename T>
struct Batch {
  StridedGemm g;
  std::vector<T> a, b;
  std::vector<T> c_storage;
  size_t c_base;
  Batch(int64_t count, int64_t m, int64_t n, int64_t k, size_t offset_bytes, uint64_t seed) {
    g.count = count;
    g.m = m;
    g.n = n;
    g.k = k;
    g.a_item_stride = m * k, g.a_m_stride = k, g.a_k_stride = 1;
    g.b_item_stride = k * n, g.b_k_stride = n, g.b_n_stride = 1;
    g.c_item_stride = m * n, g.c_m_stride = n, g.c_n_stride = 1;
    a.resize(static_cast<size_t>(count * m * std::max<int64_t>(k, 1)));
    b.resize(static_cast<size_t>(count * std::max<int64_t>(k, 1) * n));
    std::mt19937_64 rng(seed);
    FillExact(a, rng);
    FillExact(b, rng);
    // 64 guard elements before and after; the base lands offset_bytes past a line.
    c_storage.assign(static_cast<size_t>(count * m * n) + 256, kSentinel<T>);
    const uintptr_t start = reinterpret_cast<uintptr_t>(c_storage.data()) + 64 * sizeof(T);
    const uintptr_t aligned = (start + 63) / 64 * 64 + offset_bytes;
    c_base = (aligned - reinterpret_cast<uintptr_t>(c_storage.data())) / sizeof(T);
  }
  T* c() { return c_storage.data() + c_base; }
  void Reset() { std::fill(c_storage.begin(), c_storage.end(), kSentinel<T>); }
};

template <typename T>
void Check(Batch<T>& p, const GemmRange& r, const std::string& what) {
  int failures = 0;
  for (size_t idx = 0; idx < p.c_storage.size(); ++idx) {
    const int64_t rel = static_cast<int64_t>(idx) - static_cast<int64_t>(p.c_base);
    const int64_t items = p.g.m * p.g.n;
    const bool in_c = rel >= 0 && rel < p.g.count * items;
    const int64_t i = in_c ? rel / items : -1, m = in_c ? rel % items / p.g.n : -1, n = in_c ? rel % p.g.n : -1;
    const bool in_range = in_c && i >= r.item_begin && i < r.item_end && m >= r.m_begin && m < r.m_end &&
                          n >= r.n_begin && n < r.n_end;
    const T want = in_range ? testing::ReferenceElement(p.g, p.a.data(), p.b.data(), i, m, n, nullptr)
                            : kSentinel<T>;
    if (!BitEqual(p.c_storage[idx], want) && ++failures <= 3) {
      ADD_FAILURE() << what << ": storage index " << idx << " (item " << i << " row " << m << " col " << n
                    << ") got " << p.c_storage[idx] << " want " << want;
    }
  }
}

template <typename T>
void StreamSuite(const KernelTable& table, const std::string& target) {
  GemmKernel<T> small = nullptr;
  if constexpr (std::is_same_v<T, float>) {
    small = table.f32.small;
  } else {
    small = table.f64.small;
  }
  ASSERT_NE(small, nullptr);
  // (m, n, k): one vector per row (16 f32 / 8 f64), two, four; m around 8/12/16-row groups.
  const int64_t shapes[][3] = {{16, 16, 16}, {32, 32, 32}, {13, 16, 5}, {17, 32, 1}, {7, 32, 3},
                               {3, 16, 0}, {5, 8, 2}, {33, 16, 9}};
  const size_t offsets[] = {0, sizeof(T), 16, 60 / sizeof(T) * sizeof(T)};
  uint64_t seed = 4242;
  std::mt19937_64 rng(seed);
  for (const auto& sh : shapes) {
    const int64_t m = sh[0], n = sh[1], k = sh[2];
    // Just above the streaming threshold (8 MiB of C).
    const int64_t count = (int64_t{8} << 20) / static_cast<int64_t>(m * n * sizeof(T)) + 3;
    for (size_t off : offsets) {
      Batch<T> p(count, m, n, k, off, ++seed);
      const std::string what = target + " small m=" + std::to_string(m) + " n=" + std::to_string(n) +
                               " k=" + std::to_string(k) + " offset=" + std::to_string(off) + "B";
      Workspace ws;
      const GemmRange full{0, count, 0, m, 0, n};
      small(p.g, full, p.a.data(), p.b.data(), p.c(), ws);
      Check(p, full, what + " full");
      const std::vector<T> whole = p.c_storage;
      // A thread's share: items and rows cut anywhere, then the pieces of a split.
      p.Reset();
      const int64_t i0 = static_cast<int64_t>(rng() % count), i1 = i0 + 1 + static_cast<int64_t>(rng() % (count - i0));
      const int64_t m0 = static_cast<int64_t>(rng() % m);
      const GemmRange part{i0, i1, m0, m, 0, n};
      small(p.g, part, p.a.data(), p.b.data(), p.c(), ws);
      Check(p, part, what + " part");
      p.Reset();
      const int64_t cut = 1 + static_cast<int64_t>(rng() % (count - 1));
      small(p.g, {0, cut, 0, m, 0, n}, p.a.data(), p.b.data(), p.c(), ws);
      small(p.g, {cut, count, 0, m, 0, n}, p.a.data(), p.b.data(), p.c(), ws);
      EXPECT_TRUE(p.c_storage == whole) << what << ": split at item " << cut << " changed C";
      if (::testing::Test::HasFailure()) return;
    }
  }
}

TEST(StreamStore, SmallF32) {
  ForEachTarget("stream_store_test", [](const KernelTable& t, const std::string& n) { StreamSuite<float>(t, n); });
}
TEST(StreamStore, SmallF64) {
  ForEachTarget("stream_store_test", [](const KernelTable& t, const std::string& n) { StreamSuite<double>(t, n); });
}

}  // namespace
}  // namespace batchdot::kernels
