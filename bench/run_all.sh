#!/usr/bin/env bash
# The whole benchmark, one run: `batchdot bench` (C++ sweep against the measured
# roofline), bench/compare.py (NumPy, PyTorch in the same process), peers_bench
# (OpenBLAS, Eigen, LIBXSMM in the same binary), prepared_half_bench (Prepare/Run
# per call, float16/bfloat16 vs float32), bench/cpp_compare (the installed C++
# package vs the peers), then bench/plot.py (summary
# table, ratio and roofline charts). Writes bench/results/<date>/. About 15 minutes;
# run it on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
make build bench-deps
out=bench/results/$(date +%Y-%m-%d)
mkdir -p "$out"
{ echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"; build/bin/batchdot info; } > "$out/machine.txt"
# NumPy's OpenBLAS must not be steered by these (the brief's rule for timing NumPy).
quiet_env=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)

"${quiet_env[@]}" build/bin/batchdot bench --threads 1 2 --markdown "$out/bench.md" --json "$out/bench.json"
"${quiet_env[@]}" PYTHONPATH=build/python /usr/bin/python3 bench/compare.py --threads 1 2 \
  --markdown "$out/compare.md" --json "$out/compare.json"
PYTHONPATH=build/python /usr/bin/python3 bench/torch_grad_bench.py --threads 1 2 --json "$out/torch_grad.json" | tee "$out/torch_grad.md"
PYTHONPATH=build/python /usr/bin/python3 bench/torch_call_bench.py --threads 1 2 --json "$out/torch_call.json" | tee "$out/torch_call.md"
# Framework rows where `make frameworks` made the venv (batchdot installed in it, PYTHONPATH unset).
[ -x venv/tensorflow/bin/python ] && env -u PYTHONPATH venv/tensorflow/bin/python bench/frameworks/tensorflow_bench.py \
  --threads 2 --markdown "$out/tensorflow.md"
[ -x venv/jax/bin/python ] && env -u PYTHONPATH venv/jax/bin/python bench/frameworks/jax_bench.py \
  --threads 1 2 --markdown "$out/jax.md" --json "$out/jax.json"
[ -x venv/mindspore/bin/python ] && env -u PYTHONPATH venv/mindspore/bin/python bench/frameworks/mindspore_bench.py \
  --threads 2 | tee "$out/mindspore.md"
"${quiet_env[@]}" PYTHONPATH=build/python /usr/bin/python3 bench/dask_bench.py --markdown "$out/dask.md" --json "$out/dask.json"

cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DBATCHDOT_BUILD_PEER_BENCH=ON \
  -DBATCHDOT_BUILD_PYTHON=OFF -DBATCHDOT_BUILD_TESTS=OFF -DPython3_EXECUTABLE=/usr/bin/python3
cmake --build build-bench --target peers_bench
"${quiet_env[@]}" OPENBLAS_NUM_THREADS=1 build-bench/bin/peers_bench --benchmark_min_time=0.2 \
  --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
  --benchmark_out="$out/peers.json" --benchmark_out_format=json | tee "$out/peers.txt"

# Prepare/Run per call vs an OpenBLAS loop; float16/bfloat16 vs float32 (and the
# bf16 float32-conversion path with BATCHDOT_NO_BF16=1), same binary, same run.
cmake --build build-bench --target prepared_half_bench
for no_bf16 in 0 1; do
  "${quiet_env[@]}" OPENBLAS_NUM_THREADS=1 BATCHDOT_NO_BF16=$no_bf16 build-bench/bin/prepared_half_bench \
    --benchmark_min_time=0.3 --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
    --benchmark_out="$out/prepared_half_nobf16_$no_bf16.json" --benchmark_out_format=json \
    | tee "$out/prepared_half_nobf16_$no_bf16.txt"
done
# The installed package against OpenBLAS / LIBXSMM / Eigen (bench/cpp_compare, its own CMake consumer).
"${quiet_env[@]}" /usr/bin/python3 bench/cpp_compare/compare.py --threads 1 2 \
  --markdown "$out/cpp_compare.md" --json "$out/cpp_compare.json"

/usr/bin/python3 bench/plot.py "$out/compare.json" "$out/bench.json" "$out/peers.json" "$out"
echo "results in $out"
