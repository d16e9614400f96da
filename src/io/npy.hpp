// Reading and writing NumPy .npy files (format versions 1.0, 2.0 and 3.0).
//
// The reader accepts what NumPy writes plus the harmless variants other writers
// produce (keys in any order, either quote, missing padding, '=' or no byte-order
// character), and rejects everything else with one batchdot::Error per file
// naming the file and the offending field: kind kDType for valid NumPy dtypes
// batchdot does not compute with (bool, int8, ...), kind kIo for the rest.
// Inputs are memory-mapped read-only; only big-endian or misaligned data is
// copied. Fortran-order files become reversed strides, never a transpose.
//
// The writer produces the bytes numpy 1.24's np.save produces for the same
// C-order array (version 1.0, sorted keys, growth padding, 64-byte alignment),
// through a temporary file that is renamed over the target only on success.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "batchdot/dtype.hpp"
#include "batchdot/tensor.hpp"

namespace batchdot::io {

struct NpyReadOptions {
  // NumPy ignores bytes after the data; batchdot treats them as a sign of a
  // truncated or concatenated file unless asked not to.
  bool allow_trailing = false;
  // '<V2' (how ml_dtypes' bfloat16 is saved) and the non-standard 'bfloat16'
  // descr carry no proof that the bytes are bfloat16, so they are read as
  // DType::kBFloat16 only when the caller says so.
  bool accept_bfloat16 = false;
};

// A validated .npy header, checked against the size of the whole file.
struct NpyHeader {
  int version_major = 1;  // 1, 2 or 3 (the minor version is always 0)
  DType dtype = DType::kFloat32;
  bool needs_byte_swap = false;  // the data's byte order differs from this machine's
  bool fortran_order = false;
  std::vector<int64_t> shape;
  size_t data_offset = 0;  // bytes before the data: magic, version, length, header
  size_t data_bytes = 0;   // number of elements times the item size
};

// Validates the magic, version, header dict and sizes of the complete file held
// in `file`. Every error is a batchdot::Error whose message starts with "<name>: ".
NpyHeader ParseNpyHeader(std::span<const uint8_t> file, std::string_view name,
                         const NpyReadOptions& options = {});

// An array read from a .npy file. It owns the memory mapping (or, for byte-swapped
// or misaligned data, an aligned native copy) together with the shape and
// strides its view points to, so the view stays valid as long as the object lives,
// including after a move. Move-only.
class NpyArray {
 public:
  NpyArray() = default;
  NpyArray(NpyArray&&) noexcept = default;
  NpyArray& operator=(NpyArray&&) noexcept = default;
  NpyArray(const NpyArray&) = delete;
  NpyArray& operator=(const NpyArray&) = delete;
  ~NpyArray() = default;

  const NpyHeader& header() const { return header_; }
  // Strides are in elements: C order gives row-major strides, Fortran order the
  // reversed (column-major) ones.
  TensorView view() const { return {data_, header_.dtype, header_.shape, strides_elems_}; }
  // False when the data had to be copied (byte swap or misalignment).
  bool is_memory_mapped() const { return mapping_ != nullptr; }

 private:
  friend NpyArray ReadNpy(const std::string& path, const NpyReadOptions& options);
  friend NpyArray ReadNpyFromBytes(std::span<const uint8_t> file, std::string_view name,
                                   const NpyReadOptions& options);

  struct Mapping;
  struct MappingDeleter {
    void operator()(Mapping* mapping) const noexcept;
  };
  struct AlignedFree {
    void operator()(void* p) const noexcept;
  };

  // Points the view at `data`, or at a native, aligned copy when the file's
  // byte order or alignment require one, or when `force_copy`.
  void AdoptData(const uint8_t* data, bool force_copy);

  NpyHeader header_;
  std::vector<int64_t> strides_elems_;
  std::unique_ptr<Mapping, MappingDeleter> mapping_;
  std::unique_ptr<void, AlignedFree> owned_data_;
  const void* data_ = nullptr;
};

// Memory-maps `path` read-only and validates it (see ParseNpyHeader).
NpyArray ReadNpy(const std::string& path, const NpyReadOptions& options = {});

// The same for a file already in memory (tests, fuzzing); the data are copied,
// so `file` need not outlive the result.
NpyArray ReadNpyFromBytes(std::span<const uint8_t> file, std::string_view name,
                          const NpyReadOptions& options = {});

// Everything np.save (numpy 1.24) writes before the data of a little-endian,
// C-order array of this dtype and shape: magic, version 1.0, header length and the
// space-padded dict, ending in '\n' at a multiple of 64 bytes. bfloat16 is written
// as '<V2', which NumPy loads as raw 2-byte values. Version 2.0 only if the header
// would not fit in 65535 bytes.
std::string NpyPrefix(DType dtype, std::span<const int64_t> shape);

// Writes `tensor` (any strides, including zero and negative) to `path` as a
// little-endian C-order .npy file. The bytes go to an unnamed file in the same
// folder (a named temporary where the file system cannot), which gets the name
// `path` only when everything has been written (io/output_file.hpp); on any
// failure nothing is left, `path` is as it was, and a batchdot::Error of kind kIo
// naming `path` is thrown.
void WriteNpy(const std::string& path, const TensorView& tensor);

}  // namespace batchdot::io
