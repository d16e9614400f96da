"""Checks an installed batchdot (run from outside the source tree) or a wheel:
every .py file under python/batchdot/ (subpackages included) and the compiled
extension are there, and the installed package computes and raises as documented.

    installed_check.py REPO                 # the package this interpreter imports
    installed_check.py REPO --wheel FILE    # the files of a wheel
"""
import glob
import os
import pickle
import sys
import zipfile


def expected_modules(repo):
    source = os.path.join(repo, "python")
    files = glob.glob(os.path.join(source, "batchdot", "**", "*.py"), recursive=True)
    return sorted(os.path.relpath(f, source) for f in files)


def check_wheel(repo, wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [m for m in expected_modules(repo) if m not in names]
    assert not missing, f"{wheel} lacks {missing}"
    stale = sorted(n for n in names if n.endswith(".py") and n not in expected_modules(repo))
    assert not stale, f"{wheel} holds modules the source tree no longer has: {stale}"
    assert any(n.startswith("batchdot/_batchdot") and n.endswith(".so") for n in names), names
    assert "batchdot/bin/batchdot" in names, f"{wheel} lacks the batchdot command (batchdot/bin/batchdot)"
    entry_points = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    assert entry_points, f"{wheel} declares no console script"
    text = zipfile.ZipFile(wheel).read(entry_points[0]).decode()
    assert "batchdot = batchdot._cli:main" in text, text
    print(f"wheel {os.path.basename(wheel)}: {len(names)} files, every module present")


def check_installed(repo):
    import numpy as np

    import batchdot

    where = os.path.dirname(os.path.abspath(batchdot.__file__))
    assert not where.startswith(os.path.abspath(repo)), f"imported from the source tree: {where}"
    package_root = os.path.dirname(where)
    missing = [m for m in expected_modules(repo) if not os.path.exists(os.path.join(package_root, m))]
    assert not missing, f"not installed: {missing}"
    # Every submodule imports, except a framework binding whose framework this
    # interpreter lacks: that one must fail by naming the framework it needs.
    import importlib
    frameworks = {"jax", "jaxlib", "tensorflow", "tf_keras", "keras", "mindspore"}
    skipped = []
    for module in expected_modules(repo):
        name = module[:-3].replace(os.sep, ".")
        name = name[: -len(".__init__")] if name.endswith(".__init__") else name
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name is None or e.name.split(".")[0] not in frameworks:
                raise
            skipped.append(f"{name} (needs {e.name})")
    if skipped:
        print("not imported, framework absent:", ", ".join(skipped))
    rng = np.random.default_rng(0)
    x = rng.integers(-3, 4, (4, 3, 5)).astype(np.float32)
    y = rng.integers(-3, 4, (4, 5, 2)).astype(np.float32)
    np.testing.assert_array_equal(batchdot.batch_dot(x, y), np.einsum("bij,bjk->bik", x, y))
    try:
        batchdot.batch_dot(np.ones((2, 3)), np.ones((3, 3)))
    except batchdot.BatchDotError as e:
        assert type(pickle.loads(pickle.dumps(e))) is batchdot.BatchDotError
    else:
        raise AssertionError("a batch mismatch was accepted")
    # The console script the wheel installs next to the interpreter runs the CLI.
    import subprocess
    command = os.path.join(os.path.dirname(sys.executable), "batchdot")
    info = subprocess.run([command, "info"], capture_output=True, text=True, check=True).stdout
    assert info.startswith("batchdot "), info
    print(f"installed batchdot {batchdot.__version__} at {where}: {len(expected_modules(repo))} modules, ok")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[2] == "--wheel":
        check_wheel(sys.argv[1], sys.argv[3])
    else:
        check_installed(sys.argv[1])
