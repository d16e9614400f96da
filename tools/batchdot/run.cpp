// `batchdot run X.npy Y.npy -o OUT.npy [options]`: one batch_dot from .npy files
// to a .npy file, out of core (chunked_run.cpp); the options are in run_options.cpp.
#include <memory>

#include "batchdot/batchdot.hpp"
#include "batchdot/chunked_run.hpp"
#include "batchdot/commands.hpp"
#include "batchdot/output_hooks.hpp"
#include "batchdot/run_options.hpp"
#include "batchdot/signal_cleanup.hpp"
#include "io/npy.hpp"
#include "io/npy_file_writer.hpp"

namespace batchdot::cli {
namespace {

// The whole result in anonymous memory, then written: kept (hidden
// --in-memory) as the baseline the out-of-core path is measured and tested against.
void RunInMemory(const RunOptions& run) {
  InstallSignalCleanup();
  io::CheckOutputPath(run.output_path);
  RemoveStaleTemporariesOf(run.output_path);
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
  AddRunOptions(*app, *options);
  return {app, [options] {
            if (options->in_memory) {
              RunInMemory(*options);
            } else {
              RunOutOfCore(*options);
            }
          }};
}

}  // namespace batchdot::cli
