#!/usr/bin/env bash
# make frameworks-test: every framework conformance suite with its own interpreter
# (the venvs of make frameworks, PYTHONPATH unset; torch with Debian's python3 and
# the Debian build in BUILD_DIR), then each suite's case counts. Exits 1 if any failed.
#   usage: frameworks/run_suites.sh [BUILD_DIR]
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${1:-build}
venv_root=${BATCHDOT_VENV_DIR:-$root/venv}
out=$root/build-frameworks
mkdir -p "$out"
status=0
summaries=()
outcomes=()
suite() {  # suite NAME PYTHON TEST_FILE [ENV...]
  local name=$1 python=$2 file=$3
  shift 3
  local summary=$out/conformance-$name.txt start=$SECONDS
  rm -f "$summary"
  echo "--- $name: $file ($python)"
  local outcome=passed
  if ! env -u PYTHONPATH "$@" BATCHDOT_CONFORMANCE_SUMMARY="$summary" \
      "$python" -m pytest -q -p no:cacheprovider "$file"; then
    status=1
    outcome=FAILED
  fi
  echo "--- $name took $((SECONDS - start)) s"
  summaries+=("$summary")
  outcomes+=("$outcome")
}
suite tf_keras "$venv_root/tensorflow/bin/python" tests/frameworks/test_tf_keras.py
suite jax "$venv_root/jax/bin/python" tests/frameworks/test_jax.py
suite mindspore "$venv_root/mindspore/bin/python" tests/frameworks/test_mindspore.py
suite torch /usr/bin/python3 tests/frameworks/test_torch_oracle.py PYTHONPATH="$root/$build/python"
# Other engineers' framework suites (tests/frameworks/test_<fw>*.py) run in their venv too.
for file in tests/frameworks/test_*.py; do
  case $file in
    */test_tf_keras.py | */test_jax.py | */test_mindspore.py | */test_torch_oracle.py) ;;
    */test_tensorflow* | */test_keras*) suite "$(basename "$file" .py)" "$venv_root/tensorflow/bin/python" "$file" ;;
    */test_jax*) suite "$(basename "$file" .py)" "$venv_root/jax/bin/python" "$file" ;;
    */test_mindspore*) suite "$(basename "$file" .py)" "$venv_root/mindspore/bin/python" "$file" ;;
    */test_torch*) suite "$(basename "$file" .py)" /usr/bin/python3 "$file" PYTHONPATH="$root/$build/python" ;;
  esac
done
# Docs: ```python <fw> blocks run in that framework's venv (tests/docs/doc_blocks.py, when present).
if [ -f tests/docs/doc_blocks.py ]; then
  for fw in tensorflow jax mindspore; do
    echo "--- docs: python $fw blocks"
    env -u PYTHONPATH /usr/bin/python3 tests/docs/doc_blocks.py --tag "$fw" --python "$venv_root/$fw/bin/python" || status=1
  done
fi
# The examples: each trains a small model in its framework and must show the loss falling.
example() {  # example NAME PYTHON SCRIPT [ARGS...]
  local name=$1 python=$2 script=$3 start=$SECONDS
  shift 3
  echo "--- example $name: $script $*"
  env -u PYTHONPATH "$python" "$script" "$@" || status=1
  echo "--- example $name took $((SECONDS - start)) s"
}
example keras "$venv_root/tensorflow/bin/python" examples/keras_attention.py
example jax "$venv_root/jax/bin/python" examples/jax_train.py
example mindspore "$venv_root/mindspore/bin/python" examples/mindspore_attention.py
example mindspore-graph "$venv_root/mindspore/bin/python" examples/mindspore_attention.py --graph
echo "=== conformance case counts"
for i in "${!summaries[@]}"; do
  s=${summaries[$i]} name=$(basename "${summaries[$i]}" .txt)
  name=${name#conformance-}
  if [ -f "$s" ]; then
    grep -E '^[^ ].*cases' "$s"
  else  # a binding's own tests: no differential tally, pytest's counts are above
    echo "$name: ${outcomes[$i]} (pytest counts above; no differential tally)"
  fi
done
exit $status
