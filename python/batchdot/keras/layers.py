"""Keras 3: the ``BatchDot`` layer and the functional ``batch_dot``, on batchdot's native ops.

    >>> import keras
    >>> from batchdot.keras.layers import BatchDot
    >>> a, b = keras.Input((4, 5)), keras.Input((6, 5))
    >>> BatchDot(axes=(2, 2))([a, b]).shape
    (None, 4, 6)

``BatchDot(axes=None)`` takes a list ``[x, y]`` like ``keras.layers.Dot`` and computes
``tf.keras.backend.batch_dot(x, y, axes)`` (Keras rules; the default axes are Keras'
batch_dot's). Its ``call`` dispatches on ``keras.backend.backend()``: tensorflow runs
``batchdot.tensorflow.batch_dot`` (a TF op with a registered gradient), jax runs
``batchdot.jax.batch_dot`` (an XLA FFI call with a custom VJP), numpy runs
``batchdot.batch_dot``, torch runs ``batchdot.torch.batch_dot``; each is imported when first
used. Output shapes come from batchdot's own rules with ``None`` extents kept (see
``batchdot.keras._static``). The layer is registered as ``batchdot>BatchDot``, so a ``.keras``
model containing it saves and loads (import this module before ``keras.models.load_model``).
Like ``keras.layers.Dot``, the layer casts floating inputs to its compute dtype.
"""

import keras

from . import _static
from ._layer import BatchDotLayerBase

__all__ = ["BatchDot", "BatchDotOperation", "batch_dot"]


def _native_batch_dot(x, y, axes):
    backend = keras.backend.backend()
    if backend == "tensorflow":
        from .. import tensorflow as native
    elif backend == "jax":
        from .. import jax as native
    elif backend == "torch":
        from .. import torch as native
    elif backend == "numpy":
        import numpy as np

        from .. import _batchdot

        return _batchdot.batch_dot(np.asarray(x), np.asarray(y), axes)
    else:
        raise NotImplementedError(f"batchdot.keras: no native batch_dot for the Keras backend {backend!r}")
    return native.batch_dot(x, y, axes)


def _output_spec(x, y, axes):
    c = _static.resolve("batch_dot", x.shape, x.dtype, y.shape, y.dtype, axes)
    return keras.KerasTensor(c["output_shape"], dtype=c["dtype"])


class BatchDotOperation(keras.Operation):
    """batch_dot as a Keras operation: native on each backend, symbolic on KerasTensors."""

    def __init__(self, axes=None, name=None):
        super().__init__(name=name)
        self.axes = axes

    def call(self, x, y):
        return _native_batch_dot(x, y, _static.plain_axes(self.axes))

    def compute_output_spec(self, x, y):
        return _output_spec(x, y, self.axes)


def batch_dot(x, y, axes=None):
    """tf.keras.backend.batch_dot(x, y, axes) for Keras 3, on any backend's tensors or on
    KerasTensors (functional models)."""
    if isinstance(x, keras.KerasTensor) or isinstance(y, keras.KerasTensor):
        return BatchDotOperation(axes).symbolic_call(x, y)
    return _native_batch_dot(x, y, axes)


@keras.saving.register_keras_serializable(package="batchdot")
class BatchDot(BatchDotLayerBase, keras.layers.Layer):
    """``batch_dot(x, y, axes)`` of the two inputs ``[x, y]``: a drop-in for
    ``keras.layers.Dot(axes)`` (without ``normalize``) with batch_dot's default axes."""

    def call(self, inputs):
        x, y = self._operands(inputs)
        return _native_batch_dot(x, y, _static.plain_axes(self.axes))

    def compute_output_spec(self, inputs):
        x, y = self._operands(inputs)
        return _output_spec(x, y, _static.plain_axes(self.axes))

    def compute_output_shape(self, input_shape):
        return self._output_shape(*input_shape)
