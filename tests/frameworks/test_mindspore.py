"""mindspore.ops.batch_dot (PyNative) and mindspore.grad of it as the oracles of
batchdot.mindspore.batch_dot / batch_dot_grad, on seeded random cases of every
axes spelling and dtype; batchdot follows r2.1 (the founding document's
version), and what MindSpore changed since is pinned by its own test below.
Run: venv/mindspore/bin/python -m pytest tests/frameworks/test_mindspore.py
"""

import os

os.environ.setdefault("GLOG_v", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

ms = pytest.importorskip("mindspore", reason="MindSpore is not installed here (make frameworks: venv/mindspore)")
from mindspore import Tensor, ops  # noqa: E402

import batchdot  # noqa: E402
from conformance import (Tally, case_count, compare, dtype_name, keras_k, random_array,  # noqa: E402
                         random_keras_case, run, seeded_rng)

ms.set_context(mode=ms.PYNATIVE_MODE)
try:
    ml_dtypes = __import__("ml_dtypes")
except ImportError:
    ml_dtypes = None

# MindSpore 2.10.0 with NumPy 2: the first operator call of the process fails with
# SystemError (an extension built against NumPy 1.x fails to import, once); every
# later call works. Spend that first call here, not on a test case.
try:
    ops.transpose(Tensor(np.ones((1, 1), np.float32)), (1, 0))
except SystemError:
    pass

DTYPES = [np.float32] * 6 + [np.float16, np.float64, np.int32, np.int64, np.complex64] + (
    [ml_dtypes.bfloat16] if ml_dtypes else [])

# What MindSpore 2.10.0 does differently from r2.1, which batchdot.mindspore keeps
# (docs/frameworks/conformance.md); and deliberate differences.
DOCUMENTED = {
    "batchdot raises BatchDotError (ValueError), framework returns":
        "batch size 0: r2.1 raised ValueError (Transpose); 2.10.0 returns the empty result",
    "error class: framework IndexError (IndexError), batchdot BatchDotError (ValueError)":
        "axis == rank: MindSpore's upper bound is off by one and it fails indexing the shape (IndexError); "
        "batchdot raises ValueError",
    "framework raises ValueError, batchdot returns": "",
}


def ms_outcome(fn):
    out = run(fn)
    if out[0] == "ok":
        return ("ok", out[1].asnumpy())
    return out


def batch_size_zero(xs, ys):
    return xs[0] == 0 and ys[0] == 0


def test_ops_batch_dot():
    rng, _ = seeded_rng("mindspore")
    tally = Tally("mindspore.ops.batch_dot (PyNative)", DOCUMENTED)
    for _ in range(case_count(5000)):
        xs, ys, axes = random_keras_case(rng)
        da = DTYPES[int(rng.integers(0, len(DTYPES)))]
        db = da if rng.random() > 0.05 else DTYPES[int(rng.integers(0, len(DTYPES)))]
        x, y = random_array(rng, xs, da), random_array(rng, ys, db)
        case = f"{xs} {dtype_name(da)} x {ys} {dtype_name(db)} axes={axes!r}"
        fw = ms_outcome(lambda: ops.batch_dot(Tensor(x), Tensor(y), axes))
        bd = run(lambda: batchdot.mindspore.batch_dot(x, y, axes))
        compare(tally, case, fw, bd, keras_k(xs, ys, axes) if fw[0] == "ok" else 1)
    assert not tally.undocumented(), "\n".join(tally.lines())


def test_changed_since_r21():
    """Behaviours of MindSpore 2.10.0 that differ from r2.1 (which batchdot.mindspore follows)."""
    assert ms.__version__ == "2.10.0", ms.__version__  # the version these facts were observed on
    x0 = np.ones((0, 3, 4), np.float32)
    y0 = np.ones((0, 4, 5), np.float32)
    assert ops.batch_dot(Tensor(x0), Tensor(y0)).shape == (0, 3, 5)  # r2.1: ValueError from Transpose
    with pytest.raises(ValueError):
        batchdot.mindspore.batch_dot(x0, y0)
    assert hasattr(ops, "batch_dot")  # deprecated since 2.8/2.9, still present in 2.10.0


def test_grad():
    rng, _ = seeded_rng("mindspore-grad")
    tally = Tally("mindspore.grad(mindspore.ops.batch_dot)", DOCUMENTED)
    done = 0
    while done < case_count(5000) // 5:
        xs, ys, axes = random_keras_case(rng)
        x, y = random_array(rng, xs, np.float32), random_array(rng, ys, np.float32)
        fwd = ms_outcome(lambda: ops.batch_dot(Tensor(x), Tensor(y), axes))
        if fwd[0] != "ok" or batch_size_zero(xs, ys):
            continue
        done += 1
        g = random_array(rng, fwd[1].shape, np.float32)
        gt = Tensor(g)
        grad_fn = ms.grad(lambda a, b: (ops.batch_dot(a, b, axes) * gt).sum(), grad_position=(0, 1))
        fg = run(lambda: [t.asnumpy() for t in grad_fn(Tensor(x), Tensor(y))])
        bg = run(lambda: batchdot.mindspore.batch_dot_grad(x, y, g, axes))
        width = max([1] + list(xs) + list(ys)) * 9
        for i, name in enumerate(("grad_x1", "grad_x2")):
            fo = ("ok", fg[1][i]) if fg[0] == "ok" else fg
            bo = ("ok", bg[1][i]) if bg[0] == "ok" else bg
            compare(tally, f"{xs} x {ys} axes={axes!r} {name}", fo, bo, width)
    assert not tally.undocumented(), "\n".join(tally.lines())
