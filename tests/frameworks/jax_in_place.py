"""A pytest plugin (-p jax_in_place) that runs the conformance suite test_jax.py with
batchdot's JAX op in place of the NumPy front end: batchdot.dot_general, dot_general_grad,
batch_dot, batch_dot_grad and batchdot.keras.batch_dot become calls of batchdot.jax on JAX
arrays (gradients through jax.vjp, so through the op's custom_vjp), and every case the suite
compares against jax.lax.dot_general, jax.vjp and Keras 3 is computed by the op (used by
test_jax_op.py). Results go back as NumPy arrays, as the NumPy front end returns them."""
import jax
import numpy as np

import batchdot
import batchdot.keras
from batchdot import jax as bj


def _numpy(result):
    return np.asarray(result)


def _vjp(f, x, y, g):
    out, pullback = jax.vjp(f, jax.numpy.asarray(x), jax.numpy.asarray(y))
    gx, gy = pullback(jax.numpy.asarray(g, dtype=out.dtype))
    return _numpy(gx), _numpy(gy)


def dot_general(lhs, rhs, dimension_numbers):
    return _numpy(bj.dot_general(lhs, rhs, dimension_numbers))


def dot_general_grad(lhs, rhs, grad_out, dimension_numbers):
    return _vjp(lambda a, b: bj.dot_general(a, b, dimension_numbers), lhs, rhs, grad_out)


def batch_dot(x, y, axes=None):
    return _numpy(bj.batch_dot(x, y, axes))


def batch_dot_grad(x, y, grad_out, axes=None):
    return _vjp(lambda a, b: bj.batch_dot(a, b, axes), x, y, grad_out)


batchdot.dot_general, batchdot.dot_general_grad = dot_general, dot_general_grad
batchdot.batch_dot, batchdot.batch_dot_grad = batch_dot, batch_dot_grad
batchdot.keras.batch_dot = batch_dot
