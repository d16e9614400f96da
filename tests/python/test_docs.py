"""Every ```python and ```cpp block of README.md and docs/ runs as written.

One test per block, named file:line. Python blocks run with this interpreter and the
build's package (PYTHONPATH, as make test sets it); C++ blocks are built against the
package installed from the build folder (tests/docs/doc_blocks.py has the rules).
The build folder is $BATCHDOT_BUILD_DIR, else the one whose python/ is on PYTHONPATH, else build/.
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "docs"))
import doc_blocks  # noqa: E402


def _build_dir():
    """$BATCHDOT_BUILD_DIR; else the build whose python/ folder is on PYTHONPATH (make test sets
    PYTHONPATH=$(BUILD_DIR)/python); else build/ of the checkout."""
    if os.environ.get("BATCHDOT_BUILD_DIR"):
        return os.path.abspath(os.environ["BATCHDOT_BUILD_DIR"])
    for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep):
        parent = os.path.dirname(os.path.abspath(entry)) if entry else ""
        if entry and os.path.basename(os.path.normpath(entry)) == "python" and \
                os.path.isfile(os.path.join(parent, "CMakeCache.txt")):
            return parent
    return os.path.join(doc_blocks.REPO, "build")


BUILD_DIR = _build_dir()
BLOCKS = doc_blocks.all_blocks()
PYTHON_BLOCKS = doc_blocks.python_blocks(BLOCKS)
CPP_BLOCKS = doc_blocks.cpp_blocks(BLOCKS)


def test_the_docs_have_blocks():
    # The extraction itself is under test: an empty list would pass every parametrised test.
    assert len(PYTHON_BLOCKS) >= 10 and len(CPP_BLOCKS) >= 3, (len(PYTHON_BLOCKS), len(CPP_BLOCKS))


def test_extraction_reads_info_strings_lines_and_indented_fences(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("text\n```python\nprint(1)\n```\n- item:\n  ```python jax\n  import jax\n  ```\n"
                    "````cpp\nint main() {}\n````\n```bash\nls\n```\n")
    blocks = doc_blocks.extract_blocks(str(page), str(tmp_path))
    assert [(b.line, b.lang, b.tags, b.code) for b in blocks] == [
        (2, "python", (), "print(1)\n"), (6, "python", ("jax",), "import jax\n"),
        (9, "cpp", (), "int main() {}\n"), (12, "bash", (), "ls\n")]
    assert doc_blocks.python_blocks(blocks) == blocks[:1]
    assert doc_blocks.python_blocks(blocks, "jax") == blocks[1:2]
    assert doc_blocks.cpp_blocks(blocks) == blocks[2:3]


def test_every_block_has_a_known_language():
    # A misspelt info string (```pyhton) would silently leave a block untested.
    # Run: python, cpp. Shown only: the rest (a C++ block spelt "c++" would not run, so it is unknown).
    known = {"python", "cpp", "bash", "sh", "shell", "console", "text", "cmake", "make", "ini", "json",
             "toml", "yaml", "diff", ""}
    unknown = [b.id + " " + b.lang for b in BLOCKS if b.lang not in known]
    assert not unknown, unknown


def test_tagged_python_blocks_name_a_framework_venv():
    # Tagged blocks run only in a framework venv (doc_blocks.py --tag); torch runs here, untagged.
    venvs = {"tensorflow", "keras", "jax", "mindspore"}
    odd = [f"{b.id} {' '.join(b.tags)}" for b in BLOCKS
           if b.lang == "python" and b.tags and (len(b.tags) != 1 or b.tags[0] not in venvs)]
    assert not odd, odd


@pytest.mark.parametrize("block", PYTHON_BLOCKS, ids=[b.id for b in PYTHON_BLOCKS])
def test_python_block(block):
    pythonpath = os.environ.get("PYTHONPATH") or os.path.join(BUILD_DIR, "python")
    result = doc_blocks.run_python_block(block, sys.executable, pythonpath, BUILD_DIR)
    assert result.returncode == 0, f"{block.id}:\n{block.code}\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def consumer(tmp_path_factory):
    return doc_blocks.CppConsumer(BUILD_DIR, str(tmp_path_factory.mktemp("doc_cpp")), CPP_BLOCKS)


@pytest.mark.parametrize("block", CPP_BLOCKS, ids=[b.id for b in CPP_BLOCKS])
def test_cpp_block(block, consumer):
    ok, output = consumer.run(block)
    assert ok, output
