"""Shared by the bench/torch_*.py benchmarks: interleaved timing (ratio of
medians) and one child process per thread count, torch and batchdot both set to it."""
import json
import os
import statistics
import subprocess
import sys
import time


def interleaved(fns, reps=25, min_sample_seconds=5e-3):
    """Median seconds per call of each function, sampled in turn (A, B, A, B, ...)
    so that a load change on the shared machine hits both alike."""
    for fn in fns:
        fn()
    start = time.perf_counter()
    fns[-1]()
    inner = max(1, int(min_sample_seconds / max(time.perf_counter() - start, 1e-9)))
    samples = [[] for _ in fns]
    for _ in range(reps):
        for fn, store in zip(fns, samples):
            start = time.perf_counter()
            for _ in range(inner):
                fn()
            store.append((time.perf_counter() - start) / inner)
    return [statistics.median(s) for s in samples]


def set_threads(threads):
    import torch

    import batchdot

    torch.set_num_threads(threads)
    # Left unset: batchdot.torch follows torch.get_num_threads() by default (the
    # NumPy module keeps its own count, set here for rows that use it).
    batchdot._batchdot.set_num_threads(threads)


def per_thread_count(script, threads, extra=()):
    """Runs `script --child --threads N` once per N in a fresh process (OpenMP
    pools size themselves once) and returns all rows it printed as JSON."""
    rows = []
    for n in threads:
        env = dict(os.environ, OMP_NUM_THREADS=str(n), OPENBLAS_NUM_THREADS=str(n))
        env.pop("OPENBLAS_CORETYPE", None)
        env.pop("OPENBLAS_L2_SIZE", None)
        out = subprocess.run([sys.executable, script, "--child", "--threads", str(n), *extra], env=env, check=True,
                             capture_output=True, text=True).stdout
        rows += json.loads(out.strip().splitlines()[-1])
    return rows


def load_text():
    """`uptime`'s load average: the machine is shared, say how loaded it was."""
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])
