#include "core/view_checks.hpp"

#include <string>
#include <vector>

#include "core/error_text.hpp"

namespace batchdot::core {
namespace {

std::string LayoutText(const ByteLayout& v) {
  return "shape " + ShapeString(v.shape) + ", byte strides " + ShapeString(v.byte_strides);
}

// Byte strides on the stack for the dims met in practice, on the heap beyond.
class ByteStrides {
 public:
  explicit ByteStrides(size_t rank) : heap_(rank > kInline ? rank : 0) {}
  std::span<int64_t> span(size_t rank) { return heap_.empty() ? std::span(inline_, rank) : std::span(heap_); }

 private:
  static constexpr size_t kInline = 16;
  int64_t inline_[kInline] = {};
  std::vector<int64_t> heap_;
};

}  // namespace

ByteLayout BytesOf(const TensorView& v, std::span<int64_t> storage) {
  const auto item = static_cast<int64_t>(SizeOf(v.dtype));
  for (size_t i = 0; i < v.strides_elems.size(); ++i) storage[i] = v.strides_elems[i] * item;
  return {reinterpret_cast<uintptr_t>(v.data), item, v.shape, storage.first(v.strides_elems.size())};
}

void CheckWellFormed(const std::string& name, const void* data, std::span<const int64_t> shape,
                     std::span<const int64_t> strides) {
  if (shape.size() != strides.size()) {
    Fail(ErrorKind::kShape, name + " has " + std::to_string(shape.size()) + " dims but " +
                                std::to_string(strides.size()) + " strides");
  }
  bool empty = false;
  for (int64_t d : shape) {
    if (d < 0) Fail(ErrorKind::kShape, name + " has a negative dimension: " + ShapeString(shape));
    empty = empty || d == 0;
  }
  if (!empty && data == nullptr) Fail(ErrorKind::kShape, name + " has no data pointer");
}

void CheckNoSelfOverlap(const std::string& name, const ByteLayout& v, const std::string& remedy) {
  for (int64_t d : v.shape) {
    if (d == 0) return;  // no elements to share memory (NumPy gives them zero strides)
  }
  for (size_t i = 0; i < v.shape.size(); ++i) {
    if (v.shape[i] > 1 && v.byte_strides[i] == 0) {
      Fail(ErrorKind::kShape, name + " has stride 0 on axis " + std::to_string(i) + " of size " +
                                  std::to_string(v.shape[i]) + ": its elements would share memory");
    }
  }
  switch (HasInternalOverlap(v)) {
    case Overlap::kNo: return;
    case Overlap::kYes:
      Fail(ErrorKind::kShape, name + "'s strides make some of its elements share memory (" + LayoutText(v) +
                                  "); " + remedy);
    case Overlap::kTooHard:
      Fail(ErrorKind::kShape, name + " may have elements that share memory: proving otherwise took more than " +
                                  std::to_string(kOverlapMaxWork) + " steps (" + LayoutText(v) + "); " + remedy);
  }
}

void CheckNoSelfOverlap(const std::string& name, const TensorView& v, const std::string& remedy) {
  ByteStrides bytes(v.strides_elems.size());
  CheckNoSelfOverlap(name, BytesOf(v, bytes.span(v.strides_elems.size())), remedy);
}

void CheckDisjoint(const std::string& a_name, const ByteLayout& a, const std::string& b_name, const ByteLayout& b,
                   const std::string& rule, const std::string& remedy) {
  switch (SharesMemory(a, b)) {
    case Overlap::kNo: return;
    case Overlap::kYes: Fail(ErrorKind::kShape, a_name + " overlaps " + b_name + rule);
    case Overlap::kTooHard:
      Fail(ErrorKind::kShape, a_name + " may overlap " + b_name + ": proving otherwise took more than " +
                                  std::to_string(kOverlapMaxWork) + " steps; " + remedy);
  }
}

void CheckDisjoint(const std::string& a_name, const TensorView& a, const std::string& b_name, const TensorView& b,
                   const std::string& rule, const std::string& remedy) {
  ByteStrides a_bytes(a.strides_elems.size()), b_bytes(b.strides_elems.size());
  CheckDisjoint(a_name, BytesOf(a, a_bytes.span(a.strides_elems.size())), b_name,
                BytesOf(b, b_bytes.span(b.strides_elems.size())), rule, remedy);
}

}  // namespace batchdot::core
