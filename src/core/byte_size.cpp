#include "core/byte_size.hpp"

#include <cstdio>
#include <iterator>

namespace batchdot::core {

std::string ByteSizeText(long double bytes) {
  static constexpr const char* kUnits[] = {"bytes", "kB", "MB", "GB", "TB", "PB", "EB"};
  size_t unit = 0;
  while (bytes >= 1000 && unit + 1 < std::size(kUnits)) {
    bytes /= 1000;
    ++unit;
  }
  char text[64];
  std::snprintf(text, sizeof(text), unit == 0 ? "%.0Lf %s" : "%.1Lf %s", bytes, kUnits[unit]);
  return text;
}

std::string ShapeAndDTypeText(std::span<const int64_t> shape, DType dtype) {
  std::string text;
  for (int64_t d : shape) text += std::to_string(d) + " x ";
  if (!text.empty()) text.resize(text.size() - 2);
  return text + std::string(Name(dtype));
}

}  // namespace batchdot::core
