"""A pytest plugin (-p tensorflow_in_place) that runs the conformance suite test_tf_keras.py
with batchdot's TensorFlow op in place of the NumPy front end: batchdot.keras.batch_dot and
batch_dot_grad become calls of batchdot.tensorflow's ops on TF tensors, so every case the
suite compares against tf_keras / Keras 3 is computed by the op (used by test_tensorflow_op.py)."""
import tensorflow as tf

import batchdot.keras
from batchdot import tensorflow as btf


def batch_dot(x, y, axes=None):
    return btf.batch_dot(tf.constant(x), tf.constant(y), axes).numpy()


def batch_dot_grad(x, y, grad_out, axes=None):
    # The gradient op itself (a GradientTape would not differentiate integer inputs).
    xt, yt = tf.constant(x), tf.constant(y)
    c, _ = btf._resolve("batch_dot", xt, yt, axes)
    gx, gy = btf._ops.batchdot_batch_dot_grad(xt, yt, tf.constant(grad_out),
                                              axes=[c["lhs_contracting"][0], c["rhs_contracting"][0]])
    return gx.numpy(), gy.numpy()


batchdot.keras.batch_dot = batch_dot
batchdot.keras.batch_dot_grad = batch_dot_grad
