"""tf_keras.backend.batch_dot (Keras 2 semantics), Keras 3's legacy batch_dot
(keras.src.legacy.backend, exported as keras._legacy.backend), Keras 3's Dot
layer and tf.GradientTape of tf_keras's batch_dot, as the oracles of
batchdot.keras.batch_dot / batch_dot_grad, on seeded random cases of every axes
spelling and every dtype tf.matmul takes.
Run: venv/tensorflow/bin/python -m pytest tests/frameworks/test_tf_keras.py
"""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

tf = pytest.importorskip("tensorflow", reason="TensorFlow is not installed here (make frameworks: venv/tensorflow)")
tf_keras = pytest.importorskip("tf_keras")
keras = pytest.importorskip("keras")
ml_dtypes = pytest.importorskip("ml_dtypes")

import batchdot  # noqa: E402
from conformance import (Tally, case_count, compare, dtype_name, keras_k, random_array,  # noqa: E402
                         random_keras_case, run, seeded_rng)

DTYPES = [np.float16, ml_dtypes.bfloat16, np.float32, np.float64, np.int32, np.int64, np.complex64,
          np.complex128]

# Deliberate differences (docs/frameworks/conformance.md), by divergence label.
DOCUMENTED = {
    "error class: framework InvalidArgumentError (Exception), batchdot BatchDotError (ValueError)":
        "axis < -rank: Keras keeps the negative axis and tf.transpose fails with InvalidArgumentError; "
        "batchdot raises ValueError naming the axis",
    "error class: framework IndexError (IndexError), batchdot BatchDotError (ValueError)":
        "axis >= rank or a one-element axes: Keras indexes a shape tuple (IndexError); batchdot raises ValueError",
    "framework raises InvalidArgumentError, batchdot returns":
        "mixed dtypes: tf.matmul refuses them, batchdot promotes like numpy.result_type; "
        "Keras 3 legacy: reshape(-1) of a zero-size input fails, batchdot returns the empty result",
    "batchdot raises BatchDotError (ValueError), framework returns":
        "axis < -rank: Keras shifts it once, still negative, and a wrapped permutation moves the "
        "batch axis (a wrong result); batchdot raises ValueError",
    "framework raises NotFoundError, batchdot returns":
        "mixed dtypes: no MatMul kernel for the pair, batchdot promotes like numpy.result_type",
}


def tf_outcome(fn):
    out = run(fn)
    if out[0] == "ok":
        return ("ok", out[1].numpy() if hasattr(out[1], "numpy") else np.asarray(out[1]))
    return out


def random_inputs(rng, xs, ys):
    da = DTYPES[int(rng.integers(0, len(DTYPES)))]
    db = da if rng.random() > 0.04 else DTYPES[int(rng.integers(0, len(DTYPES)))]
    return random_array(rng, xs, da), random_array(rng, ys, db)


def check_batch_dot(name, fn, cases, seed):
    rng, _ = seeded_rng(seed)
    tally = Tally(name, DOCUMENTED)
    for _ in range(cases):
        xs, ys, axes = random_keras_case(rng)
        x, y = random_inputs(rng, xs, ys)
        case = f"{xs} {dtype_name(x.dtype)} x {ys} {dtype_name(y.dtype)} axes={axes!r}"
        fw = tf_outcome(lambda: fn(tf.constant(x), tf.constant(y), axes))
        bd = run(lambda: batchdot.keras.batch_dot(x, y, axes))
        compare(tally, case, fw, bd, keras_k(xs, ys, axes) if fw[0] == "ok" else 1)
    assert not tally.undocumented(), "\n".join(tally.lines())
    return tally


def test_tf_keras_backend_batch_dot():
    check_batch_dot("tf_keras.backend.batch_dot", tf_keras.backend.batch_dot, case_count(5000), "tf_keras")


def keras3_legacy_batch_dot():
    try:
        from keras.src.legacy.backend import batch_dot
    except ImportError:
        from keras._legacy.backend import batch_dot
    return batch_dot


def test_keras3_legacy_batch_dot():
    check_batch_dot("keras (3) legacy backend.batch_dot", keras3_legacy_batch_dot(), case_count(5000) // 5,
                    "keras3-legacy")


DOT_DOCUMENTED = dict(DOCUMENTED)
DOT_DOCUMENTED["batchdot raises BatchDotError (ValueError), framework returns"] = (
    "Dot takes negative axes modulo the rank (axes=-rank-1 means rank-1); batch_dot has no such wrap")


def test_keras3_dot_layer():
    rng, _ = seeded_rng("keras3-dot")
    tally = Tally("keras.layers.Dot (TensorFlow backend)", DOT_DOCUMENTED)
    for _ in range(case_count(5000) // 10):
        xs, ys, axes = random_keras_case(rng)
        if axes is None or isinstance(axes, (bool, list, str, float)) or (
                isinstance(axes, tuple) and (len(axes) != 2 or not all(type(a) is int for a in axes))):
            continue  # Dot takes an int or a pair of ints only
        x, y = random_array(rng, xs, np.float32), random_array(rng, ys, np.float32)
        fw = tf_outcome(lambda: keras.layers.Dot(axes=axes)([x, y]))
        bd = run(lambda: batchdot.keras.batch_dot(x, y, axes))
        compare(tally, f"Dot(axes={axes!r}) {xs} x {ys}", fw, bd, keras_k(xs, ys, axes))
    assert not tally.undocumented(), "\n".join(tally.lines())


GRAD_DOCUMENTED = {
    "error class: framework InvalidArgumentError (Exception), batchdot BatchDotError (ValueError)":
        DOCUMENTED["error class: framework InvalidArgumentError (Exception), batchdot BatchDotError (ValueError)"],
    "batchdot raises BatchDotError (ValueError), framework returns":
        "axis < -rank, as for the forward call",
}


def test_gradient_tape():
    rng, _ = seeded_rng("tf-grad")
    tally = Tally("tf.GradientTape(tf_keras.backend.batch_dot)", GRAD_DOCUMENTED)
    conjugate = Tally("tf.GradientTape, complex: TF's grad == batchdot's grad of the conjugated inputs", GRAD_DOCUMENTED)
    grad_dtypes = [np.float16, ml_dtypes.bfloat16, np.float32, np.float64, np.complex64, np.complex128]
    done = 0
    while done < case_count(5000) // 4:
        xs, ys, axes = random_keras_case(rng)
        dt = grad_dtypes[int(rng.integers(0, len(grad_dtypes)))]
        x, y = random_array(rng, xs, dt), random_array(rng, ys, dt)
        fwd = tf_outcome(lambda: tf_keras.backend.batch_dot(tf.constant(x), tf.constant(y), axes))
        if fwd[0] != "ok":
            continue
        done += 1
        g = random_array(rng, fwd[1].shape, dt)
        xt, yt = tf.constant(x), tf.constant(y)

        def tape_grads():
            with tf.GradientTape() as tape:
                tape.watch([xt, yt])
                out = tf_keras.backend.batch_dot(xt, yt, axes)
            return [t.numpy() for t in tape.gradient(out, [xt, yt], output_gradients=tf.constant(g))]

        fg = run(tape_grads)
        bg = run(lambda: batchdot.keras.batch_dot_grad(x, y, g, axes))
        width = max([1] + list(xs) + list(ys)) * 9
        for i, name in enumerate(("grad_x", "grad_y")):
            fo = ("ok", fg[1][i]) if fg[0] == "ok" else fg
            bo = ("ok", bg[1][i]) if bg[0] == "ok" else bg
            if "complex" in dtype_name(dt) and bo[0] == "ok":
                # TF's complex gradient is the conjugate one (grad_x = g . conj(y)); batchdot's is
                # JAX's transpose (g . y): the same function of the conjugated inputs.
                bo = ("ok", batchdot.keras.batch_dot_grad(np.conj(x), np.conj(y), g, axes)[i])
                compare(conjugate, f"{xs} x {ys} axes={axes!r} {dtype_name(dt)} {name}", fo, bo, width)
                continue
            compare(tally, f"{xs} x {ys} axes={axes!r} {dtype_name(dt)} {name}", fo, bo, width)
    for t in (tally, conjugate):
        assert not t.undocumented(), "\n".join(t.lines())
