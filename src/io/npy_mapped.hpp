// A .npy file mapped read-only with its data left exactly as stored: the
// out-of-core run path converts byte order and alignment one chunk at a time
// instead of copying the whole array the way ReadNpy does.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "batchdot/tensor.hpp"
#include "io/npy.hpp"

namespace batchdot::io {

// Move-only owner of the mapping. `stored_view()` has the file's dtype, shape and
// element strides (reversed for Fortran order) and points at the stored bytes,
// which are in native byte order and element-aligned only when
// `needs_native_copy()` is false. Thread-safe to read from any number of threads.
class MappedNpy {
 public:
  // Maps and validates `path` exactly as ReadNpy does (same errors, same options).
  MappedNpy(const std::string& path, const NpyReadOptions& options);
  MappedNpy(MappedNpy&& other) noexcept;
  MappedNpy& operator=(MappedNpy&&) = delete;
  MappedNpy(const MappedNpy&) = delete;
  MappedNpy& operator=(const MappedNpy&) = delete;
  ~MappedNpy();

  const NpyHeader& header() const { return header_; }
  const std::string& path() const { return path_; }
  TensorView stored_view() const { return {data_, header_.dtype, header_.shape, strides_elems_}; }
  // The stored bytes cannot be handed to a kernel as they are (byte-swapped or misaligned).
  bool needs_native_copy() const { return needs_native_copy_; }

 private:
  std::string path_;
  NpyHeader header_;
  std::vector<int64_t> strides_elems_;
  void* address_ = nullptr;
  size_t mapped_bytes_ = 0;
  const void* data_ = nullptr;
  bool needs_native_copy_ = false;
};

// Copies the elements of `view` (which may be byte-swapped: `swap_bytes`) into
// `to`, laid out densely with the same axis order as `view`'s strides (C order
// stays C order, Fortran order stays Fortran order), and returns the strides of
// that layout. `to` must hold view.num_elements() elements of view.dtype.
std::vector<int64_t> CopyToNative(const TensorView& view, bool swap_bytes, void* to);

}  // namespace batchdot::io
