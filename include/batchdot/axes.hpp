// The `axes` argument of batch_dot as its callers write it, before any front end
// has applied its rules.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace batchdot {

// A Python-like value: None, an int, a bool, a float, a sequence of such values,
// or another type named by `type_name`. Keras and MindSpore accept different
// forms and reject the rest with different errors, in different orders relative
// to their shape checks, so the front ends take the value as written.
// C++ callers mostly use the default (None), AxesArg(a) and AxesArg(a0, a1).
class AxesArg {
 public:
  enum class Kind { kNone, kInt, kBool, kFloat, kSequence, kOther };

  AxesArg() = default;  // None: each front end's default axes
  AxesArg(int64_t axis) : kind_(Kind::kInt), int_value_(axis) {}  // NOLINT: implicit on purpose
  AxesArg(int64_t axis0, int64_t axis1) : kind_(Kind::kSequence), items_{AxesArg(axis0), AxesArg(axis1)} {}

  static AxesArg Bool(bool value);
  static AxesArg Float(double value);
  static AxesArg Sequence(std::vector<AxesArg> items, bool is_tuple = true);
  static AxesArg Other(std::string type_name);

  Kind kind() const { return kind_; }
  bool is_none() const { return kind_ == Kind::kNone; }
  // The integer value of kInt and kBool (true is 1, as in Python).
  int64_t int_value() const { return int_value_; }
  double float_value() const { return float_value_; }
  const std::vector<AxesArg>& items() const { return items_; }
  // Python's == 0 for scalars: true for 0, False and 0.0.
  bool equals_zero() const;
  // The value as Python's repr() would print it, e.g. "(1, 2)" or "[[1, 2], [1, 2]]".
  std::string repr() const;
  // Python's type name: "int", "bool", "float", "tuple", "list", "NoneType" or the given name.
  std::string type_name() const;

 private:
  Kind kind_ = Kind::kNone;
  int64_t int_value_ = 0;
  double float_value_ = 0.0;
  bool is_tuple_ = true;
  std::vector<AxesArg> items_;
  std::string type_name_;
};

}  // namespace batchdot
