"""The command-line tool at its limits: a result that cannot be allocated, thread
counts (one rule for --threads and the environment), and `bench` options.
Runs against build/bin/batchdot or $BATCHDOT_CLI, like test_cli.py."""
import os

import numpy as np
import pytest

from test_cli import CLI, expect_failure, run_cli, stderr_lines


@pytest.fixture(scope="module", autouse=True)
def cli_exists():
    assert os.access(CLI, os.X_OK), f"{CLI} is missing: build the project first or set BATCHDOT_CLI"


def test_a_result_too_large_names_the_size(tmp_path):
    # (1, 9e6, 9e6) float16 needs 162 TB. The result is written through the file
    # (out of core), so the limit that bites is the disk's, checked before any work.
    x, y, out = tmp_path / "x.npy", tmp_path / "y.npy", tmp_path / "out.npy"
    np.save(x, np.ones((1, 9_000_000, 1), np.float16))
    np.save(y, np.ones((1, 1, 9_000_000), np.float16))
    line = expect_failure(run_cli("run", x, y, "-o", out), 1, str(out))
    prefix = (f"batchdot: error: {out}: not enough space in '{tmp_path}': the result needs 162.0 TB "
              "(1 x 9000000 x 9000000 float16), ")
    assert line.startswith(prefix) and line.endswith(" available"), line


def test_in_memory_out_of_memory_names_the_size(tmp_path):
    # The in-memory path allocates the result: more than a 47-bit address space.
    x, y, out = tmp_path / "x.npy", tmp_path / "y.npy", tmp_path / "out.npy"
    np.save(x, np.ones((1, 9_000_000, 1), np.float16))
    np.save(y, np.ones((1, 1, 9_000_000), np.float16))
    line = expect_failure(run_cli("run", x, y, "-o", out, "--in-memory"), 1, str(out))
    assert line == "batchdot: error: out of memory: the result needs 162.0 TB (1 x 9000000 x 9000000 float16)"


@pytest.mark.parametrize("value", ["abc", "100000", "0", "-1"])
def test_bad_thread_environment_warns_in_one_line(value):
    env = dict(os.environ, BATCHDOT_NUM_THREADS=value)
    env.pop("OMP_NUM_THREADS", None)
    import subprocess
    proc = subprocess.run([CLI, "info"], capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr
    lines = stderr_lines(proc)
    assert lines == [f"batchdot: warning: ignoring BATCHDOT_NUM_THREADS={value}: " + lines[0].split(": ", 3)[-1]]
    assert ("not an integer" in lines[0]) == (value == "abc")
    threads = min(len(os.sched_getaffinity(0)), 1024)
    assert f"threads: {threads}" in proc.stdout


@pytest.mark.parametrize("command", [["run", "x.npy", "y.npy", "-o", "out.npy"], ["demo"], ["bench"]])
@pytest.mark.parametrize("value", ["0", "-1", "1025"])
def test_every_threads_option_takes_1_to_1024_only(command, value):
    """One rule (SetNumThreads'): leaving --threads out is the default, 0 is not a count."""
    line = expect_failure(run_cli(*command, "--threads", value), 2)
    assert f"between 1 and 1024, got {value}" in line, line


def test_help_and_info_name_every_dtype_and_kernel():
    run_help = run_cli("run", "--help").stdout
    assert "bfloat16" in run_help and "float16" in run_help and "complex128" in run_help, run_help
    info = run_cli("info").stdout
    assert "float16 and bfloat16 on the same SIMD kernels" in info, info
    assert "complex64/complex128 on the strided reference loop" in info, info
    for dtype in ("float32", "float64", "float16", "bfloat16", "int32", "int64", "complex64", "complex128"):
        assert dtype in info.split("dtypes:", 1)[1], (dtype, info)


def test_bench_takes_t_and_checks_counts_like_run():
    proc = run_cli("bench", "-t", "1", "--filter", "seed", "--quick", timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "seed" in proc.stdout
    line = expect_failure(run_cli("bench", "-t", "100000"), 2)
    assert "between 1 and 1024, got 100000" in line


def test_bench_filter_that_matches_nothing_is_an_error():
    line = expect_failure(run_cli("bench", "--filter", "nomatch", "--quick"), 1)
    assert "no shape name contains --filter 'nomatch'" in line and "'seed" in line


def test_demo_threads_share_the_rule():
    line = expect_failure(run_cli("demo", "-t", "5000"), 2)
    assert "between 1 and 1024, got 5000" in line


def test_bfloat16_result_is_v2_and_widens_as_the_readme_says(tmp_path):
    f = np.array([[[1.5, 2.0], [3.0, -4.0]]] * 2, np.float32)
    as_v2 = (f.view(np.uint32) >> 16).astype(np.uint16).view("V2")  # exact: the values fit bf16
    x, y, out = tmp_path / "x.npy", tmp_path / "y.npy", tmp_path / "out.npy"
    np.save(x, as_v2)
    np.save(y, as_v2)
    proc = run_cli("run", x, y, "-o", out, "--bf16")
    assert proc.returncode == 0, proc.stderr
    loaded = np.load(out)
    assert loaded.dtype == np.dtype("V2")
    widened = (loaded.view(np.uint16).astype(np.uint32) << 16).view(np.float32)
    np.testing.assert_array_equal(widened, np.einsum("bij,bjk->bik", f, f))
