#!/usr/bin/env bash
# Timeline of a short batch-1 decode under Nsight Systems (when the GPU machine has nsys): how busy the GPU is during
# decode steps, i.e. whether a step waits on its kernels or on the host launching them. timeline_gaps.py reads the
# kernel trace and prints kernel time ÷ elapsed time over the last launches, and the launch API's share of host time.
#   device call: carry [".gpu"], command: bash tools/bench/profile_timeline.sh [context]
set -uo pipefail
source tools/bench/gpu_env.sh
context=${1:-512}
model=/tmp/qwen25-05b
[ -f "$model/config.json" ] || python3 tools/bench/make_bench_model.py --out "$model" > /dev/null
nsys=$(command -v nsys || ls /opt/nvidia/nsight-systems/*/bin/nsys /usr/local/cuda/bin/nsys 2>/dev/null | head -1)
[ -n "$nsys" ] || { echo "no nsys on this machine"; exit 2; }
timeout "${PROFILE_TIMEOUT:-180}" "$nsys" profile --trace=cuda --sample=none --cpuctxsw=none --force-overwrite=true \
  -o /tmp/timeline dotnet .gpu/app/Memory.Cli/memory.dll bench decode --model "$model" --contexts "$context" --batches 1 \
  --steps "${PROFILE_STEPS:-64}" --bandwidth-mib 64 --accelerator cuda --json > "$OUT/timeline-$context.out" 2>&1
echo "nsys exit $?"; tail -2 "$OUT/timeline-$context.out"
"$nsys" stats --force-export=true --report cuda_gpu_trace --format csv --output /tmp/timeline /tmp/timeline.nsys-rep > /dev/null 2>&1
"$nsys" stats --force-export=true --report cuda_api_sum --format csv --output /tmp/timeline /tmp/timeline.nsys-rep > /dev/null 2>&1
ls /tmp/timeline*
python3 tools/bench/timeline_gaps.py /tmp/timeline_cuda_gpu_trace.csv /tmp/timeline_cuda_api_sum.csv | tee "$OUT/timeline-$context.summary"
