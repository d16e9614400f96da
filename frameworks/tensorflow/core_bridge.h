// The boundary between the TensorFlow adapter (tf_ops.cc, compiled with TensorFlow's own -std,
// C++17) and batchdot's C++20 core (core_bridge.cpp). Only std::vector, std::string and plain
// values cross it, so neither side needs the other's headers or standard.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace batchdot_tf {

// batchdot::DType's values, in its order (core_bridge.cpp checks that they agree).
enum class ElementType : uint8_t { kFloat32, kFloat64, kInt32, kInt64, kFloat16, kBFloat16, kComplex64, kComplex128 };

// A dense row-major operand (TensorFlow tensors have no strides); `data` may be unaligned.
struct Operand {
  const void* data = nullptr;
  ElementType type = ElementType::kFloat32;
  std::vector<int64_t> shape;
};
struct MutableOperand {
  void* data = nullptr;
  ElementType type = ElementType::kFloat32;
  std::vector<int64_t> shape;
};

// Which front end and its arguments: Keras batch_dot with `axes` as written (empty: None, one
// value: an int, two: a pair), or dot_general with its four axis lists.
struct CallSpec {
  bool dot_general = false;
  std::vector<int64_t> axes;
  std::vector<int64_t> lhs_contracting, rhs_contracting, lhs_batch, rhs_batch;
};

// The resolved axes of a call, for shape inference with unknown extents: output axes are x's at
// lhs_batch (paired with y's at rhs_batch), x's at lhs_free, y's at rhs_free, then a 1 when
// `trailing_one` (Keras' (B, 1) for two rank-2 operands).
struct Pairing {
  std::vector<int64_t> lhs_batch, rhs_batch, lhs_contracting, rhs_contracting, lhs_free, rhs_free;
  bool trailing_one = false;
};

// What went wrong: nothing (empty message), bad input (batchdot::Error, its one-line message),
// an allocation failure or anything else.
struct Problem {
  enum class Kind { kNone, kInvalidArgument, kMemory, kInternal };
  Kind kind = Kind::kNone;
  std::string message;
  bool ok() const { return kind == Kind::kNone; }
};

// Resolves `spec` for operands of these ranks whose extents are all 1: the axis pairing, which
// depends on the ranks and the spec only.
Problem ResolvePairing(const CallSpec& spec, int64_t x_rank, int64_t y_rank, Pairing* pairing);

// Allocates the result of `shape` and `type` for Forward and sets *data to its buffer (dense
// row-major; null is fine for an empty result); false when it cannot (the caller keeps its own
// status, and Forward returns without computing).
using Allocate = bool (*)(void* context, const std::vector<int64_t>& shape, ElementType type, void** data);

// Resolves `spec` on x and y (every check batchdot's front end makes), allocates the result
// through `allocate` and computes it with `num_threads` threads (0: batchdot's default).
Problem Forward(const CallSpec& spec, const Operand& x, const Operand& y, Allocate allocate, void* context,
                int num_threads);

// Both gradients of the call for the cotangent grad_out, into grad_x (x's shape and type) and
// grad_y (y's), through batchdot's gradient contractions.
Problem Backward(const CallSpec& spec, const Operand& x, const Operand& y, const Operand& grad_out,
                 const MutableOperand& grad_x, const MutableOperand& grad_y, int num_threads);

}  // namespace batchdot_tf
