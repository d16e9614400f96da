// The subcommands of the `batchdot` tool. Each lives in its own file and is
// registered by one factory listed in main.cpp.
//
// To add a subcommand `x`: write x.cpp defining `Command AddXCommand(CLI::App&)`,
// declare it here and add it to kCommandFactories in main.cpp.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace batchdot::cli {

// A registered subcommand and what to do when the command line selected it.
// `run` reports failures by throwing (batchdot::Error or any std::exception);
// main() turns them into one "batchdot: error:" line and exit status 1.
struct Command {
  CLI::App* app = nullptr;
  std::function<void()> run;
};

using CommandFactory = Command (*)(CLI::App& parent);

Command AddRunCommand(CLI::App& parent);   // run.cpp: batch_dot on .npy files
Command AddDemoCommand(CLI::App& parent);  // demo.cpp: the seed examples and a timing
Command AddInfoCommand(CLI::App& parent);  // info.cpp: version, CPU, targets, threads
Command AddBenchCommand(CLI::App& parent);  // bench.cpp: the performance sweep as one table

}  // namespace batchdot::cli
