// O_TMPFILE + linkat where it works, the named temporary where it does not, and
// the sweep that removes named temporaries of dead processes.
#include "io/output_file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "batchdot/error.hpp"

namespace batchdot::io {
namespace {

[[noreturn]] void FailIo(const std::string& path, const std::string& what) {
  throw Error(ErrorKind::kIo, (path.empty() ? std::string("''") : path) + ": " + what);
}

std::string Errno(int error) { return std::strerror(error); }

std::string FolderPart(const std::string& path) {  // "" or "dir/"
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash + 1);
}

std::string NamePart(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The folder as messages and open() take it: ".", "/" or "a/b".
std::string OpenableFolder(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// This host's name without dots, so the pid and the counter stay parseable.
std::string HostName() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  std::string host(name);
  for (char& c : host) {
    if (c == '.' || c == '/') c = '_';
  }
  return host;
}

bool AllDigits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// A zombie (exited, not yet reaped: a killed MPI rank whose launcher is gone)
// counts as gone: it will never touch its file again.
bool ProcessExists(long pid) {
  if (kill(static_cast<pid_t>(pid), 0) != 0 && errno != EPERM) return false;
  FILE* stat = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
  if (stat == nullptr) return true;  // no /proc: trust kill()
  char state = '?';
  // "pid (comm) state ...": comm may hold spaces and parentheses, so look after the last ')'.
  char line[512] = {};
  const size_t read = std::fread(line, 1, sizeof line - 1, stat);
  std::fclose(stat);
  const char* close = std::strrchr(line, ')');
  if (close != nullptr && close + 2 < line + read) state = close[2];
  return state != 'Z' && state != 'X';
}

// Gives the open file `fd` the name `target`; fails with EEXIST when it is taken.
// AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; /proc/self/fd works for everyone.
int LinkOpenFile(int fd, const std::string& target) {
  if (linkat(fd, "", AT_FDCWD, target.c_str(), AT_EMPTY_PATH) == 0) return 0;
  if (errno == EEXIST) return EEXIST;
  const std::string proc = "/proc/self/fd/" + std::to_string(fd);
  if (linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, target.c_str(), AT_SYMLINK_FOLLOW) == 0) return 0;
  return errno;
}

// Whether an unnamed file could later be linked: as root, or through /proc.
bool CanLinkUnnamed() { return geteuid() == 0 || access("/proc/self/fd", X_OK) == 0; }

void SyncFolder(const std::string& path) {
  const int dir = open(OpenableFolder(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    fsync(dir);  // makes the new name durable; the file is complete either way
    close(dir);
  }
}

}  // namespace

std::string TemporaryNpyPath(const std::string& path) {
  static std::atomic<unsigned> counter{0};
  static const std::string host = HostName();
  return FolderPart(path) + "." + NamePart(path) + ".tmp." + std::to_string(getpid()) + "." + host + "." +
         std::to_string(counter++);
}

std::vector<StaleTemporary> RemoveStaleTemporaries(const std::string& path) {
  std::vector<StaleTemporary> removed;
  std::string prefix = ".";  // appended, not "." + string&& (a false GCC 12 -Wrestrict)
  prefix += NamePart(path);
  prefix += ".tmp.";
  const std::string host = HostName();
  DIR* dir = opendir(OpenableFolder(path).c_str());
  if (dir == nullptr) return removed;
  while (const dirent* entry = readdir(dir)) {
    const std::string_view name(entry->d_name);
    if (name.substr(0, prefix.size()) != prefix) continue;
    // "<pid>.<host>.<n>", or "<pid>.<n>" from versions that did not name the host.
    const std::string_view rest = name.substr(prefix.size());
    const size_t dot = rest.find('.');
    if (dot == std::string_view::npos || !AllDigits(rest.substr(0, dot)) || dot > 9) continue;
    const std::string_view tail = rest.substr(dot + 1);
    const size_t last = tail.rfind('.');
    const bool legacy = AllDigits(tail);
    if (!legacy && (last == std::string_view::npos || tail.substr(0, last) != host || !AllDigits(tail.substr(last + 1))))
      continue;
    const long pid = std::stol(std::string(rest.substr(0, dot)));
    if (pid <= 0 || ProcessExists(pid)) continue;
    const std::string stale = FolderPart(path) + std::string(name);
    struct stat info {};
    if (lstat(stale.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) continue;
    if (unlink(stale.c_str()) == 0) removed.push_back({stale, pid, static_cast<uint64_t>(info.st_size)});
  }
  closedir(dir);
  return removed;
}

OutputFile::OutputFile(const std::string& path, const OutputHooks& hooks) : path_(path), hooks_(hooks) {
  const std::string folder = OpenableFolder(path);
  if (hooks_.allow_unnamed && CanLinkUnnamed())
    fd_ = open(folder.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
  if (fd_ < 0) {
    // Not supported here (EOPNOTSUPP, EISDIR on old kernels, ...): a real error
    // shows again, with its reason, when the named file is created.
    temp_path_ = TemporaryNpyPath(path);
    if (hooks_.named != nullptr) hooks_.named(temp_path_);  // armed before the file exists
    fd_ = open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ < 0) {
      const int error = errno;
      Forget();
      FailIo(path, "cannot create a temporary file in folder '" + folder + "': " + Errno(error));
    }
  }
  if (hooks_.stage != nullptr) hooks_.stage("created");
}

OutputFile::~OutputFile() {
  if (fd_ >= 0) close(fd_);
  if (!temp_path_.empty()) unlink(temp_path_.c_str());
  Forget();
}

void OutputFile::Forget() {
  if (!temp_path_.empty() && hooks_.unnamed != nullptr) hooks_.unnamed();
  temp_path_.clear();
}

void OutputFile::Fail(const std::string& what) {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  if (!temp_path_.empty()) unlink(temp_path_.c_str());
  Forget();
  FailIo(path_, what);
}

void OutputFile::Commit() {
  // The data reach the disk before a name makes them visible, so a crash never
  // leaves a complete-looking name over partial data.
  if (fsync(fd_) != 0) Fail("cannot sync the output to disk: " + Errno(errno));
  if (hooks_.stage != nullptr) hooks_.stage("synced");
  if (temp_path_.empty()) {
    const int error = LinkOpenFile(fd_, path_);
    if (error != 0 && error != EEXIST) Fail("cannot give the output its name: " + Errno(error));
    if (error == EEXIST) {
      // linkat never replaces: link under a hidden name, then rename over the
      // old file (atomic). Only this instant has a name a SIGKILL could leave.
      temp_path_ = TemporaryNpyPath(path_);
      if (hooks_.named != nullptr) hooks_.named(temp_path_);
      const int link_error = LinkOpenFile(fd_, temp_path_);
      if (link_error != 0) {
        Forget();
        Fail("cannot give the output its name: " + Errno(link_error));
      }
    }
  }
  if (!temp_path_.empty() && std::rename(temp_path_.c_str(), path_.c_str()) != 0)
    Fail("cannot rename the temporary file over the output: " + Errno(errno));
  Forget();
  const int fd = fd_;
  fd_ = -1;
  // Some file systems report write errors only at close; the name is already
  // there, so remove it rather than leave partial data under it.
  if (close(fd) != 0) {
    const int error = errno;
    unlink(path_.c_str());
    FailIo(path_, "cannot write: " + Errno(error));
  }
  SyncFolder(path_);
}

}  // namespace batchdot::io
