#!/usr/bin/env bash
# Every GPU figure the open issues ask for, in one device call (about 8-9 minutes on an H100/H200):
#   here:        ../shared/tools/gpu-pack src/Memory.Cli/Memory.Cli.csproj
#                python3 tools/corpus/prepare.py --out /tmp/corpus && mkdir -p .corpus && cp /tmp/corpus/valid.txt .corpus/
#   device call: carry [".gpu", ".corpus"], command: bash tools/bench/gpu_session.sh
# Writes $OUT/transformers.json, decode.json, kv.json, kv-ttft-16k.json and session.log (nvidia-smi, versions, timings).
set -uo pipefail
exec > >(tee "$OUT/session.log") 2>&1
source .gpu/env.sh
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
memory() { dotnet .gpu/app/Memory.Cli/memory.dll "$@"; }
model=/tmp/qwen25-05b
time python3 tools/bench/make_bench_model.py --out "$model"
time python3 tools/bench/bench_transformers.py --model "$model" --out "$OUT/transformers.json"
time memory bench decode --model "$model" --peer "$OUT/transformers.json" --accelerator cuda --json | tail -1 > "$OUT/decode.json"
time memory bench kv --model models/demo --text .corpus/valid.txt --windows 16 --window 2048 --ttft-context 2047 \
  --drop-page-cache --accelerator cuda --json | tail -1 > "$OUT/kv.json"
# Time to first token at 16K needs a model with that many positions: the 0.5B model, random tokens.
time memory bench kv --model "$model" --ttft-context 16384 --windows 0 --drop-page-cache --accelerator cuda --json | tail -1 > "$OUT/kv-ttft-16k.json"
cat "$OUT/decode.json" "$OUT/kv.json" "$OUT/kv-ttft-16k.json"
