// Sizes in messages: "80.0 GB (2 x 100000 x 100000 float32)", one spelling for
// the library's out-of-memory errors and the CLI's disk-space errors.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "batchdot/dtype.hpp"

namespace batchdot::core {

// Decimal units with one decimal ("512 bytes", "3.1 MB", "80.0 GB"), as disk and
// memory sizes are quoted to users.
std::string ByteSizeText(long double bytes);

// "2 x 100000 x 100000 float32" ("float32" for a 0-d shape).
std::string ShapeAndDTypeText(std::span<const int64_t> shape, DType dtype);

}  // namespace batchdot::core
