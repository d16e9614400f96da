"""tf.keras.backend.batch_dot's rules: ``batchdot.keras.batch_dot`` is
``batchdot.batch_dot`` (the same compiled function, on NumPy arrays).

Example:
    >>> import numpy as np
    >>> from batchdot import keras
    >>> keras.batch_dot(np.array([[1, 2], [3, 4]]), np.array([[5, 6], [7, 8]]), axes=1)
    array([[17],
           [53]])
    >>> keras.batch_dot(np.ones((32, 20, 1)), np.ones((32, 30, 20)), axes=(1, 2)).shape
    (32, 1, 30)

Inside the frameworks (each submodule imports its framework; this package imports none):
    batchdot.keras.backend.batch_dot    drop-in for tf.keras.backend.batch_dot (TF tensors)
    batchdot.keras.layers.BatchDot      Keras 3 layer (tensorflow, jax, numpy backends)
    batchdot.keras.layers.batch_dot     Keras 3 functional op
    batchdot.keras.tf_keras.BatchDot    tf-keras 2 layer
"""

from .._batchdot import batch_dot, batch_dot_grad  # noqa: F401

__all__ = ["batch_dot", "batch_dot_grad"]
