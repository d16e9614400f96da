"""mindspore.ops.batch_dot's rules (r2.1, same in 2.0-2.4): float32 only, and
MindSpore's check order and exception types for every ``axes`` form, on NumPy
arrays. The same op on MindSpore tensors, with gradients, in PyNative and graph
mode, is ``batchdot.mindspore.ops.batch_dot`` (importing it imports mindspore;
importing this package does not).

Example:
    >>> import numpy as np
    >>> from batchdot import mindspore
    >>> x1 = np.ones((2, 2), np.float32)
    >>> x2 = np.ones((2, 3, 2), np.float32)
    >>> mindspore.batch_dot(x1, x2, (1, 2))
    array([[2., 2., 2.],
           [2., 2., 2.]], dtype=float32)
    >>> mindspore.batch_dot(x1.astype(np.float64), x2, (1, 2))
    Traceback (most recent call last):
    ...
    batchdot.DTypeError: For 'batch_dot', the 'x1' doesn't support 'Float64' and expect to receive [Float32].
"""

from .._batchdot import mindspore_batch_dot as batch_dot  # noqa: F401
from .._batchdot import mindspore_batch_dot_grad as batch_dot_grad  # noqa: F401

__all__ = ["batch_dot", "batch_dot_grad"]
