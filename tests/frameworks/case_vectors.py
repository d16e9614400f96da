"""The case vectors of tests/data/*.json as the binding suites read them: the cases,
their axes as Python values, and their input arrays."""
import json
import os

import numpy as np

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "data")


def load_cases(name):
    """The cases of tests/data/<name>.json."""
    with open(os.path.join(DATA, f"{name}.json")) as f:
        return json.load(f)


def python_axes(axes):
    """JSON lists become the tuples a caller writes."""
    return tuple(python_axes(a) for a in axes) if isinstance(axes, list) else axes


def case_inputs(case, rng):
    """x and y of a Keras case: its values, all ones, or small integers from `rng`."""
    dx = dy = case.get("dtype", "float32")
    if isinstance(dx, list):
        dx, dy = dx
    if "x_values" in case:
        return np.array(case["x_values"], dx), np.array(case["y_values"], dy)
    if case.get("fill") == "ones":
        return np.ones(case["x_shape"], dx), np.ones(case["y_shape"], dy)
    return rng.integers(-3, 4, case["x_shape"]).astype(dx), rng.integers(-3, 4, case["y_shape"]).astype(dy)
