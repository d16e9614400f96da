#!/usr/bin/python3
"""Summary table and two charts from one benchmark run (python3-matplotlib):

  summary.md    per shape and thread count: batchdot against the best peer, like with like:
                fresh result vs the best allocating peer (NumPy, PyTorch), and out= vs the best peer
                writing into preallocated memory (NumPy/PyTorch out=, OpenBLAS, Eigen, LIBXSMM);
  ratio.png     those two ratios per shape (< 1: batchdot is faster);
  roofline.png  achieved GFLOP/s against arithmetic intensity (FLOP per compulsory byte), with the
                compute and bandwidth roofs measured by `batchdot bench`.

Usage: /usr/bin/python3 bench/plot.py COMPARE.json BENCH.json PEERS.json OUTDIR
  COMPARE.json from bench/compare.py --json, BENCH.json from `batchdot bench --json`,
  PEERS.json from peers_bench --benchmark_out=PEERS.json --benchmark_out_format=json.
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def cpp_peers(peers):
    """{(shape, threads): (library, us)} of the fastest C++ peer, from Google Benchmark JSON."""
    best = {}
    for b in peers.get("benchmarks", []):
        if b.get("error_occurred") or (b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median"):
            continue
        shape, library, threads = b["name"].split("/")[:3]
        if library == "batchdot":
            continue
        key = (shape, int(threads.split(":")[1]))
        us = b["real_time"] * {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}[b["time_unit"]]
        if key not in best or us < best[key][1]:
            best[key] = (library, us)
    return best


def summary_rows(compare, peers):
    cpp = cpp_peers(peers)
    rows = []
    for r in compare["results"]:
        out_peer, out_us = r["out_peer"], r["out_peer_us"]
        c = cpp.get((r["name"], r["threads"]))
        if c and (out_us is None or c[1] < out_us):
            out_peer, out_us = c
        rows.append({**r, "best_out_peer": out_peer, "best_out_us": out_us,
                     "fresh_ratio": r["batchdot_us"] / r["peer_us"],
                     "out_ratio": r["batchdot_out_us"] / out_us if out_us else None})
    return rows


def write_summary(rows, header, path):
    lines = [header, "",
             "| shape | threads | batchdot fresh us | best allocating peer (us) | ratio | batchdot out= us | "
             "best in-place peer (us) | ratio |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        out = (f"{r['best_out_peer']} ({r['best_out_us']:.2f}) | {r['out_ratio']:.2f}" if r["out_ratio"]
               else "- | -")
        lines.append(f"| {r['name']} | {r['threads']} | {r['batchdot_us']:.2f} | {r['peer']} ({r['peer_us']:.2f}) | "
                     f"{r['fresh_ratio']:.2f} | {r['batchdot_out_us']:.2f} | {out} |")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def ratio_chart(rows, header, path):
    labels = [f"{r['name']} {r['threads']}T" for r in rows]
    fresh = [r["fresh_ratio"] for r in rows]
    out = [r["out_ratio"] if r["out_ratio"] else float("nan") for r in rows]
    fig, ax = plt.subplots(figsize=(10, 0.32 * len(rows) + 1.5))
    y = range(len(rows))
    ax.barh([i - 0.2 for i in y], fresh, height=0.4, label="fresh result vs best allocating peer")
    ax.barh([i + 0.2 for i in y], out, height=0.4, label="out= vs best in-place peer (incl. C++)")
    ax.axvline(1.0, color="black", linewidth=1)
    ax.set_yticks(list(y))
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("batchdot time / best peer time (log scale; < 1 means batchdot is faster)")
    ax.set_title(header, fontsize=8)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def roofline_chart(bench, path):
    fig, ax = plt.subplots(figsize=(9, 6))
    for run in bench:
        roof = run["roofline"]
        t = roof["threads"]
        peak = roof["fma_gflops_f32"]
        for bw, style, level in ((roof["dram_read_gbs"], "--", "DRAM"), (roof["cache_read_gbs"], ":", "cache")):
            xs = [0.01, peak / bw, 1000]  # the knee sits at the ridge point
            ax.plot(xs, [min(peak, bw * x) for x in xs], style, linewidth=1,
                    label=f"{t}T roof: {peak:.0f} GFLOP/s, {level} {bw:.0f} GB/s")
        for r in run["results"]:
            if r["bytes"] <= 0 or r["flops"] <= 0:
                continue
            ai = r["flops"] / r["bytes"]
            ax.scatter([ai], [r["gflops"]], s=18, marker="o" if t == 1 else "^")
            ax.annotate(f"{r['name'].split(' (')[0]} {t}T", (ai, r["gflops"]), fontsize=6)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity (FLOP / compulsory byte)")
    ax.set_ylabel("achieved GFLOP/s (out=)")
    ax.legend(fontsize=7)
    ax.set_title("batchdot roofline (limits measured on this machine; f32 roof)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main():
    if len(sys.argv) != 5:
        print(__doc__)
        return 2
    loaded = []
    for p in sys.argv[1:4]:
        with open(p) as f:
            loaded.append(json.load(f))
    compare, bench, peers = loaded
    rows = summary_rows(compare, peers)
    write_summary(rows, compare["header"], f"{sys.argv[4]}/summary.md")
    ratio_chart(rows, compare["header"], f"{sys.argv[4]}/ratio.png")
    roofline_chart(bench, f"{sys.argv[4]}/roofline.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
