"""batchdot.dask: lazy graphs, the NumPy front ends' errors at graph build, bitwise
equality with batchdot on the computed inputs, partial-product trees, and a run
on dask.distributed."""
import os

import dask
import dask.array as da
import numpy as np
import pytest

import batchdot
import batchdot.dask as bdd
from batchdot.dask import _blocks
from conftest import EXCEPTIONS, axes_for_python, case_inputs, keras_axes, load_cases

KERAS_CASES = load_cases("keras.json")
MS_CASES = load_cases("mindspore.json")
FRONT_ENDS = {  # name: (dask function, NumPy function)
    "keras": (bdd.batch_dot, batchdot.batch_dot),
    "mindspore": (bdd.mindspore.batch_dot, batchdot.mindspore.batch_dot),
}


@pytest.fixture(autouse=True)
def synchronous_scheduler():
    with dask.config.set(scheduler="synchronous"):
        yield


def random_chunks(rng, shape, keep_whole=()):
    """Random chunk sizes per axis; axes in `keep_whole` are one chunk."""
    return tuple(n if (axis in keep_whole or n == 0 or rng.random() < 0.3) else int(rng.integers(1, n + 1))
                 for axis, n in enumerate(shape))


def random_values(rng, shape, dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    return rng.integers(-50, 51, shape).astype(dtype)


def einsum_oracle(x, y, dims, out_shape):
    """np.einsum in float64 / int64 / complex128 for dimension numbers dims."""
    (lc, rc), (lb, rb) = dims
    acc = {"f": np.float64, "i": np.int64, "c": np.complex128}[np.result_type(x.dtype, y.dtype).kind]
    letters = iter("abcdefghijklmnopqrstuvwxyz")
    xs = [next(letters) for _ in range(x.ndim)]
    ys = [next(letters) for _ in range(y.ndim)]
    for l_axis, r_axis in zip(list(lb) + list(lc), list(rb) + list(rc)):
        ys[r_axis] = xs[l_axis]
    lf = [a for a in range(x.ndim) if a not in lb and a not in lc]
    rf = [a for a in range(y.ndim) if a not in rb and a not in rc]
    out = [xs[a] for a in lb] + [xs[a] for a in lf] + [ys[a] for a in rf]
    spec = f"{''.join(xs)},{''.join(ys)}->{''.join(out)}"
    return np.einsum(spec, x.astype(acc), y.astype(acc)).reshape(out_shape)


def keras_dims(x_ndim, y_ndim, a0, a1):
    return ((a0,), (a1,)), ((0,), (0,))


def assert_close(got, want, x, y, dims, k):
    """|err| <= 4·K·eps·Σ|x·y| + tiny, per element (conftest.assert_close's bound,
    for any dimension numbers); integers exact."""
    if got.dtype.kind in "iu":
        np.testing.assert_array_equal(got, want)
        return
    bound = np.abs(einsum_oracle(np.abs(x), np.abs(y), dims, want.shape))
    eps = np.finfo(got.dtype).eps
    tol = 4 * max(k, 1) * eps * bound + np.finfo(got.dtype).tiny
    err = np.abs(got.astype(want.dtype) - want)
    assert np.all(err <= tol), f"max err {err.max()} > tol {tol.max()} (K={k}, dtype={got.dtype})"


def random_keras_call(rng, dtype=np.float32, batch=None):
    x_ndim, y_ndim = (int(n) for n in rng.integers(2, 5, size=2))
    batch = int(rng.integers(1, 9)) if batch is None else batch
    k = int(rng.choice([1, 2, 5, 16, 33]))
    a0, a1 = int(rng.integers(1, x_ndim)), int(rng.integers(1, y_ndim))
    xs = [batch] + [int(d) for d in rng.integers(1, 6, size=x_ndim - 1)]
    ys = [batch] + [int(d) for d in rng.integers(1, 6, size=y_ndim - 1)]
    xs[a0], ys[a1] = k, k
    axes = (a0 - x_ndim if rng.random() < 0.3 else a0, a1)
    return random_values(rng, xs, dtype), random_values(rng, ys, dtype), axes, (a0, a1)


# ---------------------------------------------------------------- values

@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64])
def test_random_chunkings_bitwise_when_k_unchunked(dtype, rng):
    for _ in range(40):
        x, y, axes, (a0, a1) = random_keras_call(rng, dtype)
        want = batchdot.batch_dot(x, y, axes)
        xd = da.from_array(x, chunks=random_chunks(rng, x.shape, keep_whole=(a0,)))
        yd = da.from_array(y, chunks=random_chunks(rng, y.shape, keep_whole=(a1,)))
        lazy = bdd.batch_dot(xd, yd, axes)
        assert isinstance(lazy, da.Array)
        assert lazy.shape == want.shape and lazy.dtype == want.dtype
        got = lazy.compute()
        assert got.dtype == want.dtype
        assert got.tobytes() == want.tobytes(), f"x {xd.chunks} y {yd.chunks} axes {axes}"
        dims = keras_dims(x.ndim, y.ndim, a0, a1)
        assert_close(got, einsum_oracle(x, y, dims, want.shape), x, y, dims, x.shape[a0])


def test_one_element_free_chunks_are_merged(rng):
    """A one-row block would run the matrix-vector kernel (another summation
    order); the graph merges such a chunk into its neighbour."""
    x = rng.standard_normal((4, 4, 33)).astype(np.float32)
    y = rng.standard_normal((4, 5, 33)).astype(np.float32)
    want = batchdot.batch_dot(x, y, (2, 2))
    lazy = bdd.batch_dot(da.from_array(x, chunks=(2, (1, 3), 33)), da.from_array(y, chunks=(4, (2, 2, 1), 33)), (2, 2))
    assert lazy.chunks == ((2, 2), (4,), (2, 3))
    assert lazy.compute().tobytes() == want.tobytes()
    # Without the merge the bytes would differ: the one-column product on its own.
    alone = batchdot.batch_dot(x, np.ascontiguousarray(y[:, 4:]), (2, 2))
    assert alone.tobytes() != np.ascontiguousarray(want[:, :, 4:]).tobytes()


def test_identical_bytes_for_any_batch_chunking(rng):
    """The reproducibility promise: batch chunking never changes a byte."""
    x = rng.standard_normal((37, 6, 33)).astype(np.float32)
    y = rng.standard_normal((37, 33, 7)).astype(np.float32)
    want = batchdot.batch_dot(x, y).tobytes()
    for chunk in (1, 2, 5, 16, 37):
        got = bdd.batch_dot(da.from_array(x, chunks=(chunk, 6, 33)), da.from_array(y, chunks=(chunk, 33, 7)))
        assert got.compute().tobytes() == want, f"batch chunk {chunk}"
    # Different batch chunks on x and y are co-chunked.
    got = bdd.batch_dot(da.from_array(x, chunks=(5, 6, 33)), da.from_array(y, chunks=(8, 33, 7)))
    assert got.compute().tobytes() == want


def test_partial_products_identical_bytes_for_any_batch_chunking(rng):
    """With K chunked and summed as partials, the bytes depend on the K chunks only."""
    x = rng.standard_normal((24, 5, 40)).astype(np.float32)
    y = rng.standard_normal((24, 40, 3)).astype(np.float32)
    results = {bdd.batch_dot(da.from_array(x, chunks=(b, 5, 16)), da.from_array(y, chunks=(b, 16, 3)),
                             gather_limit=0).compute().tobytes() for b in (1, 5, 7, 24)}
    assert len(results) == 1


def test_chunked_k_is_gathered_under_the_limit(rng):
    x = rng.standard_normal((6, 4, 50)).astype(np.float32)
    y = rng.standard_normal((6, 50, 3)).astype(np.float32)
    xd, yd = da.from_array(x, chunks=(2, 4, 7)), da.from_array(y, chunks=(3, 11, 3))
    got = bdd.batch_dot(xd, yd)
    assert got.compute().tobytes() == batchdot.batch_dot(x, y).tobytes()
    # One task per output block reads the whole K: no partial products in the graph.
    assert not any("sum" in str(k) for k in got.dask.layers)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.float16])
def test_chunked_k_partial_products_tree(dtype, rng):
    for _ in range(10):
        x, y, axes, (a0, a1) = random_keras_call(rng, dtype)
        xd = da.from_array(x, chunks=random_chunks(rng, x.shape))
        yd = da.from_array(y, chunks=random_chunks(rng, y.shape))
        got = bdd.batch_dot(xd, yd, axes, gather_limit=0, split_every=2).compute()
        want = batchdot.batch_dot(x, y, axes)
        assert got.shape == want.shape and got.dtype == want.dtype
        dims = keras_dims(x.ndim, y.ndim, a0, a1)
        assert_close(got, einsum_oracle(x, y, dims, want.shape), x, y, dims, x.shape[a0])


def test_partial_tree_is_bounded(rng):
    """40 k-blocks with split_every=4: each sum task adds at most 4 partials."""
    x = rng.integers(-3, 4, (2, 3, 40)).astype(np.float64)
    y = rng.integers(-3, 4, (2, 40, 2)).astype(np.float64)
    lazy = bdd.batch_dot(da.from_array(x, chunks=(1, 3, 1)), da.from_array(y, chunks=(1, 1, 2)),
                         gather_limit=0, split_every=4)
    graph = dict(lazy.__dask_graph__())
    widest = 0
    for task in graph.values():
        if isinstance(task, tuple) and task:
            widest = max(widest, max((len(a) for a in task[1:] if isinstance(a, list)), default=0))
    assert 0 < widest <= 4
    np.testing.assert_array_equal(lazy.compute(), batchdot.batch_dot(x, y))  # exact integers


def test_rank2_by_rank2_gives_b_by_1(rng):
    x = rng.integers(-5, 6, (9, 12)).astype(np.float32)
    y = rng.integers(-5, 6, (9, 12)).astype(np.float32)
    want = batchdot.batch_dot(x, y)
    assert want.shape == (9, 1)
    for gather_limit in (None, 0):
        lazy = bdd.batch_dot(da.from_array(x, chunks=(4, 5)), da.from_array(y, chunks=(3, 5)), gather_limit=gather_limit)
        assert lazy.shape == (9, 1) and lazy.chunks[1] == (1,)
        np.testing.assert_array_equal(lazy.compute(), want)
    lazy = bdd.mindspore.batch_dot(da.from_array(x, chunks=(2, 12)), da.from_array(y, chunks=(5, 12)))
    assert lazy.compute().tobytes() == batchdot.mindspore.batch_dot(x, y).tobytes()


@pytest.mark.parametrize("x_shape,y_shape,chunks", [
    ((0, 4, 3), (0, 3, 5), ((1, 2, 3), (1, 3, 5))),
    ((3, 0, 3), (3, 3, 5), ((2, 1, 3), (1, 3, 2))),
    ((3, 4, 0), (3, 0, 5), ((2, 3, 1), (1, 1, 3))),
    ((4, 0), (4, 0), ((3, 1), (2, 1))),
])
def test_zero_size_dims(x_shape, y_shape, chunks):
    x, y = np.ones(x_shape, np.float32), np.ones(y_shape, np.float32)
    want = batchdot.batch_dot(x, y)
    for gather_limit in (None, 0):
        got = bdd.batch_dot(da.from_array(x, chunks=chunks[0]), da.from_array(y, chunks=chunks[1]),
                            gather_limit=gather_limit).compute()
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dx,dy", [(np.float32, np.float64), (np.int32, np.float32), (np.int32, np.int64),
                                   (np.float16, np.float32), (np.float32, np.complex64)])
def test_mixed_dtypes_promote_like_the_numpy_front_end(dx, dy, rng):
    x = rng.integers(-3, 4, (5, 3, 8)).astype(dx)
    y = rng.integers(-3, 4, (5, 8, 4)).astype(dy)
    want = batchdot.batch_dot(x, y)
    for gather_limit in (None, 0):
        lazy = bdd.batch_dot(da.from_array(x, chunks=(2, 2, 3)), da.from_array(y, chunks=(3, 4, 3)),
                             gather_limit=gather_limit)
        assert lazy.dtype == want.dtype == np.result_type(dx, dy)
        got = lazy.compute()
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)  # small integers: exact


@pytest.mark.parametrize("x_ndim,y_ndim,dims", [
    (4, 4, (((2, 3), (2, 1)), ((1,), (0,)))),          # README's example
    (5, 5, (((3, 1), (1, 3)), ((0, 2), (2, 0)))),      # two batch and two contracted axes, out of order
    (3, 3, (((), ()), ((0,), (0,)))),                  # batched outer product
    (2, 2, (((1,), (0,)), ((), ()))),                  # plain matrix product
    (1, 1, (((0,), (0,)), ((), ()))),                  # vector dot: a 0-d result
])
def test_dot_general_several_axes(x_ndim, y_ndim, dims, rng):
    (lc, rc), (lb, rb) = dims
    for _ in range(6):
        x_shape = [int(d) for d in rng.integers(1, 6, size=x_ndim)]
        y_shape = [int(d) for d in rng.integers(1, 6, size=y_ndim)]
        for l_axis, r_axis in zip(list(lc) + list(lb), list(rc) + list(rb)):
            y_shape[r_axis] = x_shape[l_axis]
        x = random_values(rng, x_shape, np.float64)
        y = random_values(rng, y_shape, np.float64)
        want = batchdot.dot_general(x, y, dims)
        xd = da.from_array(x, chunks=random_chunks(rng, x.shape, keep_whole=lc))
        yd = da.from_array(y, chunks=random_chunks(rng, y.shape, keep_whole=rc))
        got = bdd.dot_general(xd, yd, dims).compute()
        assert got.tobytes() == want.tobytes(), f"{xd.chunks} {yd.chunks}"
        k = int(np.prod([x.shape[a] for a in lc]))
        assert_close(got, einsum_oracle(x, y, dims, want.shape), x, y, dims, k)
        # Chunked contracted axes, summed as partial products.
        xd = da.from_array(x, chunks=random_chunks(rng, x.shape))
        yd = da.from_array(y, chunks=random_chunks(rng, y.shape))
        got = bdd.dot_general(xd, yd, dims, gather_limit=0).compute()
        assert_close(got, einsum_oracle(x, y, dims, want.shape), x, y, dims, k)


def test_numpy_and_list_inputs():
    x, y = np.arange(24.0).reshape(2, 3, 4), np.arange(40.0).reshape(2, 4, 5)
    lazy = bdd.batch_dot(x, y.tolist())
    assert isinstance(lazy, da.Array)
    np.testing.assert_array_equal(lazy.compute(), batchdot.batch_dot(x, y))


# ---------------------------------------------------------------- case vectors: values and errors

def exploding(array, chunks=None):
    """A dask array of `array`'s shape and dtype whose computation fails: proves an
    error came from graph building."""
    def boom(block):
        raise AssertionError("computed while building the graph")
    base = da.from_array(array, chunks=chunks or array.shape or -1)
    return base.map_blocks(boom, dtype=array.dtype, meta=np.empty((0,) * array.ndim, array.dtype))


@pytest.mark.parametrize("front_end,case", [("keras", c) for c in KERAS_CASES] + [("mindspore", c) for c in MS_CASES],
                         ids=[f"keras-{c['id']}" for c in KERAS_CASES] + [f"ms-{c['id']}" for c in MS_CASES])
def test_case_vectors(front_end, case, rng):
    dask_fn, numpy_fn = FRONT_ENDS[front_end]
    x, y = case_inputs(case, rng)
    axes = axes_for_python(case["axes"])
    if "error" in case:
        with pytest.raises(EXCEPTIONS[case["error"]]) as want:
            numpy_fn(x, y, axes)
        with pytest.raises(EXCEPTIONS[case["error"]]) as got:
            dask_fn(exploding(x), exploding(y), axes)  # raised at build: nothing is computed
        assert type(got.value) is type(want.value)
        assert str(got.value) == str(want.value)
        return
    want = numpy_fn(x, y, axes)
    chunks = (tuple(max(1, d // 2) for d in x.shape), tuple(max(1, d // 2) for d in y.shape))
    got = dask_fn(da.from_array(x, chunks=chunks[0]), da.from_array(y, chunks=chunks[1]), axes).compute()
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)  # small integers: exact even with gathered K


@pytest.mark.parametrize("dtype", ["float64", "float16", "int32", "bool", "uint8", "complex64"])
def test_mindspore_dtype_errors_at_build(dtype):
    x1, x2 = np.ones((2, 3, 4), dtype), np.ones((2, 4, 5), np.float32)
    for a, b in ((x1, x2), (x2, x1)):
        with pytest.raises(TypeError) as want:
            batchdot.mindspore.batch_dot(a, b)
        with pytest.raises(TypeError) as got:
            bdd.mindspore.batch_dot(exploding(a), exploding(b))
        assert type(got.value) is type(want.value) and str(got.value) == str(want.value)
        assert "Float32" in str(got.value)


@pytest.mark.parametrize("lhs_shape,rhs_shape,dims", [
    ((2, 3), (2, 4), (((1,), (1,)), ((0,), (0,)))),      # contracted sizes differ
    ((2, 3), (3, 3), (((1,), (1,)), ((0,), (0,)))),      # batch sizes differ
    ((2, 3), (2, 3), (((2,), (1,)), ((0,), (0,)))),      # axis out of range
    ((2, 3), (2, 3), (((1, 1), (1, 1)), ((0,), (0,)))),  # repeated axis
    ((2, 3), (2, 3), "bad"),                             # malformed
    ((2, 3), (2, 3), (((1,), (True,)), ((0,), (0,)))),   # bool axis
])
def test_dot_general_errors_at_build(lhs_shape, rhs_shape, dims):
    lhs, rhs = np.ones(lhs_shape), np.ones(rhs_shape)
    with pytest.raises((ValueError, TypeError)) as want:
        batchdot.dot_general(lhs, rhs, dims)
    with pytest.raises((ValueError, TypeError)) as got:
        bdd.dot_general(exploding(lhs), exploding(rhs), dims)
    assert type(got.value) is type(want.value) and str(got.value) == str(want.value)


def test_unsupported_dtype_errors_at_build():
    for x in (np.ones((2, 3, 4), np.uint8), np.array([[["a"]]])):
        y = np.ones((2, 4, 5), np.float32) if x.dtype.kind != "U" else np.ones((1, 1, 1))
        with pytest.raises(TypeError) as want:
            batchdot.batch_dot(x, y)
        with pytest.raises(TypeError) as got:
            bdd.batch_dot(exploding(x), exploding(y))
        assert type(got.value) is type(want.value) and str(got.value) == str(want.value)


def test_unknown_chunk_sizes_are_a_clear_error():
    x = da.ones((4, 3, 2), chunks=2)
    x = x[x[:, 0, 0] > 0]  # unknown batch chunks
    with pytest.raises(ValueError, match="unknown chunk sizes"):
        bdd.batch_dot(x, da.ones((4, 2, 5)))


# ---------------------------------------------------------------- laziness

class CountingKernel:
    """Stands in for the compiled module inside the block function."""
    def __init__(self):
        self.calls = 0

    def dot_general(self, *args):
        self.calls += 1
        return batchdot.dot_general(*args)


def test_nothing_is_computed_before_compute(monkeypatch, rng):
    counter = CountingKernel()
    monkeypatch.setattr(_blocks, "_batchdot", counter)
    loads = []

    def load(block):
        loads.append(block.shape)
        return block
    meta = np.empty((0, 0, 0))  # dask would call `load` on an empty block to find it
    x = da.from_array(rng.standard_normal((8, 3, 6)), chunks=(2, 3, 3)).map_blocks(load, meta=meta)
    y = da.from_array(rng.standard_normal((8, 6, 4)), chunks=(4, 6, 4)).map_blocks(load, meta=meta)
    lazy = bdd.batch_dot(x, y, gather_limit=0)
    lazy2 = bdd.batch_dot(x, y)
    lazy3 = bdd.mindspore.batch_dot(x.astype(np.float32), y.astype(np.float32))
    lazy4 = bdd.dot_general(x, y, (((2,), (1,)), ((0,), (0,))))
    assert counter.calls == 0 and loads == []
    lazy.compute()
    # Batch co-chunked to 4 blocks of 2, K in 2 partial blocks: 8 block calls.
    assert counter.calls == 8
    for other in (lazy2, lazy3, lazy4):
        before = counter.calls
        other.compute()
        assert counter.calls - before == 4  # K gathered: one call per batch block
    assert len(loads) > 0


# ---------------------------------------------------------------- dask.distributed

@pytest.fixture(scope="module")
def client():
    import logging

    from dask.distributed import Client, LocalCluster

    # Worker processes import batchdot from where this process found it.
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(batchdot.__file__)))
    old_path = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = package_root + (os.pathsep + old_path if old_path else "")
    cluster = LocalCluster(processes=True, n_workers=2, threads_per_worker=1, dashboard_address=None,
                           silence_logs=logging.ERROR, env={"BATCHDOT_NUM_THREADS": "1"})
    with Client(cluster, timeout="60s") as c:
        c.wait_for_workers(2, timeout=60)
        yield c
    cluster.close(timeout=30)
    if old_path is None:
        del os.environ["PYTHONPATH"]
    else:
        os.environ["PYTHONPATH"] = old_path


def test_distributed_run(client, rng):
    x = rng.standard_normal((40, 5, 33)).astype(np.float32)
    y = rng.standard_normal((40, 33, 6)).astype(np.float32)
    xd, yd = da.from_array(x, chunks=(7, 5, 33)), da.from_array(y, chunks=(10, 33, 3))
    got = client.compute(bdd.batch_dot(xd, yd)).result(timeout=60)
    assert got.tobytes() == batchdot.batch_dot(x, y).tobytes()
    got = client.compute(bdd.mindspore.batch_dot(xd, yd, gather_limit=0)).result(timeout=60)
    dims = keras_dims(3, 3, 2, 1)
    assert_close(got, einsum_oracle(x, y, dims, got.shape), x, y, dims, 33)
    lhs = rng.standard_normal((3, 4, 5, 6))
    rhs = rng.standard_normal((4, 6, 5, 2))
    dims = (((2, 3), (2, 1)), ((1,), (0,)))
    lazy = bdd.dot_general(da.from_array(lhs, chunks=2), da.from_array(rhs, chunks=(1, 6, 5, 1)), dims)
    got = client.compute(lazy).result(timeout=60)
    assert got.tobytes() == batchdot.dot_general(lhs, rhs, dims).tobytes()
    # The blocks ran in the worker processes: both imported the block module.
    imported = client.run(lambda: __import__("sys").modules.get("batchdot.dask._blocks") is not None)
    assert list(imported.values()) == [True, True]


def test_the_summation_order_rule_comes_from_the_core():
    """_graph keeps one-element free blocks out because the core says a row or
    column of one sums in another order (plan/summation_order.hpp)."""
    from batchdot import _batchdot
    assert _batchdot._summation_order(1, 2) == "dot" and _batchdot._summation_order(2, 1) == "dot"
    assert _batchdot._summation_order(2, 2) == "matrix" and _batchdot._summation_order(512, 64) == "matrix"
