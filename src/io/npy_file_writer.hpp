// A .npy result written piece by piece into a pre-sized temporary file next to
// the target, then synced and renamed over it: the out-of-core path of
// `batchdot run` and the single-file helpers the MPI writer shares.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "batchdot/dtype.hpp"

namespace batchdot::io {

// Refuses, with a batchdot::Error of kind kIo naming `path` and why, every output
// path that cannot become a regular file: empty, ending in '/', an existing
// directory or other non-regular file, or inside a folder that is missing or is
// not a directory. Writability shows when the temporary file is created.
void CheckOutputPath(const std::string& path);

// The folder of `path` as given ("." when it has none).
std::string FolderOf(const std::string& path);

// ".<name>.tmp.<pid>.<n>" in the folder of `path`: rename() then stays within one
// file system, and a leftover from a killed run is hidden and recognisable.
std::string TemporaryNpyPath(const std::string& path);

// Throws kIo when the file system holding `folder` has fewer than `bytes` bytes
// available to this user, naming both sizes and `what` ("2 x 3 float32").
void CheckFreeSpace(const std::string& folder, uint64_t bytes, const std::string& reported_path,
                    const std::string& what);

// Creates `temp_path` (O_EXCL), writes the .npy prefix for (dtype, shape), and
// sizes the file to prefix + data bytes, after checking the free space. Data are
// written with WriteData at offsets relative to the start of the data, from any
// one thread at a time. Commit() syncs, closes and renames over `path`; if the
// object is destroyed without a successful Commit() the temporary file is removed.
// Every failure is a batchdot::Error of kind kIo naming `path`.
class NpyFileWriter {
 public:
  NpyFileWriter(const std::string& path, const std::string& temp_path, DType dtype,
                std::span<const int64_t> shape);
  ~NpyFileWriter();
  NpyFileWriter(const NpyFileWriter&) = delete;
  NpyFileWriter& operator=(const NpyFileWriter&) = delete;

  uint64_t data_bytes() const { return data_bytes_; }
  // Writes `bytes` native-order bytes of `dtype` elements at data offset `offset`
  // (converted to little-endian in place on a big-endian machine).
  void WriteData(uint64_t offset, void* data, size_t bytes);
  void Commit();

 private:
  [[noreturn]] void Fail(const std::string& what);
  void WriteAll(const void* data, size_t bytes, uint64_t file_offset);
  std::string path_, temp_path_;
  DType dtype_;
  uint64_t prefix_bytes_ = 0, data_bytes_ = 0;
  int fd_ = -1;
  bool committed_ = false;
};

}  // namespace batchdot::io
