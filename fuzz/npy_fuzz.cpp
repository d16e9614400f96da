// libFuzzer target for the .npy reader: any byte string must either parse into
// a view whose every element lies inside the data, or throw batchdot::Error.
// Anything else (a crash, a sanitizer report, another exception) is a bug.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "batchdot/error.hpp"
#include "io/npy.hpp"

namespace {

// Reads every element through the view's strides, so ASan sees any stride or
// size the reader got wrong.
uint8_t TouchEveryElement(const batchdot::TensorView& view, size_t data_bytes) {
  const size_t item = batchdot::SizeOf(view.dtype);
  int64_t count = 1;
  for (int64_t dim : view.shape) count *= dim;
  if (count == 0) return 0;
  if (static_cast<size_t>(count) * item != data_bytes) __builtin_trap();
  std::vector<int64_t> index(view.shape.size(), 0);
  const auto* base = static_cast<const uint8_t*>(view.data);
  uint8_t checksum = 0;
  for (int64_t n = 0; n < count; ++n) {
    int64_t offset = 0;
    for (size_t axis = 0; axis < index.size(); ++axis)
      offset += index[axis] * view.strides_elems[axis];
    if (offset < 0 || static_cast<size_t>(offset + 1) * item > data_bytes) __builtin_trap();
    checksum ^= base[static_cast<size_t>(offset) * item + item - 1];
    for (size_t axis = index.size(); axis-- > 0;) {
      if (++index[axis] < view.shape[axis]) break;
      index[axis] = 0;
    }
  }
  return checksum;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> file(data, size);
  for (const bool lenient : {false, true}) {
    batchdot::io::NpyReadOptions options;
    options.allow_trailing = lenient;
    options.accept_bfloat16 = lenient;
    try {
      const batchdot::io::NpyArray array =
          batchdot::io::ReadNpyFromBytes(file, "fuzz.npy", options);
      volatile uint8_t sink = TouchEveryElement(array.view(), array.header().data_bytes);
      (void)sink;
      // What the writer would emit for this array must always read back.
      const std::string prefix =
          batchdot::io::NpyPrefix(array.header().dtype, array.header().shape);
      std::vector<uint8_t> rewritten(prefix.begin(), prefix.end());
      rewritten.resize(prefix.size() + array.header().data_bytes);
      if (batchdot::io::ReadNpyFromBytes(rewritten, "rewritten.npy", options).header().shape !=
          array.header().shape) {
        __builtin_trap();
      }
    } catch (const batchdot::Error&) {
      // Rejected with a message: the expected outcome for malformed input.
    }
  }
  return 0;
}
