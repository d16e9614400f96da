"""Adds the partial products of a chunked contraction in a bounded tree.

The pattern of dask's own matmul (dask/array/routines.py, _sum_wo_cat): every
partial block has size 1 along the summed axes, so a tree node adds its inputs
element by element; ``da.sum`` would concatenate them first (one more copy and
twice the memory per task).
"""

import functools

import numpy as np
from dask.array.reductions import reduction


def _flat(blocks):
    if isinstance(blocks, (list, tuple)):
        return [b for item in blocks for b in _flat(item)]
    return [blocks]


def _add_blocks(blocks, axis=None, dtype=None, keepdims=None, computing_meta=False):
    parts = _flat(blocks)
    out = functools.reduce(functools.partial(np.add, dtype=dtype), parts) if len(parts) > 1 else parts[0]
    if keepdims:
        return out
    return out.reshape(tuple(n for i, n in enumerate(out.shape) if i not in axis))


def tree_sum(array, axes, dtype, split_every=None):
    """Sum of `array` over `axes` (each of size 1 per block): at most
    `split_every` blocks (dask's default: 4) are added per task."""
    return reduction(array, _add_blocks, _add_blocks, axis=axes, dtype=dtype, concatenate=False,
                     split_every=split_every, meta=np.empty((0,) * (array.ndim - len(axes)), dtype))
