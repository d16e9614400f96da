"""batchdot.torch (the torch.ops.batchdot C++ operators): gradcheck and
gradgradcheck in float64, forward bit-equal to batchdot.batch_dot, frozen inputs,
no_grad, strided tensors, dtypes and devices, and the training example (its
gradients against torch's own composite). TorchScript: test_torch_script.py."""
import importlib.util
import os

import numpy as np
import pytest
import torch
from torch.autograd import gradcheck, gradgradcheck

import batchdot
import batchdot.torch as bt

EXAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, "examples",
                       "train_attention.py")


def keras_case(rng):
    xr, yr = int(rng.integers(2, 5)), int(rng.integers(2, 5))
    a0, a1 = int(rng.integers(1, xr)), int(rng.integers(1, yr))
    xs = [int(rng.integers(1, 4)) for _ in range(xr)]
    ys = [xs[0]] + [int(rng.integers(1, 4)) for _ in range(yr - 1)]
    ys[a1] = xs[a0]
    axes = [None, (a0, a1), (a0 - xr, a1 - yr)][int(rng.integers(0, 3))]
    if axes is None:
        a0, a1 = xr - 1, (yr - 1 if yr == 2 else yr - 2)
        ys[a1] = xs[a0]
    return xs, ys, axes


def double(shape, rng, layout=0):
    t = torch.from_numpy(rng.standard_normal(shape))
    if layout == 1 and t.ndim > 1:  # transposed memory, same values
        t = t.transpose(0, -1).contiguous().transpose(0, -1)
    if layout == 2:  # step-2 view
        t = torch.from_numpy(np.repeat(t.numpy(), 2, axis=-1))[..., ::2]
    return t.requires_grad_()


@pytest.mark.parametrize("seed", range(40))
def test_keras_gradcheck_and_gradgradcheck(seed):
    rng = np.random.default_rng(seed)
    xs, ys, axes = keras_case(rng)
    x, y = double(xs, rng, seed % 3), double(ys, rng, (seed + 1) % 3)
    fn = lambda a, b: bt.batch_dot(a, b, axes)  # noqa: E731
    assert gradcheck(fn, (x, y))
    assert gradgradcheck(fn, (x, y))


DOT_GENERAL_CASES = [
    ((2, 3, 4), (4, 2, 3), (((0, 2), (1, 0)), ((1,), (2,)))),
    ((3, 4), (4, 5), (((1,), (0,)), ((), ()))),
    ((2, 3), (4,), (((), ()), ((), ()))),  # outer product
    ((2, 3, 4, 2), (2, 4, 3), (((1, 2), (2, 1)), ((0,), (0,)))),
    ((3, 2, 2), (2, 3, 2, 3), (((2,), (2,)), ((0, 1), (1, 0)))),
    ((5,), (5,), (((0,), (0,)), ((), ()))),  # a scalar result
]


@pytest.mark.parametrize("case", range(len(DOT_GENERAL_CASES)))
def test_dot_general_gradcheck_and_gradgradcheck(case):
    xs, ys, dims = DOT_GENERAL_CASES[case]
    rng = np.random.default_rng(100 + case)
    x, y = double(xs, rng, case % 3), double(ys, rng)
    fn = lambda a, b: bt.dot_general(a, b, dims)  # noqa: E731
    assert gradcheck(fn, (x, y))
    assert gradgradcheck(fn, (x, y))


def test_complex_gradcheck():
    rng = np.random.default_rng(7)
    x = torch.from_numpy(rng.standard_normal((2, 3, 4)) + 1j * rng.standard_normal((2, 3, 4))).requires_grad_()
    y = torch.from_numpy(rng.standard_normal((2, 4, 2)) + 1j * rng.standard_normal((2, 4, 2))).requires_grad_()
    assert gradcheck(bt.batch_dot, (x, y))
    assert gradgradcheck(bt.batch_dot, (x, y))


def test_first_order_backward_equals_differentiable_backward():
    rng = np.random.default_rng(8)
    x, y = double((10, 12, 4, 5), rng), double((10, 12, 5, 8), rng, 1)
    g = torch.from_numpy(rng.standard_normal((10, 12, 4, 12, 8)))
    fast = torch.autograd.grad(bt.batch_dot(x, y), (x, y), g)
    slow = torch.autograd.grad(bt.batch_dot(x, y), (x, y), g, create_graph=True)
    for a, b in zip(fast, slow):
        assert torch.allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.int32, torch.int64,
                                   torch.complex64, torch.complex128])
def test_forward_bitwise_equals_batchdot(dtype):
    rng = np.random.default_rng(9)
    x = torch.from_numpy(rng.integers(-3, 4, (4, 5, 6))).to(dtype).transpose(1, 2)  # (4, 6, 5), strided
    y = torch.from_numpy(rng.integers(-3, 4, (4, 5, 3))).to(dtype)
    out = bt.batch_dot(x, y)
    want = batchdot.batch_dot(x.numpy(), y.numpy())
    assert out.dtype == dtype and out.numpy().tobytes() == want.tobytes()


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_half_precision_runs_natively_and_rounds_once(dtype):
    # Accumulated in float32 and rounded once per element: the float32 result of the
    # same (exactly representable) inputs, rounded to the dtype.
    rng = np.random.default_rng(13)
    x = torch.from_numpy(rng.standard_normal((4, 6, 16))).to(dtype)
    y = torch.from_numpy(rng.standard_normal((4, 16, 3))).to(dtype).transpose(1, 2).contiguous().transpose(1, 2)
    out = bt.batch_dot(x, y)
    want = bt.batch_dot(x.float(), y.float()).to(dtype)
    assert out.dtype == dtype and torch.equal(out, want)
    xg, yg = x.clone().requires_grad_(), y.clone().requires_grad_()
    bt.batch_dot(xg, yg).sum().backward()
    assert xg.grad.dtype == dtype and yg.grad.dtype == dtype
    assert torch.allclose(xg.grad.float(), torch.ones(4, 6, 3) @ y.float().transpose(1, 2), rtol=1e-2, atol=1e-2)


def test_frozen_input_gradient_is_never_computed():
    x, y, g = torch.randn(3, 4, 5), torch.randn(3, 5, 2), torch.randn(3, 4, 2)
    grad_x, grad_y = torch.ops.batchdot.batch_dot_grad(x, y, None, g, [True, False])
    assert grad_y is None and torch.allclose(grad_x, g @ y.transpose(1, 2), atol=1e-5)
    grad_x, grad_y = torch.ops.batchdot.dot_general_grad(x, y, [2], [1], [0], [0], g, [False, True])
    assert grad_x is None and torch.allclose(grad_y, x.transpose(1, 2) @ g, atol=1e-5)


def test_mindspore_batch_dot_matches_numpy_module():
    import batchdot.mindspore as bm

    rng = np.random.default_rng(14)
    x = torch.from_numpy(rng.standard_normal((3, 4, 5)).astype(np.float32)).requires_grad_()
    y = torch.from_numpy(rng.standard_normal((3, 5, 2)).astype(np.float32)).requires_grad_()
    out = bt.mindspore_batch_dot(x, y, (2, 1))
    want = bm.batch_dot(x.detach().numpy(), y.detach().numpy(), (2, 1))
    assert out.detach().numpy().tobytes() == want.tobytes()
    g = rng.standard_normal(out.shape).astype(np.float32)
    out.backward(torch.from_numpy(g))
    gx, gy = bm.batch_dot_grad(x.detach().numpy(), y.detach().numpy(), g, (2, 1))
    assert np.array_equal(x.grad.numpy(), gx) and np.array_equal(y.grad.numpy(), gy)
    with pytest.raises(TypeError):
        bt.mindspore_batch_dot(x.double(), y.double())


def test_one_input_requiring_grad_and_no_grad():
    rng = np.random.default_rng(10)
    x = torch.from_numpy(rng.standard_normal((3, 4, 5))).requires_grad_()
    y = torch.from_numpy(rng.standard_normal((3, 5, 2)))
    bt.batch_dot(x, y).sum().backward()
    assert y.grad is None
    assert torch.allclose(x.grad, torch.ones(3, 4, 2, dtype=torch.float64) @ y.transpose(1, 2))
    yg = y.clone().requires_grad_()
    out = bt.dot_general(x.detach(), yg, (((2,), (1,)), ((0,), (0,))))
    out.sum().backward()
    assert torch.allclose(yg.grad, x.detach().transpose(1, 2) @ torch.ones(3, 4, 2, dtype=torch.float64))
    with torch.no_grad():
        out = bt.batch_dot(x, y)
    assert not out.requires_grad and out.grad_fn is None


def test_non_contiguous_and_expanded_inputs():
    rng = np.random.default_rng(11)
    base = torch.from_numpy(rng.standard_normal((6, 8, 10))).requires_grad_()
    x = base[::2, 1::2].transpose(1, 2)  # (3, 10, 4), strides everywhere
    y = torch.from_numpy(rng.standard_normal((1, 4, 3))).expand(3, 4, 3).requires_grad_()  # stride 0
    out = bt.batch_dot(x, y)
    want = torch.bmm(x, y)
    assert torch.allclose(out, want)
    g = torch.from_numpy(rng.standard_normal(out.shape))
    got = torch.autograd.grad(out, (base, y), g)
    ref = torch.autograd.grad(want, (base, y), g)
    for a, b in zip(got, ref):
        assert torch.allclose(a, b)


def test_mixed_dtypes_give_each_inputs_dtype():
    x = torch.ones(2, 3, 4, requires_grad=True)
    y = torch.ones(2, 4, dtype=torch.float64, requires_grad=True)
    out = bt.batch_dot(x, y)
    assert out.dtype == torch.float64
    out.sum().backward()
    assert x.grad.dtype == torch.float32 and y.grad.dtype == torch.float64
    assert torch.equal(x.grad, torch.ones(2, 3, 4)) and torch.equal(y.grad, torch.full((2, 4), 3.0, dtype=torch.float64))


@pytest.mark.parametrize("dtype", [torch.bool, torch.int8, torch.uint8, torch.int16])
def test_unsupported_dtypes_are_type_errors(dtype):
    x = torch.ones(2, 3, 4).to(dtype)
    with pytest.raises(TypeError, match=str(dtype)):
        bt.batch_dot(x, torch.ones(2, 4, 5))


def test_other_device_and_non_tensor_errors():
    with pytest.raises(NotImplementedError, match="batchdot::batch_dot.*Meta"):  # no kernel for that device
        bt.batch_dot(torch.empty(2, 3, 4, device="meta"), torch.ones(2, 4, 5))
    with pytest.raises(TypeError, match="torch.Tensor"):
        bt.batch_dot(np.ones((2, 3, 4)), torch.ones(2, 4, 5))
    with pytest.raises(ValueError, match="axis 0"):
        bt.batch_dot(torch.ones(2, 3, 4), torch.ones(2, 4, 5), 0)


@pytest.mark.parametrize("axes, error, match", [
    (1.5, TypeError, "got float 1.5"),
    ("a", TypeError, "got str"),
    ((1, 2, 3), ValueError, "3 values"),
    (7, ValueError, "out of range"),
    ([[1, 2], [1, 2]], ValueError, "multiple target dimensions"),
])
def test_axes_errors_are_batchdots_own(axes, error, match):
    with pytest.raises(error, match=match):
        bt.batch_dot(torch.ones(2, 3, 4), torch.ones(2, 4, 5), axes)


def test_axes_accepted_by_the_core_rules_go_through_them():
    x, y = torch.randn(2, 3, 4, dtype=torch.float64), torch.randn(2, 4, 5, dtype=torch.float64)
    for axes in [(2, 1), [2, 1], (-1, -2), [-1, 1]]:
        assert torch.equal(bt.batch_dot(x, y, axes), bt.batch_dot(x, y))
    assert torch.allclose(bt.batch_dot(x, y), torch.bmm(x, y), rtol=1e-12, atol=1e-12)


def test_docstring_examples():
    import doctest

    finder, failed = doctest.DocTestFinder(), 0
    for test in finder.find(bt, "batchdot.torch", globs={}):
        failed += doctest.DocTestRunner().run(test).failed
    assert failed == 0


def load_example():
    spec = importlib.util.spec_from_file_location("train_attention", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_training_example_loss_falls_and_gradients_match_torch_composite():
    example = load_example()
    losses = example.train(steps=40, log_every=0)
    assert losses[-1] < 0.6 * losses[0], losses
    # The torch-only twin (movedim/reshape/bmm) follows the same trajectory.
    twin = example.train(steps=40, log_every=0, scores=example.composite_scores)
    assert np.allclose(losses, twin, rtol=1e-3), (losses[-1], twin[-1])
    # The same weights with torch's own movedim/reshape/bmm scores: same gradients.
    x, y = example.make_data(8, 16, 32, seed=3)
    torch.manual_seed(5)
    ours = example.Attention(32)
    theirs = example.Attention(32, example.composite_scores)
    theirs.load_state_dict(ours.state_dict())
    for model in (ours, theirs):
        torch.nn.functional.mse_loss(model(x), y).backward()
    for (name, a), (_, b) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert torch.allclose(a.grad, b.grad, rtol=1e-4, atol=1e-6), name


def test_rank_two_pair_unit_axis_gradcheck():
    # Keras' (B, 1) output: grad_output has the trailing unit axis.
    rng = np.random.default_rng(12)
    x, y = double((3, 4), rng), double((3, 4), rng, 2)
    assert bt.batch_dot(x, y).shape == (3, 1)
    assert gradcheck(bt.batch_dot, (x, y))
    assert gradgradcheck(bt.batch_dot, (x, y))


def test_input_modified_in_place_after_forward_is_detected():
    # backward reads the saved inputs, so torch's version check must run.
    x, y = torch.randn(2, 3, 4, requires_grad=True), torch.randn(2, 4, 5, requires_grad=True)
    out = bt.batch_dot(x, y)
    with torch.no_grad():
        x.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_set_num_threads_reaches_the_operators():
    # Results are bitwise identical for every thread count; the op library's own
    # copy of the setting validates like the core's.
    x, y = torch.randn(64, 32, 16), torch.randn(64, 16, 24)
    before = bt.batch_dot(x, y)
    old = batchdot.get_num_threads()
    batchdot.set_num_threads(1)
    try:
        assert torch.equal(bt.batch_dot(x, y), before)
    finally:
        batchdot.set_num_threads(old)
    with pytest.raises(ValueError, match="between 1 and 1024, got 0"):
        torch.ops.batchdot.set_num_threads(0)
