"""Shared helpers for the batchdot Python tests.

Run with the built package on the path:
    PYTHONPATH=build/python /usr/bin/python3 -m pytest -q tests/python
Case vectors come from tests/data (copies of the project's case files).
"""
import json
import os

import numpy as np
import pytest

# The exception types the case files name.
EXCEPTIONS = {"ValueError": ValueError, "TypeError": TypeError, "IndexError": IndexError}



def assert_error_kind(error, name):
    """`error` is of the builtin kind `name` the case file gives (batchdot raises
    its own subclasses, BatchDotError and DTypeError) and of no other listed kind."""
    assert isinstance(error, EXCEPTIONS[name]), (type(error), name)
    for other, cls in EXCEPTIONS.items():
        if other != name:
            assert not isinstance(error, cls), (type(error), name)


DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "data")


def load_cases(name):
    with open(os.path.join(DATA_DIR, name)) as f:
        return json.load(f)


def axes_for_python(axes):
    """The JSON form of `axes` as a caller writes it: lists become tuples, nested too."""
    if isinstance(axes, list):
        return tuple(axes_for_python(a) for a in axes)
    return axes


def case_dtypes(case, default="float32"):
    dtype = case.get("dtype", default)
    return (dtype[0], dtype[1]) if isinstance(dtype, list) else (dtype, dtype)


def case_inputs(case, rng, default_dtype="float32"):
    """Inputs for a case: its values, all ones, or small random integers (exact sums)."""
    dx, dy = case_dtypes(case, default_dtype)
    if "x_values" in case:
        return np.array(case["x_values"], dx), np.array(case["y_values"], dy)
    if case.get("fill") == "ones":
        return np.ones(case["x_shape"], dx), np.ones(case["y_shape"], dy)
    return (rng.integers(-3, 4, case["x_shape"]).astype(dx), rng.integers(-3, 4, case["y_shape"]).astype(dy))


def keras_axes(x_ndim, y_ndim, axes):
    """Keras' normalised (a0, a1) for valid calls."""
    if axes is None:
        axes = (x_ndim - 1, y_ndim - 1 if y_ndim == 2 else y_ndim - 2)
    elif isinstance(axes, (int, np.integer)):
        axes = (axes, axes)
    a0, a1 = (int(a) for a in axes)
    return (a0 + x_ndim if a0 < 0 else a0, a1 + y_ndim if a1 < 0 else a1)


def oracle(x, y, a0, a1, dtype=None):
    """Per-sample np.tensordot: the Keras and MindSpore batch_dot contract
    (README "Keras and MindSpore rules"), in float64/int64/complex128."""
    wide = np.result_type(x.dtype, y.dtype) if dtype is None else np.dtype(dtype)
    acc = {"f": np.float64, "i": np.int64, "c": np.complex128}[wide.kind]
    xs, ys = x.astype(acc), y.astype(acc)
    parts = [np.tensordot(xs[b], ys[b], axes=(a0 - 1, a1 - 1)) for b in range(x.shape[0])]
    free = x.shape[1:a0] + x.shape[a0 + 1:] + y.shape[1:a1] + y.shape[a1 + 1:]
    out = np.array(parts).reshape((x.shape[0],) + free)
    if out.ndim == 1:
        out = out.reshape(x.shape[0], 1)
    return out


def assert_close(got, x, y, a0, a1):
    """|err| <= 4·K·eps·Σ|x·y| per element: the bound of a length-K float sum
    (each of the K additions rounds by at most eps relative to the partial sums,
    which are bounded by Σ|x·y|), with a factor 2 for the final rounding and for
    float16/bfloat16-like intermediate conversions. Integers must be exact."""
    want = oracle(x, y, a0, a1, got.dtype)
    assert got.shape == want.shape
    if got.dtype.kind in "iu":
        np.testing.assert_array_equal(got, want)
        return
    k = x.shape[a0]
    eps = np.finfo(got.dtype).eps
    bound = oracle(np.abs(x), np.abs(y), a0, a1, np.float64 if got.dtype.kind == "f" else np.complex128)
    tol = 4 * max(k, 1) * eps * np.abs(bound) + np.finfo(got.dtype).tiny
    err = np.abs(got.astype(want.dtype) - want)
    assert np.all(err <= tol), f"max err {err.max()} > tol {tol.max()} (K={k}, dtype={got.dtype})"


@pytest.fixture
def rng(request):
    # A per-test seed printed on failure, so a failure can be replayed.
    seed = abs(hash(request.node.nodeid)) % (2**32)
    print(f"seed={seed}")
    return np.random.default_rng(seed)


@pytest.fixture
def restore_threads():
    import batchdot  # here, not at the top: test_cli.py uses these helpers without the module

    before = batchdot.get_num_threads()
    yield
    batchdot.set_num_threads(before)
