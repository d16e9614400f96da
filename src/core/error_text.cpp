#include "core/error_text.hpp"

namespace batchdot::core {

std::string ShapeString(std::span<const int64_t> shape) {
  std::string text = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) text += ", ";
    text += std::to_string(shape[i]);
  }
  if (shape.size() == 1) text += ",";
  return text + ")";
}

void Fail(ErrorKind kind, const std::string& message) {
  if (kind == ErrorKind::kDType) throw DTypeError(message);
  throw Error(kind, message);
}

}  // namespace batchdot::core
