// The memory rules every entry point applies to the views it is given, in one
// place: forward calls and Prepare (runtime/output_checks), gradients
// (gradients/contraction_grad) and the Python bindings (python/array_conversion,
// which has byte strides). All are element-exact, as np.shares_memory is:
// interleaved views that share no byte are fine; "may" when the exact answer
// takes more than kOverlapMaxWork steps.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "batchdot/tensor.hpp"
#include "core/memory_overlap.hpp"

namespace batchdot::core {

// A view's bytes, with its element strides scaled into `byte_strides`.
ByteLayout BytesOf(const TensorView& v, std::span<int64_t> byte_strides_storage);

// kShape unless shape and strides have one entry per dim, no dim is negative
// and a non-empty view has a data pointer. `name` starts the message.
void CheckWellFormed(const std::string& name, const void* data, std::span<const int64_t> shape,
                     std::span<const int64_t> strides);

// kShape when two different indices of the view reach one byte: a written view
// (an output, a gradient target) would be written twice there. A stride 0 on an
// axis of size > 1 is named as such.
void CheckNoSelfOverlap(const std::string& name, const ByteLayout& v, const std::string& remedy);
void CheckNoSelfOverlap(const std::string& name, const TensorView& v, const std::string& remedy);

// kShape when `a` and `b` share a byte: "<a> overlaps <b><rule>", or "<a> may
// overlap <b>: proving otherwise took more than N steps; <remedy>".
void CheckDisjoint(const std::string& a_name, const ByteLayout& a, const std::string& b_name, const ByteLayout& b,
                   const std::string& rule, const std::string& remedy);
void CheckDisjoint(const std::string& a_name, const TensorView& a, const std::string& b_name, const TensorView& b,
                   const std::string& rule, const std::string& remedy);

}  // namespace batchdot::core
