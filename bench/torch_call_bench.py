"""Per call and per training step, batchdot.torch against plain torch, same
thread count (torch.set_num_threads; batchdot.torch follows it):

- tiny (2,2)x(2,3,2), axes (1, 2), forward: batchdot.torch.batch_dot vs
  torch.matmul of the same product (x.unsqueeze(1) @ y.transpose(1, 2));
- one training step (forward, backward, Adam) of examples/train_attention.py vs
  its torch-only twin (composite_scores: movedim/reshape/bmm);
- sharing the cores: a torch op (intra-op threads) then a batchdot.torch op, back
  to back, against the sum of each timed alone (1.0: neither pool slows the other).

Interleaved repetitions, ratio of medians (batchdot / torch; < 1 is faster).
    PYTHONPATH=build/python /usr/bin/python3 bench/torch_call_bench.py [--threads 1 2] [--json out.json]
"""
import argparse
import importlib.util
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_timing  # noqa: E402

EXAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "examples", "train_attention.py")


def training_step(example, scores):
    x, y = example.make_data(32, 16, 32, seed=0)
    import torch

    torch.manual_seed(2)
    model = example.Attention(32, scores)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)

    def step():
        optimizer.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        optimizer.step()

    return step


def run_one(threads, reps):
    import torch

    import batchdot.torch as bt

    torch_timing.set_threads(threads)
    rows = []
    x, y = torch.randn(2, 2), torch.randn(2, 3, 2)
    assert torch.allclose(bt.batch_dot(x, y, (1, 2)), torch.matmul(x.unsqueeze(1), y.transpose(1, 2)).squeeze(1))
    ours, theirs = torch_timing.interleaved(
        [lambda: bt.batch_dot(x, y, (1, 2)), lambda: torch.matmul(x.unsqueeze(1), y.transpose(1, 2))], reps)
    rows.append({"case": "tiny (2,2)x(2,3,2) forward", "peer": "torch.matmul", "threads": threads,
                 "batchdot_us": ours * 1e6, "peer_us": theirs * 1e6, "ratio": ours / theirs})

    spec = importlib.util.spec_from_file_location("train_attention", EXAMPLE)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    ours, theirs = torch_timing.interleaved(
        [training_step(example, example.batchdot_scores), training_step(example, example.composite_scores)], reps)
    rows.append({"case": "train_attention step (32x16x32)", "peer": "torch-only twin", "threads": threads,
                 "batchdot_us": ours * 1e6, "peer_us": theirs * 1e6, "ratio": ours / theirs})
    a, b = torch.randn(256, 256), torch.randn(256, 256)
    q, k = torch.randn(16, 128, 64), torch.randn(16, 128, 64)
    torch_op = lambda: torch.mm(a, b).relu_()  # noqa: E731
    ours_op = lambda: bt.batch_dot(q, k, (2, 2))  # noqa: E731
    both, torch_alone, ours_alone = torch_timing.interleaved(
        [lambda: (torch_op(), ours_op()), torch_op, ours_op], reps)
    rows.append({"case": "torch mm 256^3 then batch_dot 16x128x64x128", "peer": "sum of each alone",
                 "threads": threads, "batchdot_us": both * 1e6, "peer_us": (torch_alone + ours_alone) * 1e6,
                 "ratio": both / (torch_alone + ours_alone)})
    for row in rows:
        row["load"] = torch_timing.load_text()
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--reps", type=int, default=25)
    parser.add_argument("--json", help="also write the rows here")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args.threads[0], args.reps)))
        return
    rows = torch_timing.per_thread_count(__file__, args.threads, ["--reps", str(args.reps)])
    print("| case | peer | threads | batchdot.torch (us) | peer (us) | ratio | load |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['case']} | {r['peer']} | {r['threads']} | {r['batchdot_us']:.2f} | {r['peer_us']:.2f} | "
              f"{r['ratio']:.2f} | {r['load']} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
