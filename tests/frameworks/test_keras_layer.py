"""batchdot.keras on Keras 3 (TensorFlow backend) and tf-keras 2: the BatchDot layers, the
functional op, backend.batch_dot as a drop-in, None batches, gradients, saving and loading,
porting a keras.layers.Dot / K.batch_dot model by one import.

Run with the TensorFlow venv's interpreter and the built package on the path:
    PYTHONPATH=build/python venv/tensorflow/bin/python -m pytest -q tests/frameworks/test_keras_layer.py
"""
import os
import subprocess
import sys

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow", reason="the Keras suite needs tensorflow (venv/tensorflow)")
keras = pytest.importorskip("keras", reason="the Keras suite needs keras 3 (venv/tensorflow)")
tf_keras = pytest.importorskip("tf_keras", reason="the Keras suite needs tf_keras (venv/tensorflow)")

import batchdot  # noqa: E402
from batchdot.keras import backend as K  # noqa: E402
from batchdot.keras import layers as bk  # noqa: E402
from batchdot.keras import tf_keras as btk  # noqa: E402


@pytest.fixture
def rng(request):
    return np.random.default_rng(abs(hash(request.node.nodeid)) % (2**32))


def normal(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


def assert_bitwise(got, want):
    got = np.asarray(got.numpy() if hasattr(got, "numpy") else got)  # a rank-0 bfloat16 tensor's __array__ fails
    assert got.shape == want.shape and got.dtype == want.dtype
    assert got.tobytes() == want.tobytes()


def test_keras_package_keeps_the_numpy_names():
    assert batchdot.keras.batch_dot is batchdot.batch_dot
    assert batchdot.keras.batch_dot_grad is batchdot.batch_dot_grad


def test_importing_batchdot_imports_no_framework():
    code = ("import sys, batchdot, batchdot.keras; "
            "print(sorted(m for m in ('tensorflow', 'keras', 'tf_keras', 'jax') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------- Keras 3 layer

def test_layer_in_functional_model_with_none_batch(rng):
    a, b = keras.Input((4, 5)), keras.Input((6, 5))
    out = bk.BatchDot(axes=(2, 2))([a, b])
    assert out.shape == (None, 4, 6)
    model = keras.Model([a, b], out)
    x, y = normal(rng, 3, 4, 5), normal(rng, 3, 6, 5)
    assert_bitwise(model.predict([x, y], verbose=0), batchdot.batch_dot(x, y, (2, 2)))
    assert_bitwise(model([x, y]), batchdot.batch_dot(x, y, (2, 2)))


@pytest.mark.parametrize("axes,x_shape,y_shape,want", [
    (None, (None, 5), (None, 5), (None, 1)),
    (1, (None, 5), (None, 5), (None, 1)),
    ((1, 2), (None, 3, 2), (None, 4, 3), (None, 2, 4)),
    (None, (None, 12, 4, 5), (None, 12, 5, 8), (None, 12, 4, 12, 8)),
])
def test_output_spec_keeps_none(axes, x_shape, y_shape, want):
    spec = bk.batch_dot(keras.KerasTensor(x_shape), keras.KerasTensor(y_shape), axes)
    assert spec.shape == want and spec.dtype == "float32"


def test_functional_op_on_tensors_and_errors(rng):
    x, y = normal(rng, 2, 3, 4), normal(rng, 2, 4, 5)
    assert_bitwise(bk.batch_dot(tf.constant(x), tf.constant(y), (2, 1)), batchdot.batch_dot(x, y, (2, 1)))
    with pytest.raises(ValueError) as info:
        bk.batch_dot(keras.KerasTensor((None, 3, 4)), keras.KerasTensor((None, 5, 6)), (2, 1))
    want = pytest.raises(ValueError, batchdot.batch_dot, np.ones((1, 3, 4)), np.ones((1, 5, 6)), (2, 1))
    # batchdot's message, naming the symbolic shapes (None batch) rather than the stand-ins'
    assert isinstance(info.value, batchdot.BatchDotError)
    assert str(info.value) == str(want.value).replace("(1, 3, 4)", "(None, 3, 4)").replace("(1, 5, 6)", "(None, 5, 6)")
    with pytest.raises(ValueError):
        bk.BatchDot()([keras.Input((3,))])


def test_layer_trains_and_its_gradient_is_batchdots(rng):
    x, y, g = normal(rng, 4, 3, 5), normal(rng, 4, 6, 5), normal(rng, 4, 3, 6)
    xt, yt = tf.constant(x), tf.constant(y)
    layer = bk.BatchDot(axes=2)
    with tf.GradientTape() as tape:
        tape.watch([xt, yt])
        out = layer([xt, yt])
    gx, gy = tape.gradient(out, [xt, yt], output_gradients=tf.constant(g))
    want_x, want_y = batchdot.batch_dot_grad(x, y, g, 2)
    assert_bitwise(gx, want_x)
    assert_bitwise(gy, want_y)

    a, b = keras.Input((3, 5)), keras.Input((6, 5))
    model = keras.Model([a, b], keras.layers.Flatten()(bk.BatchDot(axes=2)([keras.layers.Dense(5)(a), b])))
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    target = normal(rng, 4, 18)
    losses = model.fit([x, y], target, epochs=5, verbose=0).history["loss"]
    assert losses[-1] < losses[0]


def test_keras_model_saves_and_loads(rng, tmp_path):
    a, b = keras.Input((4, 5)), keras.Input((6, 5))
    model = keras.Model([a, b], bk.BatchDot(axes=(2, 2), name="bd")([keras.layers.Dense(5)(a), b]))
    x, y = normal(rng, 2, 4, 5), normal(rng, 2, 6, 5)
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded.get_layer("bd"), bk.BatchDot)
    assert loaded.get_layer("bd").get_config()["axes"] == [2, 2]
    assert_bitwise(loaded.predict([x, y], verbose=0), model.predict([x, y], verbose=0))


def test_numpy_backend_runs_batchdot_batch_dot():
    pytest.importorskip("scipy", reason="Keras' numpy backend imports scipy, which venv/tensorflow may not have")
    code = ("import numpy as np, keras, batchdot; from batchdot.keras.layers import BatchDot, batch_dot; "
            "x = np.arange(24.).reshape(2, 3, 4); y = np.arange(40.).reshape(2, 4, 5); "
            "assert keras.backend.backend() == 'numpy'; "
            "got = BatchDot(axes=(2, 1))([x, y]); want = batchdot.batch_dot(x.astype('float32'), "
            "y.astype('float32'), (2, 1)); assert np.asarray(got).tobytes() == want.tobytes(); "
            "assert batch_dot(x, y, (2, 1)).tobytes() == batchdot.batch_dot(x, y, (2, 1)).tobytes(); print('ok')")
    env = dict(os.environ, KERAS_BACKEND="numpy")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0 and out.stdout.strip().endswith("ok"), out.stderr[-2000:]


# ---------------------------------------------------------------- backend.batch_dot drop-in

@pytest.mark.parametrize("axes,x_shape,y_shape", [
    (None, (10, 12, 4, 5), (10, 12, 5, 8)), ((1, 2), (32, 20, 1), (32, 30, 20)), (1, (4, 3), (4, 3)),
])
def test_backend_batch_dot_matches_tf_keras(rng, axes, x_shape, y_shape):
    x, y = normal(rng, *x_shape), normal(rng, *y_shape)
    got = K.batch_dot(tf.constant(x), tf.constant(y), axes)
    want = tf_keras.backend.batch_dot(tf.constant(x), tf.constant(y), axes)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    assert_bitwise(got, batchdot.batch_dot(x, y, axes))


def test_backend_batch_dot_on_symbolic_tensors(rng):
    a, b = keras.Input((4, 5)), keras.Input((6, 5))
    out = K.batch_dot(a, b, (2, 2))
    assert out.shape == (None, 4, 6)
    ta, tb = tf_keras.Input((4, 5)), tf_keras.Input((6, 5))
    tout = K.batch_dot(ta, tb, (2, 2))
    assert tout.shape.as_list() == [None, 4, 6]
    x, y = normal(rng, 2, 4, 5), normal(rng, 2, 6, 5)
    want = batchdot.batch_dot(x, y, (2, 2))
    assert_bitwise(keras.Model([a, b], out).predict([x, y], verbose=0), want)
    assert_bitwise(tf_keras.Model([ta, tb], tout).predict([x, y], verbose=0), want)


# ---------------------------------------------------------------- tf-keras 2

def test_tf_keras_layer_trains_saves_and_loads(rng, tmp_path):
    a, b = tf_keras.Input((3, 5)), tf_keras.Input((6, 5))
    out = tf_keras.layers.Flatten()(btk.BatchDot(axes=2, name="bd")([tf_keras.layers.Dense(5)(a), b]))
    model = tf_keras.Model([a, b], out)
    model.compile(optimizer=tf_keras.optimizers.SGD(0.05), loss="mse")
    x, y, target = normal(rng, 4, 3, 5), normal(rng, 4, 6, 5), normal(rng, 4, 18)
    losses = model.fit([x, y], target, epochs=5, verbose=0).history["loss"]
    assert losses[-1] < losses[0]
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = tf_keras.models.load_model(path)
    assert isinstance(loaded.get_layer("bd"), btk.BatchDot)
    assert_bitwise(loaded.predict([x, y], verbose=0), model.predict([x, y], verbose=0))


# ---------------------------------------------------------------- porting by one import

def attention_scores(Dot, rng_seed=0):
    """A model written against keras.layers.Dot: the only name it takes from outside is Dot."""
    q, k = keras.Input((7, 8)), keras.Input((9, 8))
    scores = Dot(axes=(2, 2))([keras.layers.Dense(8, kernel_initializer=keras.initializers.GlorotUniform(rng_seed))(q), k])
    return keras.Model([q, k], keras.layers.Softmax()(scores))


def test_dot_model_ports_by_one_import(rng):
    from keras.layers import Dot
    from batchdot.keras.layers import BatchDot  # the changed import: `from ... import BatchDot as Dot`

    x, y = normal(rng, 3, 7, 8), normal(rng, 3, 9, 8)
    ported, original = attention_scores(BatchDot), attention_scores(Dot)
    np.testing.assert_allclose(ported.predict([x, y], verbose=0), original.predict([x, y], verbose=0),
                               rtol=1e-5, atol=1e-6)


def test_k_batch_dot_model_ports_by_one_import(rng):
    from tf_keras import backend as tfk_backend

    def build(backend):
        a, b = tf_keras.Input((4, 5)), tf_keras.Input((6, 5))
        return tf_keras.Model([a, b], backend.batch_dot(a, b, axes=(2, 2)))

    x, y = normal(rng, 2, 4, 5), normal(rng, 2, 6, 5)
    np.testing.assert_allclose(build(K).predict([x, y], verbose=0), build(tfk_backend).predict([x, y], verbose=0),
                               rtol=1e-5, atol=1e-5)


def test_docstring_examples():
    import doctest

    import batchdot.tensorflow
    import batchdot.keras.backend

    finder, failed = doctest.DocTestFinder(), 0
    for module in (batchdot.tensorflow, batchdot.keras.backend, bk, btk):
        for test in finder.find(module, module.__name__, globs={}):
            failed += doctest.DocTestRunner().run(test).failed
    assert failed == 0
