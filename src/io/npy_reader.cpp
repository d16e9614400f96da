// Loading a .npy file: a read-only memory mapping, or a native copy when the
// file's byte order or alignment rule the mapping out.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "batchdot/error.hpp"
#include "io/npy.hpp"
#include "io/npy_elements.hpp"

namespace batchdot::io {

struct NpyArray::Mapping {
  void* address = nullptr;
  size_t size = 0;
};

void NpyArray::MappingDeleter::operator()(Mapping* mapping) const noexcept {
  if (mapping->address != nullptr) munmap(mapping->address, mapping->size);
  delete mapping;
}

void NpyArray::AlignedFree::operator()(void* p) const noexcept { std::free(p); }

namespace {

[[noreturn]] void FailIo(std::string_view name, const std::string& what) {
  throw Error(ErrorKind::kIo, std::string(name) + ": " + what);
}

// Reverses the bytes of every `word`-byte word (a whole element, or one
// component of a complex element) while copying.
void CopySwapped(const uint8_t* from, uint8_t* to, size_t bytes, size_t word) {
  for (size_t offset = 0; offset + word <= bytes; offset += word) {
    for (size_t i = 0; i < word; ++i) to[offset + i] = from[offset + word - 1 - i];
  }
}

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

void NpyArray::AdoptData(const uint8_t* data, bool force_copy) {
  strides_elems_ = StoredStrides(header_.shape, header_.fortran_order);
  const bool aligned = reinterpret_cast<uintptr_t>(data) % WordSize(header_.dtype) == 0;
  if (!header_.needs_byte_swap && aligned && !force_copy) {
    data_ = data;
    return;
  }
  // 64-byte alignment like the library's own tensors; at least one byte so
  // that an empty array still has a valid, unique pointer.
  const size_t bytes = header_.data_bytes;
  const size_t rounded = (bytes + 63) / 64 * 64 + 64;
  void* copy = std::aligned_alloc(64, rounded);
  if (copy == nullptr) throw std::bad_alloc();
  owned_data_.reset(copy);
  const bool is_complex = header_.dtype == DType::kComplex64 || header_.dtype == DType::kComplex128;
  const size_t word = SizeOf(header_.dtype) / (is_complex ? 2 : 1);
  if (header_.needs_byte_swap) {
    CopySwapped(data, static_cast<uint8_t*>(copy), bytes, word);
  } else {
    std::memcpy(copy, data, bytes);
  }
  data_ = copy;
  mapping_.reset();  // the copy is all the view needs
}

NpyArray ReadNpy(const std::string& path, const NpyReadOptions& options) {
  FileDescriptor fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) FailIo(path, std::string("cannot open: ") + std::strerror(errno));
  struct stat info {};
  if (fstat(fd.get(), &info) != 0)
    FailIo(path, std::string("cannot stat: ") + std::strerror(errno));
  if (!S_ISREG(info.st_mode)) FailIo(path, "not a regular file");
  const size_t size = static_cast<size_t>(info.st_size);
  if (size == 0) FailIo(path, "not a .npy file (the file is empty)");

  // MAP_PRIVATE + PROT_READ: the input can never be modified through the view.
  void* address = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (address == MAP_FAILED) FailIo(path, std::string("cannot map: ") + std::strerror(errno));
  NpyArray array;
  array.mapping_.reset(new NpyArray::Mapping{address, size});

  const std::span<const uint8_t> file(static_cast<const uint8_t*>(address), size);
  array.header_ = ParseNpyHeader(file, path, options);
  array.AdoptData(file.data() + array.header_.data_offset, /*force_copy=*/false);
  return array;
}

NpyArray ReadNpyFromBytes(std::span<const uint8_t> file, std::string_view name,
                          const NpyReadOptions& options) {
  NpyArray array;
  array.header_ = ParseNpyHeader(file, name, options);
  // Always copy: the caller's buffer need not outlive the array.
  array.AdoptData(file.data() + array.header_.data_offset, /*force_copy=*/true);
  return array;
}

}  // namespace batchdot::io
