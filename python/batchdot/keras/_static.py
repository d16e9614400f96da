"""Resolving a call from static shapes that may have unknown extents (a Keras ``Input`` has a
``None`` batch; a ``tf.function`` may trace with ``None`` dims), for graph builders: the
TensorFlow op's Python side and the Keras layers' ``compute_output_spec``.

batchdot's own resolver (``batchdot._batchdot._resolve``, on zero-stride stand-ins) decides
everything; this module only chooses the stand-ins' extents. An unknown extent takes the
extent of the axis it is paired with (batch or contracted, so the pair agrees and no error is
invented), or 1 when both are unknown; free extents stay unknown in the result. The pairing
comes from a first resolve on all-ones stand-ins of the same ranks, which depends on the ranks
and the axes only. Framework-free: shapes are tuples of ints and Nones, dtypes NumPy's.
"""

import numpy as np

from .. import _batchdot

_API = {"batch_dot": "keras", "dot_general": "dot_general"}


def _numpy_dtype(dtype):
    """A NumPy dtype from a NumPy dtype or type, or a name ("bfloat16" through ml_dtypes)."""
    if isinstance(dtype, str) and dtype == "bfloat16":
        import ml_dtypes  # NumPy holds bfloat16 only through ml_dtypes

        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(dtype)


def _stand_in(shape, dtype):
    return np.broadcast_to(np.zeros((), dtype), tuple(shape))


def _pairs_by_rank(api, x_rank, y_rank, spec):
    """The (lhs, rhs) axis pairs that must agree, from all-ones stand-ins; None when the
    ranks and spec are themselves wrong (the full resolve below then reports it)."""
    try:
        c = _batchdot._resolve(api, _stand_in((1,) * x_rank, np.float32), _stand_in((1,) * y_rank, np.float32), spec)
    except (ValueError, TypeError):
        return None
    return c


def _filled(shape, other, pairs, side):
    filled = list(shape)
    for lhs_axis, rhs_axis in pairs:
        mine, theirs = (lhs_axis, rhs_axis) if side == 0 else (rhs_axis, lhs_axis)
        if filled[mine] is None:
            filled[mine] = other[theirs]
    return [1 if d is None else d for d in filled]


_NAMES = {"keras": ("x", "y"), "dot_general": ("lhs", "rhs")}


def _with_real_shapes(error, api, filled, real):
    """The error batchdot raised for the stand-ins, its message naming the operands' real
    shapes (with None) where it names the stand-ins' filled ones."""
    message = str(error)
    for name, stand_in, shape in zip(_NAMES[api], filled, real):
        message = message.replace(f"{name}.shape = {tuple(stand_in)}", f"{name}.shape = {tuple(shape)}")
    return type(error)(message)


def resolve(kind, x_shape, x_dtype, y_shape, y_dtype, spec):
    """Resolves ``kind`` ("batch_dot" or "dot_general") on operands of these static shapes
    (tuples with ints and Nones; None for an unknown rank) and dtypes (NumPy's, or names). Raises exactly
    what batchdot raises for operands of such shapes (BatchDotError, a ValueError, or
    DTypeError, a TypeError). Returns None when a rank is unknown, else batchdot's
    Contraction dict with ``output_shape`` holding None where an extent is unknown."""
    x_dt, y_dt = _numpy_dtype(x_dtype), _numpy_dtype(y_dtype)
    if x_shape is None or y_shape is None:
        return None
    api = _API[kind]
    x_shape, y_shape = tuple(x_shape), tuple(y_shape)
    if None not in x_shape and None not in y_shape:
        return _batchdot._resolve(api, _stand_in(x_shape, x_dt), _stand_in(y_shape, y_dt), spec)
    by_rank = _pairs_by_rank(api, len(x_shape), len(y_shape), spec)
    # Keras and MindSpore pair axis 0 whatever the axes; without a valid pairing that is the
    # only pair the checks ahead of the axes checks compare.
    if by_rank is None:
        pairs = [(0, 0)] if api == "keras" and x_shape and y_shape else []
    else:
        pairs = list(zip(by_rank["lhs_batch"] + by_rank["lhs_contracting"],
                         by_rank["rhs_batch"] + by_rank["rhs_contracting"]))
    xs = _filled(x_shape, y_shape, pairs, 0)
    ys = _filled(y_shape, x_shape, pairs, 1)
    try:
        c = _batchdot._resolve(api, _stand_in(xs, x_dt), _stand_in(ys, y_dt), spec)
    except (ValueError, TypeError) as e:
        raise _with_real_shapes(e, api, (xs, ys), (x_shape, y_shape)) from None
    out = [x_shape[a] if x_shape[a] is not None else y_shape[b] for a, b in zip(c["lhs_batch"], c["rhs_batch"])]
    out += [x_shape[a] for a in c["lhs_free"]] + [y_shape[a] for a in c["rhs_free"]]
    out += [1] * (len(c["output_shape"]) - len(out))  # Keras' (B, 1)
    c["output_shape"] = tuple(out)
    return c


def plain_axes(axes):
    """A layer's stored ``axes`` as the caller wrote it: Keras layers keep list attributes in
    tracking wrappers (tf-keras' ListWrapper keeps its items outside the list itself), which
    batchdot's axes parser would not read; a list comes back as a tuple."""
    return tuple(axes) if isinstance(axes, list) else axes


def result_dtype(x_dtype, y_dtype):
    """The dtype batchdot computes x, y in (NumPy's name), for operands of unknown rank:
    resolved on a rank-1 dot of stand-ins, so a dtype batchdot does not take raises its
    DTypeError here too."""
    one = (((0,), (0,)), ((), ()))
    c = _batchdot._resolve("dot_general", _stand_in((1,), _numpy_dtype(x_dtype)),
                           _stand_in((1,), _numpy_dtype(y_dtype)), one)
    return c["dtype"]
