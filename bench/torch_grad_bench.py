"""Forward + backward of batchdot.torch.batch_dot against what ported Keras code
does in torch (movedim / reshape / bmm, differentiated by autograd), on the same
thread count for both (torch.set_num_threads, which batchdot.torch follows); and
batchdot's own bfloat16 attention against its float32 one.

Interleaved repetitions, ratio of medians (batchdot / composite; < 1 is faster).
One process per thread count. Run:
    PYTHONPATH=build/python /usr/bin/python3 bench/torch_grad_bench.py [--threads 1 2] [--json out.json]
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_timing  # noqa: E402

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

    import batchdot.torch as bt

    torch_timing.set_threads(threads)
    reps = max(5, int(25 * reps_scale))
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
        m_ours, m_theirs = torch_timing.interleaved([ours, theirs], reps)
        rows.append({"shape": name, "peer": "torch composite", "threads": threads, "batchdot_us": m_ours * 1e6,
                     "composite_us": m_theirs * 1e6, "ratio": m_ours / m_theirs, "samples": reps})
    # bfloat16 against float32, both batchdot.torch, attention scores fwd+bwd.
    name, xs, ys, axes = SHAPES[-1]
    gen = torch.Generator().manual_seed(0)
    x32, y32 = torch.randn(xs, generator=gen, requires_grad=True), torch.randn(ys, generator=gen, requires_grad=True)
    x16 = x32.detach().bfloat16().requires_grad_()
    y16 = y32.detach().bfloat16().requires_grad_()
    g32 = torch.randn(bt.batch_dot(x32.detach(), y32.detach(), axes).shape, generator=gen)
    g16 = g32.bfloat16()
    half = lambda: torch.autograd.grad(bt.batch_dot(x16, y16, axes), (x16, y16), g16)  # noqa: E731
    full = lambda: torch.autograd.grad(bt.batch_dot(x32, y32, axes), (x32, y32), g32)  # noqa: E731
    m_half, m_full = torch_timing.interleaved([half, full], reps)
    rows.append({"shape": name + " bfloat16", "peer": "batchdot float32", "threads": threads,
                 "batchdot_us": m_half * 1e6, "composite_us": m_full * 1e6, "ratio": m_half / m_full,
                 "samples": reps})
    for row in rows:
        row["load"] = torch_timing.load_text()
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
    rows = torch_timing.per_thread_count(__file__, args.threads, ["--scale", str(args.scale)])
    print("| shape | peer | threads | batchdot.torch fwd+bwd (us) | peer fwd+bwd (us) | ratio | load |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['shape']} | {r['peer']} | {r['threads']} | {r['batchdot_us']:.1f} | {r['composite_us']:.1f} | "
              f"{r['ratio']:.2f} | {r['load']} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
