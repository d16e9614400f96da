#!/usr/bin/python3
"""batchdot against NumPy and PyTorch on the batch_dot sweep, in one process.

Usage (after `make build`; python3-torch is optional, python3-numpy is required):
    PYTHONPATH=build/python /usr/bin/python3 bench/compare.py [--threads 1 2] [--quick] [--markdown FILE]

For each shape and thread count it times, as medians of several samples:
  - batchdot.batch_dot returning a fresh result, and with out= into a preallocated array;
  - NumPy: np.matmul where the shape is a plain batched matmul, the Keras-style
    transpose+reshape+matmul, np.einsum(optimize=True) and with out= where np.matmul allows it;
  - PyTorch: torch.bmm / Keras-style movedim+reshape+bmm, and bmm(out=).
Ratios compare like with like: batchdot fresh vs the best allocating peer, batchdot out= vs the best
peer writing into preallocated memory. A ratio < 1 means batchdot is faster.

NumPy must run on OpenBLAS (Debian's libopenblas0-pthread); the script prints which BLAS it found.
OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed from the environment before NumPy loads.
"""
import argparse
import os
import sys
import time

for _var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(_var, None)

import numpy as np  # noqa: E402

import batchdot  # noqa: E402

try:
    import torch  # noqa: E402
except ImportError:  # python3-torch is large and optional
    torch = None

# name, dtype, x shape, y shape, axes
SWEEP = [
    ("seed", np.float32, (10, 12, 4, 5), (10, 12, 5, 8), None),
    ("tiny", np.float32, (2, 2), (2, 3, 2), (1, 2)),
    ("vecdot_1e6x64", np.float32, (1000000, 64), (1000000, 64), (1, 1)),
    ("matvec_4096x128x64", np.float32, (4096, 128, 64), (4096, 64), None),
    ("bmm_16384x4", np.float32, (16384, 4, 4), (16384, 4, 4), None),
    ("bmm_16384x8", np.float32, (16384, 8, 8), (16384, 8, 8), None),
    ("bmm_16384x16", np.float32, (16384, 16, 16), (16384, 16, 16), None),
    ("bmm_16384x32", np.float32, (16384, 32, 32), (16384, 32, 32), None),
    ("attention_64x512x64x512", np.float32, (64, 512, 64), (64, 64, 512), None),
    ("large_8x1024", np.float32, (8, 1024, 1024), (8, 1024, 1024), None),
    ("transposed_256x64", np.float32, (256, 64, 64), (256, 64, 64), (1, 2)),
    ("seed_f64", np.float64, (10, 12, 4, 5), (10, 12, 5, 8), None),
    ("bmm_16384x16_f64", np.float64, (16384, 16, 16), (16384, 16, 16), None),
    ("attention_f64", np.float64, (64, 512, 64), (64, 64, 512), None),
]


def blas_name():
    try:
        config = np.show_config(mode="dicts")  # numpy >= 1.25
        return str(config["Build Dependencies"]["blas"]["name"])
    except TypeError:
        pass
    import io
    import contextlib
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        np.show_config()
    text = out.getvalue().lower()
    if "openblas" in text:
        # Debian's numpy links libblas.so.3; the alternative decides the library actually loaded.
        with open("/proc/self/maps") as maps:
            loaded = maps.read()
        return "openblas" if "openblas" in loaded else "reference BLAS (install libopenblas0-pthread)"
    return "unknown"


def normalise(axes, x_ndim, y_ndim):
    if axes is None:
        return (x_ndim - 1, y_ndim - 1 if y_ndim == 2 else y_ndim - 2)
    return tuple(a % n for a, n in zip(axes, (x_ndim, y_ndim)))


def keras_style_numpy(x, y, axes):
    """tf.keras' algorithm in NumPy: move the contracted axes, squash, matmul, reshape."""
    a0, a1 = normalise(axes, x.ndim, y.ndim)
    xt = np.moveaxis(x, a0, -1)
    yt = np.moveaxis(y, a1, 1)
    b, k = x.shape[0], x.shape[a0]
    out_shape = xt.shape[:-1] + yt.shape[2:]
    r = np.matmul(xt.reshape(b, -1, k), yt.reshape(b, k, -1))
    return r.reshape(out_shape if len(out_shape) > 1 else (b, 1))


def einsum_spec(x_ndim, y_ndim, axes):
    a0, a1 = normalise(axes, x_ndim, y_ndim)
    letters = iter("abcdefghijklmnop")
    batch, k = next(letters), next(letters)
    xs = [batch] + [next(letters) for _ in range(x_ndim - 1)]
    xs[a0] = k
    ys = [batch] + [next(letters) for _ in range(y_ndim - 1)]
    ys[a1] = k
    out = [batch] + [c for c in xs[1:] if c != k] + [c for c in ys[1:] if c != k]
    return "".join(xs) + "," + "".join(ys) + "->" + "".join(out)


def matmul_operands(x, y, axes):
    """(A, B) such that A @ B is the batch_dot, without copies, or None."""
    a0, a1 = normalise(axes, x.ndim, y.ndim)
    if x.ndim == 3 and y.ndim == 3:
        a = x if a0 == 2 else np.swapaxes(x, 1, 2)
        b = y if a1 == 1 else np.swapaxes(y, 1, 2)
        return a, b
    if x.ndim == 2 and y.ndim == 2:
        return x[:, None, :], y[:, :, None]
    if x.ndim == 3 and y.ndim == 2 and a0 == 2:
        return x, y[:, :, None]
    return None


def median_seconds(fn, samples, min_seconds):
    fn()
    times, calls = [], 1
    for _ in range(samples):
        while True:
            start = time.perf_counter()
            for _ in range(calls):
                fn()
            elapsed = time.perf_counter() - start
            if elapsed >= min_seconds:
                times.append(elapsed / calls)
                break
            calls = max(calls * 2, int(calls * min_seconds / max(elapsed, 1e-9)))
    times.sort()
    return times[len(times) // 2]


def set_threads(n):
    batchdot.set_num_threads(n)
    if torch is not None:
        torch.set_num_threads(n)
    try:
        from threadpoolctl import threadpool_limits  # not in Debian 12; best effort
        threadpool_limits(n)
    except ImportError:
        pass


def run_case(name, dtype, xs, ys, axes, samples, min_seconds):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(xs).astype(dtype)
    y = rng.standard_normal(ys).astype(dtype)
    want = batchdot.batch_dot(x, y, axes)
    out = np.empty_like(want)
    row = {"batchdot": median_seconds(lambda: batchdot.batch_dot(x, y, axes), samples, min_seconds),
           "batchdot out=": median_seconds(lambda: batchdot.batch_dot(x, y, axes, out=out), samples, min_seconds)}
    fresh, prealloc = {}, {}
    fresh["numpy keras-style"] = median_seconds(lambda: keras_style_numpy(x, y, axes), samples, min_seconds)
    if x.size * y.size < 1e13 and name not in ("large_8x1024",) and not name.startswith("attention"):
        spec = einsum_spec(x.ndim, y.ndim, axes)
        fresh["numpy einsum"] = median_seconds(lambda: np.einsum(spec, x, y, optimize=True), samples, min_seconds)
    ops = matmul_operands(x, y, axes)
    if ops is not None:
        a, b = ops
        mm_out = np.empty(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (a.shape[-2], b.shape[-1]), dtype)
        fresh["numpy matmul"] = median_seconds(lambda: np.matmul(a, b), samples, min_seconds)
        prealloc["numpy matmul out="] = median_seconds(lambda: np.matmul(a, b, out=mm_out), samples, min_seconds)
        if torch is not None:
            ta, tb = torch.from_numpy(np.ascontiguousarray(a) if a.strides[-1] < 0 else a), torch.from_numpy(b)
            t_out = torch.empty(mm_out.shape, dtype=ta.dtype)
            fresh["torch bmm"] = median_seconds(lambda: torch.bmm(ta, tb), samples, min_seconds)
            prealloc["torch bmm out="] = median_seconds(lambda: torch.bmm(ta, tb, out=t_out), samples, min_seconds)
    elif torch is not None:
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)
        a0, a1 = normalise(axes, x.ndim, y.ndim)

        def torch_keras_style():
            xt = torch.movedim(tx, a0, -1)
            yt = torch.movedim(ty, a1, 1)
            b, k = xt.shape[0], xt.shape[-1]
            return torch.bmm(xt.reshape(b, -1, k), yt.reshape(b, k, -1))
        fresh["torch keras-style"] = median_seconds(torch_keras_style, samples, min_seconds)
    best_fresh = min(fresh.items(), key=lambda kv: kv[1])
    best_prealloc = min(prealloc.items(), key=lambda kv: kv[1]) if prealloc else None
    return row, best_fresh, best_prealloc


def run_per_thread_count(args):
    """One child process per thread count: NumPy's and PyTorch's OpenBLAS read
    OPENBLAS_NUM_THREADS once, at load, so it must be set before they are imported."""
    import json
    import subprocess
    import tempfile
    merged = None
    for threads in args.threads:
        with tempfile.NamedTemporaryFile(suffix=".json") as tmp:
            env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
            cmd = [sys.executable, __file__, "--threads", str(threads), "--json", tmp.name, "--filter", args.filter]
            subprocess.run(cmd + (["--quick"] if args.quick else []), env=env, check=True, stdout=subprocess.DEVNULL)
            with open(tmp.name) as f:
                part = json.load(f)
        if merged is None:
            merged = part
        else:
            merged["results"] += part["results"]
    return merged


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter samples")
    parser.add_argument("--filter", default="", help="only shapes whose name contains this")
    parser.add_argument("--markdown", help="also write the table to this file")
    parser.add_argument("--json", help="also write the measurements to this file (for bench/plot.py)")
    args = parser.parse_args()
    if len(args.threads) > 1 or os.environ.get("OPENBLAS_NUM_THREADS") != str(args.threads[0]):
        merged = run_per_thread_count(args)
        lines = [merged["header"], "", TABLE_HEADER, TABLE_RULE] + [row_text(r) for r in merged["results"]]
        finish(args, "\n".join(lines), merged)
        return
    samples, min_seconds = (3, 0.02) if args.quick else (7, 0.1)
    header = (f"NumPy {np.__version__} on {blas_name()}; PyTorch {torch.__version__ if torch else 'not installed'}; "
              f"batchdot {batchdot.__version__}")
    lines = [header, "", TABLE_HEADER, TABLE_RULE]
    print(header, file=sys.stderr)
    cases = [c for c in SWEEP if args.filter in c[0]]
    records = []
    for threads in args.threads:
        set_threads(threads)
        for i, (name, dtype, xs, ys, axes) in enumerate(cases):
            print(f"[{threads}T {i + 1}/{len(cases)}] {name} ...", file=sys.stderr, flush=True)
            row, (fresh_name, fresh_s), prealloc = run_case(name, dtype, xs, ys, axes, samples, min_seconds)
            ours, ours_out = row["batchdot"], row["batchdot out="]
            records.append({"name": name, "threads": threads, "batchdot_us": ours * 1e6,
                            "batchdot_out_us": ours_out * 1e6, "peer": fresh_name, "peer_us": fresh_s * 1e6,
                            "out_peer": prealloc[0] if prealloc else None,
                            "out_peer_us": prealloc[1] * 1e6 if prealloc else None})
            lines.append(row_text(records[-1]))
    finish(args, "\n".join(lines), {"header": header, "results": records})


TABLE_HEADER = ("| shape | threads | batchdot us | best allocating peer | peer us | ratio | batchdot out= us | "
                "best out= peer | peer us | ratio |")
TABLE_RULE = "|---|---|---|---|---|---|---|---|---|---|"


def row_text(r):
    pre = (f"{r['out_peer']} | {r['out_peer_us']:.2f} | {r['batchdot_out_us'] / r['out_peer_us']:.2f}"
           if r["out_peer"] else "- | - | -")
    return (f"| {r['name']} | {r['threads']} | {r['batchdot_us']:.2f} | {r['peer']} | {r['peer_us']:.2f} | "
            f"{r['batchdot_us'] / r['peer_us']:.2f} | {r['batchdot_out_us']:.2f} | {pre} |")


def finish(args, text, data):
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text + "\n")
    if args.json:
        import json
        with open(args.json, "w") as f:
            json.dump(data, f, indent=1)


if __name__ == "__main__":
    main()
