#!/usr/bin/env bash
# Sweeps the decoder's two tuning knobs on the 0.5B bench model at batch 1 (each value one short `bench decode` run)
# and prints tokens/s per value, so that the defaults in DecoderKernels come from a measurement:
#   --gemv-groups-per-sm (context 512) and --attention-split-keys (contexts 512 and 8192).
#   device call: carry [".gpu"], command: bash tools/bench/decode_sweep.sh   (writes $OUT/sweep.log)
set -uo pipefail
source tools/bench/gpu_env.sh
model=/tmp/qwen25-05b
[ -f "$model/config.json" ] || python3 tools/bench/make_bench_model.py --out "$model" > /dev/null
rate() {  # context, extra args: batch-1 tokens/s per context from the JSON report
  timeout 60 dotnet .gpu/app/Memory.Cli/memory.dll bench decode --model "$model" --contexts "$1" --batches 1 --steps 64 \
    --bandwidth-mib 64 --accelerator cuda --json "${@:2}" 2>/dev/null | tail -1 |
    python3 -c 'import json,sys; r=json.load(sys.stdin); print(" ".join(f"{c["Context"]}:{c["Batches"][0]["TokensPerSecond"]}" for c in r["Contexts"]))'
}
for g in 4 8 16 32; do echo "gemv-groups-per-sm $g: $(rate 512 --gemv-groups-per-sm $g)"; done | tee -a "$OUT/sweep.log"
for k in 64 128 256 512; do echo "attention-split-keys $k: $(rate 512,8192 --attention-split-keys $k)"; done | tee -a "$OUT/sweep.log"
