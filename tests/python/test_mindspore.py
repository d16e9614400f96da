"""batchdot.mindspore.batch_dot: MindSpore's rules, check order and exception types."""
import numpy as np
import pytest

import batchdot
from conftest import EXCEPTIONS, assert_error_kind, axes_for_python, case_inputs, keras_axes, load_cases, oracle

MS_CASES = load_cases("mindspore.json")
ms_batch_dot = batchdot.mindspore.batch_dot


@pytest.mark.parametrize("case", MS_CASES, ids=[c["id"] for c in MS_CASES])
def test_mindspore_case(case, rng):
    x1, x2 = case_inputs(case, rng)
    axes = axes_for_python(case["axes"])
    if "error" in case:
        with pytest.raises(EXCEPTIONS[case["error"]]) as info:
            ms_batch_dot(x1, x2, axes)
        assert_error_kind(info.value, case["error"])
        message = str(info.value)
        assert message and "\n" not in message
        if "mindspore_message" in case and case["error"] == "TypeError":
            assert case["mindspore_message"] in message
        return
    got = ms_batch_dot(x1, x2, axes)
    assert list(got.shape) == case["out_shape"]
    assert got.dtype == np.float32
    if "expected_fill" in case:
        np.testing.assert_array_equal(got, np.full(case["out_shape"], case["expected_fill"], np.float32))
    if x1.ndim >= 2 and all(isinstance(a, int) and not isinstance(a, bool) for a in (axes if isinstance(axes, tuple) else ())):
        a0, a1 = keras_axes(x1.ndim, x2.ndim, axes)
        if a0 > 0:
            np.testing.assert_array_equal(got, oracle(x1, x2, a0, a1).astype(np.float32))


def test_same_values_as_keras_on_valid_calls(rng):
    for case in MS_CASES:
        if "error" in case:
            continue
        x1, x2 = case_inputs(case, rng)
        axes = axes_for_python(case["axes"])
        if case["keras"].startswith("ok"):
            np.testing.assert_array_equal(ms_batch_dot(x1, x2, axes), batchdot.batch_dot(x1, x2, axes))


# ---------------------------------------------------------------- every axes form Python can pass

X1, X2 = np.ones((2, 3, 4), np.float32), np.ones((2, 5, 4), np.float32)


@pytest.mark.parametrize("axes", [(2, 2), [2, 2], 2, -1, (-1, -1), [2, -1], None], ids=repr)
def test_valid_axes_forms(axes):
    x2 = X2 if axes is not None else np.ones((2, 4, 5), np.float32)
    got = ms_batch_dot(X1, x2, axes)
    assert got.shape == (2, 3, 5)
    np.testing.assert_array_equal(got, 4.0)


@pytest.mark.parametrize("axes,error", [
    (0, ValueError), (False, ValueError), (True, TypeError), (1.5, ValueError), (2.0, ValueError),
    ("2", ValueError), (b"2", ValueError), (np.int64(2), ValueError), (np.float64(2), ValueError),
    ({2: 2}, ValueError), ({2}, ValueError), (np.array([2, 2]), ValueError),
    ((0, 1), ValueError), ((0,), ValueError), ((1, 2, 0), ValueError), ((0.0, 2), ValueError),
    ((False, 2), ValueError), ((), ValueError), ((2,), ValueError), ([2, 2, 2], ValueError),
    ((2.0, 2), TypeError), ((2, 2.5), TypeError), ((True, 2), TypeError), ((2, True), TypeError),
    (([2], 2), TypeError), ([[2, 2], [2, 2]], TypeError), ((np.int64(2), 2), TypeError),
    (("2", 2), TypeError), ((None, 2), TypeError),
    ((-4, 2), ValueError), ((2, -4), ValueError), ((5, 2), ValueError), ((3, 2), ValueError), (4, ValueError),
], ids=lambda v: v.__name__ if isinstance(v, type) else type(v).__name__ + ":" + repr(v)[:20])
def test_axes_errors(axes, error):
    with pytest.raises(error) as info:
        ms_batch_dot(X1, X2, axes)
    assert_error_kind(info.value, error.__name__)


# ---------------------------------------------------------------- check order and dtypes

def test_rank_is_checked_before_dtype():
    with pytest.raises(ValueError, match="dimension >= 2"):
        ms_batch_dot(np.ones(3, np.float64), np.ones((3, 4)))
    with pytest.raises(ValueError, match="dimension >= 2"):
        ms_batch_dot(np.ones(3, bool), np.ones((3, 4), np.float32))


def test_dtype_is_checked_before_batch_and_axes():
    with pytest.raises(TypeError, match="'x1' doesn't support 'Float64'"):
        ms_batch_dot(np.ones((2, 3)), np.ones((3, 3), np.float32), (0, 1))
    with pytest.raises(TypeError, match="'x1' doesn't support 'Bool'"):
        ms_batch_dot(np.ones((2, 3), bool), np.ones((3, 3), np.float32))
    with pytest.raises(TypeError, match="'x2' doesn't support 'UInt8'"):
        ms_batch_dot(np.ones((2, 3), np.float32), np.ones((3, 3), np.uint8), "bad")
    with pytest.raises(TypeError, match="'x1' doesn't support 'Float16'"):  # x1 first
        ms_batch_dot(np.ones((2, 3), np.float16), np.ones((2, 3), np.int8))
    with pytest.raises(TypeError, match="'x1' doesn't support 'Int8'"):
        ms_batch_dot(np.ones((2, 3), np.int8), np.ones((2, 3), np.float64))


@pytest.mark.parametrize("dtype", [np.float16, np.float64, np.int32, np.int64, np.complex64, bool, np.int8])
def test_float32_only(dtype):
    with pytest.raises(batchdot.DTypeError):
        ms_batch_dot(np.ones((2, 3, 4), dtype), np.ones((2, 4, 5), np.float32))
    with pytest.raises(batchdot.DTypeError):
        ms_batch_dot(np.ones((2, 3, 4), np.float32), np.ones((2, 4, 5), dtype))


def test_batch_size_zero_is_an_error():
    with pytest.raises(ValueError):
        ms_batch_dot(np.ones((0, 3, 4), np.float32), np.ones((0, 4, 5), np.float32))
    assert batchdot.batch_dot(np.ones((0, 3, 4)), np.ones((0, 4, 5))).shape == (0, 3, 5)


def test_out_and_views(rng):
    x1 = rng.integers(-3, 4, (3, 6, 4)).astype(np.float32)
    x2 = rng.integers(-3, 4, (3, 4, 5)).astype(np.float32)
    want = oracle(x1, x2, 2, 1).astype(np.float32)
    out = np.empty((3, 6, 5), np.float32)
    assert ms_batch_dot(x1, x2, out=out) is out
    np.testing.assert_array_equal(out, want)
    np.testing.assert_array_equal(ms_batch_dot(x1[:, ::-1], np.asfortranarray(x2)), want[:, ::-1])
    with pytest.raises(TypeError, match="dtype"):
        ms_batch_dot(x1, x2, out=np.empty((3, 6, 5)))
    with pytest.raises(ValueError, match="shape"):
        ms_batch_dot(x1, x2, out=np.empty((3, 5, 6), np.float32))


def test_keyword_names():
    got = ms_batch_dot(x2=np.ones((2, 3), np.float32), x1=np.ones((2, 3), np.float32), axes=(1, 1))
    np.testing.assert_array_equal(got, [[3.0], [3.0]])
    with pytest.raises(TypeError, match="unexpected keyword"):
        ms_batch_dot(x=np.ones((2, 3), np.float32), y=np.ones((2, 3), np.float32))
