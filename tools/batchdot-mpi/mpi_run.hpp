// `batchdot-mpi run`: every rank maps the inputs, computes a balanced contiguous
// range of batch items with the same chunk driver as `batchdot run`, and writes
// its byte range of one .npy with collective MPI-IO.
#pragma once

#include <string>

#include "batchdot/run_options.hpp"

namespace batchdot::mpi {

// Runs on every rank of MPI_COMM_WORLD; returns the exit status (0 or 1), the
// same on every rank. An error on any rank is printed once, by the lowest rank
// that had it, through `print_error`; no output or temporary file is left.
int RunSharded(const cli::RunOptions& options, void (*print_error)(const std::string&));

}  // namespace batchdot::mpi
