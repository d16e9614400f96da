// Small helpers for one-line error messages that print shapes the way Python does.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "batchdot/error.hpp"

namespace batchdot::core {

// "(3, 4)", "(3,)", "()": Python's repr of a shape tuple.
std::string ShapeString(std::span<const int64_t> shape);

[[noreturn]] void Fail(ErrorKind kind, const std::string& message);

}  // namespace batchdot::core
