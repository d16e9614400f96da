// Writing .npy files byte for byte like numpy 1.24, atomically.
#include <fcntl.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "batchdot/error.hpp"
#include "io/npy.hpp"
#include "io/npy_elements.hpp"
#include "io/npy_descr.hpp"
#include "io/output_file.hpp"

namespace batchdot::io {
namespace {

constexpr size_t kArrayAlign = 64;           // numpy.lib.format.ARRAY_ALIGN
constexpr size_t kGrowthAxisMaxDigits = 21;  // numpy.lib.format.GROWTH_AXIS_MAX_DIGITS
constexpr size_t kStagingBytes = size_t{1} << 20;

[[noreturn]] void FailIo(const std::string& path, const std::string& what) {
  throw Error(ErrorKind::kIo, path + ": " + what);
}

std::string ShapeRepr(std::span<const int64_t> shape) {
  std::string text = "(";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + (shape.size() == 1 ? ",)" : ")");
}

// Appends whole buffers to an io::OutputFile, retrying short writes.
class SequentialWriter {
 public:
  explicit SequentialWriter(OutputFile& file) : file_(file) {}

  void Write(const void* data, size_t bytes) {
    const auto* next = static_cast<const uint8_t*>(data);
    while (bytes > 0) {
      const ssize_t written = ::write(file_.fd(), next, bytes);
      if (written < 0) {
        if (errno == EINTR) continue;
        file_.Fail(std::string("cannot write: ") + std::strerror(errno));
      }
      next += written;
      bytes -= static_cast<size_t>(written);
    }
  }

 private:
  OutputFile& file_;
};

bool IsCContiguous(const TensorView& tensor) {
  int64_t expected = 1;
  for (int64_t axis = tensor.rank() - 1; axis >= 0; --axis) {
    const int64_t dim = tensor.shape[axis];
    if (dim == 0) return true;
    if (dim != 1 && tensor.strides_elems[axis] != expected) return false;
    expected *= dim;
  }
  return true;
}

// Gathers the elements in C order through a staging buffer: an odometer over
// every axis but the last, and a strided copy along the last.
void WriteStridedData(const TensorView& tensor, int64_t count, SequentialWriter& file) {
  const size_t item = SizeOf(tensor.dtype);
  const auto* base = static_cast<const uint8_t*>(tensor.data);
  if (tensor.rank() == 0) {
    std::vector<uint8_t> element(base, base + item);
    ToLittleEndian(element.data(), item, tensor.dtype);
    file.Write(element.data(), item);
    return;
  }
  const int64_t last = tensor.rank() - 1;
  const int64_t row_length = tensor.shape[last];
  const int64_t row_step = tensor.strides_elems[last] * static_cast<int64_t>(item);
  std::vector<uint8_t> staging(kStagingBytes);  // a multiple of every item size
  size_t staged = 0;
  std::vector<int64_t> index(static_cast<size_t>(last), 0);
  for (int64_t rows = count / row_length; rows > 0; --rows) {
    int64_t row_offset = 0;
    for (int64_t axis = 0; axis < last; ++axis)
      row_offset += index[axis] * tensor.strides_elems[axis];
    const uint8_t* from = base + row_offset * static_cast<int64_t>(item);
    for (int64_t i = 0; i < row_length; ++i, from += row_step, staged += item) {
      if (staged == staging.size()) {
        ToLittleEndian(staging.data(), staged, tensor.dtype);
        file.Write(staging.data(), staged);
        staged = 0;
      }
      std::memcpy(staging.data() + staged, from, item);
    }
    for (int64_t axis = last - 1; axis >= 0; --axis) {
      if (++index[axis] < tensor.shape[axis]) break;
      index[axis] = 0;
    }
  }
  ToLittleEndian(staging.data(), staged, tensor.dtype);
  file.Write(staging.data(), staged);
}

// Returns the element count after checking what a malformed view could get wrong.
int64_t CheckedElementCount(const std::string& path, const TensorView& tensor) {
  if (tensor.shape.size() != tensor.strides_elems.size()) {
    FailIo(path, "cannot write: the shape and the strides have different ranks");
  }
  int64_t count = 1;
  for (int64_t dim : tensor.shape) {
    if (dim < 0)
      FailIo(path, "cannot write: negative dimension in shape " + ShapeRepr(tensor.shape));
    if (__builtin_mul_overflow(count, dim, &count))
      FailIo(path, "cannot write: element count overflows");
  }
  if (count > 0 && tensor.data == nullptr) FailIo(path, "cannot write: the tensor has no data");
  return count;
}

}  // namespace

std::string NpyPrefix(DType dtype, std::span<const int64_t> shape) {
  std::string dict = "{'descr': '" + std::string(WriteDescr(dtype)) +
                     "', 'fortran_order': False, 'shape': " + ShapeRepr(shape) + ", }";
  // numpy leaves room for the first axis to grow to 21 digits in place.
  if (!shape.empty()) {
    const size_t digits = std::to_string(shape[0]).size();
    if (digits < kGrowthAxisMaxDigits) dict.append(kGrowthAxisMaxDigits - digits, ' ');
  }
  // numpy's _wrap_header: pad so that the data start at a multiple of 64, with
  // at least one space (a full 64 when already aligned) before the final '\n'.
  for (int version = 1; version <= 2; ++version) {
    const size_t prefix = 6 + 2 + (version == 1 ? 2 : 4);
    const size_t with_newline = dict.size() + 1;
    const size_t padding = kArrayAlign - (prefix + with_newline) % kArrayAlign;
    const size_t header_length = with_newline + padding;
    if (version == 1 && header_length > 0xFFFF) continue;
    std::string bytes = "\x93NUMPY";
    bytes += static_cast<char>(version);
    bytes += '\0';
    for (size_t i = 0; i < (version == 1 ? 2u : 4u); ++i)
      bytes += static_cast<char>((header_length >> (8 * i)) & 0xFF);
    bytes += dict;
    bytes.append(padding, ' ');
    bytes += '\n';
    return bytes;
  }
  return {};  // unreachable: a version 2.0 length field holds any header we build
}

void WriteNpy(const std::string& path, const TensorView& tensor) {
  const int64_t count = CheckedElementCount(path, tensor);
  OutputFile output(path);
  SequentialWriter file(output);
  const std::string prefix = NpyPrefix(tensor.dtype, tensor.shape);
  file.Write(prefix.data(), prefix.size());
  if (count > 0) {
    if (IsCContiguous(tensor) && std::endian::native == std::endian::little) {
      file.Write(tensor.data, static_cast<size_t>(count) * SizeOf(tensor.dtype));
    } else {
      WriteStridedData(tensor, count, file);
    }
  }
  output.Commit();
}

}  // namespace batchdot::io
