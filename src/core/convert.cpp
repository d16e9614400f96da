#include "core/convert.hpp"

#include <complex>
#include <type_traits>
#include <vector>

#include "core/element_types.hpp"

namespace batchdot {
namespace {

// Converts one stored value between element types, going through the widest
// representation of its kind so int64 -> float64 and float32 -> complex are exact.
template <typename FromTag, typename ToTag>
typename ToTag::Traits::Storage ConvertValue(typename FromTag::Traits::Storage value) {
  using ToWide = typename ToTag::Traits::Wide;
  using FromStorage = typename FromTag::Traits::Storage;
  if constexpr (FromTag::value == DType::kInt32 || FromTag::value == DType::kInt64) {
    const auto integer = static_cast<int64_t>(value);
    if constexpr (std::is_same_v<ToWide, uint64_t>) {
      return ToTag::Traits::Store(static_cast<uint64_t>(integer));
    } else {
      return ToTag::Traits::Store(static_cast<ToWide>(static_cast<long double>(integer)));
    }
  } else {
    const auto wide = FromTag::Traits::Load(static_cast<FromStorage>(value));
    if constexpr (IsComplex<std::remove_cv_t<decltype(wide)>>::value && !IsComplex<ToWide>::value) {
      return ToTag::Traits::Store(static_cast<ToWide>(wide.real()));  // not reached: promotion never narrows complex
    } else {
      return ToTag::Traits::Store(static_cast<ToWide>(wide));
    }
  }
}

}  // namespace

Tensor ConvertTo(const TensorView& view, DType dtype) {
  Tensor result(dtype, std::vector<int64_t>(view.shape.begin(), view.shape.end()));
  const int64_t count = view.num_elements();
  if (count == 0) return result;
  VisitDType(view.dtype, [&](auto from) {
    VisitDType(dtype, [&](auto to) {
      using From = typename decltype(from)::Traits::Storage;
      using To = typename decltype(to)::Traits::Storage;
      const auto* source = static_cast<const From*>(view.data);
      To* target = result.template data_as<To>();
      // Odometer over the source's strides, writing in C order.
      std::vector<int64_t> index(view.shape.size(), 0);
      int64_t offset = 0;
      for (int64_t i = 0; i < count; ++i) {
        target[i] = ConvertValue<decltype(from), decltype(to)>(source[offset]);
        for (size_t axis = view.shape.size(); axis-- > 0;) {
          if (++index[axis] < view.shape[axis]) {
            offset += view.strides_elems[axis];
            break;
          }
          offset -= view.strides_elems[axis] * (view.shape[axis] - 1);
          index[axis] = 0;
        }
      }
    });
  });
  return result;
}

}  // namespace batchdot
