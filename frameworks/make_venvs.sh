#!/usr/bin/env bash
# make frameworks: one virtual environment per framework (their NumPy/protobuf pins
# conflict), each from its lock in frameworks/requirements/<venv>.txt, with batchdot
# installed from this tree and that framework's native op library copied in.
#   usage: frameworks/make_venvs.sh [VENV ...]      (default: tensorflow jax mindspore)
# A second run installs nothing: a venv is rebuilt only when its lock changes (stamp
# = the lock's sha256), the batchdot wheel only when batchdot's sources change, and
# the op libraries are incremental CMake builds.
# The wheel is built once per NumPy version (= ABI) in venv/build-numpy-<version> and
# installed into every venv whose lock pins that NumPy.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
venv_root=${BATCHDOT_VENV_DIR:-$root/venv}
work=$root/build-frameworks
base_python=/usr/bin/python3   # Debian's 3.11; never --system-site-packages (Debian NumPy 1.24)
requirements=$root/frameworks/requirements
mkdir -p "$venv_root" "$work"
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root}
else
  launcher=()
fi

sha() { sha256sum "$@" | sha256sum | cut -c1-16; }

# Creates venv $1 from lock file $2 (plus extra lock lines in $3, may be empty),
# unless its stamp says that exact lock is installed.
ensure_venv() {
  local dir=$1 lock=$2 extra=${3:-}
  local stamp
  stamp=$(printf '%s\n%s' "$(cat "$lock")" "$extra" | sha256sum | cut -c1-16)
  if [ -f "$dir/.lock-stamp" ] && [ "$(cat "$dir/.lock-stamp")" = "$stamp" ]; then
    echo "$(basename "$dir"): up to date (lock $stamp)"
    return
  fi
  echo "$(basename "$dir"): installing $(basename "$lock") ${extra:+and $extra}"
  rm -rf "$dir"
  "$base_python" -m venv "$dir"
  local all=$work/$(basename "$dir").lock
  { grep -v '^#' "$lock"; [ -z "$extra" ] || printf '%s\n' $extra; } >"$all"
  # --no-deps: the lock is complete; --only-binary: a missing cp311 wheel is an
  # error that names the package, never a source build of a framework.
  "$dir/bin/pip" install --quiet --no-deps --only-binary=:all: -r "$all"
  echo "$stamp" >"$dir/.lock-stamp"
}

numpy_pin() { sed -n 's/^numpy==//p' "$1"; }

# Hash of everything the wheel is built from.
source_hash() {
  find src include python cmake -type f \( -name '*.cpp' -o -name '*.cc' -o -name '*.h' -o -name '*.hpp' \
    -o -name '*.py' -o -name '*.txt' -o -name '*.cmake' \) -print0 | sort -z | xargs -0 cat |
    cat - CMakeLists.txt setup.py pyproject.toml | sha256sum | cut -c1-16
}

# Builds (once per NumPy version and source hash) and prints the path of batchdot's wheel.
ensure_wheel() {
  local numpy_version=$1
  local build_venv=$venv_root/build-numpy-$numpy_version
  ensure_venv "$build_venv" "$requirements/build.txt" "numpy==$numpy_version" >&2
  local hash
  hash=$(source_hash)
  local out=$work/wheels/numpy-$numpy_version/$hash
  if ! ls "$out"/batchdot-*.whl >/dev/null 2>&1; then
    echo "building batchdot's wheel for NumPy $numpy_version (sources $hash)" >&2
    rm -rf "$work/wheels/numpy-$numpy_version"
    mkdir -p "$out"
    BATCHDOT_PIP_BUILD_DIR=$work/cmake-numpy-$numpy_version \
      BATCHDOT_CMAKE_ARGS="-Dpybind11_DIR=$("$build_venv/bin/python" -m pybind11 --cmakedir) ${launcher[*]}" \
      "$build_venv/bin/pip" wheel --quiet --no-deps --no-build-isolation --no-index -w "$out" "$root" >&2
  fi
  ls "$out"/batchdot-*.whl
}

site_packages() { "$1/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'; }

ensure_batchdot() {
  local dir=$1 wheel=$2
  local stamp
  stamp=$(basename "$(dirname "$wheel")")
  if [ -f "$dir/.batchdot-stamp" ] && [ "$(cat "$dir/.batchdot-stamp")" = "$stamp" ]; then return; fi
  echo "$(basename "$dir"): installing $(basename "$wheel") ($stamp)"
  "$dir/bin/pip" install --quiet --no-deps --force-reinstall --no-index "$wheel"
  echo "$stamp" >"$dir/.batchdot-stamp"
}

# The framework's native op (frameworks/<fw>/, CMake target batchdot_<fw>), built
# with this venv's interpreter and copied into its installed batchdot package.
ensure_op_library() {
  local venv=$1 dir=$2
  local fw=$venv upper
  upper=$(echo "$fw" | tr '[:lower:]' '[:upper:]')
  if [ ! -f "frameworks/$fw/CMakeLists.txt" ]; then
    echo "$venv: no native $fw op in this tree"
    return
  fi
  local build=$work/op-$venv
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPython3_EXECUTABLE="$dir/bin/python" \
    -Dpybind11_DIR="$("$venv_root/build-numpy-$(numpy_pin "$requirements/$venv.txt")/bin/python" -m pybind11 --cmakedir)" \
    -DBATCHDOT_BUILD_TESTS=OFF "-DBATCHDOT_BUILD_$upper=ON" "${launcher[@]}" >"$build.configure.log" 2>&1 ||
    { tail -20 "$build.configure.log"; exit 1; }
  cmake --build "$build" --target "batchdot_$fw" -j2 >"$build.build.log" 2>&1 || { tail -30 "$build.build.log"; exit 1; }
  local lib=$build/python/batchdot/libbatchdot_$fw.so target
  target=$(site_packages "$dir")/batchdot/libbatchdot_$fw.so
  if ! cmp -s "$lib" "$target"; then
    cp "$lib" "$target"
    echo "$venv: installed libbatchdot_$fw.so"
  fi
}

venvs=("$@")
[ ${#venvs[@]} -gt 0 ] || venvs=(tensorflow jax mindspore)
for venv in "${venvs[@]}"; do
  lock=$requirements/$venv.txt
  [ -f "$lock" ] || { echo "no lock file $lock" >&2; exit 2; }
  dir=$venv_root/$venv
  ensure_venv "$dir" "$lock"
  wheel=$(ensure_wheel "$(numpy_pin "$lock")")
  ensure_batchdot "$dir" "$wheel"
  case $venv in tensorflow | jax | mindspore) ensure_op_library "$venv" "$dir" ;; esac
done
