"""batchdot.dot_general: jax.lax.dot_general's dimension numbers, several batch and contracting axes."""
import string

import numpy as np
import pytest

import batchdot


def einsum_oracle(lhs, rhs, dims):
    """The contract: output axes are batch, lhs free, rhs free (each in order)."""
    (lc, rc), (lb, rb) = dims
    letters = iter(string.ascii_letters)
    lhs_sub = [next(letters) for _ in range(lhs.ndim)]
    rhs_sub = [next(letters) for _ in range(rhs.ndim)]
    for a, b in zip(lc, rc):
        rhs_sub[b] = lhs_sub[a]
    for a, b in zip(lb, rb):
        rhs_sub[b] = lhs_sub[a]
    out = [lhs_sub[a] for a in lb]
    out += [lhs_sub[i] for i in range(lhs.ndim) if i not in lc and i not in lb]
    out += [rhs_sub[i] for i in range(rhs.ndim) if i not in rc and i not in rb]
    wide = {"f": np.float64, "i": np.int64, "c": np.complex128}[np.result_type(lhs, rhs).kind]
    spec = "".join(lhs_sub) + "," + "".join(rhs_sub) + "->" + "".join(out)
    return np.einsum(spec, lhs.astype(wide), rhs.astype(wide))


CASES = [
    # (lhs shape, rhs shape, dimension numbers)
    ((2, 3, 4), (2, 4, 5), (((2,), (1,)), ((0,), (0,)))),             # plain bmm
    ((2, 3, 4, 5), (3, 5, 4, 6), (((2, 3), (2, 1)), ((1,), (0,)))),    # 2 contracting, batch not first
    ((2, 3, 4, 5), (2, 3, 5, 6), (((3,), (2,)), ((0, 1), (0, 1)))),    # 2 batch axes
    ((4, 2, 3, 5, 7), (5, 3, 2, 4, 6), (((0, 3), (3, 0)), ((2, 1), (1, 2)))),  # axes out of order
    ((3, 4), (4, 5), (((1,), (0,)), ((), ()))),                        # plain matmul, no batch
    ((3,), (3,), (((0,), (0,)), ((), ()))),                            # vector dot
    ((2, 3), (4, 5), (((), ()), ((), ()))),                            # outer product
    ((2, 3, 4), (2, 3, 4), (((1, 2), (1, 2)), ((0,), (0,)))),          # batched full dot
    ((2, 0, 4), (2, 4, 3), (((2,), (1,)), ((0,), (0,)))),              # zero-size free axis
    ((2, 3, 0), (2, 0, 3), (((2,), (1,)), ((0,), (0,)))),              # zero-length contraction
]


@pytest.mark.parametrize("lhs_shape,rhs_shape,dims", CASES, ids=[str(c[2]) for c in CASES])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64])
def test_against_einsum(lhs_shape, rhs_shape, dims, dtype, rng):
    lhs = rng.integers(-4, 5, lhs_shape).astype(dtype)
    rhs = rng.integers(-4, 5, rhs_shape).astype(dtype)
    got = batchdot.dot_general(lhs, rhs, dims)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, einsum_oracle(lhs, rhs, dims))


def test_random_multi_axis(rng):
    for _ in range(30):
        nb, nc = int(rng.integers(0, 3)), int(rng.integers(0, 3))
        nl, nr = int(rng.integers(0, 3)), int(rng.integers(0, 3))
        shared = [int(d) for d in rng.integers(1, 5, nb + nc)]
        lhs_axes = list(rng.permutation(nb + nc + nl))
        rhs_axes = list(rng.permutation(nb + nc + nr))
        lhs_shape = [0] * (nb + nc + nl)
        rhs_shape = [0] * (nb + nc + nr)
        for i, d in enumerate(shared):
            lhs_shape[lhs_axes[i]] = d
            rhs_shape[rhs_axes[i]] = d
        for i in range(nb + nc, nb + nc + nl):
            lhs_shape[lhs_axes[i]] = int(rng.integers(1, 5))
        for i in range(nb + nc, nb + nc + nr):
            rhs_shape[rhs_axes[i]] = int(rng.integers(1, 5))
        dims = ((tuple(int(a) for a in lhs_axes[nb:nb + nc]), tuple(int(a) for a in rhs_axes[nb:nb + nc])),
                (tuple(int(a) for a in lhs_axes[:nb]), tuple(int(a) for a in rhs_axes[:nb])))
        lhs = rng.standard_normal(lhs_shape)
        rhs = rng.standard_normal(rhs_shape)[..., ::-1] if len(rhs_shape) else rng.standard_normal(rhs_shape)
        got = batchdot.dot_general(lhs, rhs, dims)
        np.testing.assert_allclose(got, einsum_oracle(lhs, rhs, dims), rtol=1e-12, atol=1e-12, err_msg=str(dims))


def test_forms_of_dimension_numbers():
    lhs, rhs = np.ones((2, 3, 4)), np.ones((2, 4, 5))
    for dims in ([[[2], [1]], [[0], [0]]], (([2], [1]), ([0], [0])),
                 ((np.array([2]), np.array([1])), ((np.int64(0),), (0,)))):
        np.testing.assert_array_equal(batchdot.dot_general(lhs, rhs, dims), np.full((2, 3, 5), 4.0))
    np.testing.assert_array_equal(
        batchdot.dot_general(lhs=lhs, rhs=rhs, dimension_numbers=(((2,), (1,)), ((0,), (0,)))), 4.0)


def test_mixed_dtypes_promote():
    got = batchdot.dot_general(np.ones((2, 3), np.int32), np.ones((3, 2), np.float32), (((1,), (0,)), ((), ())))
    assert got.dtype == np.float64


def test_out(rng):
    lhs, rhs = rng.standard_normal((3, 4, 5)), rng.standard_normal((5, 3, 2))
    dims = (((2,), (0,)), ((0,), (1,)))
    out = np.zeros((3, 4, 2))
    assert batchdot.dot_general(lhs, rhs, dims, out) is out
    np.testing.assert_allclose(out, einsum_oracle(lhs, rhs, dims), rtol=1e-12)
    with pytest.raises(ValueError, match="shape"):
        batchdot.dot_general(lhs, rhs, dims, out=np.zeros((3, 2, 4)))


@pytest.mark.parametrize("dims", [
    None, 1, "ab", ((2,), (1,)), (((2,), (1,)),), (((2,), (1,)), ((0,), (0,)), ()),
    (((2.0,), (1,)), ((0,), (0,))), (((True,), (1,)), ((0,), (0,))), ((2, 1), ((0,), (0,))),
    (((2,), (1,), (0,)), ((0,), (0,))), ((("2",), (1,)), ((0,), (0,))),
], ids=repr)
def test_malformed_dimension_numbers_are_type_errors(dims):
    with pytest.raises(TypeError, match="dimension_numbers"):
        batchdot.dot_general(np.ones((2, 3, 4)), np.ones((2, 4, 5)), dims)


@pytest.mark.parametrize("dims", [
    (((3,), (1,)), ((0,), (0,))),          # out of range
    (((-1,), (1,)), ((0,), (0,))),         # negative: JAX requires non-negative indices
    (((2,), (1,)), ((0,), (3,))),          # out of range on rhs
    (((2, 1), (1,)), ((0,), (0,))),        # lengths differ
    (((1,), (1,)), ((0,), (0,))),          # sizes differ: 3 vs 4
    (((2,), (1,)), ((2,), (0,))),          # axis both batch and contracting
    (((2, 2), (1, 1)), ((0,), (0,))),      # repeated axis
])
def test_invalid_axes_are_value_errors(dims):
    with pytest.raises(ValueError):
        batchdot.dot_general(np.ones((2, 3, 4)), np.ones((2, 4, 5)), dims)


def test_dtype_errors():
    with pytest.raises(TypeError, match="bool"):
        batchdot.dot_general(np.ones((2, 3), bool), np.ones((3, 2)), (((1,), (0,)), ((), ())))
    with pytest.raises(ValueError):  # shapes before unsupported dtypes, as in the Keras front end
        batchdot.dot_general(np.ones((2, 3), bool), np.ones((4, 2)), (((1,), (0,)), ((), ())))
