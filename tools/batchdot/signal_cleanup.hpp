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
// created; disarm once it has been renamed or removed. One file at a time
// (io::OutputHooks call these while a named temporary exists).
void ArmSignalCleanup(const std::string& temp_path);
void DisarmSignalCleanup();

}  // namespace batchdot::cli
