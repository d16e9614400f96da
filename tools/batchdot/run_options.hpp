// The options of `batchdot run`, shared by the CLI and `batchdot-mpi run` so that
// both accept exactly the same command line.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "batchdot/axes.hpp"

namespace batchdot::cli {

struct RunOptions {
  std::string x_path, y_path, output_path;
  std::string axes_text;  // empty: the front end's default axes
  std::string api = "keras";
  int threads = 0;
  bool reference = false;
  bool allow_trailing = false;
  bool bf16 = false;
  bool progress = false;  // force progress lines even when stderr is not a terminal
  bool quiet = false;     // never print progress
  bool no_space_margin = false;  // accept a result that leaves less than the margin free
  // Hidden, for tests and measurements: the whole result in memory (the old
  // path), and the out-of-core chunk budget in bytes.
  bool in_memory = false;
  int64_t chunk_bytes = 0;  // 0: the default budget
  bool named_temporary = false;  // never the unnamed O_TMPFILE (tests of the fallback)
};

// Adds the operands, -o and every run option to `app` (a `run` subcommand).
void AddRunOptions(CLI::App& app, RunOptions& options);

// The parsed --axes text as the front ends take it (empty text: default axes).
AxesArg ToAxesArg(const std::string& text);

// Whether progress goes to stderr: --quiet wins, then --progress, then "stderr is a terminal".
bool ShowProgress(const RunOptions& options);

}  // namespace batchdot::cli
