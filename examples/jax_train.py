"""Trains a one-head self-attention regressor in JAX whose two products are
batchdot.jax.batch_dot: scores = batch_dot(q, k, axes=(2, 2)) (Keras' spelling of
q @ k^T) and batch_dot(weights, v, axes=(2, 1)). The training step is
jax.jit(jax.grad(...)) with plain SGD on synthetic data whose targets come from a
fixed random "teacher" layer of the same shape.

    venv/jax/bin/python examples/jax_train.py --steps 400

Prints the loss every 50 steps and exits non-zero if it did not fall at least
tenfold (measured: 0.338 at step 0, 0.00047 at step 399; 5 s of CPU, 17 s wall on
2 shared cores at load 12).
"""
import argparse
import math

import jax
import jax.numpy as jnp

import batchdot.jax as bj


def init(key, dim):
    keys = jax.random.split(key, 4)
    return {name: jax.random.normal(k, (dim, dim)) / math.sqrt(dim) for name, k in zip("qkvo", keys)}


def attention(params, x):
    q, k, v = x @ params["q"], x @ params["k"], x @ params["v"]
    scores = bj.batch_dot(q, k, axes=(2, 2)) / math.sqrt(x.shape[-1])  # (B, T, T)
    weights = jax.nn.softmax(scores, axis=-1)
    return bj.batch_dot(weights, v, axes=(2, 1)) @ params["o"]  # (B, T, D)


def loss(params, x, y):
    return jnp.mean((attention(params, x) - y) ** 2)


@jax.jit
def train_step(params, x, y, lr):
    grads = jax.grad(loss)(params, x, y)
    return jax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--tokens", type=int, default=16)
    parser.add_argument("--dim", type=int, default=16)
    parser.add_argument("--lr", type=float, default=2.0)
    args = parser.parse_args()

    teacher = init(jax.random.PRNGKey(1), args.dim)
    params = init(jax.random.PRNGKey(2), args.dim)
    data_key = jax.random.PRNGKey(3)
    first = last = None
    for step in range(args.steps):
        data_key, key = jax.random.split(data_key)
        x = jax.random.normal(key, (args.batch, args.tokens, args.dim))
        y = attention(teacher, x)
        if step % 50 == 0 or step == args.steps - 1:
            last = float(loss(params, x, y))
            first = last if first is None else first
            print(f"step {step:4d}  loss {last:.6f}")
        params = train_step(params, x, y, args.lr)
    if not last < first / 10:
        raise SystemExit(f"the loss did not fall tenfold: {first:.6f} -> {last:.6f}")
    print(f"loss fell from {first:.6f} to {last:.6f}")


if __name__ == "__main__":
    main()
