"""batchdot.tensorflow: the native TF ops against batchdot's NumPy front end (bitwise), their
gradients (tf.test.compute_gradient), eager and tf.function, None and unknown extents, errors.

Run with the TensorFlow venv's interpreter and the built package on the path:
    PYTHONPATH=build/python venv/tensorflow/bin/python -m pytest -q tests/frameworks/test_tensorflow_op.py
"""

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow", reason="the TensorFlow suite needs tensorflow (venv/tensorflow)")
import ml_dtypes  # noqa: E402  (TF's own dependency)

import batchdot  # noqa: E402
from batchdot import tensorflow as btf  # noqa: E402
from case_vectors import case_inputs, load_cases, python_axes  # noqa: E402
from in_place import run_suite_in_place  # noqa: E402

EXCEPTIONS = {"ValueError": ValueError, "TypeError": TypeError, "IndexError": IndexError}
KERAS_CASES = load_cases("keras")


def numpy_error(fn, *args):
    with pytest.raises((ValueError, TypeError)) as info:
        fn(*args)
    return info.value


def assert_bitwise(got, want):
    got = np.asarray(got.numpy() if hasattr(got, "numpy") else got)  # a rank-0 bfloat16 tensor's __array__ fails
    assert got.shape == want.shape and got.dtype == want.dtype, (got.shape, got.dtype, want.shape, want.dtype)
    assert got.tobytes() == want.tobytes()


@pytest.fixture
def rng(request):
    return np.random.default_rng(abs(hash(request.node.nodeid)) % (2**32))


# ---------------------------------------------------------------- Keras case vectors

@pytest.mark.parametrize("case", KERAS_CASES, ids=[c["id"] for c in KERAS_CASES])
def test_keras_case(case, rng):
    x, y = case_inputs(case, rng)
    axes = python_axes(case["axes"])
    if "error" in case:
        want = numpy_error(batchdot.batch_dot, x, y, axes)
        with pytest.raises(EXCEPTIONS[case["error"]]) as info:
            btf.batch_dot(tf.constant(x), tf.constant(y), axes)
        assert type(info.value) is type(want) and str(info.value) == str(want)
        return
    want = batchdot.batch_dot(x, y, axes)
    assert list(want.shape) == case["out_shape"]
    assert_bitwise(btf.batch_dot(tf.constant(x), tf.constant(y), axes), want)
    traced = tf.function(lambda a, b: btf.batch_dot(a, b, axes))
    assert_bitwise(traced(tf.constant(x), tf.constant(y)), want)


# ---------------------------------------------------------------- random cases, every dtype

DTYPES = [np.float32, np.float64, np.float16, ml_dtypes.bfloat16, np.int32, np.int64, np.complex64, np.complex128]


def random_values(rng, shape, dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "i":
        return rng.integers(-100, 100, shape).astype(dtype)
    values = rng.standard_normal(shape)
    if dtype.kind == "c":
        values = values + 1j * rng.standard_normal(shape)
    return values.astype(dtype)


def random_keras_call(rng, dtype):
    x_ndim, y_ndim = (int(n) for n in rng.integers(2, 5, size=2))
    batch, k = int(rng.integers(1, 5)), int(rng.choice([1, 3, 7, 16, 33, 65]))
    a0, a1 = int(rng.integers(1, x_ndim)), int(rng.integers(1, y_ndim))
    xs = [batch] + [int(d) for d in rng.integers(1, 6, size=x_ndim - 1)]
    ys = [batch] + [int(d) for d in rng.integers(1, 6, size=y_ndim - 1)]
    xs[a0], ys[a1] = k, k
    axes = (a0 - x_ndim if rng.random() < 0.3 else a0, a1 - y_ndim if rng.random() < 0.3 else a1)
    return random_values(rng, xs, dtype), random_values(rng, ys, dtype), axes


@pytest.mark.parametrize("dtype", DTYPES, ids=[np.dtype(d).name for d in DTYPES])
def test_random_batch_dot_bitwise(dtype, rng):
    traced = tf.function(btf.batch_dot, reduce_retracing=False)
    for _ in range(25):
        x, y, axes = random_keras_call(rng, dtype)
        want = batchdot.batch_dot(x, y, axes)
        assert_bitwise(btf.batch_dot(tf.constant(x), tf.constant(y), axes), want)
        assert_bitwise(traced(tf.constant(x), tf.constant(y), axes), want)


def random_dot_general_call(rng, dtype):
    nb, nc, nl, nr = (int(n) for n in rng.integers(0, 3, size=4))
    batch = [int(d) for d in rng.integers(1, 4, size=nb)]
    contract = [int(d) for d in rng.integers(1, 9, size=nc)]
    lfree = [int(d) for d in rng.integers(1, 5, size=nl)]
    rfree = [int(d) for d in rng.integers(1, 5, size=nr)]
    lperm = rng.permutation(nb + nc + nl)
    rperm = rng.permutation(nb + nc + nr)
    lhs_dims, rhs_dims = batch + contract + lfree, batch + contract + rfree
    lhs_shape = [lhs_dims[i] for i in lperm]
    rhs_shape = [rhs_dims[i] for i in rperm]
    where_l = {int(v): i for i, v in enumerate(lperm)}
    where_r = {int(v): i for i, v in enumerate(rperm)}
    dims = (([where_l[nb + i] for i in range(nc)], [where_r[nb + i] for i in range(nc)]),
            ([where_l[i] for i in range(nb)], [where_r[i] for i in range(nb)]))
    return random_values(rng, lhs_shape, dtype), random_values(rng, rhs_shape, dtype), dims


@pytest.mark.parametrize("dtype", [np.float32, np.float64, ml_dtypes.bfloat16, np.int64, np.complex64],
                         ids=["float32", "float64", "bfloat16", "int64", "complex64"])
def test_random_dot_general_bitwise(dtype, rng):
    for _ in range(25):
        lhs, rhs, dims = random_dot_general_call(rng, dtype)
        want = batchdot.dot_general(lhs, rhs, dims)
        assert_bitwise(btf.dot_general(tf.constant(lhs), tf.constant(rhs), dims), want)
        traced = tf.function(lambda a, b: btf.dot_general(a, b, dims))
        assert_bitwise(traced(tf.constant(lhs), tf.constant(rhs)), want)


def test_mixed_dtypes_promote_like_batchdot(rng):
    x = random_values(rng, (3, 4, 5), np.float32)
    y = random_values(rng, (3, 5, 2), np.float64)
    want = batchdot.batch_dot(x, y, (2, 1))
    assert_bitwise(btf.batch_dot(tf.constant(x), tf.constant(y), (2, 1)), want)


def test_seed_example_and_empty_contraction():
    got = btf.batch_dot(tf.ones((10, 12, 4, 5)), tf.ones((10, 12, 5, 8)))
    assert got.shape == (10, 12, 4, 12, 8)
    assert np.all(got.numpy() == 5.0)
    empty = btf.batch_dot(tf.ones((2, 3, 0)), tf.ones((2, 0, 4)), (2, 1))
    assert_bitwise(empty, np.zeros((2, 3, 4), np.float32))


# ---------------------------------------------------------------- gradients

def test_batch_dot_gradient_checks(rng):
    for axes, xs, ys in [(None, (3, 4, 5), (3, 5, 2)), ((1, 2), (2, 6, 3), (2, 4, 6)), (1, (4, 3), (4, 3))]:
        x, y = tf.constant(rng.standard_normal(xs)), tf.constant(rng.standard_normal(ys))
        for f, at in [(lambda a: btf.batch_dot(a, y, axes), x), (lambda b: btf.batch_dot(x, b, axes), y)]:
            theoretical, numerical = tf.test.compute_gradient(tf.function(f), [at])
            np.testing.assert_allclose(theoretical[0], numerical[0], rtol=1e-6, atol=1e-6)


def test_dot_general_gradient_checks(rng):
    lhs = tf.constant(rng.standard_normal((2, 3, 4, 5)))
    rhs = tf.constant(rng.standard_normal((5, 2, 6, 3)))
    dims = (([1, 3], [3, 0]), ([0], [1]))
    for f, at in [(lambda a: btf.dot_general(a, rhs, dims), lhs), (lambda b: btf.dot_general(lhs, b, dims), rhs)]:
        theoretical, numerical = tf.test.compute_gradient(f, [at])
        np.testing.assert_allclose(theoretical[0], numerical[0], rtol=1e-6, atol=1e-6)


def test_gradients_are_batchdots_own_bitwise(rng):
    x = random_values(rng, (4, 7, 9), np.float32)
    y = random_values(rng, (4, 5, 9), np.float32)
    g = random_values(rng, (4, 7, 5), np.float32)
    xt, yt = tf.constant(x), tf.constant(y)
    with tf.GradientTape() as tape:
        tape.watch([xt, yt])
        out = btf.batch_dot(xt, yt, (2, 2))
    gx, gy = tape.gradient(out, [xt, yt], output_gradients=tf.constant(g))
    want_x, want_y = batchdot.batch_dot_grad(x, y, g, (2, 2))
    assert_bitwise(gx, want_x)
    assert_bitwise(gy, want_y)


# ---------------------------------------------------------------- None batch, unknown rank

def test_none_batch_in_tf_function(rng):
    traced = tf.function(lambda a, b: btf.batch_dot(a, b, (2, 2)),
                         input_signature=[tf.TensorSpec([None, 4, 5]), tf.TensorSpec([None, 6, 5])])
    graph_out = traced.get_concrete_function().structured_outputs
    assert graph_out.shape.as_list() == [None, 4, 6]
    x, y = random_values(rng, (3, 4, 5), np.float32), random_values(rng, (3, 6, 5), np.float32)
    assert_bitwise(traced(x, y), batchdot.batch_dot(x, y, (2, 2)))
    # a None batch paired with a known one takes its extent; the (B, 1) case keeps its 1
    pair = tf.function(lambda a, b: btf.batch_dot(a, b),
                       input_signature=[tf.TensorSpec([None, 5]), tf.TensorSpec([7, None])])
    assert pair.get_concrete_function().structured_outputs.shape.as_list() == [7, 1]


def test_unknown_rank_in_tf_function(rng):
    traced = tf.function(lambda a, b: btf.batch_dot(a, b, (2, 1)),
                         input_signature=[tf.TensorSpec(None), tf.TensorSpec(None)])
    assert traced.get_concrete_function().structured_outputs.shape.rank is None
    x, y = random_values(rng, (3, 4, 5), np.float32), random_values(rng, (3, 5, 6), np.float32)
    assert_bitwise(traced(x, y), batchdot.batch_dot(x, y, (2, 1)))
    dims = (([2], [1]), ([0], [0]))
    dg = tf.function(lambda a, b: btf.dot_general(a, b, dims), input_signature=[tf.TensorSpec(None)] * 2)
    assert_bitwise(dg(x, y), batchdot.dot_general(x, y, dims))


def test_none_batch_gradient_in_graph(rng):
    @tf.function(input_signature=[tf.TensorSpec([None, 3, 4], tf.float64), tf.TensorSpec([None, 4, 2], tf.float64)])
    def grads(a, b):
        with tf.GradientTape() as tape:
            tape.watch([a, b])
            out = tf.reduce_sum(btf.batch_dot(a, b, (2, 1)) ** 2)
        return tape.gradient(out, [a, b])

    x, y = random_values(rng, (2, 3, 4), np.float64), random_values(rng, (2, 4, 2), np.float64)
    gx, gy = grads(x, y)
    out = batchdot.batch_dot(x, y, (2, 1))
    want_x, want_y = batchdot.batch_dot_grad(x, y, 2 * out, (2, 1))
    assert_bitwise(gx, want_x)
    assert_bitwise(gy, want_y)


# ---------------------------------------------------------------- bad input

def test_shape_errors_carry_batchdots_message_eager_and_traced():
    x, y = np.ones((3, 4, 5), np.float32), np.ones((2, 5, 6), np.float32)
    want = numpy_error(batchdot.batch_dot, x, y, None)
    assert isinstance(want, ValueError)
    for call in (btf.batch_dot, tf.function(btf.batch_dot)):
        with pytest.raises(ValueError) as info:
            call(tf.constant(x), tf.constant(y))
        assert str(info.value) == str(want) and "\n" not in str(info.value)
    dims = (([2], [2]), ([0], [0]))
    want = numpy_error(batchdot.dot_general, np.ones((3, 4, 5)), np.ones((3, 5, 6)), dims)
    with pytest.raises(ValueError) as info:
        btf.dot_general(tf.ones((3, 4, 5)), tf.ones((3, 5, 6)), dims)
    assert str(info.value) == str(want)


def test_axes_type_error():
    want = numpy_error(batchdot.batch_dot, np.ones((2, 3)), np.ones((2, 3)), "1")
    with pytest.raises(TypeError) as info:
        btf.batch_dot(tf.ones((2, 3), tf.float64), tf.ones((2, 3), tf.float64), "1")
    assert str(info.value) == str(want)


@pytest.mark.parametrize("dtype", [tf.uint8, tf.bool, tf.int16, tf.string])
def test_unsupported_dtype_refused_at_trace_time_listing_supported(dtype):
    x = tf.zeros((2, 3), dtype) if dtype != tf.string else tf.fill((2, 3), "a")

    @tf.function
    def traced(a):
        return btf.batch_dot(a, a)

    for call in (lambda: btf.batch_dot(x, x), lambda: traced(x),
                 lambda: tf.function(btf.batch_dot, input_signature=[tf.TensorSpec(None, dtype)] * 2)
                 .get_concrete_function()):
        with pytest.raises(TypeError) as info:
            call()
        message = str(info.value)
        assert "float32" in message and "bfloat16" in message and "complex128" in message, message
        assert "\n" not in message


def test_extent_unknown_at_trace_is_checked_when_run():
    traced = tf.function(lambda a, b: btf.batch_dot(a, b, (2, 1)),
                         input_signature=[tf.TensorSpec([None, 4, 5]), tf.TensorSpec([None, 5, 6])])
    want = numpy_error(batchdot.batch_dot, np.ones((3, 4, 5), np.float32), np.ones((2, 5, 6), np.float32), (2, 1))
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        traced(tf.ones((3, 4, 5)), tf.ones((2, 5, 6)))
    assert str(want) in str(info.value)


def test_raw_ops_with_bad_attrs_raise_instead_of_crashing():
    ops = btf._ops
    with pytest.raises(tf.errors.InvalidArgumentError):
        ops.batchdot_batch_dot(tf.ones((2, 3)), tf.ones((2, 3)), Tout=tf.float64, axes=[1, 1])
    with pytest.raises(tf.errors.InvalidArgumentError):
        ops.batchdot_batch_dot(tf.ones((2, 3)), tf.ones((2, 3)), Tout=tf.float32, axes=[5, 9])
    with pytest.raises(tf.errors.InvalidArgumentError):
        ops.batchdot_dot_general(tf.ones((2, 3)), tf.ones((3, 2)), Tout=tf.float32, lhs_contracting=[7],
                                 rhs_contracting=[0])
    with pytest.raises(tf.errors.InvalidArgumentError):
        ops.batchdot_batch_dot_grad(tf.ones((2, 3)), tf.ones((2, 3)), tf.ones((2, 5)), axes=[1, 1])
    with pytest.raises(ValueError):  # graph construction: the shape function rejects it
        tf.function(lambda: ops.batchdot_batch_dot(tf.ones((2, 3)), tf.ones((2, 4)), Tout=tf.float32,
                                                   axes=[1, 1])).get_concrete_function()


# ---------------------------------------------------------------- the conformance suite, on the op

def test_conformance_suite_with_the_op_in_place_of_numpy():
    run_suite_in_place("tensorflow_in_place", "test_tf_keras.py", cases=600)
