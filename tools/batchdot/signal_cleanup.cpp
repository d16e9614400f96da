// The handlers read one pre-formatted path: a signal handler may not allocate,
// lock or touch a std::string, so the path lives in a fixed buffer published by
// an atomic flag. This is tool state, not library state.
#include "batchdot/signal_cleanup.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

namespace batchdot::cli {
namespace {

char g_temp_path[4096];
std::atomic<bool> g_armed{false};
static_assert(std::atomic<bool>::is_always_lock_free);

void RemoveTemporaryFile() {
  if (g_armed.load(std::memory_order_acquire)) unlink(g_temp_path);
}

void OnTerminate(int signal_number) {
  RemoveTemporaryFile();
  _exit(128 + signal_number);
}

void OnBusError(int) {
  RemoveTemporaryFile();
  static const char kMessage[] =
      "batchdot: error: an input file became shorter while it was being read (SIGBUS)\n";
  ssize_t ignored = write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
  (void)ignored;
  _exit(1);
}

void Handle(int signal_number, void (*handler)(int)) {
  struct sigaction action {};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  // Block the other terminating signals while one handler runs.
  for (int other : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&action.sa_mask, other);
  sigaction(signal_number, &action, nullptr);
}

}  // namespace

void InstallSignalCleanup() {
  static const bool installed = [] {
    signal(SIGXFSZ, SIG_IGN);
    for (int signal_number : {SIGINT, SIGTERM, SIGHUP}) Handle(signal_number, OnTerminate);
    Handle(SIGBUS, OnBusError);
    return true;
  }();
  (void)installed;
}

void ArmSignalCleanup(const std::string& temp_path) {
  g_armed.store(false, std::memory_order_release);
  // A longer path cannot be created (PATH_MAX) and a truncated one names another file.
  if (temp_path.size() >= sizeof g_temp_path) return;
  std::memcpy(g_temp_path, temp_path.c_str(), temp_path.size() + 1);
  g_armed.store(true, std::memory_order_release);
}

void DisarmSignalCleanup() { g_armed.store(false, std::memory_order_release); }

}  // namespace batchdot::cli
