"""jax.lax.dot_general and jax.vjp of it (JAX 0.10.2, x64 on) as the oracle of
batchdot.dot_general / dot_general_grad, on seeded random dimension numbers of
every spelling, every dtype JAX takes, mixed dtypes, preferred_element_type, and
JAX's own error cases; plus Keras 3's Dot layer on the JAX backend against
batchdot.keras.batch_dot. Run: venv/jax/bin/python -m pytest tests/frameworks/test_jax.py
"""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

jax = pytest.importorskip("jax", reason="JAX is not installed in this interpreter (make frameworks: venv/jax)")
import jax.numpy as jnp  # noqa: E402
from jax import lax  # noqa: E402

import batchdot  # noqa: E402
from conformance import Tally, case_count, compare, dtype_name, random_array, random_dims, run, seeded_rng  # noqa: E402

jax.config.update("jax_enable_x64", True)
ml_dtypes = pytest.importorskip("ml_dtypes")

DTYPES = [np.float16, ml_dtypes.bfloat16, np.float32, np.float64, np.int32, np.int64, np.complex64,
          np.complex128]

# Deliberate differences, each explained in docs/frameworks/conformance.md.
DOCUMENTED = {}  # same-dtype calls: no deliberate difference
# Mixed input dtypes: batchdot promotes like numpy.result_type (int32 + float16 ->
# float64, float16 + bfloat16 -> float32 with ml_dtypes), jax.lax.dot_general
# follows JAX's lattice (int + float16 -> float16); docs/frameworks/conformance.md.
MIXED_DOCUMENTED = {
    "dtype differs*": "mixed dtypes promote like NumPy, not like JAX's lattice",
    "batchdot raises DTypeError (TypeError), framework returns":
        "bfloat16 with an integer: NumPy/ml_dtypes has no common type, JAX promotes",
}


def random_dimension_numbers(rng):
    """(lhs_shape, rhs_shape, dimension_numbers, note): 0-2 batch and 0-2 contracting
    axes at random positions, sometimes broken the ways JAX checks."""
    nb, nc = int(rng.integers(0, 3)), int(rng.integers(0, 3))
    lf, rf = int(rng.integers(0, 3)), int(rng.integers(0, 3))
    ln, rn = nb + nc + lf, nb + nc + rf
    shared = random_dims(rng, nb + nc, limit=60)
    lhs = [0] * ln
    rhs = [0] * rn
    lperm, rperm = list(rng.permutation(ln)), list(rng.permutation(rn))
    lb, lc = [int(a) for a in lperm[:nb]], [int(a) for a in lperm[nb:nb + nc]]
    rb, rc = [int(a) for a in rperm[:nb]], [int(a) for a in rperm[nb:nb + nc]]
    for i, (a, b) in enumerate(zip(lb + lc, rb + rc)):
        lhs[a] = rhs[b] = shared[i]
    for a in lperm[nb + nc:]:
        lhs[int(a)] = int(rng.integers(0, 6))
    for a in rperm[nb + nc:]:
        rhs[int(a)] = int(rng.integers(0, 6))
    note = "valid"
    r = rng.random()
    if r < 0.03 and ln:
        lc = lc + [ln + int(rng.integers(0, 2))]
        rc = rc + [0 if rn else 0]
        note = "axis out of range"
    elif r < 0.05 and lc:
        lc = [lc[0] - ln] + lc[1:]
        note = "negative axis"
    elif r < 0.07 and lc:
        lhs[lc[0]] += 1
        note = "contracted sizes differ"
    elif r < 0.09 and lb:
        rhs[rb[0]] += 1
        note = "batch sizes differ"
    elif r < 0.10 and lc:
        lc, rc = lc + [lc[0]], rc + [rc[0]]
        note = "repeated axis"
    elif r < 0.11 and lc and lb:
        lb = lb + [lc[0]]
        rb = rb + [rc[0]]
        note = "batch and contracting overlap"
    elif r < 0.12 and lc:
        rc = rc[:-1]
        note = "lengths differ"
    spell = int(rng.integers(0, 4))
    conv = [tuple, list, lambda v: tuple(np.int64(a) for a in v), lambda v: np.asarray(v, np.int64)][spell]
    dims = ((conv(lc), conv(rc)), (conv(lb), conv(rb)))
    return tuple(lhs), tuple(rhs), dims, note


def pick_dtypes(rng):
    a = DTYPES[int(rng.integers(0, len(DTYPES)))]
    b = a if rng.random() > 0.15 else DTYPES[int(rng.integers(0, len(DTYPES)))]
    return a, b


def contracted_size(shape, dims):
    return int(np.prod([shape[int(a)] for a in dims[0][0]] or [1])) if all(
        0 <= int(a) < len(shape) for a in dims[0][0]) else 1


def test_dot_general_forward_and_vjp():
    rng, _ = seeded_rng("jax")
    forward = Tally("jax.lax.dot_general", DOCUMENTED)
    mixed = Tally("jax.lax.dot_general, mixed dtypes", MIXED_DOCUMENTED)
    preferred = Tally("jax.lax.dot_general preferred_element_type", DOCUMENTED)
    vjp = Tally("jax.vjp(jax.lax.dot_general)", DOCUMENTED)
    for _ in range(case_count(5000)):
        ls, rs, dims, note = random_dimension_numbers(rng)
        da, db = pick_dtypes(rng)
        x, y = random_array(rng, ls, da), random_array(rng, rs, db)
        k = contracted_size(ls, dims)
        case = f"dot_general {ls} {dtype_name(da)} x {rs} {dtype_name(db)} {dims} ({note})"
        fw = run(lambda: np.asarray(lax.dot_general(x, y, dims)))
        bd = run(lambda: batchdot.dot_general(x, y, dims))
        compare(forward if da is db else mixed, case, fw, bd, k)
        if fw[0] != "ok":
            continue
        if da is db and dtype_name(da) in ("float16", "bfloat16", "int32") and rng.random() < 0.5:
            wide = np.float32
            fp = run(lambda: np.asarray(lax.dot_general(x, y, dims, preferred_element_type=wide)))
            bp = run(lambda: batchdot.dot_general(x.astype(wide), y.astype(wide), dims))
            compare(preferred, case + " preferred float32", fp, bp, k)
        if da is db and "int" not in dtype_name(da) and rng.random() < 0.15:
            g = random_array(rng, fw[1].shape, fw[1].dtype)
            jx, jy = jnp.asarray(x), jnp.asarray(y)

            def jax_grads():
                _, pullback = jax.vjp(lambda a, b: lax.dot_general(a, b, dims), jx, jy)
                return pullback(jnp.asarray(g))

            fg = run(jax_grads)
            bg = run(lambda: batchdot.dot_general_grad(x, y, g, dims))
            for i, name in enumerate(("grad_lhs", "grad_rhs")):
                fo = ("ok", np.asarray(fg[1][i])) if fg[0] == "ok" else fg
                bo = ("ok", bg[1][i]) if bg[0] == "ok" else bg
                other = rs if i == 0 else ls
                kk = max(1, int(np.prod(fw[1].shape)) // max(1, int(np.prod((ls, rs)[i]))) + 1)
                compare(vjp, f"{case} {name}", fo, bo, max(kk, len(other) * 9))
    for t in (forward, mixed, preferred, vjp):
        assert not t.undocumented(), "\n".join(t.lines())
    assert forward.cases + mixed.cases == case_count(5000)


def test_dot_general_error_classes_are_jax_classes():
    """JAX's own error cases, one each: the class a caller catches is JAX's TypeError."""
    x = np.ones((2, 3, 4), np.float32)
    y = np.ones((2, 4, 5), np.float32)
    cases = {
        "contracted sizes differ": (([1], [1]), ([0], [0])),
        "axis out of range": (([3], [1]), ([0], [0])),
        "negative axis": (([-1], [1]), ([0], [0])),
        "repeated axis": (([2, 2], [1, 1]), ([0], [0])),
        "batch sizes differ": (([2], [1]), ([1], [2])),
        "overlap": (([0], [0]), ([0], [0])),
        "lengths differ": (([2], [1, 2]), ([0], [0])),
    }
    tally = Tally("jax.lax.dot_general error cases", DOCUMENTED)
    for note, dims in cases.items():
        fw = run(lambda: lax.dot_general(x, y, dims))
        bd = run(lambda: batchdot.dot_general(x, y, dims))
        assert fw[0] == "error" and "TypeError" in fw[2], (note, fw)
        compare(tally, note, fw, bd)
        g = np.ones((2, 3, 5), np.float32)
        compare(tally, note + " (grad)", fw, run(lambda: batchdot.dot_general_grad(x, y, g, dims)))
    assert not tally.undocumented(), "\n".join(tally.lines())
    with pytest.raises(TypeError):
        batchdot.dot_general(x, y, (([1], [1]), ([0], [0])))
    with pytest.raises(ValueError):  # still a BatchDotError for code written before
        batchdot.dot_general(x, y, (([1], [1]), ([0], [0])))


def test_keras3_dot_layer_on_jax_backend():
    keras = pytest.importorskip("keras")
    assert keras.backend.backend() == "jax"
    from conformance import keras_k, random_keras_case
    rng, _ = seeded_rng("keras-jax")
    tally = Tally("keras.layers.Dot (JAX backend)", KERAS_DOT_DOCUMENTED)
    for _ in range(case_count(5000) // 25):  # each new Dot layer costs a trace and a compile
        xs, ys, axes = random_keras_case(rng)
        if axes is None or not isinstance(axes, (int, tuple)) or isinstance(axes, bool):
            continue  # Dot takes an int or a pair only
        x, y = random_array(rng, xs, np.float32), random_array(rng, ys, np.float32)
        fw = run(lambda: np.asarray(keras.layers.Dot(axes=axes)([x, y])))
        bd = run(lambda: batchdot.keras.batch_dot(x, y, axes))
        compare(tally, f"Dot(axes={axes}) {xs} x {ys}", fw, bd, keras_k(xs, ys, axes))
    assert not tally.undocumented(), "\n".join(tally.lines())


KERAS_DOT_DOCUMENTED = {
    "error class: framework IndexError (IndexError), batchdot BatchDotError (ValueError)":
        "an axis outside [-rank, rank): Keras indexes a shape tuple (IndexError); batchdot raises ValueError",
    "framework raises ZeroDivisionError, batchdot returns":
        "batch size 0 on the JAX backend: Keras' reshape(-1) divides by the zero size; batchdot returns the empty result",
    "framework raises ValueError, batchdot returns":
        "NumPy integer axes: Keras 3's Dot takes Python ints only; batch_dot (Keras 2 rules) indexes with them",
    "batchdot raises BatchDotError (ValueError), framework returns":
        "Dot takes negative axes modulo the rank; batch_dot has no such wrap",
}


def test_ml_dtypes_bfloat16_numpy_arrays():
    """bfloat16 without a framework: ml_dtypes.bfloat16 NumPy arrays in, the same dtype out
    (a plain numpy.ndarray, not a DLPack result), for every front end that takes bfloat16."""
    rng, _ = seeded_rng("ml-dtypes")
    bf16 = np.dtype(ml_dtypes.bfloat16)
    tally = Tally("ml_dtypes.bfloat16 arrays (batch_dot, dot_general, grads) vs float32 rounded")
    for _ in range(200):
        b, m, k, n = (int(v) for v in rng.integers(1, 6, size=4))
        x = random_array(rng, (b, m, k), bf16)
        y = random_array(rng, (b, k, n), bf16)
        dims = (([2], [1]), ([0], [0]))
        want = np.einsum("bmk,bkn->bmn", x.astype(np.float32), y.astype(np.float32)).astype(bf16)
        for name, got in (("batch_dot", run(lambda: batchdot.batch_dot(x, y))),
                          ("dot_general", run(lambda: batchdot.dot_general(x, y, dims)))):
            assert got[0] != "ok" or type(got[1]) is np.ndarray, (name, type(got[1]))
            compare(tally, f"{name} {x.shape} x {y.shape}", ("ok", want), got, k * 4)
        g = random_array(rng, want.shape, bf16)
        gx = np.einsum("bmn,bkn->bmk", g.astype(np.float32), y.astype(np.float32)).astype(bf16)
        got = run(lambda: batchdot.batch_dot_grad(x, y, g)[0])
        compare(tally, f"batch_dot_grad {x.shape} x {y.shape}", ("ok", gx), got, n * 4)
    assert not tally.undocumented(), "\n".join(tally.lines())
    assert tally.passes == tally.cases
