"""atheris target over batchdot's Python front ends: batch_dot, mindspore.batch_dot,
dot_general and the three gradient functions, with random ranks, shapes, dtypes
(supported or not), strides (transposed, reversed, sliced, broadcast), every axes
spelling (ints, tuples, lists, NumPy integers, bools, floats, strings, nested,
huge and negative values) and out= arrays and views.

Every call must either return what an independent oracle computes (np.einsum in
float64/complex128 from the rules, written here without batchdot) or raise
ValueError/TypeError with a one-line message; anything else (another exception, a
wrong value, a crash, a hang) is a finding.
    usage: venv/fuzz/bin/python fuzz/python_frontends_fuzz.py [libFuzzer flags] [corpus dir]
"""

import string
import sys

import atheris

with atheris.instrument_imports():
    import numpy as np

import batchdot

try:
    import ml_dtypes
    BF16 = np.dtype(ml_dtypes.bfloat16)
except ImportError:  # the target runs without it, bfloat16 left out
    BF16 = None

SUPPORTED = [np.float32, np.float64, np.int32, np.int64, np.float16, np.complex64, np.complex128]
UNSUPPORTED = [np.bool_, np.int8, np.uint8, np.uint32, np.int16, np.longdouble, object]
LETTERS = string.ascii_letters
EPS = {"float16": 2.0**-10, "bfloat16": 2.0**-7, "float32": 2.0**-23, "complex64": 2.0**-23}


def consume_dtype(fdp):
    pick = fdp.ConsumeIntInRange(0, 19)
    if pick < 14:
        return np.dtype(SUPPORTED[pick % len(SUPPORTED)])
    if pick < 16 and BF16 is not None:
        return BF16
    return np.dtype(UNSUPPORTED[pick % len(UNSUPPORTED)])


def consume_shape(fdp, rank=None):
    if rank is None:
        rank = fdp.ConsumeIntInRange(0, 6)
    return [fdp.ConsumeIntInRange(0, 4) for _ in range(rank)]


def consume_array(fdp, rank=None, shape=None, dtype=None):
    """An array with random values, then a random view of it (strides of every kind)."""
    if shape is None:
        shape = consume_shape(fdp, rank)
    rank = len(shape)
    if dtype is None:
        dtype = consume_dtype(fdp)
    values = np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape) % 5 - 2
    try:
        a = values.astype(dtype)
    except (TypeError, ValueError):
        a = values.astype(np.float32)
    view = fdp.ConsumeIntInRange(0, 7)
    if view == 1 and rank >= 2:
        a = np.swapaxes(a, 0, rank - 1).copy()
        a = np.swapaxes(a, 0, rank - 1)  # same shape, Fortran-like strides
    elif view == 2 and rank >= 1:
        a = a[::-1]
    elif view == 3 and rank >= 1:
        a = np.repeat(a, 2, axis=0)[::2]
    elif view == 4 and rank >= 1 and a.size:
        a = np.broadcast_to(a[:1], a.shape)  # zero stride
    elif view == 5:
        a = np.asfortranarray(a)
    elif view == 6 and a.dtype.kind in "fc":
        a = a.astype(a.dtype.newbyteorder(">"))  # non-native byte order
    elif view == 7 and rank >= 1:
        a = a.tolist() if fdp.ConsumeBool() else a  # a nested list, converted by numpy.asarray
    return a


def consume_axis_value(fdp, depth=0):
    pick = fdp.ConsumeIntInRange(0, 13)
    small = fdp.ConsumeIntInRange(-8, 8)
    if pick <= 5:
        return small
    return [
        lambda: np.int64(small), lambda: np.int32(small), lambda: bool(small % 2), lambda: np.bool_(small % 2),
        lambda: float(small), lambda: 2**fdp.ConsumeIntInRange(31, 80) * (1 if small >= 0 else -1),
        lambda: str(small),
        lambda: consume_axes(fdp, depth + 1) if depth < 3 else None,
    ][pick - 6]()


def consume_axes(fdp, depth=0):
    pick = fdp.ConsumeIntInRange(0, 4)
    if pick == 0:
        return None
    if pick == 1:
        return consume_axis_value(fdp, depth)
    items = [consume_axis_value(fdp, depth) for _ in range(fdp.ConsumeIntInRange(0, 3))]
    return tuple(items) if pick in (2, 4) else items


def consume_dimension_numbers(fdp, xn, yn):
    """Mostly well-formed dimension numbers over in-range axes, sometimes anything."""
    if fdp.ConsumeIntInRange(0, 9) == 0:
        return consume_axes(fdp)
    def axes(n, rank):
        if fdp.ConsumeIntInRange(0, 7) == 0:
            return [fdp.ConsumeIntInRange(-1, rank) for _ in range(n)]  # out of range now and then
        return [fdp.ConsumeIntInRange(0, max(rank - 1, 0)) for _ in range(n)]
    nc, nb = fdp.ConsumeIntInRange(0, 2), fdp.ConsumeIntInRange(0, 2)
    spell = fdp.ConsumeIntInRange(0, 2)
    conv = [tuple, list, lambda v: np.asarray(v, np.int64)][spell]
    return ((conv(axes(nc, xn)), conv(axes(nc, yn))), (conv(axes(nb, xn)), conv(axes(nb, yn))))


# ---- the oracle: the rules, written without batchdot ----

def keras_pair(xn, yn, axes, mindspore):
    """Normalised (a0, a1) where Keras (or MindSpore) computes, else None."""
    if axes is None:
        pair = (xn - 1, yn - 1 if yn == 2 else yn - 2)
    elif type(axes) is int and not (mindspore and axes == 0):
        pair = (axes, axes)
    elif type(axes) is bool and not mindspore:
        pair = (int(axes), int(axes))  # Keras' isinstance(axes, int): True is (1, 1)
    elif isinstance(axes, (tuple, list)) and len(axes) == 2 and all(type(a) is int for a in axes):
        pair = tuple(axes)
    elif isinstance(axes, (tuple, list)) and len(axes) == 2 and all(
            isinstance(a, (int, np.integer)) for a in axes) and not mindspore:
        pair = (int(axes[0]), int(axes[1]))  # Keras indexes shapes with them: bools and NumPy ints work
    else:
        return None
    a0, a1 = (pair[0] + xn if pair[0] < 0 else pair[0]), (pair[1] + yn if pair[1] < 0 else pair[1])
    return (a0, a1) if 0 < a0 < xn and 0 < a1 < yn else None


def keras_oracle(x, y, a0, a1):
    xn, yn = x.ndim, y.ndim
    xl = list(LETTERS[:xn])
    yl = [xl[0]] + list(LETTERS[xn:xn + yn - 1])
    yl[a1] = xl[a0]
    out = [xl[0]] + [c for i, c in enumerate(xl) if i not in (0, a0)] + [c for i, c in enumerate(yl)
                                                                          if i not in (0, a1)]
    r = np.einsum(f"{''.join(xl)},{''.join(yl)}->{''.join(out)}", x, y)
    return r.reshape(r.shape + (1,)) if xn == 2 and yn == 2 else r


def dot_general_oracle(x, y, dims):
    (lc, rc), (lb, rb) = [[[int(a) for a in side] for side in pair] for pair in dims]
    xl = list(LETTERS[:x.ndim])
    yl = list(LETTERS[x.ndim:x.ndim + y.ndim])
    for a, b in zip(lc + lb, rc + rb):
        yl[b] = xl[a]
    out = [xl[a] for a in lb] + [xl[i] for i in range(x.ndim) if i not in lc + lb] + [
        yl[i] for i in range(y.ndim) if i not in rc + rb]
    return np.einsum(f"{''.join(xl)},{''.join(yl)}->{''.join(out)}", x, y)


def wide(a):
    a = np.asarray(a)
    return a.astype(np.complex128 if a.dtype.kind == "c" else np.float64)


def check_close(want, got, what):
    got = np.asarray(got)
    assert want.shape == got.shape, f"{what}: shape {got.shape}, oracle {want.shape}"
    eps = EPS.get(str(got.dtype), 2.0**-50)
    tol = 64 * eps * (1 + np.abs(want))
    assert np.all(np.abs(wide(got) - want) <= tol), f"{what}: values differ from the oracle"


def check_error(exc, what):
    assert isinstance(exc, (ValueError, TypeError)), f"{what}: {type(exc).__name__}: {exc}"
    message = str(exc)
    assert message and "\n" not in message, f"{what}: message is not one line: {message!r}"


STATS = {"gradient": 0}  # for a look at what the inputs reach, not used by atheris
FUNCTIONS = ["batch_dot", "mindspore.batch_dot", "dot_general", "batch_dot_grad", "mindspore.batch_dot_grad",
             "dot_general_grad"]


def TestOneInput(data):  # noqa: N802 - atheris' name
    fdp = atheris.FuzzedDataProvider(data)
    which = fdp.ConsumeIntInRange(0, len(FUNCTIONS) - 1)
    name = FUNCTIONS[which]
    # Shapes that fit the axes most of the time, so that most calls compute.
    def rank():
        return fdp.ConsumeIntInRange(2, 6) if fdp.ConsumeIntInRange(0, 7) else fdp.ConsumeIntInRange(0, 1)
    xs, ys = consume_shape(fdp, rank()), consume_shape(fdp, rank())
    if "dot_general" in name:
        spec = consume_dimension_numbers(fdp, len(xs), len(ys))
        if fdp.ConsumeIntInRange(0, 4) and isinstance(spec, tuple) and len(spec) == 2:
            try:
                for xa_, ya_ in zip(list(spec[0][0]) + list(spec[1][0]), list(spec[0][1]) + list(spec[1][1])):
                    if 0 <= int(xa_) < len(xs) and 0 <= int(ya_) < len(ys):
                        ys[int(ya_)] = xs[int(xa_)]
            except (TypeError, ValueError, IndexError):
                pass
    else:
        spec = consume_axes(fdp)
        if fdp.ConsumeIntInRange(0, 4) and xs and ys:
            ys[0] = xs[0]
            pair = keras_pair(len(xs), len(ys), spec, False)
            if pair is not None:
                ys[pair[1]] = xs[pair[0]]
    dtype = consume_dtype(fdp)
    if name.startswith("mindspore") and fdp.ConsumeIntInRange(0, 3):
        dtype = np.dtype(np.float32)  # the only dtype MindSpore takes
    x = consume_array(fdp, shape=xs, dtype=dtype)
    y = consume_array(fdp, shape=ys, dtype=dtype if fdp.ConsumeIntInRange(0, 3) else None)
    xa, ya = np.asarray(x), np.asarray(y)
    fn = {"batch_dot": batchdot.batch_dot, "mindspore.batch_dot": batchdot.mindspore.batch_dot,
          "dot_general": batchdot.dot_general, "batch_dot_grad": batchdot.batch_dot_grad,
          "mindspore.batch_dot_grad": batchdot.mindspore.batch_dot_grad,
          "dot_general_grad": batchdot.dot_general_grad}[name]
    what = f"{name}({xa.shape} {xa.dtype}, {ya.shape} {ya.dtype}, {spec!r})"
    if name.endswith("_grad"):
        g = consume_array(fdp, rank=fdp.ConsumeIntInRange(0, 6))
        if fdp.ConsumeIntInRange(0, 3):
            try:  # the output's shape and dtype, as a caller passes it
                forward = {"dot_general_grad": batchdot.dot_general, "batch_dot_grad": batchdot.batch_dot,
                           "mindspore.batch_dot_grad": batchdot.mindspore.batch_dot}[name]
                shaped = np.asarray(forward(x, y, spec))
                g = consume_array(fdp, shape=list(shaped.shape), dtype=shaped.dtype)
            except (ValueError, TypeError):
                pass
        try:
            gx, gy = fn(x, y, g, spec)
        except Exception as exc:  # noqa: BLE001
            check_error(exc, what)
            return
        # A bilinear f has <grad_x, x> = <g, f(x, y)> = <grad_y, y> (Euler's identity).
        ga = np.asarray(g)
        STATS["gradient"] += 1
        assert gx.shape == xa.shape and gy.shape == ya.shape, f"{what}: gradient shapes {gx.shape} {gy.shape}"
        out = batchdot.dot_general(x, y, spec) if name == "dot_general_grad" else (
            batchdot.batch_dot(x, y, spec) if name == "batch_dot_grad" else batchdot.mindspore.batch_dot(x, y, spec))
        inner = np.vdot(wide(ga).conj().ravel(), wide(out).ravel()) if ga.size else 0
        for grad, operand in ((gx, xa), (gy, ya)):
            dot = np.vdot(wide(grad).conj().ravel(), wide(operand).ravel()) if operand.size else 0
            scale = 1 + np.abs(wide(ga)).sum() * 4 * max(operand.shape + (1,)) ** 3
            # With mixed dtypes the gradient is converted to its operand's dtype once
            # (integers truncate, half types round): <grad, input> moves by up to one
            # unit of that dtype per element, times the operand.
            unit = 1.0 if grad.dtype.kind in "iu" else EPS.get(str(grad.dtype), 2.0**-50) * (
                1 + (np.abs(wide(grad)).max() if grad.size else 0))
            converted = unit * np.abs(wide(operand)).sum() if operand.size else 0
            assert abs(dot - inner) <= 1e-2 * scale + converted, f"{what}: <grad, input> {dot} != <g, out> {inner}"
        return
    out = None
    if fdp.ConsumeBool():
        out = consume_array(fdp)
        if isinstance(out, list):
            out = np.asarray(out)
        if fdp.ConsumeBool() and isinstance(x, np.ndarray) and x.size:
            out = x  # overlapping the input
    try:
        result = fn(x, y, spec, out=out) if out is not None else fn(x, y, spec)
    except Exception as exc:  # noqa: BLE001
        check_error(exc, what)
        return
    if out is not None:
        assert result is out, f"{what}: out= given but another array returned"
    # Integers wrap (as NumPy's do): the oracle sums in the result's integer type and
    # must match exactly; everything else is summed in float64/complex128.
    integral = np.asarray(result).dtype.kind in "iu"
    widen = (lambda a: a.astype(np.asarray(result).dtype)) if integral else wide
    if name == "dot_general":
        want = dot_general_oracle(widen(xa), widen(ya), spec)
    else:
        pair = keras_pair(xa.ndim, ya.ndim, spec, name.startswith("mindspore"))
        assert pair is not None, f"{what}: returned, but the axes are invalid by the rules"
        want = keras_oracle(widen(xa), widen(ya), *pair)
    if integral:
        assert np.array_equal(want, np.asarray(result)), f"{what}: integer values differ from the oracle"
    else:
        check_close(want, result, what)
    if BF16 not in (xa.dtype, ya.dtype):
        assert np.asarray(result).dtype == np.result_type(xa, ya), f"{what}: dtype {np.asarray(result).dtype}"


if __name__ == "__main__":
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
