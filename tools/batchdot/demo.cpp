// `batchdot demo`: the two examples of the seed document, checked against the
// reference implementation, then a short timing of the first.
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

#include "batchdot/batchdot.hpp"
#include "batchdot/cli_util.hpp"
#include "batchdot/commands.hpp"

namespace batchdot::cli {
namespace {

// Deterministic values in [-2, 2] that are multiples of 1/8: every product is a
// multiple of 1/64 and every sum of 5 of them is exact in float32, so the fast
// path must equal the reference bit for bit on any SIMD target.
Tensor ExactPseudoRandom(std::vector<int64_t> shape, uint64_t seed) {
  Tensor tensor(DType::kFloat32, std::move(shape));
  uint64_t state = seed;
  float* values = tensor.data_as<float>();
  for (int64_t i = 0; i < tensor.num_elements(); ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;  // Knuth's MMIX LCG
    values[i] = static_cast<float>(static_cast<int>((state >> 33) % 33) - 16) / 8.0f;
  }
  return tensor;
}

double Sum(const Tensor& tensor) {
  double sum = 0;
  for (int64_t i = 0; i < tensor.num_elements(); ++i) sum += tensor.data_as<float>()[i];
  return sum;
}

struct ExampleOne {
  Tensor x = ExactPseudoRandom({10, 12, 4, 5}, 1);
  Tensor y = ExactPseudoRandom({10, 12, 5, 8}, 2);
};

void SeedExampleOne(const ExampleOne& example, const Options& options) {
  std::printf("Example 1: keras batch_dot, default axes\n");
  const TensorView x = example.x.view(), y = example.y.view();
  const Tensor fast = keras::batch_dot(x, y, AxesArg(), options);
  const Contraction contraction = keras::Resolve(x, y);
  Tensor reference(contraction.dtype, contraction.output_shape);
  ReferenceExecute(contraction, x, y, reference.mutable_view());
  std::printf("  x %s float32 . y %s float32 -> %s\n", ShapeText(x.shape).c_str(),
              ShapeText(y.shape).c_str(), ShapeText(fast.shape()).c_str());
  std::printf("  inputs: fixed pseudo-random multiples of 1/8 in [-2, 2] (seeds 1 and 2), not the seed's ones\n");
  std::printf("  checksum of the result (sum of all %lld elements): %.6f\n",
              static_cast<long long>(fast.num_elements()), Sum(fast));
  const bool same =
      fast.shape() == reference.shape() &&
      std::memcmp(fast.data(), reference.data(), fast.num_elements() * sizeof(float)) == 0;
  if (!same)
    throw std::runtime_error("demo: the fast path differs from ReferenceExecute on example 1");
  std::printf("  equals ReferenceExecute bit for bit: yes\n");
}

void TimeExampleOne(const ExampleOne& example, const Options& options) {
  const TensorView x = example.x.view(), y = example.y.view();
  const Contraction contraction = keras::Resolve(x, y);
  Tensor out(contraction.dtype, contraction.output_shape);
  // Both write into the same preallocated output, so neither pays for allocation.
  const CallTiming fast =
      TimeCalls([&] { keras::batch_dot(x, y, AxesArg(), out.mutable_view(), options); });
  const CallTiming reference =
      TimeCalls([&] { ReferenceExecute(contraction, x, y, out.mutable_view()); });
  const int threads = options.num_threads > 0 ? options.num_threads : GetNumThreads();
  std::printf("Timing of example 1 (median per call, %d thread%s):\n", threads, threads == 1 ? "" : "s");
  std::printf("  fast path          %9.2f us  (%d calls)\n", fast.median_us, fast.samples);
  std::printf("  ReferenceExecute   %9.2f us  (%d calls)\n", reference.median_us,
              reference.samples);
  std::printf("  speedup            %9.1fx\n", reference.median_us / fast.median_us);
}

void SeedExampleTwo() {
  std::printf("Example 2: mindspore batch_dot, axes (1, 2)\n");
  Tensor x(DType::kFloat32, {2, 2}), y(DType::kFloat32, {2, 3, 2});
  for (int64_t i = 0; i < x.num_elements(); ++i) x.data_as<float>()[i] = 1.0f;
  for (int64_t i = 0; i < y.num_elements(); ++i) y.data_as<float>()[i] = 1.0f;
  const Tensor out = mindspore::batch_dot(x.view(), y.view(), AxesArg(1, 2));
  std::printf("  ones%s . ones%s -> %s\n  ", ShapeText(x.shape()).c_str(),
              ShapeText(y.shape()).c_str(), ShapeText(out.shape()).c_str());
  const float* values = out.data_as<float>();
  const int64_t rows = out.shape().at(0), cols = out.shape().at(1);
  for (int64_t i = 0; i < rows; ++i) {
    std::printf("%s[", i == 0 ? "[" : "");
    for (int64_t j = 0; j < cols; ++j) std::printf("%s%g", j ? ", " : "", values[i * cols + j]);
    std::printf("]%s", i + 1 == rows ? "]\n" : ",\n   ");
  }
  for (int64_t i = 0; i < out.num_elements(); ++i) {
    if (values[i] != 2.0f) throw std::runtime_error("demo: example 2 should give 2.0 everywhere");
  }
}

}  // namespace

Command AddDemoCommand(CLI::App& parent) {
  auto threads = std::make_shared<int>(0);
  CLI::App* app =
      parent.add_subcommand("demo", "Run the seed examples, check them and time the first");
  app->add_option("-t,--threads", *threads,
                  "Worker threads; default BATCHDOT_NUM_THREADS, then OMP_NUM_THREADS, then all CPUs")
      ->check(ThreadCountValidator());
  return {app, [threads] {
            Options options;
            options.num_threads = *threads;
            const ExampleOne example;
            SeedExampleOne(example, options);
            std::printf("\n");
            SeedExampleTwo();
            std::printf("\n");
            TimeExampleOne(example, options);
          }};
}

}  // namespace batchdot::cli
