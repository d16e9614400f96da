"""batchdot's TensorFlow op and Keras layer against TensorFlow's own batch_dot, interleaved.

Usage (TensorFlow venv, after building batchdot_tensorflow and _batchdot for it):
    PYTHONPATH=build/python venv/tensorflow/bin/python bench/frameworks/tensorflow_bench.py \
        [--threads N] [--rounds R] [--markdown FILE]

Forward+backward returns the output and both gradients for an upstream gradient of ones.
Rows: the founding document's (10,12,4,5)·(10,12,5,8) (axes None), attention scores
16×512×64×512 (Q·Kᵀ: (16,512,64)·(16,512,64), axes (2,2)) and 4096×16³ ((4096,16,16)·(4096,16,16),
axes (2,1)); forward and forward+backward (a GradientTape for both inputs' gradients).
Pairs, each under tf.function:
  - batchdot.tensorflow.batch_dot vs tf_keras.backend.batch_dot;
  - batchdot.keras.layers.BatchDot vs keras.layers.Dot (Keras 3, TensorFlow backend).
Both sides run with the same threads: TF's intra-op pool has N threads and batchdot's op runs
with TF's intra-op count. The four callables of a row are timed in turn, round after round, so
machine load hits them alike; each sample is the mean of enough calls for ~20 ms, and the table
gives medians and the ratio of medians (batchdot / TensorFlow; < 1 means batchdot is faster).
The last column (forward rows) times a tf.function of one trivial op (x * 1.0) on the same
inputs: the dispatch cost that no op can go below, interleaved with the rest.
"""
import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--threads", type=int, default=2, help="TF intra-op threads (batchdot uses the same)")
parser.add_argument("--rounds", type=int, default=15)
parser.add_argument("--markdown", help="also write the table to this file")
args = parser.parse_args()

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.config.threading.set_intra_op_parallelism_threads(args.threads)
tf.config.threading.set_inter_op_parallelism_threads(args.threads)

import keras  # noqa: E402
import tf_keras  # noqa: E402

from batchdot import tensorflow as btf  # noqa: E402
from batchdot.keras.layers import BatchDot  # noqa: E402

ROWS = [
    ("seed (10,12,4,5)·(10,12,5,8)", (10, 12, 4, 5), (10, 12, 5, 8), None),
    ("attention 16×512×64×512", (16, 512, 64), (16, 512, 64), (2, 2)),
    ("4096×16³", (4096, 16, 16), (4096, 16, 16), (2, 1)),
]


def forward(fn):
    return tf.function(tf.autograph.experimental.do_not_convert(fn))


def forward_backward(fn):
    """The output and both gradients (returning the output keeps the forward op alive: a
    training step needs it for the loss, and TF prunes ops whose results nobody uses)."""
    fn = tf.autograph.experimental.do_not_convert(fn)

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            tape.watch([x, y])
            out = fn(x, y)
        return out, tape.gradient(out, [x, y])

    return step


def sample(fn, x, y, calls):
    start = time.perf_counter()
    for _ in range(calls):
        out = fn(x, y)
    tf.nest.map_structure(lambda t: t.numpy(), out)
    return (time.perf_counter() - start) / calls


def calls_for(fn, x, y):
    once = sample(fn, x, y, 3)
    return max(1, int(0.02 / max(once, 1e-7)))


def bench_row(x_shape, y_shape, axes):
    rng = np.random.default_rng(0)
    x = tf.constant(rng.standard_normal(x_shape).astype(np.float32))
    y = tf.constant(rng.standard_normal(y_shape).astype(np.float32))
    dot_axes = axes if axes is not None else (len(x_shape) - 1, len(y_shape) - 2)
    ours_layer, keras_dot = BatchDot(axes), keras.layers.Dot(axes=dot_axes)
    pairs = {
        "op": (lambda a, b: btf.batch_dot(a, b, axes), lambda a, b: tf_keras.backend.batch_dot(a, b, axes)),
        "layer": (lambda a, b: ours_layer([a, b]), lambda a, b: keras_dot([a, b])),
    }
    results = {}
    for mode, wrap in (("forward", forward), ("forward+backward", forward_backward)):
        fns = {}
        for pair, (ours, theirs) in pairs.items():
            fns[(pair, "batchdot")] = wrap(ours)
            fns[(pair, "tf")] = wrap(theirs)
        if mode == "forward":
            fns[("floor", "tf")] = wrap(lambda a, b: a * 1.0)  # the dispatch floor: one trivial op
        for key, fn in fns.items():  # trace and warm up
            want = fn(x, y)
        calls = {key: calls_for(fn, x, y) for key, fn in fns.items()}
        times = {key: [] for key in fns}
        for _ in range(args.rounds):
            for key, fn in fns.items():
                times[key].append(sample(fn, x, y, calls[key]))
        if ("floor", "tf") in times:
            results[(mode, "floor")] = statistics.median(times[("floor", "tf")])
        for pair in pairs:
            ours = statistics.median(times[(pair, "batchdot")])
            theirs = statistics.median(times[(pair, "tf")])
            results[(mode, pair)] = (ours, theirs)
        del want
    return results


def fmt(seconds):
    return f"{seconds * 1e6:.1f} µs" if seconds < 1e-3 else f"{seconds * 1e3:.2f} ms"


def main():
    load = os.getloadavg()
    lines = [
        f"TensorFlow {tf.__version__}, Keras {keras.__version__}, tf-keras {tf_keras.__version__}; "
        f"{args.threads} thread(s) (TF intra-op = batchdot); {args.rounds} interleaved rounds; "
        f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} at start",
        "",
        "| shape | mode | batchdot op | tf_keras batch_dot | ratio | BatchDot layer | keras Dot | ratio "
        "| floor: x*1.0 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, xs, ys, axes in ROWS:
        r = bench_row(xs, ys, axes)
        for mode in ("forward", "forward+backward"):
            ob, ot = r[(mode, "op")]
            lb, lt = r[(mode, "layer")]
            lines.append(f"| {name} | {mode} | {fmt(ob)} | {fmt(ot)} | {ob / ot:.2f} | {fmt(lb)} | {fmt(lt)} "
                         f"| {lb / lt:.2f} | {fmt(r[(mode, 'floor')]) if (mode, 'floor') in r else '—'} |")
        print(lines[-2], lines[-1], sep="\n", flush=True)
    load = os.getloadavg()
    lines.append("")
    lines.append(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} at end")
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    sys.exit(main())
