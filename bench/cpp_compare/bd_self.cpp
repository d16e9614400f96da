// batchdot's public C++ API on the peers' sweep (same case names as bd_bench.cpp).
// Usage: bd_self THREADS  ->  CSV: case,backend,variant,threads,median_us,min_us,max_us
// The tiny case and the seed also run through the prepared-plan API:
//   batchdot::Prepared p = batchdot::Prepare(contraction, x_view, y_view, out_view, options);
//   p.Run(x_data, y_data, out_data);
// Copied from the dev aid ../shared/tools/peers/self/bd_self.cpp.
#include <batchdot/batchdot.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "bench_util.h"

namespace {

struct Case {
  std::string name;
  std::vector<int64_t> x_shape, y_shape;
  bool has_axes;
  int64_t a0, a1;
  batchdot::DType dtype;
};

size_t Count(const std::vector<int64_t>& s) {
  size_t n = 1;
  for (int64_t d : s) n *= static_cast<size_t>(d);
  return n;
}

std::vector<Case> Cases() {
  using batchdot::DType;
  std::vector<Case> v;
  v.push_back({"seed", {10, 12, 4, 5}, {10, 12, 5, 8}, false, 0, 0, DType::kFloat32});
  v.push_back({"tiny_2x2_2x3x2", {2, 2}, {2, 3, 2}, true, 1, 2, DType::kFloat32});
  v.push_back({"vecdot_B1e6_D64", {1000000, 64}, {1000000, 64}, true, 1, 1, DType::kFloat32});
  v.push_back({"matvec_B4096_N128_D64", {4096, 128, 64}, {4096, 64}, false, 0, 0, DType::kFloat32});
  for (int64_t s : {4, 8, 16, 32})
    v.push_back({"bmm_B16384_" + std::to_string(s), {16384, s, s}, {16384, s, s}, true, 2, 1, DType::kFloat32});
  v.push_back({"attn_64x512x64x512", {64, 512, 64}, {64, 64, 512}, true, 2, 1, DType::kFloat32});
  v.push_back({"large_8x1024^3", {8, 1024, 1024}, {8, 1024, 1024}, true, 2, 1, DType::kFloat32});
  v.push_back({"transposed_B256_64", {256, 64, 64}, {256, 64, 64}, true, 1, 2, DType::kFloat32});
  // half precision against batchdot's own float32 on the same shapes
  v.push_back({"attn_64x512x64x512_bf16", {64, 512, 64}, {64, 64, 512}, true, 2, 1, DType::kBFloat16});
  v.push_back({"attn_64x512x64x512_f16", {64, 512, 64}, {64, 64, 512}, true, 2, 1, DType::kFloat16});
  v.push_back({"large_8x1024^3_bf16", {8, 1024, 1024}, {8, 1024, 1024}, true, 2, 1, DType::kBFloat16});
  return v;
}

uint16_t ToBf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return static_cast<uint16_t>((u + 0x7FFF + ((u >> 16) & 1)) >> 16);
}

uint16_t ToF16(float f) {  // inputs are in [-1, 1]: normal or zero halves
  uint32_t u;
  std::memcpy(&u, &f, 4);
  const uint32_t sign = (u >> 16) & 0x8000;
  const int exp = static_cast<int>((u >> 23) & 0xFF) - 127 + 15;
  if (exp <= 0) return static_cast<uint16_t>(sign);
  return static_cast<uint16_t>(sign | (exp << 10) | ((u >> 13) & 0x3FF));
}

void* FillInput(const Case& c, const std::vector<int64_t>& shape, unsigned seed) {
  const size_t n = Count(shape);
  float* f = alloc_aligned<float>(n);
  fill_random(f, n, seed);
  if (c.dtype == batchdot::DType::kFloat32) return f;
  uint16_t* h = alloc_aligned<uint16_t>(n);
  for (size_t i = 0; i < n; ++i) h[i] = c.dtype == batchdot::DType::kBFloat16 ? ToBf16(f[i]) : ToF16(f[i]);
  free(f);
  return h;
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  batchdot::Options options;
  options.num_threads = threads;
  std::printf("case,backend,variant,threads,median_us,min_us,max_us\n");
  for (const Case& c : Cases()) {
    if (argc > 2 && c.name.find(argv[2]) == std::string::npos) continue;
    void* x = FillInput(c, c.x_shape, 11);
    void* y = FillInput(c, c.y_shape, 12);
    const auto xs = batchdot::ContiguousStrides(c.x_shape), ys = batchdot::ContiguousStrides(c.y_shape);
    const batchdot::TensorView xv{x, c.dtype, c.x_shape, xs}, yv{y, c.dtype, c.y_shape, ys};
    const batchdot::AxesArg axes = c.has_axes ? batchdot::AxesArg(c.a0, c.a1) : batchdot::AxesArg();
    batchdot::Contraction contraction;
    try {
      contraction = batchdot::keras::Resolve(xv, yv, axes);
    } catch (const std::exception& e) {
      std::printf("%s,batchdot,error,%d,nan,nan,nan\n", c.name.c_str(), threads);
      continue;
    }
    const std::vector<int64_t> out_shape = contraction.output_shape;
    const auto os = batchdot::ContiguousStrides(out_shape);
    const size_t out_bytes = Count(out_shape) * batchdot::SizeOf(contraction.dtype);
    void* out = alloc_aligned<unsigned char>(out_bytes);
    std::memset(out, 0, out_bytes);
    const batchdot::MutableTensorView ov{out, contraction.dtype, out_shape, os};
    auto call = [&] { batchdot::keras::batch_dot(xv, yv, axes, ov, options); };
    // Skip what would take minutes (e.g. half precision still on a naive kernel).
    const double t0 = now_s();
    call();
    const double first = now_s() - t0;
    if (first > 2.0) {
      std::printf("%s,batchdot,too-slow,%d,%.1f,nan,nan\n", c.name.c_str(), threads, first * 1e6);
      continue;
    }
    const double flops = 2.0 * static_cast<double>(Count(out_shape)) * static_cast<double>(c.x_shape[c.has_axes ? c.a0 : c.x_shape.size() - 1]);
    const Stats s = time_it(call, flops > 5e9 ? 5 : 9);
    std::printf("%s,batchdot,out=,%d,%.3f,%.3f,%.3f\n", c.name.c_str(), threads, s.median * 1e6, s.min * 1e6,
                s.max * 1e6);
    if (c.name.rfind("tiny", 0) == 0 || c.name == "seed") {
      batchdot::Prepared prepared = batchdot::Prepare(contraction, xv, yv, ov, options);
      auto run = [&] { prepared.Run(x, y, out); };
      const Stats p = time_it(run, 9);
      std::printf("%s,batchdot,prepared,%d,%.3f,%.3f,%.3f\n", c.name.c_str(), threads, p.median * 1e6, p.min * 1e6,
                  p.max * 1e6);
    }
    std::fflush(stdout);
  }
  return 0;
}
