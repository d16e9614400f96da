// Parsing `run`'s options: one definition for the CLI and the MPI tool.
#include "batchdot/run_options.hpp"

#include <unistd.h>

#include <charconv>
#include <optional>
#include <string_view>
#include <vector>

#include "batchdot/cli_util.hpp"

namespace batchdot::cli {
namespace {

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

}  // namespace

AxesArg ToAxesArg(const std::string& text) {
  if (text.empty()) return {};
  const std::vector<int64_t> axes = *ParseAxes(text);  // validated while parsing
  return axes.size() == 1 ? AxesArg(axes[0]) : AxesArg(axes[0], axes[1]);
}

bool ShowProgress(const RunOptions& options) {
  if (options.quiet) return false;
  return options.progress || isatty(STDERR_FILENO) == 1;
}

void AddRunOptions(CLI::App& app, RunOptions& options) {
  app.add_option("X.npy", options.x_path,
                 "First operand (.npy: float32, float64, int32, int64, float16, complex64, "
                 "complex128, and bfloat16 with --bf16; any version, byte order or layout)")
      ->required();
  app.add_option("Y.npy", options.y_path, "Second operand (.npy)")->required();
  app.add_option("-o,--output", options.output_path,
                 "Result (.npy, little-endian C order); computed in batch chunks into a "
                 "pre-sized unnamed file in the same folder (a hidden .NAME.tmp.PID.* file where "
                 "the file system has no O_TMPFILE), synced, then given its name")
      ->required();
  app.add_option("--axes", options.axes_text,
                 "Contracted axes: A (both operands) or A,B; negative values count from the end. "
                 "Default: the front end's (last axis of X with the second-to-last of Y)")
      ->check(CLI::Validator(
          [](const std::string& text) {
            return ParseAxes(text) ? std::string()
                                   : "expected an integer A or a pair A,B, got '" + text + "'";
          },
          "A|A,B", "axes"));
  app.add_option("--api", options.api, "Which framework's rules to follow")
      ->check(CLI::IsMember({"keras", "mindspore"}))
      ->capture_default_str();
  app.add_option("-t,--threads", options.threads,
                 "Worker threads; default BATCHDOT_NUM_THREADS, then OMP_NUM_THREADS, then all CPUs")
      ->check(ThreadCountValidator());
  app.add_flag(
      "--reference", options.reference,
      "Use the naive reference loop (a slow cross-check) instead of the optimised kernels "
      "(complex64/complex128 always run on it)");
  app.add_flag("--allow-trailing", options.allow_trailing,
               "Accept input files with bytes after the data");
  app.add_flag("--bf16", options.bf16, "Read inputs with descr '<V2' or 'bfloat16' as bfloat16");
  CLI::Option* progress = app.add_flag(
      "--progress", options.progress,
      "Print progress (items done, rate, time left) on stderr even when it is not a terminal");
  app.add_flag("-q,--quiet", options.quiet, "Never print progress")->excludes(progress);
  app.add_flag("--no-space-margin", options.no_space_margin,
               "Write the result even if it leaves less than the larger of 1% of the file system "
               "and 256 MiB free (the margin is never more than the file system's size)");
  // Hidden (empty group): measurement and test aids, not part of the interface.
  app.add_flag("--in-memory", options.in_memory,
               "Compute the whole result in memory, then write it")
      ->group("");
  app.add_option("--chunk-bytes", options.chunk_bytes, "Out-of-core memory budget per chunk")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40))
      ->group("");
  app.add_flag("--named-temporary", options.named_temporary,
               "Write through the named temporary even where O_TMPFILE works")
      ->group("");
}

}  // namespace batchdot::cli
