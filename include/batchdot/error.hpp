// The one exception type batchdot throws for bad input, and its kinds.
#pragma once

#include <stdexcept>
#include <string>

namespace batchdot {

// What was wrong with the input. Python raises TypeError for kAxesType and
// kDType (as Keras and MindSpore do), MemoryError for kMemory and ValueError for
// the others; the CLI exits with status 1 for all of them.
enum class ErrorKind {
  kShape,     // ranks, batch sizes, contracted sizes, output shape or overlap
  kAxes,      // an axes value its front end rejects
  kAxesType,  // an axes argument of a type its front end rejects
  kDType,     // an unsupported or mismatched element type
  kIo,        // unreadable, malformed or unwritable files
  kMemory,    // a result that cannot be allocated (Python: MemoryError)
  kThreads,   // a thread count outside 1..1024 (SetNumThreads; Python: ValueError)
};

// True for the kinds Python reports as TypeError.
constexpr bool IsTypeError(ErrorKind kind) {
  return kind == ErrorKind::kAxesType || kind == ErrorKind::kDType;
}

// Every error batchdot raises on user input: a kind and a one-line message that
// names the offending values. Derived from std::invalid_argument so generic
// handlers (and pybind11's default translation to ValueError) work.
class Error : public std::invalid_argument {
 public:
  Error(ErrorKind kind, const std::string& message)
      : std::invalid_argument(message), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

// The kDType errors, as their own type so bindings can register it as TypeError.
class DTypeError : public Error {
 public:
  explicit DTypeError(const std::string& message) : Error(ErrorKind::kDType, message) {}
};

}  // namespace batchdot
