"""The code blocks of README.md and docs/**/*.md, extracted and run as written.

A fenced block is chosen by its info string:

- ```python            runs with /usr/bin/python3 and PYTHONPATH=<build>/python (make test);
- ```python <tag>      (tensorflow, jax, mindspore, ...) runs only when asked for with
                        --tag <tag>, in the interpreter given by --python;
- ```cpp               is a complete program: compiled against the package installed from
                        <build> (cmake --install into a scratch prefix, then a generated CMake
                        consumer that uses find_package(batchdot)) and run;
- anything else (bash, sh, text, console, cmake, ...) is not run.

Every block runs in its own empty temporary folder. The CLI of <build> is on PATH and in
BATCHDOT_CLI, so a block may call `batchdot` as an installed user would.

Command line (prints one line per block and a count; exit 1 if any block failed):

    python3 tests/docs/doc_blocks.py                       # untagged python and cpp blocks
    python3 tests/docs/doc_blocks.py --tag tensorflow --python venv/tensorflow/bin/python
    python3 tests/docs/doc_blocks.py --list                # what would run, nothing run

With --python, PYTHONPATH is unset (the interpreter's environment must provide batchdot, as
the framework suites' venvs do) unless --pythonpath is given.
"""
import argparse
import dataclasses
import glob
import os
import re
import subprocess
import sys
import tempfile
import textwrap

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir))
DEFAULT_PYTHON = "/usr/bin/python3"
# A safety net against a block that hangs, not a measurement.
BLOCK_TIMEOUT_S = 600

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>```+|~~~+)(?P<info>[^`]*)$")


@dataclasses.dataclass
class Block:
    path: str        # relative to the repository root
    line: int        # 1-based line of the opening fence
    lang: str        # first word of the info string ("" when none)
    tags: tuple      # the remaining words
    code: str

    @property
    def id(self):
        return f"{self.path}:{self.line}"


def doc_files(root=REPO):
    """README.md and every Markdown file under docs/, in a stable order."""
    files = [os.path.join(root, "README.md")]
    files += sorted(glob.glob(os.path.join(root, "docs", "**", "*.md"), recursive=True))
    return [f for f in files if os.path.isfile(f)]


def extract_blocks(path, root=REPO):
    """The fenced blocks of one Markdown file (indented fences, e.g. in lists, too)."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    blocks, i = [], 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        fence, words = opening["fence"], opening["info"].split()
        body, j = [], i + 1
        while j < len(lines):
            closing = _FENCE.match(lines[j])
            if closing and closing["fence"].startswith(fence) and not closing["info"].strip():
                break
            body.append(lines[j])
            j += 1
        blocks.append(Block(os.path.relpath(path, root), i + 1, words[0] if words else "",
                            tuple(words[1:]), textwrap.dedent("\n".join(body)) + "\n"))
        i = j + 1
    return blocks


def all_blocks(root=REPO):
    return [b for f in doc_files(root) for b in extract_blocks(f, root)]


def python_blocks(blocks, tag=None):
    """Untagged ```python blocks, or with `tag` only the ```python <tag> ones."""
    wanted = () if tag is None else (tag,)
    return [b for b in blocks if b.lang == "python" and b.tags == wanted]


def cpp_blocks(blocks):
    return [b for b in blocks if b.lang == "cpp" and not b.tags]


def cli_path(build_dir):
    return os.path.abspath(os.environ.get("BATCHDOT_CLI", os.path.join(build_dir, "bin", "batchdot")))


def block_env(build_dir, pythonpath):
    """The environment a block runs in: the build's CLI first on PATH, and PYTHONPATH as asked."""
    env = dict(os.environ)
    cli = cli_path(build_dir)
    env["BATCHDOT_CLI"] = cli
    env["PATH"] = os.path.dirname(cli) + os.pathsep + env.get("PATH", "")
    env.pop("PYTHONPATH", None)
    if pythonpath:
        env["PYTHONPATH"] = os.path.abspath(pythonpath)
    return env


def run_python_block(block, python=DEFAULT_PYTHON, pythonpath=None, build_dir=None):
    """Runs one block as a script file in a fresh folder; returns the CompletedProcess."""
    build_dir = build_dir or os.path.join(REPO, "build")
    with tempfile.TemporaryDirectory(prefix="doc_block_") as folder:
        script = os.path.join(folder, "block.py")
        with open(script, "w", encoding="utf-8") as f:
            f.write(block.code)
        return subprocess.run([python, script], cwd=folder, env=block_env(build_dir, pythonpath),
                              capture_output=True, text=True, timeout=BLOCK_TIMEOUT_S)


class CppConsumer:
    """The installed package and one generated CMake consumer with an executable per block.

    Installing and configuring happen once; each block is then built as its own target, so a
    block that does not compile fails alone."""

    def __init__(self, build_dir, work_dir, blocks):
        self.build_dir, self.work_dir = os.path.abspath(build_dir), work_dir
        self.prefix = os.path.join(work_dir, "prefix")
        self.targets = {b.id: f"block_{n}" for n, b in enumerate(blocks)}
        self._install()
        self._configure(blocks)

    @staticmethod
    def _check(command, what):
        result = subprocess.run(command, capture_output=True, text=True, timeout=BLOCK_TIMEOUT_S)
        if result.returncode != 0:
            raise RuntimeError(f"{what} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def _install(self):
        self._check(["cmake", "--install", self.build_dir, "--prefix", self.prefix],
                    f"cmake --install {self.build_dir}")

    def _configure(self, blocks):
        source = os.path.join(self.work_dir, "consumer")
        os.makedirs(source, exist_ok=True)
        # No CMAKE_CXX_STANDARD on purpose: the package brings C++20, as for any consumer.
        cmake = ["cmake_minimum_required(VERSION 3.22)", "project(doc_blocks LANGUAGES CXX)",
                 "find_package(batchdot REQUIRED CONFIG)"]
        for block in blocks:
            target = self.targets[block.id]
            with open(os.path.join(source, target + ".cpp"), "w", encoding="utf-8") as f:
                f.write(f"// {block.id}\n{block.code}")
            cmake += [f"add_executable({target} {target}.cpp)",
                      f"target_link_libraries({target} PRIVATE batchdot::batchdot)"]
        with open(os.path.join(source, "CMakeLists.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(cmake) + "\n")
        self.binary_dir = os.path.join(self.work_dir, "consumer-build")
        generator = ["-G", "Ninja"] if _have("ninja") else []
        self._check(["cmake", "-S", source, "-B", self.binary_dir, *generator, "-DCMAKE_BUILD_TYPE=Release",
                     f"-DCMAKE_PREFIX_PATH={self.prefix}"], "configuring the C++ consumer")

    def run(self, block):
        """Builds and runs one block; returns (ok, output)."""
        target = self.targets[block.id]
        built = subprocess.run(["cmake", "--build", self.binary_dir, "--target", target],
                               capture_output=True, text=True, timeout=BLOCK_TIMEOUT_S)
        if built.returncode != 0:
            return False, f"{block.id} does not compile:\n{built.stdout}\n{built.stderr}"
        with tempfile.TemporaryDirectory(prefix="doc_block_") as folder:
            ran = subprocess.run([os.path.join(self.binary_dir, target)], cwd=folder,
                                 env=block_env(self.build_dir, None), capture_output=True, text=True,
                                 timeout=BLOCK_TIMEOUT_S)
        output = ran.stdout + ran.stderr
        if ran.returncode != 0:
            return False, f"{block.id} exited {ran.returncode}:\n{output}"
        return True, output


def _have(program):
    return any(os.access(os.path.join(d, program), os.X_OK) for d in os.environ.get("PATH", "").split(os.pathsep))


def main(argv=None):
    parser = argparse.ArgumentParser(description="Run the code blocks of README.md and docs/.")
    parser.add_argument("--tag", help="run only ```python <TAG> blocks (e.g. tensorflow, jax, mindspore)")
    parser.add_argument("--python", help=f"interpreter for python blocks (default {DEFAULT_PYTHON})")
    parser.add_argument("--pythonpath", help="PYTHONPATH for python blocks (default: <build>/python "
                        "without --python, unset with it)")
    parser.add_argument("--build", default=os.path.join(REPO, "build"), help="the CMake build folder")
    parser.add_argument("--no-cpp", action="store_true", help="skip the ```cpp blocks")
    parser.add_argument("--list", action="store_true", help="list the blocks that would run")
    args = parser.parse_args(argv)

    blocks = all_blocks()
    python_list = python_blocks(blocks, args.tag)
    cpp_list = [] if (args.tag or args.no_cpp) else cpp_blocks(blocks)
    python = args.python or DEFAULT_PYTHON
    if os.sep in python:  # blocks run in a temporary folder: a relative venv path must not move
        python = os.path.abspath(python)
    if args.pythonpath is not None:
        pythonpath = args.pythonpath or None
    else:
        pythonpath = None if args.python else os.path.join(args.build, "python")
    if args.list:
        for block in python_list + cpp_list:
            print(f"{block.id} {block.lang} {' '.join(block.tags)}".rstrip())
        print(f"{len(python_list)} python and {len(cpp_list)} cpp blocks")
        return 0

    failed = 0
    for block in python_list:
        result = run_python_block(block, python, pythonpath, args.build)
        ok = result.returncode == 0
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {block.id} (python{' ' + args.tag if args.tag else ''})")
        if not ok:
            print(textwrap.indent(result.stdout + result.stderr, "    "))
    if cpp_list:
        with tempfile.TemporaryDirectory(prefix="doc_blocks_cpp_") as work:
            consumer = CppConsumer(args.build, work, cpp_list)
            for block in cpp_list:
                ok, output = consumer.run(block)
                failed += not ok
                print(f"{'ok  ' if ok else 'FAIL'} {block.id} (cpp)")
                if not ok:
                    print(textwrap.indent(output, "    "))
    total = len(python_list) + len(cpp_list)
    print(f"{total - failed} of {total} blocks passed ({len(python_list)} python"
          f"{' ' + args.tag if args.tag else ''}, {len(cpp_list)} cpp)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
