// XLA FFI buffers as batchdot views (see ffi_views.hpp).
#include "ffi_views.hpp"

#include <numeric>

namespace batchdot::jax_ffi {
namespace {

// The element a shape-only view points at: never read, never written.
alignas(16) const unsigned char kNoElement[16] = {};

std::vector<int64_t> Shifted(ffi::Span<const int64_t> axes, int64_t levels, bool with_vmap_axes) {
  std::vector<int64_t> shifted;
  if (with_vmap_axes) {
    shifted.resize(static_cast<size_t>(levels));
    std::iota(shifted.begin(), shifted.end(), int64_t{0});
  }
  for (int64_t axis : axes) shifted.push_back(axis + levels);
  return shifted;
}

// XLA's name for an element type batchdot does not take, for the error message.
std::string XlaTypeName(ffi::DataType type) {
  switch (type) {
    case ffi::DataType::PRED: return "bool";
    case ffi::DataType::S8: return "int8";
    case ffi::DataType::S16: return "int16";
    case ffi::DataType::U8: return "uint8";
    case ffi::DataType::U16: return "uint16";
    case ffi::DataType::U32: return "uint32";
    case ffi::DataType::U64: return "uint64";
    default: return "XLA element type " + std::to_string(static_cast<int>(type));
  }
}

}  // namespace

bool DTypeOf(ffi::DataType type, DType& dtype) {
  switch (type) {
    case ffi::DataType::F32: dtype = DType::kFloat32; return true;
    case ffi::DataType::F64: dtype = DType::kFloat64; return true;
    case ffi::DataType::S32: dtype = DType::kInt32; return true;
    case ffi::DataType::S64: dtype = DType::kInt64; return true;
    case ffi::DataType::F16: dtype = DType::kFloat16; return true;
    case ffi::DataType::BF16: dtype = DType::kBFloat16; return true;
    case ffi::DataType::C64: dtype = DType::kComplex64; return true;
    case ffi::DataType::C128: dtype = DType::kComplex128; return true;
    default: return false;
  }
}

BufferView::BufferView(const char* name, ffi::AnyBuffer buffer, const std::vector<int64_t>& vmap_sizes)
    : data_(buffer.untyped_data()) {
  if (!DTypeOf(buffer.element_type(), dtype_)) {
    throw DTypeError(std::string("batchdot.jax: ") + name + " has dtype " + XlaTypeName(buffer.element_type()) +
                     ", which batchdot does not compute in; supported: float32, float64, int32, int64, float16, "
                     "bfloat16, complex64, complex128");
  }
  const auto dims = buffer.dimensions();
  shape_.assign(dims.begin(), dims.end());
  if (shape_.size() < vmap_sizes.size()) {
    throw Error(ErrorKind::kShape, std::string("batchdot.jax: ") + name + " has rank " +
                                       std::to_string(shape_.size()) + ", fewer than its " +
                                       std::to_string(vmap_sizes.size()) + " vmap axes");
  }
  strides_ = ContiguousStrides(shape_);
  for (size_t i = 0; i < vmap_sizes.size(); ++i) {
    if (shape_[i] == vmap_sizes[i]) continue;
    if (shape_[i] != 1) {
      throw Error(ErrorKind::kShape, std::string("batchdot.jax: ") + name + " has size " +
                                         std::to_string(shape_[i]) + " on vmap axis " + std::to_string(i) +
                                         ", the result " + std::to_string(vmap_sizes[i]));
    }
    shape_[i] = vmap_sizes[i];  // an unmapped operand: the same element for every vmap index
    strides_[i] = 0;
  }
  zero_strides_.assign(shape_.size(), 0);
}

TensorView BufferView::shape_only() const { return {kNoElement, dtype_, shape_, zero_strides_}; }

DotDimensionNumbers WithVmapAxes(ffi::Span<const int64_t> lhs_contracting, ffi::Span<const int64_t> rhs_contracting,
                                 ffi::Span<const int64_t> lhs_batch, ffi::Span<const int64_t> rhs_batch,
                                 int64_t vmap_levels) {
  DotDimensionNumbers dims;
  dims.lhs_contracting = Shifted(lhs_contracting, vmap_levels, false);
  dims.rhs_contracting = Shifted(rhs_contracting, vmap_levels, false);
  dims.lhs_batch = Shifted(lhs_batch, vmap_levels, true);
  dims.rhs_batch = Shifted(rhs_batch, vmap_levels, true);
  return dims;
}

std::vector<int64_t> VmapSizes(ffi::AnyBuffer result, int64_t levels) {
  const auto dims = result.dimensions();
  if (levels < 0 || static_cast<size_t>(levels) > dims.size()) {
    throw Error(ErrorKind::kShape, "batchdot.jax: the result has rank " + std::to_string(dims.size()) +
                                       ", which cannot hold " + std::to_string(levels) + " vmap axes");
  }
  return std::vector<int64_t>(dims.begin(), dims.begin() + levels);
}

}  // namespace batchdot::jax_ffi
