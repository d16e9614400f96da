"""End-to-end tests of the `batchdot` command-line tool, with NumPy as the oracle.

The binary is build/bin/batchdot under the repository root, or $BATCHDOT_CLI.
Contract checked here (README "Command line"): results equal per-sample np.tensordot;
errors exit 1 (input, semantics, I/O) or 2 (malformed command line) with exactly
one stderr line starting 'batchdot: error: ' and never leave an output file.
"""
import os
import subprocess

import numpy as np
import pytest

from conftest import keras_axes, oracle as tensordot_oracle

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLI = os.path.abspath(os.environ.get("BATCHDOT_CLI", os.path.join(REPO, "build", "bin", "batchdot")))


@pytest.fixture(scope="module", autouse=True)
def cli_exists():
    assert os.access(CLI, os.X_OK), f"{CLI} is missing: build the project first or set BATCHDOT_CLI"


def run_cli(*args, timeout=120):
    return subprocess.run([CLI, *map(str, args)], capture_output=True, text=True, timeout=timeout)


def stderr_lines(proc):
    return [line for line in proc.stderr.splitlines() if line.strip()]


def expect_failure(proc, status, output=None):
    """Exit `status`, exactly one 'batchdot: error:' line on stderr, no output file."""
    lines = stderr_lines(proc)
    assert proc.returncode == status, (proc.returncode, proc.stderr)
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("batchdot: error: "), lines[0]
    if output is not None:
        assert not os.path.exists(output)
        leftovers = [n for n in os.listdir(os.path.dirname(output) or ".") if ".tmp." in n]
        assert leftovers == [], leftovers
    return lines[0]


def oracle(x, y, axes=None):
    """batch_dot by definition: per batch item, np.tensordot over (a0-1, a1-1)."""
    a0, a1 = keras_axes(x.ndim, y.ndim, axes)
    return tensordot_oracle(x, y, a0, a1)


def small_ints(rng, shape, dtype):
    """Integer values in [-3, 3]: every sum is exact, so results must match exactly."""
    return rng.integers(-3, 4, shape).astype(dtype)


def axes_args(axes):
    if axes is None:
        return []
    if isinstance(axes, int):
        return [f"--axes={axes}"]
    return [f"--axes={axes[0]},{axes[1]}"]


def run_and_load(tmp_path, x, y, *extra, save=np.save):
    xp, yp, out = tmp_path / "x.npy", tmp_path / "y.npy", tmp_path / "out.npy"
    save(xp, x)
    save(yp, y)
    proc = run_cli("run", xp, yp, "-o", out, *extra)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and proc.stderr == ""
    return np.load(out), out


CASES = [
    ((10, 12, 4, 5), (10, 12, 5, 8), None),  # the seed example -> (10, 12, 4, 12, 8)
    ((3, 4), (3, 4), None),                  # rank 2 x rank 2 -> (3, 1)
    ((2, 3, 4), (2, 5, 4), (2, 2)),
    ((2, 3, 4), (2, 4, 5), (-1, -2)),
    ((4, 5, 6), (4, 3, 6), 2),
    ((3, 2, 7), (3, 7, 2, 2), (1, 3)),
    ((2, 0, 3), (2, 3, 4), None),             # zero-size free dimension
    ((2, 3, 0), (2, 0, 4), None),             # zero-length contraction gives zeros
]


@pytest.mark.parametrize("x_shape,y_shape,axes", CASES)
def test_run_matches_numpy(tmp_path, x_shape, y_shape, axes):
    rng = np.random.default_rng(1)
    x, y = small_ints(rng, x_shape, np.float32), small_ints(rng, y_shape, np.float32)
    got, _ = run_and_load(tmp_path, x, y, *axes_args(axes))
    want = oracle(x, y, axes)
    assert got.dtype == np.float32 and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64", "float16", "complex64", "complex128"])
def test_every_dtype(tmp_path, dtype):
    rng = np.random.default_rng(2)
    x, y = small_ints(rng, (3, 4, 5), dtype), small_ints(rng, (3, 5, 2), dtype)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * small_ints(rng, x.shape, dtype)
    got, _ = run_and_load(tmp_path, x, y)
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got, oracle(x, y))


def test_random_reals_within_tolerance(tmp_path):
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((8, 33, 65)).astype(np.float32), rng.standard_normal((8, 65, 17)).astype(np.float32)
    got, _ = run_and_load(tmp_path, x, y)
    want = oracle(x, y)
    # |err| <= 2 K eps sum|x y| per element; sum|x y| <= K here for N(0,1) data, loosely.
    np.testing.assert_allclose(got, want, rtol=0, atol=2 * 65 * np.finfo(np.float32).eps * 65)


def test_mixed_dtypes_follow_keras_promotion(tmp_path):
    rng = np.random.default_rng(4)
    x, y = small_ints(rng, (2, 3, 4), np.float32), small_ints(rng, (2, 4, 3), np.int32)
    got, _ = run_and_load(tmp_path, x, y)
    assert got.dtype == np.result_type(x.dtype, y.dtype)
    np.testing.assert_array_equal(got, oracle(x, y))


@pytest.mark.parametrize("spelling", [["--axes", "-1"], ["--axes=-1"], ["--axes", "-1,-1"], ["--axes=-1,-1"],
                                      ["--axes", " 2, 2"], ["--axes=+2"]])
def test_axes_spellings_with_negative_numbers(tmp_path, spelling):
    rng = np.random.default_rng(5)
    x, y = small_ints(rng, (2, 3, 4), np.float32), small_ints(rng, (2, 5, 4), np.float32)
    got, _ = run_and_load(tmp_path, x, y, *spelling)
    np.testing.assert_array_equal(got, oracle(x, y, (2, 2)))


def save_fortran(path, array):
    np.save(path, np.asfortranarray(array))


def save_big_endian(path, array):
    np.save(path, array.astype(array.dtype.newbyteorder(">")))


def save_version(version):
    def save(path, array):
        with open(path, "wb") as f:
            np.lib.format.write_array(f, np.asfortranarray(array), version=version)
    return save


@pytest.mark.parametrize("save", [save_fortran, save_big_endian, save_version((2, 0)), save_version((3, 0))],
                         ids=["fortran", "big-endian", "v2-fortran", "v3-fortran"])
def test_input_layouts_and_versions(tmp_path, save):
    rng = np.random.default_rng(6)
    x, y = small_ints(rng, (3, 4, 5), np.float64), small_ints(rng, (3, 5, 6), np.float64)
    got, _ = run_and_load(tmp_path, x, y, save=save)
    np.testing.assert_array_equal(got, oracle(x, y))


def test_output_bytes_equal_np_save(tmp_path):
    rng = np.random.default_rng(7)
    x, y = small_ints(rng, (2, 3, 4), np.float32), small_ints(rng, (2, 4, 3), np.float32)
    got, out = run_and_load(tmp_path, x, y)
    np.save(tmp_path / "numpy.npy", got)
    assert out.read_bytes() == (tmp_path / "numpy.npy").read_bytes()


def test_mindspore_api(tmp_path):
    x, y = np.ones((2, 2), np.float32), np.ones((2, 3, 2), np.float32)
    got, _ = run_and_load(tmp_path, x, y, "--api", "mindspore", "--axes=1,2")
    np.testing.assert_array_equal(got, np.full((2, 3), 2.0, np.float32))


def test_reference_and_thread_counts_agree_bit_for_bit(tmp_path):
    rng = np.random.default_rng(8)
    x, y = small_ints(rng, (16, 9, 17), np.float32), small_ints(rng, (16, 17, 33), np.float32)
    results = [run_and_load(tmp_path, x, y, *extra)[0]
               for extra in ([], ["--reference"], ["--threads", "1"], ["-t", "2"])]
    for result in results[1:]:
        assert result.tobytes() == results[0].tobytes()


def test_existing_output_is_replaced_on_success(tmp_path):
    (tmp_path / "out.npy").write_bytes(b"old")
    x = np.ones((2, 3, 4), np.float32)
    got, _ = run_and_load(tmp_path, x, x.transpose(0, 2, 1).copy())
    assert got.shape == (2, 3, 3)
    assert sorted(os.listdir(tmp_path)) == ["out.npy", "x.npy", "y.npy"]


# ---- errors in the inputs, the contraction or the files: exit 1 ----

def write_inputs(tmp_path, x, y):
    xp, yp = tmp_path / "x.npy", tmp_path / "y.npy"
    np.save(xp, x)
    np.save(yp, y)
    return xp, yp


def write_y(tmp_path):
    """A valid second operand for an x of shape (2, 3, 4)."""
    yp = tmp_path / "y.npy"
    np.save(yp, np.ones((2, 4, 5), np.float32))
    return yp


@pytest.mark.parametrize("x_shape,y_shape,extra,needle", [
    ((2, 3, 4), (3, 4, 5), [], ""),                       # batch sizes differ
    ((2, 3, 4), (2, 5, 6), [], ""),                       # contracted sizes differ
    ((2, 3, 4), (2, 4, 5), ["--axes=0"], "axis 0"),
    ((2, 3, 4), (2, 4, 5), ["--axes=3"], ""),             # out of range
    ((2, 3, 4), (2, 4, 5), ["--axes=-4,1"], ""),
    ((3,), (3, 2), [], ""),                               # rank 1
    ((2, 3, 4), (2, 4, 5), ["--api", "mindspore", "--axes=0,1"], ""),
])
def test_semantic_errors(tmp_path, x_shape, y_shape, extra, needle):
    xp, yp = write_inputs(tmp_path, np.ones(x_shape, np.float32), np.ones(y_shape, np.float32))
    out = tmp_path / "out.npy"
    line = expect_failure(run_cli("run", xp, yp, "-o", out, *extra), 1, str(out))
    assert needle in line


def test_mindspore_refuses_float64(tmp_path):
    xp, yp = write_inputs(tmp_path, np.ones((2, 3, 4)), np.ones((2, 4, 5)))
    out = tmp_path / "out.npy"
    expect_failure(run_cli("run", xp, yp, "-o", out, "--api", "mindspore"), 1, str(out))


def test_an_error_leaves_an_existing_output_untouched(tmp_path):
    xp, yp = write_inputs(tmp_path, np.ones((2, 3, 4), np.float32), np.ones((3, 4, 5), np.float32))
    out = tmp_path / "out.npy"
    out.write_bytes(b"keep me")
    proc = run_cli("run", xp, yp, "-o", out)
    assert proc.returncode == 1 and len(stderr_lines(proc)) == 1
    assert out.read_bytes() == b"keep me"


def malformed_files():
    good = np.lib.format.magic(1, 0)
    header = b"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4), }"
    padded = header + b" " * (64 - (10 + len(header) + 1) % 64) + b"\n"
    prefix = good + len(padded).to_bytes(2, "little") + padded
    data = np.ones((2, 3, 4), np.float32).tobytes()
    return {
        "empty": b"",
        "text": b"hello world\n",
        "truncated-data": prefix + data[:-4],
        "trailing-bytes": prefix + data + b"\0",
        "truncated-header": prefix[:40],
        "version-9": b"\x93NUMPY\x09\x00" + prefix[8:] + data,
        "not-a-dict": good + (64 - 10).to_bytes(2, "little") + b"[1, 2]".ljust(53) + b"\n" + data,
        "missing-key": good + (64 - 10).to_bytes(2, "little")
        + b"{'descr': '<f4', 'shape': (2, 3, 4)}".ljust(53) + b"\n" + data,
    }


@pytest.mark.parametrize("name", sorted(malformed_files()))
def test_malformed_input_files(tmp_path, name):
    xp = tmp_path / "x.npy"
    xp.write_bytes(malformed_files()[name])
    yp = write_y(tmp_path)
    out = tmp_path / "out.npy"
    line = expect_failure(run_cli("run", xp, yp, "-o", out), 1, str(out))
    assert str(xp) in line


def test_trailing_bytes_accepted_on_request(tmp_path):
    xp = tmp_path / "x.npy"
    xp.write_bytes(malformed_files()["trailing-bytes"])
    yp = write_y(tmp_path)
    proc = run_cli("run", xp, yp, "-o", tmp_path / "out.npy", "--allow-trailing")
    assert proc.returncode == 0, proc.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "out.npy"), np.full((2, 3, 5), 4.0, np.float32))


def bfloat16_as_void(values):
    """float32 values rounded to bfloat16 and stored as NumPy sees them: '<V2'."""
    bits = (np.asarray(values, np.float32).view(np.uint32) >> 16).astype("<u2")
    return bits.view("V2")


def void_to_float32(array):
    return (array.view("<u2").astype(np.uint32) << 16).view(np.float32)


def test_bfloat16_only_on_request(tmp_path):
    rng = np.random.default_rng(9)
    x, y = small_ints(rng, (2, 3, 4), np.float32), small_ints(rng, (2, 4, 5), np.float32)
    xp, yp, out = tmp_path / "x.npy", tmp_path / "y.npy", tmp_path / "out.npy"
    np.save(xp, bfloat16_as_void(x))
    np.save(yp, bfloat16_as_void(y))
    line = expect_failure(run_cli("run", xp, yp, "-o", out), 1, str(out))
    assert "--bf16" in line
    proc = run_cli("run", xp, yp, "-o", out, "--bf16")
    assert proc.returncode == 0, proc.stderr
    got = np.load(out)
    assert got.dtype == np.dtype("V2")
    np.testing.assert_array_equal(void_to_float32(got), oracle(x, y))


@pytest.mark.parametrize("array,needle", [
    (np.ones((2, 3, 4), bool), "dtype bool is not supported"),
    (np.ones((2, 3, 4), np.int8), "dtype int8 is not supported"),
    (np.ones((2, 3, 4), np.uint64), "dtype uint64 is not supported"),
    (np.array([[["a"]]]), "string dtype"),
    (np.zeros((2, 3, 4), [("a", "<f4")]), "structured dtype"),
    (np.zeros((2, 3, 4), "M8[ns]"), "datetime dtype"),
    (np.empty((2, 3, 4), object), "object array"),
])
def test_unsupported_dtypes(tmp_path, array, needle):
    xp = tmp_path / "x.npy"
    np.save(xp, array, allow_pickle=True)
    yp = write_y(tmp_path)
    out = tmp_path / "out.npy"
    line = expect_failure(run_cli("run", xp, yp, "-o", out), 1, str(out))
    assert needle in line and str(xp) in line


def test_missing_input_and_unwritable_output(tmp_path):
    xp, yp = write_inputs(tmp_path, np.ones((2, 3, 4), np.float32), np.ones((2, 4, 5), np.float32))
    out = tmp_path / "out.npy"
    line = expect_failure(run_cli("run", tmp_path / "nope.npy", yp, "-o", out), 1, str(out))
    assert "nope.npy" in line
    missing_folder = tmp_path / "no" / "such" / "out.npy"
    line = expect_failure(run_cli("run", xp, yp, "-o", missing_folder), 1)
    assert str(missing_folder) in line


# ---- malformed command lines: exit 2 ----

@pytest.mark.parametrize("args", [
    [],
    ["frob"],
    ["--frob"],
    ["run"],
    ["run", "x.npy", "y.npy"],                       # no -o
    ["run", "x.npy", "y.npy", "-o", "o.npy", "z.npy"],
    ["run", "x.npy", "y.npy", "-o", "o.npy", "--axes", "x"],
    ["run", "x.npy", "y.npy", "-o", "o.npy", "--axes=1,2,3"],
    ["run", "x.npy", "y.npy", "-o", "o.npy", "--axes=1.5"],
    ["run", "x.npy", "y.npy", "-o", "o.npy", "--axes="],
    ["run", "x.npy", "y.npy", "-o", "o.npy", "--threads", "-1"],
    ["run", "x.npy", "y.npy", "-o", "o.npy", "--threads", "abc"],
    ["run", "x.npy", "y.npy", "-o", "o.npy", "--api", "torch"],
    ["run", "x.npy", "y.npy", "-o", "o.npy", "--bogus"],
    ["info", "extra"],
])
def test_malformed_command_lines(tmp_path, args):
    proc = subprocess.run([CLI, *args], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    expect_failure(proc, 2)
    assert os.listdir(tmp_path) == []


# ---- help, version, demo, info: exit 0 ----

@pytest.mark.parametrize("args", [["--help"], ["-h"], ["run", "--help"], ["demo", "--help"]])
def test_help(args):
    proc = run_cli(*args)
    assert proc.returncode == 0 and proc.stderr == ""
    assert "Usage: batchdot" in proc.stdout and "Exit status" in proc.stdout


def test_version():
    proc = run_cli("--version")
    assert proc.returncode == 0 and proc.stderr == ""
    assert proc.stdout.splitlines()[0] == "batchdot 0.1.0"
    assert "target" in proc.stdout


def test_demo():
    proc = run_cli("demo")
    assert proc.returncode == 0, proc.stderr
    assert "(10, 12, 4, 12, 8)" in proc.stdout
    assert "equals ReferenceExecute bit for bit: yes" in proc.stdout
    assert "[[2, 2, 2]," in proc.stdout and "speedup" in proc.stdout


def test_info():
    proc = run_cli("info")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("batchdot 0.1.0")
    assert "cpu:" in proc.stdout and "threads" in proc.stdout and "target" in proc.stdout
