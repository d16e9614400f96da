"""Builds the dask graph of one contraction, resolved once with the front end's
own rules (batchdot._batchdot._resolve on zero-stride stand-ins of the operands'
shapes and dtypes), so every error is raised here, before anything is computed.

The graph (the pattern of dask's own tensordot, dask/array/routines.py):
- one batchdot call per block along the batch axes (dask.array.blockwise), the
  batch axes co-chunked by blockwise's unify_chunks, free axes chunked as given
  (except that a one-element chunk is merged into its neighbour, see
  _keep_kernel_family);
- contracted axes split into several chunks are gathered into one chunk when the
  gathered operand blocks stay under `gather_limit` bytes (then results equal
  batchdot's bit for bit); otherwise each block pair gives a partial product with
  the contracted index kept at size 1 (adjust_chunks, concatenate=False) and the
  partials are added in a tree of at most `split_every` inputs per task.
  Never an unbounded concatenate.
"""

import math

import dask
import dask.array as da
import numpy as np
from dask.utils import parse_bytes

from .. import _batchdot
from ._blocks import contract_block
from ._tree_sum import tree_sum


def _as_dask(obj):
    if isinstance(obj, da.Array):
        return obj
    # What the NumPy front ends do with a non-array: numpy.asarray, no dtype.
    return da.from_array(np.asarray(obj), chunks=-1)


def _stand_in(array, name):
    if any(math.isnan(d) for d in array.shape):
        raise ValueError(f"batchdot.dask: {name} has unknown chunk sizes (shape {array.shape}); "
                         f"call {name}.compute_chunk_sizes() first")
    # Zero strides: any shape costs one element.
    return np.broadcast_to(np.zeros((), array.dtype), array.shape)


def _result_dtype(name, x, y):
    for dtype in (x.dtype, y.dtype):  # keeps the input's own bfloat16 type
        if dtype.name == name:
            return dtype
    return np.dtype(name)


def _gathered_bytes(array, contracted):
    """Bytes of the largest block once the `contracted` axes are one chunk."""
    size = array.dtype.itemsize
    for axis, chunks in enumerate(array.chunks):
        size *= array.shape[axis] if axis in contracted else max(chunks, default=0)
    return size


def _without_single_element_chunks(chunks):
    """`chunks` with each one-element chunk merged into its neighbour (an axis of
    extent 1 stays as it is)."""
    merged = list(chunks)
    while len(merged) > 1 and 1 in merged:
        i = merged.index(1)
        j = i - 1 if i > 0 else i + 1
        merged[min(i, j)] = merged[i] + merged[j]
        del merged[max(i, j)]
    return tuple(merged)


def _keep_kernel_family(array, free_axes):
    """A block whose free extents multiply to one row or one column may get
    another summation order than the whole array's (the core says which:
    _batchdot._summation_order), so when a one-element extent changes the
    order, a free axis is never cut into a one-element block unless the whole
    axis has one element: then every block sums in the order batchdot uses on
    the whole array."""
    if _batchdot._summation_order(1, 2) == _batchdot._summation_order(2, 2):
        return array
    fixed = {a: _without_single_element_chunks(array.chunks[a]) for a in free_axes}
    if all(fixed[a] == array.chunks[a] for a in free_axes):
        return array
    return array.rechunk(fixed)


def contract(api, x, y, spec, gather_limit=None, split_every=None):
    """The lazy result of `api` ("keras", "mindspore", "dot_general") on x, y."""
    names = {"keras": ("x", "y"), "mindspore": ("x1", "x2"), "dot_general": ("lhs", "rhs")}[api]
    x, y = _as_dask(x), _as_dask(y)
    c = _batchdot._resolve(api, _stand_in(x, names[0]), _stand_in(y, names[1]), spec)
    dtype = _result_dtype(c["dtype"], x, y)
    x, y = _keep_kernel_family(x, c["lhs_free"]), _keep_kernel_family(y, c["rhs_free"])
    lc, rc = c["lhs_contracting"], c["rhs_contracting"]

    # One index label per axis; batch and contracted pairs share theirs.
    x_index = list(range(x.ndim))
    y_index = list(range(x.ndim, x.ndim + y.ndim))
    for l_axis, r_axis in zip(c["lhs_batch"] + lc, c["rhs_batch"] + rc):
        y_index[r_axis] = x_index[l_axis]
    out_index = ([x_index[a] for a in c["lhs_batch"]] + [x_index[a] for a in c["lhs_free"]] +
                 [y_index[a] for a in c["rhs_free"]])
    new_axes = {}
    if len(out_index) < len(c["output_shape"]):  # Keras' (B, 1)
        label = x.ndim + y.ndim
        out_index.append(label)
        new_axes[label] = 1

    chunked = any(len(x.chunks[a]) > 1 for a in lc) or any(len(y.chunks[a]) > 1 for a in rc)
    if chunked:
        limit = parse_bytes(dask.config.get("array.chunk-size")) if gather_limit is None else gather_limit
        if max(_gathered_bytes(x, lc), _gathered_bytes(y, rc)) <= limit:
            x = x.rechunk({a: -1 for a in lc})
            y = y.rechunk({a: -1 for a in rc})
            chunked = False
    partial_labels = [x_index[a] for a in lc] if chunked else []
    ndim = len(out_index) + len(partial_labels)
    dims = ((tuple(lc), tuple(rc)), (tuple(c["lhs_batch"]), tuple(c["rhs_batch"])))
    result = da.blockwise(
        contract_block, out_index + partial_labels, x, x_index, y, y_index,
        dtype=dtype, meta=np.empty((0,) * ndim, dtype), new_axes=new_axes,
        adjust_chunks={label: lambda _: 1 for label in partial_labels}, concatenate=False,
        dimension_numbers=dims, ndim=ndim)
    if partial_labels:
        trailing = tuple(range(len(out_index), ndim))
        result = tree_sum(result, trailing, dtype, split_every)
    return result
