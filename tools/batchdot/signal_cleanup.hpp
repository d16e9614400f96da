// Signal safety for commands that write a result through a temporary file.
#pragma once

#include <string>

namespace batchdot::cli {

// Installs (once per process) handlers that make interruptions clean:
// SIGXFSZ is ignored, so exceeding a file-size limit is an EFBIG error code;
// SIGINT, SIGTERM and SIGHUP remove the armed temporary file and exit with
// 128 + signal; SIGBUS (an input file shrank while mapped) removes it and exits 1
// with one error line. The handlers only call unlink(), write() and _exit(), so
// they are safe whichever thread (main or a worker) receives the signal.
void InstallSignalCleanup();

// Names the temporary file a signal must remove. Arm before the file is
// created; disarm once it has been renamed or removed. One file at a time.
void ArmSignalCleanup(const std::string& temp_path);
void DisarmSignalCleanup();

// Arms on construction, disarms on destruction.
class SignalCleanupScope {
 public:
  explicit SignalCleanupScope(const std::string& temp_path) { ArmSignalCleanup(temp_path); }
  ~SignalCleanupScope() { DisarmSignalCleanup(); }
  SignalCleanupScope(const SignalCleanupScope&) = delete;
  SignalCleanupScope& operator=(const SignalCleanupScope&) = delete;
};

}  // namespace batchdot::cli
