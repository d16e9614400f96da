// DType names and NumPy-style promotion.
#include "batchdot/dtype.hpp"

namespace batchdot {

std::optional<DType> DTypeFromName(std::string_view name) {
  for (DType dtype : kAllDTypes) {
    if (Name(dtype) == name) return dtype;
  }
  return std::nullopt;
}

namespace {

bool IsComplex(DType t) { return t == DType::kComplex64 || t == DType::kComplex128; }
bool IsInteger(DType t) { return t == DType::kInt32 || t == DType::kInt64; }

// Precision class of a floating or complex type: 16-bit, 32-bit, 64-bit.
int FloatRank(DType t) {
  switch (t) {
    case DType::kFloat16:
    case DType::kBFloat16:
      return 1;
    case DType::kFloat32:
    case DType::kComplex64:
      return 2;
    default:
      return 3;
  }
}

}  // namespace

DType PromoteTypes(DType a, DType b) {
  if (a == b) return a;
  // float16 with bfloat16 has no exact common 16-bit type; NumPy-like libraries use float32.
  if ((a == DType::kFloat16 && b == DType::kBFloat16) || (a == DType::kBFloat16 && b == DType::kFloat16)) {
    return DType::kFloat32;
  }
  if (IsInteger(a) && IsInteger(b)) return DType::kInt64;
  if (IsInteger(a) || IsInteger(b)) {
    // NumPy: an int32 or int64 with any float gives float64 (complex128 for complex).
    const DType other = IsInteger(a) ? b : a;
    return IsComplex(other) ? DType::kComplex128 : DType::kFloat64;
  }
  const int rank = FloatRank(a) > FloatRank(b) ? FloatRank(a) : FloatRank(b);
  if (IsComplex(a) || IsComplex(b)) return rank >= 3 ? DType::kComplex128 : DType::kComplex64;
  return rank <= 2 ? DType::kFloat32 : DType::kFloat64;
}

}  // namespace batchdot
