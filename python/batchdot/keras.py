"""tf.keras.backend.batch_dot's rules: ``batchdot.keras.batch_dot`` is
``batchdot.batch_dot`` (the same compiled function).

Example:
    >>> import numpy as np
    >>> from batchdot import keras
    >>> keras.batch_dot(np.array([[1, 2], [3, 4]]), np.array([[5, 6], [7, 8]]), axes=1)
    array([[17],
           [53]])
    >>> keras.batch_dot(np.ones((32, 20, 1)), np.ones((32, 30, 20)), axes=(1, 2)).shape
    (32, 1, 30)
"""

from ._batchdot import batch_dot, batch_dot_grad  # noqa: F401

__all__ = ["batch_dot", "batch_dot_grad"]
