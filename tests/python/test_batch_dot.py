"""batchdot.batch_dot (Keras rules): case vectors, a NumPy oracle, layouts, out=, errors, DLPack."""
import sys

import numpy as np
import pytest

import batchdot
from conftest import EXCEPTIONS, assert_close, assert_error_kind, axes_for_python, case_inputs, keras_axes, load_cases, oracle

KERAS_CASES = load_cases("keras.json")


# ---------------------------------------------------------------- case vectors

@pytest.mark.parametrize("case", KERAS_CASES, ids=[c["id"] for c in KERAS_CASES])
def test_keras_case(case, rng):
    x, y = case_inputs(case, rng)
    axes = axes_for_python(case["axes"])
    if "error" in case:
        with pytest.raises(EXCEPTIONS[case["error"]]) as info:
            batchdot.batch_dot(x, y, axes)
        assert_error_kind(info.value, case["error"])
        assert str(info.value) and "\n" not in str(info.value)
        return
    got = batchdot.batch_dot(x, y, axes)
    assert isinstance(got, np.ndarray)
    assert list(got.shape) == case["out_shape"]
    assert got.dtype == np.result_type(x.dtype, y.dtype)
    if "expected" in case:
        np.testing.assert_array_equal(got, np.array(case["expected"]))
    elif "expected_fill" in case:
        np.testing.assert_array_equal(got, np.full(case["out_shape"], case["expected_fill"]))
    a0, a1 = keras_axes(x.ndim, y.ndim, axes)
    np.testing.assert_array_equal(got, oracle(x, y, a0, a1))  # small integers: exact


def test_keras_module_is_the_same_function():
    assert batchdot.keras.batch_dot is batchdot.batch_dot


def test_seed_examples():
    x = np.ones((10, 12, 4, 5), np.float32)
    y = np.ones((10, 12, 5, 8), np.float32)
    assert batchdot.batch_dot(x, y).shape == (10, 12, 4, 12, 8)
    got = batchdot.mindspore.batch_dot(np.ones((2, 2), np.float32), np.ones((2, 3, 2), np.float32), (1, 2))
    np.testing.assert_array_equal(got, np.full((2, 3), 2.0, np.float32))
    assert got.dtype == np.float32


# ---------------------------------------------------------------- random shapes vs oracle

def random_case(rng, dtype):
    """A random valid Keras call: shapes, axes, inputs."""
    x_ndim, y_ndim = rng.integers(2, 5, size=2)
    batch = int(rng.integers(1, 5))
    k = int(rng.choice([1, 2, 3, 7, 16, 17, 33, 64, 65, 130]))
    a0, a1 = int(rng.integers(1, x_ndim)), int(rng.integers(1, y_ndim))
    xs = [batch] + [int(d) for d in rng.integers(1, 6, size=x_ndim - 1)]
    ys = [batch] + [int(d) for d in rng.integers(1, 6, size=y_ndim - 1)]
    xs[a0], ys[a1] = k, k
    if dtype.kind == "f":
        x = rng.standard_normal(xs).astype(dtype)
        y = rng.standard_normal(ys).astype(dtype)
    else:
        x = rng.integers(-100, 100, xs).astype(dtype)
        y = rng.integers(-100, 100, ys).astype(dtype)
    axes = (a0 - x_ndim if rng.random() < 0.3 else a0, a1 - y_ndim if rng.random() < 0.3 else a1)
    return x, y, axes, (a0, a1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64])
def test_random_shapes_against_oracle(dtype, rng):
    for _ in range(40):
        x, y, axes, (a0, a1) = random_case(rng, np.dtype(dtype))
        got = batchdot.batch_dot(x, y, axes)
        assert got.dtype == dtype
        assert_close(got, x, y, a0, a1)


@pytest.mark.parametrize("dtype", [np.float16, np.complex64, np.complex128])
def test_other_dtypes(dtype, rng):
    x = (rng.integers(-3, 4, (3, 4, 5)) + (1j * rng.integers(-3, 4, (3, 4, 5)) if np.dtype(dtype).kind == "c" else 0)).astype(dtype)
    y = (rng.integers(-3, 4, (3, 5, 2)) + (1j * rng.integers(-3, 4, (3, 5, 2)) if np.dtype(dtype).kind == "c" else 0)).astype(dtype)
    got = batchdot.batch_dot(x, y, (2, 1))
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, oracle(x, y, 2, 1).astype(dtype))


@pytest.mark.parametrize("dx,dy", [(np.float32, np.float64), (np.int32, np.float32), (np.int32, np.int64),
                                   (np.float16, np.float32), (np.float32, np.complex64)])
def test_mixed_dtypes_promote_like_numpy(dx, dy, rng):
    x = rng.integers(-3, 4, (2, 3, 4)).astype(dx)
    y = rng.integers(-3, 4, (2, 4, 5)).astype(dy)
    got = batchdot.batch_dot(x, y)
    assert got.dtype == np.result_type(dx, dy)
    np.testing.assert_array_equal(got, oracle(x, y, 2, 1).astype(got.dtype))


def test_large_k_float32_tolerance(rng):
    x = rng.standard_normal((3, 2, 4097)).astype(np.float32)
    y = rng.standard_normal((3, 4097, 3)).astype(np.float32)
    assert_close(batchdot.batch_dot(x, y), x, y, 2, 1)


def test_zero_size_dims():
    got = batchdot.batch_dot(np.ones((3, 4, 0), np.float32), np.ones((3, 0, 5), np.float32))
    np.testing.assert_array_equal(got, np.zeros((3, 4, 5), np.float32))
    out = np.full((3, 4, 5), np.nan, np.float32)
    batchdot.batch_dot(np.ones((3, 4, 0), np.float32), np.ones((3, 0, 5), np.float32), out=out)
    np.testing.assert_array_equal(out, 0)
    assert batchdot.batch_dot(np.ones((0, 4, 2)), np.ones((0, 2, 5))).shape == (0, 4, 5)
    assert batchdot.batch_dot(np.ones((2, 0, 2)), np.ones((2, 2, 5))).shape == (2, 0, 5)


# ---------------------------------------------------------------- layouts without copies

def layouts(a):
    """Views of `a` that batchdot must read in place, with their names."""
    yield "contiguous", a
    yield "fortran", np.asfortranarray(a)
    yield "negative", np.ascontiguousarray(a[:, ::-1])[:, ::-1]
    yield "step2", np.repeat(a, 2, axis=-1)[..., ::2]
    ro = a.copy()
    ro.flags.writeable = False
    yield "readonly", ro
    yield "transposed_view", np.ascontiguousarray(np.swapaxes(a, 1, 2)).swapaxes(1, 2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_views_match_contiguous(dtype, rng):
    x = rng.integers(-5, 6, (4, 6, 7)).astype(dtype)
    y = rng.integers(-5, 6, (4, 7, 5)).astype(dtype)
    want = batchdot.batch_dot(x, y)
    np.testing.assert_array_equal(want, oracle(x, y, 2, 1))
    for xname, xv in layouts(x):
        for yname, yv in layouts(y):
            np.testing.assert_array_equal(batchdot.batch_dot(xv, yv), want, err_msg=f"{xname} x {yname}")


def test_broadcast_zero_stride_input():
    x = np.broadcast_to(np.arange(5, dtype=np.float64), (3, 4, 5))
    assert x.strides[0] == 0 and not x.flags.writeable
    y = np.ones((3, 5, 2))
    np.testing.assert_array_equal(batchdot.batch_dot(x, y), np.full((3, 4, 2), 10.0))


def test_inputs_are_not_copied_or_modified():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)[:, ::-1, :]
    y = np.ones((2, 4, 2), np.float32)
    before = (x.copy(), x.__array_interface__["data"][0], x.strides)
    batchdot.batch_dot(x, y)
    np.testing.assert_array_equal(x, before[0])
    assert (x.__array_interface__["data"][0], x.strides) == before[1:]


def test_big_endian_unaligned_and_odd_stride_inputs_are_copied_correctly():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    y = np.arange(16, dtype=np.float32).reshape(2, 4, 2)
    want = oracle(x, y, 2, 1).astype(np.float32)
    big = x.astype(">f4")
    raw = np.zeros(x.nbytes + 1, np.uint8)
    unaligned = np.frombuffer(raw.data, dtype=np.float32, count=x.size, offset=1).reshape(x.shape)
    unaligned[...] = x
    assert not unaligned.flags.aligned
    packed = np.zeros(2 * 3 * 4, dtype=[("a", "u1"), ("v", "<f4")])
    odd = packed["v"].reshape(2, 3, 4)
    odd[...] = x
    assert odd.strides[-1] == 5
    for name, xv in (("big-endian", big), ("unaligned", unaligned), ("odd strides", odd)):
        got = batchdot.batch_dot(xv, y)
        assert got.dtype == np.float32, name
        np.testing.assert_array_equal(got, want, err_msg=name)


def test_sequences_are_converted_like_asarray():
    got = batchdot.batch_dot([[1, 2], [3, 4]], [[5, 6], [7, 8]], 1)
    np.testing.assert_array_equal(got, [[17], [53]])
    assert got.dtype == np.asarray([1]).dtype
    got = batchdot.batch_dot([[1.0, 2.0]], np.ones((1, 2), np.float32), 1)
    assert got.dtype == np.float64


# ---------------------------------------------------------------- axes forms

@pytest.mark.parametrize("axes", [
    2, -1, (2, 2), [2, 2], (-1, -1), (2, -1), (np.int64(2), np.int32(2)), np.array([2, 2]),
], ids=repr)
def test_axes_forms(axes):
    got = batchdot.batch_dot(np.ones((2, 3, 4)), np.ones((2, 5, 4)), axes)
    assert got.shape == (2, 3, 5)
    np.testing.assert_array_equal(got, 4.0)


def test_default_axes():
    assert batchdot.batch_dot(np.ones((2, 3, 4)), np.ones((2, 4, 5))).shape == (2, 3, 5)
    assert batchdot.batch_dot(np.ones((2, 3, 4)), np.ones((2, 4))).shape == (2, 3)
    assert batchdot.batch_dot(np.ones((2, 4)), np.ones((2, 4))).shape == (2, 1)


@pytest.mark.parametrize("axes,error", [
    ((1, 0), ValueError), (0, ValueError), ((3, 1), ValueError), ((1, 2, 2), ValueError), ((2,), ValueError),
    ([[1, 2], [1, 2]], ValueError), ((-4, 1), ValueError), ("2", TypeError), (2.0, TypeError),
    ((2.0, 2), TypeError), (np.int64(2), TypeError), (object(), TypeError),
], ids=lambda v: v.__name__ if isinstance(v, type) else type(v).__name__ + ":" + str(v)[:20])
def test_axes_errors(axes, error):
    with pytest.raises(error):
        batchdot.batch_dot(np.ones((2, 3, 4)), np.ones((2, 5, 4)), axes)


def test_bool_axes_is_an_int_for_keras():
    got = batchdot.batch_dot(np.ones((2, 3, 4)), np.ones((2, 3, 5)), True)
    assert got.shape == (2, 4, 5)


# ---------------------------------------------------------------- out=

def test_out_returns_out_with_the_result(rng):
    x = rng.standard_normal((3, 4, 5)).astype(np.float32)
    y = rng.standard_normal((3, 5, 6)).astype(np.float32)
    out = np.empty((3, 4, 6), np.float32)
    res = batchdot.batch_dot(x, y, out=out)
    assert res is out
    np.testing.assert_array_equal(out, batchdot.batch_dot(x, y))


def test_out_into_non_contiguous_views(rng):
    x = rng.integers(-3, 4, (3, 4, 5)).astype(np.float64)
    y = rng.integers(-3, 4, (3, 5, 6)).astype(np.float64)
    want = oracle(x, y, 2, 1)
    big = np.zeros((3, 8, 12))
    view = big[:, ::2, ::2]
    assert batchdot.batch_dot(x, y, None, view) is view
    np.testing.assert_array_equal(view, want)
    assert np.all(big[:, 1::2, :] == 0) and np.all(big[:, :, 1::2] == 0)
    fortran = np.zeros((3, 4, 6), order="F")
    batchdot.batch_dot(x, y, out=fortran)
    np.testing.assert_array_equal(fortran, want)
    reversed_out = np.zeros((3, 4, 6))[::-1, :, ::-1]
    batchdot.batch_dot(x, y, out=reversed_out)
    np.testing.assert_array_equal(reversed_out, want)


def test_out_unaligned_is_written_through_a_staging_copy():
    x, y = np.ones((2, 3, 4), np.float32), np.ones((2, 4, 5), np.float32)
    raw = np.zeros(2 * 3 * 5 * 4 + 1, np.uint8)
    out = np.frombuffer(raw.data, dtype=np.float32, count=30, offset=1).reshape(2, 3, 5)
    assert batchdot.batch_dot(x, y, out=out) is out
    np.testing.assert_array_equal(out, 4.0)


def test_out_errors():
    x, y = np.ones((2, 3, 4), np.float32), np.ones((2, 4, 5), np.float32)
    with pytest.raises(ValueError, match="shape"):
        batchdot.batch_dot(x, y, out=np.empty((2, 3, 6), np.float32))
    with pytest.raises(ValueError, match="shape"):
        batchdot.batch_dot(x, y, out=np.empty((2, 15), np.float32))
    with pytest.raises(TypeError, match="dtype"):
        batchdot.batch_dot(x, y, out=np.empty((2, 3, 5), np.float64))
    with pytest.raises(TypeError, match="dtype"):
        batchdot.batch_dot(x, y, out=np.empty((2, 3, 5), ">f4"))
    readonly = np.empty((2, 3, 5), np.float32)
    readonly.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        batchdot.batch_dot(x, y, out=readonly)
    with pytest.raises(TypeError, match="ndarray"):
        batchdot.batch_dot(x, y, out=[[0.0]])
    broadcast = np.lib.stride_tricks.as_strided(np.zeros(5, np.float32), (2, 3, 5), (0, 0, 4))
    with pytest.raises(ValueError, match="stride 0"):
        batchdot.batch_dot(x, y, out=broadcast)


def test_out_overlapping_an_input_is_refused():
    buf = np.ones((2, 3, 3), np.float32)
    with pytest.raises(ValueError, match="overlap"):
        batchdot.batch_dot(buf, buf, out=buf)
    big = np.ones((2, 3, 6), np.float32)
    with pytest.raises(ValueError, match="overlap"):  # column 2 is in both
        batchdot.batch_dot(big[:, :, :3], np.ones((2, 3, 3), np.float32), out=big[:, :, 2:5])
    np.testing.assert_array_equal(big, 1.0)  # nothing written
    # Interleaved columns share no element: allowed (np.shares_memory is False).
    x = big[:, :, :3]
    want = batchdot.batch_dot(x.copy(), np.ones((2, 3, 3), np.float32))
    batchdot.batch_dot(x, np.ones((2, 3, 3), np.float32), out=big[:, :, 3:])
    np.testing.assert_array_equal(big[:, :, 3:], want)


def test_out_checked_after_the_semantics():
    with pytest.raises(ValueError, match="batch"):
        batchdot.batch_dot(np.ones((2, 3)), np.ones((3, 3)), out="not an array")


# ---------------------------------------------------------------- errors

def test_exception_classes():
    assert issubclass(batchdot.BatchDotError, ValueError)
    assert issubclass(batchdot.DTypeError, TypeError)
    # Named for what they are, findable by pickle as batchdot.<name>.
    assert batchdot.BatchDotError.__name__ == "BatchDotError"
    assert batchdot.DTypeError.__name__ == "DTypeError"
    assert batchdot.BatchDotError.__module__ == batchdot.DTypeError.__module__ == "batchdot"
    with pytest.raises(batchdot.BatchDotError):
        batchdot.batch_dot(np.ones((2, 3)), np.ones((3, 3)))
    with pytest.raises(batchdot.DTypeError):
        batchdot.batch_dot(np.ones((2, 3), bool), np.ones((2, 3)))


@pytest.mark.parametrize("x,y,error,match", [
    (np.ones(3), np.ones((3, 4)), ValueError, "rank"),
    (np.float32(1.0), np.ones((3, 4)), ValueError, "rank"),
    (np.ones((2, 3)), np.ones((3, 3)), ValueError, "batch"),
    (np.ones((2, 3)), np.ones((2, 4)), ValueError, "contracted"),
    (np.ones((2, 3), bool), np.ones((2, 3)), TypeError, "bool"),
    (np.ones((2, 3), np.int8), np.ones((2, 3)), TypeError, "int8"),
    (np.ones((2, 3)), np.ones((2, 3), np.uint16), TypeError, "uint16"),
    (np.ones((2, 3), object), np.ones((2, 3)), TypeError, "object"),
    (np.array([["a", "b"]]), np.ones((1, 2)), TypeError, "not a number"),
    (None, np.ones((2, 3)), TypeError, "NoneType"),
    ("abc", np.ones((2, 3)), TypeError, "str"),
])
def test_error_types(x, y, error, match):
    with pytest.raises(error, match=match):
        batchdot.batch_dot(x, y)


def test_keras_checks_shapes_before_unsupported_dtypes():
    # Keras checks rank, batch, axes and sizes before dtypes: a bool input with a
    # batch mismatch is a ValueError, as with any dtype.
    with pytest.raises(ValueError):
        batchdot.batch_dot(np.ones(3, bool), np.ones((3, 4)))
    with pytest.raises(ValueError, match="batch"):
        batchdot.batch_dot(np.ones((2, 3), bool), np.ones((3, 3)))


def test_argument_binding():
    x, y = np.ones((2, 3)), np.ones((2, 3))
    np.testing.assert_array_equal(batchdot.batch_dot(y=y, x=x, axes=1), [[3.0], [3.0]])
    with pytest.raises(TypeError, match="missing"):
        batchdot.batch_dot(x)
    with pytest.raises(TypeError, match="unexpected keyword"):
        batchdot.batch_dot(x, y, axis=1)
    with pytest.raises(TypeError, match="multiple values"):
        batchdot.batch_dot(x, y, x=x)
    with pytest.raises(TypeError, match="at most"):
        batchdot.batch_dot(x, y, 1, None, 5)


# ---------------------------------------------------------------- DLPack

class DLPackOnly:
    """Exposes nothing but the DLPack protocol of a NumPy array."""

    def __init__(self, array, device=(1, 0)):
        self.array, self.device = array, device

    def __dlpack__(self, stream=None):
        return self.array.__dlpack__()

    def __dlpack_device__(self):
        return self.device


def test_dlpack_inputs(rng):
    x = rng.standard_normal((3, 4, 5)).astype(np.float32)
    y = rng.standard_normal((3, 5, 6)).astype(np.float32)[:, ::-1, :]  # strided, negative
    want = batchdot.batch_dot(x, y)
    x_refs, y_refs = sys.getrefcount(x), sys.getrefcount(y)
    got = batchdot.batch_dot(DLPackOnly(x), DLPackOnly(y))
    np.testing.assert_array_equal(got, want)
    assert (sys.getrefcount(x), sys.getrefcount(y)) == (x_refs, y_refs)  # deleters ran
    got = batchdot.mindspore.batch_dot(DLPackOnly(x), DLPackOnly(y))
    np.testing.assert_array_equal(got, want)


def test_dlpack_dtypes_and_errors():
    x = np.arange(12, dtype=np.int64).reshape(2, 2, 3)
    np.testing.assert_array_equal(batchdot.batch_dot(DLPackOnly(x), x, (2, 2)), oracle(x, x, 2, 2))
    with pytest.raises(TypeError, match="device"):
        batchdot.batch_dot(DLPackOnly(x, device=(2, 0)), x)
    with pytest.raises(TypeError, match="uint8"):
        batchdot.batch_dot(DLPackOnly(np.ones((2, 3), np.uint8)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="batch"):  # Keras: shapes before dtypes, also for DLPack
        batchdot.batch_dot(DLPackOnly(np.ones((2, 3), np.uint8)), np.ones((3, 3)))


# ---------------------------------------------------------------- module surface

def test_module_surface():
    assert batchdot.__version__ == "0.1.0"
    info = batchdot.build_info()
    assert "0.1.0" in info and "thread" in info
    for fn in (batchdot.batch_dot, batchdot.keras.batch_dot, batchdot.mindspore.batch_dot, batchdot.dot_general,
               batchdot.set_num_threads, batchdot.get_num_threads, batchdot.build_info):
        assert fn.__doc__ and "Example" in fn.__doc__, fn
    import inspect
    assert str(inspect.signature(batchdot.batch_dot)) == "(x, y, axes=None, out=None)"
    assert str(inspect.signature(batchdot.mindspore.batch_dot)) == "(x1, x2, axes=None, out=None)"
    assert str(inspect.signature(batchdot.dot_general)) == "(lhs, rhs, dimension_numbers, out=None)"


def test_docstring_examples(restore_threads):
    import doctest

    import batchdot.keras
    import batchdot.mindspore

    finder, failed = doctest.DocTestFinder(), 0
    for obj in (batchdot, batchdot.keras, batchdot.mindspore, batchdot.batch_dot, batchdot.mindspore.batch_dot,
                batchdot.dot_general, batchdot.set_num_threads, batchdot.get_num_threads, batchdot.build_info):
        for test in finder.find(obj, getattr(obj, "__name__", "batchdot"), globs={}):
            failed += doctest.DocTestRunner(optionflags=doctest.ELLIPSIS).run(test).failed
    assert failed == 0
