"""batchdot on dask arrays: lazy ``batch_dot`` / ``dot_general`` graphs with one
batchdot call per block.

Example:
    >>> import dask.array as da, batchdot.dask
    >>> x = da.ones((1000, 4, 5), chunks=(100, 4, 5))
    >>> y = da.ones((1000, 5, 8), chunks=(100, 5, 8))
    >>> r = batchdot.dask.batch_dot(x, y)       # Keras rules; nothing computed yet
    >>> r.shape, r.chunks[0][:2]
    ((1000, 4, 8), (100, 100))
    >>> float(r[0, 0, 0].compute())
    5.0

Public names:
    batch_dot(x, y, axes=None, *, gather_limit=None, split_every=None)   Keras rules
    mindspore.batch_dot(x1, x2, axes=None, *, ...)                        MindSpore rules
    dot_general(lhs, rhs, dimension_numbers, *, ...)                      jax.lax.dot_general

Inputs are dask arrays or anything the NumPy front ends accept. Shapes, axes and
dtypes are checked once, when the graph is built, with the same rules, exception
types and messages as ``batchdot.batch_dot`` and friends. Batch axes are
co-chunked (blockwise's unify_chunks), free axes keep their chunks. A contracted
axis split into several chunks is gathered into one chunk when the largest
gathered block is at most ``gather_limit`` bytes (default: dask's
``array.chunk-size``, 128 MiB); results are then bitwise equal to
``batchdot.batch_dot`` on the computed inputs, for any batch chunking. Otherwise
(or with ``gather_limit=0``) partial products are summed in a tree with at most
``split_every`` inputs per task (dask's default 4), equal up to rounding.
"""

from ._graph import contract as _contract
from . import mindspore  # noqa: E402,F401


def batch_dot(x, y, axes=None, *, gather_limit=None, split_every=None):
    """tf.keras.backend.batch_dot's rules (see batchdot.batch_dot) as a lazy dask array."""
    return _contract("keras", x, y, axes, gather_limit, split_every)


def dot_general(lhs, rhs, dimension_numbers, *, gather_limit=None, split_every=None):
    """jax.lax.dot_general's rules (see batchdot.dot_general) as a lazy dask array."""
    return _contract("dot_general", lhs, rhs, dimension_numbers, gather_limit, split_every)


__all__ = ["batch_dot", "dot_general", "mindspore"]
