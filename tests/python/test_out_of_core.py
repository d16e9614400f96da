"""Out-of-core `batchdot run`: the result is computed in chunks of batch items (or row bands of one item)
straight into a pre-sized temporary file.

Contract checked here: the file's bytes equal the in-memory path's (hidden --in-memory) for every chunk
budget, thread count, layout, byte order and dtype mix, and equal NumPy's on exact inputs; anonymous
memory stays bounded (RLIMIT_DATA far below the result) while the in-memory path fails under the same limit.
"""
import os
import resource
import subprocess
import sys
import zlib

import numpy as np
import pytest

from test_cli import CLI, oracle, run_cli, small_ints


def save_c(path, a):
    np.save(path, a)


def save_fortran(path, a):
    np.save(path, np.asfortranarray(a))


def save_big_endian(path, a):
    np.save(path, a.astype(a.dtype.newbyteorder(">")))


def save_big_endian_fortran(path, a):
    np.save(path, np.asfortranarray(a.astype(a.dtype.newbyteorder(">"))))


def save_misaligned(path, a):
    """A version 1.0 file whose data start at an odd offset (other writers do this)."""
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %r, }" % (a.dtype.str, a.shape)
    header += " " * (7 - (10 + len(header) + 1) % 8) + "\n"  # data at 7 mod 8
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + a.tobytes())


SAVERS = {"c": save_c, "fortran": save_fortran, "big-endian": save_big_endian,
          "big-endian-fortran": save_big_endian_fortran, "misaligned": save_misaligned}


def run_bytes(tmp_path, name, xp, yp, *extra):
    out = tmp_path / f"{name}.npy"
    proc = run_cli("run", xp, yp, "-o", out, *extra)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "" and proc.stdout == ""
    return out.read_bytes()


# (x shape, y shape, axes, x dtype, y dtype): batch chunks, row bands (M >= 64), gemv (N = 1),
# the seed's gathered columns, dot products, and Keras' (B, 1) output.
PROBLEMS = [
    ((7, 9, 17), (7, 17, 33), None, "float32", "float32"),
    ((5, 200, 37), (5, 37, 45), None, "float32", "float32"),     # bands of 32 rows and a remainder
    ((3, 131, 70), (3, 70, 1), None, "float64", "float64"),      # gemv, bands
    ((10, 12, 4, 5), (10, 12, 5, 8), None, "float32", "float32"),  # the seed
    ((6, 300), (6, 300), None, "float32", "float32"),            # (B, 1)
    ((4, 65, 9), (4, 9, 130), (2, 1), "int32", "float64"),        # promotion, converted per chunk
    ((4, 70, 6), (4, 6, 5), None, "int64", "int64"),
    ((3, 66, 5), (3, 5, 7), None, "complex64", "complex64"),
    ((3, 64, 5), (3, 5, 7), None, "float16", "float16"),
]


def random_operands(rng, problem):
    xs, ys, _, dx, dy = problem
    def make(shape, dtype):
        if np.dtype(dtype).kind in "iu":
            return rng.integers(-50, 50, shape).astype(dtype)
        values = rng.standard_normal(shape) + (1j * rng.standard_normal(shape) if np.dtype(dtype).kind == "c" else 0)
        return values.astype(dtype)
    return make(xs, dx), make(ys, dy)


def axes_args(axes):
    return [] if axes is None else [f"--axes={axes[0]},{axes[1]}"]


@pytest.mark.parametrize("layout", list(SAVERS))
@pytest.mark.parametrize("problem", PROBLEMS, ids=lambda p: f"{p[0]}x{p[1]}-{p[3]}-{p[4]}")
def test_chunked_bytes_equal_in_memory_bytes(tmp_path, problem, layout):
    """Random reals, so a different summation order would show in the bits."""
    rng = np.random.default_rng(zlib.crc32(repr((problem, layout)).encode()))
    x, y = random_operands(rng, problem)
    xp, yp = tmp_path / "x.npy", tmp_path / "y.npy"
    SAVERS[layout](xp, x)
    save_c(yp, y) if layout == "misaligned" else SAVERS[layout](yp, y)
    axes = axes_args(problem[2])
    want = run_bytes(tmp_path, "in-memory", xp, yp, *axes, "--in-memory", "-t", "1")
    for threads in ("1", "2", "3"):
        for budget in ("1", "5000", "100000", None):
            extra = ["--chunk-bytes", budget] if budget else []
            got = run_bytes(tmp_path, f"ooc-{threads}-{budget}", xp, yp, *axes, "-t", threads, *extra)
            assert got == want, (threads, budget)


@pytest.mark.parametrize("problem", PROBLEMS[:6], ids=lambda p: f"{p[0]}x{p[1]}")
def test_chunked_results_equal_numpy_on_exact_inputs(tmp_path, problem):
    rng = np.random.default_rng(3)
    xs, ys, axes, dx, dy = problem
    x, y = small_ints(rng, xs, dx), small_ints(rng, ys, dy)
    xp, yp = tmp_path / "x.npy", tmp_path / "y.npy"
    save_big_endian(xp, x)
    save_fortran(yp, y)
    run_bytes(tmp_path, "out", xp, yp, *axes_args(axes), "--chunk-bytes", "1")
    got = np.load(tmp_path / "out.npy")
    want = oracle(x, y, axes)
    assert got.shape == want.shape and got.dtype == np.result_type(x, y)
    np.testing.assert_array_equal(got, want)


def test_reference_path_is_chunked_too(tmp_path):
    rng = np.random.default_rng(4)
    x, y = small_ints(rng, (9, 70, 5), np.float32), small_ints(rng, (9, 5, 6), np.float32)
    xp, yp = tmp_path / "x.npy", tmp_path / "y.npy"
    save_c(xp, x)
    save_c(yp, y)
    want = run_bytes(tmp_path, "whole", xp, yp, "--in-memory", "--reference")
    assert run_bytes(tmp_path, "chunks", xp, yp, "--reference", "--chunk-bytes", "1") == want
    assert run_bytes(tmp_path, "fast", xp, yp, "--chunk-bytes", "1") == want


def test_empty_results(tmp_path):
    for xs, ys in (((0, 3, 4), (0, 4, 5)), ((3, 0, 4), (3, 4, 5)), ((3, 2, 0), (3, 0, 5))):
        x, y = np.ones(xs, np.float32), np.ones(ys, np.float32)
        xp, yp = tmp_path / "x.npy", tmp_path / "y.npy"
        save_c(xp, x)
        save_c(yp, y)
        got = run_bytes(tmp_path, "out", xp, yp)
        assert got == run_bytes(tmp_path, "whole", xp, yp, "--in-memory")
        np.testing.assert_array_equal(np.load(tmp_path / "out.npy"), oracle(x, y))


def test_progress_only_when_asked(tmp_path):
    rng = np.random.default_rng(5)
    xp, yp = tmp_path / "x.npy", tmp_path / "y.npy"
    save_c(xp, rng.standard_normal((64, 64, 8), np.float32))
    save_c(yp, rng.standard_normal((64, 8, 64), np.float32))
    quiet = run_cli("run", xp, yp, "-o", tmp_path / "a.npy", "--chunk-bytes", "20000")
    assert quiet.returncode == 0 and quiet.stderr == ""  # stderr is a pipe: nothing extra
    loud = run_cli("run", xp, yp, "-o", tmp_path / "b.npy", "--chunk-bytes", "20000", "--progress")
    assert loud.returncode == 0, loud.stderr
    assert "64/64 items" in loud.stderr and "items/s" in loud.stderr and loud.stderr.endswith("\n")
    assert (tmp_path / "a.npy").read_bytes() == (tmp_path / "b.npy").read_bytes()
    both = run_cli("run", xp, yp, "-o", tmp_path / "c.npy", "--progress", "--quiet")
    assert both.returncode == 2 and "excludes" in both.stderr


# ---- bounded memory ----

LIMIT = 64 << 20  # RLIMIT_DATA: private writable memory (heap, anonymous mappings, stacks)

PEAK_RSS = r"""
import resource, subprocess, sys
limit = int(sys.argv[1])
def preexec():
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
proc = subprocess.run(sys.argv[2:], preexec_fn=preexec, capture_output=True, text=True)
sys.stderr.write(proc.stderr)
print(proc.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def run_limited(*args, limit=LIMIT):
    """Runs the CLI under RLIMIT_DATA = `limit`; returns (exit status, peak RSS in bytes, stderr)."""
    proc = subprocess.run([sys.executable, "-c", PEAK_RSS, str(limit), CLI, *map(str, args)],
                          capture_output=True, text=True, timeout=600)
    status, peak_kib = map(int, proc.stdout.split())
    return status, peak_kib * 1024, proc.stderr


HEAVY = os.environ.get("BATCHDOT_HEAVY_TESTS") == "1"


def test_a_result_eight_times_the_memory_limit(tmp_path):
    """The fast equivalent of the 1 GiB run below: 256 MiB through 4 MiB chunks under a 32 MiB limit."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((64, 1024, 8), np.float32)  # 2 MiB
    y = rng.standard_normal((64, 8, 1024), np.float32)
    xp, yp, out = tmp_path / "x.npy", tmp_path / "y.npy", tmp_path / "out.npy"
    save_c(xp, x)
    save_c(yp, y)
    limit = 32 << 20
    status, _, err = run_limited("run", xp, yp, "-o", out, "-t", "1", "--in-memory", limit=limit)
    assert status == 1 and "out of memory" in err, (status, err)
    status, peak, err = run_limited("run", xp, yp, "-o", out, "-t", "1", "--chunk-bytes", str(4 << 20), limit=limit)
    assert status == 0, err
    assert peak < 48 << 20, f"peak RSS {peak / 2**20:.1f} MiB"
    got = np.load(out, mmap_mode="r")
    for b in (0, 63):
        np.testing.assert_allclose(got[b], x[b] @ y[b], rtol=1e-5, atol=1e-4)


@pytest.mark.skipif(not HEAVY, reason="heavy (a 1 GiB result): BATCHDOT_HEAVY_TESTS=1, which .ci/run sets")
def test_a_result_sixteen_times_the_memory_limit(tmp_path):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((256, 1024, 8), np.float32)  # 8 MiB
    y = rng.standard_normal((256, 8, 1024), np.float32)
    xp, yp, out = tmp_path / "x.npy", tmp_path / "y.npy", tmp_path / "out.npy"
    save_c(xp, x)
    save_c(yp, y)
    result_bytes = 256 * 1024 * 1024 * 4
    assert result_bytes >= 16 * LIMIT
    try:
        # The old path needs the whole GiB: the limit must stop it, or the test proves nothing.
        status, _, err = run_limited("run", xp, yp, "-o", out, "-t", "2", "--in-memory")
        assert status == 1 and "out of memory" in err, (status, err)
        assert not out.exists()
        status, peak, err = run_limited("run", xp, yp, "-o", out, "-t", "2")
        assert status == 0, err
        # Peak RSS also counts the mapped inputs (16 MiB) and the binary.
        assert peak < 96 << 20, f"peak RSS {peak / 2**20:.1f} MiB"
        got = np.load(out, mmap_mode="r")
        assert got.shape == (256, 1024, 1024)
        for b in (0, 97, 255):  # spot checks against NumPy
            np.testing.assert_allclose(got[b], x[b] @ y[b], rtol=1e-5, atol=1e-4)
    finally:
        if out.exists():
            out.unlink()
