// The batch_dot sweep as batches of row-major GEMMs, shared by the peer
// benchmarks (peers_bench.cpp, interleaved_peers.cpp).
#pragma once

#include <cstdint>

namespace batchdot_bench {

// C_i (m x n) = op(A_i) op(B_i); A_i is m x k (k x m when trans_a), B_i is k x n (n x k when trans_b).
struct GemmCase {
  const char* name;
  int64_t batch, m, n, k;
  bool trans_a, trans_b;
};

inline constexpr GemmCase kGemmSweep[] = {
    {"vecdot_1e6x64", 1000000, 1, 1, 64, false, false},
    {"matvec_4096x128x64", 4096, 128, 1, 64, false, false},
    {"bmm_16384x4", 16384, 4, 4, 4, false, false},
    {"bmm_16384x8", 16384, 8, 8, 8, false, false},
    {"bmm_16384x16", 16384, 16, 16, 16, false, false},
    {"bmm_16384x32", 16384, 32, 32, 32, false, false},
    {"attention_64x512x64x512", 64, 512, 512, 64, false, false},
    {"large_8x1024", 8, 1024, 1024, 1024, false, false},
    {"transposed_256x64", 256, 64, 64, 64, true, true},
};

}  // namespace batchdot_bench
