// `batchdot run X.npy Y.npy -o OUT.npy [--axes A | --axes A,B] [--api keras|mindspore]
//  [--threads N] [--reference]`: one batch_dot from .npy files to a .npy file.
#include <charconv>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "batchdot/batchdot.hpp"
#include "batchdot/commands.hpp"
#include "io/npy.hpp"

namespace batchdot::cli {
namespace {

struct RunOptions {
  std::string x_path, y_path, output_path;
  std::string axes_text;  // empty: the front end's default axes
  std::string api = "keras";
  int threads = 0;
  bool reference = false;
  bool allow_trailing = false;
  bool bf16 = false;
};

std::optional<int64_t> ParseInteger(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// "A" or "A,B" (negative axes allowed, Keras' meaning); nullopt for anything else.
std::optional<std::vector<int64_t>> ParseAxes(const std::string& text) {
  std::vector<int64_t> axes;
  size_t start = 0;
  for (;;) {
    const size_t comma = text.find(',', start);
    const std::optional<int64_t> axis =
        ParseInteger(std::string_view(text).substr(start, comma - start));
    if (!axis) return std::nullopt;
    axes.push_back(*axis);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (axes.size() > 2) return std::nullopt;
  return axes;
}

AxesArg ToAxesArg(const std::string& text) {
  if (text.empty()) return {};
  const std::vector<int64_t> axes = *ParseAxes(text);  // validated while parsing
  return axes.size() == 1 ? AxesArg(axes[0]) : AxesArg(axes[0], axes[1]);
}

void Run(const RunOptions& run) {
  io::NpyReadOptions read_options;
  read_options.allow_trailing = run.allow_trailing;
  read_options.accept_bfloat16 = run.bf16;
  const io::NpyArray x = io::ReadNpy(run.x_path, read_options);
  const io::NpyArray y = io::ReadNpy(run.y_path, read_options);
  const AxesArg axes = ToAxesArg(run.axes_text);
  Options options;
  options.num_threads = run.threads;

  const bool mindspore = run.api == "mindspore";
  Tensor result;
  if (run.reference) {
    const Contraction contraction = mindspore
                                        ? batchdot::mindspore::Resolve(x.view(), y.view(), axes)
                                        : batchdot::keras::Resolve(x.view(), y.view(), axes);
    result = Tensor(contraction.dtype, contraction.output_shape);
    ReferenceExecute(contraction, x.view(), y.view(), result.mutable_view());
  } else if (mindspore) {
    result = batchdot::mindspore::batch_dot(x.view(), y.view(), axes, options);
  } else {
    result = batchdot::keras::batch_dot(x.view(), y.view(), axes, options);
  }
  io::WriteNpy(run.output_path, result.view());
}

}  // namespace

Command AddRunCommand(CLI::App& parent) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* app = parent.add_subcommand(
      "run", "Compute batch_dot(X, Y) of two .npy files and write the result to a .npy file");
  app->add_option("X.npy", options->x_path,
                  "First operand (.npy: float32, float64, int32, int64, float16, "
                  "complex64, complex128; any version, byte order or layout)")
      ->required();
  app->add_option("Y.npy", options->y_path, "Second operand (.npy)")->required();
  app->add_option("-o,--output", options->output_path,
                  "Result (.npy, little-endian C order); written to a temporary file, then renamed")
      ->required();
  app->add_option("--axes", options->axes_text,
                  "Contracted axes: A (both operands) or A,B; negative values count from the end. "
                  "Default: the front end's (last axis of X with the second-to-last of Y)")
      ->check(CLI::Validator(
          [](const std::string& text) {
            return ParseAxes(text) ? std::string()
                                   : "expected an integer A or a pair A,B, got '" + text + "'";
          },
          "A|A,B", "axes"));
  app->add_option("--api", options->api, "Which framework's rules to follow")
      ->check(CLI::IsMember({"keras", "mindspore"}))
      ->capture_default_str();
  app->add_option(
         "-t,--threads", options->threads,
         "Worker threads; 0 uses BATCHDOT_NUM_THREADS, then OMP_NUM_THREADS, then all CPUs")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  app->add_flag(
      "--reference", options->reference,
      "Use the naive reference implementation (a slow cross-check) instead of the fast path");
  app->add_flag("--allow-trailing", options->allow_trailing,
                "Accept input files with bytes after the data");
  app->add_flag("--bf16", options->bf16, "Read inputs with descr '<V2' or 'bfloat16' as bfloat16");
  return {app, [options] { Run(*options); }};
}

}  // namespace batchdot::cli
