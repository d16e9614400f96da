// Mapping a .npy file without converting it, and converting pieces of it later.
#include "io/npy_mapped.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <utility>

#include "batchdot/error.hpp"
#include "io/npy_elements.hpp"

namespace batchdot::io {
namespace {

[[noreturn]] void FailIo(const std::string& name, const std::string& what) {
  throw Error(ErrorKind::kIo, name + ": " + what);
}

}  // namespace

MappedNpy::MappedNpy(const std::string& path, const NpyReadOptions& options) : path_(path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) FailIo(path, std::string("cannot open: ") + std::strerror(errno));
  struct stat info {};
  const bool stat_ok = fstat(fd, &info) == 0;
  const int stat_errno = errno;
  if (!stat_ok || !S_ISREG(info.st_mode) || info.st_size == 0) {
    close(fd);
    if (!stat_ok) FailIo(path, std::string("cannot stat: ") + std::strerror(stat_errno));
    if (!S_ISREG(info.st_mode)) FailIo(path, "not a regular file");
    FailIo(path, "not a .npy file (the file is empty)");
  }
  mapped_bytes_ = static_cast<size_t>(info.st_size);
  address_ = mmap(nullptr, mapped_bytes_, PROT_READ, MAP_PRIVATE, fd, 0);
  const int map_errno = errno;
  close(fd);  // the mapping keeps the file open
  if (address_ == MAP_FAILED) {
    address_ = nullptr;
    FailIo(path, std::string("cannot map: ") + std::strerror(map_errno));
  }
  try {
    const std::span<const uint8_t> file(static_cast<const uint8_t*>(address_), mapped_bytes_);
    header_ = ParseNpyHeader(file, path, options);
  } catch (...) {
    munmap(address_, mapped_bytes_);
    throw;
  }
  strides_elems_ = StoredStrides(header_.shape, header_.fortran_order);
  data_ = static_cast<const uint8_t*>(address_) + header_.data_offset;
  const bool aligned = reinterpret_cast<uintptr_t>(data_) % WordSize(header_.dtype) == 0;
  needs_native_copy_ = header_.needs_byte_swap || !aligned;
  // The run path reads each chunk once, front to back.
  madvise(address_, mapped_bytes_, MADV_SEQUENTIAL);
}

MappedNpy::MappedNpy(MappedNpy&& other) noexcept
    : path_(std::move(other.path_)),
      header_(std::move(other.header_)),
      strides_elems_(std::move(other.strides_elems_)),
      address_(std::exchange(other.address_, nullptr)),
      mapped_bytes_(other.mapped_bytes_),
      data_(other.data_),
      needs_native_copy_(other.needs_native_copy_) {}

MappedNpy::~MappedNpy() {
  if (address_ != nullptr) munmap(address_, mapped_bytes_);
}

std::vector<int64_t> CopyToNative(const TensorView& view, bool swap_bytes, void* to) {
  const size_t rank = view.shape.size();
  // Axes from the fastest-varying (smallest |stride|) to the slowest: the
  // copy keeps that order so that the kernels see the same layout family.
  std::vector<size_t> order(rank);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return std::llabs(view.strides_elems[a]) < std::llabs(view.strides_elems[b]);
  });
  std::vector<int64_t> dense(rank);
  int64_t stride = 1;
  for (size_t axis : order) {
    dense[axis] = stride;
    stride *= view.shape[axis];
  }
  const int64_t count = view.num_elements();
  if (count == 0) return dense;
  const size_t item = SizeOf(view.dtype);
  const size_t word = WordSize(view.dtype);
  const auto* from = static_cast<const uint8_t*>(view.data);
  auto* out = static_cast<uint8_t*>(to);
  // Odometer in the destination's order, so writes are sequential.
  std::vector<int64_t> index(rank, 0);
  int64_t source = 0;
  for (int64_t i = 0; i < count; ++i) {
    const uint8_t* element = from + source * static_cast<int64_t>(item);
    if (swap_bytes) {
      for (size_t at = 0; at < item; at += word) {
        for (size_t b = 0; b < word; ++b) out[at + b] = element[at + word - 1 - b];
      }
    } else {
      std::memcpy(out, element, item);
    }
    out += item;
    for (size_t axis : order) {
      if (++index[axis] < view.shape[axis]) {
        source += view.strides_elems[axis];
        break;
      }
      source -= view.strides_elems[axis] * (view.shape[axis] - 1);
      index[axis] = 0;
    }
  }
  return dense;
}

}  // namespace batchdot::io
