"""batchdot.keras on Keras 3's JAX backend: the BatchDot layer and backend.batch_dot bitwise equal
to batchdot.batch_dot on the Keras case vectors, a None batch Input, training, .keras save/load,
gradients against keras.layers.Dot.

Run with the JAX venv's interpreter (it has keras):
    PYTHONPATH=build/python venv/jax/bin/python -m pytest -q tests/frameworks/test_jax_keras_layer.py
"""
import os

os.environ["KERAS_BACKEND"] = "jax"  # before keras is first imported (this file runs in its own process)

import numpy as np  # noqa: E402
import pytest  # noqa: E402

jax = pytest.importorskip("jax", reason="the JAX Keras suite needs jax (venv/jax)")
keras = pytest.importorskip("keras", reason="the JAX Keras suite needs keras 3 (venv/jax)")
if keras.backend.backend() != "jax":
    pytest.skip(f"keras was imported with the {keras.backend.backend()} backend", allow_module_level=True)

import batchdot  # noqa: E402
from batchdot.keras import backend as K  # noqa: E402
from batchdot.keras import layers as bk  # noqa: E402
from case_vectors import case_inputs, load_cases, python_axes  # noqa: E402

KERAS_CASES = [c for c in load_cases("keras") if "error" not in c]


@pytest.fixture
def rng(request):
    return np.random.default_rng(sum(map(ord, request.node.name)))


@pytest.fixture
def x64():
    """float64/int64 case vectors stay 64-bit (JAX's default would narrow them to 32 bits)."""
    with jax.enable_x64(True):
        yield


def assert_bitwise(got, want):
    got = np.asarray(got)
    assert got.shape == want.shape and got.dtype == want.dtype, (got.shape, got.dtype, want.shape, want.dtype)
    assert got.tobytes() == want.tobytes()


@pytest.mark.usefixtures("x64")
@pytest.mark.parametrize("case", KERAS_CASES, ids=[c["id"] for c in KERAS_CASES])
def test_keras_case_functional_and_backend(case, rng):
    x, y = case_inputs(case, rng)
    axes = python_axes(case["axes"])
    want = batchdot.batch_dot(x, y, axes)
    xj, yj = jax.numpy.asarray(x), jax.numpy.asarray(y)
    assert_bitwise(bk.batch_dot(xj, yj, axes), want)
    assert_bitwise(K.batch_dot(xj, yj, axes), want)
    assert_bitwise(jax.jit(lambda a, b: K.batch_dot(a, b, axes))(xj, yj), want)


@pytest.mark.parametrize("case", [c for c in KERAS_CASES if c.get("dtype", "float32") == "float32"][:20],
                         ids=lambda c: c["id"])
def test_keras_case_layer(case, rng):
    x, y = case_inputs(case, rng)
    axes = python_axes(case["axes"])
    assert_bitwise(bk.BatchDot(axes=axes)([x, y]), batchdot.batch_dot(x, y, axes))


def attention_model(axes=(2, 2)):
    a, b = keras.Input((4, 5)), keras.Input((6, 5))
    out = bk.BatchDot(axes=axes)([keras.layers.Dense(5)(a), b])
    return keras.Model([a, b], keras.layers.Flatten()(out))


def test_none_batch_input_and_predict(rng):
    a, b = keras.Input((4, 5)), keras.Input((6, 5))
    out = bk.BatchDot(axes=(2, 2))([a, b])
    assert out.shape == (None, 4, 6)
    model = keras.Model([a, b], out)
    x, y = rng.standard_normal((3, 4, 5)).astype(np.float32), rng.standard_normal((3, 6, 5)).astype(np.float32)
    assert_bitwise(model.predict([x, y], verbose=0), batchdot.batch_dot(x, y, (2, 2)))


def test_model_trains_with_the_loss_falling(rng):
    keras.utils.set_random_seed(0)
    model = attention_model()
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse")
    x, y = rng.standard_normal((64, 4, 5)).astype(np.float32), rng.standard_normal((64, 6, 5)).astype(np.float32)
    target = batchdot.batch_dot(x * 0.5, y, (2, 2)).reshape(64, -1)
    history = model.fit([x, y], target, epochs=8, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.5 * losses[0], losses


def test_keras_model_saves_and_loads(rng, tmp_path):
    model = attention_model()
    x, y = rng.standard_normal((3, 4, 5)).astype(np.float32), rng.standard_normal((3, 6, 5)).astype(np.float32)
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert any(isinstance(layer, bk.BatchDot) for layer in loaded.layers)
    assert_bitwise(loaded.predict([x, y], verbose=0), np.asarray(model.predict([x, y], verbose=0)))


@pytest.mark.parametrize("axes", [(2, 2), (1, 1), 2])
def test_gradients_match_keras_dot(axes, rng):
    x = jax.numpy.asarray(rng.standard_normal((3, 4, 5)).astype(np.float32))
    y = jax.numpy.asarray(rng.standard_normal((3, 4, 5)).astype(np.float32))

    def loss(layer):
        return lambda a, b: jax.numpy.sum(jax.numpy.sin(layer([a, b])))

    got = jax.grad(loss(bk.BatchDot(axes=axes)), argnums=(0, 1))(x, y)
    want = jax.grad(loss(keras.layers.Dot(axes=axes)), argnums=(0, 1))(x, y)
    for g, w in zip(got, want):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=2e-5, atol=2e-5)
