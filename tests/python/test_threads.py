"""Threads: set/get_num_threads, bitwise-equal results for every thread count,
concurrent calls from Python threads, and the GIL released while computing."""
import sys
import threading
import time

import numpy as np
import pytest

import batchdot


def test_set_and_get(restore_threads):
    batchdot.set_num_threads(1)
    assert batchdot.get_num_threads() == 1
    batchdot.set_num_threads(3)
    assert batchdot.get_num_threads() == 3


@pytest.mark.parametrize("n", [0, -1, -100])
def test_set_num_threads_rejects_non_positive(n, restore_threads):
    before = batchdot.get_num_threads()
    with pytest.raises(batchdot.BatchDotError, match=f"^set_num_threads: the thread count must be between 1 and "
                                                     f"1024, got {n}$"):
        batchdot.set_num_threads(n)
    assert batchdot.get_num_threads() == before


def test_set_num_threads_rejects_non_ints(restore_threads):
    with pytest.raises(TypeError):
        batchdot.set_num_threads(1.5)
    with pytest.raises(TypeError):
        batchdot.set_num_threads("2")


SHAPES = [
    ((64, 33, 65), (64, 65, 17), (2, 1)),     # many small products: split by batch
    ((2, 300, 257), (2, 257, 200), (2, 1)),   # few big products: split by tiles
    ((1, 1000, 511), (1, 511), (2, 1)),       # one gemv
    ((512, 1000), (512, 1000), (1, 1)),       # batched dots
    ((3, 128, 96), (3, 40, 128), (1, 2)),     # transposed operands
]


@pytest.mark.parametrize("x_shape,y_shape,axes", SHAPES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bitwise_equal_for_1_and_2_threads(x_shape, y_shape, axes, dtype, rng, restore_threads):
    x = rng.standard_normal(x_shape).astype(dtype)
    y = rng.standard_normal(y_shape).astype(dtype)
    results = []
    for n in (1, 2, 1, 4):
        batchdot.set_num_threads(n)
        results.append(batchdot.batch_dot(x, y, axes))
    for r in results[1:]:
        np.testing.assert_array_equal(r.view(np.uint8), results[0].view(np.uint8))


def test_four_python_threads_at_once(rng, restore_threads):
    batchdot.set_num_threads(2)
    inputs = [(rng.standard_normal((16, 96, 128)).astype(np.float32),
               rng.standard_normal((16, 128, 80)).astype(np.float32)) for _ in range(4)]
    ms_inputs = [(x, np.ascontiguousarray(y.transpose(0, 2, 1))) for x, y in inputs]
    want = [batchdot.batch_dot(x, y) for x, y in inputs]
    want_ms = [batchdot.mindspore.batch_dot(x, y, (2, 2)) for x, y in ms_inputs]
    errors, barrier = [], threading.Barrier(4)

    def worker(i):
        try:
            barrier.wait()
            for _ in range(20):
                got = batchdot.batch_dot(*inputs[i])
                np.testing.assert_array_equal(got, want[i])
                out = np.empty_like(want_ms[i])
                batchdot.mindspore.batch_dot(*ms_inputs[i], (2, 2), out)
                np.testing.assert_array_equal(out, want_ms[i])
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def test_gil_is_released_while_computing(restore_threads):
    # With a switch interval far beyond the test's life, CPython hands the GIL to
    # another thread only when its holder releases it. The worker marks that it
    # is about to call and that it has returned; the main thread waits (sleep(0)
    # releases the GIL) until the worker has started. A call that holds the GIL
    # can never let the main thread see "inside"; one that releases it does as
    # soon as the main thread wakes within the call (the worker cannot return
    # while the main thread holds the GIL), so a few tries settle it.
    batchdot.set_num_threads(1)
    x = np.ones((4, 256, 256))
    y = np.ones((4, 256, 256))
    seen = []
    interval = sys.getswitchinterval()
    for _ in range(20):
        state = ["before"]

        def worker():
            state[0] = "inside"
            batchdot.batch_dot(x, y)
            state[0] = "returned"

        sys.setswitchinterval(1e6)
        try:
            t = threading.Thread(target=worker)
            t.start()
            while state[0] == "before":
                time.sleep(0)
            seen.append(state[0])
        finally:
            sys.setswitchinterval(interval)
        t.join()
        if seen[-1] == "inside":
            return
    raise AssertionError(f"the main thread never ran while batch_dot computed (saw {seen}): the GIL was held")
