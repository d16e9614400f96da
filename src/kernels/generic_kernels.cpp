// Portable strided kernels: any shape and any strides (the `generic` family for
// all dtypes) plus the integer dot/GEMM families. Bound: scalar ALU/FMA.
#include "kernels/generic_kernels.hpp"

#include <algorithm>
#include <type_traits>

namespace batchdot::kernels {
namespace {

// Signed overflow is UB in C++, so integer products are formed in the unsigned
// type of the same width, which wraps modulo 2^bits exactly like two's complement.
template <typename T, bool kInt = std::is_integral_v<T>>
struct AccOf {
  using type = T;
};
template <typename T>
struct AccOf<T, true> {
  using type = std::make_unsigned_t<T>;
};
template <typename T>
using Acc = typename AccOf<T>::type;

template <typename T>
inline Acc<T> MulAcc(Acc<T> acc, T x, T y) {
  return static_cast<Acc<T>>(acc + static_cast<Acc<T>>(x) * static_cast<Acc<T>>(y));
}

}  // namespace

template <typename T>
void GenericStridedGemm(const StridedGemm& g, const GemmRange& r, const T* a, const T* b, T* c,
                        Workspace& /*ws*/) noexcept {
  for (int64_t i = r.item_begin; i < r.item_end; ++i) {
    const T* ai = a + i * g.a_item_stride;
    const T* bi = b + i * g.b_item_stride;
    T* ci = c + i * g.c_item_stride;
    for (int64_t m = r.m_begin; m < r.m_end; ++m) {
      const T* am = ai + m * g.a_m_stride;
      for (int64_t n = r.n_begin; n < r.n_end; ++n) {
        const T* bn = bi + n * g.b_n_stride;
        Acc<T> acc = 0;
        for (int64_t k = 0; k < g.k; ++k) acc = MulAcc<T>(acc, am[k * g.a_k_stride], bn[k * g.b_k_stride]);
        ci[m * g.c_m_stride + n * g.c_n_stride] = static_cast<T>(acc);
      }
    }
  }
}

// Integer addition modulo 2^bits is associative, so any summation order gives
// the same bits; the loops are arranged only so that they vectorise.
template <typename T>
void IntBatchedDot(const StridedGemm& g, const GemmRange& r, const T* a, const T* b, T* c,
                   Workspace& ws) noexcept {
  if (g.n != 1 || g.a_k_stride != 1 || g.b_k_stride != 1) {
    IntBatchedGemm<T>(g, r, a, b, c, ws);
    return;
  }
  if (r.n_begin >= r.n_end) return;
  using U = Acc<T>;
  for (int64_t i = r.item_begin; i < r.item_end; ++i) {
    const T* bi = b + i * g.b_item_stride;
    for (int64_t m = r.m_begin; m < r.m_end; ++m) {
      const T* am = a + i * g.a_item_stride + m * g.a_m_stride;
      U acc = 0;
      for (int64_t k = 0; k < g.k; ++k) acc += static_cast<U>(am[k]) * static_cast<U>(bi[k]);
      c[i * g.c_item_stride + m * g.c_m_stride] = static_cast<T>(acc);
    }
  }
}

template <typename T>
void IntBatchedGemm(const StridedGemm& g, const GemmRange& r, const T* a, const T* b, T* c,
                    Workspace& ws) noexcept {
  if (g.b_n_stride != 1 && g.n != 1) {
    GenericStridedGemm<T>(g, r, a, b, c, ws);
    return;
  }
  using U = Acc<T>;
  // A row of C is accumulated in a stack chunk (axpy over n for each k), which
  // vectorises over the unit-stride n of B and keeps C writes to one per element.
  constexpr int64_t kChunk = 256;
  U acc[kChunk];
  for (int64_t i = r.item_begin; i < r.item_end; ++i) {
    const T* ai = a + i * g.a_item_stride;
    const T* bi = b + i * g.b_item_stride;
    T* ci = c + i * g.c_item_stride;
    for (int64_t m = r.m_begin; m < r.m_end; ++m) {
      const T* am = ai + m * g.a_m_stride;
      T* cm = ci + m * g.c_m_stride;
      for (int64_t n0 = r.n_begin; n0 < r.n_end; n0 += kChunk) {
        const int64_t nn = std::min(kChunk, r.n_end - n0);
        std::fill(acc, acc + nn, U(0));
        for (int64_t k = 0; k < g.k; ++k) {
          const U av = static_cast<U>(am[k * g.a_k_stride]);
          const T* bk = bi + k * g.b_k_stride + n0 * g.b_n_stride;
          for (int64_t j = 0; j < nn; ++j) acc[j] += av * static_cast<U>(bk[j]);
        }
        for (int64_t j = 0; j < nn; ++j) cm[(n0 + j) * g.c_n_stride] = static_cast<T>(acc[j]);
      }
    }
  }
}

template void GenericStridedGemm<float>(const StridedGemm&, const GemmRange&, const float*,
                                        const float*, float*, Workspace&) noexcept;
template void GenericStridedGemm<double>(const StridedGemm&, const GemmRange&, const double*,
                                         const double*, double*, Workspace&) noexcept;

#define BATCHDOT_INSTANTIATE_INT(T)                                                           \
  template void GenericStridedGemm<T>(const StridedGemm&, const GemmRange&, const T*, const T*, \
                                      T*, Workspace&) noexcept;                               \
  template void IntBatchedDot<T>(const StridedGemm&, const GemmRange&, const T*, const T*, T*, \
                                 Workspace&) noexcept;                                        \
  template void IntBatchedGemm<T>(const StridedGemm&, const GemmRange&, const T*, const T*, T*, \
                                  Workspace&) noexcept;

BATCHDOT_INSTANTIATE_INT(int32_t)
BATCHDOT_INSTANTIATE_INT(int64_t)
#undef BATCHDOT_INSTANTIATE_INT

}  // namespace batchdot::kernels
