#!/usr/bin/env bash
# Runs every fuzz target for FUZZ_SECONDS each (default 60), starting from the
# committed seeds in fuzz/corpus/<target>/ and growing a scratch corpus in
# BUILD/corpus/<target>/. Prints executions per target; exits 1 if any target
# found a crash (its input is in BUILD/artifacts/).
#   usage: fuzz/run.sh BUILD_DIR [SECONDS]
set -uo pipefail
build=${1:?usage: fuzz/run.sh BUILD_DIR [SECONDS]}
seconds=${2:-${FUZZ_SECONDS:-60}}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$build/artifacts"
status=0
summary=""
for target in npy_fuzz semantics_fuzz execute_fuzz; do
  extra=()
  max_len=512
  if [ "$target" = npy_fuzz ]; then extra=(-dict="$here/npy.dict"); max_len=4096; fi
  mkdir -p "$build/corpus/$target"
  log="$build/$target.log"
  echo "fuzzing $target for ${seconds}s..."
  # -timeout: one input may not take longer than 20 s (a hang is a bug too).
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "$build/$target" -max_total_time="$seconds" -timeout=20 -max_len="$max_len" -print_final_stats=1 \
    -artifact_prefix="$build/artifacts/$target-" "${extra[@]}" \
    "$build/corpus/$target" "$here/corpus/$target" >"$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ "$rc" -ne 0 ]; then
    status=1
    echo "$target FAILED (exit $rc); see $log and $build/artifacts/:"
    grep -E "ERROR|SUMMARY|execute_fuzz:|runtime error" "$log" | head -5
  fi
  summary+=$(printf '%-16s %10s executions in %ss  (corpus %s inputs)%s' "$target" "${runs:-?}" "$seconds" \
    "$(ls "$build/corpus/$target" | wc -l)" "$([ $rc -ne 0 ] && echo '  CRASH')")$'\n'
done
echo "fuzzing summary:"
printf '%s' "$summary"
exit $status
