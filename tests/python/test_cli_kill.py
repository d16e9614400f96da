"""No leftovers from `batchdot run`, whatever kills it and when, and the free-space margin.

The output goes to an unnamed file (O_TMPFILE) that gets its name only when complete, so SIGKILL
leaves nothing; with --named-temporary (the fallback where the file system has no O_TMPFILE) a
SIGKILL leaves the hidden '.OUT.npy.tmp.PID.HOST.N', which the next run to the same -o removes with
one line on stderr. The tests stop the tool at a named moment (BATCHDOT_TEST_STOP_AT: the tool
stops itself with SIGSTOP) and act when waitpid reports the stop: no clock anywhere.
"""
import os
import signal
import socket
import subprocess
import tempfile

import numpy as np
import pytest

from test_cli import CLI, oracle, small_ints

STAGES = ["created", "chunk", "synced"]  # file open (no header yet), first chunk written, data synced
MODES = {"unnamed": [], "named": ["--named-temporary"]}


def inputs(folder):
    rng = np.random.default_rng(3)
    x, y = small_ints(rng, (12, 40, 9), np.float32), small_ints(rng, (12, 9, 30), np.float32)
    np.save(folder / "x.npy", x)
    np.save(folder / "y.npy", y)
    return x, y


def run_command(folder, *extra):
    # 4 items per chunk: three chunks, so "chunk" stops with work still to do.
    return [CLI, "run", folder / "x.npy", folder / "y.npy", "-o", folder / "out.npy",
            "--chunk-bytes", str(4 * 40 * 30 * 4), *extra]


def start_stopped(command, stage):
    """Starts `command` and returns it once it has stopped itself at `stage`."""
    env = dict(os.environ, BATCHDOT_TEST_STOP_AT=stage)
    proc = subprocess.Popen(list(map(str, command)), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    _, status = os.waitpid(proc.pid, os.WUNTRACED)
    assert os.WIFSTOPPED(status), f"exited (status {status}) before stopping at {stage}: {proc.stderr.read()}"
    return proc


def finish(proc):
    """Collects a process that was stopped and then signalled: (exit status or -signal, stderr)."""
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err.decode()


def hidden(folder):
    return sorted(n for n in os.listdir(folder) if n.startswith("."))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("existing", [False, True], ids=["new", "replace"])
def test_sigkill_at_any_moment_leaves_the_old_state(tmp_path, mode, stage, existing):
    x, y = inputs(tmp_path)
    out = tmp_path / "out.npy"
    if existing:
        out.write_bytes(b"old")
    proc = start_stopped(run_command(tmp_path, *MODES[mode]), stage)
    names = hidden(tmp_path)
    if mode == "unnamed":
        assert names == [], names  # nothing on disk has a name but the inputs (and the old result)
    else:
        assert len(names) == 1 and names[0].startswith(f".out.npy.tmp.{proc.pid}."), names
    os.kill(proc.pid, signal.SIGKILL)
    status, _ = finish(proc)
    assert status == -signal.SIGKILL
    assert (out.read_bytes() == b"old") if existing else not out.exists()
    if mode == "unnamed":
        assert hidden(tmp_path) == []
        return
    # The fallback's leftover: the next run removes it, says so once, and writes the result.
    leftover = hidden(tmp_path)
    assert len(leftover) == 1, leftover
    again = subprocess.run(list(map(str, run_command(tmp_path, *MODES[mode]))), capture_output=True, text=True,
                           timeout=120)
    assert again.returncode == 0, again.stderr
    lines = again.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"batchdot: removed '{tmp_path / leftover[0]}' ("), lines
    assert f"left by process {proc.pid}, which no longer runs" in lines[0], lines
    assert hidden(tmp_path) == []
    np.testing.assert_array_equal(np.load(out), oracle(x, y))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_a_catchable_signal_exits_128_plus_n_and_leaves_nothing(tmp_path, mode, sig):
    inputs(tmp_path)
    proc = start_stopped(run_command(tmp_path, *MODES[mode]), "chunk")
    os.kill(proc.pid, sig)  # pending while stopped, delivered on SIGCONT
    os.kill(proc.pid, signal.SIGCONT)
    status, err = finish(proc)
    assert status == 128 + sig, (status, err)
    assert err.splitlines() == [f"batchdot: test stop at chunk (pid {proc.pid})"], err
    assert hidden(tmp_path) == [] and not (tmp_path / "out.npy").exists()


def dead_pid():
    """The pid of a process that has exited (and been reaped)."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_only_temporaries_of_dead_processes_on_this_host_are_removed(tmp_path):
    x, y = inputs(tmp_path)
    host = socket.gethostname().replace(".", "_")
    dead = dead_pid()
    stale = [f".out.npy.tmp.{dead}.{host}.0", f".out.npy.tmp.{dead}.7"]  # today's name, and the host-less one
    kept = [f".out.npy.tmp.{os.getpid()}.{host}.0",  # a live process
            f".out.npy.tmp.{dead}.otherhost.0",       # another host's (a shared file system)
            f".other.npy.tmp.{dead}.{host}.0"]       # another output's
    for name in stale + kept:
        (tmp_path / name).write_bytes(b"x" * 1000)
    proc = subprocess.run(list(map(str, run_command(tmp_path))), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert sorted(lines) == sorted(f"batchdot: removed '{tmp_path / n}' (1.0 kB), left by process {dead}, "
                                   "which no longer runs" for n in stale), lines
    assert hidden(tmp_path) == sorted(kept)
    np.testing.assert_array_equal(np.load(tmp_path / "out.npy"), oracle(x, y))


# ---- the free-space margin ----

@pytest.fixture
def small_tmpfs():
    """A 300 MiB tmpfs (margin: 256 MiB, as 1% of it is less). Mounting needs root."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    folder = tempfile.mkdtemp(prefix="batchdot-tmpfs-")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=300m", "tmpfs", folder], capture_output=True)
    if mounted.returncode != 0:
        os.rmdir(folder)
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", folder], check=True)
        os.rmdir(folder)


def zeros_result(folder, items):
    """K = 0 inputs: a result of `items` x 1024 x 256 float32 zeros (1 MiB per item) for no work."""
    xp, yp = os.path.join(folder, "x.npy"), os.path.join(folder, "y.npy")
    np.save(xp, np.zeros((items, 1024, 0), np.float32))
    np.save(yp, np.zeros((items, 0, 256), np.float32))
    return xp, yp


def test_a_result_that_would_leave_less_than_the_margin_is_refused(small_tmpfs):
    out = os.path.join(small_tmpfs, "out.npy")
    xp, yp = zeros_result(small_tmpfs, 2)  # 2 MiB: leaves ~298 MiB, above the margin
    fine = subprocess.run([CLI, "run", xp, yp, "-o", out], capture_output=True, text=True, timeout=120)
    assert fine.returncode == 0 and fine.stderr == "", fine.stderr
    os.unlink(out)
    xp, yp = zeros_result(small_tmpfs, 60)  # 60 MiB: would leave ~240 MiB, under 256 MiB
    refused = subprocess.run([CLI, "run", xp, yp, "-o", out], capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1, refused.stderr
    line = refused.stderr.strip()
    assert line.startswith(f"batchdot: error: {out}: not enough space in '{small_tmpfs}': the result needs 62.9 MB "
                           "(60 x 1024 x 256 float32), "), line
    assert "less than the margin of 268.4 MB" in line and "--no-space-margin" in line, line
    assert not os.path.exists(out) and hidden(small_tmpfs) == []
    forced = subprocess.run([CLI, "run", xp, yp, "-o", out, "--no-space-margin"], capture_output=True, text=True,
                            timeout=120)
    assert forced.returncode == 0, forced.stderr
    assert np.load(out, mmap_mode="r").shape == (60, 1024, 256)
