"""Forward + backward of batchdot.torch.batch_dot against what ported Keras code
does in torch (movedim / reshape / bmm, differentiated by autograd), on the same
thread count for both (torch.set_num_threads and batchdot.set_num_threads).

Interleaved repetitions, ratio of medians (batchdot / composite; < 1 is faster).
One process per thread count. Run:
    PYTHONPATH=build/python /usr/bin/python3 bench/torch_grad_bench.py [--threads 1 2] [--json out.json]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

# (name, x shape, y shape, Keras axes)
SHAPES = [
    ("seed (10,12,4,5)x(10,12,5,8)", (10, 12, 4, 5), (10, 12, 5, 8), None),
    ("4096 x 16^3", (4096, 16, 16), (4096, 16, 16), None),
    ("attention 16x512x64x512", (16, 512, 64), (16, 512, 64), (2, 2)),
]


def keras_axes(xr, yr, axes):
    if axes is None:
        return xr - 1, (yr - 1 if yr == 2 else yr - 2)
    a0, a1 = (axes, axes) if isinstance(axes, int) else axes
    return a0 % xr, a1 % yr


def keras_composite(torch, x, y, axes):
    """tf.keras.backend.batch_dot as a torch port writes it: contracted axis of x
    last, of y first after the batch, flatten, bmm, reshape."""
    a0, a1 = keras_axes(x.ndim, y.ndim, axes)
    xp, yp = x.movedim(a0, -1), y.movedim(a1, 1)
    b, k = x.shape[0], x.shape[a0]
    out = torch.bmm(xp.reshape(b, -1, k), yp.reshape(b, k, -1))
    shape = tuple(xp.shape[1:-1]) + tuple(yp.shape[2:])
    return out.reshape((b,) + shape) if shape else out.reshape(b, 1)


def run_one(threads, reps_scale):
    import torch

    import batchdot
    import batchdot.torch as bt

    torch.set_num_threads(threads)
    batchdot.set_num_threads(threads)
    rows = []
    for name, xs, ys, axes in SHAPES:
        gen = torch.Generator().manual_seed(0)
        x = torch.randn(xs, generator=gen, requires_grad=True)
        y = torch.randn(ys, generator=gen, requires_grad=True)
        g = torch.randn(bt.batch_dot(x.detach(), y.detach(), axes).shape, generator=gen)
        ours = lambda: torch.autograd.grad(bt.batch_dot(x, y, axes), (x, y), g)  # noqa: E731
        theirs = lambda: torch.autograd.grad(keras_composite(torch, x, y, axes), (x, y), g)  # noqa: E731
        a, b = ours(), theirs()
        for u, v in zip(a, b):  # same gradients, or the timing means nothing
            assert torch.allclose(u, v, rtol=1e-4, atol=1e-3), name
        start = time.perf_counter()
        theirs()
        once = time.perf_counter() - start
        inner = max(1, int(5e-3 / once))  # calls per sample, so a sample takes >= ~5 ms
        reps = max(5, int(25 * reps_scale))
        t_ours, t_theirs = [], []
        for _ in range(reps):
            for fn, store in ((ours, t_ours), (theirs, t_theirs)):
                start = time.perf_counter()
                for _ in range(inner):
                    fn()
                store.append((time.perf_counter() - start) / inner)
        m_ours, m_theirs = statistics.median(t_ours), statistics.median(t_theirs)
        rows.append({"shape": name, "threads": threads, "batchdot_us": m_ours * 1e6,
                     "composite_us": m_theirs * 1e6, "ratio": m_ours / m_theirs, "samples": reps})
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--scale", type=float, default=1.0, help="repetition multiplier")
    parser.add_argument("--json", help="also write the rows here")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args.threads[0], args.scale)))
        return
    rows = []
    for threads in args.threads:
        # A fresh process per thread count: OpenBLAS/OpenMP pools size themselves once.
        env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
        env.pop("OPENBLAS_CORETYPE", None)
        env.pop("OPENBLAS_L2_SIZE", None)
        out = subprocess.run([sys.executable, __file__, "--child", "--threads", str(threads), "--scale",
                              str(args.scale)], env=env, check=True, capture_output=True, text=True).stdout
        rows += json.loads(out.strip().splitlines()[-1])
    print("| shape | threads | batchdot.torch fwd+bwd (us) | torch composite fwd+bwd (us) | ratio |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['shape']} | {r['threads']} | {r['batchdot_us']:.1f} | {r['composite_us']:.1f} | "
              f"{r['ratio']:.2f} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
