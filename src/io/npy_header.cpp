// Validation of a .npy file's fixed prefix, header dict and sizes.
#include <bit>
#include <cstring>
#include <string>

#include "batchdot/error.hpp"
#include "io/npy.hpp"
#include "io/npy_descr.hpp"
#include "io/npy_literal.hpp"

namespace batchdot::io {
namespace {

constexpr uint8_t kMagic[] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
constexpr size_t kMagicSize = sizeof kMagic;
// NumPy caps headers at 10 000 characters; a generous 64 KiB still refuses
// absurd headers before any parsing.
constexpr size_t kMaxHeaderBytes = 64 * 1024;
// NumPy 1.24's NPY_MAXDIMS.
constexpr size_t kMaxRank = 32;

class HeaderChecker {
 public:
  HeaderChecker(std::string_view name, const NpyReadOptions& options)
      : name_(name), options_(options) {}

  NpyHeader Check(std::span<const uint8_t> file) {
    NpyHeader header;
    const std::string_view dict_text = CheckPrefix(file, header);
    const LiteralParseResult parsed = ParseLiteral(dict_text);
    if (!parsed.value) Fail("header is not a Python dict literal: " + parsed.error);
    if (parsed.value->kind != Literal::Kind::kDict) {
      Fail("header is not a dict: " + SourceForMessage(parsed.value->source));
    }
    const Fields fields = FindFields(*parsed.value);

    const DescrInfo descr = ParseDescr(*fields.descr, name_, options_.accept_bfloat16);
    header.dtype = descr.dtype;
    header.needs_byte_swap = descr.big_endian != (std::endian::native == std::endian::big);

    if (fields.fortran_order->kind != Literal::Kind::kBool) {
      Fail("fortran_order " + SourceForMessage(fields.fortran_order->source) +
           " is not True or False");
    }
    header.fortran_order = fields.fortran_order->bool_value;

    header.shape = CheckShape(*fields.shape);
    header.data_bytes = CheckByteSize(header.shape, SizeOf(header.dtype));
    CheckDataSize(file.size(), header);
    return header;
  }

 private:
  struct Fields {
    const Literal* descr = nullptr;
    const Literal* fortran_order = nullptr;
    const Literal* shape = nullptr;
  };

  [[noreturn]] void Fail(const std::string& what) const {
    throw Error(ErrorKind::kIo, std::string(name_) + ": " + what);
  }

  // Magic, version and header length; returns the header text and sets
  // version_major and data_offset.
  std::string_view CheckPrefix(std::span<const uint8_t> file, NpyHeader& header) const {
    const size_t compared = file.size() < kMagicSize ? file.size() : kMagicSize;
    if (compared == 0 || std::memcmp(file.data(), kMagic, compared) != 0) {
      Fail(file.empty() ? "not a .npy file (the file is empty)" : "not a .npy file (bad magic)");
    }
    if (file.size() < kMagicSize + 2) Fail("file ends inside the .npy magic and version");
    const int major = file[kMagicSize];
    const int minor = file[kMagicSize + 1];
    if ((major < 1 || major > 3) || minor != 0) {
      Fail("unsupported .npy format version " + std::to_string(major) + "." +
           std::to_string(minor) + " (supported: 1.0, 2.0, 3.0)");
    }
    header.version_major = major;
    // Version 1.0 stores the header length in 2 bytes, later versions in 4,
    // both little-endian whatever the data's byte order.
    const size_t length_bytes = major == 1 ? 2 : 4;
    const size_t length_at = kMagicSize + 2;
    if (file.size() < length_at + length_bytes) Fail("file ends inside the header length field");
    size_t header_length = 0;
    for (size_t i = 0; i < length_bytes; ++i)
      header_length |= size_t{file[length_at + i]} << (8 * i);
    if (header_length > kMaxHeaderBytes) {
      Fail("header length " + std::to_string(header_length) + " exceeds the 64 KiB limit");
    }
    header.data_offset = length_at + length_bytes + header_length;
    if (header.data_offset > file.size()) {
      Fail("header length " + std::to_string(header_length) + " runs past the end of the file (" +
           std::to_string(file.size()) + " bytes)");
    }
    // Latin-1 (v1, v2) or UTF-8 (v3): the fields batchdot accepts are ASCII either way.
    return {reinterpret_cast<const char*>(file.data() + length_at + length_bytes), header_length};
  }

  // Exactly the keys 'descr', 'fortran_order' and 'shape', in any order.
  Fields FindFields(const Literal& dict) const {
    Fields fields;
    for (size_t i = 0; i + 1 < dict.items.size(); i += 2) {
      const Literal& key = dict.items[i];
      if (key.kind != Literal::Kind::kString) {
        Fail("header key " + SourceForMessage(key.source) + " is not a string");
      }
      const Literal** slot = key.string_value == "descr"           ? &fields.descr
                             : key.string_value == "fortran_order" ? &fields.fortran_order
                             : key.string_value == "shape"         ? &fields.shape
                                                                   : nullptr;
      if (slot == nullptr) {
        Fail("header has an unexpected key " + QuoteForMessage(key.string_value) +
             " (expected exactly 'descr', 'fortran_order', 'shape')");
      }
      if (*slot != nullptr) Fail("header repeats the key " + QuoteForMessage(key.string_value));
      *slot = &dict.items[i + 1];
    }
    if (fields.descr == nullptr) Fail("header is missing the key 'descr'");
    if (fields.fortran_order == nullptr) Fail("header is missing the key 'fortran_order'");
    if (fields.shape == nullptr) Fail("header is missing the key 'shape'");
    return fields;
  }

  std::vector<int64_t> CheckShape(const Literal& shape) const {
    const std::string shown = SourceForMessage(shape.source);
    if (shape.kind != Literal::Kind::kTuple) Fail("shape " + shown + " is not a tuple of ints");
    if (shape.items.size() > kMaxRank) {
      Fail("shape has " + std::to_string(shape.items.size()) + " dimensions; at most " +
           std::to_string(kMaxRank) + " are supported");
    }
    std::vector<int64_t> dims;
    for (const Literal& dim : shape.items) {
      // Python's bool is an int subclass, but a shape of (True,) is nonsense.
      if (dim.kind != Literal::Kind::kInt) {
        Fail("shape " + shown + " is not a tuple of ints (element " + SourceForMessage(dim.source) +
             ")");
      }
      if (dim.int_overflows) Fail("shape " + shown + " has a dimension too large for int64");
      if (dim.int_value < 0) Fail("shape " + shown + " has a negative dimension");
      dims.push_back(dim.int_value);
    }
    return dims;
  }

  // Checked before any mapping or allocation. Zero-size dimensions count as 1
  // here so that strides computed from the other dimensions cannot overflow either.
  size_t CheckByteSize(const std::vector<int64_t>& shape, size_t item_size) const {
    int64_t extent = static_cast<int64_t>(item_size);
    bool empty = false;
    for (int64_t dim : shape) {
      empty = empty || dim == 0;
      if (__builtin_mul_overflow(extent, dim == 0 ? int64_t{1} : dim, &extent)) {
        Fail("shape " + ShapeText(shape) + " times the item size " + std::to_string(item_size) +
             " overflows 64 bits");
      }
    }
    return empty ? 0 : static_cast<size_t>(extent);
  }

  void CheckDataSize(size_t file_size, const NpyHeader& header) const {
    const size_t available = file_size - header.data_offset;
    if (available < header.data_bytes) {
      Fail("data is truncated: shape " + ShapeText(header.shape) + " needs " +
           std::to_string(header.data_bytes) + " bytes, the file has " + std::to_string(available));
    }
    if (available > header.data_bytes && !options_.allow_trailing) {
      Fail(std::to_string(available - header.data_bytes) + " trailing bytes after the " +
           std::to_string(header.data_bytes) + " bytes of data for shape " +
           ShapeText(header.shape));
    }
  }

  static std::string ShapeText(const std::vector<int64_t>& shape) {
    std::string text = "(";
    for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
    return text + (shape.size() == 1 ? ",)" : ")");
  }

  std::string_view name_;
  const NpyReadOptions& options_;
};

}  // namespace

NpyHeader ParseNpyHeader(std::span<const uint8_t> file, std::string_view name,
                         const NpyReadOptions& options) {
  return HeaderChecker(name, options).Check(file);
}

}  // namespace batchdot::io
