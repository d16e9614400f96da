"""Runs a conformance suite (test_tf_keras.py, test_jax.py, test_mindspore.py) in a fresh
interpreter with a binding's plugin (tensorflow_in_place, jax_in_place, mindspore_in_place)
in place of batchdot's NumPy front end, on a reduced case count."""
import os
import subprocess
import sys

import pytest

import batchdot

HERE = os.path.dirname(os.path.abspath(__file__))


def run_suite_in_place(plugin, suite, cases):
    if not os.path.exists(os.path.join(HERE, suite)):
        pytest.skip(f"the conformance suite tests/frameworks/{suite} is not in this checkout")
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(batchdot.__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([package_root, HERE]), BATCHDOT_CONFORMANCE_CASES=str(cases))
    env.pop("BATCHDOT_CONFORMANCE_SUMMARY", None)
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", plugin,
                          os.path.join(HERE, suite)], capture_output=True, text=True, env=env, cwd=HERE)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    return run.stdout
