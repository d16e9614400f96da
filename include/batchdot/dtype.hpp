// Element types batchdot understands, with their names and sizes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace batchdot {

// Element type of a tensor. float16 and bfloat16 are 16-bit storage types: they are
// accumulated in float32 and rounded once per output element.
enum class DType : uint8_t {
  kFloat32,
  kFloat64,
  kInt32,
  kInt64,
  kFloat16,
  kBFloat16,
  kComplex64,
  kComplex128,
};

inline constexpr DType kAllDTypes[] = {DType::kFloat32, DType::kFloat64,   DType::kInt32,
                                       DType::kInt64,   DType::kFloat16,   DType::kBFloat16,
                                       DType::kComplex64, DType::kComplex128};

// Size of one element in bytes.
constexpr size_t SizeOf(DType dtype) {
  switch (dtype) {
    case DType::kFloat16:
    case DType::kBFloat16:
      return 2;
    case DType::kFloat32:
    case DType::kInt32:
      return 4;
    case DType::kFloat64:
    case DType::kInt64:
    case DType::kComplex64:
      return 8;
    case DType::kComplex128:
      return 16;
  }
  return 0;
}

// NumPy's name for the type ("float32", "bfloat16", ...).
constexpr std::string_view Name(DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return "float32";
    case DType::kFloat64: return "float64";
    case DType::kInt32: return "int32";
    case DType::kInt64: return "int64";
    case DType::kFloat16: return "float16";
    case DType::kBFloat16: return "bfloat16";
    case DType::kComplex64: return "complex64";
    case DType::kComplex128: return "complex128";
  }
  return "unknown";
}

// The inverse of Name(); nullopt for names batchdot does not support.
std::optional<DType> DTypeFromName(std::string_view name);

// The type both operands are converted to when they differ, following NumPy's
// result_type on this set (Keras 3 promotes the same way).
DType PromoteTypes(DType a, DType b);

}  // namespace batchdot
