"""A Keras model with a dot-product attention block, trained with batchdot's BatchDot layer.

Usage (the TensorFlow venv of `make frameworks`, batchdot installed in it):
    venv/tensorflow/bin/python examples/keras_attention.py [--epochs N]

The model was written against ``keras.layers.Dot``; porting it to batchdot is the one changed
import below (``BatchDot`` takes Dot's ``axes`` and computes tf.keras.backend.batch_dot on
batchdot's native TensorFlow op, gradients included). The task: each sequence of 16 random
vectors carries a query token; the target is the softmax(q·kᵀ)-weighted mean of the values
of a fixed teacher attention, which the student learns. It prints the loss falling, epoch by
epoch; about 10 s of CPU on 2 cores.
"""
import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import keras  # noqa: E402

# was: from keras.layers import Dot
from batchdot.keras.layers import BatchDot as Dot  # noqa: E402

SEQ, DIM = 16, 8


def attention_model():
    tokens = keras.Input((SEQ, DIM))
    query = keras.layers.Dense(DIM, name="query")(tokens[:, :1, :])  # (B, 1, DIM)
    keys = keras.layers.Dense(DIM, name="keys")(tokens)  # (B, SEQ, DIM)
    values = keras.layers.Dense(DIM, name="values")(tokens)
    scores = Dot(axes=(2, 2), name="scores")([query, keys])  # (B, 1, SEQ)
    weights = keras.layers.Softmax(axis=-1)(scores)
    context = Dot(axes=(2, 1), name="context")([weights, values])  # (B, 1, DIM)
    return keras.Model(tokens, keras.layers.Flatten()(context))


def teacher_targets(tokens, rng):
    wq, wk, wv = (rng.standard_normal((DIM, DIM)).astype(np.float32) / np.sqrt(DIM) for _ in range(3))
    q, k, v = tokens[:, :1] @ wq, tokens @ wk, tokens @ wv
    scores = q @ k.transpose(0, 2, 1)
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    return (weights @ v).reshape(len(tokens), DIM)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=8)
    args = parser.parse_args()
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    tokens = rng.standard_normal((1024, SEQ, DIM)).astype(np.float32)
    targets = teacher_targets(tokens, rng)

    model = attention_model()
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    losses = []
    for epoch in range(args.epochs):
        loss = model.fit(tokens, targets, batch_size=64, epochs=1, verbose=0).history["loss"][0]
        losses.append(loss)
        print(f"epoch {epoch + 1}: loss {loss:.5f}", flush=True)
    print("loss fell" if losses[-1] < losses[0] else "loss did NOT fall", f"{losses[0]:.5f} -> {losses[-1]:.5f}")
    return 0 if losses[-1] < losses[0] else 1


if __name__ == "__main__":
    raise SystemExit(main())
