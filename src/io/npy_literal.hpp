// A parser for the small subset of Python literals a .npy header is written in:
// dicts, tuples, lists, strings, ints, floats, True, False and None.
//
// NumPy reads the header with ast.literal_eval; batchdot parses it by hand so that a
// hostile header can neither run code nor exhaust the stack (nesting is capped),
// and so that every rejection can name the offending field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace batchdot::io {

struct Literal {
  enum class Kind { kString, kInt, kFloat, kBool, kNone, kTuple, kList, kDict };

  Kind kind = Kind::kNone;
  std::string_view source;     // the literal's text in the header, for error messages
  std::string string_value;    // kString, with escapes resolved
  int64_t int_value = 0;       // kInt
  bool int_overflows = false;  // kInt outside int64_t
  bool bool_value = false;     // kBool
  // kTuple and kList: the elements. kDict: key0, value0, key1, value1, ...
  std::vector<Literal> items;
};

struct LiteralParseResult {
  std::optional<Literal> value;
  std::string error;  // why parsing failed, when `value` is empty
};

// Parses `text` as exactly one literal surrounded by optional whitespace.
// The result's `source` views point into `text`.
LiteralParseResult ParseLiteral(std::string_view text);

// `text` made safe for a one-line message: quoted like Python's repr(), with
// non-printable bytes escaped and anything past `max_chars` replaced by "...".
std::string QuoteForMessage(std::string_view text, size_t max_chars = 40);

// A literal's source text as written, e.g. [2, 3] or 'x', made safe for a
// one-line message the same way but without added quotes.
std::string SourceForMessage(std::string_view source, size_t max_chars = 40);

}  // namespace batchdot::io
