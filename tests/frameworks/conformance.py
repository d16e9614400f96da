"""Differential conformance helpers shared by the framework suites: seeded random
cases, running one call on the framework and on batchdot, comparing the two
outcomes, and a tally of cases, passes and divergences per check.

An outcome is ("ok", numpy_array) or ("error", exception_class_name, base) where
base is the builtin class the exception is (ValueError, TypeError, IndexError,
...), so that a framework's own subclass (tf.errors.InvalidArgumentError,
batchdot.BatchDotError) compares by what a caller can catch.
"""

import collections
import os
import random

import numpy as np

BUILTIN_ERRORS = (IndexError, TypeError, ValueError, RuntimeError, MemoryError)


def error_base(exc):
    """The builtin classes a caller's `except` can use for `exc`, as a sorted tuple of names."""
    return tuple(sorted(c.__name__ for c in BUILTIN_ERRORS if isinstance(exc, c))) or ("Exception",)


def run(fn):
    """Calls fn(); returns ("ok", value) or ("error", class name, builtin bases, message)."""
    try:
        return ("ok", fn())
    except Exception as exc:  # noqa: BLE001 - every error is an outcome to compare
        return ("error", type(exc).__name__, error_base(exc), str(exc).splitlines()[0] if str(exc) else "")


# Per dtype: the unit roundoff of its arithmetic (integers are exact).
_EPS = {"float16": 2.0**-10, "bfloat16": 2.0**-7, "float32": 2.0**-23, "float64": 2.0**-52,
        "complex64": 2.0**-23, "complex128": 2.0**-52}


def values_close(want, got, k):
    """True when `got` matches `want` within the dtype's rounding over a length-k sum
    (each product and partial sum may round once, in any summation order)."""
    want = np.asarray(want)
    got = np.asarray(got)
    if want.shape != got.shape:
        return False
    name = dtype_name(want.dtype)
    if name not in _EPS:
        return np.array_equal(want, got)
    w = want.astype(np.complex128 if "complex" in name else np.float64)
    g = got.astype(w.dtype)
    scale = max(1.0, float(np.max(np.abs(w), initial=0.0)))
    tol = 4.0 * _EPS[name] * (k + 2) * scale * 4.0  # operands are in [-2, 2]: |x||y| <= 4
    return bool(np.all(np.abs(w - g) <= tol))


def dtype_name(dtype):
    return "bfloat16" if "bfloat16" in str(dtype) else np.dtype(dtype).name


def random_array(rng, shape, dtype):
    """Values in [-2, 2] with few significant bits, of numpy dtype `dtype` (ml_dtypes for bfloat16)."""
    name = dtype_name(dtype)
    if name.startswith("int"):
        return rng.integers(-3, 4, size=shape).astype(dtype)
    base = rng.integers(-16, 17, size=shape) / 8.0 + rng.standard_normal(shape) * 0.01
    if name.startswith("complex"):
        base = base + 1j * (rng.integers(-16, 17, size=shape) / 8.0)
    return base.astype(dtype)


def random_dims(rng, rank, limit=1500):
    """A shape of `rank` sizes in 0..9, mostly small, with at most `limit` elements."""
    while True:
        dims = [int(d) for d in rng.choice(10, size=rank, p=_SIZE_P)]
        if int(np.prod(dims)) <= limit:
            return dims


_SIZE_P = np.array([0.04, 0.18, 0.2, 0.18, 0.14, 0.09, 0.07, 0.04, 0.03, 0.03])
_SIZE_P = _SIZE_P / _SIZE_P.sum()


def random_keras_case(rng):
    """(x_shape, y_shape, axes) for batch_dot with every axes spelling: None, int,
    pair (tuple/list), negative, out of range, axis 0, and malformed ones; batch
    sizes that differ and contracted sizes that differ now and then."""
    xn, yn = int(rng.integers(2, 7)), int(rng.integers(2, 7))
    xs, ys = random_dims(rng, xn), random_dims(rng, yn)
    ys[0] = xs[0] if rng.random() > 0.06 else int(rng.integers(0, 10))
    form = rng.choice(["none", "int", "tuple", "list", "negative", "out_of_range", "zero", "malformed"],
                      p=[0.2, 0.14, 0.22, 0.1, 0.18, 0.06, 0.03, 0.07])
    if form == "none":
        axes = None
        a0, a1 = xn - 1, (yn - 1 if yn == 2 else yn - 2)
    elif form == "int":
        a = int(rng.integers(1, min(xn, yn)))
        axes, a0, a1 = a, a, a
    elif form in ("tuple", "list", "negative"):
        a0, a1 = int(rng.integers(1, xn)), int(rng.integers(1, yn))
        pair = [a0, a1]
        if form == "negative":
            pair = [a0 - xn if rng.random() < 0.7 else a0, a1 - yn if rng.random() < 0.7 else a1]
            if rng.random() < 0.25:  # a negative int axes, resolved against each rank
                a = -int(rng.integers(1, min(xn, yn)))
                pair, a0, a1 = a, xn + a, yn + a
        axes = list(pair) if form == "list" else (tuple(pair) if isinstance(pair, list) else pair)
    elif form == "out_of_range":
        a0, a1 = int(rng.integers(1, xn)), int(rng.integers(1, yn))
        bad = [xn + int(rng.integers(0, 3)), -xn - int(rng.integers(1, 3)), yn + int(rng.integers(0, 2))]
        choice = int(rng.integers(0, 3))
        axes = (bad[0], a1) if choice == 0 else (bad[1], a1) if choice == 1 else (a0, bad[2])
    elif form == "zero":
        a0, a1 = 0, int(rng.integers(1, yn))
        axes = (0, a1) if rng.random() < 0.5 else 0
    else:
        a0, a1 = xn - 1, yn - 1
        axes = [(a0,), (a0, a1, 1), [[a0], [a1]], [], float(a0), "1", np.int64(a0), (np.int64(a0), a1),
                True, (True, 1)][int(rng.integers(0, 10))]
    # Make the contracted sizes agree most of the time, so that most cases compute.
    if 0 < a0 < xn and 0 < a1 < yn and rng.random() > 0.08:
        ys[a1] = xs[a0]
        while int(np.prod(ys)) > 1500:
            other = [i for i in range(1, yn) if i != a1 and ys[i] > 1]
            if not other:
                break
            ys[other[0]] -= 1
    return tuple(xs), tuple(ys), axes


def keras_k(x_shape, y_shape, axes):
    """The contracted size of a valid Keras case (for the tolerance)."""
    xn = len(x_shape)
    if axes is None:
        a0 = xn - 1
    elif isinstance(axes, (int, np.integer)):
        a0 = int(axes)
    else:
        a0 = int(axes[0])
    return x_shape[a0 % xn] if xn else 1


class Tally:
    """Cases, passes and divergences of one check (e.g. "tf_keras.backend.batch_dot").
    A divergence has a label; `documented` maps the labels that are deliberate
    differences (docs/frameworks/conformance.md) to their one-line reason."""

    all_tallies = collections.OrderedDict()

    def __init__(self, name, documented=None):
        self.name = name
        self.cases = 0
        self.passes = 0
        self.divergences = collections.Counter()
        self.examples = {}
        self.documented = documented or {}
        Tally.all_tallies[name] = self

    def record(self, label=None, example=None):
        self.cases += 1
        if label is None:
            self.passes += 1
            return
        self.divergences[label] += 1
        self.examples.setdefault(label, example)

    def is_documented(self, label):
        """A key ending in "*" documents every label it starts."""
        return label in self.documented or any(
            key.endswith("*") and label.startswith(key[:-1]) for key in self.documented)

    def undocumented(self):
        return {label: n for label, n in self.divergences.items() if not self.is_documented(label)}

    def lines(self):
        out = [f"{self.name}: {self.cases} cases, {self.passes} pass, "
               f"{sum(self.divergences.values())} diverge ({len(self.undocumented())} undocumented kinds)"]
        for label, n in self.divergences.most_common():
            mark = "documented" if self.is_documented(label) else "UNDOCUMENTED"
            out.append(f"    {n:6d}  {mark:12s} {label}")
            out.append(f"            e.g. {self.examples[label]}")
        return out


def compare(tally, case, fw, bd, k=1, check_dtype=True):
    """Compares framework outcome `fw` with batchdot outcome `bd` and records the result.
    Returns the divergence label or None."""
    label = None
    if fw[0] == "ok" and bd[0] == "ok":
        want, got = np.asarray(fw[1]), np.asarray(bd[1])
        if want.shape != got.shape:
            label = "shape differs"
        elif check_dtype and dtype_name(want.dtype) != dtype_name(got.dtype):
            label = f"dtype differs: {dtype_name(want.dtype)} vs {dtype_name(got.dtype)}"
        elif not values_close(want, got, k):
            label = f"values differ ({dtype_name(want.dtype)})"
            diff = np.abs(want.astype(np.complex128) - got.astype(np.complex128))
            case = f"{case} [max |diff| {diff.max():.3g}, max |want| {np.abs(want.astype(np.complex128)).max():.3g}]"
    elif fw[0] == "error" and bd[0] == "error":
        if not set(fw[2]) & set(bd[2]):
            label = f"error class: framework {fw[1]} ({'/'.join(fw[2])}), batchdot {bd[1]} ({'/'.join(bd[2])})"
    elif fw[0] == "error":
        label = f"framework raises {fw[1]}, batchdot returns"
    else:
        label = f"batchdot raises {bd[1]} ({'/'.join(bd[2])}), framework returns"
    detail = None
    if label is not None:
        def brief(o):
            return f"ok {np.asarray(o[1]).shape} {dtype_name(np.asarray(o[1]).dtype)}" if o[0] == "ok" \
                else f"{o[1]}: {o[3][:110]}"
        detail = f"{case} -> framework {brief(fw)} | batchdot {brief(bd)}"
    tally.record(label, detail)
    return label


def seeded_rng(name):
    """One reproducible generator per suite (BATCHDOT_CONFORMANCE_SEED overrides the seed)."""
    seed = int(os.environ.get("BATCHDOT_CONFORMANCE_SEED", "20261202"))
    return np.random.default_rng([seed, sum(map(ord, name))]), random.Random(seed)


def case_count(default):
    """BATCHDOT_CONFORMANCE_CASES scales the number of random cases (default: `default`)."""
    return int(os.environ.get("BATCHDOT_CONFORMANCE_CASES", default))
