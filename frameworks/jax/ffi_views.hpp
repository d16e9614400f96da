// XLA FFI buffers as batchdot views, and the dimension numbers of one call.
//
// XLA hands a custom call dense row-major buffers (no layout is requested), so a
// view's element strides follow from its dimensions; nothing is assumed about
// alignment (batchdot takes views at any element address). vmap reaches the handlers
// through ffi_call's vmap_method="expand_dims": every operand gets one leading
// axis per vmap level, of size 1 when that operand is not mapped. Those axes become
// extra batch pairs at the front of the dimension numbers, and a size-1 axis is
// broadcast by a zero stride, so a vmapped call is one batchdot contraction, not a
// loop and not a broadcast copy.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "batchdot/batchdot.hpp"
#include "xla/ffi/api/ffi.h"

namespace batchdot::jax_ffi {

namespace ffi = xla::ffi;

// batchdot's dtype for an XLA element type; false for a type batchdot does not take.
bool DTypeOf(ffi::DataType type, DType& dtype);

// One operand (or result) as a batchdot view; owns its shape and strides.
class BufferView {
 public:
  // `vmap_sizes` are the sizes of the leading vmap axes (taken from the result);
  // the buffer has `vmap_sizes.size()` leading axes, each 1 or that size.
  BufferView(const char* name, ffi::AnyBuffer buffer, const std::vector<int64_t>& vmap_sizes);

  TensorView view() const { return {data_, dtype_, shape_, strides_}; }
  MutableTensorView mutable_view() const { return {data_, dtype_, shape_, strides_}; }
  // A view of the shape only (zero strides on a static element): the operand a
  // gradient contraction names but does not read.
  TensorView shape_only() const;

 private:
  void* data_;
  DType dtype_ = DType::kFloat32;
  std::vector<int64_t> shape_, strides_, zero_strides_;
};

// The forward call's dimension numbers, decoded from the handler's attributes,
// with one leading batch pair per vmap level (the traced axes shift up by it).
DotDimensionNumbers WithVmapAxes(ffi::Span<const int64_t> lhs_contracting, ffi::Span<const int64_t> rhs_contracting,
                      ffi::Span<const int64_t> lhs_batch, ffi::Span<const int64_t> rhs_batch, int64_t vmap_levels);

// The sizes of the `levels` leading axes of `result`.
std::vector<int64_t> VmapSizes(ffi::AnyBuffer result, int64_t levels);

}  // namespace batchdot::jax_ffi
