// AxesArg: a Python-like value, and how Python would print it.
#include "batchdot/axes.hpp"

#include <cmath>
#include <sstream>

namespace batchdot {

AxesArg AxesArg::Bool(bool value) {
  AxesArg a;
  a.kind_ = Kind::kBool;
  a.int_value_ = value ? 1 : 0;
  return a;
}

AxesArg AxesArg::Float(double value) {
  AxesArg a;
  a.kind_ = Kind::kFloat;
  a.float_value_ = value;
  return a;
}

AxesArg AxesArg::Sequence(std::vector<AxesArg> items, bool is_tuple) {
  AxesArg a;
  a.kind_ = Kind::kSequence;
  a.items_ = std::move(items);
  a.is_tuple_ = is_tuple;
  return a;
}

AxesArg AxesArg::Other(std::string type_name) {
  AxesArg a;
  a.kind_ = Kind::kOther;
  a.type_name_ = std::move(type_name);
  return a;
}

bool AxesArg::equals_zero() const {
  switch (kind_) {
    case Kind::kInt:
    case Kind::kBool:
      return int_value_ == 0;
    case Kind::kFloat:
      return float_value_ == 0.0;
    default:
      return false;
  }
}

std::string AxesArg::repr() const {
  switch (kind_) {
    case Kind::kNone:
      return "None";
    case Kind::kInt:
      return std::to_string(int_value_);
    case Kind::kBool:
      return int_value_ ? "True" : "False";
    case Kind::kFloat: {
      std::ostringstream out;
      out << float_value_;
      std::string text = out.str();
      if (std::isfinite(float_value_) && text.find_first_of(".e") == std::string::npos) text += ".0";
      return text;
    }
    case Kind::kSequence: {
      std::string text = is_tuple_ ? "(" : "[";
      for (size_t i = 0; i < items_.size(); ++i) {
        if (i > 0) text += ", ";
        text += items_[i].repr();
      }
      if (is_tuple_ && items_.size() == 1) text += ",";
      return text + (is_tuple_ ? ")" : "]");
    }
    case Kind::kOther:
      return "<" + type_name_ + ">";
  }
  return "?";
}

std::string AxesArg::type_name() const {
  switch (kind_) {
    case Kind::kNone: return "NoneType";
    case Kind::kInt: return "int";
    case Kind::kBool: return "bool";
    case Kind::kFloat: return "float";
    case Kind::kSequence: return is_tuple_ ? "tuple" : "list";
    case Kind::kOther: return type_name_;
  }
  return "?";
}

}  // namespace batchdot
