"""``batch_dot``: a drop-in for ``tf.keras.backend.batch_dot`` / ``tf_keras.backend.batch_dot``.

    >>> import tensorflow as tf
    >>> from batchdot.keras import backend as K
    >>> K.batch_dot(tf.ones((32, 20, 1)), tf.ones((32, 30, 20)), axes=(1, 2)).shape
    TensorShape([32, 1, 30])

On TF tensors (eager or in a ``tf.function``) it is ``batchdot.tensorflow.batch_dot``, on JAX
arrays (Keras 3's JAX backend, ``jax.jit``) ``batchdot.jax.batch_dot``. On
symbolic tensors of a functional model it builds the matching layer: a Keras 3
``KerasTensor`` goes through ``batchdot.keras.layers.batch_dot`` (a Keras operation) and a
tf-keras one through ``batchdot.keras.tf_keras.BatchDot``, so ``K.batch_dot`` inside model
construction keeps working after ``from batchdot.keras import backend as K``.
"""

__all__ = ["batch_dot"]


def _symbolic_kind(t):
    """"keras" for a Keras 3 KerasTensor, "tf_keras" for a tf-keras one, else None (checked
    by the class's module, so neither Keras is imported for plain tensors)."""
    cls = type(t)
    if cls.__name__ != "KerasTensor":
        return None
    module = cls.__module__
    if module.startswith("tf_keras."):
        return "tf_keras"
    if module.startswith("keras."):
        return "keras"
    return None


def batch_dot(x, y, axes=None):
    """tf.keras.backend.batch_dot(x, y, axes) on batchdot's native TensorFlow or JAX op."""
    kinds = {_symbolic_kind(x), _symbolic_kind(y)} - {None}
    if "keras" in kinds:
        from .layers import batch_dot as keras_batch_dot

        return keras_batch_dot(x, y, axes)
    if "tf_keras" in kinds:
        from .tf_keras import BatchDot

        return BatchDot(axes)([x, y])
    if _is_jax_array(x) or _is_jax_array(y):  # Keras 3 on the JAX backend, or inside jax.jit
        from .. import jax as native
    else:
        from .. import tensorflow as native
    return native.batch_dot(x, y, axes)


def _is_jax_array(t):
    """A JAX array or tracer, told by its class's module so that jax is not imported here."""
    return any(c.__module__.split(".")[0] in ("jax", "jaxlib") for c in type(t).__mro__)
