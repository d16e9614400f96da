"""batchdot.mindspore.ops.batch_dot inside MindSpore: the AOT Custom op against
batchdot's NumPy front end (same bits), MindSpore's rules and exception classes,
PyNative and graph mode, gradients (closed form and finite differences, order 2),
a Cell trained with an optimizer, and bad calls that never reach the kernel.

Run with the mindspore venv's interpreter and batchdot built for it:
    venv/mindspore/bin/python -m pytest -q tests/frameworks/test_mindspore_op.py
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

ms = pytest.importorskip("mindspore", reason="mindspore is not installed in this interpreter")
import batchdot  # noqa: E402
from in_place import run_suite_in_place  # noqa: E402
from batchdot.mindspore import ops as bd_ops  # noqa: E402

from mindspore import Tensor, nn  # noqa: E402

ms.set_device("CPU")


DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "data", "mindspore.json")
with open(DATA) as f:
    CASES = json.load(f)
EXCEPTIONS = {"ValueError": ValueError, "TypeError": TypeError, "IndexError": IndexError}


@pytest.fixture(autouse=True)
def _compile_files_in_tmp(tmp_path, monkeypatch):
    # Graph-mode compile failures write analyze_fail.ir under the working folder.
    monkeypatch.chdir(tmp_path)


def python_axes(axes):
    return tuple(python_axes(a) for a in axes) if isinstance(axes, list) else axes


def case_arrays(case, rng):
    dtype = case.get("dtype", "float32")
    d1, d2 = dtype if isinstance(dtype, list) else (dtype, dtype)
    if case.get("fill") == "ones":
        return np.ones(case["x_shape"], d1), np.ones(case["y_shape"], d2)
    return rng.integers(-3, 4, case["x_shape"]).astype(d1), rng.integers(-3, 4, case["y_shape"]).astype(d2)


def numpy_outcome(x1, x2, axes):
    """What batchdot's NumPy front end does: ("ok", array) or (exception class, message)."""
    try:
        return "ok", batchdot.mindspore.batch_dot(x1, x2, axes)
    except (ValueError, TypeError, IndexError) as error:
        return type(error), str(error)


def random_case(rng):
    """Random valid shapes and axes (MindSpore rules): ranks 2-4, small dims, K up to 40."""
    r1, r2 = (int(r) for r in rng.integers(2, 5, 2))
    b, k = int(rng.integers(1, 4)), int(rng.integers(1, 41))
    a0, a1 = int(rng.integers(1, r1)), int(rng.integers(1, r2))
    s1 = [b] + [int(rng.integers(1, 6)) for _ in range(r1 - 1)]
    s2 = [b] + [int(rng.integers(1, 6)) for _ in range(r2 - 1)]
    s1[a0], s2[a1] = k, k
    axes = (int(a0 - r1) if rng.integers(2) else a0, int(a1 - r2) if rng.integers(2) else a1)
    x1 = rng.standard_normal(s1).astype(np.float32)
    x2 = rng.standard_normal(s2).astype(np.float32)
    return x1, x2, axes


@ms.jit
def jit_batch_dot_axes_2_1(x1, x2):
    return bd_ops.batch_dot(x1, x2, (2, 1))


def jit_of(axes):
    @ms.jit
    def fn(x1, x2):
        return bd_ops.batch_dot(x1, x2, axes)
    return fn


# ---- forward: same bits as NumPy, PyNative and graph mode ----

def test_random_cases_bitwise_equal_to_numpy_pynative():
    rng = np.random.default_rng(16)
    for _ in range(60):
        x1, x2, axes = random_case(rng)
        want = batchdot.mindspore.batch_dot(x1, x2, axes)
        got = bd_ops.batch_dot(Tensor(x1), Tensor(x2), axes).asnumpy()
        assert got.shape == want.shape and got.dtype == np.float32
        assert got.tobytes() == want.tobytes(), (x1.shape, x2.shape, axes)


def test_random_cases_bitwise_equal_to_numpy_graph_mode():
    rng = np.random.default_rng(61)
    for _ in range(6):  # each distinct call compiles a graph (seconds each)
        x1, x2, axes = random_case(rng)
        got = jit_of(axes)(Tensor(x1), Tensor(x2)).asnumpy()
        assert got.tobytes() == batchdot.mindspore.batch_dot(x1, x2, axes).tobytes(), (x1.shape, x2.shape, axes)


def test_large_contraction_bitwise_equal():
    rng = np.random.default_rng(3)
    x1 = rng.standard_normal((16, 128, 64)).astype(np.float32)
    x2 = rng.standard_normal((16, 128, 64)).astype(np.float32)
    want = batchdot.mindspore.batch_dot(x1, x2, (2, 2))
    assert bd_ops.batch_dot(Tensor(x1), Tensor(x2), (2, 2)).asnumpy().tobytes() == want.tobytes()
    assert jit_of((2, 2))(Tensor(x1), Tensor(x2)).asnumpy().tobytes() == want.tobytes()


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case_vectors_pynative(case):
    """Every case of tests/data/mindspore.json: the NumPy front end's shape and bits,
    or its exception class and message, before any kernel runs."""
    x1, x2 = case_arrays(case, np.random.default_rng(5))
    axes = python_axes(case["axes"])
    kind, want = numpy_outcome(x1, x2, axes)
    if "error" in case:
        assert kind is not None and kind is not str and issubclass(kind, EXCEPTIONS[case["error"]])
        if x1.dtype.kind == "b" or x2.dtype.kind == "b":
            t1, t2 = Tensor(x1, ms.bool_), Tensor(x2, ms.bool_ if x2.dtype.kind == "b" else None)
        else:
            t1, t2 = Tensor(x1), Tensor(x2)
        with pytest.raises(EXCEPTIONS[case["error"]]) as info:
            bd_ops.batch_dot(t1, t2, axes)
        assert str(info.value) == want
        for other, cls in EXCEPTIONS.items():
            if other != case["error"]:
                assert not isinstance(info.value, cls)
        return
    assert kind == "ok"
    got = bd_ops.batch_dot(Tensor(x1), Tensor(x2), axes).asnumpy()
    assert list(got.shape) == case["out_shape"]
    assert got.tobytes() == want.tobytes()


def test_case_vectors_graph_mode():
    """The valid cases compiled by ms.jit give the same bits (a sample: compiling is slow)."""
    ok = [c for c in CASES if "error" not in c][::4]
    rng = np.random.default_rng(7)
    for case in ok:
        x1, x2 = case_arrays(case, rng)
        axes = python_axes(case["axes"])
        got = jit_of(axes)(Tensor(x1), Tensor(x2)).asnumpy()
        assert got.tobytes() == batchdot.mindspore.batch_dot(x1, x2, axes).tobytes(), case["id"]


def test_graph_mode_context_and_cell():
    class Net(nn.Cell):
        def construct(self, x1, x2):
            return bd_ops.batch_dot(x1, x2, (-1, 1)) * 2.0

    rng = np.random.default_rng(9)
    x1 = rng.standard_normal((3, 4, 5)).astype(np.float32)
    x2 = rng.standard_normal((3, 5, 2)).astype(np.float32)
    ms.set_context(mode=ms.GRAPH_MODE)
    try:
        got = Net()(Tensor(x1), Tensor(x2)).asnumpy()
    finally:
        ms.set_context(mode=ms.PYNATIVE_MODE)
    assert got.tobytes() == (batchdot.mindspore.batch_dot(x1, x2, (2, 1)) * np.float32(2)).tobytes()


def test_zero_size_dims():
    x1 = np.ones((2, 0, 3), np.float32)
    x2 = np.ones((2, 3, 4), np.float32)
    assert bd_ops.batch_dot(Tensor(x1), Tensor(x2)).shape == (2, 0, 4)
    x1, x2 = np.ones((2, 3, 0), np.float32), np.ones((2, 0, 4), np.float32)
    got = bd_ops.batch_dot(Tensor(x1), Tensor(x2)).asnumpy()
    assert got.shape == (2, 3, 4) and not got.any()


# ---- gradients ----

def grads_of(fn, x1, x2, dout):
    def loss(a, b):
        return (fn(a, b) * Tensor(dout)).sum()
    g1, g2 = ms.grad(loss, grad_position=(0, 1))(Tensor(x1), Tensor(x2))
    return g1.asnumpy(), g2.asnumpy()


@pytest.mark.parametrize("shapes,axes", [
    (((10, 12, 4, 5), (10, 12, 5, 8)), None),
    (((3, 4, 5), (3, 6, 4)), (1, 2)),
    (((2, 3), (2, 3)), None),
    (((2, 3), (2, 4, 3)), (1, 2)),
    (((4, 7, 2), (4, 7)), (1, 1)),
])
def test_gradients_equal_numpy_closed_form(shapes, axes):
    rng = np.random.default_rng(11)
    x1 = rng.standard_normal(shapes[0]).astype(np.float32)
    x2 = rng.standard_normal(shapes[1]).astype(np.float32)
    dout = rng.standard_normal(batchdot.mindspore.batch_dot(x1, x2, axes).shape).astype(np.float32)
    w1, w2 = batchdot.mindspore.batch_dot_grad(x1, x2, dout, axes)
    def fn(a, b):
        return bd_ops.batch_dot(a, b, axes)
    for mode_fn in (fn, ms.jit(fn)):
        g1, g2 = grads_of(mode_fn, x1, x2, dout)
        assert g1.tobytes() == w1.tobytes() and g2.tobytes() == w2.tobytes()


def test_gradients_against_finite_differences():
    """batch_dot is bilinear, so a central difference along a direction d is exact
    up to rounding: (f(x + h d) - f(x - h d)) / 2h = <grad, d>."""
    rng = np.random.default_rng(13)
    x1 = rng.standard_normal((3, 4, 5)).astype(np.float32)
    x2 = rng.standard_normal((3, 5, 2)).astype(np.float32)
    dout = rng.standard_normal((3, 4, 2)).astype(np.float32)
    g1, g2 = grads_of(lambda a, b: bd_ops.batch_dot(a, b), x1, x2, dout)
    f = lambda a, b: float((bd_ops.batch_dot(Tensor(a), Tensor(b)).asnumpy().astype(np.float64) * dout).sum())
    h = np.float32(0.25)
    for _ in range(3):
        d1 = rng.standard_normal(x1.shape).astype(np.float32)
        d2 = rng.standard_normal(x2.shape).astype(np.float32)
        fd1 = (f(x1 + h * d1, x2) - f(x1 - h * d1, x2)) / (2 * h)
        fd2 = (f(x1, x2 + h * d2) - f(x1, x2 - h * d2)) / (2 * h)
        assert fd1 == pytest.approx(float((g1 * d1).sum()), rel=1e-4, abs=1e-4)
        assert fd2 == pytest.approx(float((g2 * d2).sum()), rel=1e-4, abs=1e-4)


def test_second_order_gradient():
    """d/dx2 of <grad_x1(x1, x2), c> is the closed form batch_dot(c, dout) contraction:
    for L = sum(batch_dot(x1, x2) * dout), grad_x1 = grad_x1(dout, x2) is linear in x2."""
    rng = np.random.default_rng(17)
    x1 = rng.standard_normal((2, 3, 4)).astype(np.float32)
    x2 = rng.standard_normal((2, 4, 5)).astype(np.float32)
    dout = rng.standard_normal((2, 3, 5)).astype(np.float32)
    c = rng.standard_normal(x1.shape).astype(np.float32)

    def loss(a, b):
        return (bd_ops.batch_dot(a, b) * Tensor(dout)).sum()

    def inner(a, b):
        return (ms.grad(loss, grad_position=0)(a, b) * Tensor(c)).sum()

    got = ms.grad(inner, grad_position=1)(Tensor(x1), Tensor(x2)).asnumpy()
    # <grad_x1, c> = <dout, batch_dot(c, x2)>, so its x2 gradient is grad_x2 with x1 := c.
    want = batchdot.mindspore.batch_dot_grad(c, x2, dout)[1]
    assert got.tobytes() == want.tobytes()


def test_training_cell_loss_falls():
    """An nn.Cell with a batchdot similarity block, trained with an optimizer, in
    PyNative and with the train step compiled by ms.jit."""
    class Similarity(nn.Cell):
        def __init__(self):
            super().__init__()
            self.proj = nn.Dense(6, 6, has_bias=False)

        def construct(self, a, b):
            return bd_ops.batch_dot(self.proj(a), b, (2, 2))  # (B, T, T) pairwise scores

    rng = np.random.default_rng(19)
    a = Tensor(rng.standard_normal((8, 5, 6)).astype(np.float32))
    b = Tensor(rng.standard_normal((8, 5, 6)).astype(np.float32))
    target = Tensor(np.einsum("btd,bsd->bts", a.asnumpy() @ np.eye(6, k=1, dtype=np.float32), b.asnumpy()))
    for compile_step in (False, True):
        net = Similarity()
        opt = nn.Adam(net.trainable_params(), learning_rate=0.05)
        loss_fn = lambda x, y, t: ((net(x, y) - t) ** 2).mean()
        grad_fn = ms.value_and_grad(loss_fn, None, opt.parameters)

        def step(x, y, t):
            loss, grads = grad_fn(x, y, t)
            opt(grads)
            return loss
        step = ms.jit(step) if compile_step else step
        losses = [float(step(a, b, target).asnumpy()) for _ in range(40)]
        assert losses[-1] < 0.2 * losses[0], losses


# ---- bad input: MindSpore's classes, raised before the kernel ----

def test_non_tensor_input_is_a_type_error():
    with pytest.raises(TypeError, match="must be a mindspore.Tensor, but got ndarray"):
        bd_ops.batch_dot(np.ones((2, 3, 4), np.float32), Tensor(np.ones((2, 4, 5), np.float32)))


@pytest.mark.parametrize("shapes,dtype,cls", [
    (((2, 3, 4), (2, 4, 5)), np.float64, TypeError),
    (((2,), (2, 4)), np.float32, ValueError),          # rank 1 (checked before the dtype)
    (((2,), (2, 4)), np.float64, ValueError),
    (((2, 3, 4), (3, 4, 5)), np.float32, ValueError),  # batch sizes
    (((2, 3, 4), (3, 4, 5)), np.int32, TypeError),     # dtype before batch sizes
    (((2, 3, 4), (2, 5, 5)), np.float32, ValueError),  # contracted sizes
])
def test_bad_inputs_raise_framework_classes(shapes, dtype, cls):
    x1, x2 = (Tensor(np.ones(s, dtype)) for s in shapes)
    with pytest.raises(cls) as info:
        bd_ops.batch_dot(x1, x2)
    assert str(info.value) and "\n" not in str(info.value)


def test_bad_dtype_names_the_taken_dtype_pynative_and_graph():
    x1 = Tensor(np.ones((2, 3, 4), np.float16))
    x2 = Tensor(np.ones((2, 4, 5), np.float32))
    with pytest.raises(TypeError, match=r"'x1' doesn't support 'Float16' and expect to receive \[Float32\]"):
        bd_ops.batch_dot(x1, x2)
    with pytest.raises(TypeError, match=r"'x1' doesn't support 'Float16' and expect to receive \[Float32\]"):
        jit_of(None)(x1, x2)
    bf = Tensor(np.ones((2, 3, 4), np.float32)).astype(ms.bfloat16)
    with pytest.raises(TypeError, match=r"'x2' doesn't support 'BFloat16' and expect to receive \[Float32\]"):
        bd_ops.batch_dot(x2.reshape(2, 4, 5), bf)


def test_bad_axes_raise_in_graph_mode():
    x1 = Tensor(np.ones((2, 3, 4), np.float32))
    x2 = Tensor(np.ones((2, 4, 5), np.float32))
    with pytest.raises(ValueError, match="cannot contain 0"):
        jit_of((0, 1))(x1, x2)
    with pytest.raises(TypeError, match="should be 'int'"):
        jit_of((1.0, 1))(x1, x2)
    with pytest.raises(ValueError, match="contracted dimensions differ"):
        jit_of((1, 1))(x1, x2)


def test_kernel_refuses_bad_calls_without_crashing():
    """A Custom op built without the Python checks: the kernel returns non-zero,
    MindSpore raises RuntimeError, the interpreter lives on (run in a child so a
    crash would show as a dead process, not a dead test session)."""
    code = f"""
import numpy as np, mindspore as ms
from mindspore import ops, Tensor
ms.set_device("CPU")
lib = {bd_ops.LIBRARY!r}
raw = ops.Custom(lib + ":BatchdotMindSporeBatchDot", out_shape=lambda a, b, c: [2, 3, 5],
                 out_dtype=lambda a, b, c: a, func_type="aot")
x1, x2 = Tensor(np.ones((2, 3, 4), np.float32)), Tensor(np.ones((2, 4, 5), np.float32))
for axes in ([2, 2], [0, 1], [2]):
    try:
        raw(x1, x2, Tensor(np.array(axes, np.int64))).asnumpy()
        print("no error for", axes)
    except RuntimeError as e:
        print("RuntimeError")
print(raw(x1, x2, Tensor(np.array([2, 1], np.int64))).asnumpy()[0, 0, 0])
print("alive")
"""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.split()
    assert lines == ["RuntimeError"] * 3 + ["4.0", "alive"], result.stdout
    assert "batchdot: error: BatchdotMindSporeBatchDot:" in result.stderr


def test_thread_count_is_forwarded():
    before = bd_ops.get_num_threads()
    try:
        bd_ops.set_num_threads(1)
        assert bd_ops.get_num_threads() == 1 and batchdot.get_num_threads() == 1
        with pytest.raises(ValueError):
            bd_ops.set_num_threads(0)
    finally:
        bd_ops.set_num_threads(before)


def test_numpy_names_unchanged():
    assert batchdot.mindspore.batch_dot is batchdot._batchdot.mindspore_batch_dot
    assert batchdot.mindspore.batch_dot_grad is batchdot._batchdot.mindspore_batch_dot_grad


# ---- the conformance suite, on the op ----

def test_conformance_suite_with_the_op_in_place_of_numpy():
    """test_mindspore.py with batchdot.mindspore.ops in place of the NumPy front end
    (mindspore_in_place.py), on 1,000 cases (about 20 s)."""
    out = run_suite_in_place("mindspore_in_place", "test_mindspore.py", cases=1000)
    assert "total:" in out, out[-2000:]  # the suite compared cases, not skipped them
