// Storage and accumulator types per DType, and a one-switch dispatch from a
// runtime DType to code templated on those types.
#pragma once

#include <complex>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "batchdot/dtype.hpp"
#include "core/half.hpp"

namespace batchdot {

// std::complex<T> or not: what conversions and gradients treat specially.
template <typename T>
struct IsComplex : std::false_type {};
template <typename T>
struct IsComplex<std::complex<T>> : std::true_type {};

template <DType kDType>
struct ElementTraits;

// Floats accumulate in a wider type in the oracle; integers wrap modulo 2^bits
// like NumPy and TensorFlow, which unsigned arithmetic gives without UB.
template <>
struct ElementTraits<DType::kFloat32> {
  using Storage = float;
  using Wide = double;
  static Wide Load(Storage v) { return v; }
  static Storage Store(Wide v) { return static_cast<float>(v); }
};
template <>
struct ElementTraits<DType::kFloat64> {
  using Storage = double;
  using Wide = long double;
  static Wide Load(Storage v) { return v; }
  static Storage Store(Wide v) { return static_cast<double>(v); }
};
template <>
struct ElementTraits<DType::kInt32> {
  using Storage = int32_t;
  using Wide = uint64_t;
  static Wide Load(Storage v) { return static_cast<uint64_t>(static_cast<int64_t>(v)); }
  static Storage Store(Wide v) { return static_cast<int32_t>(static_cast<uint32_t>(v)); }
};
template <>
struct ElementTraits<DType::kInt64> {
  using Storage = int64_t;
  using Wide = uint64_t;
  static Wide Load(Storage v) { return static_cast<uint64_t>(v); }
  static Storage Store(Wide v) { return static_cast<int64_t>(v); }
};
template <>
struct ElementTraits<DType::kFloat16> {
  using Storage = uint16_t;
  using Wide = double;
  static Wide Load(Storage v) { return FloatFromHalf(v); }
  static Storage Store(Wide v) { return HalfFromFloat(static_cast<float>(v)); }
};
template <>
struct ElementTraits<DType::kBFloat16> {
  using Storage = uint16_t;
  using Wide = double;
  static Wide Load(Storage v) { return FloatFromBFloat16(v); }
  static Storage Store(Wide v) { return BFloat16FromFloat(static_cast<float>(v)); }
};
template <>
struct ElementTraits<DType::kComplex64> {
  using Storage = std::complex<float>;
  using Wide = std::complex<double>;
  static Wide Load(Storage v) { return {v.real(), v.imag()}; }
  static Storage Store(Wide v) { return {static_cast<float>(v.real()), static_cast<float>(v.imag())}; }
};
template <>
struct ElementTraits<DType::kComplex128> {
  using Storage = std::complex<double>;
  using Wide = std::complex<long double>;
  static Wide Load(Storage v) { return {v.real(), v.imag()}; }
  static Storage Store(Wide v) { return {static_cast<double>(v.real()), static_cast<double>(v.imag())}; }
};

template <DType kDType>
struct DTypeTag {
  static constexpr DType value = kDType;
  using Traits = ElementTraits<kDType>;
};

// Calls fn(DTypeTag<d>{}) for the runtime dtype d.
template <typename Fn>
decltype(auto) VisitDType(DType dtype, Fn&& fn) {
  switch (dtype) {
    case DType::kFloat32: return std::forward<Fn>(fn)(DTypeTag<DType::kFloat32>{});
    case DType::kFloat64: return std::forward<Fn>(fn)(DTypeTag<DType::kFloat64>{});
    case DType::kInt32: return std::forward<Fn>(fn)(DTypeTag<DType::kInt32>{});
    case DType::kInt64: return std::forward<Fn>(fn)(DTypeTag<DType::kInt64>{});
    case DType::kFloat16: return std::forward<Fn>(fn)(DTypeTag<DType::kFloat16>{});
    case DType::kBFloat16: return std::forward<Fn>(fn)(DTypeTag<DType::kBFloat16>{});
    case DType::kComplex64: return std::forward<Fn>(fn)(DTypeTag<DType::kComplex64>{});
    case DType::kComplex128: break;
  }
  return std::forward<Fn>(fn)(DTypeTag<DType::kComplex128>{});
}

}  // namespace batchdot
