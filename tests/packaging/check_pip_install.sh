#!/usr/bin/env bash
# What a user does, offline: `python3 -m build --wheel` makes a wheel, `pip
# install` of that wheel into a fresh venv that sees Debian's NumPy, the package
# (and its `batchdot` command) used from outside the source tree; then `pip
# install .` from the source tree into the same venv works too.
# BATCHDOT_BUILD_DIR (set by `make test`) names the CMake build both take their
# compiled files from, so nothing is compiled twice; without it both share
# build-pip/ in the source tree (the second is incremental).
#   usage: tests/packaging/check_pip_install.sh   (from anywhere)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 -m build --no-isolation --wheel --outdir "$work/dist" "$repo" >"$work/build.log" 2>&1 ||
  { tail -20 "$work/build.log"; exit 1; }
grep -q "^batchdot: \(building the C++ library\|bringing the CMake build\)" "$work/build.log" ||
  { echo "setup.py did not say what it builds"; exit 1; }
wheel=$(echo "$work"/dist/batchdot-*.whl)
/usr/bin/python3 "$repo/tests/packaging/installed_check.py" "$repo" --wheel "$wheel"
/usr/bin/python3 -m venv --system-site-packages "$work/venv"
"$work/venv/bin/pip" install --quiet --no-deps --no-index "$wheel"
(cd "$work" && "$work/venv/bin/python" "$repo/tests/packaging/installed_check.py" "$repo")
"$work/venv/bin/pip" install --quiet --force-reinstall --no-deps --no-build-isolation --no-index "$repo"
(cd "$work" && "$work/venv/bin/python" "$repo/tests/packaging/installed_check.py" "$repo")
echo "wheel and pip install: ok"
