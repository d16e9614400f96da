"""setuptools with a CMake build step: the `batchdot` package is every .py file
under python/batchdot/ (found by pyproject.toml's package discovery) plus the
compiled `_batchdot` extension, which this file builds with the project's own
CMakeLists.txt (target _batchdot only: no tests, no CLI) and copies in.

Environment: BATCHDOT_CMAKE_ARGS adds CMake arguments; the CMake build folder is
build-pip/cmake in the source tree (BATCHDOT_PIP_BUILD_DIR overrides it, so that
builds for another interpreter keep their own cache), so a second install is incremental.
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


class CMakeExtension(Extension):
    def __init__(self, name):
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build_dir = os.environ.get("BATCHDOT_PIP_BUILD_DIR") or os.path.join(ROOT, "build-pip", "cmake")
        configure = [
            "cmake", "-S", ROOT, "-B", build_dir, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
            f"-DPython3_EXECUTABLE={sys.executable}", "-DBATCHDOT_BUILD_TESTS=OFF", "-DBATCHDOT_BUILD_PYTHON=ON",
            *shlex.split(os.environ.get("BATCHDOT_CMAKE_ARGS", "")),
        ]
        subprocess.run(configure, check=True)
        subprocess.run(["cmake", "--build", build_dir, "--target", "_batchdot", "-j2"], check=True)
        built = glob.glob(os.path.join(build_dir, "python", "batchdot", "_batchdot*.so"))
        if len(built) != 1:
            raise RuntimeError(f"expected one _batchdot*.so in {build_dir}/python/batchdot, found {built}")
        target = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(built[0], target)


setup(
    ext_modules=[CMakeExtension("batchdot._batchdot")],
    cmdclass={"build_ext": CMakeBuild},
    # Keep setuptools' folders out of the CMake build/ folder and the source tree.
    options={"build": {"build_base": os.path.join("build-pip", "setuptools")},
             "egg_info": {"egg_base": "build-pip"}},
)
