"""float16 and bfloat16 through Python: NumPy float16 arrays, torch float16 and
bfloat16 tensors through DLPack, bfloat16 results returned through DLPack
(batchdot.DLPackResult), the CLI's float16 .npy and --bf16, and the portable
bfloat16 path (BATCHDOT_NO_BF16=1). Needs torch (python3-torch in PACKAGES)."""
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

import batchdot

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CLI = os.path.abspath(os.environ.get("BATCHDOT_CLI", os.path.join(REPO, "build", "bin", "batchdot")))

# Unit roundoff of the 16-bit result types.
UNIT = {"float16": 2.0**-11, "bfloat16": 2.0**-8}


def check_half(got64, x64, y64, dtype_name):
    """float32 accumulation (2·K·2^-24·Σ|xy|) then one rounding to the 16-bit type."""
    exact = np.matmul(x64, y64)
    mag = np.matmul(np.abs(x64), np.abs(y64))
    k = x64.shape[-1]
    acc = 2 * k * 2.0**-24 * mag + k * 2.0**-126
    tol = acc + (np.abs(exact) + acc) * UNIT[dtype_name] + 2.0**-24
    err = np.abs(got64 - exact)
    assert np.all(err <= tol), f"max err {err.max()} vs tol at argmax {tol.flat[err.argmax()]}"


@pytest.mark.parametrize("shape", [(3, 5, 7, 9), (4, 33, 40, 47), (2, 130, 70, 129), (16, 1, 64, 1)])
def test_numpy_float16(shape, rng):
    b, m, k, n = shape
    x = rng.uniform(-1, 1, (b, m, k)).astype(np.float16)
    y = rng.uniform(-1, 1, (b, k, n)).astype(np.float16)
    got = batchdot.batch_dot(x, y, axes=(2, 1))
    assert got.dtype == np.float16 and got.shape == (b, m, n)
    check_half(got.astype(np.float64), x.astype(np.float64), y.astype(np.float64), "float16")


def test_numpy_float16_bits_do_not_depend_on_threads(rng):
    x = rng.uniform(-1, 1, (3, 200, 96)).astype(np.float16)
    y = rng.uniform(-1, 1, (3, 96, 150)).astype(np.float16)[:, :, ::-1]  # negative column stride
    before = batchdot.get_num_threads()
    try:
        results = []
        for threads in (1, 2, 3):
            batchdot.set_num_threads(threads)
            results.append(batchdot.batch_dot(x, y, axes=(2, 1)))
    finally:
        batchdot.set_num_threads(before)
    for r in results[1:]:
        np.testing.assert_array_equal(r.view(np.uint16), results[0].view(np.uint16))


@pytest.mark.parametrize("shape", [(3, 5, 7, 9), (2, 64, 128, 96), (2, 77, 33, 65)])
def test_torch_bfloat16_in_and_out(shape):
    b, m, k, n = shape
    g = torch.Generator().manual_seed(sum(shape))
    tx = (torch.rand((b, m, k), generator=g) * 2 - 1).to(torch.bfloat16)
    ty = (torch.rand((b, k, n), generator=g) * 2 - 1).to(torch.bfloat16)
    result = batchdot.batch_dot(tx, ty, axes=(2, 1))
    assert isinstance(result, batchdot.DLPackResult)
    assert result.shape == (b, m, n) and result.dtype == "bfloat16"
    assert "bfloat16" in repr(result)
    t = torch.from_dlpack(result)
    assert t.dtype == torch.bfloat16 and tuple(t.shape) == (b, m, n)
    check_half(t.double().numpy(), tx.double().numpy(), ty.double().numpy(), "bfloat16")
    # A second export shares the same memory; the object outlives neither view's use.
    t2 = torch.from_dlpack(result)
    del result
    assert torch.equal(t, t2)


def test_torch_bfloat16_transposed_and_dot_general():
    g = torch.Generator().manual_seed(3)
    tx = (torch.rand((4, 40, 50), generator=g) * 2 - 1).to(torch.bfloat16).transpose(1, 2)  # (4, 50, 40)
    ty = (torch.rand((4, 50, 60), generator=g) * 2 - 1).to(torch.bfloat16)
    got = torch.from_dlpack(batchdot.dot_general(tx, ty, (((1,), (1,)), ((0,), (0,)))))
    want = torch.matmul(tx.double().transpose(1, 2), ty.double())
    check_half(got.double().numpy(), tx.double().transpose(1, 2).numpy(), ty.double().numpy(), "bfloat16")
    assert got.shape == want.shape


def test_torch_float16_comes_back_as_numpy_float16():
    g = torch.Generator().manual_seed(5)
    tx = (torch.rand((2, 17, 33), generator=g) * 2 - 1).half()
    ty = (torch.rand((2, 33, 9), generator=g) * 2 - 1).half()
    got = batchdot.batch_dot(tx, ty, axes=(2, 1))
    assert isinstance(got, np.ndarray) and got.dtype == np.float16
    check_half(got.astype(np.float64), tx.double().numpy(), ty.double().numpy(), "float16")


def test_unconsumed_dlpack_capsule_is_freed():
    tx = torch.ones((2, 3, 4), dtype=torch.bfloat16)
    result = batchdot.batch_dot(tx, tx.transpose(1, 2), axes=(2, 1))
    for _ in range(3):
        capsule = result.__dlpack__()
        assert type(capsule).__name__ == "PyCapsule"
        del capsule  # the capsule's destructor releases its reference
    assert result.__dlpack_device__() == (1, 0)
    with pytest.raises(TypeError):
        result.__dlpack__(stream=1)
    assert torch.from_dlpack(result).float().eq(4.0).all()


PORTABLE = """
import sys, numpy as np, torch, batchdot
g = torch.Generator().manual_seed(11)
tx = (torch.rand((3, 96, 80), generator=g) * 2 - 1).to(torch.bfloat16)
ty = (torch.rand((3, 80, 112), generator=g) * 2 - 1).to(torch.bfloat16)
r = torch.from_dlpack(batchdot.batch_dot(tx, ty, axes=(2, 1)))
np.save(sys.argv[1], r.view(torch.int16).numpy())
print([l for l in batchdot.build_info().splitlines() if "bfloat16" in l][0])
"""


def test_bfloat16_with_and_without_dot_products(tmp_path):
    """Both bf16 GEMM paths (AVX-512 BF16 when the CPU has it, float32
    conversion with BATCHDOT_NO_BF16=1) agree with the oracle."""
    g = torch.Generator().manual_seed(11)
    tx = (torch.rand((3, 96, 80), generator=g) * 2 - 1).to(torch.bfloat16)
    ty = (torch.rand((3, 80, 112), generator=g) * 2 - 1).to(torch.bfloat16)
    lines = {}
    for flag in ("0", "1"):
        env = dict(os.environ, BATCHDOT_NO_BF16=flag)
        out = tmp_path / f"r{flag}.npy"
        proc = subprocess.run([sys.executable, "-c", PORTABLE, str(out)], env=env, capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 0, proc.stderr
        lines[flag] = proc.stdout.strip()
        bits = np.load(out).astype(np.uint16).astype(np.uint32) << 16
        check_half(bits.view(np.float32).astype(np.float64), tx.double().numpy(), ty.double().numpy(), "bfloat16")
    assert "off (BATCHDOT_NO_BF16)" in lines["1"] or "no (CPU)" in lines["1"]
    assert "off" not in lines["0"]


def test_cli_float16_npy_and_bf16(tmp_path, rng):
    x = rng.uniform(-1, 1, (2, 70, 90)).astype(np.float32)
    y = rng.uniform(-1, 1, (2, 90, 40)).astype(np.float32)
    xp, yp, out = tmp_path / "x.npy", tmp_path / "y.npy", tmp_path / "o.npy"
    np.save(xp, x.astype(np.float16))
    np.save(yp, y.astype(np.float16))
    proc = subprocess.run([CLI, "run", str(xp), str(yp), "-o", str(out)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    got = np.load(out)
    assert got.dtype == np.float16
    check_half(got.astype(np.float64), x.astype(np.float16).astype(np.float64),
               y.astype(np.float16).astype(np.float64), "float16")
    # bfloat16 files as NumPy stores them without ml_dtypes: '<V2'.
    to_bf16 = lambda a: ((a.view(np.uint32) + 0x7FFF + ((a.view(np.uint32) >> 16) & 1)) >> 16).astype("<u2")
    xb, yb = to_bf16(x), to_bf16(y)
    np.save(xp, xb.view("V2"))
    np.save(yp, yb.view("V2"))
    proc = subprocess.run([CLI, "run", str(xp), str(yp), "-o", str(out), "--bf16"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    got = (np.load(out).view("<u2").astype(np.uint32) << 16).view(np.float32)
    widen = lambda b: (b.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
    check_half(got.astype(np.float64), widen(xb), widen(yb), "bfloat16")
