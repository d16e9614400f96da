"""Output safety of `batchdot run`: file-size limits, signals, disk space, and every -o that cannot be a file.

Each failure must end with exit status 1 (or 128 + signal for SIGINT/SIGTERM/SIGHUP), exactly one
'batchdot: error:' line where the tool reports, and neither an output file nor a '.OUT.npy.tmp.*' left behind.
"""
import os
import resource
import shutil
import signal
import subprocess
import tempfile
import time

import numpy as np
import pytest

from test_cli import CLI, expect_failure, run_cli, write_inputs

PATHS = ["default", "in-memory"]


def path_args(path):
    return ["--in-memory"] if path == "in-memory" else []


def leftovers(folder):
    return sorted(n for n in os.listdir(folder) if ".tmp." in n)


def limit_file_size(limit_bytes):
    def preexec():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))
    return preexec


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("limit", [100, 1 << 20])  # inside the header, inside the data
def test_file_size_limit_is_a_clean_error(tmp_path, path, limit):
    rng = np.random.default_rng(1)
    xp, yp = write_inputs(tmp_path, rng.standard_normal((16, 256, 8), np.float32),
                          rng.standard_normal((16, 8, 1024), np.float32))  # a 16 MiB result
    out = tmp_path / "out.npy"
    proc = subprocess.run([CLI, "run", xp, yp, "-o", out, *path_args(path)], capture_output=True, text=True,
                          timeout=120, preexec_fn=limit_file_size(limit))
    line = expect_failure(proc, 1, str(out))
    assert str(out) in line and "File too large" in line, line


def one_gib_inputs(folder):
    """x (256, 1024, 8) . y (256, 8, 1024): a 1 GiB float32 result from 16 MiB of inputs."""
    rng = np.random.default_rng(2)
    return write_inputs(folder, rng.standard_normal((256, 1024, 8), np.float32),
                        rng.standard_normal((256, 8, 1024), np.float32))


HEAVY = os.environ.get("BATCHDOT_HEAVY_TESTS") == "1"


# The fast equivalent (stopped at a named moment, then signalled) is in test_cli_kill.py.
@pytest.mark.skipif(not HEAVY, reason="heavy (twelve 1 GiB runs signalled after real delays): "
                                      "BATCHDOT_HEAVY_TESTS=1, which .ci/run sets")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_signals_remove_the_temporary_file(tmp_path, sig):
    xp, yp = one_gib_inputs(tmp_path)
    out = tmp_path / "out.npy"
    interrupted = 0
    for delay in (0.05, 0.2, 0.5, 1.0):
        proc = subprocess.Popen([CLI, "run", xp, yp, "-o", out, "-t", "2"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        time.sleep(delay)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
        if proc.returncode == 0:  # finished before the signal: the result must be whole
            assert np.load(out, mmap_mode="r").shape == (256, 1024, 1024)
            out.unlink()
        else:
            interrupted += 1
            assert proc.returncode == 128 + sig, (delay, proc.returncode, err)
            assert err == "", err
            assert not out.exists()
        assert leftovers(tmp_path) == [], (delay, leftovers(tmp_path))
    assert interrupted >= 2, f"only {interrupted} of 4 runs were still going when {sig.name} arrived"


def test_not_enough_disk_space_fails_up_front(tmp_path):
    # K = 0: empty inputs, and a result of zeros of 1000 x 10^6 x 10^6 float32 (4.0 PB).
    xp, yp = write_inputs(tmp_path, np.zeros((1000, 10**6, 0), np.float32), np.zeros((1000, 0, 10**6), np.float32))
    out = tmp_path / "out.npy"
    # Refused before any work (a 4.0 PB result could not be computed within run_cli's timeout).
    line = expect_failure(run_cli("run", xp, yp, "-o", out), 1, str(out))
    assert "not enough space" in line and "4.0 PB (1000 x 1000000 x 1000000 float32)" in line and "available" in line, line


def test_empty_output_path(tmp_path):
    xp, yp = one_gib_inputs(tmp_path)
    line = expect_failure(run_cli("run", xp, yp, "-o", ""), 1)
    assert "the output path is empty" in line, line


@pytest.mark.parametrize("name,needle", [
    ("sub/", "names a folder (it ends in '/')"),
    ("missing/", "names a folder (it ends in '/')"),
    ("sub", "is an existing folder"),
    (".", "is an existing folder"),
    ("missing/out.npy", "cannot write into folder"),
    ("x.npy/out.npy", "not a folder"),
])
def test_output_paths_that_are_not_files(tmp_path, name, needle):
    (tmp_path / "sub").mkdir()
    xp, yp = write_inputs(tmp_path, np.ones((2, 3, 4), np.float32), np.ones((2, 4, 5), np.float32))
    before = sorted(os.listdir(tmp_path))
    proc = subprocess.run([CLI, "run", xp, yp, "-o", name], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    line = expect_failure(proc, 1)
    assert needle in line and line.startswith(f"batchdot: error: {name}: "), line
    assert sorted(os.listdir(tmp_path)) == before and os.listdir(tmp_path / "sub") == []


def test_missing_folder_names_the_reason(tmp_path):
    xp, yp = write_inputs(tmp_path, np.ones((2, 3, 4), np.float32), np.ones((2, 4, 5), np.float32))
    line = expect_failure(run_cli("run", xp, yp, "-o", tmp_path / "no" / "out.npy"), 1)
    assert f"folder '{tmp_path / 'no'}'" in line and "No such file or directory" in line, line


def test_special_file_is_not_replaced(tmp_path):
    xp, yp = write_inputs(tmp_path, np.ones((2, 3, 4), np.float32), np.ones((2, 4, 5), np.float32))
    line = expect_failure(run_cli("run", xp, yp, "-o", "/dev/null"), 1)
    assert "/dev/null: the output path exists and is not a regular file" in line, line
    assert os.path.exists("/dev/null") and not os.path.isfile("/dev/null")


def test_unwritable_folder(tmp_path):
    """As root a mode 0555 folder is still writable, so the tool runs as 'nobody' then."""
    base = tempfile.mkdtemp(prefix="batchdot-ro-")
    try:
        os.chmod(base, 0o755)
        xp, yp = write_inputs(__import__("pathlib").Path(base), np.ones((2, 3, 4), np.float32),
                              np.ones((2, 4, 5), np.float32))
        for p in (xp, yp):
            os.chmod(p, 0o644)
        folder = os.path.join(base, "read-only")
        os.mkdir(folder, 0o555)
        os.chmod(folder, 0o555)

        def as_nobody():
            if os.geteuid() == 0:
                os.setgid(65534)
                os.setuid(65534)

        # The checkout may sit in a folder only root can enter (mktemp -d is 0700):
        # 'nobody' runs a copy of the tool from the open folder instead.
        cli = os.path.join(base, "batchdot")
        shutil.copy(CLI, cli)
        os.chmod(cli, 0o755)
        out = os.path.join(folder, "out.npy")
        proc = subprocess.run([cli, "run", xp, yp, "-o", out], capture_output=True, text=True, timeout=60,
                              preexec_fn=as_nobody)
        line = expect_failure(proc, 1, out)
        assert f"{out}: cannot create a temporary file in folder '{folder}': Permission denied" in line, line
    finally:
        shutil.rmtree(base)
