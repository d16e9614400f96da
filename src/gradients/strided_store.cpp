#include "gradients/strided_store.hpp"

#include <complex>
#include <type_traits>
#include <vector>

#include "core/element_types.hpp"

namespace batchdot::gradients {
namespace {

// Between accumulator ("Wide") types: uint64_t holds integers (two's complement),
// complex to real keeps the real part (a real input's gradient, as JAX does).
template <typename To, typename From>
To WideCast(From v) {
  if constexpr (IsComplex<From>::value && !IsComplex<To>::value) {
    return WideCast<To>(v.real());
  } else if constexpr (std::is_same_v<To, uint64_t>) {
    if constexpr (std::is_same_v<From, uint64_t>) {
      return v;
    } else {
      return static_cast<uint64_t>(static_cast<int64_t>(v));
    }
  } else if constexpr (std::is_same_v<From, uint64_t>) {
    return static_cast<To>(static_cast<long double>(static_cast<int64_t>(v)));
  } else {
    return static_cast<To>(v);
  }
}

}  // namespace

void StoreStrided(const TensorView& src, const MutableTensorView& dst, bool accumulate) {
  const int64_t count = dst.num_elements();
  if (count == 0) return;
  VisitDType(src.dtype, [&](auto from) {
    VisitDType(dst.dtype, [&](auto to) {
      using FromTraits = typename decltype(from)::Traits;
      using ToTraits = typename decltype(to)::Traits;
      using ToWide = typename ToTraits::Wide;
      const auto* source = static_cast<const typename FromTraits::Storage*>(src.data);
      auto* target = static_cast<typename ToTraits::Storage*>(dst.data);
      // One odometer over the shape, carrying both offsets.
      const size_t rank = dst.shape.size();
      std::vector<int64_t> index(rank, 0);
      int64_t s = 0, d = 0;
      for (int64_t i = 0; i < count; ++i) {
        ToWide value = WideCast<ToWide>(FromTraits::Load(source[s]));
        if (accumulate) value = ToTraits::Load(target[d]) + value;
        target[d] = ToTraits::Store(value);
        for (size_t axis = rank; axis-- > 0;) {
          if (++index[axis] < dst.shape[axis]) {
            s += src.strides_elems[axis];
            d += dst.strides_elems[axis];
            break;
          }
          s -= src.strides_elems[axis] * (dst.shape[axis] - 1);
          d -= dst.strides_elems[axis] * (dst.shape[axis] - 1);
          index[axis] = 0;
        }
      }
    });
  });
}

}  // namespace batchdot::gradients
