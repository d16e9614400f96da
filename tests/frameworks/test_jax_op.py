"""batchdot.jax: the XLA FFI op against batchdot's NumPy front end, JAX's AD and transformations.

Run with the jax venv's interpreter, the built package on the path:
    PYTHONPATH=build/python venv/jax/bin/python -m pytest -q tests/frameworks/test_jax_op.py
Forward results and gradients must be bitwise equal to batchdot.batch_dot /
batchdot.dot_general / batchdot.dot_general_grad on the same inputs (one C++ core,
the same dense layouts); errors must carry the NumPy front end's one-line message.
"""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

jax = pytest.importorskip("jax", reason="batchdot.jax needs jax (the jax venv)")
import jax.numpy as jnp  # noqa: E402
from jax import export  # noqa: E402
from jax.test_util import check_grads  # noqa: E402

import batchdot  # noqa: E402
from in_place import run_suite_in_place  # noqa: E402
import batchdot.jax as bj  # noqa: E402

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "data")
SEED = int(os.environ.get("BATCHDOT_TEST_SEED", "20261202"))
DTYPES = ["float32", "float64", "bfloat16", "float16", "int32", "int64", "complex64"]


@pytest.fixture(autouse=True)
def x64():
    """float64/int64 stay 64-bit (JAX's default would narrow them to 32 bits)."""
    with jax.enable_x64(True):
        yield


@pytest.fixture
def rng(request):
    seed = SEED + sum(map(ord, request.node.name))
    print(f"seed {seed} (BATCHDOT_TEST_SEED={SEED})")
    return np.random.default_rng(seed)


def np_dtype(name):
    return np.dtype(jnp.bfloat16) if name == "bfloat16" else np.dtype(name)


def random_array(rng, shape, dtype):
    dtype = np_dtype(dtype)
    if dtype.kind == "i":
        return rng.integers(-50, 50, shape).astype(dtype)
    if dtype.kind == "c":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def assert_bitwise(got, want):
    got = np.asarray(got)
    assert got.dtype == want.dtype and got.shape == want.shape, (got.dtype, got.shape, want.dtype, want.shape)
    assert got.tobytes() == want.tobytes(), f"max |diff| {np.max(np.abs(got.astype(complex) - want.astype(complex)))}"


def random_dims(rng, max_rank=4):
    """Random dot_general operands' shapes and dimension numbers, axes in random order."""
    nb, nc = rng.integers(0, 3), rng.integers(0, 3)
    nlf, nrf = rng.integers(0, max_rank - nb - nc + 1), rng.integers(0, max_rank - nb - nc + 1)
    sizes = rng.integers(1, 6, nb + nc + nlf + nrf)
    lhs_axes, rhs_axes = rng.permutation(nb + nc + nlf), rng.permutation(nb + nc + nrf)
    lhs_shape, rhs_shape = [0] * len(lhs_axes), [0] * len(rhs_axes)
    lb, rb, lc, rc = [], [], [], []
    for i in range(nb + nc):
        la, ra = int(lhs_axes[i]), int(rhs_axes[i])
        lhs_shape[la] = rhs_shape[ra] = int(sizes[i])
        (lb if i < nb else lc).append(la)
        (rb if i < nb else rc).append(ra)
    for i in range(nb + nc, len(lhs_axes)):
        lhs_shape[int(lhs_axes[i])] = int(sizes[i])
    for i in range(nb + nc, len(rhs_axes)):
        rhs_shape[int(rhs_axes[i])] = int(sizes[nb + nc + nlf + i - (nb + nc)])
    return tuple(lhs_shape), tuple(rhs_shape), ((tuple(lc), tuple(rc)), (tuple(lb), tuple(rb)))


def numpy_outcome(fn):
    try:
        return fn(), None
    except Exception as e:  # noqa: BLE001 - the outcome is compared, whatever it is
        return None, e


# ---- forward: bitwise equal to the NumPy front end ----

def keras_cases():
    with open(os.path.join(DATA, "keras.json")) as f:
        return json.load(f)


def case_axes(axes):
    return tuple(case_axes(a) for a in axes) if isinstance(axes, list) else axes


@pytest.mark.parametrize("case", keras_cases(), ids=lambda c: c["id"])
def test_keras_cases_as_numpy(case, rng):
    """Every case of tests/data/keras.json: the same result bit for bit, or the same error."""
    dx, dy = case.get("dtype", "float32"), case.get("dtype", "float32")
    if isinstance(dx, list):
        dx, dy = dx
    try:
        x, y = random_array(rng, case["x_shape"], dx), random_array(rng, case["y_shape"], dy)
    except TypeError:  # a dtype NumPy has no name for: nothing to compare
        pytest.skip(f"dtype {dx}/{dy} is not a NumPy dtype")
    axes = case_axes(case["axes"])
    want, want_error = numpy_outcome(lambda: batchdot.batch_dot(x, y, axes))
    for run in (bj.batch_dot, jax.jit(bj.batch_dot, static_argnums=2)):
        if want_error is None:
            assert_bitwise(run(x, y, axes), want)
            if "out_shape" in case:
                assert tuple(want.shape) == tuple(case["out_shape"])
        else:
            with pytest.raises(type(want_error)) as got:
                run(x, y, axes)
            assert str(got.value) == str(want_error)


@pytest.mark.parametrize("dtype", DTYPES)
def test_random_dot_general_bitwise(dtype, rng):
    for _ in range(25):
        lhs_shape, rhs_shape, dims = random_dims(rng)
        lhs, rhs = random_array(rng, lhs_shape, dtype), random_array(rng, rhs_shape, dtype)
        want = batchdot.dot_general(lhs, rhs, dims)
        assert_bitwise(bj.dot_general(lhs, rhs, dims), want)
        assert_bitwise(jax.jit(bj.dot_general, static_argnums=2)(lhs, rhs, dims), want)


@pytest.mark.parametrize("dtype", DTYPES)
def test_random_batch_dot_bitwise(dtype, rng):
    shapes = [((10, 12, 4, 5), (10, 12, 5, 8), None), ((6, 7), (6, 7), None), ((6, 7), (6, 7, 3), (1, 1)),
              ((5, 3, 4), (5, 4), None), ((5, 3, 4), (5, 2, 3), (1, 2)), ((4, 2, 3, 5), (4, 5, 6), (-1, 1))]
    for xs, ys, axes in shapes:
        x, y = random_array(rng, xs, dtype), random_array(rng, ys, dtype)
        assert_bitwise(bj.batch_dot(x, y, axes), batchdot.batch_dot(x, y, axes))


def test_mixed_dtypes_promote_as_numpy_front_end(rng):
    x, y = random_array(rng, (3, 4, 5), "float32"), random_array(rng, (3, 5, 2), "bfloat16")
    assert_bitwise(bj.batch_dot(x, y), batchdot.batch_dot(x, y))
    x, y = random_array(rng, (3, 4, 5), "int32"), random_array(rng, (3, 5, 2), "float64")
    assert_bitwise(bj.batch_dot(x, y), batchdot.batch_dot(x, y))


def test_preferred_element_type(rng):
    lhs, rhs = random_array(rng, (3, 4), "bfloat16"), random_array(rng, (4, 5), "bfloat16")
    dims = (((1,), (0,)), ((), ()))
    got = bj.dot_general(lhs, rhs, dims, preferred_element_type=jnp.float32)
    assert_bitwise(got, batchdot.dot_general(lhs.astype(np.float32), rhs.astype(np.float32), dims))


# ---- gradients ----

GRAD_CASES = [
    ("keras", (3, 4, 5), (3, 5, 2), None),
    ("keras", (2, 3, 4, 5), (2, 3, 5, 4), None),          # the seed's pattern, small
    ("keras", (4, 3), (4, 3), None),                      # (B, 1)
    ("keras", (3, 4, 5), (3, 2, 4), (1, 2)),
    ("dot_general", (2, 3, 4), (4, 3, 5), (((1, 2), (1, 0)), ((), ()))),
    ("dot_general", (3, 2, 4, 2), (2, 4, 3), (((2,), (1,)), ((0, 1), (2, 0)))),
]


def grad_fn(api, axes):
    if api == "keras":
        return lambda x, y: bj.batch_dot(x, y, axes)
    return lambda x, y: bj.dot_general(x, y, axes)


@pytest.mark.parametrize("api,xs,ys,axes", GRAD_CASES)
def test_check_grads_order_2(api, xs, ys, axes, rng):
    x, y = jnp.asarray(random_array(rng, xs, "float64")), jnp.asarray(random_array(rng, ys, "float64"))
    check_grads(grad_fn(api, axes), (x, y), order=2, modes=["rev"])
    check_grads(jax.jit(grad_fn(api, axes)), (x, y), order=2, modes=["rev"])


def test_check_grads_order_3_complex(rng):
    x, y = random_array(rng, (3, 4, 5), "complex128"), random_array(rng, (3, 5, 2), "complex128")
    check_grads(bj.batch_dot, (jnp.asarray(x), jnp.asarray(y)), order=3, modes=["rev"])


@pytest.mark.parametrize("dtype", ["float32", "float64", "bfloat16", "float16"])
def test_gradients_bitwise_equal_numpy(dtype, rng):
    for _ in range(10):
        lhs_shape, rhs_shape, dims = random_dims(rng)
        lhs, rhs = random_array(rng, lhs_shape, dtype), random_array(rng, rhs_shape, dtype)
        out = batchdot.dot_general(lhs, rhs, dims)
        g = random_array(rng, out.shape, dtype)
        want = batchdot.dot_general_grad(lhs, rhs, g, dims)
        _, vjp = jax.vjp(lambda a, b: bj.dot_general(a, b, dims), lhs, rhs)
        for got, w in zip(jax.jit(vjp)(g), want):
            assert_bitwise(got, w)


# ---- jit, grad, vmap ----

def test_jit_grad_match_eager(rng):
    x, y = random_array(rng, (4, 3, 5), "float32"), random_array(rng, (4, 5, 6), "float32")
    loss = lambda x, y: jnp.sum(bj.batch_dot(x, y) ** 2)  # noqa: E731
    eager = jax.grad(loss, argnums=(0, 1))(x, y)
    jitted = jax.jit(jax.grad(loss, argnums=(0, 1)))(x, y)
    for a, b in zip(eager, jitted):
        np.testing.assert_allclose(a, b, rtol=1e-6)


VMAP_CASES = [  # in_axes, x shape, y shape (with the mapped axis), axes
    ((0, 0), (7, 3, 4, 5), (7, 3, 5, 2), None),
    ((0, None), (7, 3, 4, 5), (3, 5, 2), None),
    ((None, 0), (3, 4, 5), (7, 3, 5, 2), None),
    ((2, 1), (3, 4, 7, 5), (3, 7, 5, 2), None),
    ((1, 0), (3, 7, 4), (7, 3, 4), None),                  # (B, 1) per item
]


@pytest.mark.parametrize("in_axes,xs,ys,axes", VMAP_CASES)
def test_vmap_equals_loop_and_is_one_call(in_axes, xs, ys, axes, rng):
    x, y = random_array(rng, xs, "float32"), random_array(rng, ys, "float32")
    f = lambda x, y: bj.batch_dot(x, y, axes)  # noqa: E731
    n = (xs[in_axes[0]] if in_axes[0] is not None else ys[in_axes[1]])
    items = [f(np.take(x, i, in_axes[0]) if in_axes[0] is not None else x,
               np.take(y, i, in_axes[1]) if in_axes[1] is not None else y) for i in range(n)]
    mapped = jax.vmap(f, in_axes=in_axes)
    assert_bitwise(jax.jit(mapped)(x, y), np.stack([np.asarray(i) for i in items]))
    jaxpr = str(jax.make_jaxpr(mapped)(x, y))
    assert jaxpr.count("ffi_call") == 1 and "scan" not in jaxpr and "while" not in jaxpr, jaxpr


def test_nested_vmap_and_vmap_of_grad(rng):
    x, y = random_array(rng, (2, 3, 4, 5, 6), "float64"), random_array(rng, (3, 4, 6, 2), "float64")
    f = lambda x, y: bj.batch_dot(x, y)  # noqa: E731
    nested = jax.vmap(jax.vmap(f, in_axes=(0, 0)), in_axes=(0, None))(x, y)
    loop = np.stack([np.stack([np.asarray(f(x[i, j], y[j])) for j in range(3)]) for i in range(2)])
    assert_bitwise(nested, loop)
    grad = jax.grad(lambda x, y: jnp.sum(f(x, y) ** 2))
    batched = jax.jit(jax.vmap(grad, in_axes=(0, None)))(x[:, 0], y[0])
    looped = np.stack([np.asarray(grad(x[i, 0], y[0])) for i in range(2)])
    np.testing.assert_allclose(batched, looped, rtol=1e-12)
    check_grads(jax.vmap(f, in_axes=(0, None)), (jnp.asarray(x[:, 0]), jnp.asarray(y[0])), order=2, modes=["rev"])


# ---- symbolic shapes ----

DISABLED = [export.DisabledSafetyCheck.custom_call(t) for t in (bj._FORWARD, bj._GRAD_LHS, bj._GRAD_RHS)]


@pytest.mark.parametrize("xs,ys,out", [("(b, 4, 5)", "(b, 5, 3)", "(b, 4, 3)"), ("(b, 4)", "(b, 4)", "(b, 1)"),
                                       ("(b, n, 5)", "(b, 5, n)", "(b, n, n)")])
def test_symbolic_shapes(xs, ys, out, rng):
    scope = export.SymbolicScope()
    x_spec = jax.ShapeDtypeStruct(export.symbolic_shape(xs, scope=scope), jnp.float32)
    y_spec = jax.ShapeDtypeStruct(export.symbolic_shape(ys, scope=scope), jnp.float32)
    exported = export.export(jax.jit(bj.batch_dot), disabled_checks=DISABLED)(x_spec, y_spec)
    assert str(exported.out_avals[0].shape).replace(" ", "") == out.replace(" ", "")
    sizes = {"b": 6, "n": 3}
    concrete = lambda spec: tuple(sizes[d] if d in sizes else int(d) for d in spec.strip("()").replace(" ", "").split(","))  # noqa: E731,E501
    x, y = random_array(rng, concrete(xs), "float32"), random_array(rng, concrete(ys), "float32")
    assert_bitwise(exported.call(x, y), batchdot.batch_dot(x, y))
    grad = export.export(jax.jit(jax.grad(lambda x, y: bj.batch_dot(x, y).sum())), disabled_checks=DISABLED)
    assert grad(x_spec, y_spec).call(x, y).shape == x.shape


def test_symbolic_mismatch_is_an_error():
    scope = export.SymbolicScope()
    x = jax.ShapeDtypeStruct(export.symbolic_shape("(b, 4, 5)", scope=scope), jnp.float32)
    y = jax.ShapeDtypeStruct(export.symbolic_shape("(c, 5, 3)", scope=scope), jnp.float32)
    with pytest.raises(ValueError, match=r"batch sizes differ: x.shape\[0\] = b, y.shape\[0\] = c"):
        jax.eval_shape(bj.batch_dot, x, y)


# ---- bad input ----

def test_dot_general_shape_error_is_type_error_with_batchdot_message():
    lhs, rhs, dims = np.ones((3, 4)), np.ones((3, 5)), (((1,), (1,)), ((), ()))
    _, want = numpy_outcome(lambda: batchdot.dot_general(lhs, rhs, dims))
    for run in (bj.dot_general, jax.jit(bj.dot_general, static_argnums=2)):
        with pytest.raises(TypeError) as got:
            run(lhs, rhs, dims)
        assert str(got.value) == str(want)
        # The NumPy front end's class, so one handler serves both (and ValueError still catches it).
        assert isinstance(got.value, batchdot.DotGeneralError) and isinstance(got.value, ValueError)
    with pytest.raises(TypeError, match="out of range"):
        bj.dot_general(lhs, rhs, (((2,), (1,)), ((), ())))


def test_batch_dot_errors_are_keras_classes():
    with pytest.raises(ValueError, match="batch sizes differ"):
        jax.jit(bj.batch_dot)(jnp.ones((3, 4)), jnp.ones((4, 4)))
    with pytest.raises(TypeError):
        bj.batch_dot(jnp.ones((3, 4)), jnp.ones((3, 4)), "1")


@pytest.mark.parametrize("dtype", ["bool", "int8", "uint8", "int16", "uint32", "float8_e4m3fn"])
def test_unsupported_dtype_refused_at_trace_time(dtype):
    x = jnp.ones((3, 4), getattr(jnp, dtype))
    for run in (bj.batch_dot, jax.jit(bj.batch_dot)):
        with pytest.raises(TypeError, match="supported: float32, float64, int32, int64, float16, bfloat16"):
            run(x, x)
    with pytest.raises(TypeError, match=f"dtype {dtype}"):
        jax.make_jaxpr(lambda a: bj.dot_general(a, a, (((1,), (1,)), ((), ()))))(x)


def test_bitwise_equal_for_every_thread_count():
    """The same bits with 1 and 2 threads (batchdot's fixed split, never along K)."""
    script = textwrap.dedent("""
        import hashlib, jax, jax.numpy as jnp, numpy as np, batchdot.jax as bj
        rng = np.random.default_rng(5)
        x = rng.standard_normal((16, 96, 64), np.float32)
        y = rng.standard_normal((16, 64, 80), np.float32)
        out, vjp = jax.vjp(bj.batch_dot, x, y)
        parts = (out,) + vjp(jnp.ones_like(out))
        print(hashlib.sha256(b"".join(np.asarray(p).tobytes() for p in parts)).hexdigest())
    """)
    digests = set()
    for threads in ("1", "2"):
        env = dict(os.environ, BATCHDOT_NUM_THREADS=threads)
        done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        digests.add(done.stdout.strip())
    assert len(digests) == 1, digests


def test_nothing_crashes_the_interpreter():
    """Bad calls in a child process: each raises a Python exception, the child exits normally."""
    script = textwrap.dedent("""
        import jax, jax.numpy as jnp, numpy as np, batchdot.jax as bj
        bad = [
            lambda: bj.batch_dot(jnp.ones((3, 4)), jnp.ones((4, 4))),
            lambda: bj.batch_dot(jnp.ones((3,)), jnp.ones((3, 4))),
            lambda: bj.batch_dot("x", jnp.ones((3, 4))),
            lambda: bj.batch_dot(jnp.ones((3, 4)), jnp.ones((3, 4)), (5, 1)),
            lambda: bj.dot_general(jnp.ones((3, 4)), jnp.ones((4, 5)), (((1, 1), (0, 0)), ((), ()))),
            lambda: bj.dot_general(jnp.ones((3, 4)), jnp.ones((4, 5)), "dims"),
            lambda: bj.dot_general(jnp.ones((3, 4)), jnp.ones((4, 5)), (((-1,), (0,)), ((), ()))),
            lambda: bj.batch_dot(jnp.ones((3, 4), jnp.bool_), jnp.ones((3, 4))),
            # The handler's own checks: dimension numbers that do not fit the buffers.
            lambda: bj._forward(jnp.ones((3, 4)), jnp.ones((4, 5)), ((1,), (1,), (), ()), (3, 4)),
            lambda: bj._call(bj._FORWARD, (3, 5), jnp.float32, jnp.ones((3, 4)), jnp.ones((4, 5)),
                             ((7,), (0,), (), ())),
            lambda: bj._call(bj._FORWARD, (3, 5), jnp.float32, jnp.ones((3, 4), jnp.int8),
                             jnp.ones((4, 5), jnp.int8), ((1,), (0,), (), ())),
        ]
        for i, call in enumerate(bad):
            try:
                jax.block_until_ready(call())
            except Exception as e:
                print(i, type(e).__name__, str(e).splitlines()[0][:200])
            else:
                print(i, "NO ERROR")
        print("survived")
    """)
    env = {k: v for k, v in os.environ.items()}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    print(done.stdout, done.stderr[-2000:])
    assert done.returncode == 0 and done.stdout.strip().endswith("survived"), done.stderr[-2000:]
    assert "NO ERROR" not in done.stdout


# ---- the conformance suite, on the op ----

def test_conformance_suite_with_the_op_in_place_of_numpy():
    """test_jax.py with batchdot.jax in place of the NumPy front end (jax_in_place.py), on a
    reduced case count: every shape is an XLA compile (200 cases: about 70 s)."""
    out = run_suite_in_place("jax_in_place", "test_jax.py", cases=200)
    assert "total:" in out, out[-2000:]  # the suite compared cases, not skipped them
