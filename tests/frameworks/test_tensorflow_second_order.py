"""batchdot.tensorflow's second-order gradients (the gradients of BatchdotBatchDotGrad /
BatchdotDotGeneralGrad): nested tf.GradientTape against tf_keras.backend.batch_dot's (TF's own
ops), and tf.test.compute_gradient on the first-order gradient, eager and tf.function.

    PYTHONPATH=build/python venv/tensorflow/bin/python -m pytest -q tests/frameworks/test_tensorflow_second_order.py
"""
import numpy as np
import pytest

tf = pytest.importorskip("tensorflow", reason="the TensorFlow suite needs tensorflow (venv/tensorflow)")
tf_keras = pytest.importorskip("tf_keras")

from batchdot import tensorflow as btf  # noqa: E402

# (axes as written, x shape, y shape): None, an int, a pair, negative axes, Keras' rank-2 (B, 1).
KERAS_CALLS = [
    (None, (3, 4, 5), (3, 5, 2)),
    (1, (4, 3), (4, 3)),
    ((2, 2), (2, 3, 4), (2, 5, 4)),
    ((1, 2), (2, 6, 3), (2, 4, 6)),
    ((-1, -2), (2, 3, 4, 5), (2, 5, 3)),
    ([1, 1], (3, 4), (3, 4)),
]
TOLERANCE = {np.float32: 2e-5, np.float64: 1e-12}


@pytest.fixture
def rng(request):
    return np.random.default_rng(sum(map(ord, request.node.name)))


def second_derivatives(batch_dot, x, y, u, v):
    """d/d(x, y) of <u, dL/dx> + <v, dL/dy> for L = sum(out**2)."""
    with tf.GradientTape() as outer:
        outer.watch([x, y])
        with tf.GradientTape() as inner:
            inner.watch([x, y])
            out = batch_dot(x, y)
            loss = tf.reduce_sum(out * out)
        gx, gy = inner.gradient(loss, [x, y])
        projected = tf.reduce_sum(gx * u) + tf.reduce_sum(gy * v)
    return outer.gradient(projected, [x, y])


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("traced", [False, True], ids=["eager", "tf.function"])
@pytest.mark.parametrize("axes,xs,ys", KERAS_CALLS, ids=[str(c[0]) for c in KERAS_CALLS])
def test_nested_tapes_match_tf_keras(axes, xs, ys, traced, dtype, rng):
    x, y = (tf.constant(rng.standard_normal(s).astype(dtype)) for s in (xs, ys))
    u, v = (tf.constant(rng.standard_normal(s).astype(dtype)) for s in (xs, ys))

    def run(batch_dot):
        f = lambda a, b, p, q: second_derivatives(lambda s, t: batch_dot(s, t, axes), a, b, p, q)  # noqa: E731
        return (tf.function(f) if traced else f)(x, y, u, v)

    got = run(btf.batch_dot)
    want = run(tf_keras.backend.batch_dot)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype])


def test_gradient_of_the_cotangent_and_dot_general(rng):
    """The third input of a gradient op (the upstream cotangent) is differentiable too; dot_general
    against the same computation through tf.einsum."""
    lhs, rhs = tf.constant(rng.standard_normal((2, 3, 4, 5))), tf.constant(rng.standard_normal((5, 2, 6, 3)))
    g = tf.constant(rng.standard_normal((2, 4, 6)))
    dims = (([1, 3], [3, 0]), ([0], [1]))

    def grads(dot):
        with tf.GradientTape() as outer:
            outer.watch([lhs, rhs, g])
            with tf.GradientTape() as inner:
                inner.watch([lhs, rhs])
                out = dot(lhs, rhs)
            gl, gr = inner.gradient(out, [lhs, rhs], output_gradients=g * out)
            projected = tf.reduce_sum(tf.sin(gl)) + tf.reduce_sum(gr * gr)
        return outer.gradient(projected, [lhs, rhs, g])

    got = grads(lambda a, b: btf.dot_general(a, b, dims))
    want = grads(lambda a, b: tf.einsum("bxcy,ybzx->bcz", a, b))  # batch b, contract x and y
    for gt, w in zip(got, want):
        np.testing.assert_allclose(gt.numpy(), w.numpy(), rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("axes,xs,ys", KERAS_CALLS[:4], ids=[str(c[0]) for c in KERAS_CALLS[:4]])
def test_compute_gradient_of_the_first_order_gradient(axes, xs, ys, rng):
    x, y = tf.constant(rng.standard_normal(xs)), tf.constant(rng.standard_normal(ys))

    def first_order(a, b):
        with tf.GradientTape() as tape:
            tape.watch([a, b])
            out = btf.batch_dot(a, b, axes)
            loss = tf.reduce_sum(out * out)
        gx, gy = tape.gradient(loss, [a, b])
        return tf.concat([tf.reshape(gx, [-1]), tf.reshape(gy, [-1])], 0)

    theoretical, numerical = tf.test.compute_gradient(tf.function(first_order), [x, y])
    for t, n in zip(theoretical, numerical):
        np.testing.assert_allclose(t, n, rtol=1e-6, atol=1e-6)


def test_hessians_in_graph():
    x = tf.constant(np.arange(12.0).reshape(2, 2, 3) / 7)
    y = tf.constant(np.arange(18.0).reshape(2, 3, 3) / 5)
    hessian = tf.function(lambda a: tf.hessians(tf.reduce_sum(btf.batch_dot(a, y, (2, 1)) ** 2), a)[0])(x)
    want = tf.function(lambda a: tf.hessians(tf.reduce_sum(tf.matmul(a, y) ** 2), a)[0])(x)
    np.testing.assert_allclose(hessian.numpy(), want.numpy(), rtol=1e-12)


def test_integer_operand_gradients_keep_its_dtype_and_the_float_ones_stay_exact(rng):
    """A watched integer operand (TF warns) gets batchdot's gradient converted to its dtype, at
    every order (as batchdot.batch_dot_grad does); the float operand's second derivative runs
    through batchdot in float64 (int32 x float64 -> float64, NumPy's promotion)."""
    x = tf.constant(rng.standard_normal((2, 3, 4)))
    y = tf.constant(rng.integers(-3, 4, (2, 4, 5)).astype(np.int32))
    u = tf.constant(rng.standard_normal((2, 3, 4)))
    with tf.GradientTape() as outer:
        outer.watch([x, y])
        with tf.GradientTape() as inner:
            inner.watch([x, y])
            out = btf.batch_dot(x, y, (2, 1))
            loss = tf.reduce_sum(out * out)
        gx, gy = inner.gradient(loss, [x, y])
        projected = tf.reduce_sum(gx * u)
    hx, hy = outer.gradient(projected, [x, y])
    assert gx.dtype == hx.dtype == tf.float64 and gy.dtype == hy.dtype == tf.int32
    assert hy.shape == y.shape
    yf = tf.cast(y, tf.float64)
    # d/dx <u, 2 (x y) y^T> = 2 u y y^T
    want = 2 * tf.matmul(tf.matmul(u, yf), yf, transpose_b=True)
    np.testing.assert_allclose(hx.numpy(), want.numpy(), rtol=1e-12)
