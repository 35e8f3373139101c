#!/usr/bin/env bash
# Nsight Compute's detailed sections (speed of light, memory, occupancy, warp stall reasons, launch statistics) for
# the launches of ONE batch-1 decode step, to see why each kernel runs below the bandwidth it could reach. A first
# duration-only pass counts the run's launches; the detailed pass then skips all but the last step's (the bench's
# launch sequence is fixed by --steps, so both passes launch the same kernels in the same order).
#   device call: carry [".gpu"], command: bash tools/bench/profile_step.sh [context]
# Writes $OUT/step-<context>.csv.xz (one row per launch, one column per metric) and step-<context>.summary (ncu_step_summary.py).
set -uo pipefail
source tools/bench/gpu_env.sh
context=${1:-512}
model=/tmp/qwen25-05b
[ -f "$model/config.json" ] || python3 tools/bench/make_bench_model.py --out "$model" > /dev/null
ncu=$(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)
[ -n "$ncu" ] || { echo "no ncu on this machine"; exit 2; }
bench=(dotnet .gpu/app/Memory.Cli/memory.dll bench decode --model "$model" --contexts "$context" --batches 1 --steps 6 --bandwidth-mib 64 --accelerator cuda --json)
tmp=$(mktemp -d)
timeout 200 "$ncu" --clock-control none --metrics gpu__time_duration.sum --csv --page raw --log-file "$tmp/count.csv" "${bench[@]}" > "$tmp/count.out" 2>&1
python3 tools/bench/ncu_summary.py "$tmp/count.csv" > "$tmp/count.summary"
period=$(grep -o 'one decode step ([0-9]*' "$tmp/count.summary" | grep -o '[0-9]*$')
launches=$(grep -o '^all launches: [0-9]*' "$tmp/count.summary" | grep -o '[0-9]*$')
echo "launches $launches, step $period"
[ -n "$period" ] && [ -n "$launches" ] || { tail -20 "$tmp/count.out"; exit 3; }
timeout 330 "$ncu" --clock-control none --set detailed --section WarpStateStats --section SchedulerStats --section Occupancy \
  --launch-skip $((launches - period)) --launch-count "$period" --csv --page raw --log-file "$OUT/step-$context.csv" \
  "${bench[@]}" > "$tmp/detail.out" 2>&1
echo "ncu exit $?"; tail -3 "$tmp/detail.out"
python3 tools/bench/ncu_step_summary.py "$OUT/step-$context.csv" | tee "$OUT/step-$context.summary"
xz -9 "$OUT/step-$context.csv"
