#!/usr/bin/env bash
# What a user does, offline: a fresh venv that sees Debian's NumPy, `pip install .`
# from the source tree, then the package used from outside the source tree; and
# `python3 -m build --wheel` makes a wheel holding the same files.
#   usage: tests/packaging/check_pip_install.sh   (from anywhere)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 -m venv --system-site-packages "$work/venv"
"$work/venv/bin/pip" install --quiet --no-build-isolation --no-index "$repo"
(cd "$work" && "$work/venv/bin/python" "$repo/tests/packaging/installed_check.py" "$repo")
/usr/bin/python3 -m build --no-isolation --wheel --outdir "$work/dist" "$repo" >"$work/build.log" 2>&1 ||
  { tail -20 "$work/build.log"; exit 1; }
/usr/bin/python3 "$repo/tests/packaging/installed_check.py" "$repo" --wheel "$work"/dist/batchdot-*.whl
echo "pip install and wheel: ok"
