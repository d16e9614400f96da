#!/usr/bin/env bash
# Runs the atheris target over batchdot's Python front ends for SECONDS (default 60),
# from the committed seeds in fuzz/corpus/python_frontends/ and a scratch corpus in
# build-fuzz/corpus/python_frontends/; one input may take at most 20 s (a hang is a
# finding). Prints the executions; exits 1 on a finding (input in build-fuzz/artifacts/).
#   usage: fuzz/python_frontends_run.sh PYTHON [SECONDS]
set -uo pipefail
python=${1:?usage: fuzz/python_frontends_run.sh PYTHON [SECONDS]}
seconds=${2:-${FUZZ_SECONDS:-60}}
here=$(cd "$(dirname "$0")" && pwd)
build=$here/../build-fuzz
mkdir -p "$build/artifacts" "$build/corpus/python_frontends" "$here/corpus/python_frontends"
log=$build/python_frontends.log
echo "fuzzing python_frontends (atheris) for ${seconds}s..."
env -u PYTHONPATH "$python" "$here/python_frontends_fuzz.py" -max_total_time="$seconds" -seed="${FUZZ_SEED:-20261202}" -timeout=20 -max_len=256 \
  -print_final_stats=1 -artifact_prefix="$build/artifacts/python_frontends-" \
  "$build/corpus/python_frontends" "$here/corpus/python_frontends" >"$log" 2>&1
rc=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
if [ "$rc" -ne 0 ]; then
  echo "python_frontends FAILED (exit $rc); see $log:"
  grep -E "Error|assert|Traceback|===" "$log" | head -8
fi
printf '%-16s %10s executions in %ss%s\n' python_frontends "${runs:-?}" "$seconds" "$([ $rc -ne 0 ] && echo '  CRASH')"
exit $rc
