// The hand-written Python literal parser behind the .npy header reader.
#include "io/npy_literal.hpp"

#include <cstdio>

namespace batchdot::io {
namespace {

// Deeper nesting than a .npy header ever needs, shallow enough that a header of
// 64 KiB of '(' cannot overflow the stack.
constexpr int kMaxDepth = 16;

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '_';
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  LiteralParseResult ParseDocument() {
    Literal value;
    SkipSpace();
    if (!ParseValue(value, 0)) return {std::nullopt, error_};
    SkipSpace();
    if (pos_ != text_.size()) {
      Fail("unexpected text after the literal");
      return {std::nullopt, error_};
    }
    return {std::move(value), ""};
  }

 private:
  bool Fail(const std::string& what) {
    if (error_.empty()) {
      error_ = what + " at byte " + std::to_string(pos_);
      if (pos_ < text_.size()) error_ += " (" + QuoteForMessage(text_.substr(pos_, 1)) + ")";
    }
    return false;
  }

  void SkipSpace() {
    while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
  }

  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }

  bool ParseValue(Literal& out, int depth) {
    if (depth > kMaxDepth) return Fail("nesting deeper than " + std::to_string(kMaxDepth));
    if (AtEnd()) return Fail("unexpected end of header");
    const size_t start = pos_;
    const char c = Peek();
    bool ok;
    if (c == '{') {
      ok = ParseDict(out, depth);
    } else if (c == '(' || c == '[') {
      ok = ParseSequence(out, depth);
    } else if (c == '\'' || c == '"') {
      ok = ParseString(out);
    } else if (IsDigit(c) || c == '-' || c == '+' || c == '.') {
      ok = ParseNumber(out);
    } else if (IsNameChar(c)) {
      ok = ParseName(out);
    } else {
      return Fail("unexpected character");
    }
    if (ok && out.source.empty()) out.source = text_.substr(start, pos_ - start);
    return ok;
  }

  // Python's dict display: {key: value, ...} with an optional trailing comma.
  bool ParseDict(Literal& out, int depth) {
    out.kind = Literal::Kind::kDict;
    ++pos_;  // '{'
    for (;;) {
      SkipSpace();
      if (Peek() == '}') {
        ++pos_;
        return true;
      }
      Literal key, value;
      if (!ParseValue(key, depth + 1)) return false;
      SkipSpace();
      if (Peek() != ':') return Fail("expected ':' after a dict key");
      ++pos_;
      SkipSpace();
      if (!ParseValue(value, depth + 1)) return false;
      out.items.push_back(std::move(key));
      out.items.push_back(std::move(value));
      SkipSpace();
      if (Peek() == ',') {
        ++pos_;
      } else if (Peek() != '}') {
        return Fail("expected ',' or '}' in the dict");
      }
    }
  }

  // Tuples and lists. As in Python, "(x)" is just x and "(x,)" is a 1-tuple.
  bool ParseSequence(Literal& out, int depth) {
    const size_t start = pos_;
    const bool is_tuple = Peek() == '(';
    const char close = is_tuple ? ')' : ']';
    ++pos_;
    std::vector<Literal> items;
    bool saw_comma = false;
    for (;;) {
      SkipSpace();
      if (Peek() == close) {
        ++pos_;
        break;
      }
      Literal item;
      if (!ParseValue(item, depth + 1)) return false;
      items.push_back(std::move(item));
      SkipSpace();
      if (Peek() == ',') {
        ++pos_;
        saw_comma = true;
      } else if (Peek() != close) {
        return Fail(is_tuple ? "expected ',' or ')' in a tuple" : "expected ',' or ']' in a list");
      }
    }
    if (is_tuple && items.size() == 1 && !saw_comma) {
      out = std::move(items[0]);  // parentheses around a single value
      return true;
    }
    out.kind = is_tuple ? Literal::Kind::kTuple : Literal::Kind::kList;
    out.items = std::move(items);
    out.source = text_.substr(start, pos_ - start);
    return true;
  }

  bool ParseString(Literal& out) {
    out.kind = Literal::Kind::kString;
    const char quote = text_[pos_++];
    for (;;) {
      if (AtEnd()) return Fail("unterminated string");
      const char c = text_[pos_++];
      if (c == quote) return true;
      if (c == '\n') return Fail("newline inside a string");
      if (c != '\\') {
        out.string_value.push_back(c);
        continue;
      }
      if (AtEnd()) return Fail("unterminated string");
      const char escaped = text_[pos_++];
      switch (escaped) {
        case 'n':
          out.string_value.push_back('\n');
          break;
        case 't':
          out.string_value.push_back('\t');
          break;
        case 'r':
          out.string_value.push_back('\r');
          break;
        case '0':
          out.string_value.push_back('\0');
          break;
        case '\\':
        case '\'':
        case '"':
          out.string_value.push_back(escaped);
          break;
        default:  // Python keeps unknown escapes as written
          out.string_value.push_back('\\');
          out.string_value.push_back(escaped);
      }
    }
  }

  // Integers (optionally signed, with Python 2's 'L' suffix that old writers
  // emit) and anything float-like, which is only recorded as a float.
  bool ParseNumber(Literal& out) {
    const size_t start = pos_;
    bool negative = false;
    if (Peek() == '-' || Peek() == '+') {
      negative = Peek() == '-';
      ++pos_;
      SkipSpace();
    }
    const size_t digits_start = pos_;
    while (IsDigit(Peek())) ++pos_;
    const bool has_digits = pos_ > digits_start;
    if (Peek() == '.' || Peek() == 'e' || Peek() == 'E' || Peek() == 'j' || Peek() == 'J') {
      while (IsDigit(Peek()) || Peek() == '.' || Peek() == 'e' || Peek() == 'E' || Peek() == 'j' ||
             Peek() == 'J' ||
             ((Peek() == '+' || Peek() == '-') &&
              (text_[pos_ - 1] == 'e' || text_[pos_ - 1] == 'E'))) {
        ++pos_;
      }
      out.kind = Literal::Kind::kFloat;
      return true;
    }
    if (!has_digits) return Fail("expected a number");
    const std::string_view digits = text_.substr(digits_start, pos_ - digits_start);
    if (Peek() == 'L' || Peek() == 'l') ++pos_;
    if (IsNameChar(Peek())) return Fail("unexpected character in a number");
    out.kind = Literal::Kind::kInt;
    // Accumulate as a negative number so that INT64_MIN parses too.
    int64_t value = 0;
    for (char d : digits) {
      if (__builtin_mul_overflow(value, int64_t{10}, &value) ||
          __builtin_sub_overflow(value, int64_t{d - '0'}, &value)) {
        out.int_overflows = true;
        break;
      }
    }
    if (!out.int_overflows && !negative) {
      if (value == INT64_MIN) {
        out.int_overflows = true;
      } else {
        value = -value;
      }
    }
    out.int_value = out.int_overflows ? 0 : value;
    out.source = text_.substr(start, pos_ - start);
    return true;
  }

  bool ParseName(Literal& out) {
    const size_t start = pos_;
    while (IsNameChar(Peek())) ++pos_;
    const std::string_view name = text_.substr(start, pos_ - start);
    // Python 2 writers may prefix strings with u (unicode) or b (bytes).
    if ((name == "u" || name == "b") && (Peek() == '\'' || Peek() == '"')) return ParseString(out);
    if (name == "True" || name == "False") {
      out.kind = Literal::Kind::kBool;
      out.bool_value = name == "True";
      return true;
    }
    if (name == "None") {
      out.kind = Literal::Kind::kNone;
      return true;
    }
    pos_ = start;
    return Fail("unexpected name " + QuoteForMessage(name));
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::string error_;
};

}  // namespace

LiteralParseResult ParseLiteral(std::string_view text) { return Parser(text).ParseDocument(); }

namespace {

// Printable ASCII is kept, everything else becomes \xNN; inside quotes, the
// quote and the backslash are escaped as Python's repr() does.
std::string Escape(std::string_view text, size_t max_chars, bool quoted) {
  std::string escaped;
  size_t emitted = 0;
  for (char c : text) {
    if (emitted++ == max_chars) {
      escaped += "...";
      break;
    }
    const auto byte = static_cast<unsigned char>(c);
    if (quoted && (c == '\\' || c == '\'')) {
      escaped += '\\';
      escaped += c;
    } else if (byte >= 0x20 && byte < 0x7f) {
      escaped += c;
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", byte);
      escaped += hex;
    }
  }
  return escaped;
}

}  // namespace

std::string QuoteForMessage(std::string_view text, size_t max_chars) {
  // Appending (not "'" + string&&, whose inlined insert GCC 12 flags with a
  // false -Wrestrict) builds the same text.
  std::string quoted = "'";
  quoted += Escape(text, max_chars, /*quoted=*/true);
  quoted += '\'';
  return quoted;
}

std::string SourceForMessage(std::string_view source, size_t max_chars) {
  return Escape(source, max_chars, /*quoted=*/false);
}

}  // namespace batchdot::io
