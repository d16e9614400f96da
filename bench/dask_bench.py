#!/usr/bin/python3
"""batchdot.dask against dask's own da.einsum and da.matmul, on dask.distributed.

Usage (after `make build`):
    PYTHONPATH=build/python /usr/bin/python3 bench/dask_bench.py [--repeats 5] [--quick]
                                                                 [--markdown FILE] [--json FILE]

A LocalCluster of 2 worker processes x 1 thread (batchdot, NumPy and OpenBLAS one thread
each), memory_limit 512 MiB per worker. Every case gives all methods the same input chunking,
and methods run interleaved (method A, B, C, then A, B, C again, ...); reported are medians
and the ratio batchdot / peer (< 1: batchdot is faster).

- In-memory cases: inputs are persisted on the workers first, then each method's result is
  persisted and waited for (the time includes dask's scheduling, as a user sees it).
- The out-of-memory-limit case: inputs several times one worker's memory limit, generated
  lazily by da.random in 8 MiB float32 chunks, so they never exist whole; each method's result is
  reduced per batch item on the workers (at most 3 repeats). The generation alone is timed too (same run), so
  the contraction's share can be read off. A method that fails (worker killed for memory)
  or takes longer than --timeout is reported as such.
"""
import argparse
import json
import logging
import os
import statistics
import sys
import time

for _var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # NumPy's OpenBLAS runs unsteered
    os.environ.pop(_var, None)
os.environ["BATCHDOT_NUM_THREADS"] = "1"  # inherited by the spawned workers

import dask  # noqa: E402
import dask.array as da  # noqa: E402
import numpy as np  # noqa: E402
from dask.distributed import Client, LocalCluster, wait  # noqa: E402

import batchdot  # noqa: E402
import batchdot.dask as bdd  # noqa: E402

MEMORY_LIMIT = "512MiB"


def keras_crossed_matmul(x, y):
    """Keras' own composite for (B,12,4,5).(B,12,5,8): reshape x to (B,48,5), move y's
    contracted axis forward to (B,5,96), one batched matmul, reshape back."""
    b, i, j, k = x.shape
    _, l, _, m = y.shape
    xr = x.reshape(b, i * j, k)
    yr = y.transpose(0, 2, 1, 3).reshape(b, k, l * m)
    return da.matmul(xr, yr).reshape(b, i, j, l, m)


def cases(quick):
    scale = 4 if quick else 1
    f32 = np.float32
    bmm = dict(name="bmm (4096,64,64)x(4096,64,64) f32, batch chunks 256",
               x=((4096 // scale, 64, 64), (256, 64, 64)), y=((4096 // scale, 64, 64), (256, 64, 64)), dtype=f32,
               methods={"batchdot": lambda x, y: bdd.batch_dot(x, y),
                        "da.einsum": lambda x, y: da.einsum("bij,bjk->bik", x, y),
                        "da.matmul": lambda x, y: da.matmul(x, y)})
    crossed = dict(name="Keras crossed (4000,12,4,5)x(4000,12,5,8) f32, batch chunks 500",
                   x=((4000 // scale, 12, 4, 5), (500, 12, 4, 5)), y=((4000 // scale, 12, 5, 8), (500, 12, 5, 8)),
                   dtype=f32,
                   methods={"batchdot": lambda x, y: bdd.batch_dot(x, y),
                            "da.einsum": lambda x, y: da.einsum("bijk,blkm->bijlm", x, y),
                            "Keras-style da.matmul": keras_crossed_matmul})
    chunked_k = dict(name="chunked K (128,64,2048)x(128,2048,64) f32, chunks (32,64,512)",
                     x=((128 // scale, 64, 2048), (32, 64, 512)), y=((128 // scale, 2048, 64), (32, 512, 64)),
                     dtype=f32,
                     methods={"batchdot": lambda x, y: bdd.batch_dot(x, y),
                              "batchdot partial sums": lambda x, y: bdd.batch_dot(x, y, gather_limit=0),
                              "da.einsum": lambda x, y: da.einsum("bij,bjk->bik", x, y),
                              "da.matmul": lambda x, y: da.matmul(x, y)})
    big_b = 8192 // scale  # 512 MiB per float32 input, 1.5 GiB with the result: 3x one worker's limit
    big = dict(name=f"beyond memory: ({big_b},128,128)x({big_b},128,128) f32 from da.random, chunks 128",
               x=((big_b, 128, 128), (128, 128, 128)), y=((big_b, 128, 128), (128, 128, 128)), dtype=f32,
               generated=True, max_repeats=3,  # ~10 s of generation per run
               # The baseline draws and reads both inputs, like every method, and does no product.
               methods={"generation only": lambda x, y: x.sum(axis=2) + y.sum(axis=1),
                        "batchdot": lambda x, y: bdd.batch_dot(x, y),
                        "da.einsum": lambda x, y: da.einsum("bij,bjk->bik", x, y),
                        "da.matmul": lambda x, y: da.matmul(x, y)})
    return [bmm, crossed, chunked_k, big]


def make_inputs(case, seed):
    rs = da.random.RandomState(seed)
    (xs, xc), (ys, yc) = case["x"], case["y"]
    # Uniform [-1, 1): cheaper to draw than normals, which matters where generation is timed.
    x = (rs.random_sample(xs, chunks=xc) * 2 - 1).astype(case["dtype"])
    y = (rs.random_sample(ys, chunks=yc) * 2 - 1).astype(case["dtype"])
    return x, y


def run_once(client, case, method, x, y, timeout):
    result = case["methods"][method](x, y)
    start = time.perf_counter()
    if case.get("generated"):
        # Reduce per batch item on the workers; only (B,) comes back.
        future = client.compute(result.sum(axis=tuple(range(1, result.ndim))))
        future.result(timeout=timeout)
        del future
    else:
        persisted = result.persist()
        wait(persisted, timeout=timeout)
        del persisted
    return time.perf_counter() - start


def bench_case(client, case, repeats, timeout):
    x, y = make_inputs(case, 0)
    if not case.get("generated"):
        x, y = x.persist(), y.persist()
        wait([x, y])
        # Same values for every method: batchdot and the peers agree (sanity, not timed).
        got = case["methods"]["batchdot"](x, y).compute()
        for method, fn in case["methods"].items():
            peer = fn(x, y).compute()
            scale = np.abs(peer).max() or 1.0
            assert np.abs(got - peer).max() <= 1e-4 * scale, f"{case['name']}: {method} disagrees"
    times = {m: [] for m in case["methods"]}
    failed = {}
    for _ in range(min(repeats, case.get("max_repeats", repeats))):
        for method in case["methods"]:
            if method in failed:
                continue
            try:
                times[method].append(run_once(client, case, method, x, y, timeout))
            except Exception as e:  # a killed worker or a timeout is a result, not a crash of the bench
                failed[method] = f"{type(e).__name__}: {str(e).splitlines()[0][:120] if str(e) else ''}"
                client.restart()
                if not case.get("generated"):
                    x, y = make_inputs(case, 0)
                    x, y = x.persist(), y.persist()
                    wait([x, y])
    return {m: statistics.median(t) if t and m not in failed else None for m, t in times.items()}, failed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--quick", action="store_true", help="a quarter of the batch sizes, for a smoke run")
    parser.add_argument("--markdown")
    parser.add_argument("--json")
    args = parser.parse_args()

    cluster = LocalCluster(processes=True, n_workers=2, threads_per_worker=1, memory_limit=MEMORY_LIMIT,
                           dashboard_address=None, silence_logs=logging.ERROR)
    rows, report = [], {"dask": dask.__version__, "batchdot": batchdot.__version__, "workers": 2,
                        "threads_per_worker": 1, "memory_limit": MEMORY_LIMIT, "cases": []}
    with Client(cluster) as client:
        for case in cases(args.quick):
            medians, failed = bench_case(client, case, args.repeats, args.timeout)
            ours, partial = medians["batchdot"], medians.get("batchdot partial sums")
            entry = {"case": case["name"], "median_s": medians, "failed": failed}
            report["cases"].append(entry)
            for method, median in medians.items():
                peer = method not in ("batchdot", "batchdot partial sums", "generation only")
                if method in failed:
                    cell, ratio, ratio_partial = f"failed ({failed[method]})", "–", "–"
                else:
                    cell = f"{median:.3f}"
                    ratio = f"{ours / median:.2f}" if ours and peer else "–"
                    ratio_partial = f"{partial / median:.2f}" if partial and peer else "–"
                rows.append(f"| {case['name']} | {method} | {cell} | {ratio} | {ratio_partial} |")
                print(rows[-1], flush=True)
        # Peak resident memory of each worker process over the whole run (all cases).
        peaks = client.run(lambda: __import__("resource").getrusage(0).ru_maxrss / 1024)
        report["worker_peak_rss_mib"] = sorted(peaks.values())
        peak_line = "worker peak RSS over the run (MiB): " + ", ".join(f"{p:.0f}" for p in sorted(peaks.values()))
    cluster.close()
    header = [f"dask {dask.__version__}, LocalCluster 2 processes x 1 thread, memory_limit {MEMORY_LIMIT} "
              f"per worker, {args.repeats} interleaved repeats (3 for the beyond-memory case); "
              f"ratio = batchdot median / method median (< 1: batchdot is faster)", "",
              "| case | method | median s | batchdot / method | batchdot partial sums / method |",
              "|---|---|---|---|---|"]
    text = "\n".join(header + rows + ["", peak_line]) + "\n"
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
