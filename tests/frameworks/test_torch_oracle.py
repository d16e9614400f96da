"""torch.autograd.grad (Debian's torch 1.13) of an einsum written from the rules
(Keras batch_dot, jax.lax.dot_general) as the oracle of batchdot's
batch_dot_grad, mindspore.batch_dot_grad and dot_general_grad, with the forward
values checked too. Run by Debian's interpreter against the Debian build:
PYTHONPATH=build/python /usr/bin/python3 -m pytest tests/frameworks/test_torch_oracle.py
"""

import string

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="Debian's python3-torch is not installed")

import batchdot  # noqa: E402
from conformance import Tally, case_count, compare, random_dims, random_keras_case, run, seeded_rng  # noqa: E402

LETTERS = string.ascii_letters


def keras_axes(xn, yn, axes):
    """Keras' normalised axes of a case whose axes are valid, else None."""
    if axes is None:
        return xn - 1, (yn - 1 if yn == 2 else yn - 2)
    if type(axes) is int:
        a0, a1 = axes, axes
    elif isinstance(axes, (tuple, list)) and len(axes) == 2 and all(type(a) is int for a in axes):
        a0, a1 = axes
    else:
        return None
    a0 += xn if a0 < 0 else 0
    a1 += yn if a1 < 0 else 0
    return (a0, a1) if 0 < a0 < xn and 0 < a1 < yn else None


def keras_einsum(xt, yt, a0, a1):
    """Keras batch_dot from its contract: batch axis shared, a0 with a1, then x's and y's free axes."""
    xn, yn = xt.dim(), yt.dim()
    xl = list(LETTERS[:xn])
    yl = [xl[0]] + list(LETTERS[xn:xn + yn - 1])
    yl[a1] = xl[a0]
    out = [xl[0]] + [c for i, c in enumerate(xl) if i not in (0, a0)] + [c for i, c in enumerate(yl)
                                                                          if i not in (0, a1)]
    r = torch.einsum(f"{''.join(xl)},{''.join(yl)}->{''.join(out)}", xt, yt)
    return r.unsqueeze(1) if xn == 2 and yn == 2 else r


def dot_general_einsum(xt, yt, dims):
    (lc, rc), (lb, rb) = dims
    xl = list(LETTERS[:xt.dim()])
    yl = list(LETTERS[xt.dim():xt.dim() + yt.dim()])
    for a, b in zip(lc + lb, rc + rb):
        yl[b] = xl[a]
    out = [xl[a] for a in lb] + [xl[i] for i in range(xt.dim()) if i not in lc + lb] + [
        yl[i] for i in range(yt.dim()) if i not in rc + rb]
    return torch.einsum(f"{''.join(xl)},{''.join(yl)}->{''.join(out)}", xt, yt)


def torch_grads(fn, x, y, g):
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.tensor(y, requires_grad=True)
    out = fn(xt, yt)
    gx, gy = torch.autograd.grad(out, (xt, yt), torch.tensor(g), allow_unused=True)
    zero = torch.zeros_like
    return out.detach().numpy(), (gx if gx is not None else zero(xt)).numpy(), (
        gy if gy is not None else zero(yt)).numpy()


def check_grads(tally, case, fw, bd, width):
    for i, name in enumerate(("grad_x", "grad_y")):
        fo = ("ok", fw[1][i + 1]) if fw[0] == "ok" else fw
        bo = ("ok", bd[1][i]) if bd[0] == "ok" else bd
        compare(tally, f"{case} {name}", fo, bo, width)


def values(rng, shape, dtype):
    return (rng.integers(-16, 17, size=shape) / 8.0 + rng.standard_normal(shape) * 0.01).astype(dtype)


@pytest.mark.parametrize("front_end", ["keras", "mindspore"])
def test_batch_dot_grad(front_end):
    rng, _ = seeded_rng("torch-" + front_end)
    tally = Tally(f"torch.autograd.grad vs batchdot.{'' if front_end == 'keras' else 'mindspore.'}batch_dot_grad")
    grad_fn = batchdot.batch_dot_grad if front_end == "keras" else batchdot.mindspore.batch_dot_grad
    want = case_count(5000) * (3 if front_end == "keras" else 1) // 5
    while tally.cases < 3 * want:
        xs, ys, axes = random_keras_case(rng)
        normal = keras_axes(len(xs), len(ys), axes)
        if normal is None or xs[0] != ys[0] or xs[normal[0]] != ys[normal[1]]:
            continue
        if front_end == "mindspore" and (xs[0] == 0 or isinstance(axes, list) and False):
            continue  # MindSpore r2.1 refuses batch size 0
        dtype = np.float32 if front_end == "mindspore" or rng.random() < 0.5 else np.float64
        x, y = values(rng, xs, dtype), values(rng, ys, dtype)
        shape = tuple(keras_einsum(torch.zeros(xs), torch.zeros(ys), *normal).shape)
        g = values(rng, shape, dtype)
        case = f"{xs} x {ys} axes={axes!r} {np.dtype(dtype).name}"
        fw = run(lambda: torch_grads(lambda a, b: keras_einsum(a, b, *normal), x, y, g))
        bd_fwd = run(lambda: (batchdot.batch_dot if front_end == "keras" else batchdot.mindspore.batch_dot)(
            x, y, axes))
        compare(tally, case + " forward", ("ok", fw[1][0]) if fw[0] == "ok" else fw, bd_fwd, xs[normal[0]])
        check_grads(tally, case, fw, run(lambda: grad_fn(x, y, g, axes)), max(xs + ys + (1,)) * 9)
    assert not tally.undocumented(), "\n".join(tally.lines())


def random_dims_numbers(rng):
    nb, nc, lf, rf = (int(v) for v in rng.integers(0, 3, size=4))
    shared = random_dims(rng, nb + nc, limit=60)
    lp, rp = [int(a) for a in rng.permutation(nb + nc + lf)], [int(a) for a in rng.permutation(nb + nc + rf)]
    ls, rs = [0] * len(lp), [0] * len(rp)
    for i in range(nb + nc):
        ls[lp[i]] = rs[rp[i]] = shared[i]
    for a in lp[nb + nc:]:
        ls[a] = int(rng.integers(0, 6))
    for a in rp[nb + nc:]:
        rs[a] = int(rng.integers(0, 6))
    return tuple(ls), tuple(rs), ((lp[nb:nb + nc], rp[nb:nb + nc]), (lp[:nb], rp[:nb]))


def test_dot_general_grad():
    rng, _ = seeded_rng("torch-dot-general")
    tally = Tally("torch.autograd.grad vs batchdot.dot_general_grad")
    while tally.cases < 3 * case_count(5000) * 2 // 5:
        ls, rs, dims = random_dims_numbers(rng)
        dtype = np.float32 if rng.random() < 0.5 else np.float64
        x, y = values(rng, ls, dtype), values(rng, rs, dtype)
        shape = tuple(dot_general_einsum(torch.zeros(ls), torch.zeros(rs), dims).shape)
        g = values(rng, shape, dtype)
        case = f"{ls} x {rs} {dims} {np.dtype(dtype).name}"
        fw = run(lambda: torch_grads(lambda a, b: dot_general_einsum(a, b, dims), x, y, g))
        k = int(np.prod([ls[a] for a in dims[0][0]] or [1]))
        compare(tally, case + " forward", ("ok", fw[1][0]) if fw[0] == "ok" else fw,
                run(lambda: batchdot.dot_general(x, y, dims)), k)
        check_grads(tally, case, fw, run(lambda: batchdot.dot_general_grad(x, y, g, dims)),
                    max(ls + rs + (1,)) * 9)
    assert not tally.undocumented(), "\n".join(tally.lines())


def test_bfloat16_through_dlpack():
    """bfloat16 torch tensors go through DLPack; the result matches torch's float32 einsum rounded."""
    rng, _ = seeded_rng("torch-bf16")
    tally = Tally("torch bfloat16 (DLPack) batch_dot vs einsum")
    while tally.cases < 200:
        xs, ys, axes = random_keras_case(rng)
        normal = keras_axes(len(xs), len(ys), axes)
        if normal is None or xs[0] != ys[0] or xs[normal[0]] != ys[normal[1]]:
            continue
        xt = torch.tensor(values(rng, xs, np.float32)).to(torch.bfloat16)
        yt = torch.tensor(values(rng, ys, np.float32)).to(torch.bfloat16)
        want = keras_einsum(xt.float(), yt.float(), *normal).to(torch.bfloat16).float().numpy()
        got = run(lambda: torch.from_dlpack(batchdot.batch_dot(xt, yt, axes)).float().numpy())
        compare(tally, f"{xs} x {ys} axes={axes!r} bfloat16", ("ok", want.astype(np.float32)),
                got, xs[normal[0]] * 64)
    assert not tally.undocumented(), "\n".join(tally.lines())
