// The torch.ops.batchdot operators: their CPU kernels (cpu_kernels.cpp) and the
// dispatcher handles the autograd kernels redispatch through (autograd_kernels.cpp).
#pragma once

#include <ATen/ATen.h>

#include <array>
#include <tuple>

namespace batchdot::torch_ops {

// `axes` of the batch_dot operators, normalised so TorchScript can carry it:
// None (each front end's default), [a] (the int a) or [a0, a1] (a pair).
at::Tensor BatchDot(const at::Tensor& x, const at::Tensor& y, at::OptionalIntArrayRef axes);
at::Tensor MindSporeBatchDot(const at::Tensor& x, const at::Tensor& y, at::OptionalIntArrayRef axes);
at::Tensor DotGeneral(const at::Tensor& lhs, const at::Tensor& rhs, at::IntArrayRef lhs_contracting,
                      at::IntArrayRef rhs_contracting, at::IntArrayRef lhs_batch, at::IntArrayRef rhs_batch);

// Gradients (batchdot's linear transpose rule, no conjugation): (grad_x, grad_y),
// an undefined tensor where output_mask is false.
using GradPair = std::tuple<at::Tensor, at::Tensor>;
GradPair BatchDotGrad(const at::Tensor& x, const at::Tensor& y, at::OptionalIntArrayRef axes,
                      const at::Tensor& grad, std::array<bool, 2> output_mask);
GradPair MindSporeBatchDotGrad(const at::Tensor& x, const at::Tensor& y, at::OptionalIntArrayRef axes,
                               const at::Tensor& grad, std::array<bool, 2> output_mask);
GradPair DotGeneralGrad(const at::Tensor& lhs, const at::Tensor& rhs, at::IntArrayRef lhs_contracting,
                        at::IntArrayRef rhs_contracting, at::IntArrayRef lhs_batch, at::IntArrayRef rhs_batch,
                        const at::Tensor& grad, std::array<bool, 2> output_mask);

}  // namespace batchdot::torch_ops
