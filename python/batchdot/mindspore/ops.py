"""batchdot.mindspore.ops.batch_dot: a drop-in for ``mindspore.ops.batch_dot`` on
MindSpore tensors, computed by batchdot's C++ core, with gradients, in PyNative
and in graph mode (``mindspore.jit``, ``GRAPH_MODE``).

``batch_dot(x1, x2, axes=None)`` follows MindSpore's rules (r2.1, the same in
2.0-2.4; see ``batchdot.mindspore.batch_dot``): float32 only, MindSpore's check
order and exception classes. The checks run in Python when the call is made
(PyNative) or traced (graph mode), through batchdot's own resolver on zero-stride
NumPy stand-ins of the operands, so a bad call raises ValueError / TypeError
before any kernel runs. The computation is an ``ops.Custom(func_type="aot")``
CPU kernel in ``libbatchdot_mindspore.so`` (next to batchdot's compiled module),
and its ``bprop`` is two more such kernels, one per gradient: each is one
contraction of the incoming gradient with the other operand. Results are
bitwise equal to ``batchdot.mindspore.batch_dot`` on the same NumPy arrays.

The contracted axes reach the kernel as a small int64 tensor, so the kernel
needs no attribute API (MindSpore's attribute reader is C++ built with the old
libstdc++ ABI); one Custom op is made per resolved axes pair, because its output
shape function sees only shapes. Static shapes only: a dimension unknown at
trace time is a ValueError.

CPU only. If ``MS_CUSTOM_AOT_WHITE_LIST`` is set, it must name a folder that
holds the batchdot package, or MindSpore refuses the kernel library. This
library has its own worker pool: ``set_num_threads`` here sets it (and
batchdot's NumPy one).

Example:
    >>> import numpy as np, mindspore as ms
    >>> from batchdot.mindspore import ops
    >>> x1 = ms.Tensor(np.ones((2, 2), np.float32))
    >>> x2 = ms.Tensor(np.ones((2, 3, 2), np.float32))
    >>> ops.batch_dot(x1, x2, (1, 2)).asnumpy()
    array([[2., 2., 2.],
           [2., 2., 2.]], dtype=float32)
"""

import ctypes
import functools
import os

import mindspore
import numpy as np
from mindspore import ops as _ms_ops

import batchdot
from batchdot import _batchdot

__all__ = ["batch_dot", "get_num_threads", "set_num_threads"]

LIBRARY = os.path.join(os.path.dirname(os.path.abspath(batchdot.__file__)), "libbatchdot_mindspore.so")
if not os.path.exists(LIBRARY):
    raise ImportError(f"batchdot.mindspore.ops needs {LIBRARY}, which this build of batchdot does not have: "
                      "configure with a Python that imports mindspore (BATCHDOT_BUILD_MINDSPORE=AUTO or ON) "
                      "and build the batchdot_mindspore target")
_LIB = ctypes.CDLL(LIBRARY)
_LIB.BatchdotMindSporeSetNumThreads.argtypes = [ctypes.c_int64]

# NumPy stand-ins for MindSpore dtypes. A dtype NumPy cannot hold (bfloat16,
# float8, ...) is stood in for by int8, which MindSpore's rules refuse at the
# same point, and the message is given the real name (_real_dtype_names).
_NUMPY_DTYPES = {
    mindspore.float32: np.float32, mindspore.float64: np.float64, mindspore.float16: np.float16,
    mindspore.int8: np.int8, mindspore.int16: np.int16, mindspore.int32: np.int32, mindspore.int64: np.int64,
    mindspore.uint8: np.uint8, mindspore.uint16: np.uint16, mindspore.uint32: np.uint32,
    mindspore.uint64: np.uint64, mindspore.bool_: np.bool_,
    mindspore.complex64: np.complex64, mindspore.complex128: np.complex128,
}
_UNHELD_STAND_IN = np.int8


def _stand_in(shape, dtype, name):
    """A zero-stride NumPy array of `shape` (no memory) with `dtype`'s NumPy twin."""
    if any(d is None or d < 0 for d in shape):
        raise ValueError(f"batchdot.mindspore.ops.batch_dot needs static shapes, but {name} has shape "
                         f"{tuple(shape)} (a dimension unknown at trace time)")
    return np.broadcast_to(np.zeros((), _NUMPY_DTYPES.get(dtype, _UNHELD_STAND_IN)), tuple(shape))


def _real_dtype_names(error, x1_dtype, x2_dtype):
    """`error` naming MindSpore's dtypes where stand-ins were used for them."""
    message = str(error)
    for name, dtype in (("x1", x1_dtype), ("x2", x2_dtype)):
        if dtype not in _NUMPY_DTYPES and f"'{name}' doesn't support 'Int8'" in message:
            message = message.replace(f"'{name}' doesn't support 'Int8'", f"'{name}' doesn't support '{dtype}'")
    return type(error)(message)


def _resolve(x1_shape, x1_dtype, x2_shape, x2_dtype, axes):
    """batchdot's MindSpore resolver on stand-ins: raises what batch_dot raises for
    such operands, else returns the Contraction as a dict."""
    x1 = _stand_in(x1_shape, x1_dtype, "x1")
    x2 = _stand_in(x2_shape, x2_dtype, "x2")
    try:
        return _batchdot._resolve("mindspore", x1, x2, axes)
    except TypeError as error:
        if x1_dtype in _NUMPY_DTYPES and x2_dtype in _NUMPY_DTYPES:
            raise
        raise _real_dtype_names(error, x1_dtype, x2_dtype) from None


# constexpr: graph mode runs this as Python while compiling (its arguments are
# compile-time constants) instead of parsing it; PyNative calls it directly.
@_ms_ops.constexpr
def _contracted_axes(x1_shape, x1_dtype, x2_shape, x2_dtype, axes):
    """The (x1 axis, x2 axis) pair MindSpore's rules resolve `axes` to."""
    c = _resolve(x1_shape, x1_dtype, x2_shape, x2_dtype, axes)
    return c["lhs_contracting"][0], c["rhs_contracting"][0]


class _PairOps:
    """The three Custom ops of one resolved axes pair, and the pair as a tensor.

    Each gradient kernel is itself linear in (dout, the other operand), so its
    bprop is made of the same kernels: order 2 and beyond work too."""

    def __init__(self, a0, a1):
        self.axes = mindspore.Tensor(np.array([a0, a1], np.int64))
        pair = (a0, a1)

        def forward_shape(s1, s2, _axes):
            return list(_resolve(s1, mindspore.float32, s2, mindspore.float32, pair)["output_shape"])

        self.forward = _ms_ops.Custom(f"{LIBRARY}:BatchdotMindSporeBatchDot", out_shape=forward_shape,
                                      out_dtype=lambda d1, d2, _axes: d1, func_type="aot", bprop=self._forward_bprop)
        self.grad_x1 = _ms_ops.Custom(f"{LIBRARY}:BatchdotMindSporeBatchDotGradX1",
                                      out_shape=lambda s1, s2, _axes, _dout: list(s1),
                                      out_dtype=lambda d1, d2, _axes, _dout: d1, func_type="aot",
                                      bprop=self._grad_x1_bprop)
        self.grad_x2 = _ms_ops.Custom(f"{LIBRARY}:BatchdotMindSporeBatchDotGradX2",
                                      out_shape=lambda s1, s2, _axes, _dout: list(s2),
                                      out_dtype=lambda d1, d2, _axes, _dout: d2, func_type="aot",
                                      bprop=self._grad_x2_bprop)

    # MindSpore calls bprop(*inputs, out, dout) and wants one gradient per input;
    # the axes tensor gets zeros.
    def _forward_bprop(self, x1, x2, axes, out, dout):
        return self.grad_x1(x1, x2, axes, dout), self.grad_x2(x1, x2, axes, dout), _ms_ops.zeros_like(axes)

    # grad_x1(x1, x2, dout) = d<dout, f(x1, x2)>/dx1 does not depend on x1; with a
    # cotangent g of x1's shape, <g, grad_x1> = <dout, f(g, x2)>.
    def _grad_x1_bprop(self, x1, x2, axes, dout, out, g):
        return (_ms_ops.zeros_like(x1), self.grad_x2(g, x2, axes, dout), _ms_ops.zeros_like(axes),
                self.forward(g, x2, axes))

    def _grad_x2_bprop(self, x1, x2, axes, dout, out, g):
        return (self.grad_x1(x1, g, axes, dout), _ms_ops.zeros_like(x2), _ms_ops.zeros_like(axes),
                self.forward(x1, g, axes))


@functools.lru_cache(maxsize=None)
def _pair_ops(a0, a1):
    # At most rank(x1) * rank(x2) pairs ever exist, so the memo stays small.
    return _PairOps(a0, a1)


def batch_dot(x1, x2, axes=None):
    """mindspore.ops.batch_dot(x1, x2, axes) on MindSpore tensors (see the module docstring).

    Output: x1's free axes then x2's free axes after the batch axis; two rank-2
    inputs give (B, 1). Raises ValueError / TypeError like MindSpore, at call time
    in PyNative and when the graph is compiled in graph mode."""
    if not isinstance(x1, mindspore.Tensor):
        raise TypeError(f"For 'batch_dot', the input 'x1' must be a mindspore.Tensor, but got {type(x1).__name__}.")
    if not isinstance(x2, mindspore.Tensor):
        raise TypeError(f"For 'batch_dot', the input 'x2' must be a mindspore.Tensor, but got {type(x2).__name__}.")
    a0, a1 = _contracted_axes(x1.shape, x1.dtype, x2.shape, x2.dtype, axes)
    ops = _pair_ops(a0, a1)
    return ops.forward(x1, x2, ops.axes)


def set_num_threads(n):
    """Worker threads of batchdot's kernels, both this library's and the NumPy module's."""
    batchdot.set_num_threads(n)  # the one check of n, raising ValueError
    if _LIB.BatchdotMindSporeSetNumThreads(n) != 0:
        raise ValueError(f"batchdot.mindspore.ops.set_num_threads: the kernel library refused {n} (see stderr)")


def get_num_threads():
    """Worker threads this library's kernels use."""
    return _LIB.BatchdotMindSporeGetNumThreads()
