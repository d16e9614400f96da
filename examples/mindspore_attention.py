"""A MindSpore attention and similarity block built on batchdot.mindspore.ops.batch_dot,
trained with an optimizer: the model a tf.keras user writes with K.batch_dot or
keras.layers.Dot, ported by changing one import.

The task: each sample is a sequence of 12 tokens of width 16 and a query vector;
the label is which token the query matches best under a hidden projection. The
model scores tokens against the projected query (a batch_dot over the feature
axis), attends over them (a second batch_dot, weights x tokens) and classifies
from the attended vector's similarity to every token.

    venv/mindspore/bin/python examples/mindspore_attention.py [--graph]

Runs in well under a minute on 2 cores; prints the loss every 20 steps (falling)
and the accuracy on held-out data at the end. --graph compiles the train step
with mindspore.jit instead of running it in PyNative.
"""
import argparse
import time

import mindspore as ms
import numpy as np
from mindspore import Tensor, nn

from batchdot.mindspore.ops import batch_dot  # was: from mindspore.ops import batch_dot

T, D = 12, 16


class QueryAttention(nn.Cell):
    def __init__(self):
        super().__init__()
        self.query_proj = nn.Dense(D, D, has_bias=False)
        self.key_proj = nn.Dense(D, D, has_bias=False)
        self.softmax = nn.Softmax(axis=-1)

    def construct(self, tokens, query):
        keys = self.key_proj(tokens)                        # (B, T, D)
        q = self.query_proj(query)                          # (B, D)
        scores = batch_dot(keys, q, (2, 1)) / D ** 0.5      # (B, T): one score per token
        weights = self.softmax(scores)
        attended = batch_dot(weights, tokens, (1, 1))       # (B, D): weighted sum of tokens
        return batch_dot(tokens, attended + q, (2, 1))      # (B, T): logits, similarity to each token


def make_data(rng, n, hidden):
    tokens = rng.standard_normal((n, T, D)).astype(np.float32)
    query = rng.standard_normal((n, D)).astype(np.float32)
    labels = np.argmax(np.einsum("ntd,de,ne->nt", tokens, hidden, query), axis=1).astype(np.int32)
    return Tensor(tokens), Tensor(query), Tensor(labels)



def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--graph", action="store_true", help="compile the train step with mindspore.jit")
    parser.add_argument("--steps", type=int, default=120)
    args = parser.parse_args()
    ms.set_device("CPU")
    ms.set_seed(0)

    rng = np.random.default_rng(0)
    hidden = (np.eye(D) + 0.5 * rng.standard_normal((D, D))).astype(np.float32)
    train, test = make_data(rng, 256, hidden), make_data(rng, 256, hidden)

    model = QueryAttention()
    loss_fn = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    optimizer = nn.Adam(model.trainable_params(), learning_rate=0.01)

    def forward(tokens, query, labels):
        return loss_fn(model(tokens, query), labels)

    grad_fn = ms.value_and_grad(forward, None, optimizer.parameters)

    def train_step(tokens, query, labels):
        loss, grads = grad_fn(tokens, query, labels)
        optimizer(grads)
        return loss

    if args.graph:
        train_step = ms.jit(train_step)

    start = time.perf_counter()
    first = last = None
    for step in range(args.steps):
        loss = float(train_step(*train).asnumpy())
        first = loss if first is None else first
        last = loss
        if step % 20 == 0 or step == args.steps - 1:
            print(f"step {step:4d}  loss {loss:.4f}")
    accuracy = float((model(test[0], test[1]).asnumpy().argmax(axis=1) == test[2].asnumpy()).mean())
    print(f"{'graph' if args.graph else 'PyNative'}: loss {first:.4f} -> {last:.4f} in {args.steps} steps, "
          f"{time.perf_counter() - start:.1f} s; held-out accuracy {accuracy:.2f} (chance {1 / T:.2f})")
    if not last < 0.5 * first:
        raise SystemExit("the loss did not fall")


if __name__ == "__main__":
    main()
