"""batch_dot_grad, mindspore.batch_dot_grad and dot_general_grad against a float64
np.einsum oracle (which knows nothing of the transpose rule) on thousands of random
contractions, with strided, transposed and negative-stride inputs and grad_out;
the adjoint identity; thread-count determinism; errors."""
import string

import numpy as np
import pytest

import batchdot

# Cases each randomized test runs (the report counts them).
DOT_GENERAL_CASES = 4000
KERAS_CASES = 3000
MINDSPORE_CASES = 1000
LAYOUTS = ("c", "fortran", "step2", "negative", "permuted")


def laid_out(a, layout, rng):
    """The same values as `a`, in another memory layout (a view, never contiguous C
    unless layout == "c")."""
    if a.ndim == 0:
        return a.copy()  # np.ascontiguousarray would make it 1-d
    if layout == "fortran":
        return np.asfortranarray(a)
    if layout == "step2":
        big = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), a.dtype)
        big[..., ::2] = a
        return big[..., ::2]
    if layout == "negative":
        flipped = np.ascontiguousarray(a[(slice(None, None, -1),) * a.ndim])
        return flipped[(slice(None, None, -1),) * a.ndim]
    if layout == "permuted" and a.ndim > 1:
        order = rng.permutation(a.ndim)
        return np.ascontiguousarray(a.transpose(order)).transpose(np.argsort(order))
    return np.ascontiguousarray(a)


def random_array(shape, dtype, rng):
    return rng.standard_normal(shape).astype(dtype)


def random_shape_sizes(count, rng, budget=3000):
    """`count` sizes in 0..17 whose product stays under `budget` elements-ish."""
    sizes, product = [], 1
    for _ in range(count):
        hi = 17 if product * 17 <= budget else max(1, min(17, budget // max(product, 1)))
        s = int(rng.integers(0, hi + 1)) if rng.random() < 0.08 else int(rng.integers(1, hi + 1))
        sizes.append(s)
        product *= max(s, 1)
    return sizes


def einsum_grads(x, y, dims, g):
    """float64 oracle: the forward einsum's subscripts, solved for x and for y."""
    (lc, rc), (lb, rb) = dims
    letters = iter(string.ascii_letters)
    xs, ys = [None] * x.ndim, [None] * y.ndim
    for a, b in zip(lb, rb):
        xs[a] = ys[b] = next(letters)
    for a, b in zip(lc, rc):
        xs[a] = ys[b] = next(letters)
    for i in range(x.ndim):
        xs[i] = xs[i] or next(letters)
    for i in range(y.ndim):
        ys[i] = ys[i] or next(letters)
    gs = [xs[a] for a in lb] + [xs[i] for i in range(x.ndim) if i not in lb and i not in lc] + \
         [ys[i] for i in range(y.ndim) if i not in rb and i not in rc]
    X, Y, G = "".join(xs), "".join(ys), "".join(gs)
    x64, y64, g64 = x.astype(np.float64), y.astype(np.float64), g.astype(np.float64)
    gx = np.einsum(f"{G},{Y}->{X}", g64, y64)
    gy = np.einsum(f"{G},{X}->{Y}", g64, x64)
    # Error bounds: terms per element times eps times the sum of |terms|.
    bx = np.einsum(f"{G},{Y}->{X}", np.abs(g64), np.abs(y64))
    by = np.einsum(f"{G},{X}->{Y}", np.abs(g64), np.abs(x64))
    # A grad_x element sums over y's free axes, a grad_y element over x's.
    lx = int(np.prod([y.shape[i] for i in range(y.ndim) if i not in rb and i not in rc]))
    ly = int(np.prod([x.shape[i] for i in range(x.ndim) if i not in lb and i not in lc]))
    return (gx, bx, lx), (gy, by, ly)


def assert_close(got, want, dtype):
    value, bound, terms = want
    assert got.shape == value.shape and got.dtype == dtype
    eps = np.finfo(dtype).eps
    tol = 2 * eps * (terms + 2) * bound + 1e-300
    bad = np.abs(got.astype(np.float64) - value) > tol
    assert not bad.any(), (got[bad][:5], value[bad][:5])


def random_dot_general(rng):
    """Random dimension numbers over operands of total rank 2..6 (each 1..5)."""
    while True:
        nb, nc = int(rng.integers(0, 3)), int(rng.integers(0, 3))
        nxf, nyf = int(rng.integers(0, 3)), int(rng.integers(0, 3))
        xr, yr = nb + nc + nxf, nb + nc + nyf
        if 1 <= xr and 1 <= yr and 2 <= xr + yr <= 8 and max(xr, yr) <= 6:
            break
    sizes = random_shape_sizes(nb + nc + nxf + nyf, rng)
    xa, ya = rng.permutation(xr), rng.permutation(yr)
    xshape, yshape = [0] * xr, [0] * yr
    for i in range(nb + nc):
        xshape[xa[i]] = yshape[ya[i]] = sizes[i]
    for i in range(nxf):
        xshape[xa[nb + nc + i]] = sizes[nb + nc + i]
    for i in range(nyf):
        yshape[ya[nb + nc + i]] = sizes[nb + nc + nxf + i]
    to_list = lambda a: tuple(int(v) for v in a)  # noqa: E731
    dims = ((to_list(xa[nb:nb + nc]), to_list(ya[nb:nb + nc])), (to_list(xa[:nb]), to_list(ya[:nb])))
    return tuple(xshape), tuple(yshape), dims


def run_case(fn, x, y, g, dims, dtype, rng, spec):
    xv, yv, gv = (laid_out(a, LAYOUTS[int(rng.integers(0, len(LAYOUTS)))], rng) for a in (x, y, g))
    gx, gy = fn(xv, yv, gv, spec)
    want_x, want_y = einsum_grads(x, y, dims, g)
    assert_close(gx, want_x, dtype)
    assert_close(gy, want_y, dtype)
    return 1


def test_dot_general_grad_matches_einsum_oracle():
    rng = np.random.default_rng(81)
    cases = 0
    for i in range(DOT_GENERAL_CASES):
        xshape, yshape, dims = random_dot_general(rng)
        dtype = (np.float32, np.float64)[i % 2]
        x, y = random_array(xshape, dtype, rng), random_array(yshape, dtype, rng)
        g = random_array(batchdot.dot_general(x, y, dims).shape, dtype, rng)
        cases += run_case(batchdot.dot_general_grad, x, y, g, dims, dtype, rng, dims)
    assert cases == DOT_GENERAL_CASES


def random_keras_axes(xr, yr, rng):
    """Every form Keras accepts, and the resolved (a0, a1)."""
    a0, a1 = int(rng.integers(1, xr)), int(rng.integers(1, yr))
    form = int(rng.integers(0, 5))
    if form == 0:
        return None, (xr - 1, yr - 1 if yr == 2 else yr - 2)
    if form == 1 and xr == yr:
        return (a0 if rng.random() < 0.5 else a0 - xr), (a0, a0)
    if form == 2:
        return [a0, a1], (a0, a1)
    if form == 3:
        return (a0 - xr, a1 - yr), (a0, a1)
    return (a0, a1), (a0, a1)


def keras_shapes(rng):
    xr, yr = int(rng.integers(2, 7)), int(rng.integers(2, 7))
    sizes = random_shape_sizes(xr + yr - 1, rng, budget=2500)
    return xr, yr, sizes


def test_keras_batch_dot_grad_matches_einsum_oracle():
    rng = np.random.default_rng(82)
    cases = 0
    for i in range(KERAS_CASES):
        xr, yr, sizes = keras_shapes(rng)
        axes, (a0, a1) = random_keras_axes(xr, yr, rng)
        xshape = [sizes[0]] + sizes[1:xr]
        yshape = [sizes[0]] + sizes[xr:xr + yr - 1]
        yshape[a1] = xshape[a0]
        dtype = (np.float32, np.float64)[i % 2]
        x, y = random_array(xshape, dtype, rng), random_array(yshape, dtype, rng)
        out_shape = batchdot.batch_dot(x, y, axes).shape
        g = random_array(out_shape, dtype, rng)
        dims = (((a0,), (a1,)), ((0,), (0,)))
        g_oracle = g[:, 0] if xr == 2 and yr == 2 else g
        xv, yv, gv = (laid_out(a, LAYOUTS[int(rng.integers(0, len(LAYOUTS)))], rng) for a in (x, y, g))
        gx, gy = batchdot.batch_dot_grad(xv, yv, gv, axes)
        want_x, want_y = einsum_grads(x, y, dims, g_oracle)
        assert_close(gx, want_x, dtype)
        assert_close(gy, want_y, dtype)
        cases += 1
    assert cases == KERAS_CASES


def test_mindspore_batch_dot_grad_matches_einsum_oracle():
    rng = np.random.default_rng(83)
    cases = 0
    for _ in range(MINDSPORE_CASES):
        xr, yr, sizes = keras_shapes(rng)
        a0, a1 = int(rng.integers(1, xr)), int(rng.integers(1, yr))
        axes = rng.choice(["none", "int", "pair", "negative"])
        if axes == "none":
            axes, a0, a1 = None, xr - 1, (yr - 1 if yr == 2 else yr - 2)
        elif axes == "int" and xr == yr:
            axes, a1 = a0, a0
        elif axes == "negative":
            axes = (a0 - xr, a1 - yr)
        else:
            axes = [a0, a1]
        xshape = [max(1, sizes[0])] + sizes[1:xr]
        yshape = [xshape[0]] + sizes[xr:xr + yr - 1]
        yshape[a1] = xshape[a0]
        x, y = random_array(xshape, np.float32, rng), random_array(yshape, np.float32, rng)
        g = random_array(batchdot.mindspore.batch_dot(x, y, axes).shape, np.float32, rng)
        g_oracle = g[:, 0] if xr == 2 and yr == 2 else g
        xv, yv, gv = (laid_out(a, LAYOUTS[int(rng.integers(0, len(LAYOUTS)))], rng) for a in (x, y, g))
        gx, gy = batchdot.mindspore.batch_dot_grad(xv, yv, gv, axes)
        want_x, want_y = einsum_grads(x, y, (((a0,), (a1,)), ((0,), (0,))), g_oracle)
        assert_close(gx, want_x, np.float32)
        assert_close(gy, want_y, np.float32)
        cases += 1
    assert cases == MINDSPORE_CASES


def test_adjoint_identity_on_random_directions():
    # <g, f(dx, y) + f(x, dy)> == <gx, dx> + <gy, dy>
    rng = np.random.default_rng(84)
    for _ in range(100):
        xshape, yshape, dims = random_dot_general(rng)
        x, y, dx, dy = (rng.standard_normal(s) for s in (xshape, yshape, xshape, yshape))
        g = rng.standard_normal(batchdot.dot_general(x, y, dims).shape)
        gx, gy = batchdot.dot_general_grad(x, y, g, dims)
        lhs = np.vdot(g, batchdot.dot_general(dx, y, dims) + batchdot.dot_general(x, dy, dims))
        rhs = np.vdot(gx, dx) + np.vdot(gy, dy)
        assert abs(lhs - rhs) <= 1e-9 * (1 + abs(lhs)), (xshape, yshape, dims)


def test_gradients_bitwise_equal_for_1_2_3_threads(restore_threads):
    rng = np.random.default_rng(85)
    x = rng.standard_normal((8, 64, 96)).astype(np.float32).transpose(0, 2, 1)  # (8, 96, 64), strided
    y = rng.standard_normal((8, 64, 120)).astype(np.float32)
    g = rng.standard_normal((8, 96, 120)).astype(np.float32)[:, ::-1]
    results = []
    for threads in (1, 2, 3):
        batchdot.set_num_threads(threads)
        results.append(batchdot.batch_dot_grad(x, y, g))
    for gx, gy in results[1:]:
        assert gx.tobytes() == results[0][0].tobytes()
        assert gy.tobytes() == results[0][1].tobytes()


def test_mixed_dtypes_return_each_inputs_dtype():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    y = np.arange(8, dtype=np.float64).reshape(2, 4)
    g = np.ones((2, 3), np.float64)
    gx, gy = batchdot.batch_dot_grad(x, y, g)
    assert gx.dtype == np.float32 and gy.dtype == np.float64
    want_x, want_y = einsum_grads(x, y, (((2,), (1,)), ((0,), (0,))), g)
    assert_close(gx, want_x, np.float32)
    assert_close(gy, want_y, np.float64)


def test_zero_size_and_empty_contraction():
    gx, gy = batchdot.batch_dot_grad(np.ones((2, 0, 3)), np.ones((2, 3, 4)), np.ones((2, 0, 4)))
    assert gx.shape == (2, 0, 3) and gy.shape == (2, 3, 4) and not gy.any()
    gx, gy = batchdot.batch_dot_grad(np.ones((2, 3, 0)), np.ones((2, 0, 4)), np.ones((2, 3, 4)))
    assert gx.shape == (2, 3, 0) and gy.shape == (2, 0, 4)


def test_errors():
    x, y = np.ones((2, 3, 4), np.float32), np.ones((2, 4, 5), np.float32)
    with pytest.raises(ValueError, match=r"grad_out has shape \(2, 3, 4\), the output has shape \(2, 3, 5\)"):
        batchdot.batch_dot_grad(x, y, np.ones((2, 3, 4), np.float32))
    with pytest.raises(TypeError, match="grad_out has dtype float64, the output has dtype float32"):
        batchdot.batch_dot_grad(x, y, np.ones((2, 3, 5)))
    with pytest.raises(TypeError, match="grad_out has dtype bool"):
        batchdot.batch_dot_grad(x, y, np.ones((2, 3, 5), bool))
    with pytest.raises(TypeError, match="int8"):
        batchdot.batch_dot_grad(x.astype(np.int8), y, np.ones((2, 3, 5), np.float32))
    with pytest.raises(ValueError, match="axis 0"):
        batchdot.batch_dot_grad(x, y, np.ones((2, 3, 5), np.float32), 0)
    with pytest.raises(TypeError, match="Float64"):
        batchdot.mindspore.batch_dot_grad(x.astype(np.float64), y, np.ones((2, 3, 5)))
    with pytest.raises(ValueError, match="out of range"):
        batchdot.dot_general_grad(x, y, np.ones((2, 3, 5), np.float32), (((5,), (1,)), ((0,), (0,))))
    with pytest.raises(TypeError, match="missing required argument 'grad_out'"):
        batchdot.batch_dot_grad(x, y)


def test_docstring_examples():
    import doctest

    finder, failed = doctest.DocTestFinder(), 0
    for fn in (batchdot.batch_dot_grad, batchdot.mindspore.batch_dot_grad, batchdot.dot_general_grad):
        assert "Example" in fn.__doc__
        for test in finder.find(fn, fn.__name__, globs={}):
            failed += doctest.DocTestRunner().run(test).failed
    assert failed == 0


def test_import_batchdot_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, batchdot; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
