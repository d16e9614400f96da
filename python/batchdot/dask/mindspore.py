"""mindspore.ops.batch_dot's rules (see batchdot.mindspore.batch_dot) on dask
arrays: float32 only, MindSpore's check order and exception types, raised when
the graph is built.

Example:
    >>> import dask.array as da
    >>> from batchdot.dask import mindspore
    >>> x1 = da.ones((2, 2), dtype="float32", chunks=1)
    >>> x2 = da.ones((2, 3, 2), dtype="float32", chunks=1)
    >>> mindspore.batch_dot(x1, x2, (1, 2)).compute()
    array([[2., 2., 2.],
           [2., 2., 2.]], dtype=float32)
"""

from ._graph import contract as _contract


def batch_dot(x1, x2, axes=None, *, gather_limit=None, split_every=None):
    """MindSpore's batch_dot as a lazy dask array (see batchdot.dask for the options)."""
    return _contract("mindspore", x1, x2, axes, gather_limit, split_every)


__all__ = ["batch_dot"]
