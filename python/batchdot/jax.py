"""batchdot on JAX arrays: an XLA FFI custom call on CPU, differentiable and vmappable.

``batchdot.jax.batch_dot(x, y, axes=None)`` (tf.keras.backend.batch_dot's rules,
including the ``(B, 1)`` result of two rank-2 inputs) and
``batchdot.jax.dot_general(lhs, rhs, dimension_numbers, preferred_element_type=None)``
(``jax.lax.dot_general``'s dimension numbers) take and return JAX arrays:

- Each call is one XLA custom call into ``libbatchdot_jax.so`` (batchdot's C++
  core on XLA's buffers, no copy), so it works eagerly and under ``jax.jit``.
- The rules are batchdot's own: at trace time ``_batchdot._resolve`` applies
  Keras' (or dot_general's) checks to zero-stride stand-ins of the operands'
  shapes and dtypes and returns the contraction; errors are raised there, before
  anything runs. ``dot_general``'s shape errors are ``batchdot.DotGeneralError``, a TypeError as in
  JAX and a BatchDotError as from the NumPy front end;
  ``batch_dot``'s are Keras' ValueError (``batchdot.BatchDotError``); a dtype the
  op does not take is ``batchdot.DTypeError`` (a TypeError) listing the ones it takes:
  float32, float64, int32, int64, float16, bfloat16, complex64, complex128.
  Mixed dtypes are promoted as batchdot promotes them.
- Differentiable to any order in reverse mode (``jax.custom_vjp``): each
  gradient is one custom call of batchdot's gradient contraction (``dot_general_grad``,
  written straight into the gradient's layout), and those are custom_vjp
  functions too, so ``jax.grad`` of a gradient works. ``jax.jvp`` does not
  (custom_vjp is reverse mode only).
- ``jax.vmap`` adds one batch pair per vmap level to the dimension numbers (an
  unmapped operand is broadcast by a zero stride, not copied): one contraction,
  not a loop.
- Symbolic dimensions (``jax.export``, Keras 3's ``None`` batch on the JAX
  backend) are resolved on stand-in sizes and mapped back into the result shape.
- Threads: batchdot's pool, with XLA's intra-op thread count.

Importing this module imports jax; ``import batchdot`` alone does not.

Example:
    >>> import jax, jax.numpy as jnp, batchdot.jax as bj
    >>> x, y = jnp.ones((10, 12, 4, 5)), jnp.ones((10, 12, 5, 8))
    >>> bj.batch_dot(x, y).shape          # axes (3, 2), as Keras
    (10, 12, 4, 12, 8)
    >>> jax.grad(lambda x: bj.batch_dot(x, y).sum())(x)[0, 0, 0, 0]
    Array(96., dtype=float32)
"""

import ctypes
import functools
import os
import re

import jax
import numpy as np

from . import _batchdot

__all__ = ["batch_dot", "dot_general"]

_LIBRARY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "libbatchdot_jax.so")
if not os.path.exists(_LIBRARY):
    raise ImportError(f"batchdot.jax: {_LIBRARY} is missing; build batchdot with a Python that imports jax "
                      "(CMake option BATCHDOT_BUILD_JAX)")
_LIB = ctypes.CDLL(_LIBRARY)

# The custom-call targets, one per handler in frameworks/jax/handlers.cc.
_FORWARD, _GRAD_LHS, _GRAD_RHS = "batchdot_dot_general", "batchdot_dot_general_grad_lhs", "batchdot_dot_general_grad_rhs"
for _target, _symbol in ((_FORWARD, "BatchdotDotGeneral"), (_GRAD_LHS, "BatchdotDotGeneralGradLhs"),
                         (_GRAD_RHS, "BatchdotDotGeneralGradRhs")):
    jax.ffi.register_ffi_target(_target, jax.ffi.pycapsule(getattr(_LIB, _symbol)), platform="cpu")


# ---- trace time: batchdot's resolver on stand-ins ----

class _StandIns:
    """Zero-stride NumPy stand-ins for traced operands; symbolic dims get distinct
    placeholder sizes (never a size that occurs concretely), mapped back after."""

    def __init__(self, *arrays):
        concrete = {int(d) for a in arrays for d in a.shape if _is_int(d)}
        self._placeholder, self._symbol = {}, {}
        next_size = 65521
        for a in arrays:
            for d in a.shape:
                if not _is_int(d) and d not in self._placeholder:
                    while next_size in concrete:
                        next_size -= 2
                    self._placeholder[d], self._symbol[next_size] = next_size, d
                    next_size -= 2
        self.has_symbols = bool(self._symbol)
        self.arrays = [np.broadcast_to(np.zeros((), a.dtype), self.shape_of(a)) for a in arrays]

    def shape_of(self, a):
        return tuple(int(d) if _is_int(d) else self._placeholder[d] for d in a.shape)

    def traced_shape(self, sizes):
        return tuple(self._symbol.get(s, s) for s in sizes)

    def traced_message(self, message):
        """An error message with the placeholder sizes written as the symbolic dims they stand for."""
        return re.sub(r"\b\d+\b", lambda m: str(self._symbol.get(int(m.group()), m.group())), message)


def _is_int(d):
    return isinstance(d, (int, np.integer))


def _resolve(api, lhs, rhs, spec, shape_error):
    """batchdot's Contraction for these operands and its result shape in traced
    dims; batchdot's shape/axes errors are raised as `shape_error` (None: as they are)."""
    stand_ins = _StandIns(lhs, rhs)
    try:
        c = _batchdot._resolve(api, stand_ins.arrays[0], stand_ins.arrays[1], spec)
    except _batchdot.BatchDotError as e:
        if shape_error is None and not stand_ins.has_symbols:
            raise
        raise (shape_error or type(e))(stand_ins.traced_message(str(e))) from None
    return c, stand_ins.traced_shape(c["output_shape"])


# ---- the three custom calls; each is a custom_vjp of the other two ----

def _call(target, result_shape, dtype, a, b, dims):
    lhs_contracting, rhs_contracting, lhs_batch, rhs_batch = dims
    call = jax.ffi.ffi_call(target, jax.ShapeDtypeStruct(result_shape, dtype), vmap_method="expand_dims")
    return call(a, b, lhs_contracting=np.asarray(lhs_contracting, np.int64),
                rhs_contracting=np.asarray(rhs_contracting, np.int64),
                lhs_batch=np.asarray(lhs_batch, np.int64), rhs_batch=np.asarray(rhs_batch, np.int64),
                result_rank=len(result_shape))


# out = dot_general(lhs, rhs); grad_lhs(rhs, g) and grad_rhs(lhs, g) are its
# transposes in lhs and rhs: <g, out> = <grad_lhs(rhs, g), lhs> = <grad_rhs(lhs, g), rhs>.
# Differentiating each of the three by its two arguments gives one of the others.

@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3))
def _forward(lhs, rhs, dims, out_shape):
    return _call(_FORWARD, out_shape, lhs.dtype, lhs, rhs, dims)


def _forward_fwd(lhs, rhs, dims, out_shape):
    return _forward(lhs, rhs, dims, out_shape), (lhs, rhs)


def _forward_bwd(dims, out_shape, residuals, g):
    lhs, rhs = residuals
    return _grad_lhs(rhs, g, dims, lhs.shape), _grad_rhs(lhs, g, dims, rhs.shape)


_forward.defvjp(_forward_fwd, _forward_bwd)


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3))
def _grad_lhs(rhs, g, dims, lhs_shape):
    return _call(_GRAD_LHS, lhs_shape, g.dtype, rhs, g, dims)


def _grad_lhs_fwd(rhs, g, dims, lhs_shape):
    return _grad_lhs(rhs, g, dims, lhs_shape), (rhs, g)


def _grad_lhs_bwd(dims, lhs_shape, residuals, ct):
    rhs, g = residuals
    return _grad_rhs(ct, g, dims, rhs.shape), _forward(ct, rhs, dims, g.shape)


_grad_lhs.defvjp(_grad_lhs_fwd, _grad_lhs_bwd)


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3))
def _grad_rhs(lhs, g, dims, rhs_shape):
    return _call(_GRAD_RHS, rhs_shape, g.dtype, lhs, g, dims)


def _grad_rhs_fwd(lhs, g, dims, rhs_shape):
    return _grad_rhs(lhs, g, dims, rhs_shape), (lhs, g)


def _grad_rhs_bwd(dims, rhs_shape, residuals, ct):
    lhs, g = residuals
    return _grad_lhs(ct, g, dims, lhs.shape), _forward(lhs, ct, dims, g.shape)


_grad_rhs.defvjp(_grad_rhs_fwd, _grad_rhs_bwd)


# ---- public functions ----

def _as_array(value, name, api):
    try:
        return jax.numpy.asarray(value)  # a no-op on JAX arrays and tracers
    except TypeError as e:
        raise TypeError(f"batchdot.jax.{api}: {name} must be an array, got {type(value).__name__}") from e


def _contract(c, lhs, rhs):
    """Runs a resolved Contraction: operands converted to its dtype, one custom call."""
    dtype = np.dtype(jax.numpy.bfloat16) if c["dtype"] == "bfloat16" else np.dtype(c["dtype"])
    lhs, rhs = lhs.astype(dtype), rhs.astype(dtype)
    dims = (c["lhs_contracting"], c["rhs_contracting"], c["lhs_batch"], c["rhs_batch"])
    spec = ((dims[0], dims[1]), (dims[2], dims[3]))
    # The dot_general result shape of these dimension numbers (batch_dot's may add a unit axis).
    _, out_shape = _resolve("dot_general", lhs, rhs, spec, _batchdot.DotGeneralError)
    return _forward(lhs, rhs, dims, out_shape)


def dot_general(lhs, rhs, dimension_numbers, preferred_element_type=None):
    """jax.lax.dot_general computed by batchdot: ``dimension_numbers`` is
    ``((lhs_contracting, rhs_contracting), (lhs_batch, rhs_batch))`` with
    non-negative axes; the result is batch, lhs free, rhs free axes. With
    ``preferred_element_type`` the operands are converted to it first."""
    lhs, rhs = _as_array(lhs, "lhs", "dot_general"), _as_array(rhs, "rhs", "dot_general")
    if preferred_element_type is not None:
        lhs, rhs = lhs.astype(preferred_element_type), rhs.astype(preferred_element_type)
    c, _ = _resolve("dot_general", lhs, rhs, dimension_numbers, _batchdot.DotGeneralError)
    return _contract(c, lhs, rhs)


def batch_dot(x, y, axes=None):
    """tf.keras.backend.batch_dot computed by batchdot, with Keras' rules and errors."""
    x, y = _as_array(x, "x", "batch_dot"), _as_array(y, "y", "batch_dot")
    c, out_shape = _resolve("keras", x, y, axes, None)
    out = _contract(c, x, y)
    return out if tuple(out.shape) == tuple(out_shape) else out.reshape(out_shape)
