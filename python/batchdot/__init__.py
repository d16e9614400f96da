"""batchdot: Keras- and MindSpore-exact ``batch_dot`` and a general ``dot_general``
on NumPy arrays, computed by a multithreaded C++ core.

Example:
    >>> import numpy as np, batchdot
    >>> x = np.ones((10, 12, 4, 5), np.float32)
    >>> y = np.ones((10, 12, 5, 8), np.float32)
    >>> batchdot.batch_dot(x, y).shape          # Keras rules, axes (3, 2)
    (10, 12, 4, 12, 8)
    >>> batchdot.mindspore.batch_dot(np.ones((2, 2), np.float32),
    ...                              np.ones((2, 3, 2), np.float32), (1, 2))
    array([[2., 2., 2.],
           [2., 2., 2.]], dtype=float32)

Public names:
    batch_dot(x, y, axes=None, out=None)         Keras rules (also batchdot.keras.batch_dot)
    mindspore.batch_dot(x1, x2, axes=None, out=None)   MindSpore rules
    dot_general(lhs, rhs, dimension_numbers, out=None)  jax.lax.dot_general style
    batch_dot_grad, mindspore.batch_dot_grad, dot_general_grad: gradients, -> (grad_x, grad_y)
    torch: batch_dot / dot_general on torch tensors, with autograd (import batchdot.torch)
    set_num_threads(n), get_num_threads(), build_info(), __version__
    BatchDotError (a ValueError), DTypeError (a TypeError),
    DotGeneralError (dot_general's shape errors: a BatchDotError and a TypeError, as JAX)

The functions are the compiled ones themselves (no Python wrapper in between), so a
call costs about as much as numpy.matmul's. Their errors are
``batchdot.BatchDotError`` (a ValueError, as Keras and MindSpore raise) and
``batchdot.DTypeError`` (a TypeError); both pickle, so they cross process
boundaries. A result that cannot be allocated raises MemoryError naming its size.
"""

from ._batchdot import (  # noqa: F401
    BatchDotError,
    DLPackResult,
    DotGeneralError,
    DTypeError,
    __version__,
    batch_dot,
    batch_dot_grad,
    build_info,
    dot_general,
    dot_general_grad,
    get_num_threads,
    set_num_threads,
)
from . import keras, mindspore  # noqa: E402,F401

__all__ = [
    "BatchDotError",
    "DLPackResult",
    "DotGeneralError",
    "DTypeError",
    "__version__",
    "batch_dot",
    "batch_dot_grad",
    "build_info",
    "dot_general",
    "dot_general_grad",
    "get_num_threads",
    "keras",
    "mindspore",
    "set_num_threads",
]
