// The out-of-core .npy writer: pwrite into a pre-sized output file (unnamed
// until Commit), then fsync and name it. pwrite (not a shared mapping) so that a full disk or a file
// size limit is an error code, never a SIGBUS in the middle of a kernel.
#include "io/npy_file_writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
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

uint64_t SpaceMarginBytes(uint64_t file_system_bytes) {
  return std::min(std::max(file_system_bytes / 100, uint64_t{256} << 20), file_system_bytes);
}

void CheckSpace(uint64_t bytes, uint64_t available, uint64_t file_system_bytes, bool margin,
                const std::string& folder, const std::string& reported_path, const std::string& what) {
  const uint64_t keep = margin ? SpaceMarginBytes(file_system_bytes) : 0;
  if (bytes <= available && available - bytes >= keep) return;
  std::string message = "not enough space in '" + folder + "': the result needs " + core::ByteSizeText(bytes) +
                        " (" + what + "), " + core::ByteSizeText(available) + " available";
  if (margin && bytes <= available) {
    message += ", and it would leave " + core::ByteSizeText(available - bytes) + " free, less than the margin of " +
               core::ByteSizeText(keep) + " (the larger of 1% of the file system and 256 MiB); " +
               "--no-space-margin writes it anyway";
  }
  FailIo(reported_path, message);
}

void CheckFreeSpace(const std::string& folder, uint64_t bytes, const std::string& reported_path,
                    const std::string& what, bool margin) {
  struct statvfs fs {};
  if (statvfs(folder.c_str(), &fs) != 0) return;  // unknown: let the writes tell
  CheckSpace(bytes, static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize, static_cast<uint64_t>(fs.f_blocks) * fs.f_frsize,
             margin, folder, reported_path, what);
}

namespace {

// The free-space check, before the file is created.
const std::string& Checked(const std::string& path, DType dtype, std::span<const int64_t> shape, bool margin) {
  const uint64_t total = NpyPrefix(dtype, shape).size() + ShapeBytes(dtype, shape);
  CheckFreeSpace(FolderOf(path), total, path, core::ShapeAndDTypeText(shape, dtype), margin);
  return path;
}

}  // namespace

NpyFileWriter::NpyFileWriter(const std::string& path, DType dtype, std::span<const int64_t> shape,
                             const OutputHooks& hooks, bool space_margin)
    : dtype_(dtype), file_(Checked(path, dtype, shape, space_margin), hooks) {
  const std::string prefix = NpyPrefix(dtype, shape);
  prefix_bytes_ = prefix.size();
  data_bytes_ = ShapeBytes(dtype, shape);
  const uint64_t total = prefix_bytes_ + data_bytes_;
  WriteAll(prefix.data(), prefix.size(), 0);
  // Sizing first makes a file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored) fail
  // here, before any work, as EFBIG.
  if (ftruncate(file_.fd(), static_cast<off_t>(total)) != 0)
    file_.Fail("cannot size the output to " + core::ByteSizeText(total) + " (" + std::to_string(total) +
               " bytes): " + Errno(errno));
}

NpyFileWriter::~NpyFileWriter() = default;

void NpyFileWriter::WriteAll(const void* data, size_t bytes, uint64_t file_offset) {
  const auto* next = static_cast<const uint8_t*>(data);
  while (bytes > 0) {
    // Linux moves at most ~2 GiB per call; smaller calls also keep the
    // error position precise.
    const size_t request = std::min<size_t>(bytes, size_t{1} << 30);
    const ssize_t written = pwrite(file_.fd(), next, request, static_cast<off_t>(file_offset));
    if (written < 0) {
      if (errno == EINTR) continue;
      file_.Fail("cannot write: " + Errno(errno));
    }
    if (written == 0) file_.Fail("cannot write: no progress");
    next += written;
    bytes -= static_cast<size_t>(written);
    file_offset += static_cast<uint64_t>(written);
  }
}

void NpyFileWriter::WriteData(uint64_t offset, void* data, size_t bytes) {
  ToLittleEndian(static_cast<uint8_t*>(data), bytes, dtype_);
  WriteAll(data, bytes, prefix_bytes_ + offset);
}

void NpyFileWriter::Commit() { file_.Commit(); }

}  // namespace batchdot::io
