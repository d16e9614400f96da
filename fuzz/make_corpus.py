#!/usr/bin/python3
"""Writes the seed corpora in fuzz/corpus/<target>/ (committed; rerun to regenerate).

npy_fuzz gets small np.save files of every dtype and layout the reader accepts plus
a few broken ones; semantics_fuzz and execute_fuzz read their input as a stream of
choices (see fuzz_input.hpp), so their seeds are short deterministic byte strings,
with a few written out to reach each front end and the multi-threaded sizes.
"""
import io
import os
import random

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def npy_bytes(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def npy_seeds():
    rng = np.random.default_rng(0)
    arrays = {
        "f32_2x3": rng.standard_normal((2, 3)).astype(np.float32),
        "f64_fortran": np.asfortranarray(rng.standard_normal((3, 2))),
        "i32_scalar": np.array(7, np.int32),
        "i64_empty": np.zeros((0, 4), np.int64),
        "f16_1d": np.arange(5, dtype=np.float16),
        "c64_2x2": (np.arange(4) + 1j).astype(np.complex64).reshape(2, 2),
        "c128_1": np.array([1 + 2j]),
        "f32_bigendian": np.arange(6, dtype=">f4").reshape(3, 2),
        "bf16_as_v2": np.zeros((2, 2), "V2"),
    }
    for name, array in arrays.items():
        write("npy_fuzz", name + ".npy", npy_bytes(array))
    whole = npy_bytes(arrays["f32_2x3"])
    write("npy_fuzz", "truncated.npy", whole[: len(whole) - 5])
    write("npy_fuzz", "header_only.npy", whole[:20])


def stream_seeds(target, handmade):
    for i, data in enumerate(handmade):
        write(target, f"handmade_{i}", bytes(data))
    rng = random.Random(target)
    for i in range(8):
        write(target, f"random_{i}", bytes(rng.randrange(256) for _ in range(rng.randrange(8, 64))))


def main():
    npy_seeds()
    # front end, x dtype, mixed?, x rank + dims, y rank + dims, axes (see semantics_fuzz.cpp).
    stream_seeds("semantics_fuzz", [
        [0, 0, 1, 3, 2, 3, 4, 3, 2, 4, 5, 0],          # Keras, float32, axes None
        [1, 0, 1, 2, 2, 2, 3, 2, 3, 2, 6, 1, 2],       # MindSpore, axes int
        [2, 1, 1, 3, 2, 3, 4, 3, 2, 4, 3, 1, 2, 1, 1, 1, 0, 1, 0],  # dot_general
        [0, 2, 0, 5, 3, 2, 4, 4, 3, 2, 3, 4, 4, 1, 4, 2, 6, 2, 6, 1],  # Keras, mixed dtypes, tuple axes
    ])
    # dtypes, axis counts, sizes, axis orders, strides, fill seeds (see execute_fuzz.cpp).
    stream_seeds("execute_fuzz", [
        [1, 0, 1, 1, 1, 1, 1, 13, 14, 14, 13],           # float32 gemm-sized, 2-3 threads engage
        [1, 1, 1, 1, 1, 0, 0, 8, 9, 3] + [1, 3, 1, 2] * 6,  # float64 with negative and step strides
        [1, 2, 0, 2, 1, 2, 2, 4, 3, 6, 5, 2, 7] + [0, 1] * 10,  # int32, two batch and free axes
        [1, 3, 2, 2, 0, 1, 5, 7, 2, 9] + [1, 0, 2, 3] * 5,      # int64, two contracting axes, zero strides
    ])


if __name__ == "__main__":
    main()
