// StreamStore: writes finished C vectors with non-temporal stores when C is too
// large to stay cached (16384 x 16^3 writes 16 MiB, 16384 x 32^3 64 MiB), so its
// lines are not first read from DRAM (write-allocate). Bound: DRAM write bandwidth.
//
// A destination that is not 64-byte aligned (NumPy gives 16-byte alignment) is
// streamed in whole aligned lines too, each built from two neighbouring vectors
// by a lane permute; only the two ends of a contiguous stretch get masked
// ordinary stores. Values are only moved, never recomputed, so the bits equal
// those of the ordinary store paths. AVX-512 only; other targets (and
// element-misaligned pointers) use ordinary stores. The packed family streams
// only line-aligned C written in one K block (StreamVector per tile row:
// attention 64 x 512 x 64 x 512 10.3 -> 9.65 ms on 1 thread, 5.25 -> 4.9 on 2);
// a misaligned C keeps ordinary stores (joining its 2-vector rows lost 25 %).

#if defined(BATCHDOT_KERNELS_STREAM_STORE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef BATCHDOT_KERNELS_STREAM_STORE_INL_H_
#undef BATCHDOT_KERNELS_STREAM_STORE_INL_H_
#else
#define BATCHDOT_KERNELS_STREAM_STORE_INL_H_
#endif

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <type_traits>

#include "hwy/highway.h"
#include "kernels/machine_constants.hpp"
#include "kernels/strided_gemm.hpp"

#if HWY_ARCH_X86
#include <immintrin.h>
#endif

HWY_BEFORE_NAMESPACE();
namespace batchdot::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Whether this target streams at all (the peeling needs AVX-512 masks and permutes).
inline constexpr bool kCanStream = HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3;

// Whether the call writes enough of a C that is unit-stride along n to stream it.
template <typename T>
HWY_INLINE bool LargeRowMajorC(const StridedGemm& g) {
  return g.c_n_stride == 1 && g.count * g.m * g.n * static_cast<int64_t>(sizeof(T)) >= kStreamMinBytes;
}

// Whether every row of the range's C starts a 64-byte line: its first element,
// the row stride and the item stride are all line multiples.
template <typename T>
HWY_INLINE bool LineAlignedRows(const StridedGemm& g, const GemmRange& r, const T* c) {
  const uintptr_t start = reinterpret_cast<uintptr_t>(c + r.item_begin * g.c_item_stride +
                                                      r.m_begin * g.c_m_stride + r.n_begin * g.c_n_stride);
  return start % 64 == 0 && (static_cast<size_t>(std::llabs(g.c_m_stride)) * sizeof(T)) % 64 == 0 &&
         (static_cast<size_t>(std::llabs(g.c_item_stride)) * sizeof(T)) % 64 == 0;
}

#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
HWY_INLINE void StreamLine(float* p, __m512 v) { _mm512_stream_ps(p, v); }
HWY_INLINE void StreamLine(double* p, __m512d v) { _mm512_stream_pd(p, v); }
// The line that starts with the last `off` lanes of lo and goes on with hi
// (idx[i] = i + N - off picks lanes of the pair lo:hi).
HWY_INLINE __m512 JoinLanes(__m512 lo, __m512i idx, __m512 hi) { return _mm512_permutex2var_ps(lo, idx, hi); }
HWY_INLINE __m512d JoinLanes(__m512d lo, __m512i idx, __m512d hi) { return _mm512_permutex2var_pd(lo, idx, hi); }
HWY_INLINE void StoreFirstLanes(float* p, __m512 v, size_t n) {
  _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << n) - 1), v);
}
HWY_INLINE void StoreFirstLanes(double* p, __m512d v, size_t n) {
  _mm512_mask_storeu_pd(p, static_cast<__mmask8>((1u << n) - 1), v);
}
#endif

// One vector to p, streamed when p is 64-byte aligned on AVX-512 (the caller
// checked), else an ordinary store.
template <class D>
HWY_INLINE void StreamVector(D d, hn::VFromD<D> v, hn::TFromD<D>* HWY_RESTRICT p) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  if constexpr (hn::MaxLanes(D()) * sizeof(hn::TFromD<D>) == 64) {
    StreamLine(p, v.raw);
    return;
  }
#endif
  hn::StoreU(v, d, p);
}

// Streams runs of whole vectors to C. Consecutive runs that continue each
// other (the next run starts where the last one ended, as the rows of a dense C
// do) share their partial lines: the last vector of a run is held back and
// joined with the first of the next, so a misaligned C is streamed in whole
// lines like an aligned one and only the two ends of a discontinuous stretch
// get masked stores (slow on Zen). Flush() writes what is held and fences; call
// it before the kernel returns.
template <class D>
class LineStreamer {
  using T = hn::TFromD<D>;
  static constexpr size_t N = hn::MaxLanes(D());

 public:
  // Whether runs of this vector type can stream (AVX-512, whole 64-byte vectors).
  static constexpr bool kActive = kCanStream && N * sizeof(T) == 64;

  ~LineStreamer() { Flush(); }

  // Stores v[0, V) to the contiguous p[0, V * N).
  template <size_t V>
  HWY_INLINE void Store(D d, const hn::VFromD<D>* v, T* HWY_RESTRICT p) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
    if constexpr (kActive) {
      const uintptr_t addr = reinterpret_cast<uintptr_t>(p);
      if (addr % 64 == 0) {
        WriteHeld();
        for (size_t i = 0; i < V; ++i) StreamLine(p + i * N, v[i].raw);
        streamed_ = true;
        return;
      }
      if (addr % sizeof(T) == 0) {
        const size_t off = (addr % 64) / sizeof(T);  // lanes p lies past a line start
        if (held_ && p != next_) WriteHeld();
        if (!held_ || off != off_) {
          off_ = off;
          idx_ = LaneIndices(N - off);
          // A new stretch: the lanes before the first whole line.
          StoreFirstLanes(p, v[0].raw, N - off);
        } else {
          StreamLine(p - off, JoinLanes(pending_, idx_, v[0].raw));
        }
        T* line = p + (N - off);
        for (size_t i = 0; i + 1 < V; ++i) StreamLine(line + i * N, JoinLanes(v[i].raw, idx_, v[i + 1].raw));
        pending_ = v[V - 1].raw;
        next_ = p + V * N;
        held_ = streamed_ = true;
        return;
      }
    }
#endif
    for (size_t i = 0; i < V; ++i) hn::StoreU(v[i], d, p + i * N);
  }

  // Notes stream stores made directly (StreamVector), so Flush() fences them.
  HWY_INLINE void Streamed() { streamed_ = true; }

  // Writes the held lanes (the start of a line the next run did not fill) and
  // orders the stream stores before whatever this thread does next.
  HWY_INLINE void Flush() {
    WriteHeld();
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
    if (streamed_) _mm_sfence();
#endif
    streamed_ = false;
  }

 private:
  HWY_INLINE void WriteHeld() {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
    if constexpr (kActive) {
      if (held_) StoreFirstLanes(next_ - off_, JoinLanes(pending_, idx_, pending_), off_);
    }
#endif
    held_ = false;
  }

#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  static __m512i LaneIndices(size_t shift) {
    if constexpr (sizeof(T) == 4) {
      return _mm512_add_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                              _mm512_set1_epi32(static_cast<int>(shift)));
    } else {
      return _mm512_add_epi64(_mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0),
                              _mm512_set1_epi64(static_cast<int64_t>(shift)));
    }
  }
  std::conditional_t<sizeof(T) == 4, __m512, __m512d> pending_{};
  __m512i idx_{};
#endif
  T* next_ = nullptr;
  size_t off_ = 0;
  bool held_ = false, streamed_ = false;
};

}  // namespace HWY_NAMESPACE
}  // namespace batchdot::kernels
HWY_AFTER_NAMESPACE();

#endif  // BATCHDOT_KERNELS_STREAM_STORE_INL_H_ toggle
