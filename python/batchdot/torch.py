"""batchdot on PyTorch tensors, with autograd, as native torch operators.

``batchdot.torch.batch_dot(x, y, axes=None)`` (tf.keras.backend.batch_dot's rules)
and ``batchdot.torch.dot_general(lhs, rhs, dimension_numbers)`` (jax.lax.dot_general
style) take and return torch tensors. Both call ``torch.ops.batchdot.*``, C++
operators in ``libbatchdot_torch.so`` (next to this file) registered with torch's
dispatcher:

- Inputs are read in place through their data pointers and strides, whatever the
  layout (transposed, sliced, expanded); the result is a tensor torch allocates.
- CPU tensors only (another device is a ValueError); dtypes float32, float64,
  float16, bfloat16, int32, int64, complex64, complex128 (others are a TypeError).
  Mixed dtypes are promoted like NumPy's result_type.
- Differentiable in C++ (the Autograd dispatch key): each input's gradient is one
  call of batchdot's gradient operator, which is differentiable again, so double
  backward (``gradgradcheck``) works; a gradient no input needs is not computed and
  under ``torch.no_grad`` nothing is saved. Complex gradients follow PyTorch's
  convention (conjugated), unlike ``batchdot.batch_dot_grad``'s linear transpose.
- TorchScript: ``torch.jit.script`` and ``torch.jit.trace`` of code calling these
  functions work, and a saved module loads wherever this library is loaded.
- Threads: torch's intra-op count (``torch.set_num_threads``), unless
  ``batchdot.set_num_threads`` was called.
- Errors are batchdot's: ValueError, or TypeError for dtypes and axes types.

Importing this module imports torch; ``import batchdot`` alone does not.

Example:
    >>> import torch, batchdot.torch as bt
    >>> x = torch.ones(10, 12, 4, 5, requires_grad=True)
    >>> y = torch.ones(10, 12, 5, 8, requires_grad=True)
    >>> out = bt.batch_dot(x, y)          # axes (3, 2), as Keras
    >>> out.shape
    torch.Size([10, 12, 4, 12, 8])
    >>> out.sum().backward()
    >>> x.grad.shape, float(x.grad[0, 0, 0, 0])
    (torch.Size([10, 12, 4, 5]), 96.0)
"""

import os
from typing import List, Optional, Tuple, Union

import torch

import batchdot as _package

__all__ = ["batch_dot", "dot_general", "mindspore_batch_dot"]

LIBRARY = os.path.join(os.path.dirname(_package.__file__), "libbatchdot_torch.so")
torch.ops.load_library(LIBRARY)

# The op library holds its own copy of batchdot's thread setting: from this import
# on, batchdot.set_num_threads sets both (a count set before it applies to the
# NumPy functions only).
_set_num_threads = _package.set_num_threads


def _set_num_threads_everywhere(n):
    _set_num_threads(n)
    torch.ops.batchdot.set_num_threads(n)


_set_num_threads_everywhere.__doc__ = _set_num_threads.__doc__
_package.set_num_threads = _set_num_threads_everywhere

AxesType = Optional[Union[int, List[int], Tuple[int, int]]]


@torch.jit.unused
def _is_int_or_pair(axes) -> bool:
    """Axes that the operators' int[] carries as written: the rest goes through the
    core's own rules first (torch.ops.batchdot.keras_axes)."""
    if type(axes) is int:
        return True
    return isinstance(axes, (tuple, list)) and len(axes) == 2 and all(type(a) is int for a in axes)


@torch.jit.unused
def _not_tensors(function: str, names, *values):
    for name, value in zip(names, values):
        if not isinstance(value, torch.Tensor):
            return TypeError(f"batchdot.torch.{function}: {name} must be a torch.Tensor, got {type(value).__name__}")
    return None


def _axes_list(axes: AxesType) -> Optional[List[int]]:
    if axes is None:
        return None
    if isinstance(axes, int):
        return [axes]
    if isinstance(axes, list):
        return axes
    return [axes[0], axes[1]]


def batch_dot(x: torch.Tensor, y: torch.Tensor, axes: AxesType = None) -> torch.Tensor:
    """tf.keras.backend.batch_dot on torch tensors (see batchdot.batch_dot for the
    axes rules and errors), differentiable in x and y.

    Example:
        >>> import torch, batchdot.torch as bt
        >>> bt.batch_dot(torch.tensor([[1., 2.], [3., 4.]]), torch.tensor([[5., 6.], [7., 8.]]), 1)
        tensor([[17.],
                [53.]])
    """
    if not torch.jit.is_scripting():
        if not (isinstance(x, torch.Tensor) and isinstance(y, torch.Tensor)):
            raise _not_tensors("batch_dot", ("x", "y"), x, y)
        if axes is not None and not _is_int_or_pair(axes):
            return torch.ops.batchdot.batch_dot(x, y, torch.ops.batchdot.keras_axes(x, y, axes))
    return torch.ops.batchdot.batch_dot(x, y, _axes_list(axes))


def mindspore_batch_dot(x1: torch.Tensor, x2: torch.Tensor, axes: AxesType = None) -> torch.Tensor:
    """mindspore.ops.batch_dot on torch tensors (MindSpore's rules: float32 only),
    differentiable in x1 and x2."""
    if not torch.jit.is_scripting():
        if not (isinstance(x1, torch.Tensor) and isinstance(x2, torch.Tensor)):
            raise _not_tensors("mindspore_batch_dot", ("x1", "x2"), x1, x2)
        if axes is not None and not _is_int_or_pair(axes):
            return torch.ops.batchdot.mindspore_batch_dot(x1, x2, torch.ops.batchdot.mindspore_axes(x1, x2, axes))
    return torch.ops.batchdot.mindspore_batch_dot(x1, x2, _axes_list(axes))


def dot_general(lhs: torch.Tensor, rhs: torch.Tensor,
                dimension_numbers: Tuple[Tuple[List[int], List[int]], Tuple[List[int], List[int]]]) -> torch.Tensor:
    """jax.lax.dot_general on torch tensors: ``dimension_numbers`` is
    ``((lhs_contracting, rhs_contracting), (lhs_batch, rhs_batch))``; the result's
    axes are batch, lhs free, rhs free. Differentiable in lhs and rhs. (TorchScript
    types the axis groups as lists: write ``(([2], [1]), ([0], [0]))`` in scripted code.)

    Example:
        >>> import torch, batchdot.torch as bt
        >>> a = torch.ones(3, 2, 4); b = torch.ones(3, 4, 5)
        >>> bt.dot_general(a, b, (((2,), (1,)), ((0,), (0,)))).shape
        torch.Size([3, 2, 5])
    """
    if not torch.jit.is_scripting():
        if not (isinstance(lhs, torch.Tensor) and isinstance(rhs, torch.Tensor)):
            raise _not_tensors("dot_general", ("lhs", "rhs"), lhs, rhs)
    (lc, rc), (lb, rb) = dimension_numbers
    return torch.ops.batchdot.dot_general(lhs, rhs, lc, rc, lb, rb)
