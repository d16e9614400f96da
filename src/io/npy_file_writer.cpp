// The out-of-core .npy writer: pwrite into a pre-sized temporary file, then
// fsync and rename. pwrite (not a shared mapping) so that a full disk or a file
// size limit is an error code, never a SIGBUS in the middle of a kernel.
#include "io/npy_file_writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "batchdot/error.hpp"
#include "core/byte_size.hpp"
#include "io/npy.hpp"
#include "io/npy_elements.hpp"

namespace batchdot::io {
namespace {

[[noreturn]] void FailIo(const std::string& path, const std::string& what) {
  throw Error(ErrorKind::kIo, (path.empty() ? std::string("''") : path) + ": " + what);
}

std::string Errno(int error) { return std::strerror(error); }

uint64_t ShapeBytes(DType dtype, std::span<const int64_t> shape) {
  uint64_t count = 1;
  for (int64_t dim : shape) count *= static_cast<uint64_t>(dim);  // bounded by Resolve
  return count * SizeOf(dtype);
}

}  // namespace

std::string FolderOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

void CheckOutputPath(const std::string& path) {
  if (path.empty()) FailIo(path, "the output path is empty");
  if (path.back() == '/') FailIo(path, "the output path names a folder (it ends in '/'), not a file");
  struct stat info {};
  if (stat(path.c_str(), &info) == 0) {
    if (S_ISDIR(info.st_mode)) FailIo(path, "the output path is an existing folder, not a file");
    if (!S_ISREG(info.st_mode))
      FailIo(path, "the output path exists and is not a regular file; refusing to replace it");
    return;
  }
  const std::string folder = FolderOf(path);
  if (stat(folder.c_str(), &info) != 0)
    FailIo(path, "cannot write into folder '" + folder + "': " + Errno(errno));
  if (!S_ISDIR(info.st_mode)) FailIo(path, "cannot write into '" + folder + "': not a folder");
}

std::string TemporaryNpyPath(const std::string& path) {
  static std::atomic<unsigned> counter{0};
  const size_t slash = path.rfind('/');
  const std::string folder = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  return folder + "." + name + ".tmp." + std::to_string(getpid()) + "." + std::to_string(counter++);
}

void CheckFreeSpace(const std::string& folder, uint64_t bytes, const std::string& reported_path,
                    const std::string& what) {
  struct statvfs fs {};
  if (statvfs(folder.c_str(), &fs) != 0) return;  // unknown: let the writes tell
  const uint64_t available = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
  if (available < bytes) {
    FailIo(reported_path, "not enough space in '" + folder + "': the result needs " +
                              core::ByteSizeText(bytes) + " (" + what + "), " +
                              core::ByteSizeText(available) + " available");
  }
}

NpyFileWriter::NpyFileWriter(const std::string& path, const std::string& temp_path, DType dtype,
                             std::span<const int64_t> shape)
    : path_(path), temp_path_(temp_path), dtype_(dtype) {
  const std::string prefix = NpyPrefix(dtype, shape);
  prefix_bytes_ = prefix.size();
  data_bytes_ = ShapeBytes(dtype, shape);
  const uint64_t total = prefix_bytes_ + data_bytes_;
  const std::string folder = FolderOf(path);
  CheckFreeSpace(folder, total, path, core::ShapeAndDTypeText(shape, dtype));
  fd_ = open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd_ < 0)
    FailIo(path, "cannot create a temporary file in folder '" + folder + "': " + Errno(errno));
  WriteAll(prefix.data(), prefix.size(), 0);
  // Sizing first makes a file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored) fail
  // here, before any work, as EFBIG.
  if (ftruncate(fd_, static_cast<off_t>(total)) != 0)
    Fail("cannot size the output to " + core::ByteSizeText(total) + " (" + std::to_string(total) +
         " bytes): " + Errno(errno));
}

NpyFileWriter::~NpyFileWriter() {
  if (fd_ >= 0) close(fd_);
  if (!committed_) unlink(temp_path_.c_str());
}

void NpyFileWriter::Fail(const std::string& what) {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  unlink(temp_path_.c_str());
  committed_ = true;  // nothing left to remove
  FailIo(path_, what);
}

void NpyFileWriter::WriteAll(const void* data, size_t bytes, uint64_t file_offset) {
  const auto* next = static_cast<const uint8_t*>(data);
  while (bytes > 0) {
    // Linux moves at most ~2 GiB per call; smaller calls also keep the
    // error position precise.
    const size_t request = std::min<size_t>(bytes, size_t{1} << 30);
    const ssize_t written = pwrite(fd_, next, request, static_cast<off_t>(file_offset));
    if (written < 0) {
      if (errno == EINTR) continue;
      Fail("cannot write: " + Errno(errno));
    }
    if (written == 0) Fail("cannot write: no progress");
    next += written;
    bytes -= static_cast<size_t>(written);
    file_offset += static_cast<uint64_t>(written);
  }
}

void NpyFileWriter::WriteData(uint64_t offset, void* data, size_t bytes) {
  ToLittleEndian(static_cast<uint8_t*>(data), bytes, dtype_);
  WriteAll(data, bytes, prefix_bytes_ + offset);
}

void NpyFileWriter::Commit() {
  if (fsync(fd_) != 0) Fail("cannot sync the output to disk: " + Errno(errno));
  const int fd = std::exchange(fd_, -1);
  if (close(fd) != 0) Fail("cannot write: " + Errno(errno));
  if (std::rename(temp_path_.c_str(), path_.c_str()) != 0)
    Fail("cannot rename the temporary file over the output: " + Errno(errno));
  committed_ = true;
  // Make the rename itself durable; the file is complete either way, so a
  // failure here is not reported.
  const int dir = open(FolderOf(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    fsync(dir);
    close(dir);
  }
}

}  // namespace batchdot::io
