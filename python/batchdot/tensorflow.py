"""batchdot on TensorFlow tensors: native ops with gradients, eager and in ``tf.function``.

    >>> import tensorflow as tf
    >>> from batchdot import tensorflow as btf
    >>> btf.batch_dot(tf.ones((10, 12, 4, 5)), tf.ones((10, 12, 5, 8))).shape
    TensorShape([10, 12, 4, 12, 8])

``batch_dot(x, y, axes=None)`` follows ``tf.keras.backend.batch_dot``'s rules and
``dot_general(lhs, rhs, dimension_numbers)`` ``jax.lax.dot_general``'s; both run the ops of
``libbatchdot_tensorflow.so`` (next to this file), which call batchdot's C++ core on the
tensors' own buffers, and both are differentiable through batchdot's gradient contractions
(registered with ``tf.RegisterGradient``, and so are the gradient ops' own gradients: any
order, e.g. nested ``tf.GradientTape``). The forward result is bitwise equal to
``batchdot.batch_dot`` / ``batchdot.dot_general`` on the same values.

Errors: the call is resolved by batchdot's own rules when it is made (eagerly) or traced (in a
graph), so bad shapes or axes raise ``batchdot.BatchDotError`` (a ValueError) and a dtype
batchdot does not take raises ``batchdot.DTypeError`` (a TypeError, listing the dtypes it
takes), each with batchdot's one-line message. Extents unknown at trace time (a ``None``
batch) are checked when the op runs: ``tf.errors.InvalidArgumentError`` with the same message.

Threads: the op runs batchdot with as many threads as TensorFlow's intra-op pool
(``tf.config.threading.set_intra_op_parallelism_threads``), or ``BATCHDOT_TF_NUM_THREADS`` when set;
see docs/frameworks/tensorflow.md for how the two pools share the cores (measured).
"""

import os

import numpy as np
import tensorflow as tf

from ._batchdot import DTypeError
from .keras import _static

_LIBRARY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "libbatchdot_tensorflow.so")
_ops = tf.load_op_library(_LIBRARY)

__all__ = ["batch_dot", "dot_general"]


def _static_shape(t):
    shape = t.shape
    return None if shape.rank is None else tuple(shape.as_list())


def _stand_in_dtype(dtype):
    """The NumPy dtype that stands in for a TF dtype; TF's non-numeric dtypes (string,
    resource, variant) have none, so an unsupported numeric one (uint8) stands in and the error
    names the real dtype."""
    try:
        numpy_dtype = np.dtype(dtype.as_numpy_dtype)
    except TypeError:
        numpy_dtype = np.dtype(object)
    return numpy_dtype if numpy_dtype.kind not in "OSU" else None  # ml_dtypes bfloat16 is kind V


def _resolve(kind, x, y, spec):
    """batchdot's resolution of the call (see batchdot.keras._static), and the result dtype."""
    x_dt, y_dt = _stand_in_dtype(x.dtype), _stand_in_dtype(y.dtype)
    try:
        c = _static.resolve(kind, _static_shape(x), x_dt or np.uint8, _static_shape(y), y_dt or np.uint8, spec)
        dtype = c["dtype"] if c is not None else _static.result_dtype(x_dt or np.uint8, y_dt or np.uint8)
    except (ValueError, TypeError) as e:
        if isinstance(e, DTypeError) and (x_dt is None or y_dt is None):
            name = x.dtype.name if x_dt is None else y.dtype.name
            e = DTypeError(str(e).replace("dtype uint8", f"dtype {name}", 1))
        # AutoGraph (tf.function) would re-wrap the error in a StagingError or a multi-line
        # "in user code" message; the caller gets batchdot's own error and line instead.
        e.ag_pass_through = True
        raise e
    return c, tf.as_dtype(dtype)


def _as_tensor(value):
    return value if isinstance(value, tf.Tensor) else tf.convert_to_tensor(value)


def _int_list(values, what):
    try:
        return [int(v) for v in values]
    except (TypeError, ValueError):
        raise TypeError(f"{what} must be integers when the operands' ranks are unknown, got {values!r}") from None


# Not converted by AutoGraph: these run once per trace and raise batchdot's errors unchanged.
@tf.autograph.experimental.do_not_convert
def batch_dot(x, y, axes=None, name=None):
    """tf.keras.backend.batch_dot(x, y, axes) on batchdot's core; TF tensors in and out."""
    x, y = _as_tensor(x), _as_tensor(y)
    c, out_dtype = _resolve("batch_dot", x, y, axes)
    if c is not None:  # Keras contracts one axis pair: pass it resolved
        op_axes = [c["lhs_contracting"][0], c["rhs_contracting"][0]]
    elif axes is None:
        op_axes = []
    else:  # unknown ranks: the kernel applies Keras' rules to the axes as written
        op_axes = _int_list([axes] if isinstance(axes, int) else axes, "axes")
    return _ops.batchdot_batch_dot(x, y, Tout=out_dtype, axes=op_axes, name=name)


@tf.autograph.experimental.do_not_convert
def dot_general(lhs, rhs, dimension_numbers, name=None):
    """jax.lax.dot_general(lhs, rhs, ((lhs_contracting, rhs_contracting), (lhs_batch,
    rhs_batch))) on batchdot's core; TF tensors in and out."""
    lhs, rhs = _as_tensor(lhs), _as_tensor(rhs)
    c, out_dtype = _resolve("dot_general", lhs, rhs, dimension_numbers)
    if c is not None:
        lc, rc, lb, rb = (list(c[k]) for k in ("lhs_contracting", "rhs_contracting", "lhs_batch", "rhs_batch"))
    else:
        (lc, rc), (lb, rb) = dimension_numbers
        lc, rc, lb, rb = (_int_list(v, "dimension_numbers") for v in (lc, rc, lb, rb))
    return _ops.batchdot_dot_general(lhs, rhs, Tout=out_dtype, lhs_contracting=lc, rhs_contracting=rc,
                                     lhs_batch=lb, rhs_batch=rb, name=name)


def _attrs(op, names):
    return {k: op.get_attr(k) for k in names}


_BATCH_DOT_ATTRS = ("axes",)
_DOT_GENERAL_ATTRS = ("lhs_contracting", "rhs_contracting", "lhs_batch", "rhs_batch")


@tf.RegisterGradient("BatchdotBatchDot")
def _batch_dot_gradient(op, grad_out):
    return _ops.batchdot_batch_dot_grad(op.inputs[0], op.inputs[1], grad_out, **_attrs(op, _BATCH_DOT_ATTRS))


@tf.RegisterGradient("BatchdotDotGeneral")
def _dot_general_gradient(op, grad_out):
    return _ops.batchdot_dot_general_grad(op.inputs[0], op.inputs[1], grad_out, **_attrs(op, _DOT_GENERAL_ATTRS))


def _second_order(op, grad_of_grad_x, grad_of_grad_y, forward, backward, attrs):
    """The gradient of a gradient op (x, y, g) -> (gx, gy) for the cotangents (ggx, ggy) of its
    outputs. The call f(x, y) is bilinear, so gx = J_x(y)^T g and gy = J_y(x)^T g are bilinear in
    (g, y) and (g, x), and <ggx, gx> + <ggy, gy> = <g, f(ggx, y) + f(x, ggy)>. Hence, with the
    same attrs (the same contraction):
      d/dx = gradient op (x, ggy, g)'s grad_x   (x's gradient of <g, f(x, ggy)>)
      d/dy = gradient op (ggx, y, g)'s grad_y   (y's gradient of <g, f(ggx, y)>)
      d/dg = f(ggx, y) + f(x, ggy)
    all batchdot's own ops. Each gradient op also computes the other output, which is dropped (a
    second-order step costs two forward and two gradient contractions). A cotangent TF leaves as
    None (an output not used) drops its terms."""
    x, y, g = op.inputs[0], op.inputs[1], op.inputs[2]
    tout = op.get_attr("Tout")
    grad_x = grad_y = grad_g = None
    if grad_of_grad_y is not None:
        grad_x = backward(x, grad_of_grad_y, g, **attrs)[0]
        grad_g = forward(x, grad_of_grad_y, Tout=tout, **attrs)
    if grad_of_grad_x is not None:
        grad_y = backward(grad_of_grad_x, y, g, **attrs)[1]
        term = forward(grad_of_grad_x, y, Tout=tout, **attrs)
        grad_g = term if grad_g is None else grad_g + term
    return grad_x, grad_y, grad_g


@tf.RegisterGradient("BatchdotBatchDotGrad")
def _batch_dot_grad_gradient(op, grad_of_grad_x, grad_of_grad_y):
    return _second_order(op, grad_of_grad_x, grad_of_grad_y, _ops.batchdot_batch_dot, _ops.batchdot_batch_dot_grad,
                         _attrs(op, _BATCH_DOT_ATTRS))


@tf.RegisterGradient("BatchdotDotGeneralGrad")
def _dot_general_grad_gradient(op, grad_of_grad_x, grad_of_grad_y):
    return _second_order(op, grad_of_grad_x, grad_of_grad_y, _ops.batchdot_dot_general,
                         _ops.batchdot_dot_general_grad, _attrs(op, _DOT_GENERAL_ATTRS))
