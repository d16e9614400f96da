// The output hooks of the run commands.
#include "batchdot/output_hooks.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "batchdot/signal_cleanup.hpp"
#include "core/byte_size.hpp"

namespace batchdot::cli {
namespace {

void Arm(const std::string& temp_path) { ArmSignalCleanup(temp_path); }
void Disarm() { DisarmSignalCleanup(); }

}  // namespace

io::OutputHooks RunOutputHooks(const RunOptions& options) {
  io::OutputHooks hooks;
  hooks.named = &Arm;
  hooks.unnamed = &Disarm;
  hooks.stage = &TestStop;
  hooks.allow_unnamed = !options.named_temporary;
  return hooks;
}

void RemoveStaleTemporariesOf(const std::string& path) {
  for (const io::StaleTemporary& stale : io::RemoveStaleTemporaries(path)) {
    std::fprintf(stderr, "batchdot: removed '%s' (%s), left by process %ld, which no longer runs\n",
                 stale.path.c_str(), core::ByteSizeText(static_cast<long double>(stale.bytes)).c_str(), stale.pid);
  }
}

void TestStop(const char* stage) {
  const char* wanted = std::getenv("BATCHDOT_TEST_STOP_AT");
  if (wanted == nullptr || std::strcmp(wanted, stage) != 0) return;
  std::fprintf(stderr, "batchdot: test stop at %s (pid %ld)\n", stage, static_cast<long>(getpid()));
  std::fflush(stderr);
  raise(SIGSTOP);
}

}  // namespace batchdot::cli
