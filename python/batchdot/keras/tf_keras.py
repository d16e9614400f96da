"""tf-keras 2 (``tf_keras``, what ``tf.keras`` is with ``TF_USE_LEGACY_KERAS=1``): the
``BatchDot`` layer on batchdot's TensorFlow op.

    >>> import tf_keras
    >>> from batchdot.keras.tf_keras import BatchDot
    >>> a, b = tf_keras.Input((4, 5)), tf_keras.Input((6, 5))
    >>> BatchDot(axes=(2, 2))([a, b]).shape
    TensorShape([None, 4, 6])

The same layer as ``batchdot.keras.layers.BatchDot`` for tf-keras models: ``[x, y]`` in,
``batch_dot(x, y, axes)`` out (``batchdot.tensorflow.batch_dot``), registered as
``batchdot>BatchDot`` with tf-keras, so ``.keras`` and SavedModel-format models save and load.
"""

import tensorflow as _tf
import tf_keras

from .. import tensorflow as _native
from . import _static

__all__ = ["BatchDot"]


@tf_keras.utils.register_keras_serializable(package="batchdot")
class BatchDot(tf_keras.layers.Layer):
    """``batch_dot(x, y, axes)`` of the two inputs ``[x, y]``: a drop-in for
    ``tf_keras.layers.Dot(axes)`` (without ``normalize``) with batch_dot's default axes."""

    def __init__(self, axes=None, **kwargs):
        super().__init__(**kwargs)
        self.axes = list(axes) if isinstance(axes, tuple) else axes  # JSON keeps lists

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(f"BatchDot takes a list of two inputs [x, y], got {inputs!r}")
        x, y = inputs
        return _native.batch_dot(x, y, _static.plain_axes(self.axes))

    def compute_output_shape(self, input_shape):
        x_shape, y_shape = (tuple(_tf.TensorShape(s).as_list()) for s in input_shape)
        dtype = self.compute_dtype or "float32"
        axes = _static.plain_axes(self.axes)
        return _static.resolve("batch_dot", x_shape, dtype, y_shape, dtype, axes)["output_shape"]

    def get_config(self):
        axes = _static.plain_axes(self.axes)
        return {**super().get_config(), "axes": list(axes) if isinstance(axes, tuple) else axes}
