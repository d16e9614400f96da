"""What a user meets at the edges: picklable errors, MemoryError that names the
size, element-exact overlap checks for out= (against np.shares_memory), one
thread-count rule for set_num_threads and the environment, and bfloat16 without
ml_dtypes."""
import os
import pickle
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

import batchdot


def _raise_in_worker(kind):
    if kind == "shape":
        batchdot.batch_dot(np.ones((2, 3)), np.ones((3, 3)))
    batchdot.batch_dot(np.ones((2, 3), bool), np.ones((2, 3)))


# ---------------------------------------------------------------- pickling

@pytest.mark.parametrize("kind,cls", [("shape", batchdot.BatchDotError), ("dtype", batchdot.DTypeError)])
def test_errors_pickle_and_cross_a_process_pool(kind, cls):
    with pytest.raises(cls) as info:
        _raise_in_worker(kind)
    again = pickle.loads(pickle.dumps(info.value))
    assert type(again) is cls and str(again) == str(info.value)
    with ProcessPoolExecutor(max_workers=1) as pool:
        future = pool.submit(_raise_in_worker, kind)
        with pytest.raises(cls) as remote:
            future.result(timeout=60)
    assert str(remote.value) == str(info.value)


# ---------------------------------------------------------------- memory

def test_a_result_too_large_raises_memory_error_with_its_size():
    # Zero-stride inputs cost nothing; the (1, 9e6, 9e6) float16 result needs
    # 162 TB, more than a 47-bit address space holds, so it fails everywhere.
    x = np.broadcast_to(np.ones((1, 1, 1), np.float16), (1, 9_000_000, 1))
    y = np.broadcast_to(np.ones((1, 1, 1), np.float16), (1, 1, 9_000_000))
    with pytest.raises(MemoryError) as info:
        batchdot.batch_dot(x, y)
    assert str(info.value) == "out of memory: the result needs 162.0 TB (1 x 9000000 x 9000000 float16)"


# The issue's demonstrations, each in a child process whose address space is
# limited to what it has mapped plus 3 MiB once its arrays exist: room for a
# plan, not for a worker's 8 MiB stack or a workspace of several MiB. RLIMIT_AS rather
# than RLIMIT_NPROC, which is not enforced for root. The child prints what
# happened; a process killed by SIGABRT (exit 134 before) prints nothing.
_UNDER_LIMIT = r"""
import ctypes, resource, sys
import numpy as np
import batchdot
dtype, threads, m = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
batchdot.set_num_threads(threads)
# No temporaries: freed heap memory would stay mapped and count as headroom.
x = np.full((2, m, m), 2, dtype)
y = np.full((2, m, m), 3, dtype)
out = np.empty((2, m, m), dtype)
ctypes.CDLL(None).malloc_trim(0)
mapped = int(open("/proc/self/statm").read().split()[0]) * resource.getpagesize()
soft, hard = resource.getrlimit(resource.RLIMIT_AS)
resource.setrlimit(resource.RLIMIT_AS, (mapped + (3 << 20), hard))
try:
    batchdot.batch_dot(x, y, out=out)
    outcome = "computed"
except MemoryError as e:
    outcome = "MemoryError: " + str(e)
resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
if outcome == "computed":
    batchdot.set_num_threads(1)
    assert (batchdot.batch_dot(x, y) == out).all()
print(outcome)
"""


def _under_limit(dtype, threads, m):
    proc = subprocess.run([sys.executable, "-c", _UNDER_LIMIT, dtype, str(threads), str(m)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, (proc.returncode, proc.stderr)
    return proc.stdout.strip()


@pytest.mark.parametrize("threads", [1, 2])
def test_a_workspace_that_does_not_fit_is_a_memory_error_not_an_abort(threads):
    # A float16 item of 1024 x 1024 x 1024 widens into 6 MiB of float32 buffers.
    got = _under_limit("float16", threads, 1024)
    assert got.startswith("MemoryError: out of memory: the float16 kernel needs"), got


@pytest.mark.parametrize("dtype", ["float32", "float16"])
@pytest.mark.parametrize("threads", [1, 2])
def test_a_worker_that_cannot_start_leaves_the_call_to_the_caller(dtype, threads):
    # 2 x 128 x 128 x 128 needs two threads' worth of work and little scratch.
    assert _under_limit(dtype, threads, 128) == "computed"


# ---------------------------------------------------------------- out= overlap

def test_the_issue_cases():
    base = np.zeros(400)
    # Every element of this view is reached through several indices.
    tangled = np.lib.stride_tricks.as_strided(base, (4, 5, 7), (16, 16, 16))
    x, y = np.ones((4, 5, 3)), np.ones((4, 3, 7))
    with pytest.raises(batchdot.BatchDotError, match="share memory"):
        batchdot.batch_dot(x, y, out=tangled)
    # Rows that overlap partly: row stride 4 elements, rows of 7.
    partial = np.lib.stride_tricks.as_strided(base, (4, 5, 7), (5 * 4 * 8, 4 * 8, 8))
    with pytest.raises(batchdot.BatchDotError, match="share memory"):
        batchdot.batch_dot(x, y, out=partial)
    assert not base.any()  # nothing written
    # out on the even elements, x on the odd ones: allowed, and correct.
    buf = np.arange(2 * 4 * 3 * 2, dtype=np.float64) % 5
    x = buf[1::2].reshape(2, 4, 3)
    out = buf[0::2].reshape(2, 4, 3)
    y = np.arange(2 * 3 * 3, dtype=np.float64).reshape(2, 3, 3) % 4
    want = np.einsum("bij,bjk->bik", x, y)
    batchdot.batch_dot(x, y, out=out)
    np.testing.assert_array_equal(out, want)


def _random_view(rng, base, shape, unit):
    """A random strided float32 view of `base` (bytes) of this shape, possibly
    self-overlapping, with byte strides and offset multiples of `unit`."""
    strides = tuple(int(s) * unit for s in rng.integers(-24 // unit, 24 // unit + 1, len(shape)))
    lo = sum((d - 1) * s for d, s in zip(shape, strides) if s < 0)
    hi = sum((d - 1) * s for d, s in zip(shape, strides) if s > 0)
    room = base.nbytes - (hi - lo) - 4
    if room < 0:
        return None
    start = int(rng.integers(0, room // unit + 1)) * unit - lo
    return np.lib.stride_tricks.as_strided(base[start:start + 4].view(np.float32).reshape(()), shape, strides)


def test_overlap_checks_agree_with_np_shares_memory(rng):
    """out and lhs are random views of one buffer: dot_general(lhs, [1], no
    axes) writes out[..., 0] = lhs, and must be refused exactly when out shares
    memory with lhs (np.shares_memory) or with itself (brute force). out's byte
    strides are even, so some are misaligned (computed into a staging copy, then
    copied in); lhs stays aligned (a misaligned input is copied before the call,
    so it cannot alias out)."""
    base = np.zeros(192, np.uint8)
    rhs = np.ones((1,), np.float32)
    counts = {"refused": 0, "accepted": 0}
    for _ in range(3000):
        shape = tuple(int(d) for d in rng.integers(1, 5, int(rng.integers(1, 4))))
        out, lhs = _random_view(rng, base, shape, 2), _random_view(rng, base, shape, 4)
        if out is None or lhs is None:
            continue
        shares = np.shares_memory(out, lhs, max_work=None) or not _self_disjoint(out)
        try:
            batchdot.dot_general(lhs, rhs, (((), ()), ((), ())), out=out[..., np.newaxis])
            assert not shares, (out.shape, out.strides, lhs.strides)
            counts["accepted"] += 1
        except batchdot.BatchDotError as e:
            assert shares, (str(e), out.shape, out.strides, lhs.strides)
            assert "may" not in str(e)  # small views are always decided exactly
            counts["refused"] += 1
    assert counts["refused"] > 200 and counts["accepted"] > 200, counts


def _self_disjoint(view):
    """True when no two indices of `view` reach a common byte (brute force)."""
    offsets = set()
    itemsize = view.itemsize
    for index in np.ndindex(*view.shape):
        start = sum(i * s for i, s in zip(index, view.strides))
        for b in range(itemsize):
            if start + b in offsets:
                return False
            offsets.add(start + b)
    return True


# ---------------------------------------------------------------- threads

@pytest.mark.parametrize("n", [0, -1, 1025, 100000, 2**70])
def test_set_num_threads_range(n, restore_threads):
    before = batchdot.get_num_threads()
    with pytest.raises(ValueError, match="between 1 and 1024, got"):
        batchdot.set_num_threads(n)
    assert batchdot.get_num_threads() == before


def test_set_num_threads_bounds_accepted(restore_threads):
    for n in (1, 1024, np.int64(3)):
        batchdot.set_num_threads(n)
        assert batchdot.get_num_threads() == int(n)


def _threads_in_child(env):
    code = "import batchdot; print(batchdot.get_num_threads())"
    full = dict(os.environ, **env)
    for name in ("BATCHDOT_NUM_THREADS", "OMP_NUM_THREADS"):
        if name not in env:
            full.pop(name, None)
    proc = subprocess.run([sys.executable, "-c", code], env=full, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return int(proc.stdout), [line for line in proc.stderr.splitlines() if line.strip()]


@pytest.mark.parametrize("value", ["abc", "100000", "0", "-3", "2x", ""])
def test_bad_environment_value_warns_once_and_is_ignored(value):
    cpus = len(os.sched_getaffinity(0))
    got, warnings = _threads_in_child({"BATCHDOT_NUM_THREADS": value})
    assert got == min(cpus, 1024)
    assert len(warnings) == 1 and warnings[0].startswith("batchdot: warning: ignoring BATCHDOT_NUM_THREADS="), warnings
    # The next source is still consulted.
    got, warnings = _threads_in_child({"BATCHDOT_NUM_THREADS": value, "OMP_NUM_THREADS": "3"})
    assert got == 3 and len(warnings) == 1


def test_good_environment_values():
    assert _threads_in_child({"BATCHDOT_NUM_THREADS": "5"}) == (5, [])
    assert _threads_in_child({"OMP_NUM_THREADS": "4,2"}) == (4, [])  # OpenMP's per-level list


# ---------------------------------------------------------------- bfloat16

def test_bfloat16_without_ml_dtypes_comes_back_through_dlpack():
    """NumPy has no bfloat16: without ml_dtypes a bf16 result comes back as a
    batchdot.DLPackResult that torch (or any DLPack consumer) takes, as README says."""
    try:
        import ml_dtypes  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("ml_dtypes is installed: bfloat16 arrays exist")  # not on Debian 12
    torch = pytest.importorskip("torch")
    x = torch.ones((2, 3, 4), dtype=torch.bfloat16)
    result = batchdot.batch_dot(x, x.transpose(1, 2))
    assert isinstance(result, batchdot.DLPackResult)
    got = torch.from_dlpack(result)
    assert got.dtype == torch.bfloat16 and got.shape == (2, 3, 3) and (got == 4).all()
    # bf16 with float32 promotes to float32, which NumPy holds.
    got = batchdot.batch_dot(x, np.ones((2, 4, 5), np.float32))
    assert got.dtype == np.float32 and (got == 4).all()


# ---------------------------------------------------------------- BATCHDOT_DEBUG

def test_debug_names_the_kernel_family_and_its_summation_order():
    code = ("import numpy as np, batchdot\n"
            "batchdot.batch_dot(np.ones((64, 8, 8), np.float32), np.ones((64, 8, 8), np.float32))\n"
            "batchdot.batch_dot(np.ones((64, 8)), np.ones((64, 8)))\n")
    env = dict(os.environ, BATCHDOT_DEBUG="1", BATCHDOT_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    plans = [line for line in proc.stderr.splitlines() if line.startswith("batchdot: plan: ")]
    assert plans == ["batchdot: plan: small kernel (matrix order), float32, 64 x (8 x 8 x 8), 1 thread",
                     "batchdot: plan: dot kernel (dot order), float64, 64 x (1 x 1 x 8), 1 thread"], proc.stderr
