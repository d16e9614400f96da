"""`batchdot-mpi run` under OpenMPI: 1 to 4 ranks write one .npy with MPI-IO.

Contract checked here: the output bytes equal `batchdot run`'s for every rank count (including ranks
that get no batch item), thread count and chunk budget; an error on any rank is one 'batchdot: error:'
line, exit status 1, and no output or temporary file; nothing hangs (every run has a timeout).
The binary is build/bin/batchdot-mpi or $BATCHDOT_MPI; mpirun comes from Debian's openmpi-bin.
"""
import os
import select
import shutil
import signal
import subprocess
import time

import numpy as np
import pytest

from test_cli import CLI, REPO, oracle, run_cli, small_ints

MPI_CLI = os.path.abspath(os.environ.get("BATCHDOT_MPI", os.path.join(REPO, "build", "bin", "batchdot-mpi")))
MPIRUN = shutil.which("mpirun") or "/usr/bin/mpirun"
# Containers: root, more ranks than cores, and no ptrace for the shared-memory single-copy path.
MPI_ENV = dict(os.environ, OMPI_MCA_btl_vader_single_copy_mechanism="none", OMPI_MCA_rmaps_base_oversubscribe="1")


@pytest.fixture(scope="module", autouse=True)
def mpi_exists():
    assert os.access(MPIRUN, os.X_OK), "mpirun is missing: install openmpi-bin (make deps)"
    assert os.access(MPI_CLI, os.X_OK), f"{MPI_CLI} is missing: build with libopenmpi-dev installed"


def mpirun(ranks, *args, timeout=180):
    command = [MPIRUN, "--allow-run-as-root", "--oversubscribe", "-q", "-n", str(ranks), MPI_CLI, *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=MPI_ENV)


def error_lines(proc):
    return [line for line in proc.stderr.splitlines() if line.startswith("batchdot: error:")]


def leftovers(folder):
    return sorted(n for n in os.listdir(folder) if ".tmp." in n)


PROBLEMS = [
    ((7, 9, 17), (7, 17, 33), [], "float32"),
    ((2, 40, 16), (2, 16, 24), [], "float64"),                          # fewer items than ranks
    ((5, 200, 37), (5, 37, 45), ["--chunk-bytes", "1"], "float32"),     # row bands
    ((13, 12, 4, 5), (13, 12, 5, 8), ["--chunk-bytes", "3000"], "float32"),
    ((9, 30, 6), (9, 6, 20), ["--threads", "2"], "int64"),
    ((0, 3, 4), (0, 4, 5), [], "float32"),                              # no items at all
]


@pytest.mark.parametrize("problem", PROBLEMS, ids=lambda p: f"{p[0]}x{p[1]}{''.join(p[2])}")
def test_bytes_equal_batchdot_run_for_1_to_4_ranks(tmp_path, problem):
    xs, ys, extra, dtype = problem
    rng = np.random.default_rng(len(xs) * 100 + xs[0])
    if np.dtype(dtype).kind == "f":
        x, y = rng.standard_normal(xs).astype(dtype), rng.standard_normal(ys).astype(dtype)
    else:
        x, y = small_ints(rng, xs, dtype), small_ints(rng, ys, dtype)
    xp, yp = tmp_path / "x.npy", tmp_path / "y.npy"
    np.save(xp, x)
    np.save(yp, y.astype(y.dtype.newbyteorder(">")))  # converted per chunk on every rank
    single = run_cli("run", xp, yp, "-o", tmp_path / "cli.npy")
    assert single.returncode == 0, single.stderr
    want = (tmp_path / "cli.npy").read_bytes()
    np.testing.assert_allclose(np.load(tmp_path / "cli.npy"), oracle(x, y), rtol=1e-5, atol=1e-4)
    for ranks in (1, 2, 3, 4):
        out = tmp_path / f"mpi{ranks}.npy"
        proc = mpirun(ranks, "run", xp, yp, "-o", out, *extra)
        assert proc.returncode == 0, (ranks, proc.stderr)
        assert error_lines(proc) == []
        assert out.read_bytes() == want, ranks
    assert leftovers(tmp_path) == []


def test_every_run_option_is_accepted(tmp_path):
    rng = np.random.default_rng(9)
    x, y = rng.standard_normal((6, 5, 4)).astype(np.float32), rng.standard_normal((6, 3, 5)).astype(np.float32)
    xp, yp = tmp_path / "x.npy", tmp_path / "y.npy"
    np.save(xp, x)
    np.save(yp, y)
    options = ["--axes=1,2", "--api", "mindspore", "--threads", "1", "--quiet", "--allow-trailing"]
    assert run_cli("run", xp, yp, "-o", tmp_path / "cli.npy", *options).returncode == 0
    proc = mpirun(3, "run", xp, yp, "-o", tmp_path / "mpi.npy", *options)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "mpi.npy").read_bytes() == (tmp_path / "cli.npy").read_bytes()
    ref = mpirun(2, "run", xp, yp, "-o", tmp_path / "ref.npy", *options, "--reference")
    assert ref.returncode == 0, ref.stderr
    np.testing.assert_allclose(np.load(tmp_path / "ref.npy"), np.load(tmp_path / "mpi.npy"), rtol=1e-5)


def error_cases(tmp_path):
    xp, yp = tmp_path / "x.npy", tmp_path / "y.npy"
    np.save(xp, np.ones((4, 3, 5), np.float32))
    np.save(yp, np.ones((4, 5, 2), np.float32))
    (tmp_path / "bad.npy").write_bytes(b"\x93NUMPY\x01\x00garbage")
    return {
        "missing input": ([tmp_path / "nope.npy", yp, "-o", tmp_path / "out.npy"], "nope.npy"),
        "malformed input": ([tmp_path / "bad.npy", yp, "-o", tmp_path / "out.npy"], "bad.npy"),
        "bad axes": ([xp, yp, "-o", tmp_path / "out.npy", "--axes=7"], "out of range"),
        "missing folder": ([xp, yp, "-o", tmp_path / "no" / "out.npy"], "cannot write into folder"),
        "folder as output": ([xp, yp, "-o", tmp_path], "is an existing folder"),
        "no space": ([tmp_path / "ex.npy", tmp_path / "ey.npy", "-o", tmp_path / "out.npy"], "not enough space"),
    }


@pytest.mark.parametrize("ranks", [1, 2, 4])
def test_an_error_on_every_rank_is_reported_once(tmp_path, ranks):
    np.save(tmp_path / "ex.npy", np.zeros((1000, 10**6, 0), np.float32))  # a 4.0 PB result of zeros
    np.save(tmp_path / "ey.npy", np.zeros((1000, 0, 10**6), np.float32))
    for name, (args, needle) in error_cases(tmp_path).items():
        proc = mpirun(ranks, "run", *args)
        lines = error_lines(proc)
        assert proc.returncode == 1, (name, proc.returncode, proc.stderr)
        assert len(lines) == 1 and needle in lines[0], (name, proc.stderr)
        assert not (tmp_path / "out.npy").exists() and leftovers(tmp_path) == [], name


def test_an_error_on_one_rank_only_stops_all(tmp_path):
    """Only rank 1 sees a y with another batch size: it alone fails, yet every rank exits 1 promptly."""
    np.save(tmp_path / "x.npy", np.ones((4, 3, 5), np.float32))
    np.save(tmp_path / "y.npy", np.ones((4, 5, 2), np.float32))
    script = tmp_path / "rank.sh"
    # Rank 1 sees a different y: a batch size mismatch only there.
    np.save(tmp_path / "y-bad.npy", np.ones((3, 5, 2), np.float32))
    script.write_text('#!/bin/sh\ny="$2"; [ "$OMPI_COMM_WORLD_RANK" = 1 ] && y="$3"\n'
                      f'exec {MPI_CLI} run "$1" "$y" -o "$4"\n')
    script.chmod(0o755)
    command = [MPIRUN, "--allow-run-as-root", "--oversubscribe", "-q", "-n", "3", str(script),
               tmp_path / "x.npy", tmp_path / "y.npy", tmp_path / "y-bad.npy", tmp_path / "out.npy"]
    proc = subprocess.run(list(map(str, command)), capture_output=True, text=True, timeout=120, env=MPI_ENV)
    lines = error_lines(proc)
    assert proc.returncode == 1 and len(lines) == 1 and "batch" in lines[0], proc.stderr
    assert not (tmp_path / "out.npy").exists() and leftovers(tmp_path) == []


def test_malformed_command_line_is_status_2(tmp_path):
    proc = mpirun(2, "run", "x.npy", "--bogus")
    assert proc.returncode == 2 and len(error_lines(proc)) == 1, proc.stderr


HEAVY = os.environ.get("BATCHDOT_HEAVY_TESTS") == "1"
heavy = pytest.mark.skipif(not HEAVY, reason="heavy (1 GiB results, real-time signals): BATCHDOT_HEAVY_TESTS=1, "
                                            "which .ci/run sets; the stop-point tests above cover the same paths")


def small_problem(tmp_path):
    """12 items, 4 per chunk: every rank of 2 writes in two rounds, so 'chunk' stops mid-result."""
    rng = np.random.default_rng(11)
    x, y = small_ints(rng, (12, 40, 9), np.float32), small_ints(rng, (12, 9, 30), np.float32)
    xp, yp = tmp_path / "x.npy", tmp_path / "y.npy"
    np.save(xp, x)
    np.save(yp, y)
    return x, y, [MPIRUN, "--allow-run-as-root", "--oversubscribe", "-q", "-n", "2", MPI_CLI, "run", xp, yp,
                  "-o", tmp_path / "out.npy", "--chunk-bytes", str(4 * 40 * 30 * 4)]


def start_stopped_ranks(command, stage, ranks=2):
    """Starts mpirun with every rank stopping itself at `stage`; returns (mpirun, rank pids) once all said so."""
    env = dict(MPI_ENV, BATCHDOT_TEST_STOP_AT=stage)
    proc = subprocess.Popen(list(map(str, command)), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    pids = []
    while len(pids) < ranks:
        line = proc.stderr.readline().decode()
        assert line, f"mpirun ended before {ranks} ranks stopped at {stage}: {pids}"
        if line.startswith(f"batchdot: test stop at {stage} (pid "):
            pids.append(int(line.rsplit(" ", 1)[1].rstrip(")\n")))
    return proc, pids


def wait_until_gone(pids):
    """Returns once every process in `pids` has exited (pidfd: an event, not a poll)."""
    for pid in pids:
        try:
            fd = os.pidfd_open(pid)
        except ProcessLookupError:
            continue
        try:
            ready, _, _ = select.select([fd], [], [], 120)
            assert ready, f"rank {pid} still runs"
        finally:
            os.close(fd)


@pytest.mark.parametrize("stage", ["created", "chunk", "synced"])
def test_sigkill_leaves_a_temporary_the_next_run_removes(tmp_path, stage):
    """MPI-IO needs a name every rank can open, so a SIGKILL of the ranks leaves the named temporary;
    the next run to the same -o removes it (one line) and writes the result."""
    x, y, command = small_problem(tmp_path)
    proc, pids = start_stopped_ranks(command, stage)
    try:
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        proc.communicate(timeout=120)
        assert proc.returncode != 0
        wait_until_gone(pids)
        left = leftovers(tmp_path)
        assert len(left) == 1 and not (tmp_path / "out.npy").exists(), left
        again = subprocess.run(list(map(str, command)), capture_output=True, text=True, timeout=180, env=MPI_ENV)
        assert again.returncode == 0, again.stderr
        assert again.stderr.splitlines() == [f"batchdot: removed '{tmp_path / left[0]}' ("
                                             f"{again.stderr.split(' (', 1)[1].split(')')[0]}), left by process "
                                             f"{left[0].split('.tmp.')[1].split('.')[0]}, which no longer runs"]
        assert leftovers(tmp_path) == []
        np.testing.assert_array_equal(np.load(tmp_path / "out.npy"), oracle(x, y))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


@pytest.mark.parametrize("target", ["mpirun", "rank 0"])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_a_signal_leaves_no_file(tmp_path, target, sig):
    """Signalling mpirun (Ctrl-C) or one rank (a batch system's cancel) mid-write removes the temporary file;
    a signalled rank exits 128 + N and mpirun passes that on. The ranks are stopped mid-write, signalled,
    then continued."""
    _, _, command = small_problem(tmp_path)
    proc, pids = start_stopped_ranks(command, "chunk")
    try:
        os.kill(proc.pid if target == "mpirun" else pids[0], sig)
        for pid in pids:
            os.kill(pid, signal.SIGCONT)
        proc.communicate(timeout=120)
        wait_until_gone(pids)
        assert leftovers(tmp_path) == []
        out = tmp_path / "out.npy"
        if target == "rank 0":
            assert proc.returncode == 128 + sig
            assert not out.exists()
        else:
            # mpirun's own status is Open MPI's (1); it acts on SIGINT/SIGHUP only after a delay, and
            # continued ranks may finish within it: then the result is whole, never partly written.
            assert proc.returncode != 0
            assert not out.exists() or out.stat().st_size == 128 + 12 * 40 * 30 * 4
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_progress_counts_every_rank(tmp_path):
    _, _, command = small_problem(tmp_path)
    proc = subprocess.run(list(map(str, command + ["--progress"])), capture_output=True, text=True, timeout=180,
                          env=MPI_ENV)
    assert proc.returncode == 0, proc.stderr
    assert "12/12 items" in proc.stderr, proc.stderr  # rank 0 prints the sum of both ranks' rounds


def one_gib_problem(tmp_path):
    rng = np.random.default_rng(10)
    xp, yp = tmp_path / "x.npy", tmp_path / "y.npy"
    np.save(xp, rng.standard_normal((256, 1024, 8)).astype(np.float32))  # a 1 GiB result
    np.save(yp, rng.standard_normal((256, 8, 1024)).astype(np.float32))
    return xp, yp


def wait_for_temporary_file(folder, present, seconds=60):
    for _ in range(int(seconds / 0.05)):
        names = leftovers(folder)
        if bool(names) == present:
            return names
        time.sleep(0.05)
    raise AssertionError(f"temporary file still {'absent' if present else 'present'}: {leftovers(folder)}")


@heavy
@pytest.mark.parametrize("target", ["mpirun", "rank 0"])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_a_signal_during_a_1_gib_write_leaves_no_file(tmp_path, target, sig):
    """Signalling mpirun (Ctrl-C) or one rank (a batch system's cancel) mid-write removes the temporary file,
    also when mpirun exits without waiting for its ranks (they die with it: PR_SET_PDEATHSIG)."""
    xp, yp = one_gib_problem(tmp_path)
    out = tmp_path / "out.npy"
    command = [MPIRUN, "--allow-run-as-root", "--oversubscribe", "-q", "-n", "2", MPI_CLI, "run", xp, yp, "-o", out]
    proc = subprocess.Popen(list(map(str, command)), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=MPI_ENV)
    try:
        temp = wait_for_temporary_file(tmp_path, present=True)[0]
        time.sleep(0.2)
        pid = proc.pid if target == "mpirun" else int(temp.split(".tmp.")[1].split(".")[0])
        os.kill(pid, sig)
        proc.communicate(timeout=120)
        assert proc.returncode != 0
        wait_for_temporary_file(tmp_path, present=False)
        time.sleep(1.0)  # an orphaned rank would finish and rename within this
        assert leftovers(tmp_path) == []
        if target == "mpirun" and out.exists():
            # mpirun acts on SIGINT/SIGHUP only after a delay (about a second here); a
            # job that finishes within it is renamed whole, never partly written.
            assert out.stat().st_size == 128 + 256 * 1024 * 1024 * 4
        else:
            assert not out.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
