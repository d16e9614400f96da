"""batchdot.jax.batch_dot against jax.jit of lax.dot_general, forward and forward+backward.

Usage (the jax venv's interpreter, after building batchdot with it):
    venv/jax/bin/python bench/frameworks/jax_bench.py \
        [--threads 1 2] [--rounds 9] [--quick] [--markdown FILE] [--json FILE]

Each thread count runs in its own child process, because XLA sizes its intra-op
pool from the CPUs the process may use when jax is imported: for 1 thread the
child is pinned to one CPU (so XLA's pool and batchdot's both have 1 thread); for 2
it may use two. batchdot's custom call uses XLA's thread count (frameworks/jax/handlers.cc).

Peers, all under jax.jit, all computing Keras' batch_dot result (float32):
  - "lax.dot_general": lax.dot_general with the dimension numbers batchdot resolves
    (its output order, batch / x free / y free, is Keras'), reshaped to (B, 1) where Keras does;
  - "keras-style": what tf.keras.backend.batch_dot does, written in jax.numpy: move
    the contracted axes (transpose), reshape to 3-D, matmul, reshape back.
Forward+backward is jax.vjp of each (result and both gradients for a fixed
cotangent). Rounds are interleaved (the order of the implementations alternates
each round); each sample is the mean of enough calls to last --min-seconds; the
table shows medians and batchdot / best peer (< 1: batchdot is faster).
"""
import argparse
import json
import os
import subprocess
import sys
import time

CASES = [  # name, x shape, y shape, Keras axes
    ("seed (10,12,4,5)x(10,12,5,8)", (10, 12, 4, 5), (10, 12, 5, 8), None),
    ("attention 16x512x64x512", (16, 512, 64), (16, 64, 512), None),
    ("bmm 4096x16x16x16", (4096, 16, 16), (4096, 16, 16), None),
]


def child(args):
    if args.child == 1:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    import jax
    import jax.numpy as jnp
    import numpy as np
    from jax import lax

    import batchdot
    import batchdot.jax as bj

    def keras_style(x, y, c):
        # tf.keras.backend.batch_dot: contracted axis of x last, of y second, as 3-D matmul.
        (a0,), (a1,) = c["lhs_contracting"], c["rhs_contracting"]
        xt = jnp.moveaxis(x, a0, -1)
        yt = jnp.moveaxis(y, a1, 1)
        x3 = xt.reshape(x.shape[0], -1, x.shape[a0])
        y3 = yt.reshape(y.shape[0], y.shape[a1], -1)
        return jnp.matmul(x3, y3).reshape(c["output_shape"])

    rows = []
    rng = np.random.default_rng(0)
    for name, xs, ys, axes in CASES:
        x = jnp.asarray(rng.standard_normal(xs, np.float32))
        y = jnp.asarray(rng.standard_normal(ys, np.float32))
        c = batchdot._batchdot._resolve("keras", np.asarray(x), np.asarray(y), axes)
        dims = ((c["lhs_contracting"], c["rhs_contracting"]), (c["lhs_batch"], c["rhs_batch"]))
        impls = {
            "batchdot.jax": lambda x, y: bj.batch_dot(x, y, axes),
            "lax.dot_general": lambda x, y: lax.dot_general(x, y, dims).reshape(c["output_shape"]),
            "keras-style": lambda x, y: keras_style(x, y, c),
        }
        g = jnp.asarray(rng.standard_normal(c["output_shape"], np.float32))
        expected = np.asarray(impls["lax.dot_general"](x, y))
        for mode in ("forward", "forward+backward"):
            fns = {}
            for impl, f in impls.items():
                if mode == "forward":
                    fns[impl] = jax.jit(f)
                else:
                    def fb(x, y, g, f=f):
                        out, vjp = jax.vjp(f, x, y)
                        return (out,) + vjp(g)
                    fns[impl] = jax.jit(fb)
            call_args = (x, y) if mode == "forward" else (x, y, g)
            for impl, fn in fns.items():  # compile, warm up, and check the result agrees
                out = jax.block_until_ready(fn(*call_args))
                out = out if mode == "forward" else out[0]
                np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-4, atol=1e-4)
            calls = {impl: 1 for impl in fns}
            samples = {impl: [] for impl in fns}
            order = list(fns)
            for r in range(args.rounds):
                for impl in (order if r % 2 == 0 else order[::-1]):
                    fn = fns[impl]
                    while True:
                        start = time.perf_counter()
                        for _ in range(calls[impl]):
                            out = fn(*call_args)
                        jax.block_until_ready(out)
                        elapsed = time.perf_counter() - start
                        if elapsed >= args.min_seconds:
                            samples[impl].append(elapsed / calls[impl])
                            break
                        calls[impl] = max(calls[impl] * 2, int(calls[impl] * args.min_seconds / max(elapsed, 1e-9)))
            medians = {impl: sorted(s)[len(s) // 2] for impl, s in samples.items()}
            best_peer = min(v for k, v in medians.items() if k != "batchdot.jax")
            rows.append({"threads": args.child, "case": name, "mode": mode, "median_s": medians,
                         "ratio": medians["batchdot.jax"] / best_peer})
    json.dump(rows, sys.stdout)


def table(rows):
    lines = ["| threads | case | mode | batchdot.jax | lax.dot_general | keras-style | ratio (batchdot / best peer) |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        m = r["median_s"]
        lines.append(f"| {r['threads']} | {r['case']} | {r['mode']} | " +
                     " | ".join(f"{m[k] * 1e6:.1f} us" for k in ("batchdot.jax", "lax.dot_general", "keras-style")) +
                     f" | {r['ratio']:.2f} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--min-seconds", type=float, default=0.05)
    parser.add_argument("--quick", action="store_true", help="3 rounds of 0.02 s samples")
    parser.add_argument("--markdown")
    parser.add_argument("--json")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.min_seconds = 3, 0.02
    if args.child:
        return child(args)
    rows = []
    for n in args.threads:
        env = dict(os.environ, BATCHDOT_NUM_THREADS=str(n))
        cmd = [sys.executable, __file__, "--child", str(n), "--rounds", str(args.rounds),
               "--min-seconds", str(args.min_seconds)]
        rows += json.loads(subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout)
    load = os.getloadavg()
    text = table(rows) + f"\n\nload average during the run: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n"
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rows": rows, "loadavg": load}, f, indent=1)


if __name__ == "__main__":
    main()
