// NumPy dtype strings: which batchdot computes with, which it refuses, and how.
#include "io/npy_descr.hpp"

#include <bit>
#include <optional>

#include "batchdot/error.hpp"

namespace batchdot::io {
namespace {

constexpr std::string_view kSupportedList =
    "supported: float32, float64, int32, int64, float16, complex64, complex128 "
    "(and bfloat16 when requested)";

// A dtype NumPy knows, as kind letter plus item size ('f', 4), and what batchdot
// does with it: a DType, or nullopt for valid types batchdot does not compute with.
struct KnownType {
  char kind;
  int size;
  std::string_view numpy_name;
  std::optional<DType> dtype;
};

constexpr KnownType kKnownTypes[] = {
    {'f', 2, "float16", DType::kFloat16},
    {'f', 4, "float32", DType::kFloat32},
    {'f', 8, "float64", DType::kFloat64},
    {'c', 8, "complex64", DType::kComplex64},
    {'c', 16, "complex128", DType::kComplex128},
    {'i', 4, "int32", DType::kInt32},
    {'i', 8, "int64", DType::kInt64},
    {'b', 1, "bool", std::nullopt},
    {'i', 1, "int8", std::nullopt},
    {'i', 2, "int16", std::nullopt},
    {'u', 1, "uint8", std::nullopt},
    {'u', 2, "uint16", std::nullopt},
    {'u', 4, "uint32", std::nullopt},
    {'u', 8, "uint64", std::nullopt},
    {'f', 16, "float128", std::nullopt},
    {'c', 32, "complex256", std::nullopt},
};

// NumPy's one-character type codes (np.dtype('d') is float64), as on x86-64 Linux.
struct TypeCode {
  char code;
  char kind;
  int size;
};
constexpr TypeCode kTypeCodes[] = {
    {'e', 'f', 2},  {'f', 'f', 4}, {'d', 'f', 8}, {'g', 'f', 16}, {'F', 'c', 8}, {'D', 'c', 16},
    {'G', 'c', 32}, {'?', 'b', 1}, {'b', 'i', 1}, {'B', 'u', 1},  {'h', 'i', 2}, {'H', 'u', 2},
    {'i', 'i', 4},  {'I', 'u', 4}, {'l', 'i', 8}, {'L', 'u', 8},  {'q', 'i', 8}, {'Q', 'u', 8},
};

[[noreturn]] void Refuse(std::string_view file_name, const std::string& what) {
  throw Error(ErrorKind::kIo, std::string(file_name) + ": " + what);
}

[[noreturn]] void Unsupported(std::string_view file_name, std::string_view numpy_name) {
  throw DTypeError(std::string(file_name) + ": dtype " + std::string(numpy_name) +
                   " is not supported; " + std::string(kSupportedList));
}

const KnownType* FindKnown(char kind, int size) {
  for (const KnownType& known : kKnownTypes) {
    if (known.kind == kind && known.size == size) return &known;
  }
  return nullptr;
}

DescrInfo Resolve(const KnownType& known, bool big_endian, std::string_view file_name) {
  if (!known.dtype) Unsupported(file_name, known.numpy_name);
  // One-byte types have no byte order; none of them is supported anyway.
  return {*known.dtype, big_endian && known.size > 1};
}

// The nearest supported descr for a numeric kind with an unknown size.
std::string_view ClosestFor(char kind) {
  switch (kind) {
    case 'c':
      return "'<c8' or '<c16'";
    case 'i':
    case 'u':
      return "'<i4' or '<i8'";
    default:
      return "'<f4' or '<f8'";
  }
}

DescrInfo ParseTypeString(const std::string& text, std::string_view file_name,
                          bool accept_bfloat16) {
  const std::string quoted = QuoteForMessage(text);
  const bool native_big_endian = std::endian::native == std::endian::big;
  if (text == "bfloat16") {
    if (accept_bfloat16) return {DType::kBFloat16, native_big_endian};
    Refuse(file_name,
           "descr 'bfloat16' is not a NumPy dtype; it is read as bfloat16 only when bfloat16 "
           "input is requested explicitly (batchdot run --bf16)");
  }
  for (const KnownType& known : kKnownTypes) {
    if (text == known.numpy_name) return Resolve(known, native_big_endian, file_name);
  }

  size_t pos = 0;
  bool big_endian = false;
  if (!text.empty() && (text[0] == '<' || text[0] == '>' || text[0] == '|' || text[0] == '=')) {
    // '|' (not applicable), '=' (native) and no character all mean this machine's order.
    big_endian = text[0] == '>' || (text[0] != '<' && std::endian::native == std::endian::big);
    pos = 1;
  } else {
    big_endian = std::endian::native == std::endian::big;
  }
  if (pos >= text.size())
    Refuse(file_name, "descr " + quoted + " names no type; expected e.g. '<f4'");
  const char kind = text[pos];
  const std::string_view rest = std::string_view(text).substr(pos + 1);

  if (rest.empty()) {
    for (const TypeCode& code : kTypeCodes) {
      if (code.code == kind)
        return Resolve(*FindKnown(code.kind, code.size), big_endian, file_name);
    }
  }
  switch (kind) {
    case 'O':
      Refuse(file_name, "descr " + quoted +
                            " is an object array, which is never loaded (it would need "
                            "unpickling); save a numeric array such as '<f4'");
    case 'S':
    case 'a':
    case 'U':
      Refuse(file_name, "descr " + quoted +
                            " is a string dtype; only numeric arrays such as '<f4' are supported");
    case 'M':
    case 'm':
      Refuse(file_name, "descr " + quoted + " is a datetime dtype; save it as '<i8' or '<f8'");
    case 'V':
      if (rest == "2") {
        if (accept_bfloat16) return {DType::kBFloat16, big_endian};
        Refuse(file_name, "descr " + quoted +
                              " is raw 2-byte void; it is read as bfloat16 only when bfloat16 "
                              "input is requested explicitly (batchdot run --bf16)");
      }
      Refuse(file_name, "descr " + quoted +
                            " is a void dtype; only numeric arrays such as '<f4' are supported");
    case 'f':
    case 'c':
    case 'i':
    case 'u':
    case 'b': {
      // At most 3 digits: no known size is longer, and the sum cannot overflow.
      bool digits_only = !rest.empty() && rest.size() <= 3;
      int size = 0;
      for (size_t i = 0; digits_only && i < rest.size(); ++i) {
        digits_only = rest[i] >= '0' && rest[i] <= '9';
        size = size * 10 + (rest[i] - '0');
      }
      if (digits_only) {
        if (const KnownType* known = FindKnown(kind, size))
          return Resolve(*known, big_endian, file_name);
      }
      Refuse(file_name, "descr " + quoted + " is not a valid numeric dtype; expected " +
                            std::string(ClosestFor(kind)));
    }
    default:
      Refuse(file_name,
             "descr " + quoted +
                 " is not a supported dtype; expected e.g. '<f4', '<f8', '<i8' or '<c16'");
  }
}

}  // namespace

DescrInfo ParseDescr(const Literal& descr, std::string_view file_name, bool accept_bfloat16) {
  if (descr.kind == Literal::Kind::kList) {
    Refuse(file_name,
           "descr " + SourceForMessage(descr.source) +
               " is a structured dtype; only plain numeric arrays such as '<f4' are supported");
  }
  if (descr.kind != Literal::Kind::kString) {
    Refuse(file_name,
           "descr " + SourceForMessage(descr.source) + " is not a dtype string such as '<f4'");
  }
  return ParseTypeString(descr.string_value, file_name, accept_bfloat16);
}

std::string_view WriteDescr(DType dtype) {
  switch (dtype) {
    case DType::kFloat16:
      return "<f2";
    case DType::kFloat32:
      return "<f4";
    case DType::kFloat64:
      return "<f8";
    case DType::kComplex64:
      return "<c8";
    case DType::kComplex128:
      return "<c16";
    case DType::kInt32:
      return "<i4";
    case DType::kInt64:
      return "<i8";
    case DType::kBFloat16:
      return "<V2";
  }
  return "<f4";
}

}  // namespace batchdot::io
