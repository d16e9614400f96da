#!/usr/bin/python3
"""Two charts from a benchmark run (python3-matplotlib):

  ratio.png     batchdot's time / the best peer's time per shape and thread count (< 1: batchdot faster),
                from compare.py's JSON (fresh results, and out= where a peer writes in place);
  roofline.png  achieved GFLOP/s against arithmetic intensity (FLOP per compulsory byte), with the
                measured compute and bandwidth roofs, from `batchdot bench --json`.

Usage: /usr/bin/python3 bench/plot.py COMPARE.json BENCH.json OUTDIR
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def ratio_chart(compare, path):
    rows = compare["results"]
    labels = [f"{r['name']} {r['threads']}T" for r in rows]
    fresh = [r["batchdot_us"] / r["peer_us"] for r in rows]
    out = [r["batchdot_out_us"] / r["out_peer_us"] if r["out_peer_us"] else float("nan") for r in rows]
    fig, ax = plt.subplots(figsize=(10, 0.32 * len(rows) + 1.5))
    y = range(len(rows))
    ax.barh([i + 0.2 for i in y], fresh, height=0.4, label="fresh result vs best allocating peer")
    ax.barh([i - 0.2 for i in y], out, height=0.4, label="out= vs best in-place peer")
    ax.axvline(1.0, color="black", linewidth=1)
    ax.set_yticks(list(y))
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("batchdot time / best peer time (log; < 1 means batchdot is faster)")
    ax.set_title(compare["header"], fontsize=8)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def roofline_chart(bench, path):
    fig, ax = plt.subplots(figsize=(9, 6))
    for run in bench:
        roof = run["roofline"]
        t = roof["threads"]
        xs = [0.01, 1000]
        peak = roof["fma_gflops_f32"]
        for bw, style in ((roof["dram_read_gbs"], "--"), (roof["cache_read_gbs"], ":")):
            ax.plot(xs, [min(peak, bw * x) for x in xs], style,
                    linewidth=1, label=f"{t}T roof: {peak:.0f} GFLOP/s, {bw:.0f} GB/s")
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
    ax.set_title("batchdot roofline (limits measured on this machine)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    with open(sys.argv[1]) as f:
        compare = json.load(f)
    with open(sys.argv[2]) as f:
        bench = json.load(f)
    ratio_chart(compare, f"{sys.argv[3]}/ratio.png")
    roofline_chart(bench, f"{sys.argv[3]}/roofline.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
