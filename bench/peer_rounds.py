"""batchdot's installed C++ package against the C++ peers on chosen cases, several interleaved rounds.

Usage, from the project root after a build:
  /usr/bin/python3 bench/peer_rounds.py THREADS ROUNDS CASE [CASE ...]
Installs ./build into a temporary prefix, builds ../shared/tools/peers/self/bd_self.cpp against it, then per
round runs each peer binary (peers.py builds them) and bd_self on each case, alternating. Prints, per case,
the median over rounds of each side's median, the ratio, and the spread (min..max of per-round ratios).
A development tool: the bars and the full sweep are ../shared/tools/peers/cpp_compare.py's.
"""
import os
import statistics
import subprocess
import sys
import tempfile

# The shared peer harness (read-only); override with BATCHDOT_PEERS.
SHARED = os.environ.get("BATCHDOT_PEERS", "/work/shared/tools/peers")
sys.path.insert(0, SHARED)
import peers  # noqa: E402

ENV = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}


def build_self(tmp, build_dir):
    prefix = os.path.join(tmp, "prefix")
    subprocess.run(["cmake", "--install", build_dir, "--prefix", prefix], check=True, capture_output=True)
    b = os.path.join(tmp, "b")
    subprocess.run(["cmake", "-S", os.path.join(SHARED, "self"), "-B", b, "-G", "Ninja",
                    f"-DCMAKE_PREFIX_PATH={prefix}"], check=True, capture_output=True)
    subprocess.run(["cmake", "--build", b], check=True, capture_output=True)
    return os.path.join(b, "bd_self")


def peer_round(bins, threads, cases):
    env = dict(ENV, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS="1")
    best = {}
    for path in bins.values():
        p = subprocess.run([path, str(threads)] + cases, capture_output=True, text=True, env=env, timeout=900)
        for line in p.stdout.splitlines():
            f = line.split(",")
            if len(f) < 11 or line.startswith("case"):
                continue
            try:
                med = float(f[-7])
            except ValueError:
                continue
            if med == med and (f[0] not in best or med < best[f[0]][0]):
                best[f[0]] = (med, f"{f[1]} {','.join(f[2:-8])}")
    return best


def self_round(binary, threads, case):
    p = subprocess.run([binary, str(threads), case], capture_output=True, text=True, env=ENV, timeout=900)
    for line in p.stdout.splitlines()[1:]:
        f = line.split(",")
        if f[0] == case and f[2] == "out=":
            return float(f[4])
    return float("nan")


def main():
    threads, rounds, cases = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    build_dir = os.environ.get("BATCHDOT_BUILD", "build")
    tmp = tempfile.mkdtemp()
    binary = build_self(tmp, build_dir)
    bins = peers._build()
    peer_case = {c: ("seed_permute" if c == "seed" else c) for c in cases}
    mine = {c: [] for c in cases}
    theirs = {c: [] for c in cases}
    who = {}
    for _ in range(rounds):
        best = peer_round(bins, threads, [peer_case[c] for c in cases] + (["seed_loopj"] if "seed" in cases else []))
        for c in cases:
            pc = [best[k] for k in ([peer_case[c], "seed_loopj"] if c == "seed" else [c]) if k in best]
            t = min(pc) if pc else (float("nan"), "")
            theirs[c].append(t[0])
            who[c] = t[1]
            mine[c].append(self_round(binary, threads, c))
    for c in cases:
        ratios = [m / t for m, t in zip(mine[c], theirs[c])]
        mm, tm = statistics.median(mine[c]), statistics.median(theirs[c])
        print(f"{c:24s} T={threads} batchdot {mm:10.3f} us  peer {tm:10.3f} us ({who[c]})  ratio {mm / tm:.3f}"
              f"  spread {min(ratios):.3f}..{max(ratios):.3f}  n={rounds}")


if __name__ == "__main__":
    main()
