// A result file that appears under its name only when it is complete, and that
// leaves nothing behind when the process dies (even by SIGKILL) on the way.
//
// Where the file system supports it the data go to an unnamed file (O_TMPFILE):
// the kernel frees it whatever kills the process, and linkat() gives it its name
// at the end. Elsewhere (and for MPI-IO, which needs a name every rank can open)
// a hidden ".<name>.tmp.<pid>.<host>.<n>" is written and renamed; such a file of
// a process that no longer runs is what RemoveStaleTemporaries() clears.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace batchdot::io {

// What an output file tells its owner while it works. The CLI arms its signal
// cleanup with the name of a temporary that exists on disk and offers test stop
// points; every member may be null.
struct OutputHooks {
  void (*named)(const std::string& temp_path) = nullptr;  // a named temporary now exists
  void (*unnamed)() = nullptr;                             // it has been renamed or removed
  void (*stage)(const char* stage) = nullptr;              // "created", "synced"
  bool allow_unnamed = true;  // false: always the named temporary (tests of the fallback)
};

// ".<name>.tmp.<pid>.<host>.<n>" in the folder of `path`: rename() stays within
// one file system, and a leftover is hidden and says which process made it where.
std::string TemporaryNpyPath(const std::string& path);

// A temporary of `path` whose process is gone, as RemoveStaleTemporaries found it.
struct StaleTemporary {
  std::string path;
  long pid = 0;
  uint64_t bytes = 0;
};

// Removes every temporary of `path` (".<name>.tmp.<pid>.*") made on this host by a
// process that no longer exists, and returns what it removed. Temporaries of live
// processes and of other hosts are left alone; so is anything it cannot parse.
std::vector<StaleTemporary> RemoveStaleTemporaries(const std::string& path);

// Creates the file for `path`: unnamed when the file system allows (checked with
// a real open), otherwise the named temporary (O_EXCL). Commit() syncs, closes and
// gives the file its name (atomically replacing an existing one); destroyed
// without a successful Commit(), the file is gone. Errors are batchdot::Error of
// kind kIo naming `path`.
class OutputFile {
 public:
  OutputFile(const std::string& path, const OutputHooks& hooks = {});
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  int fd() const { return fd_; }
  bool unnamed() const { return temp_path_.empty(); }
  // Closes and removes the file, then throws kIo naming the path and `what`.
  [[noreturn]] void Fail(const std::string& what);
  void Commit();

 private:
  void Forget();
  std::string path_, temp_path_;
  OutputHooks hooks_;
  int fd_ = -1;
};

}  // namespace batchdot::io
