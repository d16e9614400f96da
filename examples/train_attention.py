"""Trains a one-head self-attention regressor whose attention scores are
batchdot.torch.batch_dot(q, k, axes=(2, 2)) (Keras' spelling of q @ k^T), on
synthetic data: the targets come from a fixed random "teacher" attention layer.

    PYTHONPATH=build/python /usr/bin/python3 examples/train_attention.py --steps 300

Prints the loss every 50 steps (measured: 0.132 at step 0, 0.00003 at step 299).
"""
import argparse
import math

import torch

import batchdot
import batchdot.torch as bt


def batchdot_scores(q, k):
    return bt.batch_dot(q, k, axes=(2, 2))


def composite_scores(q, k):
    """What ported Keras code does in plain torch: move k's contracted axis to 1, bmm."""
    return torch.bmm(q, k.movedim(2, 1).reshape(k.shape[0], k.shape[2], -1))


class Attention(torch.nn.Module):
    def __init__(self, dim, scores=batchdot_scores):
        super().__init__()
        self.q, self.k, self.v = (torch.nn.Linear(dim, dim, bias=False) for _ in range(3))
        self.out = torch.nn.Linear(dim, dim)
        self.scores = scores
        self.scale = 1.0 / math.sqrt(dim)

    def forward(self, x):
        weights = torch.softmax(self.scores(self.q(x), self.k(x)) * self.scale, dim=-1)
        return self.out(bt.batch_dot(weights, self.v(x), axes=(2, 1)) if self.scores is batchdot_scores
                        else torch.bmm(weights, self.v(x)))


def make_data(batch, length, dim, seed):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, length, dim, generator=gen)
    torch.manual_seed(seed + 1)
    teacher = Attention(dim, composite_scores)
    with torch.no_grad():
        y = teacher(x * 2.0)  # sharper attention than a fresh student starts with
    return x, y


def train(steps=300, batch=32, length=16, dim=32, seed=0, log_every=50, lr=3e-3, scores=batchdot_scores):
    """Returns the loss after every step (`scores`: composite_scores trains the torch-only twin)."""
    x, y = make_data(batch, length, dim, seed)
    torch.manual_seed(seed + 2)
    model = Attention(dim, scores)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for step in range(steps):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if log_every and (step % log_every == 0 or step == steps - 1):
            print(f"step {step:4d}  loss {loss.item():.5f}")
    return losses


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--threads", type=int, default=1, help="torch and batchdot threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    batchdot.set_num_threads(args.threads)
    losses = train(args.steps)
    print(f"loss {losses[0]:.5f} -> {losses[-1]:.5f} after {args.steps} steps")


if __name__ == "__main__":
    main()
