// batchdot-mpi: `mpirun -n N batchdot-mpi run X.npy Y.npy -o OUT.npy [options]`.
// Same options and output bytes as `batchdot run`; exit status 0 success, 1 an
// error on any rank, 2 a malformed command line (the same on every rank).
#include <mpi.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <string>

#include "batchdot/run_options.hpp"
#include "mpi_run.hpp"

namespace {

void PrintError(const std::string& message) {
  std::string line = message;
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  std::cerr << "batchdot: error: " << line << std::endl;
}

int Main(int argc, char** argv, int rank) {
  CLI::App app{"batchdot-mpi: batchdot run sharded over MPI ranks (one .npy written with MPI-IO)."};
  app.name("batchdot-mpi");
  app.require_subcommand(1, 1);
  app.footer(
      "Run under mpirun; every rank needs the same view of the files (a shared file system). "
      "--threads applies per rank. Exit status: 0 success, 1 an error on any rank, 2 a malformed "
      "command line.");
  batchdot::cli::RunOptions options;
  CLI::App* run = app.add_subcommand(
      "run", "Compute batch_dot(X, Y) of two .npy files over all ranks into one .npy file");
  batchdot::cli::AddRunOptions(*run, options);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Every rank parses the same command line; rank 0 alone speaks.
    if (e.get_exit_code() == 0) return rank == 0 ? app.exit(e) : 0;
    if (rank == 0) PrintError(std::string(e.what()) + "; see 'batchdot-mpi run --help'");
    return 2;
  }
  return batchdot::mpi::RunSharded(options, PrintError);
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  const int status = Main(argc, argv, rank);
  MPI_Finalize();
  return status;
}
