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
from ._layer import BatchDotLayerBase

__all__ = ["BatchDot"]


@tf_keras.utils.register_keras_serializable(package="batchdot")
class BatchDot(BatchDotLayerBase, tf_keras.layers.Layer):
    """``batch_dot(x, y, axes)`` of the two inputs ``[x, y]``: a drop-in for
    ``tf_keras.layers.Dot(axes)`` (without ``normalize``) with batch_dot's default axes."""

    def call(self, inputs):
        x, y = self._operands(inputs)
        return _native.batch_dot(x, y, _static.plain_axes(self.axes))

    def compute_output_shape(self, input_shape):
        return self._output_shape(*(tuple(_tf.TensorShape(s).as_list()) for s in input_shape))
