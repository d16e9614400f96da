// What `batchdot run` and `batchdot-mpi run` do around the output file: arm the
// signal cleanup while a named temporary exists, clear (and say so) temporaries
// of killed runs, and stop at a named moment when a test asks.
#pragma once

#include <string>

#include "batchdot/run_options.hpp"
#include "io/output_file.hpp"

namespace batchdot::cli {

// Hooks that arm and disarm the signal cleanup and call TestStop at each stage;
// unnamed output unless --named-temporary.
io::OutputHooks RunOutputHooks(const RunOptions& options);

// Removes the temporaries of `path` left by processes that no longer exist,
// with one line on stderr for each.
void RemoveStaleTemporariesOf(const std::string& path);

// When BATCHDOT_TEST_STOP_AT names `stage` ("created", "chunk", "synced"),
// prints "batchdot: test stop at STAGE (pid N)" on stderr and stops the process
// (SIGSTOP), so a test can kill it at exactly that moment without a clock.
void TestStop(const char* stage);

}  // namespace batchdot::cli
