"""What runs on the workers: one batchdot call per block.

Kept apart from the graph builder so that a task pickles as a reference to a
small module-level function plus the resolved dimension numbers.
"""

from .. import _batchdot


def _only_block(blocks):
    """blockwise (concatenate=False) hands over a contracted index that is not in
    the output as a list of its blocks; the graph gathers such an index into one
    chunk first, so each list holds one block (a concatenate would copy it)."""
    while isinstance(blocks, list):
        if len(blocks) != 1:
            raise AssertionError(f"batchdot.dask: expected one block per contracted index, got {len(blocks)}")
        blocks = blocks[0]
    return blocks


def contract_block(x_block, y_block, dimension_numbers, ndim):
    """batchdot.dot_general on one pair of blocks, with trailing unit axes up to
    `ndim`: Keras' (B, 1) axis for rank-2 x rank-2, and one axis per contracted
    index the graph keeps for a tree sum of partial products."""
    x_block, y_block = _only_block(x_block), _only_block(y_block)
    result = _batchdot.dot_general(x_block, y_block, dimension_numbers)
    if result.ndim < ndim:
        result = result.reshape(result.shape + (1,) * (ndim - result.ndim))
    return result
