#!/usr/bin/env bash
# Kernel time of the KV codec under Nsight Compute (only gpu__time_duration, clocks left alone): one held-out window of
# the demo model through `bench kv` with a 256 MiB codec batch, summarised per kernel and launch shape by
# ncu_summary.py. Set against the same call's codec GB/s, it says how much of an EncodeBatch / DecodeBatch is kernels
# and how much is host work and copies. The window's prefill and perplexity launches are in the summary too (many
# small grids); the codec's are the large one-shot grids.
#   device call: carry [".gpu", ".corpus"], command: bash tools/bench/profile_codec.sh
set -uo pipefail
source tools/bench/gpu_env.sh
ncu=$(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)
[ -n "$ncu" ] || { echo "no ncu on this machine"; exit 2; }
timeout "${PROFILE_TIMEOUT:-240}" "$ncu" --clock-control none --metrics gpu__time_duration.sum --csv --page raw \
  --log-file "$OUT/ncu-codec.csv" \
  dotnet .gpu/app/Memory.Cli/memory.dll bench kv --model models/demo --text .corpus/valid.txt --windows 1 --window 2048 \
  --ttft-context 0 --accelerator cuda --json > "$OUT/ncu-codec.out" 2>&1
echo "ncu exit $?"; tail -2 "$OUT/ncu-codec.out" | cut -c1-2000
python3 tools/bench/ncu_summary.py "$OUT/ncu-codec.csv" | tee "$OUT/ncu-codec.summary"
