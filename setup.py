"""setuptools with a CMake build step: the `batchdot` package is every .py file
under python/batchdot/ (found by pyproject.toml's package discovery) plus the
compiled `_batchdot` extension and the `batchdot` command-line tool, which this
file builds with the project's own CMakeLists.txt (targets _batchdot and
batchdot_cli only: no tests) and copies in; the `batchdot` console script
(batchdot._cli) runs that binary.

Environment: BATCHDOT_CMAKE_ARGS adds CMake arguments; the CMake build folder is
build-pip/cmake in the source tree (BATCHDOT_PIP_BUILD_DIR overrides it, so that
builds for another interpreter keep their own cache), so a second install is incremental.
BATCHDOT_BUILD_DIR names an existing CMake build folder to take both targets
from instead (configured already: only the two targets are brought up to date),
so `make test`'s packaging check reuses the build it has just made.
"""
import glob
import os
import shlex
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))
os.makedirs(os.path.join(ROOT, "build-pip"), exist_ok=True)  # egg_base below must exist
# setuptools never deletes what it copied before: start the package copy afresh
# so a removed module cannot linger in the next wheel.
for stale in glob.glob(os.path.join(ROOT, "build-pip", "setuptools", "*")):
    shutil.rmtree(stale, ignore_errors=True)


def torch_op_library(configure, build_dir):
    """libbatchdot_torch.so (torch.ops.batchdot) rides along when the building
    interpreter can import torch: adds its CMake arguments to `configure` and returns
    a function that builds it and copies it into the package folder; without torch
    the option is OFF and nothing else happens. The arguments go first, so
    BATCHDOT_CMAKE_ARGS (later on the command line) can still override them."""
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        configure[1:1] = ["-DBATCHDOT_BUILD_TORCH=OFF"]
        return lambda package_dir: None
    ours = ["-DBATCHDOT_BUILD_TORCH=ON"]
    # A pip-installed torch names its CMake folder; Debian's points at a missing one
    # (its TorchConfig.cmake is found on the default prefix path instead).
    prefix = subprocess.run([sys.executable, "-c", "import torch.utils; print(torch.utils.cmake_prefix_path)"],
                            capture_output=True, text=True).stdout.strip()
    if prefix and os.path.isdir(os.path.join(prefix, "Torch")):
        ours.append(f"-DTorch_DIR={os.path.join(prefix, 'Torch')}")
    configure[1:1] = ours

    def build_and_copy(package_dir):
        subprocess.run(["cmake", "--build", build_dir, "--target", "batchdot_torch", "-j2"], check=True)
        shutil.copyfile(os.path.join(build_dir, "python", "batchdot", "libbatchdot_torch.so"),
                        os.path.join(package_dir, "libbatchdot_torch.so"))

    return build_and_copy


class CMakeExtension(Extension):
    def __init__(self, name):
        super().__init__(name, sources=[])


def announce_build(build_dir, fresh):
    """pip hides a build's output unless run with -v: say once, where the user
    sees it (the terminal when there is one), what is being built and how long
    it takes."""
    if fresh:
        line = ("batchdot: building the C++ library, the _batchdot module and the batchdot command "
                f"with CMake in {build_dir} (about 3 minutes on 2 cores; `pip install -v` shows each step)")
    else:
        line = f"batchdot: bringing the CMake build in {build_dir} up to date"
    print(line, file=sys.stderr, flush=True)
    try:
        with open("/dev/tty", "w") as tty:
            print(line, file=tty, flush=True)
    except OSError:
        pass  # no terminal (CI, a pipe): stderr carries it


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        reuse = os.environ.get("BATCHDOT_BUILD_DIR")
        build_dir = os.path.abspath(reuse) if reuse else (
            os.environ.get("BATCHDOT_PIP_BUILD_DIR") or os.path.join(ROOT, "build-pip", "cmake"))
        configured = os.path.exists(os.path.join(build_dir, "CMakeCache.txt"))
        announce_build(build_dir, fresh=not configured)
        configure = [
            "cmake", "-S", ROOT, "-B", build_dir, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
            f"-DPython3_EXECUTABLE={sys.executable}", "-DBATCHDOT_BUILD_TESTS=OFF", "-DBATCHDOT_BUILD_PYTHON=ON",
            *shlex.split(os.environ.get("BATCHDOT_CMAKE_ARGS", "")),
        ]
        build_torch_ops = torch_op_library(configure, build_dir)
        if not (reuse and configured):
            subprocess.run(configure, check=True)
        subprocess.run(["cmake", "--build", build_dir, "--target", "_batchdot", "batchdot_cli", "-j2"], check=True)
        built = glob.glob(os.path.join(build_dir, "python", "batchdot", "_batchdot*.so"))
        if len(built) != 1:
            raise RuntimeError(f"expected one _batchdot*.so in {build_dir}/python/batchdot, found {built}")
        target = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(built[0], target)
        build_torch_ops(os.path.dirname(target))
        # The CLI binary inside the package; batchdot._cli (the console script) runs it.
        tool = os.path.join(os.path.dirname(target), "bin", "batchdot")
        os.makedirs(os.path.dirname(tool), exist_ok=True)
        shutil.copyfile(os.path.join(build_dir, "bin", "batchdot"), tool)
        os.chmod(tool, 0o755)


setup(
    ext_modules=[CMakeExtension("batchdot._batchdot")],
    cmdclass={"build_ext": CMakeBuild},
    # Keep setuptools' folders out of the CMake build/ folder and the source tree.
    options={"build": {"build_base": os.path.join("build-pip", "setuptools")},
             "egg_info": {"egg_base": "build-pip"}},
)
