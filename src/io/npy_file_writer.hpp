// A .npy result written piece by piece into a pre-sized file that gets its name
// only when complete (io/output_file.hpp): the out-of-core path of `batchdot
// run` and the single-file helpers the MPI writer shares.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "batchdot/dtype.hpp"
#include "io/output_file.hpp"

namespace batchdot::io {

// Refuses, with a batchdot::Error of kind kIo naming `path` and why, every output
// path that cannot become a regular file: empty, ending in '/', an existing
// directory or other non-regular file, or inside a folder that is missing or is
// not a directory. Writability shows when the temporary file is created.
void CheckOutputPath(const std::string& path);

// The folder of `path` as given ("." when it has none).
std::string FolderOf(const std::string& path);

// The free space a result must leave on its file system: the larger of 1% of
// the file system and 256 MiB, but never more than the file system's size.
uint64_t SpaceMarginBytes(uint64_t file_system_bytes);

// The space check on given numbers (the seam the tests use): throws kIo naming
// the result size and `what` ("2 x 3 float32"), the free space and the margin
// when `available` - `bytes` would be below the margin (`margin` false: below 0).
void CheckSpace(uint64_t bytes, uint64_t available, uint64_t file_system_bytes, bool margin,
                const std::string& folder, const std::string& reported_path, const std::string& what);

// CheckSpace with the numbers statvfs() reports for `folder` (nothing when it fails).
void CheckFreeSpace(const std::string& folder, uint64_t bytes, const std::string& reported_path,
                    const std::string& what, bool margin = true);

// Creates the output file (io::OutputFile), writes the .npy prefix for (dtype,
// shape), and sizes it to prefix + data bytes, after checking the free space
// (with the margin unless `space_margin` is false). Data are written with
// WriteData at offsets relative to the start of the data, from any one thread
// at a time. Commit() syncs and gives the file its name; destroyed without a
// successful Commit(), it leaves nothing. Every failure is a batchdot::Error of
// kind kIo naming `path`.
class NpyFileWriter {
 public:
  NpyFileWriter(const std::string& path, DType dtype, std::span<const int64_t> shape,
                const OutputHooks& hooks = {}, bool space_margin = true);
  ~NpyFileWriter();
  NpyFileWriter(const NpyFileWriter&) = delete;
  NpyFileWriter& operator=(const NpyFileWriter&) = delete;

  uint64_t data_bytes() const { return data_bytes_; }
  // Writes `bytes` native-order bytes of `dtype` elements at data offset `offset`
  // (converted to little-endian in place on a big-endian machine).
  void WriteData(uint64_t offset, void* data, size_t bytes);
  void Commit();

 private:
  void WriteAll(const void* data, size_t bytes, uint64_t file_offset);
  DType dtype_;
  uint64_t prefix_bytes_ = 0, data_bytes_ = 0;
  OutputFile file_;
};

}  // namespace batchdot::io
