#!/usr/bin/env bash
# Kernel time of a short decode under Nsight Compute (only gpu__time_duration, clocks left alone), summarised per
# kernel and launch shape by ncu_summary.py: which kernels a decode step spends its time in, and how much of the
# step's wall time is not kernel time at all (launch overhead, host work).
#   device call: carry [".gpu"], command: bash tools/bench/profile_decode.sh [context] [batch]
set -uo pipefail
source tools/bench/gpu_env.sh
context=${1:-512} batch=${2:-1}
model=/tmp/qwen25-05b
[ -f "$model/config.json" ] || python3 tools/bench/make_bench_model.py --out "$model" > /dev/null
ncu=$(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)
[ -n "$ncu" ] || { echo "no ncu on this machine"; exit 2; }
timeout "${PROFILE_TIMEOUT:-240}" "$ncu" --clock-control none --metrics gpu__time_duration.sum --csv --page raw \
  --log-file "$OUT/ncu-$context-b$batch.csv" \
  dotnet .gpu/app/Memory.Cli/memory.dll bench decode --model "$model" --contexts "$context" --batches "$batch" \
  --steps "${PROFILE_STEPS:-8}" --bandwidth-mib 64 --accelerator cuda --json > "$OUT/ncu-$context-b$batch.out" 2>&1
echo "ncu exit $?"; tail -3 "$OUT/ncu-$context-b$batch.out"
python3 tools/bench/ncu_summary.py "$OUT/ncu-$context-b$batch.csv" | tee "$OUT/ncu-$context-b$batch.summary"
