"""batchdot on PyTorch tensors, with autograd.

``batchdot.torch.batch_dot(x, y, axes=None)`` (tf.keras.backend.batch_dot's rules)
and ``batchdot.torch.dot_general(lhs, rhs, dimension_numbers)`` (jax.lax.dot_general
style) take and return torch tensors:

- Inputs are borrowed without a copy (``detach()``, then NumPy's view of the same
  memory), whatever their strides; the result is handed to torch without a copy
  (``torch.from_numpy``).
- CPU tensors only (another device is a ValueError); dtypes float32, float64,
  float16, int32, int64, complex64, complex128. Others (bool, int8, uint8, int16,
  bfloat16) are a TypeError: bfloat16 results would come back as NumPy arrays,
  which need the ml_dtypes package, which Debian 12 does not ship.
- Differentiable (torch.autograd.Function): each input's gradient is itself a
  ``dot_general`` of grad_output with the other input (JAX's transpose rule) and a
  permute, so double backward (``gradgradcheck``) works; a gradient no input
  needs is not computed. A first-order backward (no ``create_graph``) runs the
  same rule as one C++ call (``dot_general_grad``), which also chooses the operand
  order and layout the kernels run fastest on. Complex gradients follow PyTorch's convention
  (conjugated), unlike ``batchdot.batch_dot_grad``'s linear transpose.

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

import torch

from . import _batchdot

__all__ = ["batch_dot", "dot_general"]

_SUPPORTED = (torch.float32, torch.float64, torch.float16, torch.int32, torch.int64,
              torch.complex64, torch.complex128)
_SUPPORTED_TEXT = "float32, float64, float16, int32, int64, complex64, complex128"


def _borrow(t, name):
    """A NumPy array sharing t's memory (no copy), after checking device and dtype."""
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"batchdot.torch: {name} must be a torch.Tensor, got {type(t).__name__}")
    if not t.is_cpu:  # (t.device.type costs 20x more per call)
        raise ValueError(f"batchdot.torch: {name} is on device '{t.device}'; batchdot computes on CPU "
                         f"tensors only (move it with {name}.cpu())")
    if t.dtype not in _SUPPORTED:
        why = (" (NumPy cannot hold bfloat16 results without ml_dtypes)" if t.dtype == torch.bfloat16 else "")
        raise TypeError(f"batchdot.torch: {name} has dtype {t.dtype}, which batchdot.torch does not compute "
                        f"in{why}; supported: {_SUPPORTED_TEXT}")
    t = t.detach()
    if t.is_conj():
        t = t.resolve_conj()  # a lazily conjugated view has no memory of its own values
    if t.is_neg():
        t = t.resolve_neg()
    return t.numpy()


def _keras_dims(x_ndim, y_ndim, axes):
    """dot_general dimension numbers of an already validated Keras batch_dot call."""
    if axes is None:
        a0, a1 = x_ndim - 1, (y_ndim - 1 if y_ndim == 2 else y_ndim - 2)
    elif isinstance(axes, (list, tuple)):
        a0, a1 = int(axes[0]), int(axes[1])
    else:
        a0 = a1 = int(axes)
    a0 += x_ndim if a0 < 0 else 0
    a1 += y_ndim if a1 < 0 else 0
    return (((a0,), (a1,)), ((0,), (0,)))


def _normalize_dims(dimension_numbers):
    (lc, rc), (lb, rb) = dimension_numbers
    return ((tuple(int(a) for a in lc), tuple(int(a) for a in rc)),
            (tuple(int(a) for a in lb), tuple(int(a) for a in rb)))


def _gradient(g, other, target, dims, target_is_lhs):
    """JAX's transpose rule: the gradient of `target` as a differentiable
    dot_general of g with `other`, permuted back into target's axis order."""
    (lc, rc), (lb, rb) = dims
    t_batch, t_contract, o_batch, o_contract = (lb, lc, rb, rc) if target_is_lhs else (rb, rc, lb, lc)
    used_t, used_o = set(t_batch) | set(t_contract), set(o_batch) | set(o_contract)
    t_free = [a for a in range(target.ndim) if a not in used_t]
    o_free = [a for a in range(other.ndim) if a not in used_o]
    nb = len(t_batch)
    # grad_out's axes: batch, lhs free, rhs free.
    g_o_begin = nb + len(t_free) if target_is_lhs else nb
    g_o = range(g_o_begin, g_o_begin + len(o_free))
    inner_dims = ((tuple(g_o), tuple(o_free)), (tuple(range(nb)), tuple(o_batch)))
    o_sorted = sorted(o_contract)
    target_axis = list(t_batch) + t_free + [t_contract[o_contract.index(a)] for a in o_sorted]
    perm = sorted(range(len(target_axis)), key=target_axis.__getitem__)
    if other.is_complex():
        other = other.conj()  # PyTorch's convention for complex gradients
    grad = _DotGeneral.apply(g, other, inner_dims).permute(perm)
    if grad.dtype != target.dtype:
        # Mixed dtypes: computed in the promoted dtype, returned in the input's.
        grad = (grad.real if grad.is_complex() and not target.is_complex() else grad).to(target.dtype)
    return grad


def _backward(ctx, g):
    lhs, rhs = ctx.saved_tensors  # also torch's check that neither was modified in place since
    want_lhs, want_rhs = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
    if not torch.is_grad_enabled() and not g.is_complex() and lhs.dtype == rhs.dtype == g.dtype:
        # A first-order backward (no create_graph): the same transpose rule in one C++
        # call, which also picks the operand order and layout the kernels run fastest.
        # The forward's NumPy views of lhs and rhs are reused (saves ~4 us each).
        grad_lhs, grad_rhs = _batchdot._dot_general_grad_wanted(
            ctx.arrays[0], ctx.arrays[1], _borrow(g, "grad_output"), ctx.dims, want_lhs, want_rhs)
        return (None if grad_lhs is None else torch.from_numpy(grad_lhs),
                None if grad_rhs is None else torch.from_numpy(grad_rhs), None)
    # Differentiable: each gradient is a batchdot.torch.dot_general, so it can be differentiated again.
    grad_lhs = _gradient(g, rhs, lhs, ctx.dims, True) if want_lhs else None
    grad_rhs = _gradient(g, lhs, rhs, ctx.dims, False) if want_rhs else None
    return grad_lhs, grad_rhs, None


class _DotGeneral(torch.autograd.Function):
    @staticmethod
    def forward(ctx, lhs, rhs, dims):
        ctx.arrays = (_borrow(lhs, "lhs"), _borrow(rhs, "rhs"))
        out = _batchdot.dot_general(ctx.arrays[0], ctx.arrays[1], dims)
        ctx.save_for_backward(lhs, rhs)
        ctx.dims = dims
        return torch.from_numpy(out)

    @staticmethod
    def backward(ctx, g):
        return _backward(ctx, g)


class _BatchDot(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, y, axes):
        ctx.arrays = (_borrow(x, "x"), _borrow(y, "y"))
        out = _batchdot.batch_dot(ctx.arrays[0], ctx.arrays[1], axes)
        ctx.save_for_backward(x, y)
        ctx.dims = _keras_dims(x.ndim, y.ndim, axes)
        ctx.unit_axis = x.ndim == 2 and y.ndim == 2  # Keras' (B, 1)
        return torch.from_numpy(out)

    @staticmethod
    def backward(ctx, g):
        grad_x, grad_y, _ = _backward(ctx, g.select(-1, 0) if ctx.unit_axis else g)
        return grad_x, grad_y, None


def batch_dot(x, y, axes=None):
    """tf.keras.backend.batch_dot on torch tensors (see batchdot.batch_dot for the
    axes rules and errors), differentiable in x and y.

    Example:
        >>> import torch, batchdot.torch as bt
        >>> bt.batch_dot(torch.tensor([[1., 2.], [3., 4.]]), torch.tensor([[5., 6.], [7., 8.]]), 1)
        tensor([[17.],
                [53.]])
    """
    return _BatchDot.apply(x, y, axes)


def dot_general(lhs, rhs, dimension_numbers):
    """jax.lax.dot_general on torch tensors: ``dimension_numbers`` is
    ``((lhs_contracting, rhs_contracting), (lhs_batch, rhs_batch))``; the result's
    axes are batch, lhs free, rhs free. Differentiable in lhs and rhs.

    Example:
        >>> import torch, batchdot.torch as bt
        >>> a = torch.ones(3, 2, 4); b = torch.ones(3, 4, 5)
        >>> bt.dot_general(a, b, (((2,), (1,)), ((0,), (0,)))).shape
        torch.Size([3, 2, 5])
    """
    return _DotGeneral.apply(lhs, rhs, _normalize_dims(dimension_numbers))
