#include "aot_tensor.hpp"

#include <optional>
#include <string>

namespace batchdot_mindspore {

using batchdot::Error;
using batchdot::ErrorKind;

namespace {

std::string Prefix(const AotCall& call, int index) {
  return std::string(call.kernel) + ": tensor " + std::to_string(index);
}

}  // namespace

AotTensor::AotTensor(const AotCall& call, int index) : data_(call.params[index]) {
  const char* name = call.dtypes[index] != nullptr ? call.dtypes[index] : "";
  const std::optional<batchdot::DType> dtype = batchdot::DTypeFromName(name);
  if (!dtype) throw Error(ErrorKind::kDType, Prefix(call, index) + " has dtype '" + name + "', which batchdot does not take");
  dtype_ = *dtype;
  shape_.assign(call.shapes[index], call.shapes[index] + call.ndims[index]);
  for (int64_t dim : shape_) {
    // Graph mode with an unknown dim would pass -1: never a buffer to compute on.
    if (dim < 0) throw Error(ErrorKind::kShape, Prefix(call, index) + " has a negative dim " + std::to_string(dim));
  }
  strides_ = batchdot::ContiguousStrides(shape_);
}

void CheckTensorCount(const AotCall& call, int expected) {
  if (call.nparam != expected) {
    throw Error(ErrorKind::kShape, std::string(call.kernel) + ": expected " + std::to_string(expected) +
                                       " tensors (inputs and output), got " + std::to_string(call.nparam));
  }
}

batchdot::AxesArg ResolvedAxes(const AotCall& call, int index) {
  const AotTensor axes(call, index);
  if (axes.dtype() != batchdot::DType::kInt64 || axes.shape().size() != 1 || axes.shape()[0] != 2) {
    throw Error(ErrorKind::kAxes, Prefix(call, index) + " must be the int64 axes pair of shape (2,)");
  }
  const auto* pair = static_cast<const int64_t*>(axes.data());
  return batchdot::AxesArg(pair[0], pair[1]);
}

}  // namespace batchdot_mindspore
