// The 'descr' field of a .npy header: NumPy's dtype string mapped to a DType.
#pragma once

#include <string>
#include <string_view>

#include "batchdot/dtype.hpp"
#include "io/npy_literal.hpp"

namespace batchdot::io {

struct DescrInfo {
  DType dtype = DType::kFloat32;
  bool big_endian = false;  // the file stores the data most significant byte first
};

// Maps a descr value ('<f4', '>c16', '=i8', 'f8', 'float32', 'd', ...) to a
// DType. Throws batchdot::Error naming `file_name`: kind kDType for NumPy types
// batchdot does not compute with (bool, int8, uint64, float128, ...), kind kIo for
// everything NumPy would not call a plain numeric array (objects, strings,
// datetimes, void, structured dtypes) or does not know, naming the closest valid
// form. '<V2' and 'bfloat16' are bfloat16 only if `accept_bfloat16`.
DescrInfo ParseDescr(const Literal& descr, std::string_view file_name, bool accept_bfloat16);

// The descr batchdot writes: little-endian, e.g. '<f4'; bfloat16 as '<V2'.
std::string_view WriteDescr(DType dtype);

}  // namespace batchdot::io
