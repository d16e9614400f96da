"""How batchdot's pool and TF's intra-op pool share the cores: batchdot's attention op
(16×512×64×512, (16,512,64)·(16,512,64), axes (2,2), forward, tf.function) against
tf_keras.backend.batch_dot in the same process, interleaved, ratio of medians, for every
(batchdot threads, TF intra-op threads) in {1, 2}². Each pair runs in its own process (TF's
thread counts are fixed at start-up; batchdot's come from BATCHDOT_TF_NUM_THREADS).

    PYTHONPATH=build/python venv/tensorflow/bin/python bench/frameworks/tensorflow_threads_bench.py [--rounds R]
"""
import argparse
import os
import statistics
import subprocess
import sys
import time


def child(rounds):
    import numpy as np
    import tensorflow as tf

    intra = int(os.environ["BENCH_TF_INTRA"])
    tf.config.threading.set_intra_op_parallelism_threads(intra)
    tf.config.threading.set_inter_op_parallelism_threads(intra)
    import tf_keras

    from batchdot import tensorflow as btf

    rng = np.random.default_rng(0)
    x = tf.constant(rng.standard_normal((16, 512, 64)).astype(np.float32))
    y = tf.constant(rng.standard_normal((16, 512, 64)).astype(np.float32))
    ours = tf.function(lambda a, b: btf.batch_dot(a, b, (2, 2)))
    theirs = tf.function(lambda a, b: tf_keras.backend.batch_dot(a, b, (2, 2)))
    samples = {"batchdot": [], "tf_keras": []}
    for f in (ours, theirs):
        f(x, y).numpy()
    for _ in range(rounds):
        for name, f in (("batchdot", ours), ("tf_keras", theirs)):
            start = time.perf_counter()
            for _ in range(5):
                out = f(x, y)
            out.numpy()
            samples[name].append((time.perf_counter() - start) / 5)
    med = {k: statistics.median(v) for k, v in samples.items()}
    ratios = [a / b for a, b in zip(samples["batchdot"], samples["tf_keras"])]
    print(f"{med['batchdot'] * 1e3:.2f} {med['tf_keras'] * 1e3:.2f} {min(ratios):.2f} {max(ratios):.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.rounds)
    print("| batchdot threads | TF intra-op | batchdot ms | tf_keras ms | ratio of medians | per-round range |")
    print("|---|---|---|---|---|---|")
    for ours in (1, 2):
        for intra in (1, 2):
            env = dict(os.environ, BATCHDOT_TF_NUM_THREADS=str(ours), BENCH_TF_INTRA=str(intra),
                       TF_CPP_MIN_LOG_LEVEL="2")
            out = subprocess.run([sys.executable, __file__, "--child", "--rounds", str(args.rounds)], env=env,
                                 capture_output=True, text=True, check=True).stdout.split()
            b, t, lo, hi = (float(v) for v in out)
            print(f"| {ours} | {intra} | {b:.2f} | {t:.2f} | {b / t:.2f} | {lo:.2f}–{hi:.2f} |")


if __name__ == "__main__":
    main()
