"""batchdot.mindspore.ops.batch_dot against MindSpore's own mindspore.ops.batch_dot
(deprecated since 2.8, still present in 2.10), forward and forward+backward, in
PyNative and compiled with mindspore.jit, on the founding document's shape and two
large ones. Same thread count for both (batchdot's pool and MindSpore's
runtime_num_threads), interleaved rounds, ratio of medians (< 1: batchdot faster).

    venv/mindspore/bin/python bench/frameworks/mindspore_bench.py [--threads N] [--rounds R]

Where the venv's MindSpore has no ops.batch_dot, the peer is the composite a user
would write instead (transpose + reshape + BatchMatMul, MindSpore's own recipe).
"""
import argparse
import os
import statistics
import time

import numpy as np


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--target-ms", type=float, default=40.0, help="time per sample (calls are repeated to reach it)")
    return parser.parse_args()


ARGS = parse_args()
import mindspore as ms  # noqa: E402  (after argparse: --help stays fast)
from mindspore import Tensor  # noqa: E402

ms.set_device("CPU")
ms.set_context(runtime_num_threads=ARGS.threads)
from batchdot.mindspore import ops as bd_ops  # noqa: E402

bd_ops.set_num_threads(ARGS.threads)

CASES = [  # name, x1 shape, x2 shape, axes
    ("founding (10,12,4,5)x(10,12,5,8)", (10, 12, 4, 5), (10, 12, 5, 8), None),
    ("attention 16x512x64x512", (16, 512, 64), (16, 64, 512), None),
    ("4096 x 16^3", (4096, 16, 16), (4096, 16, 16), None),
]


def composite_batch_dot(x1, x2, axes=None):
    """MindSpore's own recipe for the common case (axes (-1, 1)) when ops.batch_dot is gone."""
    a = x1.reshape(x1.shape[0], -1, x1.shape[-1])
    b = x2.reshape(x2.shape[0], x2.shape[1], -1)
    out = ms.ops.bmm(a, b)
    return out.reshape(x1.shape[:-1] + x2.shape[2:])


PEER = getattr(ms.ops, "batch_dot", None) or composite_batch_dot
PEER_NAME = "mindspore.ops.batch_dot" if hasattr(ms.ops, "batch_dot") else "transpose+reshape+bmm composite"



def make_variants(op, axes, dout):
    def forward(a, b):
        return op(a, b, axes)

    def loss(a, b):
        return (op(a, b, axes) * dout).sum()

    backward = ms.grad(loss, grad_position=(0, 1))
    return {
        ("PyNative", "forward"): forward,
        ("PyNative", "fwd+bwd"): backward,
        ("jit", "forward"): ms.jit(forward),
        ("jit", "fwd+bwd"): ms.jit(backward),
    }


def sync(result):
    for r in result if isinstance(result, tuple) else (result,):
        r.asnumpy()


def time_once(fn, a, b, repeat):
    start = time.perf_counter()
    for _ in range(repeat):
        result = fn(a, b)
    sync(result)  # PyNative runs ops asynchronously: wait for the last one
    return (time.perf_counter() - start) / repeat


def main():
    print(f"# batchdot.mindspore.ops.batch_dot vs {PEER_NAME}, mindspore {ms.__version__}, "
          f"{ARGS.threads} thread(s) each, {ARGS.rounds} interleaved rounds, ratio of medians")
    print(f"# load average before: {os.getloadavg()[0]:.1f} (the machine is shared: figures move with it)")
    print(f"| shape | mode | pass | batchdot ms | {PEER_NAME} ms | ratio |")
    print("|---|---|---|---|---|---|")
    rng = np.random.default_rng(0)
    for name, s1, s2, axes in CASES:
        x1 = Tensor(rng.standard_normal(s1).astype(np.float32))
        x2 = Tensor(rng.standard_normal(s2).astype(np.float32))
        out_shape = bd_ops.batch_dot(x1, x2, axes).shape
        dout = Tensor(rng.standard_normal(out_shape).astype(np.float32))
        ours, peer = make_variants(bd_ops.batch_dot, axes, dout), make_variants(PEER, axes, dout)
        for key in ours:
            # Warm up (compiles the jit graphs) and size the repeat count.
            sync(ours[key](x1, x2)), sync(peer[key](x1, x2))
            probe = max(time_once(ours[key], x1, x2, 1), time_once(peer[key], x1, x2, 1))
            repeat = max(1, min(200, int(ARGS.target_ms / 1000 / max(probe, 1e-6))))
            mine, theirs = [], []
            for _ in range(ARGS.rounds):
                mine.append(time_once(ours[key], x1, x2, repeat))
                theirs.append(time_once(peer[key], x1, x2, repeat))
            m, t = statistics.median(mine), statistics.median(theirs)
            print(f"| {name} | {key[0]} | {key[1]} | {m * 1e3:.3f} | {t * 1e3:.3f} | {m / t:.2f} |", flush=True)
    print(f"# load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
